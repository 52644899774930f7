#include "../lib/test.h"
#include "http/message.h"

static struct http_request *
req(const char *scheme, const char *host, int port, const char *path)
{
    struct http_request *r = http_request_new();
    http_set_str(&r->method, "GET");
    http_set_str(&r->scheme, scheme);
    http_set_str(&r->host, host);
    http_set_str(&r->path, path);
    http_set_str(&r->http_version, "HTTP/1.1");
    r->port = (uint16_t)port;
    return r;
}

#define ASSERT_URL(expr, want)                                                                     \
    do {                                                                                           \
        char *u_ = (expr);                                                                         \
        ASSERT_STREQ(u_, want);                                                                    \
        free(u_);                                                                                  \
    } while (0)

TEST(http_message_new_free_copy)
{
    struct http_request *r = http_request_new();
    ASSERT_STREQ(r->method, "");
    ASSERT_STREQ(r->authority, "");
    ASSERT(r->trailers == NULL);
    http_set_str(&r->method, "POST");
    http_set_str(&r->method, r->method); /* aliasing is safe */
    hdrs_add_cstr(&r->headers, "A", "1");
    buf_append_str(&r->content, "body");
    r->trailers = calloc(1, sizeof(*r->trailers));
    hdrs_add_cstr(r->trailers, "T", "x");
    struct http_request *c = http_request_copy(r);
    http_request_free(r);
    ASSERT_STREQ(c->method, "POST");
    ASSERT_STREQ(c->headers.v[0].value, "1");
    ASSERT_BUF_STR(&c->content, "body");
    ASSERT_STREQ(c->trailers->v[0].name, "T");
    http_request_free(c);

    struct http_response *s = http_response_new();
    ASSERT_STREQ(s->reason, "");
    s->status_code = 404;
    http_set_str(&s->reason, "Not Found");
    struct http_response *sc = http_response_copy(s);
    http_response_free(s);
    ASSERT_EQ(sc->status_code, 404);
    ASSERT_STREQ(sc->reason, "Not Found");
    ASSERT(sc->trailers == NULL);
    http_response_free(sc);
    http_request_free(NULL);
    http_response_free(NULL);
}

TEST(http_request_url_ports)
{
    struct http_request *r = req("http", "example.com", 80, "/a?b=c");
    ASSERT_URL(http_request_url(r), "http://example.com/a?b=c");
    r->port = 8080;
    ASSERT_URL(http_request_url(r), "http://example.com:8080/a?b=c");
    http_set_str(&r->scheme, "https");
    r->port = 443;
    ASSERT_URL(http_request_url(r), "https://example.com/a?b=c");
    r->port = 80;
    ASSERT_URL(http_request_url(r), "https://example.com:80/a?b=c");
    http_set_str(&r->host, "::1");
    ASSERT_URL(http_request_url(r), "https://[::1]:80/a?b=c");
    http_set_str(&r->path, "*");
    ASSERT_URL(http_request_url(r), "https://[::1]:80");
    http_request_free(r);
}

TEST(http_request_url_connect)
{
    struct http_request *r = req("", "example.com", 443, "");
    http_set_str(&r->method, "CONNECT");
    http_set_str(&r->authority, "example.com:443");
    ASSERT_URL(http_request_url(r), "example.com:443");
    ASSERT_URL(http_request_pretty_url(r), "example.com:443");
    http_request_free(r);
}

TEST(http_request_pretty_url_host_header)
{
    struct http_request *r = req("http", "10.0.0.1", 80, "/x");
    ASSERT_URL(http_request_pretty_url(r), "http://10.0.0.1/x");
    ASSERT_URL(http_request_host_header_or_host(r), "10.0.0.1");
    hdrs_add_cstr(&r->headers, "Host", "example.com:8080");
    ASSERT_URL(http_request_pretty_url(r), "http://example.com:8080/x");
    ASSERT_URL(http_request_host_header_or_host(r), "example.com:8080");
    hdrs_set_cstr(&r->headers, "host", "example.com");
    ASSERT_URL(http_request_pretty_url(r), "http://example.com/x");
    hdrs_set_cstr(&r->headers, "host", "[::1]:81");
    ASSERT_URL(http_request_pretty_url(r), "http://[::1]:81/x");
    ASSERT_URL(http_request_url(r), "http://10.0.0.1/x");
    http_request_free(r);
}

TEST(http_status_reasons)
{
    ASSERT_STREQ(http_status_reason(200), "OK");
    ASSERT_STREQ(http_status_reason(100), "Continue");
    ASSERT_STREQ(http_status_reason(404), "Not Found");
    ASSERT_STREQ(http_status_reason(418), "I'm a teapot");
    ASSERT_STREQ(http_status_reason(502), "Bad Gateway");
    ASSERT_STREQ(http_status_reason(511), "Network Authentication Required");
    ASSERT_STREQ(http_status_reason(299), "");
    ASSERT_STREQ(http_status_reason(-1), "");
}
