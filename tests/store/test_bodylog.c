/*
 * bodylog.c: bodies past the memory budget move to the temporary file and
 * read back with the same bytes; and the store's memory accounting (the
 * 1 KB-per-flow bound without bodies).
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "commands/commands.h"
#include "http/message.h"
#include "store/internal.h"
#include "tstore.h"
#include "util/xmalloc.h"

TEST(store_bodylog_spills_past_the_budget_and_reads_back)
{
    struct bodylog l;
    store__blog_init(&l, 3u << 20, "/tmp");
    enum { N = 400 };
    static uint64_t off[N];
    static size_t len[N];
    uint8_t *want = xmalloc(2u << 20), *tmp;
    for (size_t i = 0; i < N; i++) {
        /* Mostly small, now and then one bigger than half a chunk. */
        len[i] = i % 50 == 7 ? (700u << 10) + i : (i * 7919) % 40000;
        tmp = xmalloc(len[i] ? len[i] : 1);
        tstore_fill(tmp, len[i], (uint32_t)i);
        off[i] = store__blog_append(&l, tmp, len[i]);
        free(tmp);
    }
    ASSERT(l.disk > 0);
    ASSERT(l.ram <= l.budget + (1u << 20));
    struct blog_reader r = {0};
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < N; i++) {
            const uint8_t *p;
            tstore_fill(want, len[i], (uint32_t)i);
            ASSERT_EQ(store__blog_read(&l, off[i], len[i], &r, &p), 0);
            ASSERT(memcmp(p, want, len[i]) == 0);
        }
        /* Everything to the file, then again. */
        store__blog_set_budget(&l, 0);
        store__blog_seal(&l);
        ASSERT_EQ(l.ram, 0);
        ASSERT_EQ(l.disk, l.end);
    }
    /* Past the end: an error, not a crash. */
    const uint8_t *p;
    ASSERT(store__blog_read(&l, l.end - 1, 2, &r, &p) < 0);
    store__blog_reader_clear(&r);
    store__blog_clear(&l);
    free(want);
}

/* A read from `from` on fills the window from there: a flow's request
 * body, just before its response body, comes with the response's read. */
TEST(store_bodylog_reads_a_window_from_an_earlier_offset)
{
    struct bodylog l;
    store__blog_init(&l, 1, "/tmp");
    enum { N = 3000 };
    static uint64_t off[N];
    static size_t len[N];
    uint8_t *tmp = xmalloc(4096), *want = xmalloc(4096);
    for (size_t i = 0; i < N; i++) {
        len[i] = 100 + (i * 37) % 2000;
        tstore_fill(tmp, len[i], (uint32_t)i);
        off[i] = store__blog_append(&l, tmp, len[i]);
    }
    store__blog_set_budget(&l, 0);
    store__blog_seal(&l);
    ASSERT_EQ(l.disk, l.end);
    struct blog_reader r = {0};
    const uint8_t *p;
    size_t refills = 0;
    for (size_t i = 0; i + 1 < N; i += 2) {
        /* The "response" first, from the "request" on; then the request. */
        uint64_t base = r.base;
        size_t rlen = r.len;
        ASSERT_EQ(store__blog_read_from(&l, off[i], off[i + 1], len[i + 1], &r, &p), 0);
        tstore_fill(want, len[i + 1], (uint32_t)(i + 1));
        ASSERT(memcmp(p, want, len[i + 1]) == 0);
        refills += r.base != base || r.len != rlen;
        base = r.base;
        ASSERT_EQ(store__blog_read(&l, off[i], len[i], &r, &p), 0);
        ASSERT_EQ(r.base, base);
        tstore_fill(want, len[i], (uint32_t)i);
        ASSERT(memcmp(p, want, len[i]) == 0);
    }
    /* About 3 MB through 1 MiB windows, each read once. */
    ASSERT(refills >= 2 && refills <= 4);
    /* A from too far back is ignored, not read. */
    store__blog_reader_clear(&r);
    ASSERT_EQ(store__blog_read_from(&l, 0, off[N - 1], len[N - 1], &r, &p), 0);
    ASSERT_EQ(r.base, off[N - 1]);
    tstore_fill(want, len[N - 1], (uint32_t)(N - 1));
    ASSERT(memcmp(p, want, len[N - 1]) == 0);
    store__blog_reader_clear(&r);
    store__blog_clear(&l);
    free(tmp);
    free(want);
}

TEST(store_bodylog_keeps_bodies_in_ram_when_the_file_cannot_be_made)
{
    struct bodylog l;
    store__blog_init(&l, 1, "/nonexistent/dir");
    uint8_t body[1000];
    tstore_fill(body, sizeof(body), 9);
    uint64_t off = store__blog_append(&l, body, sizeof(body));
    store__blog_seal(&l);
    ASSERT(l.failed);
    const uint8_t *p;
    struct blog_reader r = {0};
    ASSERT_EQ(store__blog_read(&l, off, sizeof(body), &r, &p), 0);
    ASSERT(memcmp(p, body, sizeof(body)) == 0);
    store__blog_clear(&l);
}

/* n copies of a fixture flow with fresh ids and their own 1 KB bodies. */
static void
add_copies(struct store *s, const struct flow *model, size_t n, char (*ids)[UUID_STR_LEN])
{
    uint8_t b[1024];
    for (size_t i = 0; i < n; i++) {
        struct flow *f = flow_copy(model);
        tstore_fill(b, sizeof(b), (uint32_t)i);
        buf_set(&f->response->content, b, sizeof(b));
        tstore_fill(b, 512, (uint32_t)i + 7);
        buf_set(&f->request->content, b, 512);
        f->timestamp_created += (double)i;
        memcpy(ids[i], f->id, UUID_STR_LEN);
        store_add(s, f);
        flow_unref(f);
    }
}

TEST(store_bodies_on_disk_read_back_identical_and_memory_per_flow)
{
    struct flow **flows;
    size_t nf = tflows_load("post-form.mitm", &flows);
    ASSERT(nf >= 1 && flows[0]->response != NULL);
    struct store_config cfg = {.memory_budget = 64u << 10};
    struct store *s = tstore_new(&cfg);
    enum { N = 5000 };
    char(*ids)[UUID_STR_LEN] = xcalloc(N, UUID_STR_LEN);
    add_copies(s, flows[0], N, ids);
    store__sweep(s, N);
    store__blog_seal(&s->log);

    struct store_memory m;
    store_memory(s, &m);
    ASSERT_EQ(m.flows, N);
    ASSERT(m.bodies_disk >= (uint64_t)N * 1536 - (2u << 20));
    ASSERT(m.bodies_ram <= (64u << 10) + (1u << 20));
    ASSERT_EQ(m.live, 0);
    /* Everything but bodies: at most 1 KB a flow. */
    ASSERT(m.per_flow > 0 && m.per_flow <= 1024);
    ASSERT(m.per_flow * m.flows >= m.rows + m.index + m.records + m.strings - m.flows);

    uint8_t want[1024];
    for (size_t i = 0; i < N; i += 97) {
        struct err e = {0};
        struct flow *f = store_get(s, ids[i], &e);
        ASSERT(f != NULL);
        tstore_fill(want, 1024, (uint32_t)i);
        ASSERT_MEMEQ(buf_ptr(&f->response->content), f->response->content.len, want, 1024);
        tstore_fill(want, 512, (uint32_t)i + 7);
        ASSERT_MEMEQ(buf_ptr(&f->request->content), f->request->content.len, want, 512);
        ASSERT_STREQ(f->request->path, flows[0]->request->path);
        flow_unref(f);
    }
    /* ~bs reads every body from the file. */
    struct cmds_flows out;
    struct err e = {0};
    ASSERT_EQ(store_resolve(s, "~bs .", &out, &e), 0);
    ASSERT_EQ(out.n, N);
    for (size_t i = 0; i < out.n; i++)
        flow_unref(out.v[i]);
    free(out.v);
    /* view.clear starts the log again. */
    store_clear(s);
    store_memory(s, &m);
    ASSERT_EQ(m.flows, 0);
    ASSERT_EQ(m.bodies_disk, 0);
    free(ids);
    tflows_free(flows, nf);
    store_free(s);
}

TEST(store_memory_budget_option_moves_bodies)
{
    struct flow **flows;
    size_t nf = tflows_load("post-form.mitm", &flows);
    struct store *s = tstore_new(NULL);
    enum { N = 3000 };
    char(*ids)[UUID_STR_LEN] = xcalloc(N, UUID_STR_LEN);
    add_copies(s, flows[0], N, ids);
    store__sweep(s, N);
    struct store_memory m;
    store_memory(s, &m);
    /* Under the default budget of 256 MiB nothing goes to disk. */
    ASSERT_EQ(m.bodies_disk, 0);
    ASSERT(m.bodies_ram >= (size_t)N * 1536);
    store__blog_set_budget(&s->log, 1);
    store__blog_seal(&s->log);
    store_memory(s, &m);
    ASSERT(m.bodies_disk >= (uint64_t)N * 1536);
    ASSERT_EQ(m.bodies_ram, 0);
    struct flow *f = store_get(s, ids[N - 1], NULL);
    uint8_t want[1024];
    tstore_fill(want, 1024, N - 1);
    ASSERT_MEMEQ(buf_ptr(&f->response->content), f->response->content.len, want, 1024);
    flow_unref(f);
    free(ids);
    tflows_free(flows, nf);
    store_free(s);
}
