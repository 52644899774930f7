/*
 * libFuzzer target: an HTTP/1 response head (to a GET, or to HEAD or CONNECT
 * chosen by the first byte), then its body read whole and split in two at
 * data[0] % size, then the head serialized again.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
read_body(const struct http1_body *b, const struct http1_limits *lim, const uint8_t *p, size_t len,
          size_t cut, struct buf *out)
{
    struct http1_body_reader r;
    struct err e;
    http1_body_reader_init(&r, b, lim);
    ssize_t n1 = http1_body_read(&r, p, cut, out, &e);
    ssize_t n2 = 0;
    if (n1 >= 0 && !r.done)
        n2 = http1_body_read(&r, p + n1, len - (size_t)n1, out, &e);
    int rc = n1 < 0 ? (int)n1 : n2 < 0 ? (int)n2 : 0;
    if (rc == 0)
        rc = http1_body_eof(&r, &e);
    http1_body_reader_clear(&r);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "GET", "HEAD", "CONNECT"};
    struct http1_limits lim;
    http1_limits_default(&lim);
    lim.max_headers = 32;
    lim.max_chunk_line = 64;
    struct http_response *resp;
    struct err e;
    ssize_t n = http1_parse_response_head(data, size, &lim, &resp, &e);
    if (n < 0)
        return 0;
    struct buf head = BUF_INIT;
    http1_write_response_head(&head, resp);
    buf_clear(&head);
    (void)http1_keep_alive(resp->http_version, &resp->headers);
    (void)http_status_reason(resp->status_code);

    struct http1_body b;
    if (http1_response_body(methods[data[0] & 3], resp, &b, &e) == 0) {
        const uint8_t *p = data + n;
        size_t len = size - (size_t)n;
        size_t cut = len ? data[0] % len : 0;
        struct buf whole = BUF_INIT, split = BUF_INIT;
        int rc1 = read_body(&b, &lim, p, len, len, &whole);
        int rc2 = read_body(&b, &lim, p, len, cut, &split);
        if (rc1 == 0 && rc2 == 0 &&
            (whole.len != split.len ||
             (whole.len && memcmp(buf_ptr(&whole), buf_ptr(&split), whole.len) != 0)))
            abort();
        buf_clear(&whole);
        buf_clear(&split);
    }
    http_response_free(resp);
    return 0;
}
