/*
 * libFuzzer target: an HTTP/1 request head, then its body read by the body
 * reader twice (all at once, then split in two at data[0] % size), then the
 * head serialized again. Both body reads must agree.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
read_body(const struct http1_body *b, const struct http1_limits *lim, const uint8_t *p, size_t len,
          size_t cut, struct buf *out, ssize_t *taken)
{
    struct http1_body_reader r;
    struct err e;
    http1_body_reader_init(&r, b, lim);
    ssize_t n1 = http1_body_read(&r, p, cut, out, &e);
    ssize_t n2 = 0;
    if (n1 >= 0 && !r.done)
        n2 = http1_body_read(&r, p + n1, len - (size_t)n1, out, &e);
    int rc = n1 < 0 ? (int)n1 : n2 < 0 ? (int)n2 : 0;
    if (rc == 0 && !r.done)
        rc = http1_body_eof(&r, &e);
    *taken = rc ? -1 : n1 + n2;
    struct hdrs *t = http1_body_take_trailers(&r);
    if (t) {
        hdrs_clear(t);
        free(t);
    }
    http1_body_reader_clear(&r);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http1_limits lim;
    http1_limits_default(&lim);
    lim.max_headers = 32;
    lim.max_chunk_line = 64;
    struct http_request *req;
    enum http1_form form;
    struct err e;
    ssize_t n = http1_parse_request_head(data, size, &lim, &req, &form, &e);
    if (n < 0)
        return 0;
    struct buf head = BUF_INIT;
    http1_write_request_head(&head, req, form);
    buf_clear(&head);
    (void)http1_keep_alive(req->http_version, &req->headers);
    (void)http1_expects_continue(req);
    char *u = http_request_pretty_url(req);
    free(u);

    struct http1_body b;
    if (http1_request_body(req, &b, &e) == 0) {
        const uint8_t *p = data + n;
        size_t len = size - (size_t)n;
        size_t cut = len ? data[0] % len : 0;
        struct buf whole = BUF_INIT, split = BUF_INIT;
        ssize_t t1, t2;
        int rc1 = read_body(&b, &lim, p, len, len, &whole, &t1);
        int rc2 = read_body(&b, &lim, p, len, cut, &split, &t2);
        if (rc1 == 0 && rc2 == 0 &&
            (t1 != t2 || whole.len != split.len ||
             (whole.len && memcmp(buf_ptr(&whole), buf_ptr(&split), whole.len) != 0)))
            abort();
        buf_clear(&whole);
        buf_clear(&split);
    }
    http_request_free(req);
    return 0;
}
