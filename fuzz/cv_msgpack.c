/*
 * libFuzzer target for the MsgPack view.
 */
#include "cv_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_fuzz_view(CV_VIEW_MSGPACK, NULL, data, size);
    return 0;
}
