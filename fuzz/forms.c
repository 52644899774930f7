/*
 * Query strings and form bodies from the wire. The input is a Content-Type
 * line and a body: the body is read as urlencoded and as multipart, and
 * what was read is written back both ways and read again.
 */
#include <stdlib.h>
#include <string.h>

#include "http/forms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t ctlen = nl ? (size_t)(nl - data) : 0;
    const uint8_t *body = nl ? nl + 1 : data;
    size_t n = size - (size_t)(body - data);
    const char *ct = (const char *)data;

    struct form url = {0}, mp = {0}, again = {0};
    form_parse_urlencoded((const char *)body, n, &url);
    struct buf b = BUF_INIT;
    form_write_urlencoded(&b, &url, (const char *)body, n);
    form_parse_urlencoded((const char *)buf_ptr(&b), b.len, &again);
    form_clear(&again);

    struct err e;
    if (form_parse_multipart(ct, ctlen, body, n, &mp, &e) < 0 && e.code != MP_ERR_SYNTAX)
        abort();
    buf_reset(&b);
    if (form_write_multipart(&b, ct, ctlen, &mp, &e) == 0 &&
        form_parse_multipart(ct, ctlen, buf_ptr(&b), b.len, &again, &e) < 0 &&
        e.code != MP_ERR_SYNTAX)
        abort();
    form_clear(&again);
    buf_clear(&b);
    form_clear(&url);
    form_clear(&mp);
    return 0;
}
