/*
 * load.c with STORE_LOAD_KEEP_IDS (-r when no addon would see the flows):
 * the flows keep the ids of the file, in file order, and a flow whose id
 * is in the store already stays as it was, as store_add() leaves it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "flow/flowfile.h"
#include "store/internal.h"
#include "tstore.h"

struct got {
    int done; /* n + 1, or the error */
    struct err *e;
};

static void
load_done(void *arg, int rc, size_t n, const struct err *e)
{
    struct got *g = arg;
    g->done = rc == 0 ? (int)n + 1 : rc;
    if (rc < 0)
        *g->e = *e;
}

/* Loads path with flags into s: n + 1 for n flows added, or the error (in e). */
static int
load(struct store *s, struct tloop *q, const char *path, unsigned flags, struct err *e)
{
    struct got g = {0, e};
    ASSERT_EQ(store_load_flags(s, path, flags, load_done, &g, e), 0);
    tloop_run_until(q, &g.done);
    return g.done;
}

TEST(store_load_keep_ids_keeps_the_files_ids_in_order)
{
    struct tloop *q = tloop_new();
    struct store_config cfg = {.threads = 2, .post = tloop_post, .post_ctx = q};
    struct store *s = tstore_new(&cfg);
    struct flow **flows;
    size_t n = tflows_load("all.mitm", &flows);
    struct err e = {0};
    ASSERT_EQ(load(s, q, test_fixture("flows/all.mitm"), STORE_LOAD_KEEP_IDS, &e), (int)n + 1);
    ASSERT_EQ(store_count(s), n);
    long last = -1;
    for (size_t i = 0; i < n; i++) {
        /* In the store in file order (the view orders by time). */
        long slot = store__find(s, flows[i]->id);
        ASSERT(slot > last);
        last = slot;
        struct store_info info;
        ASSERT_EQ(store_info(s, flows[i]->id, &info), 0);
        ASSERT_STREQ(info.marked, flows[i]->marked ? flows[i]->marked : "");
        ASSERT_STREQ(info.comment, flows[i]->comment ? flows[i]->comment : "");
    }
    /* Again: every id is there, so nothing is added. */
    ASSERT_EQ(load(s, q, test_fixture("flows/all.mitm"), STORE_LOAD_KEEP_IDS, &e), 1);
    ASSERT_EQ(store_count(s), n);
    /* Without the flag the same file gets new ids, as view.flows.load gives. */
    ASSERT_EQ(load(s, q, test_fixture("flows/all.mitm"), 0, &e), (int)n + 1);
    ASSERT_EQ(store_count(s), 2 * n);
    tflows_free(flows, n);
    store_free(s);
    tloop_free(q);
}

TEST(store_load_keep_ids_refuses_an_id_longer_than_a_uuid)
{
    /* The first record of a fixture with its id made 4 bytes longer. */
    uint8_t *data;
    size_t *offs;
    size_t n = trecords("get-query.mitm", &data, &offs);
    ASSERT(n >= 1);
    const char *rec = (const char *)data + offs[0];
    size_t len = offs[1] - offs[0];
    const char *key = memmem(rec, len, "2:id;36:", 8);
    ASSERT(key != NULL);
    size_t at = (size_t)(key - rec) + 8 + 36; /* the end of the id */
    const char *colon = memchr(rec, ':', len);
    size_t payload = (size_t)strtoul(rec, NULL, 10);
    char path[] = "/tmp/store-keep-ids.XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    FILE *fp = fdopen(fd, "wb");
    size_t head = (size_t)(colon + 1 - rec);
    fprintf(fp, "%zu:", payload + 4);
    fwrite(rec + head, 1, (size_t)(key - rec) + 5 - head, fp);
    fputs("40:", fp);
    fwrite(key + 8, 1, 36, fp);
    fputs("abcd", fp);
    fwrite(rec + at, 1, len - at, fp);
    ASSERT_EQ(fclose(fp), 0);

    struct tloop *q = tloop_new();
    struct store_config cfg = {.threads = 2, .post = tloop_post, .post_ctx = q};
    struct store *s = tstore_new(&cfg);
    struct err e = {0};
    ASSERT_EQ(load(s, q, path, STORE_LOAD_KEEP_IDS, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(store_count(s), 0);
    /* The words of the flow reader, which the hooks' way reads with. */
    struct err fe = {0};
    struct ffile_reader *r = ffile_reader_open(path, &fe);
    ASSERT(r != NULL);
    struct flow *f = NULL;
    ASSERT_EQ(ffile_read(r, &f, &fe), MP_ERR_CORRUPT);
    ffile_reader_free(r);
    ASSERT_STREQ(e.msg, fe.msg);
    unlink(path);
    free(data);
    free(offs);
    store_free(s);
    tloop_free(q);
}
