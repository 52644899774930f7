/*
 * readahead.h: one producer thread, one consumer (the loop), a ring of
 * decoded flows between them under one mutex. The thread waits for room,
 * the loop for a flow; each is woken only when the other may be waiting.
 * The flows cross threads whole: the thread never touches one again
 * after putting it in the ring (a flow's references are atomic).
 */
#include <pthread.h>
#include <stdlib.h>

#include "addons/readahead.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "util/xmalloc.h"

/* Decoded flows that may wait: about 2 MB of typical flows, enough for the
 * loop never to wait while the thread keeps up. */
#define AHEAD 1024

struct readahead {
    struct ffile_reader *r; /* owned; only the thread uses it */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t ready; /* a flow, or the end, is there */
    pthread_cond_t room;  /* the ring has room, or stop is set */
    struct flow *ring[AHEAD];
    size_t head, n;
    int end;  /* the thread is through: rc and err say why */
    int stop; /* set by readahead_free() */
    int rc;
    struct err err;
    int threaded; /* 0: no thread could start; the caller reads */
    int waiting;  /* the loop waits for a flow */
    int full;    /* the thread waits for room */
};

static void *
run(void *arg)
{
    struct readahead *ra = arg;
    for (;;) {
        struct flow *f = NULL;
        struct err e = {0};
        int rc = ffile_read(ra->r, &f, &e);
        pthread_mutex_lock(&ra->mu);
        if (rc != 1) {
            ra->end = 1;
            ra->rc = rc;
            ra->err = e;
            pthread_cond_signal(&ra->ready);
            pthread_mutex_unlock(&ra->mu);
            return NULL;
        }
        while (ra->n == AHEAD && !ra->stop) {
            ra->full = 1;
            pthread_cond_wait(&ra->room, &ra->mu);
        }
        ra->full = 0;
        if (ra->stop) {
            pthread_mutex_unlock(&ra->mu);
            flow_unref(f);
            return NULL;
        }
        ra->ring[(ra->head + ra->n) % AHEAD] = f;
        ra->n++;
        if (ra->waiting)
            pthread_cond_signal(&ra->ready);
        pthread_mutex_unlock(&ra->mu);
    }
}

struct readahead *
readahead_new(struct ffile_reader *r)
{
    struct readahead *ra = xcalloc(1, sizeof(*ra));
    ra->r = r;
    pthread_mutex_init(&ra->mu, NULL);
    pthread_cond_init(&ra->ready, NULL);
    pthread_cond_init(&ra->room, NULL);
    ra->threaded = pthread_create(&ra->thread, NULL, run, ra) == 0;
    return ra;
}

int
readahead_next(struct readahead *ra, struct flow **out, struct err *e)
{
    *out = NULL;
    if (!ra->threaded)
        return ffile_read(ra->r, out, e);
    pthread_mutex_lock(&ra->mu);
    while (ra->n == 0 && !ra->end) {
        ra->waiting = 1;
        pthread_cond_wait(&ra->ready, &ra->mu);
    }
    ra->waiting = 0;
    int rc = 1;
    if (ra->n > 0) {
        *out = ra->ring[ra->head];
        ra->head = (ra->head + 1) % AHEAD;
        ra->n--;
        if (ra->full)
            pthread_cond_signal(&ra->room);
    } else {
        rc = ra->rc;
        if (rc < 0 && e)
            *e = ra->err;
    }
    pthread_mutex_unlock(&ra->mu);
    return rc;
}

void
readahead_free(struct readahead *ra)
{
    if (ra == NULL)
        return;
    pthread_mutex_lock(&ra->mu);
    ra->stop = 1;
    pthread_cond_signal(&ra->room);
    pthread_mutex_unlock(&ra->mu);
    if (ra->threaded)
        pthread_join(ra->thread, NULL);
    for (size_t i = 0; i < ra->n; i++)
        flow_unref(ra->ring[(ra->head + i) % AHEAD]);
    ffile_reader_free(ra->r);
    pthread_cond_destroy(&ra->ready);
    pthread_cond_destroy(&ra->room);
    pthread_mutex_destroy(&ra->mu);
    free(ra);
}
