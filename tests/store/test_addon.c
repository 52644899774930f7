/*
 * addon.c with the master, end to end: a real proxy on 127.0.0.1 whose
 * loop runs in a thread, the store enabled (master_enable_store()) beside
 * the intercept addon, and the test's thread typing commands as a console
 * user would. The store sees flows through the hooks, its options arrive
 * through `set`, the core commands reach flows through its resolver, and
 * their update hook shows in the store.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "../lib/tnet.h"
#include "addons/intercept.h"
#include "commands/commands.h"
#include "core/server.h"
#include "flow/flow.h"
#include "master/master.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/log.h"

#define TIMEOUT_MS 5000

struct running {
    struct master *m;
    struct store *s;
    pthread_t loop;
    int rc, port;
};

static void *
loop_main(void *arg)
{
    struct running *r = arg;
    r->rc = master_run(r->m);
    return NULL;
}

/* Work on the loop's thread, which owns the store. */
struct job {
    struct running *r;
    const char *line;
    int rc;
    long n;
    char text[256];
    struct err e;
    sem_t done;
};

static void
do_command(void *arg)
{
    struct job *j = arg;
    struct cmds_value ret = {0};
    j->rc = cmds_execute(master_commands(j->r->m), j->line, &ret, &j->e);
    j->n = ret.type == CMDS_FLOWS ? (long)ret.flows.n : ret.type == CMDS_INT ? ret.i : -1;
    snprintf(j->text, sizeof(j->text), "%s", ret.type == CMDS_STR && ret.s ? ret.s : "");
    cmds_value_clear(&ret);
    sem_post(&j->done);
}

static void
do_count(void *arg)
{
    struct job *j = arg;
    j->n = (long)store_count(j->r->s);
    j->rc = (int)store_view_len(j->r->s);
    sem_post(&j->done);
}

/* How many flows matching line the store shows as intercepted. */
static void
do_intercepted(void *arg)
{
    struct job *j = arg;
    struct cmds_flows fl = {0};
    j->n = 0;
    if (store_resolve(j->r->s, j->line, &fl, &j->e) == 0)
        for (size_t i = 0; i < fl.n; i++) {
            struct store_info info;
            if (store_info(j->r->s, fl.v[i]->id, &info) == 0 && info.intercepted)
                j->n++;
            flow_unref(fl.v[i]);
        }
    free(fl.v);
    sem_post(&j->done);
}

static struct job
on_loop(struct running *r, void (*fn)(void *), const char *line)
{
    struct job j = {.r = r, .line = line};
    sem_init(&j.done, 0, 0);
    master_post(r->m, fn, &j);
    sem_wait(&j.done);
    sem_destroy(&j.done);
    return j;
}

/* Runs a command line; returns what it returned (flows: their count). */
static long
command(struct running *r, const char *line)
{
    struct job j = on_loop(r, do_command, line);
    if (j.rc < 0)
        test_fail(__FILE__, __LINE__, "%s: %s", line, j.e.msg);
    return j.n;
}

static void
shutdown_master(void *arg)
{
    master_shutdown(arg);
}

static void
start(struct running *r)
{
    struct err e = {0};
    char confdir[128];
    snprintf(confdir, sizeof(confdir), "confdir=/tmp/mp-test-store-%d", (int)getpid());
    struct addon *icpt = addon_intercept_new();
    struct options *opts = opt_new();
    ASSERT_EQ(opt_set_arg(opts, "listen_host=127.0.0.1", &e), 0);
    ASSERT_EQ(opt_set_arg(opts, "listen_port=0", &e), 0);
    ASSERT_EQ(opt_set_arg(opts, confdir, &e), 0);
    ASSERT_EQ(opt_set_arg(opts, "intercept=~u /hold", &e), 0);
    log_set_level(LOG_ERROR);
    r->m = master_new(opts);
    master_add_addon(r->m, icpt);
    r->s = master_enable_store(r->m, &e);
    ASSERT(r->s != NULL);
    ASSERT_EQ(master_configure(r->m, &e), 0);
    ASSERT_EQ(master_listen(r->m, &e), 0);
    ASSERT(master_read_flows(r->m, NULL, NULL, &e) >= 0);
    r->port = server_listener_port(master_server(r->m), 0);
    ASSERT_EQ(pthread_create(&r->loop, NULL, loop_main, r), 0);
}

static void
stop(struct running *r)
{
    master_post(r->m, shutdown_master, r->m);
    ASSERT_EQ(pthread_join(r->loop, NULL), 0);
    ASSERT_EQ(r->rc, 0);
    master_free(r->m);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf /tmp/mp-test-store-%d", (int)getpid());
    ASSERT_EQ(system(cmd), 0);
}

static void
get(struct running *r, int oport, const char *method, const char *path)
{
    char req[256], resp[4096];
    int c = tnet_connect(r->port);
    snprintf(req, sizeof(req),
             "%s http://127.0.0.1:%d%s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", method,
             oport, path);
    tnet_send(c, req);
    ASSERT_EQ(tnet_response(c, resp, sizeof(resp), TIMEOUT_MS), 200);
    close(c);
}

TEST(store_addon_sees_flows_and_takes_options_and_commands)
{
    struct torigin *o = torigin_start();
    int oport = torigin_port(o);
    struct running r = {0};
    start(&r);

    get(&r, oport, "GET", "/a");
    get(&r, oport, "POST", "/b");
    get(&r, oport, "GET", "/c");
    struct job j = on_loop(&r, do_count, NULL);
    ASSERT_EQ(j.n, 3);
    ASSERT_EQ(j.rc, 3);
    ASSERT_EQ(command(&r, "view.properties.length"), 3);
    ASSERT_EQ(command(&r, "view.flows.resolve @all"), 3);
    ASSERT_EQ(command(&r, "view.flows.resolve ~s"), 3);

    /* Options through `set`: the filter and the order. */
    command(&r, "set view_filter '~m POST'");
    ASSERT_EQ(command(&r, "view.properties.length"), 1);
    ASSERT_EQ(command(&r, "view.flows.resolve @hidden"), 2);
    command(&r, "set view_filter");
    ASSERT_EQ(command(&r, "view.properties.length"), 3);
    command(&r, "set view_order method");
    struct job o2 = on_loop(&r, do_command, "view.order");
    ASSERT_STREQ(o2.text, "method");
    struct job bad = on_loop(&r, do_command, "set view_order nope");
    ASSERT(bad.rc < 0);

    /* A core command on a flow spec: its update hook reaches the store. */
    command(&r, "flow.mark \"~u /b\" :star:");
    ASSERT_EQ(command(&r, "view.flows.resolve @marked"), 1);
    ASSERT_EQ(command(&r, "view.flows.resolve ~marked"), 1);
    command(&r, "flow.comment \"~u /c\" hello");
    ASSERT_EQ(command(&r, "view.flows.resolve '~comment hello'"), 1);

    /* An intercepted flow shows as intercepted, then as done. */
    char req[256], resp[4096];
    int c = tnet_connect(r.port);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c, req);
    /* Held at its request, and again at its response (the filter matches both). */
    static const char *const stages[] = {"~u /hold & ~q", "~u /hold & ~s"};
    for (int k = 0; k < 2; k++) {
        long held = 0;
        for (int tries = 0; tries < 500 && held == 0; tries++) {
            held = on_loop(&r, do_intercepted, stages[k]).n;
            if (!held)
                usleep(10 * 1000);
        }
        ASSERT_EQ(held, 1);
        command(&r, "flow.resume '~u /hold'");
    }
    ASSERT_EQ(tnet_response(c, resp, sizeof(resp), TIMEOUT_MS), 200);
    close(c);
    long done = 0;
    for (int tries = 0; tries < 500 && done == 0; tries++) {
        done = command(&r, "view.flows.resolve '~u /hold & ~s'");
        if (!done)
            usleep(10 * 1000);
    }
    ASSERT_EQ(done, 1);
    /* flow.resume's update hook told the store. */
    ASSERT_EQ(on_loop(&r, do_intercepted, "~u /hold").n, 0);

    command(&r, "view.clear");
    j = on_loop(&r, do_count, NULL);
    ASSERT_EQ(j.n, 0);
    stop(&r);
    torigin_stop(o);
}
