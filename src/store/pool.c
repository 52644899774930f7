/*
 * The store's worker threads. Two kinds of work:
 *
 *   queue: work(arg) on a worker, then after(arg) on the loop's thread
 *          through post (libuv's uv_queue_work shape, and core's
 *          server_queue_work() contract, which this can become);
 *   parallel: parts of one job spread over the workers and the calling
 *          thread, which waits (a filter over every flow: the caller needs
 *          the answer before it goes on, the loop is not handed anything).
 *
 * The caller takes part in a parallel job, so it finishes even while every
 * worker is busy with queued work. A parallel job's state is shared with
 * helpers that may start after it is done, so it is refcounted.
 *
 * Why not the server's pool (server_queue_work(), libuv's): that pool is
 * four threads for the whole process, fixed at its first use, and the
 * proxy's getaddrinfo() and certificate signing queue there too. A load of
 * a million flows keeps its window of jobs queued for tens of seconds, and
 * a filter puts a helper on every thread: in libuv's pool both would hold
 * up new connections' DNS lookups and TLS handshakes for as long. Here the
 * store's work waits only for the store's.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/xmalloc.h"

struct job {
    pool_fn work, after;
    void *arg;
    struct parallel *par; /* a parallel job's helper */
    struct job *next;
};

struct parallel {
    atomic_int refs;
    atomic_size_t next, done;
    size_t nparts;
    pool_part_fn fn;
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

struct pool {
    pthread_t *threads;
    unsigned n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *head, *tail;
    int stop;
    atomic_uint next_worker; /* worker ids for parallel parts */
    void (*post)(void *, void (*)(void *), void *);
    void *post_ctx;
    /* Without threads: afters queued while one runs wait their turn. */
    struct job *inline_head, *inline_tail;
    int inline_running;
};

static void
par_unref(struct parallel *p)
{
    if (atomic_fetch_sub(&p->refs, 1) == 1) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p);
    }
}

/* Takes parts until none are left. */
static void
par_run(struct parallel *p, unsigned worker)
{
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->nparts)
            break;
        p->fn(p->arg, i, worker);
        if (atomic_fetch_add(&p->done, 1) + 1 == p->nparts) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static void *
worker(void *arg)
{
    struct pool *pl = arg;
    unsigned id = atomic_fetch_add(&pl->next_worker, 1) + 1;
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        while (pl->head == NULL && !pl->stop)
            pthread_cond_wait(&pl->cv, &pl->mu);
        struct job *j = pl->head;
        if (j == NULL) {
            pthread_mutex_unlock(&pl->mu);
            return NULL;
        }
        pl->head = j->next;
        if (pl->head == NULL)
            pl->tail = NULL;
        pthread_mutex_unlock(&pl->mu);
        if (j->par) {
            par_run(j->par, id);
            par_unref(j->par);
        } else {
            j->work(j->arg);
            pl->post(pl->post_ctx, j->after, j->arg);
        }
        free(j);
    }
}

struct pool *
store__pool_new(unsigned nthreads, void (*post)(void *, void (*)(void *), void *),
                void *post_ctx)
{
    struct pool *pl = xcalloc(1, sizeof(*pl));
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->cv, NULL);
    pl->post = post;
    pl->post_ctx = post_ctx;
    if (nthreads > 0) {
        pl->threads = xcalloc(nthreads, sizeof(*pl->threads));
        for (unsigned i = 0; i < nthreads; i++) {
            if (pthread_create(&pl->threads[i], NULL, worker, pl) != 0)
                break;
            pl->n++;
        }
    }
    return pl;
}

void
store__pool_free(struct pool *pl)
{
    if (pl == NULL)
        return;
    pthread_mutex_lock(&pl->mu);
    pl->stop = 1;
    struct job *left = pl->head;
    pl->head = pl->tail = NULL;
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
    for (unsigned i = 0; i < pl->n; i++)
        pthread_join(pl->threads[i], NULL);
    /* Queued work that never started: its after still runs (to free
     * what it holds), here on the loop's thread. */
    while (left) {
        struct job *j = left;
        left = j->next;
        if (j->par)
            par_unref(j->par);
        else
            j->after(j->arg);
        free(j);
    }
    free(pl->threads);
    pthread_mutex_destroy(&pl->mu);
    pthread_cond_destroy(&pl->cv);
    free(pl);
}

unsigned
store__pool_width(const struct pool *pl)
{
    return pl ? pl->n + 1 : 1;
}

static void
push(struct pool *pl, struct job *j)
{
    pthread_mutex_lock(&pl->mu);
    if (pl->tail)
        pl->tail->next = j;
    else
        pl->head = j;
    pl->tail = j;
    pthread_cond_signal(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
}

void
store__pool_queue(struct pool *pl, pool_fn work, pool_fn after, void *arg)
{
    if (pl->n > 0 && pl->post && !pl->stop) {
        struct job *j = xcalloc(1, sizeof(*j));
        *j = (struct job){work, after, arg, NULL, NULL};
        push(pl, j);
        return;
    }
    /* No threads: run it here. An after that queues more work would nest
     * ever deeper, so what it queues waits until it returns. */
    struct job *j = xcalloc(1, sizeof(*j));
    *j = (struct job){work, after, arg, NULL, NULL};
    if (pl->inline_tail)
        pl->inline_tail->next = j;
    else
        pl->inline_head = j;
    pl->inline_tail = j;
    if (pl->inline_running)
        return;
    pl->inline_running = 1;
    while ((j = pl->inline_head) != NULL) {
        pl->inline_head = j->next;
        if (pl->inline_head == NULL)
            pl->inline_tail = NULL;
        if (!pl->stop)
            j->work(j->arg);
        j->after(j->arg);
        free(j);
    }
    pl->inline_running = 0;
}

void
store__pool_parallel(struct pool *pl, size_t nparts, pool_part_fn fn, void *arg)
{
    if (nparts == 0)
        return;
    if (pl == NULL || pl->n == 0 || nparts == 1) {
        for (size_t i = 0; i < nparts; i++)
            fn(arg, i, 0);
        return;
    }
    struct parallel *p = xcalloc(1, sizeof(*p));
    atomic_init(&p->refs, 1);
    atomic_init(&p->next, 0);
    atomic_init(&p->done, 0);
    p->nparts = nparts;
    p->fn = fn;
    p->arg = arg;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    unsigned helpers = pl->n < nparts - 1 ? pl->n : (unsigned)(nparts - 1);
    for (unsigned i = 0; i < helpers; i++) {
        struct job *j = xcalloc(1, sizeof(*j));
        atomic_fetch_add(&p->refs, 1);
        j->par = p;
        push(pl, j);
    }
    par_run(p, 0);
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->done) < nparts)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    par_unref(p);
}
