/*
 * libFuzzer target for the XML/HTML view's tokenizer and indenter.
 */
#include "cv_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_fuzz_view(CV_VIEW_XML_HTML, "text/html", data, size);
    return 0;
}
