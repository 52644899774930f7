/*
 * libFuzzer target for the Image view: imghdr detection and the PNG, GIF,
 * JPEG/EXIF and ICO header parsers.
 */
#include "cv_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_fuzz_view(CV_VIEW_IMAGE, NULL, data, size);
    return 0;
}
