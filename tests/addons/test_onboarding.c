/*
 * The onboarding addon: requests for mitm.it go through a chain holding
 * just this addon, with a temporary confdir holding stand-in certificate
 * files, and the test looks at the response the addon put on the flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/onboarding.h"
#include "flow/flow.h"
#include "http/headers.h"
#include "http/message.h"
#include "options/opt.h"
#include "util/clock.h"

/* Stand-ins for the CA files; the p12 one has a NUL to prove bytes are kept. */
static const char pem_bytes[] = "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n";
static const char p12_bytes[] = "\x30\x82\x00\x01p12\0bytes";
static const char cer_bytes[] = "\x30\x82\x01\x0a"
                                "der";

static char confdir[64];

static void
write_file(const char *name, const void *p, size_t n)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", confdir, name);
    FILE *fp = fopen(path, "wb");
    ASSERT(fp != NULL);
    ASSERT_EQ(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

/* A fresh confdir; with_files says whether the CA files are in it. */
static void
make_confdir(int with_files)
{
    snprintf(confdir, sizeof(confdir), "/tmp/mp-onboarding-XXXXXX");
    ASSERT(mkdtemp(confdir) != NULL);
    if (!with_files)
        return;
    write_file("mitmproxy-ca-cert.pem", pem_bytes, sizeof(pem_bytes) - 1);
    write_file("mitmproxy-ca-cert.p12", p12_bytes, sizeof(p12_bytes) - 1);
    write_file("mitmproxy-ca-cert.cer", cer_bytes, sizeof(cer_bytes) - 1);
}

static void
remove_confdir(void)
{
    static const char *const names[] = {"mitmproxy-ca-cert.pem", "mitmproxy-ca-cert.p12",
                                        "mitmproxy-ca-cert.cer"};
    char path[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", confdir, names[i]);
        unlink(path);
    }
    rmdir(confdir);
}

/* A chain with the onboarding addon configured from "name=value" settings (NULL-ended). */
static struct addon_chain *
chain_with(const char *const *settings)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "confdir", confdir, &e), 0);
    for (; settings && *settings; settings++)
        ASSERT_EQ(opt_set_arg(o, *settings, &e), 0);
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_onboarding_new());
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    opt_free(o);
    return c;
}

static struct flow *
make_flow(const char *method, const char *host, int port, const char *path)
{
    struct flow *f = flow_new_http(NULL, NULL);
    struct http_request *r = http_request_new();
    http_set_str(&r->method, method);
    http_set_str(&r->scheme, port == 443 ? "https" : "http");
    http_set_str(&r->host, host);
    r->port = (uint16_t)port;
    http_set_str(&r->path, path);
    http_set_str(&r->http_version, "HTTP/1.1");
    f->request = r;
    return f;
}

static void
dispatch(struct addon_chain *c, struct flow *f)
{
    struct hook_data d;
    struct hook_call call;
    hook_data_init(&d, HOOK_REQUEST, f, NULL, NULL);
    addon_dispatch(c, &call, &d, NULL, NULL);
    hook_data_clear(&d);
}

/* Runs one request through a fresh chain; returns the flow (caller unrefs). */
static struct flow *
ask(const char *const *settings, const char *method, const char *host, int port, const char *path)
{
    struct addon_chain *c = chain_with(settings);
    struct flow *f = make_flow(method, host, port, path);
    dispatch(c, f);
    addon_chain_free(c);
    return f;
}

static const char *
header(const struct flow *f, const char *name)
{
    const struct hdr *h = hdrs_get(&f->response->headers, name);
    return h ? h->value : NULL;
}

static int
content_has(const struct flow *f, const char *needle)
{
    const struct buf *b = &f->response->content;
    return memmem(buf_ptr(b), b->len, needle, strlen(needle)) != NULL;
}

static void
check_cert(const char *route, const char *file, const char *type, const char *bytes, size_t n)
{
    clock_pin(1700000000.5);
    struct flow *f = ask(NULL, "GET", "mitm.it", 80, route);
    clock_pin(0);
    struct http_response *r = f->response;
    ASSERT(r != NULL);
    ASSERT_EQ(r->status_code, 200);
    ASSERT_STREQ(r->reason, "OK");
    ASSERT_STREQ(r->http_version, "HTTP/1.1");
    ASSERT_STREQ(header(f, "Content-Type"), type);
    char disp[96], len[32];
    snprintf(disp, sizeof(disp), "inline; filename=%s", file);
    snprintf(len, sizeof(len), "%zu", n);
    ASSERT_STREQ(header(f, "Content-Disposition"), disp);
    ASSERT_STREQ(header(f, "Content-Length"), len);
    ASSERT_STREQ(header(f, "Cache-Control"), "no-cache");
    ASSERT_MEMEQ(buf_ptr(&r->content), r->content.len, bytes, n);
    ASSERT(r->timestamp_start == 1700000000.5);
    ASSERT(r->timestamp_end == 1700000000.5);
    flow_unref(f);
}

TEST(onboarding_serves_each_cert_file)
{
    make_confdir(1);
    check_cert("/cert/pem", "mitmproxy-ca-cert.pem", "application/x-x509-ca-cert", pem_bytes,
               sizeof(pem_bytes) - 1);
    check_cert("/cert/p12", "mitmproxy-ca-cert.p12", "application/x-pkcs12", p12_bytes,
               sizeof(p12_bytes) - 1);
    check_cert("/cert/cer", "mitmproxy-ca-cert.cer", "application/x-x509-ca-cert", cer_bytes,
               sizeof(cer_bytes) - 1);
    /* A query string does not change the route, as in the WSGI app. */
    check_cert("/cert/pem?x=1", "mitmproxy-ca-cert.pem", "application/x-x509-ca-cert", pem_bytes,
               sizeof(pem_bytes) - 1);
    remove_confdir();
}

/* The files are read per request: one written after configure is served. */
TEST(onboarding_reads_cert_at_request_time)
{
    make_confdir(0);
    struct addon_chain *c = chain_with(NULL);
    write_file("mitmproxy-ca-cert.pem", "late", 4);
    struct flow *f = make_flow("GET", "mitm.it", 80, "/cert/pem");
    dispatch(c, f);
    ASSERT_EQ(f->response->status_code, 200);
    ASSERT_BUF_STR(&f->response->content, "late");
    flow_unref(f);
    addon_chain_free(c);
    remove_confdir();
}

TEST(onboarding_index_links_downloads)
{
    make_confdir(1);
    struct flow *f = ask(NULL, "GET", "mitm.it", 80, "/");
    ASSERT_EQ(f->response->status_code, 200);
    ASSERT_STREQ(header(f, "Content-Type"), "text/html; charset=utf-8");
    ASSERT(header(f, "Content-Disposition") == NULL);
    char len[32];
    snprintf(len, sizeof(len), "%zu", f->response->content.len);
    ASSERT_STREQ(header(f, "Content-Length"), len);
    ASSERT(content_has(f, "<html"));
    ASSERT(content_has(f, "href=\"/cert/pem\""));
    ASSERT(content_has(f, "href=\"/cert/p12\""));
    ASSERT(content_has(f, "href=\"/cert/cer\""));
    ASSERT(content_has(f, "update-ca-certificates"));
    ASSERT(content_has(f, "Firefox"));
    ASSERT(content_has(f, "Android"));
    ASSERT(content_has(f, "Windows"));
    flow_unref(f);
    remove_confdir();
}

/* HEAD: the GET headers, Content-Length included, and no body. */
TEST(onboarding_head_has_no_body)
{
    make_confdir(1);
    struct flow *f = ask(NULL, "HEAD", "mitm.it", 80, "/cert/pem");
    ASSERT_EQ(f->response->status_code, 200);
    char len[32];
    snprintf(len, sizeof(len), "%zu", sizeof(pem_bytes) - 1);
    ASSERT_STREQ(header(f, "Content-Length"), len);
    ASSERT_EQ(f->response->content.len, 0);
    flow_unref(f);
    remove_confdir();
}

TEST(onboarding_host_match_ignores_case_and_uses_host_header)
{
    make_confdir(1);
    struct flow *f = ask(NULL, "GET", "MITM.IT", 80, "/");
    ASSERT(f->response != NULL);
    flow_unref(f);

    /* Transparent mode: the request's host is an address, the Host header names the app. */
    struct addon_chain *c = chain_with(NULL);
    f = make_flow("GET", "10.0.0.1", 80, "/");
    hdrs_add_cstr(&f->request->headers, "Host", "mitm.it:80");
    dispatch(c, f);
    ASSERT(f->response != NULL);
    flow_unref(f);
    /* And the other way round: the Host header wins over the request's host. */
    f = make_flow("GET", "mitm.it", 80, "/");
    hdrs_add_cstr(&f->request->headers, "Host", "example.com");
    dispatch(c, f);
    ASSERT(f->response == NULL);
    flow_unref(f);
    addon_chain_free(c);
    remove_confdir();
}

TEST(onboarding_leaves_other_requests_alone)
{
    make_confdir(1);
    struct flow *f = ask(NULL, "GET", "example.com", 80, "/cert/pem");
    ASSERT(f->response == NULL);
    flow_unref(f);
    f = ask(NULL, "GET", "mitm.it.example.com", 80, "/");
    ASSERT(f->response == NULL);
    flow_unref(f);
    /* Only onboarding_port: mitmproxy 8.1.1 does not serve https://mitm.it/ either. */
    f = ask(NULL, "GET", "mitm.it", 443, "/");
    ASSERT(f->response == NULL);
    flow_unref(f);
    f = ask(NULL, "GET", "mitm.it", 8080, "/");
    ASSERT(f->response == NULL);
    flow_unref(f);
    remove_confdir();
}

/* A flow that already has a response or an error, or is not live, is left as it is. */
TEST(onboarding_skips_answered_flows)
{
    make_confdir(1);
    struct addon_chain *c = chain_with(NULL);
    struct flow *f = make_flow("GET", "mitm.it", 80, "/");
    struct http_response *mine = http_response_new();
    mine->status_code = 204;
    f->response = mine;
    dispatch(c, f);
    ASSERT(f->response == mine);
    flow_unref(f);
    f = make_flow("GET", "mitm.it", 80, "/");
    f->live = 0;
    dispatch(c, f);
    ASSERT(f->response == NULL);
    flow_unref(f);
    addon_chain_free(c);
    remove_confdir();
}

TEST(onboarding_off_leaves_mitm_it_alone)
{
    make_confdir(1);
    static const char *const off[] = {"onboarding=false", NULL};
    struct flow *f = ask(off, "GET", "mitm.it", 80, "/");
    ASSERT(f->response == NULL);
    flow_unref(f);
    remove_confdir();
}

TEST(onboarding_custom_host_and_port)
{
    make_confdir(1);
    static const char *const custom[] = {"onboarding_host=10.1.2.3", "onboarding_port=8081", NULL};
    struct flow *f = ask(custom, "GET", "10.1.2.3", 8081, "/cert/cer");
    ASSERT(f->response != NULL);
    ASSERT_MEMEQ(buf_ptr(&f->response->content), f->response->content.len, cer_bytes,
                 sizeof(cer_bytes) - 1);
    flow_unref(f);
    f = ask(custom, "GET", "mitm.it", 80, "/");
    ASSERT(f->response == NULL);
    flow_unref(f);
    remove_confdir();
}

TEST(onboarding_missing_cert_is_404)
{
    make_confdir(0);
    struct flow *f = ask(NULL, "GET", "mitm.it", 80, "/cert/p12");
    ASSERT_EQ(f->response->status_code, 404);
    ASSERT_STREQ(f->response->reason, "Not Found");
    ASSERT_STREQ(header(f, "Content-Type"), "text/html; charset=utf-8");
    char msg[160];
    snprintf(msg, sizeof(msg), "CA certificate not found in %s: start mitmproxy once to create it.",
             confdir);
    ASSERT(content_has(f, msg));
    flow_unref(f);
    remove_confdir();
}

TEST(onboarding_unknown_path_is_404)
{
    make_confdir(1);
    static const char *const paths[] = {"/cert/der", "/cert/pem/", "/index.html", "/cert"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct flow *f = ask(NULL, "GET", "mitm.it", 80, paths[i]);
        if (f->response == NULL || f->response->status_code != 404)
            test_fail(__FILE__, __LINE__, "%s: not a 404", paths[i]);
        flow_unref(f);
    }
    /* Routing comes first: an unknown path is 404 for any method. */
    struct flow *f = ask(NULL, "POST", "mitm.it", 80, "/nope");
    ASSERT_EQ(f->response->status_code, 404);
    flow_unref(f);
    remove_confdir();
}

TEST(onboarding_other_methods_are_405)
{
    make_confdir(1);
    struct flow *f = ask(NULL, "POST", "mitm.it", 80, "/cert/pem");
    ASSERT_EQ(f->response->status_code, 405);
    ASSERT_STREQ(f->response->reason, "Method Not Allowed");
    ASSERT_STREQ(header(f, "Allow"), "GET, HEAD, OPTIONS");
    flow_unref(f);
    f = ask(NULL, "PUT", "mitm.it", 80, "/");
    ASSERT_EQ(f->response->status_code, 405);
    flow_unref(f);
    /* OPTIONS is answered with the allowed methods, as Flask does. */
    f = ask(NULL, "OPTIONS", "mitm.it", 80, "/");
    ASSERT_EQ(f->response->status_code, 200);
    ASSERT_STREQ(header(f, "Allow"), "GET, HEAD, OPTIONS");
    ASSERT_EQ(f->response->content.len, 0);
    flow_unref(f);
    remove_confdir();
}

TEST(onboarding_expands_home_in_confdir)
{
    make_confdir(1);
    setenv("HOME", confdir, 1);
    struct options *o = opt_new();
    struct err e = {0};
    /* The default confdir is "~/.mitmproxy"; point it at our files through "~". */
    ASSERT_EQ(opt_set(o, "confdir", "~", &e), 0);
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_onboarding_new());
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    opt_free(o);
    struct flow *f = make_flow("GET", "mitm.it", 80, "/cert/pem");
    dispatch(c, f);
    ASSERT_EQ(f->response->status_code, 200);
    ASSERT_MEMEQ(buf_ptr(&f->response->content), f->response->content.len, pem_bytes,
                 sizeof(pem_bytes) - 1);
    flow_unref(f);
    addon_chain_free(c);
    remove_confdir();
}
