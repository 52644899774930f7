/*
 * The master end to end: a real server on 127.0.0.1:0 whose loop runs in a
 * thread, options changed while it serves (through master_post, the way a
 * UI thread reaches the loop), and clients on the test's thread.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../lib/test.h"
#include "../lib/tnet.h"
#include "addons/addon.h"
#include "addons/intercept.h"
#include "commands/commands.h"
#include "core/server.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "master/internal.h"
#include "master/master.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/log.h"
#include "../store/tstore.h"

#define TIMEOUT_MS 5000

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

static void
start(struct running *r, const char *const *settings)
{
    struct err e = {0};
    char confdir[128];
    snprintf(confdir, sizeof(confdir), "confdir=/tmp/mp-test-master-%d", (int)getpid());
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "listen_host=127.0.0.1", &e), 0);
    ASSERT_EQ(opt_set_arg(o, "listen_port=0", &e), 0);
    ASSERT_EQ(opt_set_arg(o, confdir, &e), 0);
    for (; settings && *settings; settings++)
        ASSERT_EQ(opt_set_arg(o, *settings, &e), 0);
    log_set_level(LOG_ERROR);
    r->m = master_new(o);
    if (master_configure(r->m, &e) < 0 || master_listen(r->m, &e) < 0 ||
        master_read_flows(r->m, NULL, NULL, &e) < 0)
        test_fail(__FILE__, __LINE__, "start: %s", e.msg);
    r->port = server_listener_port(master_server(r->m), 0);
    ASSERT(r->port > 0);
    ASSERT_EQ(pthread_create(&r->loop, NULL, loop_main, r), 0);
}

/* A `set` from another thread: posted to the loop, waited for. */
struct set_call {
    struct master *m;
    const char *setting;
    int rc;
    struct err e;
    sem_t done;
};

static void
do_set(void *arg)
{
    struct set_call *c = arg;
    c->rc = master_set(c->m, &c->setting, 1, &c->e);
    sem_post(&c->done);
}

static int
set(struct running *r, const char *setting, struct err *e)
{
    struct set_call c = {.m = r->m, .setting = setting};
    sem_init(&c.done, 0, 0);
    master_post(r->m, do_set, &c);
    sem_wait(&c.done);
    sem_destroy(&c.done);
    if (e)
        *e = c.e;
    return c.rc;
}

static void
do_shutdown(void *arg)
{
    master_shutdown(arg);
}

static void
stop(struct running *r)
{
    master_post(r->m, do_shutdown, r->m);
    ASSERT_EQ(pthread_join(r->loop, NULL), 0);
    ASSERT_EQ(r->rc, 0);
    master_free(r->m);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf /tmp/mp-test-master-%d", (int)getpid());
    ASSERT_EQ(system(cmd), 0);
}

/* Sends a GET carrying If-None-Match on fd; returns whether the origin saw it. */
static int
origin_saw_etag(int fd, int oport, int absolute)
{
    char req[512], resp[8192];
    snprintf(req, sizeof(req),
             "GET %s%d/x HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nIf-None-Match: \"v1\"\r\n\r\n",
             absolute ? "http://127.0.0.1:" : "/", absolute ? oport : 0, oport);
    if (!absolute)
        snprintf(req, sizeof(req),
                 "GET /x HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nIf-None-Match: \"v1\"\r\n\r\n", oport);
    tnet_send(fd, req);
    ASSERT_EQ(tnet_response(fd, resp, sizeof(resp), TIMEOUT_MS), 200);
    return strstr(resp, "If-None-Match") != NULL;
}

/* A CONNECT tunnel to the origin through the proxy. */
static int
tunnel(int pport, int oport)
{
    char req[256], resp[1024];
    int fd = tnet_connect(pport);
    snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
             oport, oport);
    tnet_send(fd, req);
    ASSERT_EQ(tnet_response(fd, resp, sizeof(resp), TIMEOUT_MS), 200);
    return fd;
}

TEST(master_set_while_serving_new_connections_follow)
{
    struct torigin *o = torigin_start();
    int oport = torigin_port(o);
    struct running r;
    start(&r, NULL);

    int a = tnet_connect(r.port);
    ASSERT(origin_saw_etag(a, oport, 1));

    /* anticache on: an addon option, so every flow from now on, old
     * connections included, loses its cache validators. */
    ASSERT_EQ(set(&r, "anticache=true", NULL), 0);
    ASSERT(!origin_saw_etag(a, oport, 1));
    int b = tnet_connect(r.port);
    ASSERT(!origin_saw_etag(b, oport, 1));

    /* A tunnel opened before ignore_hosts is set keeps the configuration
     * it started with: its HTTP is still intercepted (and anticache'd). */
    int t1 = tunnel(r.port, oport);
    ASSERT_EQ(set(&r, "ignore_hosts=^127\\.0\\.0\\.1:", NULL), 0);
    ASSERT(!origin_saw_etag(t1, oport, 0));
    /* A new tunnel is passed through untouched: the header arrives. */
    int t2 = tunnel(r.port, oport);
    ASSERT(origin_saw_etag(t2, oport, 0));

    /* A value the proxy configuration refuses changes nothing. */
    struct err e = {0};
    ASSERT(set(&r, "allow_hosts=example", &e) < 0);
    ASSERT(strstr(e.msg, "mutually exclusive") != NULL);
    ASSERT_EQ(master_options(r.m)->allow_hosts.n, 0);
    /* So does one an addon refuses; the others are rolled back. */
    ASSERT(set(&r, "modify_body=/~zz/a/b", &e) < 0);
    ASSERT(strstr(e.msg, "modify_body") != NULL);
    ASSERT_EQ(master_options(r.m)->modify_body.n, 0);
    int t3 = tunnel(r.port, oport);
    ASSERT(origin_saw_etag(t3, oport, 0));
    ASSERT(!origin_saw_etag(b, oport, 1));

    close(a);
    close(b);
    close(t1);
    close(t2);
    close(t3);
    stop(&r);
    torigin_stop(o);
}

/* A port nobody listens on right now. */
static int
free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ASSERT_EQ(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    return ntohs(a.sin_port);
}

TEST(master_set_listen_port_reopens_the_listener)
{
    struct running r;
    start(&r, NULL);
    int old = r.port;
    ASSERT_EQ(set(&r, "listen_port=0", NULL), 0); /* unchanged: nothing happens */
    ASSERT_EQ(server_listener_port(master_server(r.m), 0), old);
    int port = free_port();
    char setting[64];
    snprintf(setting, sizeof(setting), "listen_port=%d", port);
    ASSERT_EQ(set(&r, setting, NULL), 0);
    /* The set ran on the loop and returned: its result is visible here. */
    ASSERT_EQ(server_listener_port(master_server(r.m), 0), port);
    close(tnet_connect(port));
    stop(&r);
}

/* ---- Interception: held flows, resumed and killed from another thread. ---- */

#define HELD_MAX 4

/* Touched on the loop's thread only (the test reads them through posts). */
static struct flow *held[HELD_MAX];
static int nheld;

static enum addon_result
intercept_hold(struct addon *a, struct hook_call *call)
{
    (void)a;
    struct flow *f = call->data->flow;
    if (f && f->request && strncmp(f->request->path, "/hold/", 6) == 0 && nheld < HELD_MAX) {
        flow_intercept(f);
        held[nheld++] = flow_ref(f);
    }
    return ADDON_CONTINUE;
}

static const struct addon_ops intercept_ops = {
    .name = "test_intercept",
    .hooks = {[HOOK_REQUEST] = intercept_hold},
};

struct loop_call {
    void (*fn)(void *);
    void *arg;
    sem_t done;
};

static void
run_and_signal(void *arg)
{
    struct loop_call *c = arg;
    c->fn(c->arg);
    sem_post(&c->done);
}

/* Runs fn(arg) on the loop through master_post and waits for it. */
static void
on_loop(struct running *r, void (*fn)(void *), void *arg)
{
    struct loop_call c = {.fn = fn, .arg = arg};
    sem_init(&c.done, 0, 0);
    master_post(r->m, run_and_signal, &c);
    sem_wait(&c.done);
    sem_destroy(&c.done);
}

static void
count_held(void *arg)
{
    *(int *)arg = nheld;
}

static void
resume_first(void *arg)
{
    (void)arg;
    flow_resume(held[0]);
}

static void
kill_second(void *arg)
{
    (void)arg;
    flow_kill(held[1]);
}

static void
drop_held(void *arg)
{
    (void)arg;
    for (int i = 0; i < nheld; i++)
        flow_unref(held[i]);
    nheld = 0;
}

static void
wait_held(struct running *r, int n)
{
    for (int tries = 0; tries < 500; tries++) {
        int k = 0;
        on_loop(r, count_held, &k);
        if (k >= n)
            return;
        usleep(10 * 1000);
    }
    test_fail(__FILE__, __LINE__, "flows were not intercepted");
}

TEST(master_intercepted_flows_resumed_and_killed_from_another_thread)
{
    struct torigin *o = torigin_start();
    int oport = torigin_port(o);
    struct running r;
    struct options *opts = opt_new();
    struct err e = {0};
    char confdir[128];
    snprintf(confdir, sizeof(confdir), "confdir=/tmp/mp-test-master-%d", (int)getpid());
    ASSERT_EQ(opt_set_arg(opts, "listen_host=127.0.0.1", &e), 0);
    ASSERT_EQ(opt_set_arg(opts, "listen_port=0", &e), 0);
    ASSERT_EQ(opt_set_arg(opts, confdir, &e), 0);
    log_set_level(LOG_ERROR);
    r.m = master_new(opts);
    static struct addon intercept = {.ops = &intercept_ops};
    master_add_addon(r.m, &intercept);
    ASSERT_EQ(master_configure(r.m, &e), 0);
    ASSERT_EQ(master_listen(r.m, &e), 0);
    ASSERT(master_read_flows(r.m, NULL, NULL, &e) >= 0);
    r.port = server_listener_port(master_server(r.m), 0);
    ASSERT_EQ(pthread_create(&r.loop, NULL, loop_main, &r), 0);

    char req[256], resp[4096];
    int c1 = tnet_connect(r.port), c2 = tnet_connect(r.port), c3 = tnet_connect(r.port);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold/1 HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c1, req);
    wait_held(&r, 1);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold/2 HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c2, req);
    wait_held(&r, 2);
    /* Only the held flows wait: a third client is served meanwhile. */
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/free HTTP/1.1\r\nHost: x\r\n\r\n", oport);
    tnet_send(c3, req);
    ASSERT_EQ(tnet_response(c3, resp, sizeof(resp), TIMEOUT_MS), 200);
    ASSERT(tnet_quiet(c1, 200));
    ASSERT(tnet_quiet(c2, 1));
    ASSERT_EQ(torigin_requests(o), 1);

    /* Resumed from this thread through the post entry: the request goes on. */
    on_loop(&r, resume_first, NULL);
    ASSERT_EQ(tnet_response(c1, resp, sizeof(resp), TIMEOUT_MS), 200);
    ASSERT(strstr(resp, "GET /hold/1 HTTP/1.1") != NULL);
    /* Killed: no request reaches the origin and the client is dropped. */
    on_loop(&r, kill_second, NULL);
    ASSERT_EQ(tnet_response(c2, resp, sizeof(resp), TIMEOUT_MS), -1);
    ASSERT_EQ(torigin_requests(o), 2);

    on_loop(&r, drop_held, NULL);
    close(c1);
    close(c2);
    close(c3);
    stop(&r);
    torigin_stop(o);
}

TEST(master_stop_with_a_flow_still_intercepted)
{
    struct torigin *o = torigin_start();
    struct running r;
    struct options *opts = opt_new();
    struct err e = {0};
    char confdir[128], req[256];
    snprintf(confdir, sizeof(confdir), "confdir=/tmp/mp-test-master-%d", (int)getpid());
    ASSERT_EQ(opt_set_arg(opts, "listen_host=127.0.0.1", &e), 0);
    ASSERT_EQ(opt_set_arg(opts, "listen_port=0", &e), 0);
    ASSERT_EQ(opt_set_arg(opts, confdir, &e), 0);
    log_set_level(LOG_ERROR);
    r.m = master_new(opts);
    static struct addon intercept = {.ops = &intercept_ops};
    master_add_addon(r.m, &intercept);
    ASSERT_EQ(master_configure(r.m, &e), 0);
    ASSERT_EQ(master_listen(r.m, &e), 0);
    ASSERT(master_read_flows(r.m, NULL, NULL, &e) >= 0);
    r.port = server_listener_port(master_server(r.m), 0);
    ASSERT_EQ(pthread_create(&r.loop, NULL, loop_main, &r), 0);
    int c = tnet_connect(r.port);
    snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/hold/x HTTP/1.1\r\nHost: x\r\n\r\n",
             torigin_port(o));
    tnet_send(c, req);
    wait_held(&r, 1);
    /* The client gives up; the flow keeps its place until resumed. */
    close(c);
    usleep(100 * 1000);
    int k = 0;
    on_loop(&r, count_held, &k);
    ASSERT_EQ(k, 1);
    /* Stopping ends it (and LeakSanitizer checks nothing is left behind). */
    on_loop(&r, drop_held, NULL);
    stop(&r);
    ASSERT_EQ(torigin_requests(o), 0);
    torigin_stop(o);
}

/* ---- -r with an addon that holds each hook for a while (a script awaiting). ---- */

struct slow_addon {
    struct addon base;
    struct server_timer *timer;
    struct hook_call *held;
    int requests;
    int responses;
};

static void
release(void *arg)
{
    struct slow_addon *s = arg;
    struct hook_call *c = s->held;
    s->held = NULL;
    addon_resume(c);
}

static enum addon_result
slow_request(struct addon *a, struct hook_call *call)
{
    struct slow_addon *s = (struct slow_addon *)a;
    s->requests++;
    s->held = call;
    server_timer_start(s->timer, 5, 0);
    return ADDON_DEFER;
}

static enum addon_result
slow_response(struct addon *a, struct hook_call *call)
{
    (void)call;
    struct slow_addon *s = (struct slow_addon *)a;
    /* Each flow's response comes after its own request was released. */
    ASSERT(s->held == NULL);
    s->responses++;
    return ADDON_CONTINUE;
}

static const struct addon_ops slow_ops = {
    .name = "test_slow",
    .hooks = {[HOOK_REQUEST] = slow_request, [HOOK_RESPONSE] = slow_response},
};

static int read_rc = -100;

static void
on_read(void *arg, int rc, const struct err *e)
{
    (void)arg;
    (void)e;
    read_rc = rc;
}

TEST(master_read_flows_waits_for_held_hooks_on_the_loop)
{
    struct err e = {0};
    char rfile[4096];
    struct options *o = opt_new();
    snprintf(rfile, sizeof(rfile), "rfile=%s", test_fixture("flows/methods.mitm"));
    ASSERT_EQ(opt_set_arg(o, rfile, &e), 0);
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    log_set_level(LOG_ERROR);
    struct master *m = master_new(o);
    static struct slow_addon slow = {.base = {.ops = &slow_ops}};
    master_add_addon(m, &slow.base);
    ASSERT_EQ(master_configure(m, &e), 0);
    slow.timer = server_timer_new(master_server(m), release, &slow);
    ASSERT_EQ(master_read_flows(m, on_read, NULL, &e), 0);
    /* The first request hook is held: the read goes on in the loop. */
    ASSERT_EQ(read_rc, -100);
    ASSERT_EQ(slow.requests, 1);
    ASSERT_EQ(master_run(m), 0);
    ASSERT_EQ(read_rc, 5);
    ASSERT_EQ(slow.requests, 5);
    ASSERT_EQ(slow.responses, 5);
    server_timer_free(slow.timer);
    master_free(m);
}

/* A flow file of the fixture flows, copies x them with new ids, and the
 * fixture flows again (ids the store has by then, which stay as they
 * were). Long enough that -r needs more than one slice. */
static void
write_big(const char *path, int copies)
{
    struct flow **flows;
    size_t n = tflows_load("all.mitm", &flows);
    FILE *fp = fopen(path, "wb");
    ASSERT(fp != NULL);
    struct buf rec = BUF_INIT;
    for (int c = 0; c < copies + 2; c++) {
        for (size_t i = 0; i < n; i++) {
            int again = c == 0 || c == copies + 1;
            struct flow *f = again ? flow_ref(flows[i]) : flow_copy(flows[i]);
            buf_reset(&rec);
            ffile_serialize(&rec, f);
            ASSERT_EQ(fwrite(buf_ptr(&rec), 1, rec.len, fp), rec.len);
            flow_unref(f);
        }
    }
    ASSERT_EQ(fclose(fp), 0);
    buf_clear(&rec);
    tflows_free(flows, n);
}

struct read_result {
    int by_store;   /* master__read_by_store() once the read is over */
    size_t nflows;  /* in the store once the read is over */
    struct buf all; /* every flow in store order: its list info and its record */
};

/* What the store holds, flow by flow: the row the list shows and the
 * record store_get() gives back. */
static void
dump_store(struct store *s, struct buf *out)
{
    struct cmds_flows fl = {0};
    struct err e = {0};
    ASSERT_EQ(store_resolve(s, "@all", &fl, &e), 0);
    for (size_t i = 0; i < fl.n; i++) {
        struct store_info in;
        ASSERT_EQ(store_info(s, fl.v[i]->id, &in), 0);
        char line[2048];
        int k =
            snprintf(line, sizeof(line),
                     "%s %d %.6f %s %s %s %u %s %d %s %s %s %llu %llu %s|%s|%d %d %s %d %d %d\n",
                     in.id, (int)in.type, in.timestamp_created, in.method, in.scheme, in.host,
                     in.port, in.path, in.status_code, in.reason, in.content_type, in.http_version,
                     (unsigned long long)in.request_size, (unsigned long long)in.response_size,
                     in.marked, in.comment, in.error, in.intercepted,
                     in.is_replay ? in.is_replay : "-", in.websocket, in.live, in.modified);
        buf_append(out, line, (size_t)k);
        struct flow *f = store_get(s, fl.v[i]->id, &e);
        ASSERT(f != NULL);
        ffile_serialize(out, f);
        flow_unref(f);
        flow_unref(fl.v[i]);
    }
    free(fl.v);
}

/*
 * -r as the interactive tools read it (master_read_flows_logged()), with
 * a store and the intercept addon as mitmweb has them, and settings.
 */
static void
read_way(const char *rfile, const char *const *settings, struct read_result *out)
{
    struct err e = {0};
    char set[4096];
    struct addon *icpt = addon_intercept_new();
    struct options *o = opt_new();
    snprintf(set, sizeof(set), "rfile=%s", rfile);
    ASSERT_EQ(opt_set_arg(o, set, &e), 0);
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    for (; settings && *settings; settings++)
        if (opt_set_arg(o, *settings, &e) < 0)
            test_fail(__FILE__, __LINE__, "%s: %s", *settings, e.msg);
    log_set_level(LOG_ERROR);
    struct master *m = master_new(o);
    master_add_addon(m, icpt);
    struct store *s = master_enable_store(m, &e);
    ASSERT(s != NULL);
    if (master_configure(m, &e) < 0)
        test_fail(__FILE__, __LINE__, "configure: %s", e.msg);
    master_read_flows_logged(m);
    ASSERT_EQ(master_run(m), 0);
    ASSERT_EQ(master__reading(m), 0);
    out->by_store = master__read_by_store(m);
    out->nflows = store_count(s);
    buf_reset(&out->all);
    dump_store(s, &out->all);
    master_free(m);
}

/* How -r of rfile with settings is to read, decided as it starts
 * (master__read_by_store()); the read is then cut short. */
static int
way(const char *rfile, const char *const *settings)
{
    struct err e = {0};
    char set[4096];
    struct addon *icpt = addon_intercept_new();
    struct options *o = opt_new();
    snprintf(set, sizeof(set), "rfile=%s", rfile);
    ASSERT_EQ(opt_set_arg(o, set, &e), 0);
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    for (; settings && *settings; settings++)
        if (opt_set_arg(o, *settings, &e) < 0)
            test_fail(__FILE__, __LINE__, "%s: %s", *settings, e.msg);
    log_set_level(LOG_ERROR);
    struct master *m = master_new(o);
    master_add_addon(m, icpt);
    ASSERT(master_enable_store(m, &e) != NULL);
    if (master_configure(m, &e) < 0)
        test_fail(__FILE__, __LINE__, "configure: %s", e.msg);
    master_read_flows_logged(m);
    int how = master__read_by_store(m);
    master_shutdown(m);
    ASSERT_EQ(master_run(m), 0);
    master_free(m);
    return how;
}

#define COPIES 60

TEST(master_read_goes_to_the_store_with_the_hooks_store)
{
    char path[64], save[96];
    snprintf(path, sizeof(path), "/tmp/mp-test-read-%d.mitm", (int)getpid());
    snprintf(save, sizeof(save), "save_stream_file=%s.out", path);
    write_big(path, COPIES);
    struct read_result fast = {0}, hooks = {0};
    read_way(path, NULL, &fast);
    /* save_stream_file reads every flow, and changes none. */
    const char *const saving[] = {save, NULL};
    read_way(path, saving, &hooks);
    ASSERT_EQ(fast.by_store, 2);
    ASSERT_EQ(hooks.by_store, 0);
    ASSERT_EQ(fast.nflows, 55 * COPIES + 55);
    ASSERT_EQ(hooks.nflows, fast.nflows);
    ASSERT_MEMEQ(buf_ptr(&fast.all), fast.all.len, buf_ptr(&hooks.all), hooks.all.len);
    /* Options of addons that leave loaded flows alone, and the store's own. */
    const char *const quiet[] = {"block_list=/~q/404",
                                 "onboarding=true",
                                 "view_filter=~s",
                                 "view_order=size",
                                 "ignore_hosts=example\\.com",
                                 "intercept_active=true",
                                 NULL};
    ASSERT_EQ(way(path, quiet), 1);
    ASSERT_EQ(way(path, NULL), 1);
    buf_clear(&fast.all);
    buf_clear(&hooks.all);
    unlink(path);
    snprintf(save, sizeof(save), "%s.out", path);
    unlink(save);
}

TEST(master_read_keeps_the_hooks_when_an_addon_would_see_the_flows)
{
    char path[64], save[96];
    snprintf(path, sizeof(path), "/tmp/mp-test-read-%d.mitm", (int)getpid());
    snprintf(save, sizeof(save), "save_stream_file=%s.out", path);
    write_big(path, COPIES);
    char replay[4096];
    snprintf(replay, sizeof(replay), "server_replay=%s", test_fixture("flows/methods.mitm"));
    const char *settings[] = {
        "anticache=true",
        "anticomp=true",
        "modify_headers=/~q/X-Added/1",
        "modify_body=/~s/a/b",
        "map_remote=|//example.com|//example.org",
        "map_local=|example.com/x|/tmp",
        "stickycookie=~q",
        "stickyauth=~q",
        "proxyauth=any",
        save,
        "intercept=~u /nothing-matches",
        "readfile_filter=~q",
        /* Server replay answers loaded requests from its flows while it has some. */
        replay,
        NULL,
    };
    for (const char *const *p = settings; *p; p++) {
        const char *one[] = {*p, NULL};
        if (way(path, one) != 0)
            test_fail(__FILE__, __LINE__, "%s: -r went around the hooks", *p);
    }
    unlink(path);
    snprintf(save, sizeof(save), "%s.out", path);
    unlink(save);
}

TEST(master_read_keeps_the_hooks_for_other_files)
{
    /* A file that does not open: the hooks' way has the words for it. */
    ASSERT_EQ(way("/nonexistent/mp-test-read.mitm", NULL), 0);
    /* A small flow file: the hooks read it before the store's workers could. */
    ASSERT_EQ(way(test_fixture("flows/all.mitm"), NULL), 0);
    /* A HAR file (small ones, as browsers export them). */
    char path[64];
    snprintf(path, sizeof(path), "/tmp/mp-test-read-%d.har", (int)getpid());
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs("{\"log\": {\"version\": \"1.2\", \"creator\": {\"name\": \"t\", "
          "\"version\": \"1\"}, \"entries\": []}}",
          f);
    fclose(f);
    ASSERT_EQ(way(path, NULL), 0);
    unlink(path);
}
