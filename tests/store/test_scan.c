/*
 * scan.c: a filter over the store a step at a time finds what one
 * store_select() finds, in store order, while flows come and go between
 * the steps; flows added after the scan began are not searched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "http/message.h"
#include "store/internal.h"
#include "store/scan.h"
#include "tstore.h"
#include "util/xmalloc.h"

static struct flow *
add(struct store *s, int i)
{
    struct flow *f = flow_new_http(NULL, NULL);
    f->live = 0;
    f->request = http_request_new();
    http_set_str(&f->request->method, "GET");
    http_set_str(&f->request->scheme, "http");
    http_set_str(&f->request->host, "example.com");
    f->request->port = 80;
    char path[64];
    snprintf(path, sizeof(path), i % 3 == 0 ? "/needle/%d" : "/hay/%d", i);
    http_set_str(&f->request->path, path);
    http_set_str(&f->request->http_version, "HTTP/1.1");
    f->request->timestamp_start = 1000.0 + i;
    f->timestamp_created = 1000.0 + i;
    ASSERT(store_add(s, f) >= 0);
    return f;
}

static void
scan_in_steps(size_t threads)
{
    struct store_config cfg = {.threads = (unsigned)threads};
    struct store *s = tstore_new(&cfg);
    char removed[UUID_STR_LEN] = "";
    for (int i = 0; i < 300; i++) {
        struct flow *f = add(s, i);
        if (i == 150)
            snprintf(removed, sizeof(removed), "%s", f->id);
        flow_unref(f);
    }
    struct err e = {0};
    ASSERT(store_scan_new(s, "~u \"(\"", &e) == NULL);
    ASSERT_EQ(e.code, MP_ERR_SYNTAX);
    struct store_scan *sc = store_scan_new(s, "~u needle", &e);
    ASSERT(sc != NULL);
    struct tids got = {0};
    size_t done, total, steps = 0;
    int more = 1;
    while (more) {
        more = store_scan_step(sc, 7, tids_collect, &got);
        store_scan_progress(sc, &done, &total);
        ASSERT_EQ(total, 300);
        ASSERT(done <= total);
        if (++steps == 3) {
            /* Between steps a flow not yet searched goes, and new flows
             * come that the scan does not see. */
            ASSERT_EQ(store_remove(s, removed), 0);
            for (int i = 300; i < 330; i++)
                flow_unref(add(s, i));
        }
    }
    ASSERT_EQ(done, total);
    ASSERT(steps >= 300 / 7);
    /* One select of the flows there were, less the one removed. */
    struct tids want = {0};
    ASSERT(store_select(s, "~u needle", STORE_ORDER_TIME, 0, 0, 0, tids_collect, &want, NULL, NULL,
                        &e) >= 0);
    size_t k = 0;
    for (size_t i = 0; i < want.n; i++) {
        struct store_info in;
        ASSERT_EQ(store_info(s, want.v[i], &in), 0);
        if (in.timestamp_created >= 1300.0)
            continue;
        ASSERT(k < got.n);
        ASSERT_STREQ(got.v[k], want.v[i]);
        k++;
    }
    ASSERT_EQ(k, got.n);
    ASSERT_EQ(got.n, 99); /* 100 needles, one removed */
    /* A finished scan stays finished. */
    ASSERT_EQ(store_scan_step(sc, 7, tids_collect, &got), 0);
    ASSERT_EQ(got.n, 99);
    store_scan_free(sc);
    free(got.v);
    free(want.v);
    store_free(s);
}

TEST(scan_steps_find_what_select_finds) { scan_in_steps(0); }

TEST(scan_steps_find_what_select_finds_in_parallel) { scan_in_steps(2); }

TEST(scan_survives_compaction_and_clear)
{
    struct store *s = tstore_new(NULL);
    for (int i = 0; i < 90; i++)
        flow_unref(add(s, i));
    struct err e = {0};
    struct store_scan *sc = store_scan_new(s, "~u needle", &e);
    struct tids got = {0};
    ASSERT_EQ(store_scan_step(sc, 10, tids_collect, &got), 1);
    ASSERT_EQ(got.n, 4); /* 0, 3, 6, 9 */
    /* Most flows go: the table is compacted, slots renumbered. */
    store_clear_unmarked(s);
    ASSERT_EQ(store_count(s), 0);
    ASSERT_EQ(store_scan_step(sc, 10, tids_collect, &got), 0);
    ASSERT_EQ(got.n, 4);
    store_scan_free(sc);
    /* An empty store: done at once. */
    sc = store_scan_new(s, "~u needle", &e);
    ASSERT_EQ(store_scan_step(sc, 10, tids_collect, &got), 0);
    store_scan_free(sc);
    free(got.v);
    store_free(s);
}
