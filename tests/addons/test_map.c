/*
 * map_remote and map_local run through a chain as mitmdump runs them; the
 * expected URLs, candidates and responses follow mitmproxy 8.1.1's
 * mapremote.py and maplocal.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/map_local.h"
#include "addons/map_remote.h"
#include "flow/flow.h"
#include "options/opt.h"

static struct addon_chain *
chain(struct addon *a, const char *option, const char *const *values, struct err *e, int *rc)
{
    struct options *o = opt_new();
    struct err se = {0};
    for (; values && *values; values++)
        ASSERT_EQ(opt_set(o, option, *values, &se), 0);
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, a);
    *rc = addon_chain_configure(c, o, e);
    opt_free(o);
    return c;
}

static struct flow *
make_flow(const char *host, int port, const char *path)
{
    struct flow *f = flow_new_http(NULL, NULL);
    struct http_request *r = http_request_new();
    http_set_str(&r->method, "GET");
    http_set_str(&r->scheme, "http");
    http_set_str(&r->host, host);
    r->port = (uint16_t)port;
    http_set_str(&r->path, path);
    http_set_str(&r->http_version, "HTTP/1.1");
    char hh[128];
    snprintf(hh, sizeof(hh), port == 80 ? "%s" : "%s:%d", host, port);
    hdrs_add_cstr(&r->headers, "Host", hh);
    f->request = r;
    f->live = 1;
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

/* --- map_remote --- */

TEST(map_remote_rewrites_url)
{
    static const char *const rules[] = {
        "|^http://example\\.com/(\\w+)|https://other.org:8443/x/\\1", NULL};
    struct err e = {0};
    int rc;
    struct addon_chain *c = chain(addon_map_remote_new(), "map_remote", rules, &e, &rc);
    ASSERT_EQ(rc, 0);
    struct flow *f = make_flow("example.com", 80, "/path?q=1");
    dispatch(c, f);
    struct http_request *r = f->request;
    ASSERT_STREQ(r->scheme, "https");
    ASSERT_STREQ(r->host, "other.org");
    ASSERT_EQ(r->port, 8443);
    ASSERT_STREQ(r->path, "/x/path?q=1");
    /* Request.host's setter puts the bare host in Host. */
    ASSERT_STREQ(hdrs_get(&r->headers, "Host")->value, "other.org");
    flow_unref(f);

    /* No match: nothing changes, not even Host. */
    f = make_flow("unrelated.net", 8080, "/p");
    dispatch(c, f);
    ASSERT_STREQ(f->request->host, "unrelated.net");
    ASSERT_STREQ(hdrs_get(&f->request->headers, "Host")->value, "unrelated.net:8080");
    flow_unref(f);
    addon_chain_free(c);
}

TEST(map_remote_filter_and_errors)
{
    static const char *const rules[] = {"/~m POST/example/changed", NULL};
    struct err e = {0};
    int rc;
    struct addon_chain *c = chain(addon_map_remote_new(), "map_remote", rules, &e, &rc);
    ASSERT_EQ(rc, 0);
    struct flow *f = make_flow("example.com", 80, "/");
    dispatch(c, f);
    ASSERT_STREQ(f->request->host, "example.com");
    flow_unref(f);
    addon_chain_free(c);

    static const char *const bad[] = {"/(unclosed/x", NULL};
    c = chain(addon_map_remote_new(), "map_remote", bad, &e, &rc);
    ASSERT(rc < 0);
    ASSERT(strstr(e.msg, "Cannot parse map_remote option /(unclosed/x") != NULL);
    ASSERT(strstr(e.msg, "Invalid regular expression") != NULL);
    addon_chain_free(c);

    static const char *const badgroup[] = {"|example|\\g<4294967295>", NULL};
    c = chain(addon_map_remote_new(), "map_remote", badgroup, &e, &rc);
    ASSERT(rc < 0);
    ASSERT(strstr(e.msg, "invalid group reference 4294967295") != NULL);
    addon_chain_free(c);
}

TEST(map_remote_set_url_rules)
{
    struct http_request *r = http_request_new();
    struct err e = {0};
    http_set_str(&r->authority, "old:80");
    ASSERT_EQ(map_remote_set_url(r, "HTTP://Host.Example:81", &e), 0);
    ASSERT_STREQ(r->scheme, "http");
    ASSERT_STREQ(r->host, "host.example");
    ASSERT_EQ(r->port, 81);
    ASSERT_STREQ(r->path, "/");
    ASSERT_STREQ(r->authority, "host.example:81");
    ASSERT_EQ(map_remote_set_url(r, "https://[::1]/a#frag", &e), 0);
    ASSERT_STREQ(r->host, "::1");
    ASSERT_EQ(r->port, 443);
    ASSERT_STREQ(r->path, "/a#frag");
    ASSERT(map_remote_set_url(r, "nohost", &e) < 0);
    ASSERT(map_remote_set_url(r, "http://h:99999/", &e) < 0);
    ASSERT(map_remote_set_url(r, "ftp://h/", &e) < 0);
    ASSERT_STREQ(r->host, "::1");
    http_request_free(r);
}

/* --- map_local --- */

static char dir[64];

static void
put(const char *rel, const char *content)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    FILE *fp = fopen(path, "wb");
    ASSERT(fp != NULL);
    fputs(content, fp);
    fclose(fp);
}

static void
make_tree(void)
{
    snprintf(dir, sizeof(dir), "/tmp/mp-maplocal-XXXXXX");
    ASSERT(mkdtemp(dir) != NULL);
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    ASSERT_EQ(mkdir(sub, 0755), 0);
    put("index.html", "<root>");
    put("a.css", "body{}");
    put("sub/index.html", "<sub>");
    put("we_rd.txt", "escaped");
}

static void
remove_tree(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ASSERT_EQ(system(cmd), 0);
}

/* Runs GET example.com/<path> through map_local with rule; returns the flow. */
static struct flow *
ask(const char *rule, const char *path)
{
    const char *rules[] = {rule, NULL};
    struct err e = {0};
    int rc;
    struct addon_chain *c = chain(addon_map_local_new(), "map_local", rules, &e, &rc);
    if (rc < 0)
        test_fail(__FILE__, __LINE__, "configure: %s", e.msg);
    struct flow *f = make_flow("example.com", 80, path);
    dispatch(c, f);
    addon_chain_free(c);
    return f;
}

static void
expect_body(struct flow *f, int status, const char *body)
{
    ASSERT(f->response != NULL);
    ASSERT_EQ(f->response->status_code, status);
    ASSERT_BUF_STR(&f->response->content, body);
    flow_unref(f);
}

TEST(map_local_serves_directory)
{
    make_tree();
    char rule[128];
    snprintf(rule, sizeof(rule), "|example.com/static|%s", dir);
    struct flow *f = ask(rule, "/static/a.css?v=1");
    ASSERT_STREQ(hdrs_get(&f->response->headers, "Content-Type")->value, "text/css");
    ASSERT_STREQ(hdrs_get(&f->response->headers, "Server")->value, "mitmproxy 8.1.1");
    ASSERT_STREQ(hdrs_get(&f->response->headers, "Content-Length")->value, "6");
    expect_body(f, 200, "body{}");
    expect_body(ask(rule, "/static/"), 200, "<root>");
    expect_body(ask(rule, "/static/sub/"), 200, "<sub>");
    expect_body(ask(rule, "/static/we%20rd.txt"), 200, "escaped");
    /* Missing file: an empty 404. */
    expect_body(ask(rule, "/static/missing.js"), 404, "");
    /* Leaving the directory gives no candidates, so the request goes on. */
    f = ask(rule, "/static/%2e%2e/etc/passwd");
    ASSERT(f->response == NULL);
    flow_unref(f);
    /* No match: untouched. */
    f = ask(rule, "/other");
    ASSERT(f->response == NULL);
    flow_unref(f);
    remove_tree();
}

TEST(map_local_group_and_file)
{
    make_tree();
    char rule[128];
    snprintf(rule, sizeof(rule), "|example.com/x/(\\w+)/|%s", dir);
    expect_body(ask(rule, "/x/sub/ignored"), 200, "<sub>");
    snprintf(rule, sizeof(rule), "|.*|%s/a.css", dir);
    expect_body(ask(rule, "/anything"), 200, "body{}");
    remove_tree();
}

TEST(map_local_configure_errors)
{
    const char *rules[] = {"|x|/nonexistent/dir/for/sure", NULL};
    struct err e = {0};
    int rc;
    struct addon_chain *c = chain(addon_map_local_new(), "map_local", rules, &e, &rc);
    ASSERT(rc < 0);
    ASSERT(strstr(e.msg, "Cannot parse map_local option |x|/nonexistent/dir/for/sure") != NULL);
    ASSERT(strstr(e.msg, "Invalid file path") != NULL);
    addon_chain_free(c);
}

TEST(map_local_guess_type_rules)
{
    ASSERT_STREQ(map_local_guess_type("/a/b.html"), "text/html");
    ASSERT_STREQ(map_local_guess_type("b.PNG"), "image/png");
    ASSERT_STREQ(map_local_guess_type("x.tar.gz"), "application/x-tar");
    ASSERT(map_local_guess_type("x.gz") == NULL);
    ASSERT(map_local_guess_type("noext") == NULL);
    ASSERT(map_local_guess_type(".hidden") == NULL);
}
