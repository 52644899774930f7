/*
 * libFuzzer target for the JSON reader and printer behind the JSON and GraphQL
 * views: Auto on an application/json body (GraphQL's checks first), and the
 * JSON view chosen by name.
 */
#include "cv_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cv_fuzz_view(CV_VIEW_AUTO, "application/json", data, size);
    cv_fuzz_view(CV_VIEW_JSON, NULL, data, size);
    return 0;
}
