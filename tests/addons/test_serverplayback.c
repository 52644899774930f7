/*
 * The server playback addon: which requests match a recorded flow under
 * each matching option, the order in which several matches are served,
 * nopop and kill_extra, and the refresh of dates and cookies. The refresh
 * vectors were printed by mitmproxy 8.1.1's Response.refresh() on the same
 * headers with the same timestamps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/serverplayback.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "http/headers.h"
#include "http/message.h"
#include "options/opt.h"
#include "util/clock.h"

/* A chain with the addon configured from "name=value" settings (NULL-ended). */
static struct addon_chain *
chain_with(const char *const *settings)
{
    struct err e = {0};
    struct options *o = opt_new();
    for (; settings && *settings; settings++) {
        if (opt_set_arg(o, *settings, &e) != 0)
            test_fail(__FILE__, __LINE__, "%s: %s", *settings, e.msg);
    }
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_serverplayback_new());
    if (addon_chain_configure(c, o, &e) != 0)
        test_fail(__FILE__, __LINE__, "configure: %s", e.msg);
    opt_free(o);
    return c;
}

static const char *
replay_arg(const char *fixture)
{
    static char arg[4096];
    snprintf(arg, sizeof(arg), "server_replay=%s", test_fixture(fixture));
    return arg;
}

/* The flows of a fixture file; *n receives the count. */
static struct flow **
read_flows(const char *fixture, size_t *n)
{
    const char *path = test_fixture(fixture);
    FILE *fp = fopen(path, "rb");
    ASSERT(fp != NULL);
    struct ffile_reader *r = ffile_reader_new(fp, path);
    struct flow **v = NULL;
    struct flow *f;
    struct err e = {0};
    *n = 0;
    while (ffile_read(r, &f, &e) == 1) {
        v = realloc(v, (*n + 1) * sizeof(*v));
        v[(*n)++] = f;
    }
    ffile_reader_free(r);
    fclose(fp);
    return v;
}

static void
free_flows(struct flow **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        flow_unref(v[i]);
    free(v);
}

/* A live request flow: a copy of recorded flow i of a fixture without its response. */
static struct flow *
request_like(const char *fixture, size_t i)
{
    size_t n;
    struct flow **v = read_flows(fixture, &n);
    ASSERT(i < n);
    struct flow *f = flow_new_http(NULL, NULL);
    f->request = http_request_copy(v[i]->request);
    free_flows(v, n);
    return f;
}

static void
dispatch(struct addon_chain *c, struct flow *f)
{
    struct hook_call call;
    struct hook_data d;
    hook_data_init(&d, HOOK_REQUEST, f, NULL, NULL);
    addon_dispatch(c, &call, &d, NULL, NULL);
    hook_data_clear(&d);
}

static struct addon *
sp_of(struct addon_chain *c)
{
    struct addon *a = addon_chain_find(c, "serverplayback");
    ASSERT(a != NULL);
    return a;
}

/* Whether a request built by change() from get-query's is answered. */
static int
get_query_matches(const char *const *settings, void (*change)(struct http_request *))
{
    struct addon_chain *c = chain_with(settings);
    struct flow *f = request_like("flows/get-query.mitm", 0);
    if (change)
        change(f->request);
    dispatch(c, f);
    int matched = f->response != NULL;
    if (matched) {
        ASSERT_STREQ(f->is_replay, "response");
        ASSERT_EQ(f->response->status_code, 200);
        ASSERT_EQ(f->response->content.len, 72);
    } else {
        ASSERT(f->is_replay == NULL);
        ASSERT(!f->killed);
    }
    flow_unref(f);
    addon_chain_free(c);
    return matched;
}

TEST(serverplayback_same_request_matches_once)
{
    const char *s[] = {replay_arg("flows/get-query.mitm"), NULL};
    struct addon_chain *c = chain_with(s);
    ASSERT_EQ(serverplayback_count(sp_of(c)), 1);
    struct flow *f = request_like("flows/get-query.mitm", 0);
    dispatch(c, f);
    ASSERT(f->response != NULL);
    ASSERT_STREQ(f->is_replay, "response");
    ASSERT_EQ(serverplayback_count(sp_of(c)), 0);
    flow_unref(f);

    /* Popped: the same request now goes to the server. */
    f = request_like("flows/get-query.mitm", 0);
    dispatch(c, f);
    ASSERT(f->response == NULL);
    ASSERT(!f->killed);
    flow_unref(f);
    addon_chain_free(c);
}

static void
other_agent(struct http_request *r)
{
    hdrs_set_cstr(&r->headers, "User-Agent", "other/1.0");
    hdrs_add_cstr(&r->headers, "X-Extra", "1");
}

static void
other_query_value(struct http_request *r)
{
    http_set_str(&r->path, "/search?q=hello%20world&lang=en&lang=fr&empty=&flag");
}

static void
plus_for_space(struct http_request *r)
{
    http_set_str(&r->path, "/search?q=hello+world&lang=en&&lang=de&empty&flag=#frag");
}

static void
no_lang(struct http_request *r)
{
    http_set_str(&r->path, "/search?q=hello%20world&empty=&flag");
}

static void
other_path(struct http_request *r)
{
    http_set_str(&r->path, "/search2?q=hello%20world&lang=en&lang=de&empty=&flag");
}

static void
other_host(struct http_request *r)
{
    http_set_str(&r->host, "10.0.0.1");
    hdrs_set_cstr(&r->headers, "Host", "example.com:18080");
}

static void
other_port(struct http_request *r)
{
    r->port = 18081;
}

static void
other_method(struct http_request *r)
{
    http_set_str(&r->method, "HEAD");
}

static void
other_scheme(struct http_request *r)
{
    http_set_str(&r->scheme, "https");
}

static void
with_body(struct http_request *r)
{
    buf_set(&r->content, "x", 1);
}

TEST(serverplayback_headers_ignored_unless_named)
{
    const char *plain[] = {replay_arg("flows/get-query.mitm"), NULL};
    ASSERT(get_query_matches(plain, other_agent));
    const char *named[] = {replay_arg("flows/get-query.mitm"),
                           "server_replay_use_headers=User-Agent", NULL};
    ASSERT(!get_query_matches(named, other_agent));
    ASSERT(get_query_matches(named, NULL));
    /* A named header absent from both still matches. */
    const char *absent[] = {replay_arg("flows/get-query.mitm"), "server_replay_use_headers=X-No",
                            NULL};
    ASSERT(get_query_matches(absent, NULL));
}

TEST(serverplayback_query_params)
{
    const char *plain[] = {replay_arg("flows/get-query.mitm"), NULL};
    ASSERT(!get_query_matches(plain, other_query_value));
    ASSERT(!get_query_matches(plain, no_lang));
    ASSERT(!get_query_matches(plain, other_path));
    /* parse_qsl decodes "+" and "%20" alike, skips empty items, and a
     * name without "=" has an empty value; the fragment is not part of it. */
    ASSERT(get_query_matches(plain, plus_for_space));
    const char *ignore[] = {replay_arg("flows/get-query.mitm"), "server_replay_ignore_params=lang",
                            NULL};
    ASSERT(get_query_matches(ignore, other_query_value));
    ASSERT(get_query_matches(ignore, no_lang));
    ASSERT(!get_query_matches(ignore, other_path));
}

TEST(serverplayback_host_port_method_scheme)
{
    const char *plain[] = {replay_arg("flows/get-query.mitm"), NULL};
    ASSERT(!get_query_matches(plain, other_host));
    ASSERT(!get_query_matches(plain, other_port));
    ASSERT(!get_query_matches(plain, other_method));
    ASSERT(!get_query_matches(plain, other_scheme));
    const char *host[] = {replay_arg("flows/get-query.mitm"), "server_replay_ignore_host=true",
                          NULL};
    ASSERT(get_query_matches(host, other_host));
    ASSERT(!get_query_matches(host, other_port));
    const char *port[] = {replay_arg("flows/get-query.mitm"), "server_replay_ignore_port=true",
                          NULL};
    ASSERT(get_query_matches(port, other_port));
    ASSERT(!get_query_matches(port, other_host));
}

/* The pretty host comes from the Host header: a different connection host
 * with the same Host header still matches. */
static void
same_host_header(struct http_request *r)
{
    http_set_str(&r->host, "10.9.9.9");
}

TEST(serverplayback_host_header_counts)
{
    const char *plain[] = {replay_arg("flows/get-query.mitm"), NULL};
    ASSERT(get_query_matches(plain, same_host_header));
}

TEST(serverplayback_content)
{
    const char *plain[] = {replay_arg("flows/get-query.mitm"), NULL};
    ASSERT(!get_query_matches(plain, with_body));
    const char *ign[] = {replay_arg("flows/get-query.mitm"), "server_replay_ignore_content=true",
                         NULL};
    ASSERT(get_query_matches(ign, with_body));
}

/* Whether a request built from flow i of fixture, with its body replaced, is answered. */
static int
body_matches_n(const char *fixture, const char *const *settings, const void *body, size_t len)
{
    struct addon_chain *c = chain_with(settings);
    struct flow *f = request_like(fixture, 0);
    if (body)
        buf_set(&f->request->content, body, len);
    dispatch(c, f);
    int matched = f->response != NULL;
    flow_unref(f);
    addon_chain_free(c);
    return matched;
}

static int
body_matches(const char *fixture, const char *const *settings, const char *body)
{
    return body_matches_n(fixture, settings, body, body ? strlen(body) : 0);
}

TEST(serverplayback_urlencoded_payload_params)
{
    const char *fx = "flows/post-form.mitm";
    const char *plain[] = {replay_arg(fx), NULL};
    const char *orig = "name=alice&age=30&tags=a&tags=b&note=hello+world%21";
    const char *older = "name=alice&age=31&tags=a&tags=b&note=hello+world%21";
    const char *respelled = "name=alice&age=30&tags=a&tags=b&note=hello%20world!";
    ASSERT(body_matches(fx, plain, orig));
    ASSERT(!body_matches(fx, plain, older));
    ASSERT(!body_matches(fx, plain, respelled));
    const char *ign[] = {replay_arg(fx), "server_replay_ignore_payload_params=age", NULL};
    ASSERT(body_matches(fx, ign, older));
    /* Compared as decoded fields now, so another spelling matches too. */
    ASSERT(body_matches(fx, ign, respelled));
    ASSERT(!body_matches(fx, ign, "name=bob&age=30&tags=a&tags=b&note=hello+world%21"));
}

TEST(serverplayback_multipart_payload_params)
{
    const char *fx = "flows/post-multipart.mitm";
    size_t n;
    struct flow **v = read_flows(fx, &n);
    /* The body holds a PNG, so it is handled as bytes. */
    size_t len = v[0]->request->content.len;
    char *body = malloc(len);
    memcpy(body, buf_ptr(&v[0]->request->content), len);
    free_flows(v, n);
    /* Change the title field's value, keeping its length. */
    char *title = memmem(body, len, "quarterly report", 16);
    ASSERT(title != NULL);
    memcpy(title, "QUARTERLY", 9);

    const char *plain[] = {replay_arg(fx), NULL};
    ASSERT(body_matches(fx, plain, NULL));
    ASSERT(!body_matches_n(fx, plain, body, len));
    const char *ign[] = {replay_arg(fx), "server_replay_ignore_payload_params=title", NULL};
    ASSERT(body_matches_n(fx, ign, body, len));
    const char *other[] = {replay_arg(fx), "server_replay_ignore_payload_params=upload", NULL};
    ASSERT(!body_matches_n(fx, other, body, len));
    /* A part without the empty line after its headers: no form, raw bytes count. */
    char *broken = memmem(body, len, "\r\n\r\nQUARTERLY", 13);
    ASSERT(broken != NULL);
    memcpy(broken, "\r\nX-A: bQUARTERLY", 13);
    ASSERT(!body_matches_n(fx, ign, body, len));
    free(body);
}

TEST(serverplayback_nopop)
{
    const char *s[] = {replay_arg("flows/get-query.mitm"), "server_replay_nopop=true", NULL};
    struct addon_chain *c = chain_with(s);
    for (int i = 0; i < 3; i++) {
        struct flow *f = request_like("flows/get-query.mitm", 0);
        dispatch(c, f);
        ASSERT(f->response != NULL);
        ASSERT_EQ(f->response->status_code, 200);
        flow_unref(f);
    }
    ASSERT_EQ(serverplayback_count(sp_of(c)), 1);
    addon_chain_free(c);
}

/* Three recorded flows with one key (statuses 201, 202, 203) and a response-less one first. */
static struct addon_chain *
chain_with_three(const char *const *settings)
{
    struct addon_chain *c = chain_with(settings);
    size_t n;
    struct flow **v = read_flows("flows/get-query.mitm", &n);
    struct flow *rec[4];
    for (int i = 0; i < 4; i++) {
        rec[i] = flow_copy(v[0]);
        rec[i]->response->status_code = 200 + i;
    }
    http_response_free(rec[0]->response);
    rec[0]->response = NULL;
    serverplayback_load(sp_of(c), rec, 4);
    for (int i = 0; i < 4; i++)
        flow_unref(rec[i]);
    free_flows(v, n);
    return c;
}

static int
serve_status(struct addon_chain *c)
{
    struct flow *f = request_like("flows/get-query.mitm", 0);
    dispatch(c, f);
    int status = f->response ? f->response->status_code : f->killed ? -1 : 0;
    flow_unref(f);
    return status;
}

TEST(serverplayback_several_served_in_order)
{
    const char *s[] = {"server_replay_kill_extra=true", NULL};
    struct addon_chain *c = chain_with_three(s);
    ASSERT_EQ(serverplayback_count(sp_of(c)), 4);
    ASSERT_EQ(serve_status(c), 201);
    ASSERT_EQ(serve_status(c), 202);
    ASSERT_EQ(serve_status(c), 203);
    ASSERT_EQ(serverplayback_count(sp_of(c)), 0);
    /* Nothing left: mitmproxy stops acting, kill_extra included. */
    ASSERT_EQ(serve_status(c), 0);
    addon_chain_free(c);

    const char *nopop[] = {"server_replay_nopop=true", NULL};
    c = chain_with_three(nopop);
    ASSERT_EQ(serve_status(c), 201);
    ASSERT_EQ(serve_status(c), 201);
    addon_chain_free(c);
}

TEST(serverplayback_kill_extra)
{
    const char *s[] = {replay_arg("flows/methods.mitm"), "server_replay_kill_extra=true", NULL};
    struct addon_chain *c = chain_with(s);
    struct flow *f = request_like("flows/get-query.mitm", 0);
    dispatch(c, f);
    ASSERT(f->response == NULL);
    ASSERT(f->killed);
    ASSERT(f->error != NULL);
    ASSERT_STREQ(f->error->msg, "Connection killed.");
    flow_unref(f);

    /* A recorded request is still served. */
    f = request_like("flows/methods.mitm", 3);
    dispatch(c, f);
    ASSERT(f->response != NULL);
    ASSERT(!f->killed);
    ASSERT_STREQ(f->request->method, "OPTIONS");
    flow_unref(f);
    addon_chain_free(c);

    /* Without kill_extra the extra request goes to the server. */
    const char *keep[] = {replay_arg("flows/methods.mitm"), NULL};
    c = chain_with(keep);
    f = request_like("flows/get-query.mitm", 0);
    dispatch(c, f);
    ASSERT(f->response == NULL);
    ASSERT(!f->killed);
    flow_unref(f);
    addon_chain_free(c);
}

/* Flows without a response (a refused connection) are never served. */
TEST(serverplayback_responseless_flow_kills)
{
    /* replay_arg() reuses one buffer; opt_set_arg copies, but the array needs both. */
    char first[4096];
    snprintf(first, sizeof(first), "%s", replay_arg("flows/error-refused.mitm"));
    const char *settings[] = {first, replay_arg("flows/get-query.mitm"),
                              "server_replay_kill_extra=true", NULL};
    struct addon_chain *c = chain_with(settings);
    ASSERT_EQ(serverplayback_count(sp_of(c)), 2);
    struct flow *f = request_like("flows/error-refused.mitm", 0);
    dispatch(c, f);
    ASSERT(f->response == NULL);
    ASSERT(f->killed);
    flow_unref(f);
    ASSERT_EQ(serverplayback_count(sp_of(c)), 1);
    addon_chain_free(c);
}

TEST(serverplayback_bad_files)
{
    struct err e = {0};
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "server_replay=/nonexistent/x.mitm", &e), 0);
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_serverplayback_new());
    ASSERT(addon_chain_configure(c, o, &e) < 0);
    ASSERT(strstr(e.msg, "/nonexistent/x.mitm") != NULL);
    addon_chain_free(c);
    opt_free(o);

    char path[] = "/tmp/sp-corruptXXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    /* A good flow, then garbage. */
    size_t n;
    struct flow **v = read_flows("flows/get-query.mitm", &n);
    struct buf b = BUF_INIT;
    ffile_serialize(&b, v[0]);
    free_flows(v, n);
    buf_append_str(&b, "12:not a flow!");
    ASSERT_EQ(write(fd, buf_ptr(&b), b.len), (ssize_t)b.len);
    close(fd);
    buf_clear(&b);

    o = opt_new();
    char arg[128];
    snprintf(arg, sizeof(arg), "server_replay=%s", path);
    ASSERT_EQ(opt_set_arg(o, arg, &e), 0);
    c = addon_chain_new();
    addon_chain_add(c, addon_serverplayback_new());
    err_clear(&e);
    ASSERT(addon_chain_configure(c, o, &e) < 0);
    ASSERT(strstr(e.msg, path) != NULL);
    ASSERT_EQ(serverplayback_count(sp_of(c)), 0);
    addon_chain_free(c);
    opt_free(o);
    unlink(path);
}

/* Response.refresh() of mitmproxy 8.1.1 on these headers, at these times. */
TEST(serverplayback_refresh_vectors)
{
    static const char *const in[][2] = {
        {"Date", "Sun, 09 Sep 2001 01:46:40 GMT"},
        {"Expires", "Sun, 09 Sep 2001 02:46:40 GMT"},
        {"Last-Modified", "Sat, 08 Sep 2001 01:46:40 GMT"},
        {"Set-Cookie", "a=b; Path=/; Expires=Sun, 09-Sep-2001 02:46:40 GMT; HttpOnly"},
        {"Set-Cookie", "c=d; expires=bogus; Max-Age=5"},
        {"Set-Cookie", "e="},
        {"Set-Cookie", "f=g h, i=j;Expires=Sun, 09 Sep 2001 01:46:41 +0100"},
        {"Expires", "0"},
        {"X-Date", "Sun, 09 Sep 2001 01:46:40 GMT"},
    };
    static const char *const out[][2] = {
        {"Date", "Tue, 14 Nov 2023 22:13:20 GMT"},
        {"Expires", "Tue, 14 Nov 2023 23:13:20 GMT"},
        {"Last-Modified", "Mon, 13 Nov 2023 22:13:20 GMT"},
        {"Set-Cookie", "a=b; Path=/; Expires=Tue, 14 Nov 2023 23:13:20 GMT; HttpOnly="},
        {"Set-Cookie", "c=d; Max-Age=5"},
        {"Set-Cookie", "e="},
        {"Set-Cookie", "f=\"g h\", i=j; Expires=Tue, 14 Nov 2023 21:13:21 GMT"},
        {"X-Date", "Sun, 09 Sep 2001 01:46:40 GMT"},
    };
    struct http_response *r = http_response_new();
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        hdrs_add_cstr(&r->headers, in[i][0], in[i][1]);
    r->timestamp_start = 1000000000.25;
    serverplayback_refresh(r, 1700000000.5);
    ASSERT_EQ(r->headers.n, sizeof(out) / sizeof(out[0]));
    for (size_t i = 0; i < r->headers.n; i++) {
        ASSERT_STREQ(r->headers.v[i].name, out[i][0]);
        ASSERT_STREQ(r->headers.v[i].value, out[i][1]);
    }
    http_response_free(r);
}

TEST(serverplayback_refresh_date_forms)
{
    /* RFC 850 and asctime dates, a zone offset, a date without a zone. */
    static const char *const dates[][2] = {
        {"Sunday, 06-Nov-94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:47 GMT"},
        {"Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:47 GMT"},
        {"21 Oct 2015 07:28 +0200", "Wed, 21 Oct 2015 05:28:10 GMT"},
        {"Wed, 21 Oct 2015 07:28:00 EST", "Wed, 21 Oct 2015 12:28:10 GMT"},
        {"garbage", "garbage"},
    };
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        struct http_response *r = http_response_new();
        hdrs_add_cstr(&r->headers, "Date", dates[i][0]);
        r->timestamp_start = 100.0;
        serverplayback_refresh(r, 110.0);
        ASSERT_STREQ(hdrs_get(&r->headers, "date")->value, dates[i][1]);
        http_response_free(r);
    }
}

/* A served response is shifted by now - its timestamp_start, unless refresh is off. */
TEST(serverplayback_refresh_on_serve)
{
    size_t n;
    struct flow **v = read_flows("flows/methods.mitm", &n);
    /* The GET of /hello.txt: Date 20:22:10 and Last-Modified 20:19:11. */
    double start = v[4]->response->timestamp_start;
    free_flows(v, n);
    clock_pin(start + 86400 + 0.1);

    const char *s[] = {replay_arg("flows/methods.mitm"), NULL};
    struct addon_chain *c = chain_with(s);
    struct flow *f = request_like("flows/methods.mitm", 4);
    dispatch(c, f);
    ASSERT(f->response != NULL);
    ASSERT_STREQ(hdrs_get(&f->response->headers, "Date")->value, "Tue, 24 Nov 2026 20:22:10 GMT");
    ASSERT_STREQ(hdrs_get(&f->response->headers, "Last-Modified")->value,
                 "Tue, 24 Nov 2026 20:19:11 GMT");
    flow_unref(f);
    addon_chain_free(c);

    const char *off[] = {replay_arg("flows/methods.mitm"), "server_replay_refresh=false", NULL};
    c = chain_with(off);
    f = request_like("flows/methods.mitm", 4);
    dispatch(c, f);
    ASSERT(f->response != NULL);
    ASSERT_STREQ(hdrs_get(&f->response->headers, "Date")->value, "Mon, 23 Nov 2026 20:22:10 GMT");
    flow_unref(f);
    addon_chain_free(c);
    clock_pin(0);
}

static void
count_calls(void *arg)
{
    (*(int *)arg)++;
}

/* For mitmdump's keepserving: one call when the last recorded flow is served. */
TEST(serverplayback_drained)
{
    const char *s[] = {replay_arg("flows/get-query.mitm"), NULL};
    struct addon_chain *c = chain_with(s);
    int calls = 0;
    serverplayback_wire(sp_of(c), count_calls, &calls);
    addon_chain_running(c);
    ASSERT_EQ(calls, 0);
    struct flow *f = request_like("flows/methods.mitm", 0);
    dispatch(c, f);
    flow_unref(f);
    ASSERT_EQ(calls, 0);
    f = request_like("flows/get-query.mitm", 0);
    dispatch(c, f);
    flow_unref(f);
    ASSERT_EQ(calls, 1);
    addon_chain_free(c);

    /* A file without HTTP flows: drained as soon as the proxy runs. */
    const char *empty[] = {replay_arg("flows/tcp.mitm"), NULL};
    c = chain_with(empty);
    calls = 0;
    serverplayback_wire(sp_of(c), count_calls, &calls);
    addon_chain_running(c);
    ASSERT_EQ(calls, 1);
    addon_chain_free(c);
}

/* configure() again with what changed, as `set` does while serving. */
static void
update(struct addon_chain *c, struct options *o, const char *setting)
{
    struct err e = {0};
    struct options *old = opt_copy(o);
    if (opt_set_arg(o, setting, &e) != 0)
        test_fail(__FILE__, __LINE__, "%s: %s", setting, e.msg);
    struct opt_changes ch;
    opt_diff(old, o, &ch);
    opt_free(old);
    if (addon_chain_update(c, o, &ch, &e) != 0)
        test_fail(__FILE__, __LINE__, "update %s: %s", setting, e.msg);
}

TEST(serverplayback_second_configure)
{
    struct err e = {0};
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, replay_arg("flows/get-query.mitm"), &e), 0);
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_serverplayback_new());
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    ASSERT_EQ(serverplayback_count(sp_of(c)), 1);

    /* Another option: the recorded flows stay (they were reloaded, or lost, before). */
    update(c, o, "anticache=true");
    ASSERT_EQ(serverplayback_count(sp_of(c)), 1);

    /* A matching option: the flows are filed again, so it applies at once. */
    update(c, o, "server_replay_ignore_params=lang");
    struct flow *f = request_like("flows/get-query.mitm", 0);
    no_lang(f->request);
    dispatch(c, f);
    ASSERT(f->response != NULL);
    flow_unref(f);
    ASSERT_EQ(serverplayback_count(sp_of(c)), 0);

    /* A new server_replay replaces what was loaded... */
    update(c, o, replay_arg("flows/methods.mitm"));
    ASSERT_EQ(serverplayback_count(sp_of(c)), 6);
    /* ...and emptying it clears it. */
    update(c, o, "server_replay");
    ASSERT_EQ(serverplayback_count(sp_of(c)), 0);
    opt_free(o);
    addon_chain_free(c);
}
