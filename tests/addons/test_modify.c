/*
 * The spec syntax shared by the rewriting addons, Python-compatible re.sub,
 * and the modify_body and modify_headers addons run through a chain the
 * way mitmdump runs them. Expected strings were checked against Python
 * 3.11's re.sub and mitmproxy 8.1.1's addons.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/modify_body.h"
#include "addons/modify_headers.h"
#include "addons/spec.h"
#include "flow/flow.h"
#include "http/encoding.h"
#include "options/opt.h"
#include "util/pyre.h"

/* --- spec --- */

TEST(modify_spec_two_and_three_parts)
{
    struct spec s;
    struct err e = {0};
    ASSERT_EQ(spec_parse("/foo/bar", &s, &e), 0);
    ASSERT(s.filter == NULL);
    ASSERT_STREQ(s.subject, "foo");
    ASSERT_STREQ(s.replacement, "bar");
    spec_clear(&s);

    /* Any separator; the replacement keeps later separators (split(sep, 2)). */
    ASSERT_EQ(spec_parse(":~q:a:b:c", &s, &e), 0);
    ASSERT(s.filter != NULL);
    ASSERT_STREQ(s.subject, "a");
    ASSERT_STREQ(s.replacement, "b:c");
    spec_clear(&s);

    ASSERT_EQ(spec_parse("|x|", &s, &e), 0);
    ASSERT_STREQ(s.subject, "x");
    ASSERT_STREQ(s.replacement, "");
    spec_clear(&s);
}

TEST(modify_spec_errors)
{
    struct spec s;
    struct err e = {0};
    ASSERT(spec_parse("/onlyone", &s, &e) < 0);
    ASSERT(strstr(e.msg, "Invalid number of parameters") != NULL);
    ASSERT(spec_parse("", &s, &e) < 0);
    ASSERT(spec_parse("/~xyz/a/b", &s, &e) < 0);
    ASSERT(e.msg[0] != '\0');
    ASSERT(s.subject == NULL);
}

TEST(modify_spec_unescape)
{
    struct buf b = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(spec_unescape("a\\nb\\t\\x41\\101\\\\\\d\\'", &b, &e), 0);
    ASSERT_MEMEQ(buf_ptr(&b), b.len, "a\nb\tAA\\\\d'", 10);
    buf_reset(&b);
    ASSERT(spec_unescape("\\x4", &b, &e) < 0);
    ASSERT_EQ(b.len, 0);
    buf_clear(&b);
}

static char tmpfile_path[64];

static void
make_file(const char *content)
{
    snprintf(tmpfile_path, sizeof(tmpfile_path), "/tmp/mp-modify-XXXXXX");
    int fd = mkstemp(tmpfile_path);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
}

TEST(modify_spec_read_replacement_file)
{
    make_file("from \\n file");
    char repl[80];
    snprintf(repl, sizeof(repl), "@%s", tmpfile_path);
    struct buf b = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(spec_read_replacement(repl, &b, &e), 0);
    /* File contents are used as they are, not unescaped. */
    ASSERT_BUF_STR(&b, "from \\n file");
    unlink(tmpfile_path);
    buf_reset(&b);
    ASSERT(spec_read_replacement(repl, &b, &e) < 0);
    ASSERT(strstr(e.msg, "Invalid file path") != NULL);
    buf_clear(&b);
}

/* re.sub(pattern, repl, s) as a string. */
static char *
sub(const char *pattern, unsigned flags, const char *repl, const char *s, struct err *e)
{
    struct spec_re *re = spec_re_compile((const uint8_t *)pattern, strlen(pattern), flags, e);
    ASSERT(re != NULL);
    struct buf out = BUF_INIT;
    int rc = spec_re_sub(re, (const uint8_t *)repl, strlen(repl), (const uint8_t *)s, strlen(s),
                         &out, NULL, e);
    spec_re_free(re);
    char *r = rc < 0 ? NULL : buf_strdup(&out);
    buf_clear(&out);
    return r;
}

static void
check_sub(const char *pattern, const char *repl, const char *s, const char *want)
{
    struct err e = {0};
    char *got = sub(pattern, 0, repl, s, &e);
    if (got == NULL)
        test_fail(__FILE__, __LINE__, "re.sub(%s, %s, %s): %s", pattern, repl, s, e.msg);
    ASSERT_STREQ(got, want);
    free(got);
}

TEST(modify_re_sub_python_rules)
{
    check_sub("o", "0", "foo boo", "f00 b00");
    check_sub("(\\w+)@(\\w+)", "\\2 at \\1", "me@host", "host at me");
    check_sub("(?P<user>\\w+)@(?P<dom>\\w+)", "\\g<dom>/\\g<user>/\\g<0>", "a@b", "b/a/a@b");
    check_sub("(a)|(b)", "[\\2]", "ab", "[][b]");
    check_sub("x*", "-", "abxd", "-a-b--d-");
    check_sub("", "-", "ab", "-a-b-");
    check_sub("a", "\\n\\t\\\\", "a", "\n\t\\");
    check_sub("a", "\\.", "a", "\\.");
    check_sub("a", "\\101", "a", "A");
    check_sub("a", "x\\0y", "a", "x");
    check_sub("nomatch", "z", "abc", "abc");
    check_sub("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)", "\\10", "abcdefghij", "j");

    struct err e = {0};
    ASSERT(sub("(a)", 0, "\\2", "a", &e) == NULL);
    ASSERT(strstr(e.msg, "invalid group reference") != NULL);
    ASSERT(sub("a", 0, "\\q", "zzz", &e) == NULL);
    ASSERT(strstr(e.msg, "bad escape") != NULL);
    ASSERT(sub("(?P<n>a)", 0, "\\g<m>", "a", &e) == NULL);
    ASSERT(sub("a", 0, "\\", "a", &e) == NULL);
    /* Numbers atoi() would wrap to -1 or overflow are refused, not used. */
    ASSERT(sub("(a)?", 0, "\\g<4294967295>", "a", &e) == NULL);
    ASSERT_STREQ(e.msg, "invalid group reference 4294967295");
    ASSERT(sub("(a)", 0, "\\g<2147483648>", "a", &e) == NULL);
    ASSERT_STREQ(e.msg, "invalid group reference 2147483648");
    ASSERT(sub("(a)", 0, "\\g<99999999999999999999999>", "a", &e) == NULL);
    ASSERT(sub("(a)", 0, "\\g<2>", "a", &e) == NULL);
    check_sub("(a)", "\\g<01>", "a", "a");
}

TEST(modify_re_sub_dotall)
{
    struct err e = {0};
    char *got = sub("a.b", PYRE_DOTALL, "X", "a\nb", &e);
    ASSERT_STREQ(got, "X");
    free(got);
    got = sub("a.b", 0, "X", "a\nb", &e);
    ASSERT_STREQ(got, "a\nb");
    free(got);
    ASSERT(spec_re_compile((const uint8_t *)"(", 1, 0, &e) == NULL);
    ASSERT(strstr(e.msg, "Invalid regular expression") != NULL);
}

/* Patterns are Python's: "$" may stand before a final newline, "\\Z" may
 * not, and Python-only syntax ({,n}, \\v) means what it means there. */
TEST(modify_re_python_syntax)
{
    check_sub("b$", "X", "ab\n", "aX\n");
    check_sub("b\\Z", "X", "ab\n", "ab\n");
    check_sub("b\\Z", "X", "ab", "aX");
    check_sub("^a{,2}", "X", "aaa", "Xa");
    check_sub("\\v", "X", "\n\v", "\nX");
    struct err e = {0};
    ASSERT(spec_re_compile((const uint8_t *)"(?<n>a)", 7, 0, &e) == NULL);
    ASSERT(strstr(e.msg, "unknown extension ?<n at position 1") != NULL);
}

/* --- the addons --- */

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
make_flow(const char *body)
{
    struct flow *f = flow_new_http(NULL, NULL);
    struct http_request *r = http_request_new();
    http_set_str(&r->method, "POST");
    http_set_str(&r->scheme, "http");
    http_set_str(&r->host, "example.com");
    r->port = 80;
    http_set_str(&r->path, "/path");
    http_set_str(&r->http_version, "HTTP/1.1");
    hdrs_add_cstr(&r->headers, "Host", "example.com");
    buf_append_str(&r->content, body);
    f->request = r;
    f->live = 1;
    return f;
}

static void
add_response(struct flow *f, const char *body)
{
    struct http_response *r = http_response_new();
    http_set_str(&r->http_version, "HTTP/1.1");
    r->status_code = 200;
    http_set_str(&r->reason, "OK");
    buf_append_str(&r->content, body);
    f->response = r;
}

static void
dispatch(struct addon_chain *c, struct flow *f, enum hook h)
{
    struct hook_data d;
    struct hook_call call;
    hook_data_init(&d, h, f, NULL, NULL);
    addon_dispatch(c, &call, &d, NULL, NULL);
    hook_data_clear(&d);
}

TEST(modify_body_request_and_response)
{
    static const char *const rules[] = {"/foo/bar", "/~s/(h)ello/\\g<1>ELLO", NULL};
    struct err e = {0};
    int rc;
    struct addon_chain *c = chain(addon_modify_body_new(), "modify_body", rules, &e, &rc);
    ASSERT_EQ(rc, 0);
    struct flow *f = make_flow("foo hello foo");
    dispatch(c, f, HOOK_REQUEST);
    /* ~s only matches flows with a response. */
    ASSERT_BUF_STR(&f->request->content, "bar hello bar");
    ASSERT_STREQ(hdrs_get(&f->request->headers, "Content-Length")->value, "13");
    add_response(f, "hello foo");
    dispatch(c, f, HOOK_RESPONSE);
    ASSERT_BUF_STR(&f->response->content, "hELLO bar");
    /* The request is left alone in the response hook. */
    ASSERT_BUF_STR(&f->request->content, "bar hello bar");
    flow_unref(f);
    addon_chain_free(c);
}

TEST(modify_body_refuses_bad_group_at_configure)
{
    /* Once crashed the proxy on the first request (heap overflow in put_group). */
    static const char *const rules[] = {"/~s/foo/\\g<4294967295>", NULL};
    struct err e = {0};
    int rc;
    struct addon_chain *c = chain(addon_modify_body_new(), "modify_body", rules, &e, &rc);
    ASSERT(rc < 0);
    ASSERT_STREQ(e.msg, "Cannot parse modify_body option /~s/foo/\\g<4294967295>: "
                        "invalid group reference 4294967295");
    addon_chain_free(c);
}

TEST(modify_body_skips_dead_and_answered)
{
    static const char *const rules[] = {"/a/b", NULL};
    struct err e = {0};
    int rc;
    struct addon_chain *c = chain(addon_modify_body_new(), "modify_body", rules, &e, &rc);
    struct flow *f = make_flow("a");
    f->live = 0;
    dispatch(c, f, HOOK_REQUEST);
    ASSERT_BUF_STR(&f->request->content, "a");
    f->live = 1;
    add_response(f, "a");
    /* A request that already has a response is not modified in the request hook. */
    dispatch(c, f, HOOK_REQUEST);
    ASSERT_BUF_STR(&f->request->content, "a");
    ASSERT_BUF_STR(&f->response->content, "a");
    flow_unref(f);
    addon_chain_free(c);
}

TEST(modify_body_gzip_reencoded)
{
    static const char *const rules[] = {"/secret/public", NULL};
    struct err e = {0};
    int rc;
    struct addon_chain *c = chain(addon_modify_body_new(), "modify_body", rules, &e, &rc);
    struct flow *f = make_flow("");
    add_response(f, "");
    hdrs_add_cstr(&f->response->headers, "Content-Encoding", "gzip");
    hdrs_add_cstr(&f->response->headers, "Content-Length", "0");
    const char *text = "a secret and another secret";
    ASSERT_EQ(enc_set_content(&f->response->headers, &f->response->content, (const uint8_t *)text,
                              strlen(text), &e),
              0);
    dispatch(c, f, HOOK_RESPONSE);
    struct buf out = BUF_INIT;
    ASSERT_EQ(enc_decoded_content(&f->response->headers, &f->response->content, &out, &e), 0);
    ASSERT_BUF_STR(&out, "a public and another public");
    ASSERT_STREQ(hdrs_get(&f->response->headers, "Content-Encoding")->value, "gzip");
    char num[32];
    snprintf(num, sizeof(num), "%zu", f->response->content.len);
    ASSERT_STREQ(hdrs_get(&f->response->headers, "Content-Length")->value, num);
    buf_clear(&out);

    /* A body that does not decode is left exactly as it was. */
    buf_set(&f->response->content, "secret, not gzip", 16);
    dispatch(c, f, HOOK_RESPONSE);
    ASSERT_BUF_STR(&f->response->content, "secret, not gzip");
    flow_unref(f);
    addon_chain_free(c);
}

TEST(modify_body_replacement_file)
{
    make_file("FROM FILE");
    char rule[96];
    /* The path holds "/", so the rule uses another separator. */
    snprintf(rule, sizeof(rule), ":x:@%s", tmpfile_path);
    const char *rules[] = {rule, NULL};
    struct err e = {0};
    int rc;
    struct addon_chain *c = chain(addon_modify_body_new(), "modify_body", rules, &e, &rc);
    ASSERT_EQ(rc, 0);
    struct flow *f = make_flow("x");
    dispatch(c, f, HOOK_REQUEST);
    ASSERT_BUF_STR(&f->request->content, "FROM FILE");
    flow_unref(f);
    addon_chain_free(c);
    unlink(tmpfile_path);

    /* Unreadable at configure: an error naming the option. */
    c = chain(addon_modify_body_new(), "modify_body", rules, &e, &rc);
    ASSERT(rc < 0);
    ASSERT(strstr(e.msg, "Cannot parse modify_body option") != NULL);
    ASSERT(strstr(e.msg, tmpfile_path) != NULL);
    addon_chain_free(c);
}

TEST(modify_body_configure_errors)
{
    const char *bad[][2] = {{"/nosep", NULL}, {"/(/x", NULL}, {"/~bogus/a/b", NULL}};
    for (size_t i = 0; i < 3; i++) {
        struct err e = {0};
        int rc;
        struct addon_chain *c = chain(addon_modify_body_new(), "modify_body", bad[i], &e, &rc);
        ASSERT(rc < 0);
        ASSERT(strstr(e.msg, bad[i][0]) != NULL);
        addon_chain_free(c);
    }
}

TEST(modify_headers_set_and_remove)
{
    static const char *const rules[] = {"/X-New/one", "/X-New/two", "/User-Agent/",
                                        "|~s|Server|mitm", NULL};
    struct err e = {0};
    int rc;
    struct addon_chain *c = chain(addon_modify_headers_new(), "modify_headers", rules, &e, &rc);
    ASSERT_EQ(rc, 0);
    struct flow *f = make_flow("");
    hdrs_add_cstr(&f->request->headers, "user-agent", "curl");
    hdrs_add_cstr(&f->request->headers, "x-new", "old");
    dispatch(c, f, HOOK_REQUEST);
    struct hdrs *h = &f->request->headers;
    ASSERT_EQ(hdrs_count(h, "User-Agent"), 0);
    ASSERT_EQ(hdrs_count(h, "X-New"), 2);
    ASSERT_STREQ(h->v[h->n - 2].value, "one");
    ASSERT_STREQ(h->v[h->n - 1].value, "two");
    ASSERT_EQ(hdrs_count(h, "Server"), 0);

    add_response(f, "");
    hdrs_add_cstr(&f->response->headers, "Server", "nginx");
    dispatch(c, f, HOOK_RESPONSE);
    ASSERT_STREQ(hdrs_get(&f->response->headers, "Server")->value, "mitm");
    ASSERT_EQ(hdrs_count(&f->response->headers, "Server"), 1);
    flow_unref(f);
    addon_chain_free(c);
}

TEST(modify_headers_configure_error)
{
    static const char *const rules[] = {"|X-A|@/nonexistent/file", NULL};
    struct err e = {0};
    int rc;
    struct addon_chain *c = chain(addon_modify_headers_new(), "modify_headers", rules, &e, &rc);
    ASSERT(rc < 0);
    ASSERT(
        strstr(e.msg,
               "Cannot parse modify_headers option |X-A|@/nonexistent/file: Invalid file path") !=
        NULL);
    addon_chain_free(c);
}
