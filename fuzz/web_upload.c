/*
 * libFuzzer target for the file of a multipart upload (src/web/upload.c):
 * a Content-Type line, then the body. What comes back must lie inside the
 * body.
 */
#include <stdlib.h>
#include <string.h>

#include "web/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t ctlen = nl ? (size_t)(nl - data) : 0;
    const uint8_t *body = nl ? nl + 1 : data;
    size_t n = size - (size_t)(body - data);
    const uint8_t *file;
    size_t len;
    if (web__upload_file((const char *)data, ctlen, body, n, &file, &len) == 0 &&
        (file < body || len > n || file + len > body + n))
        abort();
    return 0;
}
