/*
 * Interception driven by commands, end to end: a real proxy on 127.0.0.1
 * whose loop runs in a thread, the intercept addon holding requests that
 * match the `intercept` option, and the test's thread typing commands as a
 * console user would (flow.set, flow.resume, flow.kill, set), posted to
 * the loop. Flow specifications are filter expressions over the flows seen
 * so far (a stand-in for the flow store's resolver).
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "../lib/test.h"
#include "../lib/tnet.h"
#include "addons/addon.h"
#include "addons/intercept.h"
#include "commands/commands.h"
#include "core/server.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "master/master.h"
#include "options/opt.h"
#include "util/log.h"

#define TIMEOUT_MS 5000
#define SEEN_MAX 16

/* Flows seen at requestheaders; loop thread only. */
static struct flow *seen[SEEN_MAX];
static int nseen;

static enum addon_result
record(struct addon *a, struct hook_call *call)
{
    (void)a;
    if (nseen < SEEN_MAX)
        seen[nseen++] = flow_ref(call->data->flow);
    return ADDON_CONTINUE;
}

static const struct addon_ops recorder_ops = {
    .name = "recorder",
    .hooks = {[HOOK_REQUESTHEADERS] = record},
};

/* mitmproxy's view.flows.resolve for a filter expression. */
static int
resolve(void *arg, const char *spec, struct cmds_flows *out, struct err *e)
{
    (void)arg;
    struct filt *f = filt_compile(spec, e);
    if (f == NULL)
        return MP_ERR_SYNTAX;
    out->v = calloc(SEEN_MAX, sizeof(*out->v));
    out->n = 0;
    for (int i = 0; i < nseen; i++)
        if (filt_match(f, seen[i]))
            out->v[out->n++] = flow_ref(seen[i]);
    filt_free(f);
    return 0;
}

struct running {
    struct master *m;
    pthread_t loop;
    int rc;
    int port;
};

static void *
loop_main(void *arg)
{
    struct running *r = arg;
    r->rc = master_run(r->m);
    return NULL;
}

/* A command line run on the loop, as the console's prompt runs it. */
struct command {
    struct master *m;
    const char *line;
    int rc;
    struct err e;
    int count; /* for "count" calls: flows matching line that are intercepted */
    sem_t done;
};

static void
do_command(void *arg)
{
    struct command *c = arg;
    c->rc = cmds_execute(master_commands(c->m), c->line, NULL, &c->e);
    sem_post(&c->done);
}

static void
do_count(void *arg)
{
    struct command *c = arg;
    struct cmds_flows fl = {0};
    c->count = 0;
    if (resolve(NULL, c->line, &fl, &c->e) == 0)
        for (size_t i = 0; i < fl.n; i++) {
            c->count += fl.v[i]->intercepted;
            flow_unref(fl.v[i]);
        }
    free(fl.v);
    sem_post(&c->done);
}

/* How many flows matching line have an error. */
static void
do_errors(void *arg)
{
    struct command *c = arg;
    struct cmds_flows fl = {0};
    c->count = 0;
    if (resolve(NULL, c->line, &fl, &c->e) == 0)
        for (size_t i = 0; i < fl.n; i++) {
            c->count += fl.v[i]->error != NULL;
            flow_unref(fl.v[i]);
        }
    free(fl.v);
    sem_post(&c->done);
}

static struct command
on_loop(struct running *r, void (*fn)(void *), const char *line)
{
    struct command c = {.m = r->m, .line = line};
    sem_init(&c.done, 0, 0);
    master_post(r->m, fn, &c);
    sem_wait(&c.done);
    sem_destroy(&c.done);
    return c;
}

static void
command(struct running *r, const char *line)
{
    struct command c = on_loop(r, do_command, line);
    if (c.rc < 0)
        test_fail(__FILE__, __LINE__, "%s: %s", line, c.e.msg);
}

static void
wait_intercepted(struct running *r, const char *spec, int n)
{
    for (int tries = 0; tries < 500; tries++) {
        if (on_loop(r, do_count, spec).count >= n)
            return;
        usleep(10 * 1000);
    }
    test_fail(__FILE__, __LINE__, "no intercepted flow matches %s", spec);
}

static void
drop_seen(void *arg)
{
    struct command *c = arg;
    for (int i = 0; i < nseen; i++)
        flow_unref(seen[i]);
    nseen = 0;
    sem_post(&c->done);
}

static void
shutdown_master(void *arg)
{
    master_shutdown(arg);
}

static void
start(struct running *r, const char *intercept)
{
    struct err e = {0};
    char confdir[128], setting[128];
    snprintf(confdir, sizeof(confdir), "confdir=/tmp/mp-test-icmd-%d", (int)getpid());
    snprintf(setting, sizeof(setting), "intercept=%s", intercept);
    struct addon *icpt = addon_intercept_new(); /* registers `intercept` */
    struct options *opts = opt_new();
    ASSERT_EQ(opt_set_arg(opts, "listen_host=127.0.0.1", &e), 0);
    ASSERT_EQ(opt_set_arg(opts, "listen_port=0", &e), 0);
    ASSERT_EQ(opt_set_arg(opts, confdir, &e), 0);
    ASSERT_EQ(opt_set_arg(opts, setting, &e), 0);
    log_set_level(LOG_ERROR);
    r->m = master_new(opts);
    master_add_addon(r->m, icpt);
    static struct addon recorder = {.ops = &recorder_ops};
    master_add_addon(r->m, &recorder);
    ASSERT_EQ(master_configure(r->m, &e), 0);
    cmds_set_resolver(master_commands(r->m), resolve, NULL);
    ASSERT_EQ(master_listen(r->m, &e), 0);
    ASSERT(master_read_flows(r->m, NULL, NULL, &e) >= 0);
    r->port = server_listener_port(master_server(r->m), 0);
    ASSERT_EQ(pthread_create(&r->loop, NULL, loop_main, r), 0);
}

static void
stop(struct running *r)
{
    on_loop(r, drop_seen, NULL);
    master_post(r->m, shutdown_master, r->m);
    ASSERT_EQ(pthread_join(r->loop, NULL), 0);
    ASSERT_EQ(r->rc, 0);
    master_free(r->m);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf /tmp/mp-test-icmd-%d", (int)getpid());
    ASSERT_EQ(system(cmd), 0);
}

TEST(intercept_commands_edit_resume_and_kill_real_requests)
{
    struct torigin *o = torigin_start();
    int oport = torigin_port(o);
    struct running r = {0};
    start(&r, "~u /hold/");

    char req[256], resp[4096];
    int c1 = tnet_connect(r.port), c2 = tnet_connect(r.port), c3 = tnet_connect(r.port);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold/1 HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c1, req);
    wait_intercepted(&r, "~u /hold/1", 1);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold/2 HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c2, req);
    wait_intercepted(&r, "~u /hold/2", 1);
    ASSERT(tnet_quiet(c1, 100));
    ASSERT_EQ(torigin_requests(o), 0);

    /* Edited while it waits, then resumed: the origin gets the edit. */
    command(&r, "flow.set \"~u /hold/1\" path /edited/1");
    command(&r, "flow.set \"~u /edited/1\" method PUT");
    ASSERT(tnet_quiet(c1, 50));
    command(&r, "flow.resume \"~u /edited/1\"");
    ASSERT_EQ(tnet_response(c1, resp, sizeof(resp), TIMEOUT_MS), 200);
    ASSERT(strstr(resp, "PUT /edited/1 HTTP/1.1") != NULL);

    /* Killed while it waits: nothing reaches the origin, the client is dropped. */
    command(&r, "flow.kill \"~u /hold/2\"");
    ASSERT_EQ(tnet_response(c2, resp, sizeof(resp), TIMEOUT_MS), -1);
    ASSERT_EQ(torigin_requests(o), 1);

    /* `set` turns interception off while serving: the next one goes through. */
    command(&r, "set intercept_active false");
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold/3 HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c3, req);
    ASSERT_EQ(tnet_response(c3, resp, sizeof(resp), TIMEOUT_MS), 200);
    ASSERT_EQ(torigin_requests(o), 2);

    /* A client that gives up leaves its flow in place until it is resumed;
     * then the flow ends with an error and the origin never sees it. */
    command(&r, "set intercept_active true");
    int c4 = tnet_connect(r.port);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold/4 HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c4, req);
    wait_intercepted(&r, "~u /hold/4", 1);
    close(c4);
    usleep(200 * 1000);
    ASSERT_EQ(on_loop(&r, do_count, "~u /hold/4").count, 1);
    command(&r, "flow.resume \"~u /hold/4\"");
    for (int tries = 0; tries < 200 && on_loop(&r, do_errors, "~u /hold/4").count == 0; tries++)
        usleep(10 * 1000);
    ASSERT_EQ(on_loop(&r, do_errors, "~u /hold/4").count, 1);
    ASSERT_EQ(torigin_requests(o), 2);

    close(c1);
    close(c2);
    close(c3);
    stop(&r);
    torigin_stop(o);
}

/* Reads a response head (no body: a 101) into out; its status, or -1. */
static int
read_head(int fd, char *out, size_t outlen)
{
    size_t n = 0;
    while (n + 1 < outlen) {
        if (tnet_quiet(fd, TIMEOUT_MS) || recv(fd, out + n, 1, 0) != 1)
            return -1;
        out[++n] = '\0';
        if (n >= 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0)
            return atoi(out + 9);
    }
    return -1;
}

/* Beyond mitmproxy (#5432): a WebSocket message that matches waits too. */
TEST(intercept_commands_hold_a_websocket_message)
{
    struct torigin *o = torigin_start();
    int oport = torigin_port(o);
    struct running r = {0};
    start(&r, "~websocket & ~b secret");

    char req[512], msg[256];
    int c = tnet_connect(r.port);
    snprintf(req, sizeof(req),
             "GET http://127.0.0.1:%d/ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
             oport, oport);
    tnet_send(c, req);
    ASSERT_EQ(read_head(c, req, sizeof(req)), 101);
    tnet_ws_send(c, "hello");
    ASSERT_EQ(tnet_ws_recv(c, msg, sizeof(msg), TIMEOUT_MS), 5);
    ASSERT_STREQ(msg, "hello");

    /* Held on its way to the server until resumed; its echo matches the
     * filter too, so it is held on the way back as well. */
    tnet_ws_send(c, "secret 1");
    wait_intercepted(&r, "~websocket", 1);
    ASSERT(tnet_quiet(c, 100));
    int got = -1;
    for (int tries = 0; tries < 50 && got < 0; tries++) {
        command(&r, "flow.resume ~websocket");
        got = tnet_ws_recv(c, msg, sizeof(msg), 100);
    }
    ASSERT_EQ(got, 8);
    ASSERT_STREQ(msg, "secret 1");

    /* Killed while a message waits: the connection ends, the message is lost. */
    tnet_ws_send(c, "secret 2");
    wait_intercepted(&r, "~websocket", 1);
    command(&r, "flow.kill ~websocket");
    ASSERT_EQ(tnet_ws_recv(c, msg, sizeof(msg), TIMEOUT_MS), -1);

    close(c);
    stop(&r);
    torigin_stop(o);
}
