/* The pathod spec language: parse, resolve, print back, render. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/test.h"
#include "pathod/lang.h"

/*
 * Renders a whole message with pulls of chunk bytes. Actions go into acts
 * as "<p5@3>" (pause 5 s after 3 bytes), "<d@3>", "<pf@3>"; DONE adds nothing.
 */
static void
render_all(struct pathod_render *r, struct buf *out, struct buf *acts, size_t chunk)
{
    uint8_t tmp[4096];
    if (chunk > sizeof(tmp))
        chunk = sizeof(tmp);
    for (int guard = 0; guard < 1000000; guard++) {
        struct pathod_action act;
        ssize_t n = pathod_render_next(r, tmp, chunk, &act);
        ASSERT(n >= 0);
        buf_append(out, tmp, (size_t)n);
        if (act.kind == PATHOD_ACT_PAUSE) {
            if (acts) {
                if (act.seconds < 0)
                    buf_printf(acts, "<pf@%zu>", out->len);
                else
                    buf_printf(acts, "<p%lld@%zu>", (long long)act.seconds, out->len);
            }
        } else if (act.kind == PATHOD_ACT_DISCONNECT) {
            if (acts)
                buf_printf(acts, "<d@%zu>", out->len);
            return;
        } else if (act.kind == PATHOD_ACT_DONE) {
            return;
        }
    }
    ASSERT(!"render did not finish");
}

static const struct pathod_settings no_settings = {0};

static int
starts(const struct buf *b, const char *prefix)
{
    size_t n = strlen(prefix);
    return b->len >= n && memcmp(b->data + b->off, prefix, n) == 0;
}

/* Parses, resolves and renders a response; returns the bytes (caller clears). */
static void
resp_bytes(const char *spec, const struct pathod_settings *s, struct buf *out, struct buf *acts)
{
    struct err e;
    struct pathod_response *r = pathod_response_parse(spec, &e);
    if (!r)
        test_fail(__FILE__, __LINE__, "parse %s: %s", spec, e.msg);
    if (pathod_response_resolve(r, s ? s : &no_settings, &e) < 0)
        test_fail(__FILE__, __LINE__, "resolve %s: %s", spec, e.msg);
    struct pathod_render *rd = pathod_response_render(r);
    render_all(rd, out, acts, 7);
    pathod_render_free(rd);
    pathod_response_free(r);
}

static void
req_bytes(const char *spec, const struct pathod_settings *s, struct buf *out, struct buf *acts)
{
    struct err e;
    struct pathod_request *r = pathod_request_parse(spec, &e);
    if (!r)
        test_fail(__FILE__, __LINE__, "parse %s: %s", spec, e.msg);
    if (pathod_request_resolve(r, s ? s : &no_settings, &e) < 0)
        test_fail(__FILE__, __LINE__, "resolve %s: %s", spec, e.msg);
    struct pathod_render *rd = pathod_request_render(r);
    render_all(rd, out, acts, 5);
    pathod_render_free(rd);
    pathod_request_free(r);
}

static void
frame_bytes(const char *spec, const struct pathod_settings *s, struct buf *out)
{
    struct err e;
    struct pathod_frame *f = pathod_frame_parse(spec, &e);
    if (!f)
        test_fail(__FILE__, __LINE__, "parse %s: %s", spec, e.msg);
    if (pathod_frame_resolve(f, s ? s : &no_settings, &e) < 0)
        test_fail(__FILE__, __LINE__, "resolve %s: %s", spec, e.msg);
    struct pathod_render *rd = pathod_frame_render(f);
    render_all(rd, out, NULL, 3);
    pathod_render_free(rd);
    pathod_frame_free(f);
}

#define RESP_IS(spec, expect)                                                                      \
    do {                                                                                           \
        struct buf rb_ = BUF_INIT;                                                                 \
        resp_bytes(spec, NULL, &rb_, NULL);                                                        \
        ASSERT_BUF_STR(&rb_, expect);                                                              \
        buf_clear(&rb_);                                                                           \
    } while (0)

#define REQ_IS(spec, settings, expect)                                                             \
    do {                                                                                           \
        struct buf rb_ = BUF_INIT;                                                                 \
        req_bytes(spec, settings, &rb_, NULL);                                                     \
        ASSERT_BUF_STR(&rb_, expect);                                                              \
        buf_clear(&rb_);                                                                           \
    } while (0)

TEST(pathod_lang_response_basic)
{
    RESP_IS("200", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    RESP_IS("200:b'foo'", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nfoo");
    RESP_IS("200:r", "HTTP/1.1 200 OK\r\n\r\n");
    RESP_IS("200:R:b'x'", "HTTP/1.1 200 OK\r\n\r\nx");
    RESP_IS("404:m'Gone Fishing'", "HTTP/1.1 404 Gone Fishing\r\nContent-Length: 0\r\n\r\n");
    RESP_IS("999", "HTTP/1.1 999 Unknown code\r\nContent-Length: 0\r\n\r\n");
    RESP_IS("200:h'X'='y':c'text/json':l\"/there\"",
            "HTTP/1.1 200 OK\r\nX: y\r\nContent-Type: text/json\r\nLocation: /there\r\n"
            "Content-Length: 0\r\n\r\n");
    /* A given Content-Length wins over the automatic one (case-insensitively). */
    RESP_IS("200:b'abc':h'content-length'='10'",
            "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
    /* Optional separators and bare words, as in pathod. */
    RESP_IS("200b'x'mFine", "HTTP/1.1 200 Fine\r\nContent-Length: 1\r\n\r\nx");
    RESP_IS("200:bfoo", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nfoo");
}

TEST(pathod_lang_escapes)
{
    RESP_IS("200:b'a\\nb\\x41\\'\\\\\\t'",
            "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\na\nbA'\\\t");
    RESP_IS("200:b\"it's\"", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nit's");
    struct buf z = BUF_INIT;
    resp_bytes("200:b'\\101\\0'", NULL, &z, NULL);
    ASSERT_MEMEQ(buf_ptr(&z), z.len, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nA\0", 40);
    buf_clear(&z);

    struct buf b = BUF_INIT;
    pathod_escape(&b, (const uint8_t *)"a'\n\x01\\\"", 6);
    ASSERT_BUF_STR(&b, "a\\x27\\n\\x01\\\\\"");
    buf_clear(&b);
}

TEST(pathod_lang_request_basic)
{
    REQ_IS("get:/", NULL, "GET / HTTP/1.1\r\n\r\n");
    REQ_IS("get:/:h'X'='y'", NULL, "GET / HTTP/1.1\r\nX: y\r\n\r\n");
    REQ_IS("GET:/foo", NULL, "GET /foo HTTP/1.1\r\n\r\n");
    REQ_IS("'FOO':/", NULL, "FOO / HTTP/1.1\r\n\r\n");
    REQ_IS("post:/p:b'ab':c'text/plain'", NULL,
           "POST /p HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nab");
    REQ_IS("get:'http://google.com'", NULL, "GET http://google.com HTTP/1.1\r\n\r\n");
    struct pathod_settings s = {.host = "example.com"};
    REQ_IS("get:/", &s, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    REQ_IS("get:/:h'host'='x'", &s, "GET / HTTP/1.1\r\nhost: x\r\n\r\n");
    REQ_IS("get:/:r", &s, "GET / HTTP/1.1\r\n\r\n");
    REQ_IS("get:/:uchrome", NULL,
           "GET / HTTP/1.1\r\nUser-Agent: Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.1 "
           "(KHTML, like Gecko) Chrome/22.0.1207.1 Safari/537.1\r\n\r\n");
    REQ_IS(
        "get:/:ug", NULL,
        "GET / HTTP/1.1\r\nUser-Agent: Googlebot/2.1 (+http://www.googlebot.com/bot.html)\r\n\r\n");
    REQ_IS("get:/:u'googlebot'", NULL, "GET / HTTP/1.1\r\nUser-Agent: googlebot\r\n\r\n");
}

TEST(pathod_lang_request_nested)
{
    REQ_IS("get:/p/:s'200:b\"x\"'", NULL, "GET /p/200:b'x':h'Content-Length'='1' HTTP/1.1\r\n\r\n");
    struct err e;
    struct pathod_request *r = pathod_request_parse("get:/p/:s'401:ir,@1'", &e);
    ASSERT(r);
    ASSERT_EQ(pathod_request_resolve(r, &no_settings, &e), 0);
    struct buf path = BUF_INIT, spec = BUF_INIT;
    pathod_request_path(r, &path, 1000);
    /* The nested response got its random offset and byte fixed. */
    ASSERT(memmem(buf_ptr(&path), path.len, ":ir", 3) == NULL);
    ASSERT(memmem(buf_ptr(&path), path.len, "/p/401:i", 8) != NULL);
    pathod_request_spec(r, &spec);
    char *s1 = buf_strdup(&spec);
    struct pathod_request *r2 = pathod_request_parse(s1, &e);
    ASSERT(r2);
    struct buf p2 = BUF_INIT;
    ASSERT_EQ(pathod_request_resolve(r2, &no_settings, &e), 0);
    pathod_request_path(r2, &p2, 1000);
    ASSERT_MEMEQ(buf_ptr(&path), path.len, buf_ptr(&p2), p2.len);
    free(s1);
    buf_clear(&path);
    buf_clear(&p2);
    buf_clear(&spec);
    pathod_request_free(r);
    pathod_request_free(r2);

    ASSERT(!pathod_request_parse("get:/:s'foo'", &e));
    ASSERT(strstr(e.msg, "offset 7: invalid embedded response") != NULL);
}

TEST(pathod_lang_generators)
{
    static const struct {
        const char *type;
        const char *alpha;
    } types[] = {
        {"ascii_letters", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"},
        {"ascii_lowercase", "abcdefghijklmnopqrstuvwxyz"},
        {"ascii_uppercase", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
        {"digits", "0123456789"},
        {"hexdigits", "0123456789abcdefABCDEF"},
        {"octdigits", "01234567"},
        {"punctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"},
        {"whitespace", " \t\n\r\x0b\x0c"},
        {"ascii", NULL},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char spec[64];
        snprintf(spec, sizeof(spec), "200:r:b@3k,%s", types[i].type);
        struct buf b = BUF_INIT;
        resp_bytes(spec, NULL, &b, NULL);
        const char *head = "HTTP/1.1 200 OK\r\n\r\n";
        ASSERT_EQ(b.len, strlen(head) + 3072);
        int seen[256] = {0};
        for (size_t k = strlen(head); k < b.len; k++) {
            uint8_t c = buf_ptr(&b)[k];
            seen[c] = 1;
            if (types[i].alpha)
                ASSERT(memchr(types[i].alpha, c, strlen(types[i].alpha)) != NULL);
            else
                ASSERT(c >= 0x09 && c < 0x7f);
        }
        /* 3 KiB from a small alphabet shows every symbol. */
        if (types[i].alpha && strlen(types[i].alpha) <= 32)
            for (const char *p = types[i].alpha; *p; p++)
                ASSERT(seen[(uint8_t)*p]);
        buf_clear(&b);
    }
    struct buf b = BUF_INIT;
    resp_bytes("200:r:b@2k", NULL, &b, NULL);
    ASSERT_EQ(b.len, 19 + 2048);
    buf_clear(&b);
    resp_bytes("200:b@1k", NULL, &b, NULL);
    ASSERT(starts(&b, "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n"));
    ASSERT_EQ(b.len, 41 + 1024);
    buf_clear(&b);
}

TEST(pathod_lang_generator_spec)
{
    struct err e;
    /* Small generated values freeze into literals. */
    struct pathod_response *r = pathod_response_parse("200:b@10,digits", &e);
    ASSERT(r);
    struct buf s = BUF_INIT;
    pathod_response_spec(r, &s);
    ASSERT_BUF_STR(&s, "200:b@10,digits");
    buf_reset(&s);
    ASSERT_EQ(pathod_response_resolve(r, &no_settings, &e), 0);
    pathod_response_spec(r, &s);
    ASSERT_EQ(s.len, strlen("200:b'0123456789':h'Content-Length'='10'"));
    ASSERT(starts(&s, "200:b'"));
    pathod_response_free(r);
    buf_reset(&s);

    /* Big ones stay generators, with the seed that reproduces them. */
    r = pathod_response_parse("200:b@1g,ascii", &e);
    ASSERT(r);
    ASSERT_EQ(pathod_response_resolve(r, &no_settings, &e), 0);
    pathod_response_spec(r, &s);
    ASSERT(starts(&s, "200:b@1g,ascii,s"));
    ASSERT(memmem(buf_ptr(&s), s.len, ":h'Content-Length'='1073741824'", 31) != NULL);
    ASSERT_EQ(pathod_response_body_length(r), 1073741824ull);
    pathod_response_free(r);
    buf_clear(&s);

    /* Units. */
    r = pathod_response_parse("200:r:b@2m", &e);
    ASSERT_EQ(pathod_response_resolve(r, &no_settings, &e), 0);
    ASSERT_EQ(pathod_response_body_length(r), 2u << 20);
    pathod_response_free(r);
    r = pathod_response_parse("200:r:b@1t", &e);
    ASSERT_EQ(pathod_response_resolve(r, &no_settings, &e), 0);
    ASSERT_EQ(pathod_response_body_length(r), 1ull << 40);
    pathod_response_free(r);
}

/* A 64 MiB body streams through a 4 KiB buffer with no growth in memory. */
TEST(pathod_lang_stream_big)
{
    struct err e;
    struct pathod_response *r = pathod_response_parse("200:b@64m,ascii_letters", &e);
    ASSERT(r);
    ASSERT_EQ(pathod_response_resolve(r, &no_settings, &e), 0);
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    struct pathod_render *rd = pathod_response_render(r);
    uint8_t tmp[4096];
    uint64_t total = 0, letters = 0;
    for (;;) {
        struct pathod_action act;
        ssize_t n = pathod_render_next(rd, tmp, sizeof(tmp), &act);
        ASSERT(n >= 0);
        total += (uint64_t)n;
        for (ssize_t i = 0; i < n; i += 997)
            letters += (tmp[i] | 0x20) >= 'a' && (tmp[i] | 0x20) <= 'z';
        if (act.kind == PATHOD_ACT_DONE)
            break;
        ASSERT_EQ(act.kind, PATHOD_ACT_NONE);
    }
    getrusage(RUSAGE_SELF, &after);
    ASSERT_EQ(total, pathod_render_length(rd));
    ASSERT_EQ(total, strlen("HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\n\r\n") + (64u << 20));
    ASSERT(letters > 60000);
    /* maxrss is in KiB: well under the 64 MiB the body would take. */
    ASSERT(after.ru_maxrss - before.ru_maxrss < 16 * 1024);
    pathod_render_free(rd);
    pathod_response_free(r);
}

TEST(pathod_lang_actions)
{
    struct buf b = BUF_INIT, a = BUF_INIT;
    resp_bytes("200:r:b'abcdef':i0,'X'", NULL, &b, &a);
    ASSERT_BUF_STR(&b, "XHTTP/1.1 200 OK\r\n\r\nabcdef");
    buf_reset(&b);
    resp_bytes("200:r:b'abcdef':i22,'X':i22,'Y'", NULL, &b, &a);
    ASSERT_BUF_STR(&b, "HTTP/1.1 200 OK\r\n\r\nabcXYdef");
    buf_reset(&b);
    resp_bytes("200:r:b'abcdef':ia,'Z'", NULL, &b, &a);
    ASSERT_BUF_STR(&b, "HTTP/1.1 200 OK\r\n\r\nabcdefZ");
    buf_reset(&b);
    ASSERT_EQ(a.len, 0);

    resp_bytes("200:r:b'abcdef':d21", NULL, &b, &a);
    ASSERT_BUF_STR(&b, "HTTP/1.1 200 OK\r\n\r\nab");
    ASSERT_BUF_STR(&a, "<d@21>");
    buf_reset(&b);
    buf_reset(&a);
    resp_bytes("200:r:b'abcdef':da", NULL, &b, &a);
    ASSERT_BUF_STR(&b, "HTTP/1.1 200 OK\r\n\r\nabcdef");
    ASSERT_BUF_STR(&a, "<d@25>");
    buf_reset(&b);
    buf_reset(&a);
    resp_bytes("200:r:b'abcdef':p3,2:p0,f:pa,1", NULL, &b, &a);
    ASSERT_BUF_STR(&b, "HTTP/1.1 200 OK\r\n\r\nabcdef");
    ASSERT_BUF_STR(&a, "<pf@0><p2@3><p1@25>");
    buf_reset(&b);
    buf_reset(&a);
    /* Offsets past the end act at the end. */
    resp_bytes("200:r:d1000", NULL, &b, &a);
    ASSERT_BUF_STR(&a, "<d@19>");
    buf_reset(&b);
    buf_reset(&a);

    /* Random offsets land inside the message and print as integers. */
    for (int i = 0; i < 50; i++) {
        struct err e;
        struct pathod_response *r = pathod_response_parse("200:r:b'abcdef':ir,'Z':dr:pr,1", &e);
        ASSERT_EQ(pathod_response_resolve(r, &no_settings, &e), 0);
        struct buf s = BUF_INIT;
        pathod_response_spec(r, &s);
        char *txt = buf_strdup(&s);
        unsigned io, dof, po;
        ASSERT_EQ(sscanf(txt, "200:r:b'abcdef':i%u,'Z':d%u:p%u,1", &io, &dof, &po), 3);
        ASSERT(io < 25 && dof < 25 && po < 25);
        free(txt);
        buf_clear(&s);
        struct pathod_render *rd = pathod_response_render(r);
        render_all(rd, &b, &a, 4096);
        char expect[32];
        snprintf(expect, sizeof(expect), "<d@%u>", dof + (io <= dof));
        ASSERT(memmem(buf_ptr(&a), a.len, expect, strlen(expect)) != NULL);
        ASSERT_EQ(b.len, dof + (io <= dof));
        buf_reset(&a);
        buf_reset(&b);
        pathod_render_free(rd);
        pathod_response_free(r);
    }
    buf_clear(&a);
    buf_clear(&b);
}

static void
expect_error(int kind, const char *spec, const char *msg)
{
    struct err e;
    void *m = kind == 0   ? (void *)pathod_response_parse(spec, &e)
              : kind == 1 ? (void *)pathod_request_parse(spec, &e)
                          : (void *)pathod_frame_parse(spec, &e);
    if (m)
        test_fail(__FILE__, __LINE__, "%s parsed", spec);
    if (strncmp(e.msg, msg, strlen(msg)) != 0)
        test_fail(__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"", spec, e.msg, msg);
    ASSERT_EQ(e.code, MP_ERR_SYNTAX);
}

TEST(pathod_lang_errors)
{
    expect_error(0, "", "parse error at offset 0: expected a response code or ws");
    expect_error(0, "200:b", "parse error at offset 5: expected a value");
    expect_error(0, "200:b'foo", "parse error at offset 5: unterminated string");
    expect_error(0, "200:x", "parse error at offset 4: unknown response feature");
    expect_error(0, "200:b'a':b'b'", "parse error at offset 9: message has multiple body clauses");
    expect_error(0, "200:h'x'", "parse error at offset 8: expected '='");
    expect_error(0, "200:h'x'=y", "parse error at offset 9: expected a value");
    expect_error(0, "200:b@", "parse error at offset 6: expected an integer");
    expect_error(0, "200:i5'x'", "parse error at offset 6: expected ','");
    expect_error(0, "200:iq,'x'", "parse error at offset 5: expected an offset");
    expect_error(0, "200:p1,x", "parse error at offset 7: expected an integer");
    expect_error(0, "200:", "parse error at offset 4: expected a feature");
    expect_error(0, "200:b'\\x4'", "parse error at offset 6: invalid \\x escape");
    expect_error(0, "200:da:d1", "parse error at offset 7: message has multiple disconnectat");
    expect_error(0, "99999999999999999999", "parse error at offset 0: integer too large");
    expect_error(1, "get", "parse error at offset 3: expected a value");
    expect_error(1, "foo:/", "parse error at offset 0: expected a method");
    expect_error(1, "get:/:m'x'", "parse error at offset 6: unknown request feature");
    expect_error(1, "get:/:x1:x2", "parse error at offset 9: message has multiple times");
    expect_error(2, "200", "parse error at offset 0: expected wf");
    expect_error(2, "wf:c16", "parse error at offset 4: opcode can't exceed 15");
    expect_error(2, "wf:k'abc'", "parse error at offset 4: invalid key length: 3 bytes");
    expect_error(2, "wf:knone:k'abcd'", "parse error at offset 9: message has multiple key");
    expect_error(2, "wf:b'x':r'y'", "parse error at offset 8: message has multiple body");

    /* The caret sits under the offending character. */
    struct err e;
    ASSERT(!pathod_response_parse("200:b", &e));
    ASSERT_STREQ(e.msg, "parse error at offset 5: expected a value\n  200:b\n       ^");
    ASSERT(!pathod_response_parse("200:x", &e));
    ASSERT_STREQ(e.msg, "parse error at offset 4: unknown response feature\n  200:x\n      ^");
}

TEST(pathod_lang_resolve_errors)
{
    struct err e;
    struct pathod_response *r = pathod_response_parse("ws", &e);
    ASSERT(r);
    ASSERT_EQ(pathod_response_resolve(r, &no_settings, &e), MP_ERR_INVAL);
    ASSERT(strstr(e.msg, "websocket key") != NULL);
    pathod_response_free(r);
    r = pathod_response_parse("200:b<foo", &e);
    ASSERT(r);
    ASSERT(pathod_response_resolve(r, &no_settings, &e) < 0);
    ASSERT(strstr(e.msg, "file access disabled") != NULL);
    pathod_response_free(r);
}

static char *
make_staticdir(void)
{
    char tmpl[] = "/tmp/pathod_lang_XXXXXX";
    char *d = mkdtemp(tmpl);
    ASSERT(d);
    char p[256];
    snprintf(p, sizeof(p), "%s/sub", d);
    ASSERT_EQ(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/sub/file.txt", d);
    FILE *f = fopen(p, "w");
    ASSERT(f);
    fputs("hello file", f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/link", d);
    ASSERT_EQ(symlink("/etc/passwd", p), 0);
    return strdup(d);
}

static void
remove_staticdir(char *d)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/sub/file.txt", d);
    unlink(p);
    snprintf(p, sizeof(p), "%s/link", d);
    unlink(p);
    snprintf(p, sizeof(p), "%s/sub", d);
    rmdir(p);
    rmdir(d);
    free(d);
}

static int
resolve_with(const char *spec, const struct pathod_settings *s, struct err *e)
{
    struct pathod_response *r = pathod_response_parse(spec, e);
    ASSERT(r);
    int rc = pathod_response_resolve(r, s, e);
    pathod_response_free(r);
    return rc;
}

TEST(pathod_lang_files)
{
    char *d = make_staticdir();
    struct pathod_settings s = {.staticdir = d};
    struct buf b = BUF_INIT;
    resp_bytes("200:b<sub/file.txt", &s, &b, NULL);
    ASSERT_BUF_STR(&b, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello file");
    buf_reset(&b);
    resp_bytes("200:b<\"./sub/../sub/file.txt\":ia,<sub/file.txt", &s, &b, NULL);
    ASSERT_BUF_STR(&b, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello filehello file");
    buf_clear(&b);

    struct err e;
    ASSERT(resolve_with("200:b<../x", &s, &e) < 0);
    ASSERT(strstr(e.msg, "outside") != NULL);
    ASSERT(resolve_with("200:b<'/etc/passwd'", &s, &e) < 0);
    ASSERT(strstr(e.msg, "outside") != NULL);
    ASSERT(resolve_with("200:b<sub/../../etc/passwd", &s, &e) < 0);
    ASSERT(resolve_with("200:b<link", &s, &e) < 0);
    ASSERT(strstr(e.msg, "outside") != NULL);
    ASSERT(resolve_with("200:b<nope", &s, &e) < 0);
    ASSERT(strstr(e.msg, "not readable") != NULL);
    ASSERT(resolve_with("200:b<sub", &s, &e) < 0);

    /* pathoc's unconstrained rule: any path, relative ones from staticdir. */
    struct pathod_settings pc = {.staticdir = d, .unconstrained_files = 1};
    ASSERT_EQ(resolve_with("200:b<'/etc/passwd'", &pc, &e), 0);
    ASSERT_EQ(resolve_with("200:b<sub/file.txt", &pc, &e), 0);
    ASSERT(resolve_with("200:b<nope", &pc, &e) < 0);
    pc.staticdir = NULL;
    ASSERT_EQ(resolve_with("200:b<'/etc/passwd'", &pc, &e), 0);

    /* Printed back, a file value stays a file value. */
    struct pathod_response *r = pathod_response_parse("200:b<sub/file.txt", &e);
    ASSERT_EQ(pathod_response_resolve(r, &s, &e), 0);
    struct buf sp = BUF_INIT;
    pathod_response_spec(r, &sp);
    ASSERT_BUF_STR(&sp, "200:b<'sub/file.txt':h'Content-Length'='10'");
    buf_clear(&sp);
    pathod_response_free(r);
    remove_staticdir(d);
}

#define FRAME_IS(spec, settings, expect, n)                                                        \
    do {                                                                                           \
        struct buf rb_ = BUF_INIT;                                                                 \
        frame_bytes(spec, settings, &rb_);                                                         \
        ASSERT_MEMEQ(buf_ptr(&rb_), rb_.len, expect, n);                                           \
        buf_clear(&rb_);                                                                           \
    } while (0)

TEST(pathod_lang_frames)
{
    FRAME_IS("wf:b'hello'", NULL, "\x81\x05hello", 7);
    FRAME_IS("wf", NULL, "\x81\x00", 2);
    FRAME_IS("wf:", NULL, "\x81\x00", 2);
    FRAME_IS("wf:b'hi':-fin:rsv1:rsv2:rsv3:c2", NULL, "\x72\x02hi", 4);
    FRAME_IS("wf:cping", NULL, "\x89\x00", 2);
    FRAME_IS("wf:cPONG", NULL, "\x8a\x00", 2);
    FRAME_IS("wf:c15", NULL, "\x8f\x00", 2);
    FRAME_IS("wf:cclose:b'\\x03\\xe8'", NULL, "\x88\x02\x03\xe8", 4);
    FRAME_IS("wf:ccontinue:-fin", NULL, "\x00\x00", 2);
    FRAME_IS("wf:l300:b'x'", NULL, "\x81\x7e\x01\x2cx", 5);
    /* Masked: key in the header, payload XORed with it. */
    FRAME_IS("wf:b'abcd':mask:k'\\x01\\x02\\x03\\x04'", NULL,
             "\x81\x84\x01\x02\x03\x04\x60\x60\x60\x60", 10);
    /* A key alone sets the mask bit. */
    FRAME_IS("wf:b'a':k'\\x01\\x01\\x01\\x01'", NULL, "\x81\x81\x01\x01\x01\x01\x60", 7);
    /* -mask drops the key; r sends the payload raw even with a key. */
    FRAME_IS("wf:b'a':-mask:k'abcd'", NULL,
             "\x81\x01"
             "a",
             3);
    FRAME_IS("wf:r'a':k'\\x01\\x01\\x01\\x01'", NULL,
             "\x81\x81\x01\x01\x01\x01"
             "a",
             7);
    /* knone: the mask bit without a key. */
    FRAME_IS("wf:b'a':mask:knone", NULL,
             "\x81\x81"
             "a",
             3);

    /* Lengths 126..65535 take two bytes, more take eight. */
    struct buf b = BUF_INIT;
    frame_bytes("wf:b@200", NULL, &b);
    ASSERT_EQ(b.len, 4 + 200);
    ASSERT_MEMEQ(buf_ptr(&b), 4, "\x81\x7e\x00\xc8", 4);
    buf_reset(&b);
    frame_bytes("wf:b@70000:c2", NULL, &b);
    ASSERT_EQ(b.len, 10 + 70000);
    ASSERT_MEMEQ(buf_ptr(&b), 10, "\x82\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10);
    buf_reset(&b);

    /* pathoc masks with a random alphanumeric key. */
    struct pathod_settings client = {.is_client = 1};
    struct err e;
    struct pathod_frame *f = pathod_frame_parse("wf:b'hello'", &e);
    ASSERT(f);
    ASSERT_EQ(pathod_frame_resolve(f, &client, &e), 0);
    struct buf s = BUF_INIT;
    pathod_frame_spec(f, &s);
    ASSERT(starts(&s, "wf:b'hello':mask:k'"));
    ASSERT_EQ(s.len, 19 + 4 + 1);
    struct pathod_render *rd = pathod_frame_render(f);
    render_all(rd, &b, NULL, 100);
    pathod_render_free(rd);
    ASSERT_EQ(b.len, 2 + 4 + 5);
    ASSERT_EQ(buf_ptr(&b)[1], 0x85);
    const uint8_t *key = buf_ptr(&b) + 2;
    for (int i = 0; i < 5; i++)
        ASSERT_EQ(buf_ptr(&b)[6 + i] ^ key[i % 4], "hello"[i]);
    ASSERT_EQ(pathod_frame_opcode(f), 1);
    ASSERT_EQ(pathod_frame_payload_length(f), 5);
    ASSERT_EQ(pathod_frame_times(f), 1);
    pathod_frame_free(f);
    /* -mask keeps pathoc's frame unmasked. */
    buf_reset(&b);
    frame_bytes("wf:b'x':-mask", &client, &b);
    ASSERT_MEMEQ(buf_ptr(&b), b.len, "\x81\x01x", 3);
    buf_clear(&b);
    buf_clear(&s);

    f = pathod_frame_parse("wf:x3:d1", &e);
    ASSERT_EQ(pathod_frame_times(f), 3);
    pathod_frame_free(f);
}

TEST(pathod_lang_ws_handshake)
{
    struct err e;
    struct pathod_request *rq = pathod_request_parse("ws:/", &e);
    ASSERT(rq);
    ASSERT(pathod_request_is_ws(rq));
    ASSERT_EQ(pathod_request_resolve(rq, &no_settings, &e), 0);
    struct buf b = BUF_INIT, n = BUF_INIT, v = BUF_INIT;
    pathod_request_method(rq, &b, 100);
    ASSERT_BUF_STR(&b, "GET");
    buf_reset(&b);
    ASSERT_EQ(pathod_request_header_count(rq), 4);
    const char *names[] = {"Connection", "Upgrade", "Sec-WebSocket-Key", "Sec-WebSocket-Version"};
    char key[64] = "";
    for (size_t i = 0; i < 4; i++) {
        pathod_request_header(rq, i, &n, &v, 100);
        ASSERT_BUF_STR(&n, names[i]);
        if (i == 2) {
            ASSERT_EQ(v.len, 24);
            memcpy(key, buf_ptr(&v), 24);
        }
        buf_reset(&n);
        buf_reset(&v);
    }
    pathod_request_spec(rq, &b);
    ASSERT(starts(&b, "ws:'GET':/:h'Connection'='Upgrade':h'Upgrade'='websocket'"));
    buf_reset(&b);
    pathod_request_free(rq);

    /* The RFC 6455 example key. */
    char acc[29];
    pathod_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", acc);
    ASSERT_STREQ(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    struct pathod_settings s = {.ws_key = "dGhlIHNhbXBsZSBub25jZQ=="};
    resp_bytes("ws", &s, &b, NULL);
    ASSERT_BUF_STR(&b,
                   "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                   "Upgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                   "Content-Length: 0\r\n\r\n");
    buf_reset(&b);
    struct pathod_response *r = pathod_response_parse("ws", &e);
    ASSERT(pathod_response_is_ws(r));
    ASSERT_EQ(pathod_response_resolve(r, &s, &e), 0);
    ASSERT_EQ(pathod_response_code(r), 101);
    pathod_response_spec(r, &b);
    ASSERT(starts(&b, "ws:101:h'Connection'='Upgrade'"));
    pathod_response_free(r);
    buf_clear(&b);
    buf_clear(&n);
    buf_clear(&v);
}

/* print(resolve(parse(s))) parses again, and renders the same bytes. */
static void
roundtrip(int kind, const char *spec, const struct pathod_settings *s)
{
    struct err e;
    struct buf p1 = BUF_INIT, p2 = BUF_INIT, b1 = BUF_INIT, b2 = BUF_INIT, a1 = BUF_INIT,
               a2 = BUF_INIT;
    void *m1 = NULL, *m2 = NULL;
    for (int round = 0; round < 2; round++) {
        const char *text = round == 0 ? spec : (const char *)buf_strdup(&p1);
        struct buf *p = round ? &p2 : &p1, *b = round ? &b2 : &b1, *a = round ? &a2 : &a1;
        void *m;
        struct pathod_render *rd;
        if (kind == 0) {
            m = pathod_response_parse(text, &e);
            if (!m || pathod_response_resolve(m, s, &e) < 0)
                test_fail(__FILE__, __LINE__, "%s: %s", text, e.msg);
            pathod_response_spec(m, p);
            rd = pathod_response_render(m);
        } else if (kind == 1) {
            m = pathod_request_parse(text, &e);
            if (!m || pathod_request_resolve(m, s, &e) < 0)
                test_fail(__FILE__, __LINE__, "%s: %s", text, e.msg);
            pathod_request_spec(m, p);
            rd = pathod_request_render(m);
        } else {
            m = pathod_frame_parse(text, &e);
            if (!m || pathod_frame_resolve(m, s, &e) < 0)
                test_fail(__FILE__, __LINE__, "%s: %s", text, e.msg);
            pathod_frame_spec(m, p);
            rd = pathod_frame_render(m);
        }
        render_all(rd, b, a, 1000);
        pathod_render_free(rd);
        if (round == 0)
            m1 = m;
        else
            m2 = m;
        if (round)
            free((char *)text);
    }
    if (!test_memeq(buf_ptr(&b1), b1.len, buf_ptr(&b2), b2.len))
        test_fail_mem(__FILE__, __LINE__, spec, buf_ptr(&b1), b1.len, buf_ptr(&b2), b2.len);
    ASSERT_MEMEQ(buf_ptr(&a1), a1.len, buf_ptr(&a2), a2.len);
    /* Resolving a resolved message changes nothing. */
    ASSERT_MEMEQ(buf_ptr(&p1), p1.len, buf_ptr(&p2), p2.len);
    if (kind == 0) {
        pathod_response_free(m1);
        pathod_response_free(m2);
    } else if (kind == 1) {
        pathod_request_free(m1);
        pathod_request_free(m2);
    } else {
        pathod_frame_free(m1);
        pathod_frame_free(m2);
    }
    buf_clear(&p1);
    buf_clear(&p2);
    buf_clear(&b1);
    buf_clear(&b2);
    buf_clear(&a1);
    buf_clear(&a2);
}

/* The request and response example tables of the pathod documentation. */
static const char *const doc_requests[] = {
    "get:/",
    "get:/:b@100",
    "get:/:h\"Etag\"=\"&;drop table browsers;\"",
    "get:/:u\"&;drop table browsers;\"",
    "get:/:b@100:dr",
    "get:/:b@100,ascii:ir,@1",
    "ws:/",
    "get:/p/:s'401:ir,@1'",
    "pathoc:/",
    "get:'http://google.com'",
    "get:/:b@10:ir,@1",
};

static const char *const doc_responses[] = {
    "200",
    "200:r",
    "200:da",
    "200:b@100",
    "200:b@100:h\"Etag\"=\"';drop table servers;\"",
    "200:b@100:dr",
    "200:b@100,ascii:ir,@1",
    "200:b@1k:c\"text/json\"",
    "200:b@1k:p50,120",
    "200:b@1k:pr,f",
    "200:b@100:h@1k,ascii_letters='foo'",
    "401:ir,@1",
    "404:m'Not here':l'/elsewhere':b@5k,hexdigits:i3,@2k",
};

TEST(pathod_lang_doc_examples)
{
    struct pathod_settings s = {.host = "localhost"};
    for (size_t i = 0; i < sizeof(doc_requests) / sizeof(doc_requests[0]); i++) {
        if (strcmp(doc_requests[i], "pathoc:/") == 0)
            continue;
        roundtrip(1, doc_requests[i], &s);
    }
    for (size_t i = 0; i < sizeof(doc_responses) / sizeof(doc_responses[0]); i++)
        roundtrip(0, doc_responses[i], &s);
    struct err e;
    ASSERT(!pathod_request_parse("pathoc:/", &e));
}

TEST(pathod_lang_roundtrip_more)
{
    struct pathod_settings ws = {.ws_key = "dGhlIHNhbXBsZSBub25jZQ==", .is_client = 1};
    static const char *const resp[] = {
        "ws",
        "ws:200",
        "200:b'\\x00\\xff\\'\"\\\\'",
        "200:bnaked/word",
        "200:b@2k:d3000",
        "200:b@2000,whitespace:i0,@1500,punctuation",
        "500:m@3:r",
    };
    for (size_t i = 0; i < sizeof(resp) / sizeof(resp[0]); i++)
        roundtrip(0, resp[i], &ws);
    static const char *const req[] = {
        "ws:'POST':/x",           "'PROPFIND':/:x5", "get:/:uipad:c'a'",
        "head:@5:b@4k,octdigits", "get:/:s'ws':r",   "delete:/:s\"200:b'\\\\x27'\"",
    };
    for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
        roundtrip(1, req[i], &ws);
    static const char *const fr[] = {
        "wf",
        "wf:b@2k",
        "wf:b'abc':-mask",
        "wf:knone:b'x'",
        "wf:cping:l1000:rsv2",
        "wf:r@300:k'wxyz':i2,'q'",
        "wf:c7:x4:-fin",
        "wf:b@100000,digits:p10,1",
    };
    for (size_t i = 0; i < sizeof(fr) / sizeof(fr[0]); i++)
        roundtrip(2, fr[i], &ws);
}

TEST(pathod_lang_lists)
{
    struct pathod_list l;
    struct err e;
    ASSERT_EQ(pathod_pathoc_parse("get:/ wf:b'x'  ws:/a\tget:/:b'a b'", &l, &e), 0);
    ASSERT_EQ(l.n, 4);
    ASSERT_EQ(l.items[0].kind, PATHOD_REQUEST);
    ASSERT_EQ(l.items[1].kind, PATHOD_FRAME);
    ASSERT_EQ(l.items[2].kind, PATHOD_REQUEST);
    ASSERT(pathod_request_is_ws(l.items[2].req));
    ASSERT_EQ(pathod_request_body_length(l.items[3].req), 3);
    pathod_list_free(&l);

    ASSERT(pathod_pathoc_parse("get:/ foo", &l, &e) < 0);
    ASSERT(strstr(e.msg, "offset 6") != NULL);
    ASSERT(pathod_pathoc_parse("   ", &l, &e) < 0);

    ASSERT_EQ(pathod_pathod_parse("200:b'x'", &l, &e), 0);
    ASSERT_EQ(l.n, 1);
    ASSERT_EQ(l.items[0].kind, PATHOD_RESPONSE);
    pathod_list_free(&l);
    ASSERT_EQ(pathod_pathod_parse("wf:b'x'", &l, &e), 0);
    ASSERT_EQ(l.items[0].kind, PATHOD_FRAME);
    pathod_list_free(&l);
    ASSERT(pathod_pathod_parse("200 200", &l, &e) < 0);
    ASSERT_EQ(pathod_pathod_parse(" 200:b'x'\n", &l, &e), 0);
    pathod_list_free(&l);
}

TEST(pathod_lang_accessors)
{
    struct err e;
    struct pathod_response *r = pathod_response_parse("418:b'tea':h'A'='b'", &e);
    ASSERT(r);
    ASSERT_EQ(pathod_response_resolve(r, &no_settings, &e), 0);
    ASSERT_EQ(pathod_response_code(r), 418);
    ASSERT(!pathod_response_is_ws(r));
    struct buf b = BUF_INIT, v = BUF_INIT;
    pathod_response_reason(r, &b, 100);
    ASSERT(b.len > 0);
    buf_reset(&b);
    ASSERT_EQ(pathod_response_header_count(r), 2);
    pathod_response_header(r, 1, &b, &v, 100);
    ASSERT_BUF_STR(&b, "Content-Length");
    ASSERT_BUF_STR(&v, "3");
    buf_reset(&b);
    buf_reset(&v);
    pathod_response_free(r);

    struct pathod_request *q = pathod_request_parse("post:/a:s'200':x7:b'xy'", &e);
    ASSERT(q);
    ASSERT_EQ(pathod_request_resolve(q, &no_settings, &e), 0);
    ASSERT_EQ(pathod_request_times(q), 7);
    ASSERT(!pathod_request_is_ws(q));
    pathod_request_method(q, &b, 100);
    ASSERT_BUF_STR(&b, "POST");
    buf_reset(&b);
    pathod_request_path(q, &b, 100);
    ASSERT_BUF_STR(&b, "/a200:h'Content-Length'='0'");
    buf_reset(&b);
    pathod_request_path(q, &b, 5);
    ASSERT_BUF_STR(&b, "/a200");
    ASSERT_EQ(pathod_request_body_length(q), 2);
    pathod_request_free(q);
    buf_clear(&b);
    buf_clear(&v);
}

/* Pull size changes nothing: the same bytes and the same actions at the same places. */
TEST(pathod_lang_chunking)
{
    static const char *const specs[] = {
        "200:b'abcdefghij':i3,'XY':p5,1:i5,@3,digits:p0,2:pa,f",
        "200:b@5000:i4000,@3000:p4500,1:d4999",
        "200:r:b'x':i0,'a':i0,'b':p0,1:i1,'c'",
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        struct err e;
        struct pathod_response *r = pathod_response_parse(specs[i], &e);
        ASSERT(r);
        ASSERT_EQ(pathod_response_resolve(r, &no_settings, &e), 0);
        struct buf ref = BUF_INIT, refa = BUF_INIT;
        struct pathod_render *rd = pathod_response_render(r);
        render_all(rd, &ref, &refa, 4096);
        pathod_render_free(rd);
        size_t sizes[] = {1, 2, 3, 7, 64, 1000};
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
            struct buf b = BUF_INIT, a = BUF_INIT;
            rd = pathod_response_render(r);
            render_all(rd, &b, &a, sizes[k]);
            pathod_render_free(rd);
            ASSERT_MEMEQ(buf_ptr(&b), b.len, buf_ptr(&ref), ref.len);
            ASSERT_MEMEQ(buf_ptr(&a), a.len, buf_ptr(&refa), refa.len);
            buf_clear(&b);
            buf_clear(&a);
        }
        buf_clear(&ref);
        buf_clear(&refa);
        pathod_response_free(r);
    }
    struct buf b = BUF_INIT, a = BUF_INIT;
    resp_bytes("200:r:b'x':i0,'a':i0,'b':p0,1:i1,'c'", NULL, &b, &a);
    ASSERT_BUF_STR(&b, "abHcTTP/1.1 200 OK\r\n\r\nx");
    ASSERT_BUF_STR(&a, "<p1@2>");
    buf_clear(&b);
    buf_clear(&a);

    /* The last pull that fills dst exactly already says DONE. */
    struct err e;
    struct pathod_response *r = pathod_response_parse("200:r", &e);
    ASSERT_EQ(pathod_response_resolve(r, &no_settings, &e), 0);
    struct pathod_render *rd = pathod_response_render(r);
    uint8_t tmp[19];
    struct pathod_action act;
    ASSERT_EQ(pathod_render_next(rd, tmp, sizeof(tmp), &act), 19);
    ASSERT_EQ(act.kind, PATHOD_ACT_DONE);
    ASSERT_EQ(pathod_render_next(rd, tmp, sizeof(tmp), &act), 0);
    ASSERT_EQ(act.kind, PATHOD_ACT_DONE);
    pathod_render_free(rd);
    pathod_response_free(r);
}

TEST(pathod_lang_error_window)
{
    /* Long specs show a window around the offset, caret still underneath. */
    char spec[200];
    memset(spec, 0, sizeof(spec));
    strcpy(spec, "200:b'");
    memset(spec + 6, 'a', 100);
    strcat(spec, "':h'x'");
    struct err e;
    ASSERT(!pathod_response_parse(spec, &e));
    ASSERT(strncmp(e.msg, "parse error at offset 112: expected '='\n  ", 42) == 0);
    const char *l1 = strchr(e.msg, '\n') + 3, *l2 = strchr(l1, '\n') + 3;
    const char *caret = strchr(l2, '^');
    ASSERT(caret);
    ASSERT_EQ(l1[caret - l2 - 1], '\'');
    ASSERT_EQ(l1[caret - l2], '\n');

    /* Case rules: keywords ignore case, preambles and offsets do not. */
    expect_error(0, "200:B'x'", "parse error at offset 4: unknown response feature");
    expect_error(0, "200:dR", "parse error at offset 5: expected an offset");
    expect_error(0, "200:p1,F", "parse error at offset 7: expected an integer");
    expect_error(0, "200:b@1K", "parse error at offset 7: unknown response feature");
    expect_error(0, "200:b@1,ASCII", "parse error at offset 7: unknown response feature");
    expect_error(2, "wf:FIN", "parse error at offset 3: unknown frame feature");
    REQ_IS("Post:/", NULL, "POST / HTTP/1.1\r\n\r\n");
    struct pathod_request *q = pathod_request_parse("WS:/", &e);
    ASSERT(q && pathod_request_is_ws(q));
    pathod_request_free(q);
    struct pathod_frame *f = pathod_frame_parse("WF:cBinary:KNONE", &e);
    ASSERT(f);
    ASSERT_EQ(pathod_frame_opcode(f), 2);
    pathod_frame_free(f);
}
