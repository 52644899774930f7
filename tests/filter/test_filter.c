/*
 * Filter tests. The main ones run every expression of the fixtures'
 * filters/public.json (converted to tests/filter/vectors.txt by
 * gen_vectors.py) against every flow of flows/all.mitm, in both case modes,
 * and compare the parsed tree with mitmproxy's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "http/message.h"
#include "util/xmalloc.h"

#define MAXFLOWS 64

struct vec {
    char kind;     /* 'V' or 'I' */
    char *expr;    /* unescaped */
    char *matches; /* bit strings, V only */
    char *cs;
    char *ast;
    char *errkind; /* I only */
};

static struct flow *flows[MAXFLOWS];
static size_t nflows;
static char *ids[MAXFLOWS];
static size_t nids;
static struct vec vecs[512];
static size_t nvecs;

static char *
unescape(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 >= n) {
            *o++ = s[i];
            continue;
        }
        char c = s[++i];
        if (c == 't')
            *o++ = '\t';
        else if (c == 'n')
            *o++ = '\n';
        else if (c == 'r')
            *o++ = '\r';
        else if (c == 'x' && i + 2 < n) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            i += 2;
        } else
            *o++ = c;
    }
    *o = 0;
    return out;
}

static void
load(void)
{
    FILE *f = fopen(test_fixture("flows/all.mitm"), "rb");
    ASSERT(f != NULL);
    struct ffile_reader *r = ffile_reader_new(f, "all.mitm");
    struct err e;
    struct flow *fl;
    int rc;
    while ((rc = ffile_read(r, &fl, &e)) == 1) {
        ASSERT(nflows < MAXFLOWS);
        flows[nflows++] = fl;
    }
    ASSERT_EQ(rc, 0);
    ffile_reader_free(r);
    fclose(f);

    FILE *v = fopen("tests/filter/vectors.txt", "r");
    ASSERT(v != NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, v)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = 0;
        char *fields[5] = {0};
        size_t nf = 0;
        for (char *save = NULL, *t = strtok_r(line, "\t", &save); t && nf < 5;
             t = strtok_r(NULL, "\t", &save))
            fields[nf++] = t;
        if (line[0] == 'F') {
            ids[nids++] = xstrdup(fields[1]);
            continue;
        }
        struct vec *x = &vecs[nvecs++];
        x->kind = line[0];
        /* The empty expression leaves its field out of strtok's view. */
        if (x->kind == 'I' && nf == 2) {
            x->expr = xstrdup("");
            x->errkind = xstrdup(fields[1]);
            continue;
        }
        x->expr = unescape(fields[1]);
        if (x->kind == 'V') {
            ASSERT_EQ(nf, 5);
            x->matches = xstrdup(fields[2]);
            x->cs = xstrdup(fields[3]);
            x->ast = unescape(fields[4]);
        } else {
            x->errkind = xstrdup(fields[2]);
        }
    }
    free(line);
    fclose(v);
    ASSERT_EQ(nids, nflows);
    for (size_t i = 0; i < nflows; i++)
        ASSERT_STREQ(flows[i]->id, ids[i]);
}

static void
unload(void)
{
    for (size_t i = 0; i < nflows; i++)
        flow_unref(flows[i]);
    for (size_t i = 0; i < nids; i++)
        free(ids[i]);
    for (size_t i = 0; i < nvecs; i++) {
        free(vecs[i].expr);
        free(vecs[i].matches);
        free(vecs[i].cs);
        free(vecs[i].ast);
        free(vecs[i].errkind);
    }
    nflows = nids = nvecs = 0;
}

static void
run_vectors(int case_sensitive)
{
    load();
    size_t bad = 0, nvalid = 0, ninvalid = 0;
    for (size_t i = 0; i < nvecs; i++) {
        struct vec *x = &vecs[i];
        struct err e = {0};
        struct filt *f = filt_compile(x->expr, &e);
        if (x->kind == 'I') {
            ninvalid++;
            if (f) {
                fprintf(stderr, "accepted invalid %s filter '%s'\n", x->errkind, x->expr);
                bad++;
                filt_free(f);
            } else if (strncmp(e.msg, "filter: ", 8) != 0) {
                fprintf(stderr, "bad message for '%s': %s\n", x->expr, e.msg);
                bad++;
            }
            continue;
        }
        nvalid++;
        if (!f) {
            fprintf(stderr, "rejected '%s': %s\n", x->expr, e.msg);
            bad++;
            continue;
        }
        struct buf ast = BUF_INIT;
        filt_ast_json(f, &ast);
        char *got = buf_strdup(&ast);
        if (strcmp(got, x->ast) != 0) {
            fprintf(stderr, "ast of '%s':\n  got  %s\n  want %s\n", x->expr, got, x->ast);
            bad++;
        }
        free(got);
        buf_clear(&ast);
        const char *want = case_sensitive ? x->cs : x->matches;
        for (size_t j = 0; j < nflows; j++) {
            int m = filt_match(f, flows[j]);
            if (m != (want[j] == '1')) {
                fprintf(stderr, "'%s' on flow %zu (%s): got %d\n", x->expr, j, ids[j], m);
                bad++;
            }
        }
        filt_free(f);
    }
    ASSERT(nvalid >= 161);
    ASSERT(ninvalid >= 23);
    unload();
    ASSERT_EQ(bad, 0);
}

TEST(filter_vectors)
{
    unsetenv("MITMPROXY_CASE_SENSITIVE_FILTERS");
    run_vectors(0);
}

TEST(filter_vectors_case_sensitive)
{
    setenv("MITMPROXY_CASE_SENSITIVE_FILTERS", "1", 1);
    run_vectors(1);
}

/* ---- threads and partial matches --------------------------------------- */

/* Every valid vector compiled (filts[k] NULL for the invalid ones). */
static struct filt **
compile_vectors(void)
{
    struct filt **filts = xcalloc(nvecs, sizeof(*filts));
    for (size_t k = 0; k < nvecs; k++) {
        struct err e = {0};
        if (vecs[k].kind == 'V')
            ASSERT((filts[k] = filt_compile(vecs[k].expr, &e)) != NULL);
    }
    return filts;
}

static void
free_filts(struct filt **filts)
{
    for (size_t k = 0; k < nvecs; k++)
        filt_free(filts[k]);
    free(filts);
}

struct matcher {
    struct filt **filts;
    char *got; /* nvecs x nflows answers */
    int backwards;
};

static void *
match_all(void *arg)
{
    struct matcher *m = arg;
    for (int round = 0; round < 4; round++)
        for (size_t i = 0; i < nvecs; i++) {
            size_t k = m->backwards ? nvecs - 1 - i : i;
            for (size_t j = 0; m->filts[k] && j < nflows; j++)
                m->got[k * nflows + j] = (char)('0' + filt_match(m->filts[k], flows[j]));
        }
    return NULL;
}

/* One compiled filter matched from two threads at once (as the store's
 * workers do) answers as from one. */
TEST(filter_vectors_from_two_threads)
{
    unsetenv("MITMPROXY_CASE_SENSITIVE_FILTERS");
    load();
    struct filt **filts = compile_vectors();
    struct matcher one = {filts, xcalloc(nvecs * nflows + 1, 1), 0};
    match_all(&one);
    struct matcher two[2] = {{filts, xcalloc(nvecs * nflows + 1, 1), 0},
                             {filts, xcalloc(nvecs * nflows + 1, 1), 1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ASSERT_EQ(pthread_create(&t[i], NULL, match_all, &two[i]), 0);
    for (int i = 0; i < 2; i++)
        ASSERT_EQ(pthread_join(t[i], NULL), 0);
    for (size_t k = 0; k < nvecs; k++)
        for (size_t j = 0; filts[k] && j < nflows; j++) {
            ASSERT_EQ(one.got[k * nflows + j], vecs[k].matches[j]);
            ASSERT_EQ(two[0].got[k * nflows + j], one.got[k * nflows + j]);
            ASSERT_EQ(two[1].got[k * nflows + j], one.got[k * nflows + j]);
        }
    free(one.got);
    free(two[0].got);
    free(two[1].got);
    free_filts(filts);
    unload();
}

/* filt_match_partial() never contradicts filt_match(): with nothing
 * missing it is filt_match(); with parts missing it answers as
 * filt_match() or says it cannot tell. */
TEST(filter_partial_match_is_sound)
{
    unsetenv("MITMPROXY_CASE_SENSITIVE_FILTERS");
    load();
    struct filt **filts = compile_vectors();
    static const unsigned masks[] = {FILT_PART_BODIES, FILT_PART_HEADERS, FILT_PART_CONNS,
                                     FILT_PART_META,
                                     FILT_PART_BODIES | FILT_PART_HEADERS | FILT_PART_CONNS |
                                         FILT_PART_META};
    size_t decided = 0, undecided = 0;
    for (size_t k = 0; k < nvecs; k++)
        for (size_t j = 0; filts[k] && j < nflows; j++) {
            int full = filt_match(filts[k], flows[j]);
            ASSERT_EQ(filt_match_partial(filts[k], flows[j], 0), full);
            for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
                int r = filt_match_partial(filts[k], flows[j], masks[m]);
                if (r < 0) {
                    undecided++;
                    continue;
                }
                decided++;
                if (r != full)
                    test_fail(__FILE__, __LINE__, "'%s' on flow %zu, missing %#x: %d, not %d",
                              vecs[k].expr, j, masks[m], r, full);
            }
        }
    ASSERT(decided > 0 && undecided > 0);
    free_filts(filts);
    unload();
}

/* expr compiled; the test fails, naming it, if it does not compile. */
static struct filt *
compiled(const char *expr)
{
    struct err e = {0};
    struct filt *f = filt_compile(expr, &e);
    if (!f)
        test_fail(__FILE__, __LINE__, "'%s' rejected: %s", expr, e.msg);
    return f;
}

static int
partial(const char *expr, const struct flow *f, unsigned missing)
{
    struct filt *flt = compiled(expr);
    int r = filt_match_partial(flt, f, missing);
    filt_free(flt);
    return r;
}

/* What a store's pre-check decides without reading bodies or headers. */
TEST(filter_partial_match_decides_without_the_missing_parts)
{
    load();
    const struct flow *get = NULL, *tcp = NULL;
    for (size_t j = 0; j < nflows; j++) {
        if (!get && flows[j]->type == FLOW_HTTP && flows[j]->request &&
            strcmp(flows[j]->request->method, "GET") == 0)
            get = flows[j];
        if (!tcp && flows[j]->type == FLOW_TCP)
            tcp = flows[j];
    }
    ASSERT(get != NULL && tcp != NULL);
    unsigned b = FILT_PART_BODIES, h = FILT_PART_HEADERS;
    ASSERT_EQ(partial("~m POST & ~b x", get, b), 0);
    ASSERT_EQ(partial("~b x & ~m POST", get, b), 0);
    ASSERT_EQ(partial("~m GET | ~b x", get, b), 1);
    ASSERT_EQ(partial("~b x", get, b), -1);
    ASSERT_EQ(partial("!~b x", get, b), -1);
    ASSERT_EQ(partial("~m GET & ~b x", get, b), -1);
    ASSERT_EQ(partial("!(~m GET | ~b x)", get, b), 0);
    ASSERT_EQ(partial("~h json", get, h), -1);
    ASSERT_EQ(partial("~h json", tcp, h), 0);
    ASSERT_EQ(partial("~h json | ~tcp", tcp, h), 1);
    ASSERT_EQ(partial("~src 1 & ~m POST", get, FILT_PART_CONNS), 0);
    ASSERT_EQ(partial("~meta x", get, FILT_PART_META), -1);
    ASSERT_EQ(partial("~meta x", get, FILT_PART_BODIES), partial("~meta x", get, 0));
    unload();
}

static void
check_ast(const char *expr, const char *want)
{
    struct filt *f = compiled(expr);
    struct buf b = BUF_INIT;
    filt_ast_json(f, &b);
    char *got = buf_strdup(&b);
    if (strcmp(got, want) != 0)
        test_fail(__FILE__, __LINE__, "'%s':\n  got  %s\n  want %s", expr, got, want);
    free(got);
    buf_clear(&b);
    filt_free(f);
}

static void
check_err(const char *expr, const char *want)
{
    struct err e = {0};
    struct filt *f = filt_compile(expr, &e);
    if (f) {
        filt_free(f);
        test_fail(__FILE__, __LINE__, "'%s' accepted", expr);
    }
    if (!strstr(e.msg, want))
        test_fail(__FILE__, __LINE__, "'%s': message '%s' lacks '%s'", expr, e.msg, want);
}

TEST(filter_grammar_corners)
{
    /* pyparsing backtracks: a dangling operator is a bare word. */
    check_ast("a &", "{\"and\": [{\"op\": \"~u\", \"regex\": \"a\"}, {\"op\": \"~u\", \"regex\": \"&\"}]}");
    check_ast("!", "{\"op\": \"~u\", \"regex\": \"!\"}");
    check_ast("a&b", "{\"op\": \"~u\", \"regex\": \"a&b\"}");
    check_ast("!!~q", "{\"not\": {\"not\": {\"op\": \"~q\"}}}");
    check_ast("~q ~s | ~e", "{\"and\": [{\"op\": \"~q\"}, {\"or\": [{\"op\": \"~s\"}, {\"op\": \"~e\"}]}]}");
    check_ast("~a & ~b x & ~c 1", "{\"and\": [{\"op\": \"~a\"}, {\"op\": \"~b\", \"regex\": \"x\"}, "
                                  "{\"op\": \"~c\", \"num\": 1}]}");
    check_ast("~c 200x", "{\"and\": [{\"op\": \"~c\", \"num\": 200}, {\"op\": \"~u\", \"regex\": \"x\"}]}");
    check_ast("\"a\\\\\\\"b\"", "{\"op\": \"~u\", \"regex\": \"a\\\\\\\"b\"}");
    check_ast("'\\t'", "{\"op\": \"~u\", \"regex\": \"\\t\"}");
    check_ast("~udp", "{\"op\": \"~udp\"}");
    check_ast("\"\xc3\xa9\"", "{\"op\": \"~u\", \"regex\": \"\\u00e9\"}");
}

TEST(filter_errors)
{
    check_err("", "empty expression");
    check_err("~x foo", "unknown operator '~x' at column 1");
    /* An unknown operator after a good one is named, not "unexpected '~'". */
    check_err("~q ~zz", "unknown operator '~zz' at column 4");
    check_err("~q & ~zz", "unknown operator '~zz' at column 6");
    check_err("~s & ~q)", "unexpected ')' after ~q");
    check_err("(~q", "missing ')' at the end (column 4)");
    check_err("~m", "~m needs a regular expression");
    check_err("~c abc", "~c needs a number at column 4");
    check_err("~h \"abc", "unterminated quoted string at column 4");
    check_err("~u \"(\"", "invalid regular expression '(' in ~u");
    check_err("~b 'a\\\\q'", "bad escape \\q");
    check_err("~b 'a(?i)'", "global flags not at the start");
    check_err("~b '(*ACCEPT)'", "nothing to repeat");
    check_err("(a b)", "missing ')' at column 4");
}

TEST(filter_python_regex)
{
    /* \Z is the very end in Python; {,2} is {0,2}. */
    filt_free(compiled("~u 'x\\\\Z' ~u 'a{,2}' ~b '(?i)x'"));
}

/* The filter's regexes are Python's: "$" may stand before a final newline
 * and "\Z" may not; (?P=name) and {,n} are Python's syntax. */
TEST(filter_python_dollar_and_syntax)
{
    struct flow *f = flow_new_http(NULL, NULL);
    struct http_request *r = http_request_new();
    http_set_str(&r->method, "POST");
    http_set_str(&r->scheme, "http");
    http_set_str(&r->host, "example.com");
    r->port = 80;
    http_set_str(&r->path, "/aa");
    http_set_str(&r->http_version, "HTTP/1.1");
    buf_append_str(&r->content, "body\n");
    f->request = r;
    static const struct {
        const char *expr;
        int match;
    } cases[] = {
        {"~bq 'body$'", 1},
        {"~bq 'body\\\\Z'", 0},
        {"~bq 'body\\n\\\\Z'", 1},
        {"~u '/(?P<c>a)(?P=c)$'", 1},
        {"~u '/a{,1}$'", 0},
        {"~u '/a{,2}$'", 1},
        {"~u '/A{,2}$'", 1}, /* filters ignore case */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct filt *flt = compiled(cases[i].expr);
        if (filt_match(flt, f) != cases[i].match)
            test_fail(__FILE__, __LINE__, "%s: want %d", cases[i].expr, cases[i].match);
        filt_free(flt);
    }
    flow_unref(f);
}

/*
 * Every operator on DNS flows, against what mitmproxy 8.1.1's flowfilter
 * answers (tests/filter/gen_dns_vectors.py wrote the flows and the answers
 * with 8.1.1): ~q/~s by the response, ~u on the first question's name, ~b
 * on Message.content, ~src/~dst on the connections, the HTTP-only operators
 * never. The patterns are case-neutral, so both case modes must agree.
 */
static void
run_dns_vectors(void)
{
    FILE *f = fopen("tests/filter/dns_flows.mitm", "rb");
    ASSERT(f != NULL);
    struct ffile_reader *r = ffile_reader_new(f, "dns_flows.mitm");
    struct flow *v[16];
    size_t n = 0;
    struct err e = {0};
    int rc;
    while (n < 16 && (rc = ffile_read(r, &v[n], &e)) == 1)
        ASSERT_EQ(v[n++]->type, FLOW_DNS);
    ASSERT_EQ(n, 6);
    ffile_reader_free(r);
    fclose(f);

    FILE *vf = fopen("tests/filter/dns_vectors.txt", "r");
    ASSERT(vf != NULL);
    char *line = NULL;
    size_t cap = 0, lines = 0, bad = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, vf)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = 0;
        char *tab = strrchr(line, '\t');
        ASSERT(tab != NULL && strlen(tab + 1) == n);
        *tab = 0;
        struct filt *flt = compiled(line);
        for (size_t i = 0; i < n; i++) {
            int m = filt_match(flt, v[i]);
            if (m != (tab[1 + i] == '1')) {
                fprintf(stderr, "'%s' on DNS flow %zu: got %d\n", line, i, m);
                bad++;
            }
        }
        filt_free(flt);
        lines++;
    }
    free(line);
    fclose(vf);
    ASSERT(lines >= 50);
    for (size_t i = 0; i < n; i++)
        flow_unref(v[i]);
    ASSERT_EQ(bad, 0);
}

TEST(filter_dns_operators_as_811)
{
    unsetenv("MITMPROXY_CASE_SENSITIVE_FILTERS");
    run_dns_vectors();
    setenv("MITMPROXY_CASE_SENSITIVE_FILTERS", "1", 1);
    run_dns_vectors();
}

static int
match_text(const char *expr, const struct flow *f, const struct filt_text *t)
{
    struct filt *flt = compiled(expr);
    int m = filt_match_text(flt, f, t);
    filt_free(flt);
    return m;
}

/*
 * filt_match_text(): the text given stands for the flow's headers (~h ~hq
 * ~hs) and for its DNS, TCP or WebSocket messages (~b ~bq ~bs), each
 * message on its side; the flow types an operator applies to still decide
 * first, and HTTP contents are still the flow's.
 */
TEST(filter_text_stands_for_the_flows_parts)
{
    unsetenv("MITMPROXY_CASE_SENSITIVE_FILTERS");
    load();
    const struct flow *http = NULL, *tcp = NULL, *dns = NULL;
    for (size_t j = 0; j < nflows; j++) {
        const struct flow *f = flows[j];
        if (f->type == FLOW_HTTP && f->request && f->response && !f->websocket && !http)
            http = f;
        if (f->type == FLOW_TCP && !tcp)
            tcp = f;
        if (f->type == FLOW_DNS && f->dns_request && f->dns_response && !dns)
            dns = f;
    }
    ASSERT(http && tcp && dns);
    struct filt_msgtext client = {SLICE_STR("a needle"), 1}, server = {SLICE_STR("needle b"), 0};
    struct filt_msgtext both[] = {client, server};
    struct filt_text hdrs = {.have_headers = 1,
                             .headers = {SLICE_STR("X-Probe: found\r\n"), SLICE_STR("")}};
    ASSERT_EQ(match_text("~hq \"x-probe: found\\r\\n\"", http, &hdrs), 1);
    ASSERT_EQ(match_text("~h probe", http, &hdrs), 1);
    ASSERT_EQ(match_text("~hs probe", http, &hdrs), 0);
    ASSERT_EQ(match_text("~hs ^$", http, &hdrs), 1);
    ASSERT_EQ(match_text("~h probe", http, NULL), 0);
    hdrs.have_headers = 0;
    ASSERT_EQ(match_text("~h probe", http, &hdrs), 0);
    hdrs.have_headers = 1;
    ASSERT_EQ(match_text("~h probe", tcp, &hdrs), 0);

    struct filt_text msgs = {.have_messages = 1, .messages = both, .nmessages = 2};
    ASSERT_EQ(match_text("~bq \"^a needle$\"", tcp, &msgs), 1);
    ASSERT_EQ(match_text("~bs \"^a needle\"", tcp, &msgs), 0);
    ASSERT_EQ(match_text("~bs \"^needle b\"", tcp, &msgs), 1);
    ASSERT_EQ(match_text("~b needle", dns, &msgs), 1);
    ASSERT_EQ(match_text("~bq \"needle b\"", dns, &msgs), 0);
    ASSERT_EQ(match_text("~b needle", dns, NULL), 0);
    /* An HTTP flow's messages are its WebSocket's: this one has none. */
    ASSERT_EQ(match_text("~b needle", http, &msgs), 0);
    msgs.nmessages = 0;
    ASSERT_EQ(match_text("~b .", tcp, &msgs), 0);
    unload();
}
