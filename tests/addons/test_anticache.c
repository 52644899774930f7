/*
 * The anticache and anticomp addons, after mitmproxy's test_anticache.py
 * and test_anticomp.py: nothing happens with the option off; with it on
 * the request headers change in the request hook.
 */
#include <stdlib.h>

#include "../lib/test.h"
#include "addons/traffic.h"
#include "flow/flow.h"
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
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    opt_free(o);
    return c;
}

static struct flow *
make_flow(void)
{
    struct flow *f = flow_new_http(NULL, NULL);
    struct http_request *r = http_request_new();
    http_set_str(&r->method, "GET");
    http_set_str(&r->scheme, "http");
    http_set_str(&r->host, "example.com");
    r->port = 80;
    http_set_str(&r->path, "/");
    http_set_str(&r->http_version, "HTTP/1.1");
    hdrs_add_cstr(&r->headers, "Host", "example.com");
    hdrs_add_cstr(&r->headers, "If-Modified-Since", "test");
    hdrs_add_cstr(&r->headers, "Accept-Encoding", "gzip, br");
    hdrs_add_cstr(&r->headers, "if-none-match", "\"etag\"");
    hdrs_add_cstr(&r->headers, "If-Modified-Since", "again");
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

TEST(anticache_off_leaves_headers)
{
    struct addon_chain *c = chain_of(addon_anticache_new(), NULL);
    struct flow *f = make_flow();
    run(c, HOOK_REQUEST, f);
    ASSERT_EQ(hdrs_count(&f->request->headers, "if-modified-since"), 2);
    ASSERT_EQ(hdrs_count(&f->request->headers, "if-none-match"), 1);
    flow_unref(f);
    addon_chain_free(c);
}

TEST(anticache_strips_conditional_headers)
{
    struct addon_chain *c = chain_of(addon_anticache_new(), "anticache=true");
    struct flow *f = make_flow();
    run(c, HOOK_REQUESTHEADERS, f); /* only the request hook acts */
    ASSERT_EQ(f->request->headers.n, 5);
    run(c, HOOK_REQUEST, f);
    ASSERT_EQ(hdrs_count(&f->request->headers, "if-modified-since"), 0);
    ASSERT_EQ(hdrs_count(&f->request->headers, "if-none-match"), 0);
    ASSERT_EQ(f->request->headers.n, 2);
    ASSERT_STREQ(f->request->headers.v[0].name, "Host");
    ASSERT_STREQ(f->request->headers.v[1].name, "Accept-Encoding");
    flow_unref(f);
    addon_chain_free(c);
}

TEST(anticache_anticomp_off_leaves_encoding)
{
    struct addon_chain *c = chain_of(addon_anticomp_new(), NULL);
    struct flow *f = make_flow();
    run(c, HOOK_REQUEST, f);
    ASSERT_STREQ(hdrs_get(&f->request->headers, "accept-encoding")->value, "gzip, br");
    flow_unref(f);
    addon_chain_free(c);
}

TEST(anticache_anticomp_sets_identity)
{
    struct addon_chain *c = chain_of(addon_anticomp_new(), "anticomp=true");
    struct flow *f = make_flow();
    run(c, HOOK_REQUEST, f);
    /* Replaced in place, keeping the client's spelling of the name. */
    ASSERT_EQ(hdrs_count(&f->request->headers, "accept-encoding"), 1);
    ASSERT_STREQ(f->request->headers.v[2].name, "Accept-Encoding");
    ASSERT_STREQ(f->request->headers.v[2].value, "identity");
    flow_unref(f);

    /* Absent: appended under mitmproxy's lower-case name. */
    f = make_flow();
    hdrs_remove(&f->request->headers, "accept-encoding");
    run(c, HOOK_REQUEST, f);
    ASSERT_STREQ(f->request->headers.v[f->request->headers.n - 1].name, "accept-encoding");
    ASSERT_STREQ(hdrs_get(&f->request->headers, "Accept-Encoding")->value, "identity");
    flow_unref(f);
    addon_chain_free(c);
}
