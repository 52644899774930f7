/*
 * The libuv driver end to end: a real server on 127.0.0.1:0 running in a
 * thread, an origin server in another thread, and the test's own thread
 * playing clients with blocking sockets (every read has a timeout, so a
 * broken driver fails a test instead of hanging it).
 *
 * What is proven is the promise of addons/addon.h: a hook may be answered
 * later; while it is, its flow is paused and its client connection is not
 * read, and every other connection goes on.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <nghttp2/nghttp2.h>

#include "../lib/test.h"
#include "../lib/tproxy.h"
#include "addons/addon.h"
#include "core/server.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "proxy/context.h"
#include "util/log.h"

/* Long enough for a loaded ASan build, short enough to beat the runner's alarm. */
#define READ_TIMEOUT_MS 5000
/* How long "nothing happens" is watched for. */
#define QUIET_MS 200

/* ---- The origin: answers every request with its path as the body. ---- */

#define ORIGIN_MAX 16

struct origin {
    pthread_t thread;
    int lfd;
    int stop[2]; /* a pipe; closing the write end stops the thread */
    int port;
    atomic_int requests;
};

struct oconn {
    int fd;
    char buf[4096];
    size_t len;
    size_t skip; /* request body bytes still to discard */
};

/* Answers each complete request head in c->buf; returns -1 when c is done. */
static int
origin_serve(struct oconn *c)
{
    char *end;

    for (;;) {
        size_t k = c->skip < c->len ? c->skip : c->len;
        memmove(c->buf, c->buf + k, c->len - k);
        c->len -= k;
        c->skip -= k;
        if (c->skip > 0 || (end = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL)
            break;
        size_t headlen = (size_t)(end - c->buf) + 4;
        char path[256] = "";
        char *sp1 = memchr(c->buf, ' ', headlen);
        if (sp1) {
            char *sp2 = memchr(sp1 + 1, ' ', headlen - (size_t)(sp1 + 1 - c->buf));
            if (sp2 && (size_t)(sp2 - sp1 - 1) < sizeof(path))
                snprintf(path, sizeof(path), "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
        }
        char resp[512];
        int n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
                         strlen(path), path);
        if (send(c->fd, resp, (size_t)n, MSG_NOSIGNAL) != n)
            return -1;
        /* A request body is skipped, not answered; either spelling of the
         * header name is accepted, whatever the proxy forwards. */
        const char *cl = memmem(c->buf, headlen, "\r\nContent-Length:", 17);
        if (!cl)
            cl = memmem(c->buf, headlen, "\r\ncontent-length:", 17);
        if (cl)
            c->skip = strtoul(cl + 17, NULL, 10);
        memmove(c->buf, c->buf + headlen, c->len - headlen);
        c->len -= headlen;
    }
    return c->len == sizeof(c->buf) ? -1 : 0;
}

static void *
origin_main(void *arg)
{
    struct origin *o = arg;
    struct oconn conns[ORIGIN_MAX];
    size_t n = 0;

    for (;;) {
        struct pollfd p[ORIGIN_MAX + 2];
        p[0] = (struct pollfd){.fd = o->stop[0], .events = POLLIN};
        p[1] = (struct pollfd){.fd = o->lfd, .events = POLLIN};
        for (size_t i = 0; i < n; i++)
            p[i + 2] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
        if (poll(p, n + 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents)
            break;
        for (size_t i = n; i-- > 0;) {
            if (!p[i + 2].revents)
                continue;
            struct oconn *c = &conns[i];
            ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
            if (r > 0) {
                c->len += (size_t)r;
                atomic_fetch_add(&o->requests, 1);
            }
            if (r <= 0 || origin_serve(c) < 0) {
                close(c->fd);
                conns[i] = conns[--n];
            }
        }
        if (p[1].revents & POLLIN) {
            int fd = accept(o->lfd, NULL, NULL);
            if (fd >= 0 && n < ORIGIN_MAX)
                conns[n++] = (struct oconn){.fd = fd};
            else if (fd >= 0)
                close(fd);
        }
    }
    for (size_t i = 0; i < n; i++)
        close(conns[i].fd);
    return NULL;
}

static int
listen_local(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;

    ASSERT(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ASSERT_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ASSERT_EQ(listen(fd, 16), 0);
    ASSERT_EQ(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void
origin_start(struct origin *o)
{
    memset(o, 0, sizeof(*o));
    o->lfd = listen_local(&o->port);
    ASSERT_EQ(pipe(o->stop), 0);
    ASSERT_EQ(pthread_create(&o->thread, NULL, origin_main, o), 0);
}

static void
origin_stop(struct origin *o)
{
    close(o->stop[1]);
    pthread_join(o->thread, NULL);
    close(o->stop[0]);
    close(o->lfd);
}

/* ---- The test addon: holds /hold, releases it from /release's response. ---- */

static _Atomic(struct hook_call *) held; /* the deferred /hold requestheaders call */
static atomic_int held_count;            /* /hold calls deferred so far */
static atomic_int after_seen;            /* requestheaders calls for /after */
static atomic_int released;              /* addon_resume() calls made */

static const char *
path_of(const struct hook_call *call)
{
    const struct flow *f = call->data->flow;
    return f && f->request && f->request->path ? f->request->path : "";
}

static enum addon_result
t_requestheaders(struct addon *a, struct hook_call *call)
{
    (void)a;
    const char *path = path_of(call);
    if (strcmp(path, "/hold") == 0) {
        atomic_store(&held, call);
        atomic_fetch_add(&held_count, 1);
        return ADDON_DEFER;
    }
    if (strcmp(path, "/after") == 0)
        atomic_fetch_add(&after_seen, 1);
    return ADDON_CONTINUE;
}

static enum addon_result
t_response(struct addon *a, struct hook_call *call)
{
    (void)a;
    if (strcmp(path_of(call), "/release") == 0) {
        /* On the loop thread, long after the /hold hook returned: legal. */
        struct hook_call *h = atomic_exchange(&held, NULL);
        if (h) {
            atomic_fetch_add(&released, 1);
            addon_resume(h);
        }
    }
    return ADDON_CONTINUE;
}

static const struct addon_ops t_ops = {
    .name = "test_hold",
    .hooks = {[HOOK_REQUESTHEADERS] = t_requestheaders, [HOOK_RESPONSE] = t_response},
};

static struct addon t_addon = {.ops = &t_ops};

/* ---- Clients. ---- */

struct client {
    int fd;
    char buf[8192];
    size_t len;
};

static void
client_open(struct client *c, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    struct timeval tv = {.tv_sec = READ_TIMEOUT_MS / 1000};
    int one = 1;

    memset(c, 0, sizeof(*c));
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(c->fd >= 0);
    ASSERT_EQ(setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    ASSERT_EQ(setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ASSERT_EQ(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
}

static void
client_close(struct client *c)
{
    close(c->fd);
}

static void
client_get(struct client *c, int origin_port, const char *path)
{
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET http://127.0.0.1:%d%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
                     origin_port, path, origin_port);
    ASSERT_EQ(send(c->fd, req, (size_t)n, MSG_NOSIGNAL), n);
}

/* Reads one response; returns its status and copies the body into body. */
static int
client_response(struct client *c, char *body, size_t bodycap)
{
    char *end;

    while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL) {
        ASSERT(c->len < sizeof(c->buf));
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        if (r <= 0)
            test_fail(__FILE__, __LINE__, "no response head (recv %zd, %s)", r,
                      r < 0 ? strerror(errno) : "eof");
        c->len += (size_t)r;
    }
    size_t headlen = (size_t)(end - c->buf) + 4;
    int status = 0;
    ASSERT_EQ(sscanf(c->buf, "HTTP/1.1 %d", &status), 1);
    size_t clen = 0;
    const char *cl = memmem(c->buf, headlen, "\r\ncontent-length:", 17);
    if (!cl)
        cl = memmem(c->buf, headlen, "\r\nContent-Length:", 17);
    ASSERT(cl != NULL);
    clen = strtoul(cl + 17, NULL, 10);
    ASSERT(clen < bodycap);
    while (c->len < headlen + clen) {
        ASSERT(c->len < sizeof(c->buf));
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        if (r <= 0)
            test_fail(__FILE__, __LINE__, "short response body (recv %zd)", r);
        c->len += (size_t)r;
    }
    memcpy(body, c->buf + headlen, clen);
    body[clen] = '\0';
    memmove(c->buf, c->buf + headlen + clen, c->len - headlen - clen);
    c->len -= headlen + clen;
    return status;
}

/* Whether the proxy sent this client anything within ms. */
static int
client_readable(struct client *c, int ms)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    return c->len > 0 || poll(&p, 1, ms) > 0;
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Waits until the addon holds the /hold call (it runs on the loop thread). */
static void
wait_held(int count)
{
    for (int i = 0; i < READ_TIMEOUT_MS && atomic_load(&held_count) < count; i++)
        sleep_ms(1);
    ASSERT_EQ(atomic_load(&held_count), count);
    ASSERT(atomic_load(&held) != NULL);
}

/* ---- Tests. ---- */

/* A deferred hook pauses its own flow only: another client is served meanwhile. */
TEST(server_deferred_hook_others_go_on)
{
    struct origin o;
    struct tproxy p;
    struct client c1, c2;
    char body[256];

    origin_start(&o);
    tproxy_start(&p, NULL, &t_addon);
    client_open(&c1, p.port);
    client_open(&c2, p.port);

    client_get(&c1, o.port, "/hold");
    wait_held(1);

    client_get(&c2, o.port, "/fast");
    ASSERT_EQ(client_response(&c2, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/fast");
    /* /fast went all the way through while /hold has not reached the origin. */
    ASSERT(!client_readable(&c1, QUIET_MS));
    ASSERT_EQ(atomic_load(&released), 0);

    client_get(&c2, o.port, "/release");
    ASSERT_EQ(client_response(&c2, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/release");
    ASSERT_EQ(atomic_load(&released), 1);

    ASSERT_EQ(client_response(&c1, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/hold");

    /* The resumed connection is an ordinary keep-alive connection again. */
    client_get(&c1, o.port, "/again");
    ASSERT_EQ(client_response(&c1, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/again");

    client_close(&c1);
    client_close(&c2);
    tproxy_stop(&p);
    origin_stop(&o);
}

/*
 * While its flow is paused the client connection is not read: a request
 * pipelined behind the held one reaches no hook and is answered after it.
 */
TEST(server_deferred_hook_pauses_reading)
{
    struct origin o;
    struct tproxy p;
    struct client c1, c2;
    char body[256];

    origin_start(&o);
    tproxy_start(&p, NULL, &t_addon);
    client_open(&c1, p.port);
    client_open(&c2, p.port);

    client_get(&c1, o.port, "/hold");
    wait_held(1);
    client_get(&c1, o.port, "/after");

    /* Prove the loop is alive and has had every chance to read /after. */
    client_get(&c2, o.port, "/fast");
    ASSERT_EQ(client_response(&c2, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/fast");
    sleep_ms(QUIET_MS);
    ASSERT_EQ(atomic_load(&after_seen), 0);
    ASSERT(!client_readable(&c1, 0));

    client_get(&c2, o.port, "/release");
    ASSERT_EQ(client_response(&c2, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/release");

    /* In order on the wire: the held response first, then the pipelined one. */
    ASSERT_EQ(client_response(&c1, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/hold");
    ASSERT_EQ(client_response(&c1, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/after");
    ASSERT_EQ(atomic_load(&after_seen), 1);

    client_close(&c1);
    client_close(&c2);
    tproxy_stop(&p);
    origin_stop(&o);
}

/*
 * The same seen from the socket: while /hold is held, the client cannot
 * push a large pipelined upload through, because nobody reads it and the
 * kernel buffers fill up (a driver that kept reading would buffer it all in
 * memory). After the release the upload goes through and is answered.
 */
TEST(server_deferred_hook_backpressure)
{
    /* Far above what loopback socket buffers take (a few MB each way). */
    const size_t total = (size_t)32 << 20;
    struct origin o;
    struct tproxy p;
    struct client c1, c2;
    char body[256];
    static char chunk[65536];
    size_t sent = 0;

    memset(chunk, 'x', sizeof(chunk));
    origin_start(&o);
    tproxy_start(&p, NULL, &t_addon);
    client_open(&c1, p.port);
    client_open(&c2, p.port);

    client_get(&c1, o.port, "/hold");
    wait_held(1);
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "POST http://127.0.0.1:%d/after HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     o.port, o.port, total);
    ASSERT_EQ(send(c1.fd, head, (size_t)n, MSG_NOSIGNAL), n);

    /* Push until the socket stays unwritable for QUIET_MS. */
    for (;;) {
        size_t want = total - sent < sizeof(chunk) ? total - sent : sizeof(chunk);
        ssize_t r = send(c1.fd, chunk, want, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r > 0) {
            sent += (size_t)r;
            ASSERT(sent < total); /* everything went: the proxy kept reading */
            continue;
        }
        ASSERT(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
        struct pollfd pw = {.fd = c1.fd, .events = POLLOUT};
        if (poll(&pw, 1, QUIET_MS) == 0)
            break;
    }
    ASSERT_EQ(atomic_load(&after_seen), 0);

    client_get(&c2, o.port, "/release");
    ASSERT_EQ(client_response(&c2, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/release");
    ASSERT_EQ(client_response(&c1, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/hold");

    while (sent < total) {
        size_t want = total - sent < sizeof(chunk) ? total - sent : sizeof(chunk);
        ssize_t r = send(c1.fd, chunk, want, MSG_NOSIGNAL);
        ASSERT(r > 0);
        sent += (size_t)r;
    }
    ASSERT_EQ(client_response(&c1, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/after");
    ASSERT_EQ(atomic_load(&after_seen), 1);

    client_close(&c1);
    client_close(&c2);
    tproxy_stop(&p);
    origin_stop(&o);
}

/* Two held flows on two clients, released one at a time, in any order. */
TEST(server_deferred_hook_two_held)
{
    struct origin o;
    struct tproxy p;
    struct client c1, c2, c3;
    char body[256];

    origin_start(&o);
    tproxy_start(&p, NULL, &t_addon);
    client_open(&c1, p.port);
    client_open(&c2, p.port);
    client_open(&c3, p.port);

    client_get(&c1, o.port, "/hold");
    wait_held(1);
    client_get(&c3, o.port, "/release");
    ASSERT_EQ(client_response(&c3, body, sizeof(body)), 200);
    ASSERT_EQ(client_response(&c1, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/hold");

    client_get(&c2, o.port, "/hold");
    wait_held(2);
    ASSERT(!client_readable(&c2, QUIET_MS));
    client_get(&c3, o.port, "/release");
    ASSERT_EQ(client_response(&c3, body, sizeof(body)), 200);
    ASSERT_EQ(client_response(&c2, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/hold");
    ASSERT_EQ(atomic_load(&released), 2);

    client_close(&c1);
    client_close(&c2);
    client_close(&c3);
    tproxy_stop(&p);
    origin_stop(&o);
}

/* SIGTERM stops a server with idle keep-alive clients; server_run returns 0. */
TEST(server_sigterm_stops)
{
    struct origin o;
    struct tproxy p;
    struct client c1;
    char body[256];

    origin_start(&o);
    tproxy_start(&p, NULL, &t_addon);
    client_open(&c1, p.port);
    client_get(&c1, o.port, "/fast");
    ASSERT_EQ(client_response(&c1, body, sizeof(body)), 200);

    tproxy_stop(&p);
    /* The proxy closed the client it still had. */
    char b;
    ASSERT_EQ(recv(c1.fd, &b, 1, 0), 0);
    client_close(&c1);
    origin_stop(&o);
}

/*
 * Two listeners, each with its own mode (mitmdump --mode regular@A
 * --mode socks5@B): the connections of each get that listener's mode.
 */
TEST(server_two_listeners_two_modes)
{
    struct origin o;
    struct tproxy p;
    struct proxy_config socks_cfg;
    struct client c1, c2;
    char body[256];
    struct err e = {0};

    origin_start(&o);
    tproxy_init(&p, "regular@0");
    ASSERT_EQ(opt_set(p.opts, "mode", "socks5@0", &e), 0);
    ASSERT_EQ(proxy_config_init(&p.cfg, p.opts, &e), 0);
    proxy_config_for_mode(&p.cfg, 1, &socks_cfg);
    p.chain = addon_chain_new();
    addon_chain_add(p.chain, &t_addon);
    p.srv = server_new(&p.cfg, p.chain);
    ASSERT_EQ(server_listen(p.srv, "127.0.0.1", 0, &e), 0);
    ASSERT_EQ(server_listen_cfg(p.srv, &socks_cfg, "127.0.0.1", 0, &e), 0);
    p.port = server_port(p.srv);
    int sport = server_listener_port(p.srv, 1);
    ASSERT(p.port > 0 && sport > 0 && sport != p.port);
    ASSERT_EQ(server_listener_port(p.srv, 2), 0);
    tproxy_run(&p);

    client_open(&c1, p.port);
    client_get(&c1, o.port, "/fast");
    ASSERT_EQ(client_response(&c1, body, sizeof(body)), 200);
    ASSERT_STREQ(body, "/fast");

    /* The SOCKS5 listener answers a SOCKS5 greeting: "no authentication". */
    client_open(&c2, sport);
    ASSERT_EQ(send(c2.fd, "\x05\x01\x00", 3, MSG_NOSIGNAL), 3);
    char reply[2];
    ASSERT_EQ(recv(c2.fd, reply, 2, MSG_WAITALL), 2);
    ASSERT_EQ(reply[0], 5);
    ASSERT_EQ(reply[1], 0);

    client_close(&c1);
    client_close(&c2);
    tproxy_stop(&p);
    origin_stop(&o);
}

/* ---- HTTP/2: a held stream pauses itself only. ---- */

struct h2c {
    int done[2];       /* stream 1 (/hold), stream 3 (/release) finished */
    int order[2];      /* stream ids in the order they finished */
    int nfinished;
    char body[2][64];
};

static int
h2c_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *p, size_t n, void *ud)
{
    struct h2c *h = ud;
    char *b = h->body[id == 1 ? 0 : 1];
    size_t used = strlen(b);
    snprintf(b + used, 64 - used, "%.*s", (int)n, (const char *)p);
    return 0;
}

static int
h2c_close(nghttp2_session *s, int32_t id, uint32_t err, void *ud)
{
    struct h2c *h = ud;
    if (id == 1 || id == 3) {
        h->done[id == 1 ? 0 : 1] = 1;
        h->order[h->nfinished++] = id;
    }
    return 0;
}

static void
h2c_submit(nghttp2_session *s, const char *authority, const char *path)
{
    nghttp2_nv nv[] = {
        {(uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0},
        {(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0},
        {(uint8_t *)":authority", (uint8_t *)authority, 10, strlen(authority), 0},
        {(uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0},
    };
    ASSERT(nghttp2_submit_request(s, NULL, nv, 4, NULL, NULL) > 0);
}

static void
h2c_flush(nghttp2_session *s, struct client *c)
{
    const uint8_t *p;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(s, &p)) > 0)
        ASSERT_EQ(send(c->fd, p, (size_t)n, MSG_NOSIGNAL), n);
}

/* Sends what the session has and reads until both streams are done (or time runs out). */
static void
h2c_run(nghttp2_session *s, struct client *c, struct h2c *h)
{
    for (int rounds = 0; rounds < 40 && !(h->done[0] && h->done[1]); rounds++) {
        h2c_flush(s, c);
        if (!client_readable(c, 100))
            continue;
        uint8_t buf[4096];
        ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
        ASSERT(r > 0);
        ASSERT(nghttp2_session_mem_recv(s, buf, (size_t)r) == r);
    }
}

/*
 * An HTTP/2 client connection (cleartext, prior knowledge) with a held
 * stream: the connection keeps being read, so another stream on it goes all
 * the way through (and releases the first from its response hook).
 */
TEST(server_http2_held_stream_others_go_on)
{
    struct origin o;
    struct tproxy p;
    struct client c;
    struct h2c h = {0};
    char authority[64];

    origin_start(&o);
    snprintf(authority, sizeof(authority), "127.0.0.1:%d", o.port);
    char mode[80];
    snprintf(mode, sizeof(mode), "reverse:http://%s", authority);
    tproxy_start(&p, mode, &t_addon);
    client_open(&c, p.port); /* nghttp2 starts with the preface, which reverse mode knows */

    nghttp2_session_callbacks *cb;
    nghttp2_session *s;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, h2c_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2c_close);
    nghttp2_session_client_new(&s, cb, &h);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);

    h2c_submit(s, authority, "/hold");
    h2c_flush(s, &c);
    wait_held(1);
    h2c_submit(s, authority, "/release");
    h2c_run(s, &c, &h);

    ASSERT(h.done[0] && h.done[1]);
    ASSERT_EQ(h.order[0], 3); /* /release first: it did not wait for /hold */
    ASSERT_EQ(h.order[1], 1);
    ASSERT_STREQ(h.body[0], "/hold");
    ASSERT_STREQ(h.body[1], "/release");
    ASSERT_EQ(atomic_load(&released), 1);

    nghttp2_session_del(s);
    client_close(&c);
    tproxy_stop(&p);
    origin_stop(&o);
}
