/*
 * load.c: a flow file of several blocks loads whole, in order, with every
 * body back as it was, while the load uses its blocks' buffers and the
 * body log's written chunks again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "flow/flowfile.h"
#include "http/message.h"
#include "store/internal.h"
#include "tstore.h"
#include "util/xmalloc.h"

static void
load_done(void *arg, int rc, size_t n, const struct err *e)
{
    int *flag = arg;
    *flag = rc == 0 ? (int)n + 1 : rc;
}

/* n copies of model in time order, flow i with path /n/i and bodies of its own. */
static void
write_copies(const char *path, const struct flow *model, size_t n, size_t rq_len, size_t rs_len)
{
    FILE *fp = fopen(path, "wb");
    ASSERT(fp != NULL);
    struct buf rec = BUF_INIT;
    uint8_t *b = xmalloc(rq_len > rs_len ? rq_len : rs_len);
    for (size_t i = 0; i < n; i++) {
        struct flow *f = flow_copy(model);
        tstore_fill(b, rs_len, (uint32_t)i);
        buf_set(&f->response->content, b, rs_len);
        tstore_fill(b, rq_len, (uint32_t)i + 7);
        buf_set(&f->request->content, b, rq_len);
        f->timestamp_created += (double)i;
        char p[32];
        snprintf(p, sizeof(p), "/n/%zu", i);
        free(f->request->path);
        f->request->path = xstrdup(p);
        buf_reset(&rec);
        ffile_serialize(&rec, f);
        ASSERT_EQ(fwrite(buf_ptr(&rec), 1, rec.len, fp), rec.len);
        flow_unref(f);
    }
    ASSERT_EQ(fclose(fp), 0);
    buf_clear(&rec);
    free(b);
}

TEST(store_load_reads_many_blocks_back_identical)
{
    struct flow **flows;
    size_t nf = tflows_load("post-form.mitm", &flows);
    ASSERT(nf >= 1 && flows[0]->response != NULL);
    char path[] = "/tmp/store-load-test.XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    /* About 17 MB: five 4 MiB blocks, records cut across each boundary. */
    enum { N = 3000, RQ = 300, RS = 4000 };
    write_copies(path, flows[0], N, RQ, RS);

    struct tloop *q = tloop_new();
    /* A small budget: the log writes chunks from the first blocks on and
     * hands their memory to the next batches. */
    struct store_config cfg = {
        .threads = 2, .post = tloop_post, .post_ctx = q, .memory_budget = 256u << 10};
    struct store *s = tstore_new(&cfg);
    int done = 0;
    struct err e = {0};
    ASSERT_EQ(store_load(s, path, load_done, &done, &e), 0);
    tloop_run_until(q, &done);
    ASSERT_EQ(done, N + 1);
    ASSERT_EQ(store_count(s), N);
    struct store_memory m;
    store_memory(s, &m);
    ASSERT(m.bodies_disk >= (uint64_t)N * (RQ + RS) - (4u << 20));

    uint8_t *want = xmalloc(RS);
    for (size_t i = 0; i < N; i++) {
        struct flow *f = store_get(s, tstore_view_id(s, i), &e);
        ASSERT(f != NULL);
        char p[32];
        snprintf(p, sizeof(p), "/n/%zu", i);
        ASSERT_STREQ(f->request->path, p);
        tstore_fill(want, RS, (uint32_t)i);
        ASSERT_MEMEQ(buf_ptr(&f->response->content), f->response->content.len, want, RS);
        tstore_fill(want, RQ, (uint32_t)i + 7);
        ASSERT_MEMEQ(buf_ptr(&f->request->content), f->request->content.len, want, RQ);
        flow_unref(f);
    }
    free(want);
    unlink(path);
    tflows_free(flows, nf);
    store_free(s);
    tloop_free(q);
}

TEST(store_bodylog_gives_a_written_chunk_to_be_filled_again)
{
    struct bodylog l;
    store__blog_init(&l, 1, "/tmp");
    size_t cap;
    ASSERT(store__blog_take_spare(&l, &cap) == NULL);
    ASSERT_EQ(cap, 0);
    uint8_t *a = xmalloc(3000);
    tstore_fill(a, 3000, 1);
    uint64_t off_a = store__blog_adopt(&l, a, 3000);
    /* Over the budget at once: a is written, its memory is the spare. */
    ASSERT_EQ(l.disk, 3000);
    uint8_t *p = store__blog_take_spare(&l, &cap);
    ASSERT(p == a);
    ASSERT_EQ(cap, 3000);
    ASSERT(store__blog_take_spare(&l, &cap) == NULL);
    /* Filled again and handed back: a's bytes are on disk, unchanged. */
    tstore_fill(p, 2000, 2);
    uint64_t off_b = store__blog_adopt(&l, p, 2000);
    ASSERT_EQ(l.disk, 5000);
    uint8_t want[3000];
    const uint8_t *got;
    struct blog_reader r = {0};
    tstore_fill(want, 3000, 1);
    ASSERT_EQ(store__blog_read(&l, off_a, 3000, &r, &got), 0);
    ASSERT(memcmp(got, want, 3000) == 0);
    tstore_fill(want, 2000, 2);
    ASSERT_EQ(store__blog_read(&l, off_b, 2000, &r, &got), 0);
    ASSERT(memcmp(got, want, 2000) == 0);
    /* A spare not taken is freed with the log (ASan checks). */
    ASSERT(l.spare == p);
    store__blog_reader_clear(&r);
    store__blog_clear(&l);
}
