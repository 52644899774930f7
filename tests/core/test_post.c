/*
 * server_post(): the one way into the loop from other threads. Threads post
 * while the loop runs; every call runs once, on the loop's thread, in the
 * order each thread posted; what is posted after the loop stopped runs in
 * server_free().
 */
#include <pthread.h>
#include <stdatomic.h>

#include "../lib/test.h"
#include "core/server.h"

#define THREADS 4
#define PER_THREAD 2000

struct post_test {
    struct server *srv;
    pthread_t loop_thread;
    int count;                 /* touched on the loop's thread only */
    int last_seen[THREADS];    /* per poster: the last sequence number run */
    int out_of_order;
};

struct call {
    struct post_test *t;
    int poster, seq;
};

static void
on_call(void *arg)
{
    struct call *c = arg;
    struct post_test *t = c->t;
    ASSERT(pthread_equal(pthread_self(), t->loop_thread));
    if (c->seq != t->last_seen[c->poster] + 1)
        t->out_of_order++;
    t->last_seen[c->poster] = c->seq;
    if (++t->count == THREADS * PER_THREAD)
        server_stop(t->srv);
    free(c);
}

struct poster {
    struct post_test *t;
    int id;
};

static void *
poster_main(void *arg)
{
    struct poster *p = arg;
    for (int i = 1; i <= PER_THREAD; i++) {
        struct call *c = malloc(sizeof(*c));
        *c = (struct call){p->t, p->id, i};
        server_post(p->t->srv, on_call, c);
    }
    return NULL;
}

TEST(server_post_from_threads_runs_each_once_in_order)
{
    struct post_test t = {0};
    t.srv = server_new(NULL, NULL);
    t.loop_thread = pthread_self();
    pthread_t th[THREADS];
    struct poster ps[THREADS];
    for (int i = 0; i < THREADS; i++) {
        ps[i] = (struct poster){&t, i};
        pthread_create(&th[i], NULL, poster_main, &ps[i]);
    }
    /* The loop runs here, on the test's thread, until the last call stops it. */
    ASSERT_EQ(server_run(t.srv), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    server_free(t.srv);
    ASSERT_EQ(t.count, THREADS * PER_THREAD);
    ASSERT_EQ(t.out_of_order, 0);
}

static void
count_call(void *arg)
{
    (*(int *)arg)++;
}

TEST(server_post_after_stop_runs_in_free)
{
    int n = 0;
    struct server *srv = server_new(NULL, NULL);
    server_post(srv, count_call, &n);
    server_stop(srv);
    ASSERT_EQ(server_run(srv), 0);
    ASSERT_EQ(n, 1);
    /* The loop is over; these still run, once, when the server is freed. */
    server_post(srv, count_call, &n);
    server_post(srv, count_call, &n);
    server_free(srv);
    ASSERT_EQ(n, 3);
}
