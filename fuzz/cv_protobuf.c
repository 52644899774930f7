/*
 * libFuzzer target for the protobuf readers: the Protocol Buffer view, the
 * flattened gRPC/Protocol Buffer view, and gRPC framing.
 */
#include "cv_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_fuzz_view(CV_VIEW_PROTOBUF, NULL, data, size);
    cv_fuzz_view(CV_VIEW_GRPC, "application/x-protobuf", data, size);
    cv_fuzz_view(CV_VIEW_GRPC, "application/grpc", data, size);
    return 0;
}
