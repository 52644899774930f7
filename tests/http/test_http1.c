#include "../lib/test.h"
#include "http/http1.h"
#include "util/xmalloc.h"

static struct http1_limits lim_;

static const struct http1_limits *
lim(void)
{
    http1_limits_default(&lim_);
    return &lim_;
}

/* Parses a request head from a C string; frees nothing. */
static ssize_t
preq(const char *s, struct http_request **r, enum http1_form *f, struct err *e)
{
    return http1_parse_request_head((const uint8_t *)s, strlen(s), lim(), r, f, e);
}

static ssize_t
presp(const char *s, struct http_response **r, struct err *e)
{
    return http1_parse_response_head((const uint8_t *)s, strlen(s), lim(), r, e);
}

/* Expects the request head s to be refused with code; checks the message. */
static void
req_fails(const char *s, int code, const char *msg_part)
{
    struct http_request *r = (void *)1;
    struct err e = {0};
    ssize_t n = preq(s, &r, NULL, &e);
    if (n != code)
        test_fail(__FILE__, __LINE__, "'%s': got %zd, want %d (%s)", s, n, code, e.msg);
    ASSERT(r == NULL);
    if (msg_part && !strstr(e.msg, msg_part))
        test_fail(__FILE__, __LINE__, "'%s': message '%s' lacks '%s'", s, e.msg, msg_part);
}

static void
resp_fails(const char *s, int code, const char *msg_part)
{
    struct http_response *r = (void *)1;
    struct err e = {0};
    ssize_t n = presp(s, &r, &e);
    if (n != code)
        test_fail(__FILE__, __LINE__, "'%s': got %zd, want %d (%s)", s, n, code, e.msg);
    ASSERT(r == NULL);
    if (msg_part && !strstr(e.msg, msg_part))
        test_fail(__FILE__, __LINE__, "'%s': message '%s' lacks '%s'", s, e.msg, msg_part);
}

/* ---- request heads: forms ---- */

TEST(http1_req_origin_form)
{
    const char *s = "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nX-A:  spaced \t\r\n"
                    "x-a: second\r\nEmpty:\r\n\r\n";
    struct http_request *r;
    enum http1_form f;
    struct err e = {0};
    ASSERT_EQ(preq(s, &r, &f, &e), strlen(s));
    ASSERT_EQ(f, HTTP1_FORM_ORIGIN);
    ASSERT_STREQ(r->method, "GET");
    ASSERT_STREQ(r->path, "/a/b?c=d");
    ASSERT_STREQ(r->http_version, "HTTP/1.1");
    ASSERT_STREQ(r->authority, "");
    ASSERT_STREQ(r->host, "");
    ASSERT_STREQ(r->scheme, "");
    ASSERT_EQ(r->headers.n, 4);
    ASSERT_STREQ(r->headers.v[1].name, "X-A");
    ASSERT_STREQ(r->headers.v[1].value, "spaced");
    ASSERT_STREQ(r->headers.v[2].name, "x-a");
    ASSERT_STREQ(r->headers.v[3].value, "");
    ASSERT_EQ(r->headers.v[3].value_len, 0);
    http_request_free(r);
}

TEST(http1_req_absolute_form)
{
    struct http_request *r;
    enum http1_form f;
    struct err e = {0};
    const char *s = "GET http://example.com:8080/x?y=1 HTTP/1.1\r\nHost: example.com\r\n\r\n";
    ASSERT_EQ(preq(s, &r, &f, &e), strlen(s));
    ASSERT_EQ(f, HTTP1_FORM_ABSOLUTE);
    ASSERT_STREQ(r->scheme, "http");
    ASSERT_STREQ(r->host, "example.com");
    ASSERT_EQ(r->port, 8080);
    ASSERT_STREQ(r->path, "/x?y=1");
    ASSERT_STREQ(r->authority, ""); /* as mitmproxy 8.1.1 stores it */
    http_request_free(r);

    s = "GET https://example.com HTTP/1.1\r\n\r\n";
    ASSERT_EQ(preq(s, &r, &f, &e), strlen(s));
    ASSERT_STREQ(r->scheme, "https");
    ASSERT_EQ(r->port, 443);
    ASSERT_STREQ(r->path, "/");
    http_request_free(r);

    s = "POST http://[::1]/p HTTP/1.0\r\n\r\n";
    ASSERT_EQ(preq(s, &r, &f, &e), strlen(s));
    ASSERT_STREQ(r->host, "::1");
    ASSERT_EQ(r->port, 80);
    ASSERT_STREQ(r->path, "/p");
    ASSERT_STREQ(r->http_version, "HTTP/1.0");
    http_request_free(r);

    s = "GET http://h?q HTTP/1.1\r\n\r\n";
    ASSERT_EQ(preq(s, &r, &f, &e), strlen(s));
    ASSERT_STREQ(r->path, "/?q");
    http_request_free(r);
}

TEST(http1_req_absolute_form_bad)
{
    req_fails("GET ftp://example.com/ HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "scheme");
    req_fails("GET http:///x HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "host");
    req_fails("GET http://user@host/x HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "host");
    req_fails("GET http://host:99999/ HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "port");
    req_fails("GET http://host:/ HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "port");
    req_fails("GET example.com HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "target");
}

TEST(http1_req_authority_form)
{
    struct http_request *r;
    enum http1_form f;
    struct err e = {0};
    const char *s = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
    ASSERT_EQ(preq(s, &r, &f, &e), strlen(s));
    ASSERT_EQ(f, HTTP1_FORM_AUTHORITY);
    ASSERT_STREQ(r->host, "example.com");
    ASSERT_EQ(r->port, 443);
    ASSERT_STREQ(r->authority, "example.com:443");
    ASSERT_STREQ(r->path, "");
    http_request_free(r);

    s = "CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n\r\n";
    ASSERT_EQ(preq(s, &r, &f, &e), strlen(s));
    ASSERT_STREQ(r->host, "2001:db8::1");
    ASSERT_EQ(r->port, 8443);
    ASSERT_STREQ(r->authority, "[2001:db8::1]:8443");
    http_request_free(r);

    req_fails("CONNECT example.com HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "CONNECT");
    req_fails("CONNECT :443 HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "CONNECT");
    req_fails("CONNECT [::1 HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "CONNECT");
}

TEST(http1_req_asterisk_form)
{
    struct http_request *r;
    enum http1_form f;
    struct err e = {0};
    const char *s = "OPTIONS * HTTP/1.1\r\n\r\n";
    ASSERT_EQ(preq(s, &r, &f, &e), strlen(s));
    ASSERT_EQ(f, HTTP1_FORM_ASTERISK);
    ASSERT_STREQ(r->path, "*");
    http_request_free(r);
}

/* ---- request heads: incremental parsing ---- */

TEST(http1_req_incomplete_every_prefix)
{
    const char *s = "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n";
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        struct http_request *r;
        struct err e = {0};
        ssize_t n = http1_parse_request_head((const uint8_t *)s, i, lim(), &r, NULL, &e);
        if (n != MP_ERR_INCOMPLETE)
            test_fail(__FILE__, __LINE__, "prefix %zu: got %zd (%s)", i, n, e.msg);
        ASSERT(r == NULL);
    }
}

TEST(http1_req_pipelined)
{
    const char *s = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
    struct http_request *r;
    struct err e = {0};
    ssize_t n = preq(s, &r, NULL, &e);
    ASSERT_EQ(n, strlen(s) / 2);
    ASSERT_STREQ(r->path, "/1");
    http_request_free(r);
    ASSERT_EQ(preq(s + n, &r, NULL, &e), strlen(s) / 2);
    ASSERT_STREQ(r->path, "/2");
    http_request_free(r);
}

TEST(http1_req_leading_empty_lines_skipped)
{
    const char *s = "\r\n\nGET / HTTP/1.1\r\n\r\n";
    struct http_request *r;
    struct err e = {0};
    ASSERT_EQ(preq(s, &r, NULL, &e), strlen(s));
    ASSERT_STREQ(r->method, "GET");
    http_request_free(r);
    ASSERT_EQ(preq("\r\n", &r, NULL, &e), MP_ERR_INCOMPLETE);
    ASSERT_EQ(preq("\r", &r, NULL, &e), MP_ERR_INCOMPLETE);
}

TEST(http1_req_bare_lf_accepted)
{
    const char *s = "GET / HTTP/1.1\nHost: a\r\nB: c\n\n";
    struct http_request *r;
    struct err e = {0};
    ASSERT_EQ(preq(s, &r, NULL, &e), strlen(s));
    ASSERT_EQ(r->headers.n, 2);
    ASSERT_STREQ(r->headers.v[0].value, "a");
    ASSERT_STREQ(r->headers.v[1].value, "c");
    http_request_free(r);
}

TEST(http1_req_latin1_value_kept)
{
    const char *s = "GET / HTTP/1.1\r\nX-L: caf\xe9 \xff\r\n\r\n";
    struct http_request *r;
    struct err e = {0};
    ASSERT_EQ(preq(s, &r, NULL, &e), strlen(s));
    ASSERT_MEMEQ(r->headers.v[0].value, r->headers.v[0].value_len, "caf\xe9 \xff", 6);
    http_request_free(r);
}

/* ---- request heads: limits ---- */

TEST(http1_limit_request_line)
{
    size_t max = lim()->max_line, n = max + 1000;
    ASSERT(max >= 64 * 1024); /* long query strings pass, as through mitmproxy */
    char *s = xmalloc(n);
    memset(s, 'a', n);
    memcpy(s, "GET /", 5);
    struct http_request *r;
    struct err e = {0};
    /* Refused before the line ends, so a client cannot make us buffer. */
    ASSERT_EQ(http1_parse_request_head((uint8_t *)s, n, lim(), &r, NULL, &e), MP_ERR_LIMIT);
    ASSERT(strstr(e.msg, "request line too long"));
    memcpy(s + max - 100, " HTTP/1.1\r\n\r\n", 13);
    ASSERT_EQ(http1_parse_request_head((uint8_t *)s, max - 87, lim(), &r, NULL, &e), max - 87);
    http_request_free(r);
    free(s);
}

TEST(http1_limit_header_count)
{
    struct buf b = BUF_INIT;
    size_t max = lim()->max_headers;
    buf_append_str(&b, "GET / HTTP/1.1\r\n");
    for (size_t i = 0; i < max + 1; i++)
        buf_printf(&b, "X-%zu: v\r\n", i);
    buf_append_str(&b, "\r\n");
    struct http_request *r;
    struct err e = {0};
    ASSERT_EQ(http1_parse_request_head(buf_ptr(&b), b.len, lim(), &r, NULL, &e), MP_ERR_LIMIT);
    ASSERT(strstr(e.msg, "too many header fields"));
    /* The limit itself is fine. */
    struct buf ok = BUF_INIT;
    buf_append_str(&ok, "GET / HTTP/1.1\r\n");
    for (size_t i = 0; i < max; i++)
        buf_printf(&ok, "X-%zu: v\r\n", i);
    buf_append_str(&ok, "\r\n");
    ASSERT_EQ(http1_parse_request_head(buf_ptr(&ok), ok.len, lim(), &r, NULL, &e), ok.len);
    ASSERT_EQ(r->headers.n, max);
    http_request_free(r);
    buf_clear(&b);
    buf_clear(&ok);
}

TEST(http1_limit_head_size)
{
    struct buf b = BUF_INIT;
    buf_append_str(&b, "GET / HTTP/1.1\r\n");
    for (size_t i = 0; i < lim()->max_head / 4000 + 1; i++) {
        buf_printf(&b, "X-%zu: ", i);
        for (int j = 0; j < 4000; j++)
            buf_append(&b, "v", 1);
        buf_append_str(&b, "\r\n");
    }
    struct http_request *r;
    struct err e = {0};
    /* Incomplete but already too large. */
    ASSERT_EQ(http1_parse_request_head(buf_ptr(&b), b.len, lim(), &r, NULL, &e), MP_ERR_LIMIT);
    ASSERT(strstr(e.msg, "header section too large"));
    buf_append_str(&b, "\r\n");
    ASSERT_EQ(http1_parse_request_head(buf_ptr(&b), b.len, lim(), &r, NULL, &e), MP_ERR_LIMIT);
    /* A smaller limit applies to a small head too. */
    struct http1_limits l = *lim();
    l.max_head = 20;
    const char *s = "GET / HTTP/1.1\r\nA: b\r\n\r\n";
    ASSERT_EQ(http1_parse_request_head((const uint8_t *)s, strlen(s), &l, &r, NULL, &e),
              MP_ERR_LIMIT);
    buf_clear(&b);
}

TEST(http1_limit_empty_lines)
{
    size_t n = lim()->max_line + 10;
    char *s = xmalloc(n);
    memset(s, '\n', n);
    struct http_request *r;
    struct err e = {0};
    ASSERT_EQ(http1_parse_request_head((uint8_t *)s, n, lim(), &r, NULL, &e), MP_ERR_LIMIT);
    free(s);
}

/* ---- request heads: smuggling defences ---- */

TEST(http1_obs_fold_refused)
{
    req_fails("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", MP_ERR_PROTOCOL, "folding");
    req_fails("GET / HTTP/1.1\r\n\tX: a\r\n\r\n", MP_ERR_PROTOCOL, "folding");
}

TEST(http1_bare_cr_refused)
{
    req_fails("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", MP_ERR_PROTOCOL, "bare CR");
    req_fails("GET /\r HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "bare CR");
    req_fails("GET / HTTP/1.1\r\r\n\r\n", MP_ERR_PROTOCOL, "bare CR");
    req_fails("GET / HTTP/1.1\r\nX: a\r\r\n\r\n", MP_ERR_PROTOCOL, "bare CR");
    req_fails("GET / HTTP/1.1\r\n\rX: a\r\n\r\n", MP_ERR_PROTOCOL, "bare CR");
}

TEST(http1_nul_refused)
{
    static const char s[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
    struct http_request *r;
    struct err e = {0};
    ASSERT_EQ(http1_parse_request_head((const uint8_t *)s, sizeof(s) - 1, lim(), &r, NULL, &e),
              MP_ERR_PROTOCOL);
    ASSERT(strstr(e.msg, "NUL"));
    static const char s2[] = "GET /\0 HTTP/1.1\r\n\r\n";
    ASSERT_EQ(http1_parse_request_head((const uint8_t *)s2, sizeof(s2) - 1, lim(), &r, NULL, &e),
              MP_ERR_PROTOCOL);
}

TEST(http1_space_before_colon_refused)
{
    req_fails("GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\n", MP_ERR_PROTOCOL, "colon");
    req_fails("GET / HTTP/1.1\r\nX\t: 5\r\n\r\n", MP_ERR_PROTOCOL, "colon");
}

TEST(http1_bad_field_name_refused)
{
    req_fails("GET / HTTP/1.1\r\nX(y): 1\r\n\r\n", MP_ERR_PROTOCOL, "field name");
    req_fails("GET / HTTP/1.1\r\n: 1\r\n\r\n", MP_ERR_PROTOCOL, "empty");
    req_fails("GET / HTTP/1.1\r\nNoColon\r\n\r\n", MP_ERR_PROTOCOL, "colon");
    req_fails("GET / HTTP/1.1\r\nX\xe9: 1\r\n\r\n", MP_ERR_PROTOCOL, "field name");
}

TEST(http1_bad_request_line_refused)
{
    req_fails("G(T / HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "method");
    req_fails(" GET / HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "method");
    req_fails("GET  / HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "target");
    req_fails("GET / HTTP/1.1 \r\n\r\n", MP_ERR_PROTOCOL, "version");
    req_fails("GET / HTTP/11\r\n\r\n", MP_ERR_PROTOCOL, "version");
    req_fails("GET / http/1.1\r\n\r\n", MP_ERR_PROTOCOL, "version");
    req_fails("GET /\r\n\r\n", MP_ERR_PROTOCOL, "target");
    req_fails("GET\r\n\r\n", MP_ERR_PROTOCOL, "method");
    req_fails("GET /a\x7f HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "target");
}

/* ---- request body framing ---- */

static int
req_body(const char *head, struct http1_body *b, struct err *e)
{
    struct http_request *r;
    ssize_t n = preq(head, &r, NULL, e);
    if (n < 0)
        test_fail(__FILE__, __LINE__, "head '%s' refused: %s", head, e->msg);
    int rc = http1_request_body(r, b, e);
    http_request_free(r);
    return rc;
}

#define BODY_OK(head, k, len)                                                                      \
    do {                                                                                           \
        struct http1_body bd_;                                                                     \
        struct err e_ = {0};                                                                       \
        ASSERT_EQ(req_body(head, &bd_, &e_), 0);                                                   \
        ASSERT_EQ(bd_.kind, k);                                                                    \
        ASSERT_EQ(bd_.length, len);                                                                \
    } while (0)

#define BODY_BAD(head, part)                                                                       \
    do {                                                                                           \
        struct http1_body bd_;                                                                     \
        struct err e_ = {0};                                                                       \
        ASSERT_EQ(req_body(head, &bd_, &e_), MP_ERR_PROTOCOL);                                     \
        if (!strstr(e_.msg, part))                                                                 \
            test_fail(__FILE__, __LINE__, "message '%s' lacks '%s'", e_.msg, part);                \
    } while (0)

TEST(http1_req_body_framing)
{
    BODY_OK("GET / HTTP/1.1\r\n\r\n", HTTP1_BODY_NONE, 0);
    BODY_OK("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n", HTTP1_BODY_LENGTH, 12);
    BODY_OK("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", HTTP1_BODY_LENGTH, 0);
    BODY_OK("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP1_BODY_CHUNKED, 0);
    BODY_OK("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", HTTP1_BODY_CHUNKED, 0);
    BODY_OK("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
            HTTP1_BODY_CHUNKED, 0);
    BODY_OK("POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n", HTTP1_BODY_LENGTH,
            INT64_MAX);
}

TEST(http1_content_length_duplicates)
{
    /* Identical repeats are one value (RFC 9110 section 8.6). */
    BODY_OK("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", HTTP1_BODY_LENGTH, 5);
    BODY_OK("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", HTTP1_BODY_LENGTH,
            5);
    BODY_BAD("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", "conflicting");
    BODY_BAD("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n", "conflicting");
}

TEST(http1_content_length_malformed)
{
    BODY_BAD("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "Content-Length");
    BODY_BAD("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", "Content-Length");
    BODY_BAD("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", "Content-Length");
    BODY_BAD("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", "Content-Length");
    BODY_BAD("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", "Content-Length");
    BODY_BAD("POST / HTTP/1.1\r\nContent-Length: 5,\r\n\r\n", "Content-Length");
    BODY_BAD("POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n", "too large");
    BODY_BAD("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", "too large");
}

TEST(http1_cl_and_te_refused)
{
    BODY_BAD("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "both");
    BODY_BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", "both");
}

TEST(http1_te_not_final_chunked_refused)
{
    BODY_BAD("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "chunked");
    BODY_BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "last");
    BODY_BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "last");
    BODY_BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
             "last");
    BODY_BAD("POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n", "unknown");
    BODY_BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", "unknown");
    BODY_BAD("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", "unknown");
    BODY_BAD("POST / HTTP/1.1\r\nTransfer-Encoding: ,chunked\r\n\r\n", "unknown");
    BODY_BAD("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\xe9\r\n\r\n", "unknown");
}

/* ---- response heads ---- */

TEST(http1_resp_status_line)
{
    struct http_response *r;
    struct err e = {0};
    const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    ASSERT_EQ(presp(s, &r, &e), strlen(s));
    ASSERT_STREQ(r->http_version, "HTTP/1.1");
    ASSERT_EQ(r->status_code, 200);
    ASSERT_STREQ(r->reason, "OK");
    ASSERT_EQ(r->headers.n, 1);
    http_response_free(r);

    s = "HTTP/1.0 404 Not  Found here \xe9\r\n\r\n";
    ASSERT_EQ(presp(s, &r, &e), strlen(s));
    ASSERT_EQ(r->status_code, 404);
    ASSERT_STREQ(r->reason, "Not  Found here \xe9");
    http_response_free(r);

    s = "HTTP/1.1 204 \r\n\r\n";
    ASSERT_EQ(presp(s, &r, &e), strlen(s));
    ASSERT_STREQ(r->reason, "");
    http_response_free(r);

    s = "HTTP/1.1 200\n\n";
    ASSERT_EQ(presp(s, &r, &e), strlen(s));
    ASSERT_STREQ(r->reason, "");
    http_response_free(r);
}

TEST(http1_resp_bad_status_line)
{
    resp_fails("HTTP/1.1 20 OK\r\n\r\n", MP_ERR_PROTOCOL, "3 digits");
    resp_fails("HTTP/1.1 2000 OK\r\n\r\n", MP_ERR_PROTOCOL, "3 digits");
    resp_fails("HTTP/1.1 abc OK\r\n\r\n", MP_ERR_PROTOCOL, "3 digits");
    resp_fails("HTTP/1.1 099 OK\r\n\r\n", MP_ERR_PROTOCOL, "3 digits");
    resp_fails("HTTP/1.1  200 OK\r\n\r\n", MP_ERR_PROTOCOL, NULL);
    resp_fails("HTTX/1.1 200 OK\r\n\r\n", MP_ERR_PROTOCOL, "version");
    resp_fails("HTTP/1.1\r\n\r\n", MP_ERR_PROTOCOL, "version");
    resp_fails("HTTP/1.1 20\r\n\r\n", MP_ERR_PROTOCOL, "3 digits");
    resp_fails("HTTP/1.1 \r\n\r\n", MP_ERR_PROTOCOL, "3 digits");
    resp_fails("HTTP/1.1 200 O\rK\r\n\r\n", MP_ERR_PROTOCOL, "bare CR");
    resp_fails("HTTP/1.1 200 OK\r\nX : y\r\n\r\n", MP_ERR_PROTOCOL, "colon");
    resp_fails("HTTP/1.1 200 OK\r\nX: y\r\n z\r\n\r\n", MP_ERR_PROTOCOL, "folding");
    resp_fails("HTTP/1.1 200 OK\r\n", MP_ERR_INCOMPLETE, NULL);
}

static int
resp_body(const char *method, const char *head, struct http1_body *b)
{
    struct http_response *r;
    struct err e = {0};
    if (presp(head, &r, &e) < 0)
        test_fail(__FILE__, __LINE__, "head '%s' refused: %s", head, e.msg);
    int rc = http1_response_body(method, r, b, &e);
    http_response_free(r);
    return rc;
}

TEST(http1_resp_body_framing)
{
    struct http1_body b;
    const char *cl = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n";
    ASSERT_EQ(resp_body("GET", cl, &b), 0);
    ASSERT_EQ(b.kind, HTTP1_BODY_LENGTH);
    ASSERT_EQ(b.length, 7);
    ASSERT_EQ(resp_body("HEAD", cl, &b), 0);
    ASSERT_EQ(b.kind, HTTP1_BODY_NONE);
    ASSERT_EQ(resp_body("GET", "HTTP/1.1 100 Continue\r\n\r\n", &b), 0);
    ASSERT_EQ(b.kind, HTTP1_BODY_NONE);
    ASSERT_EQ(resp_body("GET", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", &b), 0);
    ASSERT_EQ(b.kind, HTTP1_BODY_NONE);
    ASSERT_EQ(resp_body("GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", &b), 0);
    ASSERT_EQ(b.kind, HTTP1_BODY_NONE);
    ASSERT_EQ(resp_body("CONNECT", "HTTP/1.1 200 Connection established\r\n\r\n", &b), 0);
    ASSERT_EQ(b.kind, HTTP1_BODY_NONE);
    ASSERT_EQ(resp_body("CONNECT", "HTTP/1.1 407 Auth\r\nContent-Length: 3\r\n\r\n", &b), 0);
    ASSERT_EQ(b.kind, HTTP1_BODY_LENGTH);
    ASSERT_EQ(resp_body("GET", "HTTP/1.1 200 OK\r\n\r\n", &b), 0);
    ASSERT_EQ(b.kind, HTTP1_BODY_UNTIL_CLOSE);
    ASSERT_EQ(resp_body("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", &b), 0);
    ASSERT_EQ(b.kind, HTTP1_BODY_UNTIL_CLOSE);
    ASSERT_EQ(resp_body("GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &b), 0);
    ASSERT_EQ(b.kind, HTTP1_BODY_CHUNKED);
    ASSERT_EQ(resp_body("GET",
                        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n",
                        &b),
              MP_ERR_PROTOCOL);
    ASSERT_EQ(resp_body("GET", "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", &b),
              MP_ERR_PROTOCOL);
}

/* ---- body reader ---- */

/* Reads a whole body fed in pieces of step bytes (0: all at once). */
static ssize_t
read_body(const struct http1_body *b, const char *s, size_t len, size_t step, struct buf *out,
          struct hdrs **trailers, struct err *e)
{
    struct http1_body_reader r;
    http1_body_reader_init(&r, b, lim());
    size_t off = 0;
    while (!r.done && off < len) {
        size_t n = step && len - off > step ? step : len - off;
        ssize_t got = http1_body_read(&r, (const uint8_t *)s + off, n, out, e);
        if (got < 0) {
            http1_body_reader_clear(&r);
            return got;
        }
        /* The reader takes everything it is given until the body ends. */
        if (!r.done && (size_t)got != n)
            test_fail(__FILE__, __LINE__, "took %zd of %zu before done", got, n);
        off += (size_t)got;
    }
    if (!r.done) {
        http1_body_reader_clear(&r);
        return MP_ERR_INCOMPLETE;
    }
    if (trailers)
        *trailers = http1_body_take_trailers(&r);
    http1_body_reader_clear(&r);
    return (ssize_t)off;
}

static const struct http1_body chunked = {HTTP1_BODY_CHUNKED, 0};

TEST(http1_body_length_pipelined)
{
    struct http1_body b = {HTTP1_BODY_LENGTH, 5};
    const char *s = "hello GET / HTTP/1.1\r\n\r\n";
    struct buf out = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(read_body(&b, s, strlen(s), 0, &out, NULL, &e), 5);
    ASSERT_BUF_STR(&out, "hello");
    buf_reset(&out);
    ASSERT_EQ(read_body(&b, s, strlen(s), 1, &out, NULL, &e), 5);
    ASSERT_BUF_STR(&out, "hello");
    buf_clear(&out);

    /* Zero length and no body are done at once. */
    struct http1_body_reader r;
    struct http1_body z = {HTTP1_BODY_LENGTH, 0};
    http1_body_reader_init(&r, &z, lim());
    ASSERT(r.done);
    ASSERT_EQ(http1_body_read(&r, (const uint8_t *)"x", 1, &out, &e), 0);
    ASSERT_EQ(http1_body_eof(&r, &e), 0);
    http1_body_reader_clear(&r);
    struct http1_body none = {HTTP1_BODY_NONE, 0};
    http1_body_reader_init(&r, &none, lim());
    ASSERT(r.done);
    http1_body_reader_clear(&r);
}

TEST(http1_body_chunked_trailers_every_split)
{
    const char *s = "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n"
                    "Trailer-One: a\r\nX-Checksum:  abc \r\n\r\nNEXT";
    size_t len = strlen(s) - 4;
    for (size_t step = 0; step <= len; step++) {
        struct buf out = BUF_INIT;
        struct hdrs *t = NULL;
        struct err e = {0};
        ssize_t n = read_body(&chunked, s, strlen(s), step, &out, &t, &e);
        if (n != (ssize_t)len)
            test_fail(__FILE__, __LINE__, "step %zu: got %zd (%s)", step, n, e.msg);
        ASSERT_BUF_STR(&out, "helloabcdefghijklmnopqrstuvwxyz");
        ASSERT(t != NULL);
        ASSERT_EQ(t->n, 2);
        ASSERT_STREQ(t->v[0].name, "Trailer-One");
        ASSERT_STREQ(t->v[1].value, "abc");
        hdrs_clear(t);
        free(t);
        buf_clear(&out);
    }
}

TEST(http1_body_chunked_split_in_two)
{
    const char *s = "3\r\nabc\r\n0\r\nT: v\r\n\r\n";
    size_t len = strlen(s);
    for (size_t cut = 0; cut <= len; cut++) {
        struct http1_body_reader r;
        struct buf out = BUF_INIT;
        struct err e = {0};
        http1_body_reader_init(&r, &chunked, lim());
        ASSERT_EQ(http1_body_read(&r, (const uint8_t *)s, cut, &out, &e), cut);
        ASSERT_EQ(http1_body_read(&r, (const uint8_t *)s + cut, len - cut, &out, &e), len - cut);
        ASSERT(r.done);
        ASSERT_BUF_STR(&out, "abc");
        ASSERT_EQ(r.received, 3);
        ASSERT_STREQ(r.trailers->v[0].value, "v");
        http1_body_reader_clear(&r);
        buf_clear(&out);
    }
}

TEST(http1_body_chunked_no_trailers)
{
    const char *s = "0\r\n\r\n";
    struct buf out = BUF_INIT;
    struct hdrs *t = (void *)1;
    struct err e = {0};
    ASSERT_EQ(read_body(&chunked, s, strlen(s), 0, &out, &t, &e), 5);
    ASSERT(t == NULL);
    ASSERT_EQ(out.len, 0);
    /* Upper-case hex and leading zeros. */
    s = "0000A\r\n0123456789\r\n0\r\n\r\n";
    ASSERT_EQ(read_body(&chunked, s, strlen(s), 0, &out, &t, &e), strlen(s));
    ASSERT_BUF_STR(&out, "0123456789");
    buf_clear(&out);
}

static void
chunk_fails(const char *s, int code, const char *part)
{
    for (size_t step = 0; step < 2; step++) {
        struct buf out = BUF_INIT;
        struct err e = {0};
        ssize_t n = read_body(&chunked, s, strlen(s), step, &out, NULL, &e);
        buf_clear(&out);
        if (n != code)
            test_fail(__FILE__, __LINE__, "'%s' step %zu: got %zd, want %d (%s)", s, step, n, code,
                      e.msg);
        if (part && !strstr(e.msg, part))
            test_fail(__FILE__, __LINE__, "'%s': message '%s' lacks '%s'", s, e.msg, part);
    }
}

TEST(http1_bad_chunk_size)
{
    chunk_fails("zz\r\n", MP_ERR_PROTOCOL, "no hex digits");
    chunk_fails("\r\n", MP_ERR_PROTOCOL, "no hex digits");
    chunk_fails(";ext\r\n", MP_ERR_PROTOCOL, "no hex digits");
    chunk_fails("-1\r\n", MP_ERR_PROTOCOL, "no hex digits");
    chunk_fails("5x\r\nhello\r\n", MP_ERR_PROTOCOL, "junk");
    chunk_fails("0x5\r\nhello\r\n", MP_ERR_PROTOCOL, "junk");
    chunk_fails("5 5\r\nhello\r\n", MP_ERR_PROTOCOL, "junk");
    /* 2^63 and beyond overflow; 2^63 - 1 is the largest size. */
    chunk_fails("8000000000000000\r\n", MP_ERR_PROTOCOL, "too large");
    chunk_fails("10000000000000000\r\n", MP_ERR_PROTOCOL, "too large");
    chunk_fails("7fffffffffffffff\r\n", MP_ERR_INCOMPLETE, NULL);
    chunk_fails("5\n", MP_ERR_PROTOCOL, "CRLF");
    chunk_fails("5\r\r\n", MP_ERR_PROTOCOL, "bare CR");
}

TEST(http1_chunk_data_crlf_required)
{
    chunk_fails("3\r\nabcX\r\n0\r\n\r\n", MP_ERR_PROTOCOL, "CRLF");
    chunk_fails("3\r\nabc\rX0\r\n\r\n", MP_ERR_PROTOCOL, "CRLF");
    chunk_fails("3\r\nabc\n0\r\n\r\n", MP_ERR_PROTOCOL, "CRLF");
}

TEST(http1_bad_trailer)
{
    chunk_fails("0\r\nX : y\r\n\r\n", MP_ERR_PROTOCOL, "colon");
    chunk_fails("0\r\nX: y\r\n z\r\n\r\n", MP_ERR_PROTOCOL, "folding");
    chunk_fails("0\r\nX: y\n\r\n", MP_ERR_PROTOCOL, "CRLF");
}

TEST(http1_limit_chunk_line)
{
    struct buf b = BUF_INIT;
    buf_append_str(&b, "5;");
    for (int i = 0; i < 5000; i++)
        buf_append(&b, "x", 1);
    struct buf out = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(read_body(&chunked, (char *)buf_ptr(&b), b.len, 0, &out, NULL, &e), MP_ERR_LIMIT);
    ASSERT(strstr(e.msg, "chunk-size line too long"));
    ASSERT_EQ(read_body(&chunked, (char *)buf_ptr(&b), b.len, 7, &out, NULL, &e), MP_ERR_LIMIT);
    buf_clear(&b);
    buf_clear(&out);
}

TEST(http1_limit_trailers)
{
    struct buf b = BUF_INIT;
    buf_append_str(&b, "0\r\n");
    for (size_t i = 0; i < lim()->max_headers + 1; i++)
        buf_printf(&b, "T-%zu: v\r\n", i);
    buf_append_str(&b, "\r\n");
    struct buf out = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(read_body(&chunked, (char *)buf_ptr(&b), b.len, 0, &out, NULL, &e), MP_ERR_LIMIT);
    ASSERT(strstr(e.msg, "too many trailer fields"));
    buf_reset(&b);
    buf_append_str(&b, "0\r\n");
    for (size_t i = 0; i < lim()->max_head / 4000 + 1; i++) {
        buf_printf(&b, "T-%zu: ", i);
        for (int j = 0; j < 4000; j++)
            buf_append(&b, "v", 1);
        buf_append_str(&b, "\r\n");
    }
    ASSERT_EQ(read_body(&chunked, (char *)buf_ptr(&b), b.len, 100, &out, NULL, &e), MP_ERR_LIMIT);
    ASSERT(strstr(e.msg, "trailer section too"));
    buf_clear(&b);
    buf_clear(&out);
}

TEST(http1_body_until_close)
{
    struct http1_body b = {HTTP1_BODY_UNTIL_CLOSE, 0};
    struct http1_body_reader r;
    struct buf out = BUF_INIT;
    struct err e = {0};
    http1_body_reader_init(&r, &b, lim());
    ASSERT_EQ(http1_body_read(&r, (const uint8_t *)"abc", 3, &out, &e), 3);
    ASSERT_EQ(http1_body_read(&r, (const uint8_t *)"de", 2, &out, &e), 2);
    ASSERT(!r.done);
    ASSERT_EQ(http1_body_eof(&r, &e), 0);
    ASSERT(r.done);
    ASSERT_BUF_STR(&out, "abcde");
    http1_body_reader_clear(&r);
    buf_clear(&out);
}

TEST(http1_body_eof_messages)
{
    struct http1_body b = {HTTP1_BODY_LENGTH, 10};
    struct http1_body_reader r;
    struct buf out = BUF_INIT;
    struct err e = {0};
    http1_body_reader_init(&r, &b, lim());
    ASSERT_EQ(http1_body_read(&r, (const uint8_t *)"abc", 3, &out, &e), 3);
    ASSERT_EQ(http1_body_eof(&r, &e), MP_ERR_PROTOCOL);
    ASSERT_STREQ(e.msg, "peer closed connection without sending complete message body "
                        "(received 3 bytes, expected 10)");
    http1_body_reader_clear(&r);

    http1_body_reader_init(&r, &chunked, lim());
    ASSERT_EQ(http1_body_read(&r, (const uint8_t *)"5\r\nab", 5, &out, &e), 5);
    ASSERT_EQ(http1_body_eof(&r, &e), MP_ERR_PROTOCOL);
    ASSERT_STREQ(e.msg, "peer closed connection without sending complete message body "
                        "(incomplete chunked read)");
    http1_body_reader_clear(&r);
    buf_clear(&out);
}

/* ---- serializers ---- */

TEST(http1_roundtrip_request)
{
    const char *s = "POST /up?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Dup: 1\r\n"
                    "x-dup: 2\r\nCONTENT-length: 0\r\nX-Latin: \xe9t\xe9\r\n\r\n";
    struct http_request *r;
    enum http1_form f;
    struct err e = {0};
    ASSERT_EQ(preq(s, &r, &f, &e), strlen(s));
    struct buf out = BUF_INIT;
    http1_write_request_head(&out, r, f);
    ASSERT_BUF_STR(&out, s);
    http_request_free(r);
    buf_clear(&out);
}

TEST(http1_roundtrip_response)
{
    const char *s = "HTTP/1.1 404 Not Found\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n"
                    "Content-Length: 3\r\n\r\n";
    struct http_response *r;
    struct err e = {0};
    ASSERT_EQ(presp(s, &r, &e), strlen(s));
    struct buf out = BUF_INIT;
    http1_write_response_head(&out, r);
    ASSERT_BUF_STR(&out, s);
    http_response_free(r);
    buf_clear(&out);
}

TEST(http1_write_request_forms)
{
    struct http_request *r;
    enum http1_form f;
    struct err e = {0};
    struct buf out = BUF_INIT;
    ASSERT(preq("GET http://example.com:8080/p HTTP/1.1\r\n\r\n", &r, &f, &e) > 0);
    http1_write_request_head(&out, r, HTTP1_FORM_ABSOLUTE);
    ASSERT_BUF_STR(&out, "GET http://example.com:8080/p HTTP/1.1\r\n\r\n");
    buf_reset(&out);
    http1_write_request_head(&out, r, HTTP1_FORM_ORIGIN);
    ASSERT_BUF_STR(&out, "GET /p HTTP/1.1\r\n\r\n");
    buf_reset(&out);
    http1_write_request_head(&out, r, HTTP1_FORM_AUTHORITY);
    ASSERT_BUF_STR(&out, "GET example.com:8080 HTTP/1.1\r\n\r\n");
    buf_reset(&out);
    r->port = 80;
    http_set_str(&r->host, "::1");
    http1_write_request_head(&out, r, HTTP1_FORM_ABSOLUTE);
    ASSERT_BUF_STR(&out, "GET http://[::1]/p HTTP/1.1\r\n\r\n");
    buf_reset(&out);
    http_set_str(&r->path, "");
    http1_write_request_head(&out, r, HTTP1_FORM_ORIGIN);
    ASSERT_BUF_STR(&out, "GET / HTTP/1.1\r\n\r\n");
    buf_reset(&out);
    http_request_free(r);

    ASSERT(preq("CONNECT example.com:443 HTTP/1.1\r\n\r\n", &r, &f, &e) > 0);
    http1_write_request_head(&out, r, f);
    ASSERT_BUF_STR(&out, "CONNECT example.com:443 HTTP/1.1\r\n\r\n");
    http_request_free(r);
    buf_clear(&out);
}

TEST(http1_write_chunks)
{
    struct buf out = BUF_INIT;
    http1_write_chunk(&out, (const uint8_t *)"", 0);
    ASSERT_EQ(out.len, 0);
    char big[300];
    memset(big, 'x', sizeof(big));
    http1_write_chunk(&out, (const uint8_t *)"hello", 5);
    http1_write_chunk(&out, (const uint8_t *)big, sizeof(big));
    struct hdrs t = HDRS_INIT;
    hdrs_add_cstr(&t, "X-Sum", "1");
    http1_write_last_chunk(&out, &t);
    ASSERT_MEMEQ(buf_ptr(&out), 10, "5\r\nhello\r\n", 10);
    ASSERT_MEMEQ(buf_ptr(&out) + 10, 5, "12c\r\n", 5);
    /* Our own output reads back. */
    struct buf body = BUF_INIT;
    struct hdrs *tr = NULL;
    struct err e = {0};
    ASSERT_EQ(read_body(&chunked, (char *)buf_ptr(&out), out.len, 0, &body, &tr, &e), out.len);
    ASSERT_EQ(body.len, 305);
    ASSERT_STREQ(tr->v[0].name, "X-Sum");
    hdrs_clear(tr);
    free(tr);
    buf_reset(&out);
    http1_write_last_chunk(&out, NULL);
    ASSERT_BUF_STR(&out, "0\r\n\r\n");
    hdrs_clear(&t);
    buf_clear(&out);
    buf_clear(&body);
}

/* ---- connection rules ---- */

TEST(http1_keep_alive_rules)
{
    struct hdrs h = HDRS_INIT;
    ASSERT(http1_keep_alive("HTTP/1.1", &h));
    ASSERT(!http1_keep_alive("HTTP/1.0", &h));
    hdrs_add_cstr(&h, "Connection", "Keep-Alive");
    ASSERT(http1_keep_alive("HTTP/1.0", &h));
    hdrs_set_cstr(&h, "Connection", "close");
    ASSERT(!http1_keep_alive("HTTP/1.1", &h));
    hdrs_set_cstr(&h, "Connection", "upgrade, CLOSE");
    ASSERT(!http1_keep_alive("HTTP/1.1", &h));
    hdrs_set_cstr(&h, "Connection", "upgrade");
    ASSERT(http1_keep_alive("HTTP/1.1", &h));
    ASSERT(!http1_keep_alive("HTTP/1.0", &h));
    hdrs_clear(&h);
}

TEST(http1_expects_continue_rule)
{
    struct http_request *r;
    struct err e = {0};
    ASSERT(preq("POST / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n", &r, NULL, &e) > 0);
    ASSERT(http1_expects_continue(r));
    http_request_free(r);
    ASSERT(preq("POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", &r, NULL, &e) > 0);
    ASSERT(!http1_expects_continue(r));
    http_request_free(r);
    ASSERT(preq("POST / HTTP/1.1\r\n\r\n", &r, NULL, &e) > 0);
    ASSERT(!http1_expects_continue(r));
    http_request_free(r);
    /* RFC 9110 section 10.1.1: ignored from HTTP/1.0 clients. */
    ASSERT(preq("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", &r, NULL, &e) > 0);
    ASSERT(!http1_expects_continue(r));
    http_request_free(r);
}

/* The request of flow #0 in get-query.mitm (../shared/fixtures/flows/schema-example.json),
 * as curl sent it to mitmproxy in regular mode. */
TEST(http1_req_matches_mitmproxy_fixture)
{
    const char *s = "GET http://127.0.0.1:18080/search?q=hello%20world&lang=en&lang=de&empty=&flag "
                    "HTTP/1.1\r\nHost: 127.0.0.1:18080\r\nUser-Agent: curl/7.88.1\r\n"
                    "Accept: */*\r\nProxy-Connection: Keep-Alive\r\n\r\n";
    struct http_request *r;
    enum http1_form f;
    struct err e = {0};
    ASSERT_EQ(preq(s, &r, &f, &e), strlen(s));
    ASSERT_EQ(f, HTTP1_FORM_ABSOLUTE);
    ASSERT_STREQ(r->path, "/search?q=hello%20world&lang=en&lang=de&empty=&flag");
    ASSERT_STREQ(r->authority, "");
    ASSERT_STREQ(r->scheme, "http");
    ASSERT_STREQ(r->method, "GET");
    ASSERT_EQ(r->port, 18080);
    ASSERT_STREQ(r->host, "127.0.0.1");
    ASSERT_STREQ(r->http_version, "HTTP/1.1");
    ASSERT_EQ(r->headers.n, 4);
    ASSERT_STREQ(r->headers.v[3].name, "Proxy-Connection");
    ASSERT_STREQ(r->headers.v[3].value, "Keep-Alive");
    char *u = http_request_url(r);
    ASSERT_STREQ(u, "http://127.0.0.1:18080/search?q=hello%20world&lang=en&lang=de&empty=&flag");
    free(u);
    http_request_free(r);
}

TEST(http1_write_http2_response_as_http11)
{
    struct http_response *r = http_response_new();
    http_set_str(&r->http_version, "HTTP/2.0");
    r->status_code = 404;
    hdrs_add_cstr(&r->headers, "content-length", "0");
    struct buf b = BUF_INIT;
    http1_write_response_head(&b, r);
    ASSERT_BUF_STR(&b, "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
    buf_clear(&b);
    http_response_free(r);
}
