/*
 * server_queue_work(): CPU work on libuv's thread pool, its result handed
 * back on the loop's thread. The work runs on another thread; after runs on
 * the loop's, once per job, also for jobs still running when the server
 * stops (server_free() waits for them).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "../lib/test.h"
#include "core/server.h"

#define JOBS 64

struct work_test {
    struct server *srv;
    pthread_t loop_thread;
    atomic_int on_loop; /* work() calls that ran on the loop's thread (must stay 0) */
    int done;           /* after() calls; touched on the loop's thread only */
    int stop_at;        /* server_stop() once done reaches it (0: never) */
};

struct job {
    struct work_test *t;
    long in, out;
};

static void
work(void *arg)
{
    struct job *j = arg;
    if (pthread_equal(pthread_self(), j->t->loop_thread))
        atomic_fetch_add(&j->t->on_loop, 1);
    j->out = j->in * j->in;
}

static void
after(void *arg)
{
    struct job *j = arg;
    struct work_test *t = j->t;
    ASSERT(pthread_equal(pthread_self(), t->loop_thread));
    ASSERT_EQ(j->out, j->in * j->in);
    if (++t->done == t->stop_at)
        server_stop(t->srv);
    free(j);
}

static void
queue(struct work_test *t, long in)
{
    struct job *j = malloc(sizeof(*j));
    *j = (struct job){t, in, -1};
    server_queue_work(t->srv, work, after, j);
}

/* Posted from the loop (any callback of it will do), it queues the jobs. */
static void
start_jobs(void *arg)
{
    struct work_test *t = arg;
    for (long i = 0; i < JOBS; i++)
        queue(t, i);
}

TEST(server_queue_work_runs_off_the_loop_and_back)
{
    struct work_test t = {.stop_at = JOBS};
    t.srv = server_new(NULL, NULL);
    t.loop_thread = pthread_self();
    server_post(t.srv, start_jobs, &t);
    ASSERT_EQ(server_run(t.srv), 0);
    server_free(t.srv);
    ASSERT_EQ(t.done, JOBS);
    ASSERT_EQ(atomic_load(&t.on_loop), 0);
}

TEST(server_queue_work_finishes_in_free)
{
    struct work_test t = {0};
    t.srv = server_new(NULL, NULL);
    t.loop_thread = pthread_self();
    server_post(t.srv, start_jobs, &t);
    server_stop(t.srv);
    ASSERT_EQ(server_run(t.srv), 0);
    /* Whatever is still queued or running completes here, after() included. */
    server_free(t.srv);
    ASSERT_EQ(t.done, JOBS);
}
