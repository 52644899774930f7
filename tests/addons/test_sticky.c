/*
 * The stickycookie and stickyauth addons: responses set cookies, later
 * requests get them back (or the Authorization header), keyed as
 * mitmproxy's stickycookie.py and stickyauth.py key them.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "addons/traffic.h"
#include "flow/flow.h"
#include "flow/tnetstring.h"
#include "http/headers.h"
#include "http/message.h"
#include "options/opt.h"

static struct addon_chain *
chain_of(struct addon *a, const char *setting)
{
    struct options *o = opt_new();
    struct err e = {0};
    if (setting)
        ASSERT_EQ(opt_set_arg(o, setting, &e), 0);
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, a);
    int rc = addon_chain_configure(c, o, &e);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "configure: %s", e.msg);
    opt_free(o);
    return c;
}

static struct flow *
req_flow(const char *host, int port, const char *path)
{
    struct flow *f = flow_new_http(NULL, NULL);
    struct http_request *r = http_request_new();
    http_set_str(&r->method, "GET");
    http_set_str(&r->scheme, "http");
    http_set_str(&r->host, host);
    r->port = (uint16_t)port;
    http_set_str(&r->path, path);
    http_set_str(&r->http_version, "HTTP/1.1");
    f->request = r;
    return f;
}

static void
run(struct addon_chain *c, enum hook h, struct flow *f)
{
    struct hook_data d;
    struct hook_call call;
    hook_data_init(&d, h, f, NULL, NULL);
    addon_dispatch(c, &call, &d, NULL, NULL);
    hook_data_clear(&d);
}

/* A response from host:port/path carrying the given Set-Cookie headers (NULL-ended). */
static void
respond(struct addon_chain *c, const char *host, int port, const char *path,
        const char *const *set_cookies)
{
    struct flow *f = req_flow(host, port, path);
    f->response = http_response_new();
    f->response->status_code = 200;
    for (; *set_cookies; set_cookies++)
        hdrs_add_cstr(&f->response->headers, "Set-Cookie", *set_cookies);
    run(c, HOOK_RESPONSE, f);
    flow_unref(f);
}

/* The Cookie header a new request to host:port/path leaves with (malloc'd, or NULL). */
static char *
cookie_for(struct addon_chain *c, const char *host, int port, const char *path)
{
    struct flow *f = req_flow(host, port, path);
    run(c, HOOK_REQUEST, f);
    const struct hdr *h = hdrs_get(&f->request->headers, "cookie");
    char *v = h ? strdup(h->value) : NULL;
    struct tns *m = f->metadata ? tns_dict_get(f->metadata, "stickycookie") : NULL;
    ASSERT_EQ(m != NULL, h != NULL);
    if (m)
        ASSERT(m->type == TNS_BOOL && m->u.b == 1);
    flow_unref(f);
    return v;
}

#define ASSERT_COOKIE(c, host, port, path, want)                                                   \
    do {                                                                                           \
        char *got_ = cookie_for(c, host, port, path);                                              \
        const char *want_ = (want);                                                                \
        if (want_ == NULL ? got_ != NULL : got_ == NULL || strcmp(got_, want_) != 0)               \
            test_fail(__FILE__, __LINE__, "cookie for %s:%d%s: \"%s\", want \"%s\"", host, port,   \
                      path, got_ ? got_ : "(none)", want_ ? want_ : "(none)");                     \
        free(got_);                                                                                \
    } while (0)

TEST(sticky_cookie_bad_filter_is_an_error)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set_arg(o, "stickycookie=~nosuchop", &e), 0);
    struct addon *a = addon_stickycookie_new();
    ASSERT(a->ops->configure(a, o, NULL, &e) < 0);
    ASSERT(e.msg[0] != '\0');
    a->ops->free(a);
    opt_free(o);
}

TEST(sticky_cookie_off_does_nothing)
{
    struct addon_chain *c = chain_of(addon_stickycookie_new(), NULL);
    respond(c, "www.example.com", 80, "/", (const char *[]){"foo=bar", NULL});
    ASSERT_COOKIE(c, "www.example.com", 80, "/", NULL);
    addon_chain_free(c);
}

TEST(sticky_cookie_simple)
{
    struct addon_chain *c = chain_of(addon_stickycookie_new(), "stickycookie=~all");
    respond(c, "www.example.com", 80, "/", (const char *[]){"foo=bar", NULL});
    ASSERT_COOKIE(c, "www.example.com", 80, "/", "foo=bar");
    ASSERT_COOKIE(c, "www.example.com", 80, "/deep/path?q=1", "foo=bar");
    /* Another host or port is another origin. */
    ASSERT_COOKIE(c, "www.example.org", 80, "/", NULL);
    ASSERT_COOKIE(c, "www.example.com", 8080, "/", NULL);
    ASSERT_COOKIE(c, "example.com", 80, "/", NULL);
    /* A later value replaces the earlier in its place. */
    respond(c, "www.example.com", 80, "/", (const char *[]){"second=2", "foo=baz", NULL});
    ASSERT_COOKIE(c, "www.example.com", 80, "/", "foo=baz; second=2");
    addon_chain_free(c);
}

TEST(sticky_cookie_replaces_client_cookie)
{
    struct addon_chain *c = chain_of(addon_stickycookie_new(), "stickycookie=~all");
    respond(c, "h.test", 80, "/", (const char *[]){"a=1", NULL});
    struct flow *f = req_flow("h.test", 80, "/");
    hdrs_add_cstr(&f->request->headers, "Cookie", "mine=x");
    hdrs_add_cstr(&f->request->headers, "X-Other", "y");
    hdrs_add_cstr(&f->request->headers, "cookie", "more=z");
    run(c, HOOK_REQUEST, f);
    ASSERT_EQ(f->request->headers.n, 2);
    ASSERT_STREQ(f->request->headers.v[0].name, "Cookie");
    ASSERT_STREQ(f->request->headers.v[0].value, "a=1");
    flow_unref(f);
    addon_chain_free(c);
}

TEST(sticky_cookie_domain_and_path_attributes)
{
    struct addon_chain *c = chain_of(addon_stickycookie_new(), "stickycookie=~all");
    respond(c, "www.example.com", 80, "/",
            (const char *[]){"d=1; Domain=.example.com", "p=2; Path=/app", NULL});
    ASSERT_COOKIE(c, "www.example.com", 80, "/", "d=1");
    ASSERT_COOKIE(c, "other.example.com", 80, "/", "d=1");
    ASSERT_COOKIE(c, "www.example.com", 80, "/app/x", "d=1; p=2");
    ASSERT_COOKIE(c, "other.example.com", 80, "/app", "d=1");
    ASSERT_COOKIE(c, "example.org", 80, "/", NULL);
    /* A domain the response's host is not inside is ignored (cookiejar's domain_match). */
    respond(c, "www.example.com", 80, "/", (const char *[]){"evil=1; Domain=example.org", NULL});
    ASSERT_COOKIE(c, "example.org", 80, "/", NULL);
    /* cookiejar wants the leading dot for subdomains: without it nothing is kept... */
    respond(c, "a.b.test", 80, "/", (const char *[]){"x=1; domain=b.test", NULL});
    ASSERT_COOKIE(c, "a.b.test", 80, "/", NULL);
    /* ...and with it the bare domain matches too, as mitmproxy retries without dots. */
    respond(c, "b.test", 80, "/", (const char *[]){"y=2; domain=.b.test", NULL});
    ASSERT_COOKIE(c, "b.test", 80, "/", "y=2");
    ASSERT_COOKIE(c, "c.b.test", 80, "/", "y=2");
    addon_chain_free(c);
}

TEST(sticky_cookie_expiry_removes)
{
    struct addon_chain *c = chain_of(addon_stickycookie_new(), "stickycookie=~all");
    respond(c, "h.test", 80, "/", (const char *[]){"a=1", "b=2", NULL});
    ASSERT_COOKIE(c, "h.test", 80, "/", "a=1; b=2");
    respond(c, "h.test", 80, "/",
            (const char *[]){"a=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT", NULL});
    ASSERT_COOKIE(c, "h.test", 80, "/", "b=2");
    respond(c, "h.test", 80, "/", (const char *[]){"b=gone; Max-Age=0", NULL});
    ASSERT_COOKIE(c, "h.test", 80, "/", NULL);
    /* Future dates and positive ages keep them. */
    respond(c, "h.test", 80, "/",
            (const char *[]){"c=3; expires=Fri, 31 Dec 2099 23:59:59 GMT",
                             "d=4; expires=Fri, 31-Dec-2099 23:59:59 GMT", "e=5; max-age=3600",
                             "f=6; expires=Thu, 01-Jan-70 00:00:01 GMT", NULL});
    ASSERT_COOKIE(c, "h.test", 80, "/", "c=3; d=4; e=5");
    addon_chain_free(c);
}

TEST(sticky_cookie_comma_separated_and_quoted)
{
    struct addon_chain *c = chain_of(addon_stickycookie_new(), "stickycookie=~all");
    respond(c, "h.test", 80, "/",
            (const char *[]){"a=1, b=2", "c=3; expires=Wed, 21 Oct 2099 07:28:00 GMT; path=/, d=4",
                             NULL});
    ASSERT_COOKIE(c, "h.test", 80, "/", "a=1; b=2; c=3; d=4");
    addon_chain_free(c);

    c = chain_of(addon_stickycookie_new(), "stickycookie=~all");
    respond(c, "h.test", 80, "/", (const char *[]){"q=\"a b\"; Path=/", "r=x\\\"y", NULL});
    /* Values with specials go out quoted, quotes and backslashes escaped. */
    ASSERT_COOKIE(c, "h.test", 80, "/", "q=\"a b\"; r=\"x\\\\\\\"y\"");
    addon_chain_free(c);
}

TEST(sticky_cookie_filter_selects_requests)
{
    struct addon_chain *c = chain_of(addon_stickycookie_new(), "stickycookie=~d example\\.com");
    /* Responses are remembered whatever the filter says... */
    respond(c, "example.org", 80, "/", (const char *[]){"o=1", NULL});
    respond(c, "example.com", 80, "/", (const char *[]){"m=1", NULL});
    /* ...but only matching requests get cookies. */
    ASSERT_COOKIE(c, "example.org", 80, "/", NULL);
    ASSERT_COOKIE(c, "example.com", 80, "/", "m=1");
    addon_chain_free(c);
}

static char *
auth_for(struct addon_chain *c, const char *host, const char *sent)
{
    struct flow *f = req_flow(host, 80, "/");
    if (sent)
        hdrs_add_cstr(&f->request->headers, "Authorization", sent);
    run(c, HOOK_REQUEST, f);
    const struct hdr *h = hdrs_get(&f->request->headers, "authorization");
    char *v = h ? strdup(h->value) : NULL;
    flow_unref(f);
    return v;
}

TEST(sticky_auth)
{
    struct addon_chain *c = chain_of(addon_stickyauth_new(), "stickyauth=~d example\\.com");
    char *v = auth_for(c, "example.com", NULL);
    ASSERT(v == NULL);
    v = auth_for(c, "example.com", "Basic Zm9vOmJhcg==");
    ASSERT_STREQ(v, "Basic Zm9vOmJhcg==");
    free(v);
    v = auth_for(c, "example.com", NULL);
    ASSERT_STREQ(v, "Basic Zm9vOmJhcg==");
    free(v);
    /* The client's own header wins, and is remembered instead. */
    v = auth_for(c, "example.com", "Basic other");
    ASSERT_STREQ(v, "Basic other");
    free(v);
    v = auth_for(c, "example.com", NULL);
    ASSERT_STREQ(v, "Basic other");
    free(v);
    /* Another host gets nothing; a non-matching request neither, though remembered. */
    ASSERT(auth_for(c, "www.example.com", NULL) == NULL);
    v = auth_for(c, "example.org", "Basic org");
    free(v);
    ASSERT(auth_for(c, "example.org", NULL) == NULL);
    addon_chain_free(c);
}

TEST(sticky_auth_off)
{
    struct addon_chain *c = chain_of(addon_stickyauth_new(), NULL);
    free(auth_for(c, "example.com", "Basic x"));
    ASSERT(auth_for(c, "example.com", NULL) == NULL);
    addon_chain_free(c);
}
