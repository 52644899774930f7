/*
 * libFuzzer target for the text views built on regular expressions and on
 * bytes: CSS, JavaScript, URL-encoded, Raw and Hex.
 */
#include "cv_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_fuzz_view(CV_VIEW_CSS, NULL, data, size);
    cv_fuzz_view(CV_VIEW_JAVASCRIPT, NULL, data, size);
    cv_fuzz_view(CV_VIEW_URLENCODED, NULL, data, size);
    cv_fuzz_view(CV_VIEW_RAW, NULL, data, size);
    cv_fuzz_view(CV_VIEW_HEX, NULL, data, size);
    return 0;
}
