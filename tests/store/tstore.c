/* Helpers for the store's tests (tstore.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/test.h"
#include "flow/flowfile.h"
#include "tstore.h"
#include "util/xmalloc.h"

size_t
trecords(const char *name, uint8_t **data, size_t **offs)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "flows/%s", name);
    FILE *f = fopen(test_fixture(rel), "rb");
    ASSERT(f != NULL);
    struct buf b = BUF_INIT;
    uint8_t tmp[65536];
    size_t k;
    while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(&b, tmp, k);
    fclose(f);
    size_t n = 0, pos = 0;
    size_t *o = xmalloc(sizeof(*o));
    o[0] = 0;
    while (pos < b.len) {
        struct flow *fl;
        size_t used;
        struct err e;
        ASSERT_EQ(ffile_deserialize(buf_ptr(&b) + pos, b.len - pos, &used, &fl, &e), 0);
        flow_unref(fl);
        pos += used;
        o = xrealloc(o, (n + 2) * sizeof(*o));
        o[++n] = pos;
    }
    *data = (uint8_t *)buf_strdup(&b);
    buf_clear(&b);
    *offs = o;
    return n;
}

size_t
tflows_load(const char *name, struct flow ***out)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "flows/%s", name);
    FILE *f = fopen(test_fixture(rel), "rb");
    ASSERT(f != NULL);
    struct ffile_reader *r = ffile_reader_new(f, name);
    struct flow **v = NULL, *fl;
    size_t n = 0;
    struct err e;
    int rc;
    while ((rc = ffile_read(r, &fl, &e)) == 1) {
        v = xrealloc(v, (n + 1) * sizeof(*v));
        v[n++] = fl;
    }
    ASSERT_EQ(rc, 0);
    ffile_reader_free(r);
    fclose(f);
    *out = v;
    return n;
}

void
tflows_free(struct flow **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        flow_unref(v[i]);
    free(v);
}

struct titem {
    void (*fn)(void *);
    void *arg;
    struct titem *next;
};

struct tloop {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct titem *head, *tail;
};

struct tloop *
tloop_new(void)
{
    struct tloop *q = xcalloc(1, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    return q;
}

void
tloop_free(struct tloop *q)
{
    tloop_drain(q);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q);
}

void
tloop_post(void *ctx, void (*fn)(void *), void *arg)
{
    struct tloop *q = ctx;
    struct titem *it = xcalloc(1, sizeof(*it));
    it->fn = fn;
    it->arg = arg;
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static struct titem *
take(struct tloop *q, int wait_ms)
{
    pthread_mutex_lock(&q->mu);
    if (q->head == NULL && wait_ms > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)wait_ms * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&q->cv, &q->mu, &ts);
    }
    struct titem *it = q->head;
    if (it) {
        q->head = it->next;
        if (q->head == NULL)
            q->tail = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    return it;
}

void
tloop_run_until(struct tloop *q, const int *flag)
{
    time_t start = time(NULL);
    while (!*flag) {
        ASSERT(time(NULL) - start < 20);
        struct titem *it = take(q, 50);
        if (it) {
            it->fn(it->arg);
            free(it);
        }
    }
}

void
tloop_drain(struct tloop *q)
{
    struct titem *it;
    while ((it = take(q, 0)) != NULL) {
        it->fn(it->arg);
        free(it);
    }
}

void
trec_cb(void *arg, enum store_event ev, const char *id, size_t index)
{
    struct trec *r = arg;
    r->n[ev]++;
    buf_printf(&r->log, "%s %zu %s\n", store_event_name(ev), index, id);
}

void
trec_clear(struct trec *r)
{
    buf_clear(&r->log);
    memset(r, 0, sizeof(*r));
}

struct store *
tstore_new(const struct store_config *cfg)
{
    struct store_config c = {0};
    if (cfg)
        c = *cfg;
    return store_new(&c);
}

const char *
tstore_view_id(struct store *s, size_t i)
{
    static char id[64];
    struct store_info info;
    ASSERT_EQ(store_view_info(s, i, &info), 0);
    snprintf(id, sizeof(id), "%s", info.id);
    return id;
}

void
tids_collect(void *arg, size_t pos, const char *id)
{
    struct tids *x = arg;
    ASSERT_EQ(pos, x->n);
    x->v = xrealloc(x->v, (x->n + 1) * UUID_STR_LEN);
    snprintf(x->v[x->n++], UUID_STR_LEN, "%s", id);
}

void
tstore_fill(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}
