/*
 * match.c: every filter vector of the fixtures (tests/filter/vectors.txt,
 * from filters/public.json) gives the same flows through the store as
 * filt_match() on the flows themselves: on live flows, on compacted rows
 * with bodies in RAM, with every body on disk and workers matching in
 * parallel, and on rows a load made from the records themselves (without
 * a struct flow: store__rec_scan), in both case modes; invalid expressions
 * get mitmproxy's error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "commands/commands.h"
#include "filter/filter.h"
#include "store/internal.h"
#include "tstore.h"
#include "util/xmalloc.h"

struct vec {
    char kind;
    char *expr;
    char *matches, *cs;
};

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

static size_t
load_vectors(struct vec *v, size_t cap)
{
    FILE *f = fopen("tests/filter/vectors.txt", "r");
    ASSERT(f != NULL);
    char *line = NULL;
    size_t lcap = 0, n = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = 0;
        if (line[0] == 'F')
            continue;
        char *fields[5] = {0};
        size_t nf = 0;
        for (char *save = NULL, *t = strtok_r(line, "\t", &save); t && nf < 5;
             t = strtok_r(NULL, "\t", &save))
            fields[nf++] = t;
        ASSERT(n < cap);
        struct vec *x = &v[n++];
        memset(x, 0, sizeof(*x));
        x->kind = line[0];
        x->expr = x->kind == 'I' && nf == 2 ? xstrdup("") : unescape(fields[1]);
        if (x->kind == 'V') {
            x->matches = xstrdup(fields[2]);
            x->cs = xstrdup(fields[3]);
        }
    }
    free(line);
    fclose(f);
    return n;
}

static void
free_vectors(struct vec *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].expr);
        free(v[i].matches);
        free(v[i].cs);
    }
}

enum mode { LIVE, COMPACT, DISK, LOADED };

static void
load_done(void *arg, int rc, size_t n, const struct err *e)
{
    (void)n;
    (void)e;
    *(int *)arg = rc == 0 ? 1 : rc;
}

static void
run(enum mode mode, int case_sensitive)
{
    if (case_sensitive)
        setenv("MITMPROXY_CASE_SENSITIVE_FILTERS", "1", 1);
    else
        unsetenv("MITMPROXY_CASE_SENSITIVE_FILTERS");
    static struct vec vecs[512];
    size_t nvecs = load_vectors(vecs, 512);
    struct flow **flows;
    size_t n = tflows_load("all.mitm", &flows);
    /* DNS flows answer ~q, ~s and ~u from their rows: none of the public
     * vectors finds a question's name; filt_match() on the flows says what
     * these must give. */
    static const char *const dns_exprs[] = {"~u example\\.test", "~dns & ~u test", "~u ^$",
                                            "~dns & !~s", "~s & ~u example", "~dns & ~q",
                                            "!~u zzz & ~dns", "~b example\\.test"};
    for (size_t k = 0; k < sizeof(dns_exprs) / sizeof(dns_exprs[0]); k++) {
        struct err fe = {0};
        struct filt *flt = filt_compile(dns_exprs[k], &fe);
        ASSERT(flt != NULL);
        struct vec *x = &vecs[nvecs++];
        *x = (struct vec){'V', xstrdup(dns_exprs[k]), xcalloc(1, n + 1), NULL};
        for (size_t i = 0; i < n; i++)
            x->matches[i] = filt_match(flt, flows[i]) ? '1' : '0';
        x->cs = xstrdup(x->matches);
        filt_free(flt);
    }
    char (*ids)[UUID_STR_LEN] = xcalloc(n, UUID_STR_LEN);
    for (size_t i = 0; i < n; i++)
        memcpy(ids[i], flows[i]->id, UUID_STR_LEN);

    struct tloop *q = tloop_new();
    struct store_config cfg = {0};
    if (mode == DISK || mode == LOADED)
        cfg = (struct store_config){
            .memory_budget = 1, .threads = 2, .post = tloop_post, .post_ctx = q};
    struct store *s = tstore_new(&cfg);
    if (mode == LOADED) {
        /* New ids, in file order: the fixture's. */
        int done = 0;
        struct err le = {0};
        ASSERT_EQ(store_load(s, test_fixture("flows/all.mitm"), load_done, &done, &le), 0);
        tloop_run_until(q, &done);
        ASSERT_EQ(store_count(s), n);
        for (size_t i = 0; i < n; i++)
            store__row_id(s, &s->rows[i], ids[i]);
    } else {
        for (size_t i = 0; i < n; i++)
            store_add(s, flows[i]);
    }
    if (mode != LIVE) {
        tflows_free(flows, n);
        flows = NULL;
        store__sweep(s, n);
        ASSERT_EQ(s->ncached, 0);
    }
    if (mode == DISK || mode == LOADED)
        store__blog_seal(&s->log);
    struct store_memory m;
    store_memory(s, &m);
    if (mode == DISK || mode == LOADED)
        ASSERT(m.bodies_disk > 0);

    size_t bad = 0, valid = 0;
    for (size_t k = 0; k < nvecs; k++) {
        const struct vec *x = &vecs[k];
        struct err e = {0};
        struct cmds_flows out;
        int rc = store_resolve(s, x->expr, &out, &e);
        if (x->kind == 'I') {
            if (rc == 0) {
                fprintf(stderr, "accepted invalid '%s'\n", x->expr);
                bad++;
                for (size_t i = 0; i < out.n; i++)
                    flow_unref(out.v[i]);
                free(out.v);
            } else if (strncmp(e.msg, *x->expr ? "Invalid filter expression: " : "Empty filter",
                               12) != 0) {
                fprintf(stderr, "message for '%s': %s\n", x->expr, e.msg);
                bad++;
            }
            ASSERT(store_set_filter(s, x->expr, &e) < 0 || *x->expr == '\0');
            continue;
        }
        valid++;
        ASSERT_EQ(rc, 0);
        const char *want = case_sensitive ? x->cs : x->matches;
        /* resolve gives store order, which is the fixture's. */
        char *got = xcalloc(1, n + 1);
        memset(got, '0', n);
        for (size_t i = 0, j = 0; i < out.n; i++) {
            while (j < n && strcmp(ids[j], out.v[i]->id) != 0)
                j++;
            ASSERT(j < n);
            got[j] = '1';
            flow_unref(out.v[i]);
        }
        free(out.v);
        /* Resolving opened the flows; compact them again so that every
         * vector goes through the rows. */
        if (mode != LIVE)
            store__sweep(s, n);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "'%s':\n  got  %s\n  want %s\n", x->expr, got, want);
            bad++;
        }
        /* The view shows the same flows. */
        ASSERT_EQ(store_set_filter(s, x->expr, &e), 0);
        size_t nwant = 0;
        for (size_t i = 0; i < n; i++) {
            nwant += want[i] == '1';
            long idx = store_view_index(s, ids[i]);
            if ((idx >= 0) != (want[i] == '1')) {
                fprintf(stderr, "view of '%s': flow %zu\n", x->expr, i);
                bad++;
            }
        }
        ASSERT_EQ(store_view_len(s), nwant);
        free(got);
    }
    ASSERT(valid >= 161);
    ASSERT_EQ(bad, 0);
    store_free(s);
    tloop_free(q);
    if (flows)
        tflows_free(flows, n);
    free(ids);
    free_vectors(vecs, nvecs);
    unsetenv("MITMPROXY_CASE_SENSITIVE_FILTERS");
}

TEST(store_filter_vectors_on_live_flows)
{
    run(LIVE, 0);
}

TEST(store_filter_vectors_on_compacted_rows)
{
    run(COMPACT, 0);
    run(COMPACT, 1);
}

TEST(store_filter_vectors_with_bodies_on_disk_in_parallel)
{
    run(DISK, 0);
    run(DISK, 1);
}

TEST(store_filter_vectors_on_loaded_rows)
{
    run(LOADED, 0);
    run(LOADED, 1);
}

/*
 * The threaded match: the fixtures' expressions over a dozen copies of the
 * fixture flows give, with two workers and every body on disk, exactly
 * the rows that one thread gives with bodies in RAM, and what filt_match()
 * says of the flows copied (the parts are small enough here that both
 * workers and the caller take some).
 */
TEST(store_match_in_parallel_equals_one_thread)
{
    unsetenv("MITMPROXY_CASE_SENSITIVE_FILTERS");
    static struct vec vecs[512];
    size_t nvecs = load_vectors(vecs, 512);
    struct flow **flows;
    size_t nfix = tflows_load("all.mitm", &flows);
    struct tloop *q = tloop_new();
    struct store_config par = {.memory_budget = 1, .threads = 2, .post = tloop_post, .post_ctx = q};
    struct store *one = tstore_new(NULL), *two = tstore_new(&par);
    enum { COPIES = 12 };
    for (int c = 0; c < COPIES; c++)
        for (size_t i = 0; i < nfix; i++) {
            struct flow *f = flow_copy(flows[i]), *g = flow_copy(flows[i]);
            store_add(one, f);
            store_add(two, g);
            flow_unref(f);
            flow_unref(g);
        }
    store__sweep(one, one->nrows);
    store__sweep(two, two->nrows);
    store__blog_seal(&two->log);
    struct store_memory m;
    store_memory(two, &m);
    ASSERT(m.bodies_disk > 0);
    size_t n = nfix * COPIES;
    ASSERT_EQ(one->nrows, n);
    ASSERT_EQ(two->nrows, n);
    uint32_t *a = xmalloc(n * sizeof(*a)), *b = xmalloc(n * sizeof(*b));
    size_t valid = 0;
    for (size_t k = 0; k < nvecs; k++) {
        if (vecs[k].kind != 'V')
            continue;
        valid++;
        struct err e = {0};
        struct filt *flt = filt_compile(vecs[k].expr, &e);
        ASSERT(flt != NULL);
        unsigned need = store__filter_needs(flt);
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] = (uint32_t)i;
        size_t na = store__keep_matching(one, flt, need, a, n);
        size_t nb = store__keep_matching(two, flt, need, b, n);
        ASSERT_EQ(na, nb);
        ASSERT_EQ(memcmp(a, b, na * sizeof(*a)), 0);
        for (size_t i = 0, j = 0; i < n; i++) {
            int in = j < na && a[j] == i;
            j += in;
            if (in != filt_match(flt, flows[i % nfix])) {
                fprintf(stderr, "'%s': row %zu\n", vecs[k].expr, i);
                ASSERT(0);
            }
        }
        filt_free(flt);
    }
    ASSERT(valid >= 161);
    free(a);
    free(b);
    store_free(one);
    store_free(two);
    tloop_free(q);
    tflows_free(flows, nfix);
    free_vectors(vecs, nvecs);
}

/*
 * ~h and ~b read a compacted row's plain part and nothing else of its
 * record: with every record's compressed part destroyed, they give what
 * filt_match() gives on the flows (DNS, TCP and WebSocket messages and
 * every header among them), while an operator that must read the record
 * (~src) finds nothing in it any more.
 */
TEST(store_headers_and_messages_come_from_the_plain_part)
{
    unsetenv("MITMPROXY_CASE_SENSITIVE_FILTERS");
    struct flow **flows;
    size_t n = tflows_load("all.mitm", &flows);
    struct store *s = tstore_new(NULL);
    for (size_t i = 0; i < n; i++) {
        struct flow *f = flow_copy(flows[i]);
        store_add(s, f);
        flow_unref(f);
    }
    store__sweep(s, n);
    ASSERT_EQ(s->ncached, 0);
    ASSERT_EQ(s->nrows, n);
    size_t plain = 0;
    for (size_t i = 0; i < s->nrows; i++) {
        struct row *r = &s->rows[i];
        const uint8_t *p = r->rest;
        struct blog_reader rd = {0};
        if (r->flags & RF_REST_LOG)
            ASSERT_EQ(store__blog_read(&s->log, r->rest_off, r->rest_len, &rd, &p), 0);
        ASSERT(r->plain_len > 0 && r->plain_len < r->rest_len);
        /* The log is in RAM here: its bytes are the store's to spoil. */
        memset((uint8_t *)p + r->plain_len, 0xa5, r->rest_len - r->plain_len);
        store__blog_reader_clear(&rd);
        plain++;
    }
    ASSERT_EQ(plain, n);
    static const char *const exprs[] = {
        "~h json",         "~hq host",       "~hs content-type", "~h ^$",
        "~hq Cookie",      "~hs set-cookie", "!~h .",            "~b example\\.test",
        "~bq example",     "~bs .",          "~b hello",         "~bq ^$",
        "~tcp & ~b .",     "~websocket & ~bs .", "~dns & ~bs .", "~h latin|utf",
    };
    size_t hits = 0, kinds = 0;
    for (size_t k = 0; k < sizeof(exprs) / sizeof(exprs[0]); k++) {
        struct err e = {0};
        struct filt *flt = filt_compile(exprs[k], &e);
        ASSERT(flt != NULL);
        ASSERT_EQ(store_set_filter(s, exprs[k], &e), 0);
        for (size_t i = 0; i < n; i++) {
            char id[UUID_STR_LEN];
            store__row_id(s, &s->rows[i], id);
            int want = filt_match(flt, flows[i]);
            int got = store_view_index(s, id) >= 0;
            if (want != got)
                fprintf(stderr, "'%s': flow %zu (type %d): want %d\n", exprs[k], i,
                        flows[i]->type, want);
            ASSERT_EQ(got, want);
            hits += want;
            if (want && flows[i]->type != FLOW_HTTP)
                kinds |= 1u << flows[i]->type;
            if (want && flows[i]->websocket)
                kinds |= 0x100;
        }
        filt_free(flt);
    }
    ASSERT(hits > 0);
    ASSERT_EQ(kinds, (1u << FLOW_TCP) | (1u << FLOW_DNS) | 0x100);
    /* The record itself is gone: what reads it matches nothing. */
    struct err e = {0};
    ASSERT_EQ(store_set_filter(s, "~src .", &e), 0);
    ASSERT_EQ(store_view_len(s), 0);
    store_free(s);
    tflows_free(flows, n);
}
