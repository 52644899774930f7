/*
 * Interception driven by commands, end to end: a real proxy on 127.0.0.1
 * whose loop runs in a thread, the intercept addon holding requests that
 * match the `intercept` option, and the test's thread typing commands as a
 * console user would (flow.set, flow.resume, flow.kill, set), posted to
 * the loop. Flow specifications are filter expressions over the flows seen
 * so far (a stand-in for the flow store's resolver), or, where the flow
 * store runs, the store's own (@focus, as the console's keys use it).
 *
 * The clients are C sockets, an HTTP/2 client made with nghttp2, and the
 * real curl binary.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/wait.h>

#include <nghttp2/nghttp2.h>

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
#include "store/store.h"
#include "util/log.h"

#define TIMEOUT_MS 5000
#define SEEN_MAX 16

/* Flows seen at requestheaders; loop thread only. */
static struct flow *seen[SEEN_MAX];
static int nseen;

/*
 * What whoever holds a waiting flow is told (loop thread only): flows in
 * update hooks that wait in interception with their client gone
 * (client_conn.timestamp_end set) and no error yet.
 */
static int updates_gone;

static enum addon_result
on_update(struct addon *a, struct hook_call *call)
{
    (void)a;
    for (size_t i = 0; i < call->data->nflows; i++) {
        const struct flow *f = call->data->flows[i];
        updates_gone +=
            f->intercepted && f->client_conn && f->client_conn->timestamp_end != 0 && !f->error;
    }
    return ADDON_CONTINUE;
}

/* STORE_UPDATE events the store's subscribers got (loop thread only). */
static int store_updates;

static void
on_store_event(void *arg, enum store_event ev, const char *id, size_t index)
{
    (void)arg;
    (void)id;
    (void)index;
    store_updates += ev == STORE_UPDATE;
}

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
    .hooks = {[HOOK_REQUESTHEADERS] = record, [HOOK_UPDATE] = on_update},
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
    struct store *s; /* NULL unless started with the store */
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
    struct store *s;
    const char *line;
    int rc;
    struct err e;
    int count; /* for "count" calls: flows matching line that are intercepted */
    char text[128];
    int gone, store_updates; /* do_updates */
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

/*
 * How many flows matching line wait with their client gone: intercepted,
 * client_conn.timestamp_end set, no error, and (with the store) shown so
 * in the store's list. text: the first one's error, if it has one.
 */
static void
do_gone(void *arg)
{
    struct command *c = arg;
    struct cmds_flows fl = {0};
    c->count = 0;
    c->text[0] = '\0';
    if (resolve(NULL, c->line, &fl, &c->e) == 0)
        for (size_t i = 0; i < fl.n; i++) {
            const struct flow *f = fl.v[i];
            struct store_info info = {.client_gone = 1};
            if (c->s)
                ASSERT_EQ(store_info(c->s, f->id, &info), 0);
            c->count += f->intercepted && f->client_conn->timestamp_end != 0 && !f->error &&
                        info.client_gone;
            if (i == 0 && f->error)
                snprintf(c->text, sizeof(c->text), "%s", f->error->msg);
            flow_unref(fl.v[i]);
        }
    free(fl.v);
    sem_post(&c->done);
}

static void
do_updates(void *arg)
{
    struct command *c = arg;
    c->gone = updates_gone;
    c->store_updates = store_updates;
    sem_post(&c->done);
}

static struct command
on_loop(struct running *r, void (*fn)(void *), const char *line)
{
    struct command c = {.m = r->m, .s = r->s, .line = line};
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
    for (int tries = 0; tries < 1000; tries++) {
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

/* How a test's proxy runs. */
struct setup {
    const char *intercept; /* the intercept option; NULL: none (set it by command) */
    const char *mode;      /* NULL: regular */
    /* 1: the flow store runs beside (a subscriber counts its updates);
     * 2: its resolver reads the flow specs too (@focus, @all). */
    int store;
};

static void
start_with(struct running *r, const struct setup *su)
{
    struct err e = {0};
    char confdir[128], setting[128], mode[128];
    snprintf(confdir, sizeof(confdir), "confdir=/tmp/mp-test-icmd-%d", (int)getpid());
    snprintf(setting, sizeof(setting), "intercept=%s", su->intercept ? su->intercept : "");
    struct addon *icpt = addon_intercept_new(); /* registers `intercept` */
    struct options *opts = opt_new();
    ASSERT_EQ(opt_set_arg(opts, "listen_host=127.0.0.1", &e), 0);
    ASSERT_EQ(opt_set_arg(opts, "listen_port=0", &e), 0);
    ASSERT_EQ(opt_set_arg(opts, confdir, &e), 0);
    ASSERT_EQ(opt_set_arg(opts, setting, &e), 0);
    if (su->mode) {
        snprintf(mode, sizeof(mode), "mode=%s", su->mode);
        ASSERT_EQ(opt_set_arg(opts, mode, &e), 0);
    }
    log_set_level(LOG_ERROR);
    updates_gone = store_updates = 0;
    r->m = master_new(opts);
    master_add_addon(r->m, icpt);
    static struct addon recorder = {.ops = &recorder_ops};
    master_add_addon(r->m, &recorder);
    if (su->store) {
        r->s = master_enable_store(r->m, &e);
        ASSERT(r->s != NULL);
        store_subscribe(r->s, on_store_event, NULL);
    }
    ASSERT_EQ(master_configure(r->m, &e), 0);
    if (su->store < 2)
        cmds_set_resolver(master_commands(r->m), resolve, NULL);
    ASSERT_EQ(master_listen(r->m, &e), 0);
    ASSERT(master_read_flows(r->m, NULL, NULL, &e) >= 0);
    r->port = server_listener_port(master_server(r->m), 0);
    ASSERT_EQ(pthread_create(&r->loop, NULL, loop_main, r), 0);
}

static void
start(struct running *r, const char *intercept)
{
    start_with(r, &(struct setup){.intercept = intercept});
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
     * then the flow ends with an error. (Its request may still reach the
     * origin: a FIN after a whole request can be a half-close.) */
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

/* ---- The client of a waiting flow goes away (issue 11). ---- */

/* Waits until n flows matching spec wait with their client gone. */
static void
wait_gone(struct running *r, const char *spec, int n)
{
    for (int tries = 0; tries < 1000; tries++) {
        if (on_loop(r, do_gone, spec).count >= n)
            return;
        usleep(10 * 1000);
    }
    test_fail(__FILE__, __LINE__, "no flow matching %s waits with its client gone", spec);
}

/* Waits until the first flow matching spec has an error; asserts its text. */
static void
wait_error(struct running *r, const char *spec, const char *msg)
{
    struct command c;
    for (int tries = 0; tries < 1000; tries++) {
        c = on_loop(r, do_gone, spec);
        if (c.text[0])
            break;
        usleep(10 * 1000);
    }
    ASSERT_STREQ(c.text, msg);
}

/*
 * A client that gives up while its flow waits: whoever holds the flow (an
 * addon's update hook, the store's subscribers and its list) is told at
 * once, while the flow still waits in its place. Resumed, it ends with
 * "Client disconnected."; killed, as killed, and never reaches the origin.
 */
TEST(intercept_commands_client_gone_while_waiting_is_an_update)
{
    struct torigin *o = torigin_start();
    int oport = torigin_port(o);
    struct running r = {0};
    start_with(&r, &(struct setup){.intercept = "~u /hold/", .store = 1});

    char req[256];
    int c1 = tnet_connect(r.port);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold/1 HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c1, req);
    wait_intercepted(&r, "~u /hold/1", 1);
    struct command u0 = on_loop(&r, do_updates, NULL);
    ASSERT_EQ(u0.gone, 0);
    ASSERT_EQ(on_loop(&r, do_gone, "~u /hold/1").count, 0);

    /* Nobody resumes anything: the client's FIN alone makes the update. */
    close(c1);
    wait_gone(&r, "~u /hold/1", 1);
    struct command u1 = on_loop(&r, do_updates, NULL);
    ASSERT_EQ(u1.gone, 1);
    ASSERT(u1.store_updates > u0.store_updates);
    ASSERT_EQ(on_loop(&r, do_count, "~u /hold/1").count, 1);
    /* It keeps waiting: nothing more happens to it until a command says so. */
    usleep(100 * 1000);
    ASSERT_EQ(on_loop(&r, do_gone, "~u /hold/1").count, 1);
    ASSERT_EQ(on_loop(&r, do_updates, NULL).gone, 1);

    command(&r, "flow.resume \"~u /hold/1\"");
    wait_error(&r, "~u /hold/1", "Client disconnected.");
    ASSERT_EQ(on_loop(&r, do_count, "~u /hold/1").count, 0);

    /* The same, killed: nothing reaches the origin. */
    int before = torigin_requests(o);
    int c2 = tnet_connect(r.port);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold/2 HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c2, req);
    wait_intercepted(&r, "~u /hold/2", 1);
    close(c2);
    wait_gone(&r, "~u /hold/2", 1);
    ASSERT_EQ(on_loop(&r, do_updates, NULL).gone, 2);
    command(&r, "flow.kill \"~u /hold/2\"");
    wait_error(&r, "~u /hold/2", "Connection killed.");
    usleep(100 * 1000);
    ASSERT_EQ(torigin_requests(o), before);

    /* A reset rather than a FIN: the same. */
    int c3 = tnet_connect(r.port);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold/3 HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c3, req);
    wait_intercepted(&r, "~u /hold/3", 1);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    ASSERT_EQ(setsockopt(c3, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    close(c3);
    wait_gone(&r, "~u /hold/3", 1);
    ASSERT_EQ(on_loop(&r, do_updates, NULL).gone, 3);
    command(&r, "flow.resume \"~u /hold/3\"");
    wait_error(&r, "~u /hold/3", "Client disconnected.");

    stop(&r);
    torigin_stop(o);
}

/* The end of the HTTP/1 response at p (Content-Length body), or NULL if incomplete. */
static const char *
response_end(const char *p)
{
    const char *end = strstr(p, "\r\n\r\n");
    if (end == NULL)
        return NULL;
    const char *cl = strcasestr(p, "\r\ncontent-length:");
    size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
    if (strlen(end + 4) < body)
        return NULL;
    return end + 4 + body;
}

/* Reads n pipelined responses (small, whole) into out; how many came whole. */
static int
read_responses(int fd, char *out, size_t outlen, int n)
{
    size_t len = 0;
    out[0] = '\0';
    for (;;) {
        int whole = 0;
        for (const char *p = out; whole < n && (p = response_end(p)) != NULL;)
            whole++;
        if (whole == n || len + 1 >= outlen || tnet_quiet(fd, TIMEOUT_MS))
            return whole;
        ssize_t r = recv(fd, out + len, outlen - len - 1, 0);
        if (r <= 0)
            return whole;
        len += (size_t)r;
        out[len] = '\0';
    }
}

/*
 * What a client sends while its flow waits is kept for when it goes on:
 * a pipelined request, its body larger than the watch's stash (the rest
 * waits in the socket), reaches the origin whole after the first.
 */
TEST(intercept_commands_waiting_client_keeps_its_bytes)
{
    struct torigin *o = torigin_start();
    int oport = torigin_port(o);
    struct running r = {0};
    start(&r, "~q & ~u /hold/"); /* requests only: its response goes through */

    char req[256], resp[4096];
    int c = tnet_connect(r.port);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold/1 HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c, req);
    wait_intercepted(&r, "~u /hold/1", 1);

    size_t bodylen = 100 * 1024;
    char *second = malloc(bodylen + 256);
    int n = snprintf(second, 256,
                     "POST http://127.0.0.1:%d/next HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     oport, bodylen);
    memset(second + n, 'b', bodylen);
    second[n + bodylen] = '\0';
    tnet_send(c, second);
    free(second);
    usleep(100 * 1000);
    ASSERT(tnet_quiet(c, 50));
    ASSERT_EQ(torigin_requests(o), 0);
    ASSERT_EQ(on_loop(&r, do_count, "~u /hold/1").count, 1);
    ASSERT_EQ(on_loop(&r, do_updates, NULL).gone, 0);

    command(&r, "flow.resume \"~u /hold/1\"");
    ASSERT_EQ(read_responses(c, resp, sizeof(resp), 2), 2);
    const char *first = strstr(resp, "GET /hold/1 HTTP/1.1");
    const char *then = strstr(resp, "POST /next HTTP/1.1");
    ASSERT(first != NULL && then != NULL && first < then);
    ASSERT(strncmp(response_end(resp), "HTTP/1.1 200 ", 13) == 0);
    ASSERT_EQ(torigin_requests(o), 2);
    ASSERT_EQ(on_loop(&r, do_updates, NULL).gone, 0);

    close(c);
    stop(&r);
    torigin_stop(o);
}

/* Sends what an nghttp2 client session has to send. */
static void
h2_flush(nghttp2_session *s, int fd)
{
    const uint8_t *p;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(s, &p)) > 0)
        ASSERT_EQ(send(fd, p, (size_t)n, MSG_NOSIGNAL), n);
}

/*
 * HTTP/2 (cleartext, prior knowledge, reverse mode): one stream waits, the
 * connection goes on being read; when the client's whole connection goes,
 * the waiting stream's holders are told, and it ends with an error once
 * resumed.
 */
TEST(intercept_commands_http2_client_gone_while_a_stream_waits)
{
    struct torigin *o = torigin_start();
    char mode[64], authority[32];
    snprintf(authority, sizeof(authority), "127.0.0.1:%d", torigin_port(o));
    snprintf(mode, sizeof(mode), "reverse:http://%s", authority);
    struct running r = {0};
    start_with(&r, &(struct setup){.intercept = "~u /hold", .mode = mode, .store = 1});

    int c = tnet_connect(r.port);
    nghttp2_session_callbacks *cb;
    nghttp2_session *s;
    ASSERT_EQ(nghttp2_session_callbacks_new(&cb), 0);
    ASSERT_EQ(nghttp2_session_client_new(&s, cb, NULL), 0);
    nghttp2_session_callbacks_del(cb);
    ASSERT_EQ(nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0), 0);
    nghttp2_nv nv[] = {
        {(uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0},
        {(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0},
        {(uint8_t *)":authority", (uint8_t *)authority, 10, strlen(authority), 0},
        {(uint8_t *)":path", (uint8_t *)"/hold/h2", 5, 8, 0},
    };
    ASSERT(nghttp2_submit_request(s, NULL, nv, 4, NULL, NULL) > 0);
    h2_flush(s, c);
    wait_intercepted(&r, "~u /hold/h2", 1);
    ASSERT_EQ(on_loop(&r, do_updates, NULL).gone, 0);

    /* A FIN (close() could reset: the proxy's SETTINGS were never read). */
    ASSERT_EQ(shutdown(c, SHUT_WR), 0);
    wait_gone(&r, "~u /hold/h2", 1);
    ASSERT_EQ(on_loop(&r, do_updates, NULL).gone, 1);
    ASSERT_EQ(on_loop(&r, do_count, "~u /hold/h2").count, 1);

    command(&r, "flow.resume \"~u /hold/h2\"");
    wait_error(&r, "~u /hold/h2", "Client disconnected.");
    close(c);
    nghttp2_session_del(s);

    /* A client that breaks the protocol: the proxy closes its connection
     * (GOAWAY), and the waiting stream's holders are told the same. */
    c = tnet_connect(r.port);
    ASSERT_EQ(nghttp2_session_callbacks_new(&cb), 0);
    ASSERT_EQ(nghttp2_session_client_new(&s, cb, NULL), 0);
    nghttp2_session_callbacks_del(cb);
    ASSERT_EQ(nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0), 0);
    nv[3].value = (uint8_t *)"/hold/bad";
    nv[3].valuelen = 9;
    ASSERT(nghttp2_submit_request(s, NULL, nv, 4, NULL, NULL) > 0);
    h2_flush(s, c);
    wait_intercepted(&r, "~u /hold/bad", 1);
    /* DATA on stream 0: a connection error (RFC 9113 6.1). */
    ASSERT_EQ(send(c, "\0\0\0\0\0\0\0\0\0", 9, MSG_NOSIGNAL), 9);
    wait_gone(&r, "~u /hold/bad", 1);
    ASSERT_EQ(on_loop(&r, do_updates, NULL).gone, 2);
    command(&r, "flow.kill \"~u /hold/bad\"");
    wait_error(&r, "~u /hold/bad", "Connection killed.");
    close(c);
    nghttp2_session_del(s);

    stop(&r);
    torigin_stop(o);
}

/* ---- The real curl, driven by what a console user types (issue 12). ---- */

/* A curl running in the background; what it prints goes to two files. */
struct curl {
    pid_t pid;
    char out[64]; /* the files' paths */
    char err[64];
};

static int
temp_file(char *path, size_t len, const char *what)
{
    snprintf(path, len, "/tmp/mp-test-curl-%s-XXXXXX", what);
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    return fd;
}

/*
 * Starts `curl -sS -i URL` through the proxy on port, bounded by
 * --max-time (the proxy from the environment and NO_PROXY are ignored).
 * curl is part of the test dependencies (scripts/deps.sh test); without
 * it the test fails and says so.
 */
static void
curl_start(struct curl *c, int port, const char *url)
{
    char proxy[64];
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", port);
    int out = temp_file(c->out, sizeof(c->out), "out"),
        err = temp_file(c->err, sizeof(c->err), "err");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, err, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    char *argv[] = {"curl", "-sS",     "-i",  "--max-time", "30", "--noproxy",
                    "",     "--proxy", proxy, (char *)url,  NULL};
    extern char **environ;
    int rc = posix_spawnp(&c->pid, "curl", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out);
    close(err);
    if (rc != 0) {
        unlink(c->out);
        unlink(c->err);
    }
    if (rc == ENOENT)
        test_fail(__FILE__, __LINE__, "curl is not installed (scripts/deps.sh test installs it)");
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "cannot run curl: %s", strerror(rc));
}

static void
slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    ASSERT(f != NULL);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(path);
}

/* Waits for curl (at most 40 s, beyond its own --max-time); its exit
 * status, with what it printed on stdout and stderr. */
static int
curl_wait(struct curl *c, char *out, size_t outlen, char *err, size_t errlen)
{
    int status = 0;
    for (int tries = 0; waitpid(c->pid, &status, WNOHANG) != c->pid; tries++) {
        if (tries == 4000) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &status, 0);
            test_fail(__FILE__, __LINE__, "curl did not finish");
        }
        usleep(10 * 1000);
    }
    slurp(c->out, out, outlen);
    slurp(c->err, err, errlen);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Whether curl is still running. */
static int
curl_running(struct curl *c)
{
    int status;
    return waitpid(c->pid, &status, WNOHANG) == 0;
}

static void
start_for_curl(struct running *r)
{
    /* The store resolves @focus, which follows the newest flow. */
    start_with(r, &(struct setup){.store = 2});
    command(r, "set console_focus_follow true");
}

/*
 * A request is held, edited and let go; then interception is turned off
 * and the next goes straight through. curl prints what the origin
 * answered, which is the request it got.
 */
TEST(intercept_commands_curl_request_edited_and_resumed)
{
    struct torigin *o = torigin_start();
    int oport = torigin_port(o);
    struct running r = {0};
    start_for_curl(&r);
    command(&r, "set intercept ~q");

    char url[128], out[8192], err[1024];
    struct curl c;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/original?x=1", oport);
    curl_start(&c, r.port, url);
    wait_intercepted(&r, "~u /original", 1);
    ASSERT(curl_running(&c));
    ASSERT_EQ(torigin_requests(o), 0);
    command(&r, "flow.set @focus path /edited");
    command(&r, "flow.set @focus method PUT");
    usleep(50 * 1000);
    ASSERT(curl_running(&c));
    command(&r, "flow.resume @focus");
    ASSERT_EQ(curl_wait(&c, out, sizeof(out), err, sizeof(err)), 0);
    ASSERT(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
    ASSERT(strstr(out, "\r\n\r\nPUT /edited HTTP/1.1\r\n") != NULL);
    ASSERT(strstr(out, "/original") == NULL);
    ASSERT_STREQ(err, "");
    ASSERT_EQ(torigin_requests(o), 1);

    command(&r, "set intercept_active false");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/free", oport);
    curl_start(&c, r.port, url);
    ASSERT_EQ(curl_wait(&c, out, sizeof(out), err, sizeof(err)), 0);
    ASSERT(strstr(out, "\r\n\r\nGET /free HTTP/1.1\r\n") != NULL);
    ASSERT_EQ(torigin_requests(o), 2);
    ASSERT_EQ(on_loop(&r, do_count, "~u /free").count, 0);

    stop(&r);
    torigin_stop(o);
}

/* A held request killed: curl gets no answer and fails; the origin never
 * sees it. */
TEST(intercept_commands_curl_request_killed)
{
    struct torigin *o = torigin_start();
    int oport = torigin_port(o);
    struct running r = {0};
    start_for_curl(&r);
    command(&r, "set intercept ~q");

    char url[128], out[8192], err[1024];
    struct curl c;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/doomed", oport);
    curl_start(&c, r.port, url);
    wait_intercepted(&r, "~u /doomed", 1);
    command(&r, "flow.kill @focus");
    /* curl's CURLE_GOT_NOTHING: the proxy closed the connection. */
    ASSERT_EQ(curl_wait(&c, out, sizeof(out), err, sizeof(err)), 52);
    ASSERT_STREQ(out, "");
    ASSERT(strstr(err, "curl: (52) Empty reply from server") != NULL);
    usleep(100 * 1000);
    ASSERT_EQ(torigin_requests(o), 0);
    ASSERT_EQ(on_loop(&r, do_errors, "~u /doomed").count, 1);

    stop(&r);
    torigin_stop(o);
}

/* A response held (~s) after the origin answered, edited before curl sees it. */
TEST(intercept_commands_curl_response_edited)
{
    struct torigin *o = torigin_start();
    int oport = torigin_port(o);
    struct running r = {0};
    start_for_curl(&r);
    command(&r, "set intercept ~s");

    char url[128], out[8192], err[1024];
    struct curl c;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/answer", oport);
    curl_start(&c, r.port, url);
    wait_intercepted(&r, "~u /answer", 1);
    ASSERT_EQ(torigin_requests(o), 1);
    ASSERT(curl_running(&c));
    command(&r, "flow.set @focus status_code 203");
    command(&r, "flow.set @focus reason \"Edited by hand\"");
    command(&r, "flow.resume @focus");
    ASSERT_EQ(curl_wait(&c, out, sizeof(out), err, sizeof(err)), 0);
    ASSERT(strncmp(out, "HTTP/1.1 203 Edited by hand\r\n", 29) == 0);
    ASSERT(strstr(out, "\r\n\r\nGET /answer HTTP/1.1\r\n") != NULL);
    ASSERT_STREQ(err, "");
    ASSERT_EQ(torigin_requests(o), 1);

    stop(&r);
    torigin_stop(o);
}
