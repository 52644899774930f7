/*
 * select.c and order.c: store_select()'s kept lists follow the store.
 * After every few random changes (flows added, edited, marked, commented,
 * compacted and removed) each list equals a brute-force answer: every
 * flow matched with filt_match() on its struct flow, then sorted by
 * comparing rows pairwise. Only the first select of a list matches every
 * row; later ones match the changed rows alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "filter/filter.h"
#include "http/message.h"
#include "store/internal.h"
#include "tstore.h"
#include "util/xmalloc.h"

static void
first_pos(void *arg, size_t pos, const char *id)
{
    (void)id;
    *(long *)arg = (long)pos;
}

/* The list as a full match and a pairwise sort give it. */
static void
brute(struct store *s, const char *expr, enum store_order order, int reversed, struct tids *out)
{
    struct err e = {0};
    struct filt *flt = *expr ? filt_compile(expr, &e) : NULL;
    ASSERT(flt != NULL || !*expr);
    uint32_t *slots = xmalloc((s->nrows + 1) * sizeof(*slots));
    size_t n = 0;
    for (size_t i = 0; i < s->nrows; i++) {
        if (s->rows[i].flags & RF_DEAD)
            continue;
        char id[UUID_STR_LEN];
        store__row_id(s, &s->rows[i], id);
        struct flow *f = store_get(s, id, &e);
        ASSERT(f != NULL);
        if (flt == NULL || filt_match(flt, f))
            slots[n++] = (uint32_t)i;
        flow_unref(f);
    }
    /* Insertion sort by the pairwise order. */
    for (size_t i = 1; i < n; i++) {
        uint32_t x = slots[i];
        size_t j = i;
        while (j > 0 && store__order_before(s, order, &s->rows[x], &s->rows[slots[j - 1]])) {
            slots[j] = slots[j - 1];
            j--;
        }
        slots[j] = x;
    }
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        char id[UUID_STR_LEN];
        store__row_id(s, &s->rows[slots[reversed ? n - 1 - i : i]], id);
        tids_collect(out, i, id);
    }
    free(slots);
    filt_free(flt);
}

static const struct {
    const char *expr;
    enum store_order order;
} lists[] = {
    {"~m GET", STORE_ORDER_TIME},         {"", STORE_ORDER_URL},
    {"~b .", STORE_ORDER_SIZE},           {"!~s", STORE_ORDER_METHOD},
    {"~h content-type", STORE_ORDER_URL}, {"~marked | ~comment x", STORE_ORDER_TIME},
};

/* The first four lists each round (they fit in the store's four places),
 * all six every tenth round (two are pushed out and made again). */
static void
check_lists(struct store *s, unsigned round)
{
    size_t nlists = round % 10 ? 4 : sizeof(lists) / sizeof(lists[0]);
    for (size_t k = 0; k < nlists; k++) {
        int reversed = (int)((round + k) % 2);
        struct tids got = {0}, want = {0};
        struct err e = {0};
        long total = store_select(s, lists[k].expr, lists[k].order, reversed, 0, 0, tids_collect, &got,
                                  NULL, NULL, &e);
        brute(s, lists[k].expr, lists[k].order, reversed, &want);
        ASSERT_EQ(total, (long)want.n);
        ASSERT_EQ(got.n, want.n);
        for (size_t i = 0; i < want.n; i++)
            if (strcmp(got.v[i], want.v[i]) != 0) {
                fprintf(stderr, "round %u, '%s' by %s: row %zu is %s, not %s\n", round,
                        lists[k].expr, store_order_name(lists[k].order), i, got.v[i], want.v[i]);
                ASSERT(0);
            }
        /* A window of it, and a flow's place. */
        if (want.n > 3) {
            long at = -1, pos = -2;
            store_select(s, lists[k].expr, lists[k].order, reversed, 2, 1, first_pos, &at,
                         want.v[want.n - 1], &pos, &e);
            ASSERT_EQ(at, 2);
            ASSERT_EQ(pos, (long)want.n - 1);
        }
        free(got.v);
        free(want.v);
    }
}

/* A random flow of the store, or NULL. */
static struct flow *
any_flow(struct store *s, unsigned *seed)
{
    if (store_count(s) == 0)
        return NULL;
    for (;;) {
        uint32_t slot = (uint32_t)(rand_r(seed) % s->nrows);
        if (s->rows[slot].flags & RF_DEAD)
            continue;
        char id[UUID_STR_LEN];
        store__row_id(s, &s->rows[slot], id);
        return store_get(s, id, NULL);
    }
}

static void
change(struct store *s, struct flow **fixtures, size_t nfix, unsigned *seed)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "get"};
    struct flow *f;
    switch (rand_r(seed) % 7) {
    case 0: /* a new flow */
    case 1: {
        f = flow_copy(fixtures[rand_r(seed) % nfix]);
        if (f->type == FLOW_HTTP && f->request && rand_r(seed) % 2)
            http_set_str(&f->request->method, methods[rand_r(seed) % 5]);
        store_add(s, f);
        flow_unref(f);
        return;
    }
    case 2: /* an edit: method, path, body size */
        if ((f = any_flow(s, seed)) == NULL)
            return;
        if (f->type == FLOW_HTTP && f->request) {
            http_set_str(&f->request->method, methods[rand_r(seed) % 5]);
            char path[32];
            snprintf(path, sizeof(path), "/p%u", rand_r(seed) % 10);
            if (rand_r(seed) % 2)
                http_set_str(&f->request->path, path);
            buf_set(&f->request->content, "xxxxxxxx", rand_r(seed) % 9);
        }
        store_update(s, f);
        flow_unref(f);
        return;
    case 3: /* a mark or a comment */
        if ((f = any_flow(s, seed)) == NULL)
            return;
        if (rand_r(seed) % 2)
            store_set_marked(s, f->id, rand_r(seed) % 2 ? ":default:" : "");
        else
            store_set_comment(s, f->id, rand_r(seed) % 2 ? "x" : "");
        flow_unref(f);
        return;
    case 4: /* gone */
        if ((f = any_flow(s, seed)) == NULL)
            return;
        ASSERT_EQ(store_remove(s, f->id), 0);
        flow_unref(f);
        return;
    case 5: /* compacted again: the rows answer, not struct flows */
        store__sweep(s, s->nrows);
        return;
    default:
        if (rand_r(seed) % 8 == 0)
            store_clear_unmarked(s);
        return;
    }
}

static void
random_changes(const struct store_config *cfg, unsigned seed)
{
    struct flow **fixtures;
    size_t nfix = tflows_load("all.mitm", &fixtures);
    struct store *s = tstore_new(cfg);
    for (size_t i = 0; i < nfix; i++)
        store_add(s, fixtures[i]);
    store__sweep(s, s->nrows);
    check_lists(s, 0);
    size_t builds = store__select_builds(s);
    for (unsigned round = 1; round <= 60; round++) {
        unsigned k = 1 + (unsigned)rand_r(&seed) % 6;
        for (unsigned i = 0; i < k; i++)
            change(s, fixtures, nfix, &seed);
        check_lists(s, round);
    }
    /* Only lists pushed out are made again: at most the four of a tenth
     * round, and the two they pushed out after it; not one per select. */
    ASSERT(store__select_builds(s) - builds <= 6 * 6);
    store_free(s);
    tflows_free(fixtures, nfix);
}

TEST(select_lists_follow_random_changes)
{
    random_changes(NULL, 1);
    random_changes(NULL, 7);
}

TEST(select_lists_follow_random_changes_matched_in_parallel)
{
    struct tloop *q = tloop_new();
    struct store_config cfg = {.memory_budget = 1, .threads = 2, .post = tloop_post, .post_ctx = q};
    random_changes(&cfg, 3);
    tloop_free(q);
}

TEST(select_kept_list_matches_only_changed_flows)
{
    struct flow **fixtures;
    size_t nfix = tflows_load("all.mitm", &fixtures);
    struct store *s = tstore_new(NULL);
    for (size_t i = 0; i < nfix; i++)
        store_add(s, fixtures[i]);
    struct tids got = {0};
    struct err e = {0};
    ASSERT(store_select(s, "~m GET", STORE_ORDER_URL, 0, 0, 0, tids_collect, &got, NULL, NULL, &e) > 0);
    size_t builds = store__select_builds(s), before = got.n;
    /* A new GET, an old flow's comment: the list follows without a rebuild. */
    struct flow *f = NULL;
    for (size_t i = 0; i < nfix && f == NULL; i++)
        if (fixtures[i]->type == FLOW_HTTP && strcmp(fixtures[i]->request->method, "GET") == 0)
            f = flow_copy(fixtures[i]);
    ASSERT(f != NULL);
    store_add(s, f);
    store_set_comment(s, fixtures[0]->id, "seen");
    got.n = 0;
    ASSERT_EQ(store_select(s, "~m GET", STORE_ORDER_URL, 0, 0, 0, tids_collect, &got, NULL, NULL, &e),
              (long)before + 1);
    ASSERT_EQ(store__select_builds(s), builds);
    /* A bad filter: mitmproxy's message, nothing kept. */
    ASSERT_EQ(store_select(s, "~x", STORE_ORDER_URL, 0, 0, 0, tids_collect, &got, NULL, NULL, &e),
              MP_ERR_SYNTAX);
    ASSERT(strstr(e.msg, "Invalid filter expression") != NULL);
    /* Clearing the store drops the lists. */
    store_clear(s);
    got.n = 0;
    ASSERT_EQ(store_select(s, "~m GET", STORE_ORDER_URL, 0, 0, 0, tids_collect, &got, NULL, NULL, &e),
              0);
    free(got.v);
    flow_unref(f);
    store_free(s);
    tflows_free(fixtures, nfix);
}

/* order.c's sort by ranks gives the pairwise order, from any start order. */
TEST(select_sort_by_ranks_equals_pairwise_order)
{
    struct flow **fixtures;
    size_t nfix = tflows_load("all.mitm", &fixtures);
    struct store *s = tstore_new(NULL);
    for (int copy = 0; copy < 3; copy++)
        for (size_t i = 0; i < nfix; i++) {
            struct flow *f = flow_copy(fixtures[i]);
            store_add(s, f);
            flow_unref(f);
        }
    size_t n = s->nrows;
    uint32_t *slots = xmalloc(n * sizeof(*slots));
    for (int o = 0; o <= STORE_ORDER_SIZE; o++) {
        for (int shuffled = 0; shuffled < 2; shuffled++) {
            unsigned seed = 5;
            for (size_t i = 0; i < n; i++)
                slots[i] = (uint32_t)i;
            for (size_t i = n - 1; shuffled && i > 0; i--) {
                size_t j = (size_t)rand_r(&seed) % (i + 1);
                uint32_t t = slots[i];
                slots[i] = slots[j];
                slots[j] = t;
            }
            store__sort_slots(s, (enum store_order)o, slots, n);
            for (size_t i = 0; i + 1 < n; i++)
                ASSERT(store__order_before(s, (enum store_order)o, &s->rows[slots[i]],
                                           &s->rows[slots[i + 1]]));
        }
    }
    free(slots);
    store_free(s);
    tflows_free(fixtures, nfix);
}
