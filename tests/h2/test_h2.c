/* Header translation between our messages and HTTP/2 header blocks. */
#include <stdio.h>
#include <string.h>

#include "../lib/test.h"
#include "h2/h2.h"

/* The list as "name: value\n" lines. */
static void
nvs_text(const struct h2_nvs *v, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < v->n; i++)
        used += (size_t)snprintf(out + used, n - used, "%.*s: %.*s\n", (int)v->nv[i].namelen,
                                 v->nv[i].name, (int)v->nv[i].valuelen, v->nv[i].value);
}

static struct http_request *
h1_request(void)
{
    struct http_request *r = http_request_new();
    http_set_str(&r->method, "POST");
    http_set_str(&r->scheme, "https");
    http_set_str(&r->host, "example.com");
    r->port = 8443;
    http_set_str(&r->path, "/up?x=1");
    http_set_str(&r->http_version, "HTTP/1.1");
    hdrs_add_cstr(&r->headers, "Host", "example.com:8443");
    hdrs_add_cstr(&r->headers, "Connection", "keep-alive, X-Hop");
    hdrs_add_cstr(&r->headers, "Keep-Alive", "timeout=5");
    hdrs_add_cstr(&r->headers, "Transfer-Encoding", "chunked");
    hdrs_add_cstr(&r->headers, "TE", "gzip");
    hdrs_add_cstr(&r->headers, "X-Custom", "Value Kept");
    return r;
}

TEST(h2_request_nvs_from_http1)
{
    struct http_request *r = h1_request();
    struct h2_nvs v = {0};
    h2_request_nvs(r, &v);
    char text[1024];
    nvs_text(&v, text, sizeof(text));
    /* :authority from Host; hop-by-hop fields and a te other than "trailers" dropped. */
    ASSERT_STREQ(text, ":method: POST\n:scheme: https\n:authority: example.com:8443\n"
                       ":path: /up?x=1\nx-custom: Value Kept\n");
    h2_nvs_clear(&v);
    http_request_free(r);
}

TEST(h2_request_nvs_authority_without_host_header)
{
    struct http_request *r = http_request_new();
    http_set_str(&r->method, "GET");
    http_set_str(&r->scheme, "https");
    http_set_str(&r->host, "::1");
    r->port = 443;
    http_set_str(&r->path, "/");
    struct h2_nvs v = {0};
    h2_request_nvs(r, &v);
    char text[512];
    nvs_text(&v, text, sizeof(text));
    ASSERT_STREQ(text, ":method: GET\n:scheme: https\n:authority: [::1]\n:path: /\n");
    h2_nvs_clear(&v);
    http_request_free(r);
}

TEST(h2_response_nvs_sets_length_of_buffered_body)
{
    struct http_response *r = http_response_new();
    r->status_code = 404;
    hdrs_add_cstr(&r->headers, "Content-Length", "999");
    hdrs_add_cstr(&r->headers, "Content-Type", "text/plain");
    hdrs_add_cstr(&r->headers, "Connection", "close");
    buf_append_str(&r->content, "gone");
    struct h2_nvs v = {0};
    h2_response_nvs(r, 1, &v);
    char text[512];
    nvs_text(&v, text, sizeof(text));
    ASSERT_STREQ(text, ":status: 404\ncontent-type: text/plain\ncontent-length: 4\n");
    h2_nvs_clear(&v);
    /* A streamed or HEAD response keeps the server's length. */
    h2_response_nvs(r, 0, &v);
    nvs_text(&v, text, sizeof(text));
    ASSERT_STREQ(text, ":status: 404\ncontent-length: 999\ncontent-type: text/plain\n");
    h2_nvs_clear(&v);
    http_response_free(r);
}

static int
field(struct http_request *r, const char *name, const char *value, struct err *e)
{
    return h2_request_field(r, (const uint8_t *)name, strlen(name), (const uint8_t *)value,
                            strlen(value), e);
}

TEST(h2_request_fields_and_their_errors)
{
    struct http_request *r = http_request_new();
    struct err e = {0};
    ASSERT_EQ(field(r, ":method", "GET", &e), 0);
    ASSERT_EQ(field(r, ":scheme", "https", &e), 0);
    ASSERT_EQ(h2_request_check(r, &e), MP_ERR_PROTOCOL); /* no :path yet */
    ASSERT_EQ(field(r, ":path", "/a", &e), 0);
    ASSERT_EQ(field(r, ":authority", "h:1", &e), 0);
    ASSERT_EQ(h2_request_check(r, &e), 0);
    ASSERT_EQ(field(r, ":path", "/again", &e), MP_ERR_PROTOCOL);
    ASSERT_STREQ(e.msg, "repeated pseudo-header :path");
    ASSERT_EQ(field(r, ":bogus", "x", &e), MP_ERR_PROTOCOL);
    ASSERT_STREQ(e.msg, "unknown pseudo-header :bogus");
    ASSERT_EQ(field(r, "accept", "*/*", &e), 0);
    ASSERT_EQ(field(r, ":method", "PUT", &e), MP_ERR_PROTOCOL);
    ASSERT_STREQ(e.msg, "pseudo-header after regular header fields");
    ASSERT_STREQ(r->method, "GET");
    ASSERT_STREQ(r->path, "/a");
    ASSERT_STREQ(r->authority, "h:1");
    ASSERT_EQ(r->headers.n, 1);
    http_request_free(r);
}

TEST(h2_response_status_checked)
{
    struct http_response *r = http_response_new();
    struct err e = {0};
    const uint8_t *st = (const uint8_t *)":status";
    ASSERT_EQ(h2_response_field(r, st, 7, (const uint8_t *)"2x0", 3, &e), MP_ERR_PROTOCOL);
    ASSERT_EQ(h2_response_field(r, st, 7, (const uint8_t *)"2000", 4, &e), MP_ERR_PROTOCOL);
    ASSERT_EQ(h2_response_field(r, st, 7, (const uint8_t *)"204", 3, &e), 0);
    ASSERT_EQ(r->status_code, 204);
    ASSERT_EQ(h2_response_field(r, st, 7, (const uint8_t *)"200", 3, &e), MP_ERR_PROTOCOL);
    http_response_free(r);
}

TEST(h2_request_to_h1_host_first_cookies_joined)
{
    struct http_request *r = http_request_new();
    struct err e = {0};
    field(r, ":method", "GET", &e);
    field(r, ":scheme", "https", &e);
    field(r, ":authority", "example.com", &e);
    field(r, ":path", "/", &e);
    field(r, "cookie", "a=1", &e);
    field(r, "accept", "*/*", &e);
    field(r, "cookie", "b=2", &e);
    h2_request_to_h1(r);
    ASSERT_STREQ(r->http_version, "HTTP/1.1");
    ASSERT_STREQ(r->authority, "");
    ASSERT_EQ(r->headers.n, 3);
    ASSERT_STREQ(r->headers.v[0].name, "Host");
    ASSERT_STREQ(r->headers.v[0].value, "example.com");
    ASSERT_STREQ(hdrs_get(&r->headers, "cookie")->value, "a=1; b=2");
    http_request_free(r);
}

TEST(h2_connection_specific_fields)
{
    ASSERT(h2_connection_specific("Connection", 10));
    ASSERT(h2_connection_specific("upgrade", 7));
    ASSERT(h2_connection_specific("PROXY-CONNECTION", 16));
    ASSERT(!h2_connection_specific("content-length", 14));
    ASSERT(!h2_connection_specific("te", 2));
}
