/*
 * libFuzzer target for the Multipart Form view (a fixed boundary, as a content
 * type carrying one would give it).
 */
#include "cv_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_fuzz_view(CV_VIEW_MULTIPART, "multipart/form-data; boundary=XYZ", data, size);
    return 0;
}
