/*
 * The proxy server: one uv loop, one listening socket, SIGINT/SIGTERM, and
 * a struct pconn (driver.c) per accepted client.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netdb.h>
#include <sys/socket.h>

#include "core/internal.h"
#include "core/server.h"
#include "proxy/context.h"
#include "util/log.h"
#include "util/xmalloc.h"

/*
 * Watches and timers belong to their owners (a UI), but once the server
 * stops they must not keep the loop running: do_stop() unrefs them, and the
 * owner frees them after server_run() returns. The server keeps a list of
 * the handles for that (struct uhandle, first in each).
 */
struct uhandle {
    uv_handle_t *h;
    struct uhandle *next, *prev;
};

/* What nginx and Node use; the kernel caps it at somaxconn anyway. */
#define LISTEN_BACKLOG 511

/* Takes the queue under the lock and runs it outside, so fn may post again. */
static void
run_posts(struct server *srv)
{
    for (;;) {
        uv_mutex_lock(&srv->mu);
        struct post *p = srv->posts;
        srv->posts = NULL;
        srv->posts_tail = &srv->posts;
        uv_mutex_unlock(&srv->mu);
        if (p == NULL)
            return;
        while (p) {
            struct post *next = p->next;
            p->fn(p->arg);
            free(p);
            p = next;
        }
    }
}

static void
on_async(uv_async_t *a)
{
    run_posts(a->data);
}

void
server_post(struct server *srv, server_post_cb fn, void *arg)
{
    struct post *p = xmalloc(sizeof(*p));
    p->fn = fn;
    p->arg = arg;
    p->next = NULL;
    uv_mutex_lock(&srv->mu);
    *srv->posts_tail = p;
    srv->posts_tail = &p->next;
    /* Once the handle is closing, server_free() runs what is queued. */
    if (!srv->async_closed)
        uv_async_send(&srv->async);
    uv_mutex_unlock(&srv->mu);
}

static void
on_work(uv_work_t *req)
{
    struct work *w = req->data;
    w->work(w->arg);
}

static void
on_work_done(uv_work_t *req, int status)
{
    struct work *w = req->data;
    (void)status; /* UV_ECANCELED only after uv_cancel(), which we never call */
    w->after(w->arg);
    free(w);
}

void
server_queue_work(struct server *srv, server_work_cb work, server_work_cb after, void *arg)
{
    struct work *w = xmalloc(sizeof(*w));
    w->req.data = w;
    w->work = work;
    w->after = after;
    w->arg = arg;
    if (uv_queue_work(&srv->loop, &w->req, on_work, on_work_done) < 0) {
        /* Only with invalid arguments; do the work here rather than lose it. */
        work(arg);
        after(arg);
        free(w);
    }
}

static void
on_signal(uv_signal_t *h, int signum)
{
    (void)signum;
    server_stop(h->data);
}

struct server *
server_new(const struct proxy_config *cfg, struct addon_chain *chain)
{
    struct server *srv = xcalloc(1, sizeof(*srv));

    if (uv_loop_init(&srv->loop) < 0)
        fatalx("cannot create the event loop");
    if (uv_mutex_init(&srv->mu) < 0)
        fatalx("cannot create a mutex");
    srv->posts_tail = &srv->posts;
    uv_async_init(&srv->loop, &srv->async, on_async);
    srv->async.data = srv;
    srv->cfg = proxy_config_ref(cfg);
    srv->chain = chain;
    uv_signal_init(&srv->loop, &srv->sigint);
    uv_signal_init(&srv->loop, &srv->sigterm);
    srv->sigint.data = srv;
    srv->sigterm.data = srv;
    uv_timer_init(&srv->loop, &srv->stopper);
    srv->stopper.data = srv;
    uv_timer_init(&srv->loop, &srv->sweeper);
    srv->sweeper.data = srv;
    /* A peer that resets while we write must cost an EPIPE, not the process. */
    signal(SIGPIPE, SIG_IGN);
    return srv;
}

static void
on_listener_close(uv_handle_t *h)
{
    struct listener *l = h->data;
    proxy_config_unref(l->cfg);
    free(l);
}

void
server_close_listeners(struct server *srv)
{
    for (size_t i = 0; i < srv->nlisteners; i++) {
        core__udp_close_listener(srv->listeners[i]);
        uv_close((uv_handle_t *)&srv->listeners[i]->tcp, on_listener_close);
    }
    srv->nlisteners = 0;
}

size_t
server_listeners(const struct server *srv)
{
    return srv->nlisteners;
}

void
server_set_listener_config(struct server *srv, size_t i, const struct proxy_config *cfg)
{
    if (i >= srv->nlisteners)
        return;
    struct listener *l = srv->listeners[i];
    const struct proxy_config *old = l->cfg;
    l->cfg = proxy_config_ref(cfg);
    proxy_config_unref(old);
}

void
server_set_replay_config(struct server *srv, const struct proxy_config *cfg)
{
    const struct proxy_config *old = srv->cfg;
    srv->cfg = proxy_config_ref(cfg);
    proxy_config_unref(old);
}

/* Closes the listeners and the signal handles and tears every client down. */
static void
do_stop(struct server *srv)
{
    if (srv->handles_closed)
        return;
    srv->handles_closed = 1;
    srv->stopping = 1;
    server_close_listeners(srv);
    for (struct uhandle *u = srv->uhandles; u; u = u->next)
        uv_unref(u->h);
    uv_mutex_lock(&srv->mu);
    srv->async_closed = 1;
    uv_mutex_unlock(&srv->mu);
    uv_close((uv_handle_t *)&srv->async, NULL);
    /* What was posted before the stop runs before server_run() returns. */
    run_posts(srv);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    uv_close((uv_handle_t *)&srv->stopper, NULL);
    uv_close((uv_handle_t *)&srv->sweeper, NULL);
    struct pconn *next;
    for (struct pconn *pc = srv->pconns; pc; pc = next) {
        next = pc->next;
        if (!pc->dead)
            core__kill(pc);
    }
}

static void
on_sweep(uv_timer_t *t)
{
    core__sweep_idle(t->data);
}

static void
on_stop(uv_timer_t *t)
{
    do_stop(t->data);
}

void
server_stop(struct server *srv)
{
    server_stop_after(srv, 0);
}

void
server_stop_after(struct server *srv, uint64_t ms)
{
    if (srv->stopping)
        return;
    srv->stopping = 1;
    /* Stop from the loop's top level, never inside the callback (perhaps a
     * layer feed) that asked for it. */
    uv_timer_start(&srv->stopper, on_stop, ms, 0);
}

void
server_free(struct server *srv)
{
    if (!srv)
        return;
    do_stop(srv);
    /* Run the close callbacks of everything do_stop() closed, and whatever
     * was posted meanwhile (it may close more). */
    int more;
    do {
        run_posts(srv);
        uv_run(&srv->loop, UV_RUN_DEFAULT);
        uv_mutex_lock(&srv->mu);
        more = srv->posts != NULL;
        uv_mutex_unlock(&srv->mu);
    } while (more);
    if (uv_loop_close(&srv->loop) < 0)
        log_debug("event loop closed with handles still open");
    uv_mutex_destroy(&srv->mu);
    proxy_config_unref(srv->cfg);
    free(srv->listeners);
    free(srv);
}

void
server_library_shutdown(void)
{
    uv_library_shutdown();
}

static void
on_connection(uv_stream_t *st, int status)
{
    struct listener *l = st->data;

    if (status < 0) {
        log_msg(LOG_WARN, "accept failed: %s", uv_strerror(status));
        return;
    }
    if (l->srv->stopping)
        return;
    core__accept(l);
}

/* Whether this host can open IPv6 sockets at all (containers often cannot). */
static int
have_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);

    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

static int
parse_host(const char *host, int port, struct sockaddr_storage *ss, struct err *e)
{
    char h[256];
    size_t n = strlen(host);

    memset(ss, 0, sizeof(*ss));
    if (n == 0) {
        /* All interfaces: a dual-stack "::" socket takes IPv4 too. */
        if (have_ipv6())
            uv_ip6_addr("::", port, (struct sockaddr_in6 *)ss);
        else
            uv_ip4_addr("0.0.0.0", port, (struct sockaddr_in *)ss);
        return 0;
    }
    if (host[0] == '[' && n > 2 && host[n - 1] == ']')
        snprintf(h, sizeof(h), "%.*s", (int)(n - 2), host + 1);
    else
        snprintf(h, sizeof(h), "%s", host);
    if (uv_ip4_addr(h, port, (struct sockaddr_in *)ss) == 0)
        return 0;
    if (uv_ip6_addr(h, port, (struct sockaddr_in6 *)ss) == 0)
        return 0;

    /* A name: resolving it blocks, which is fine once at start-up. */
    struct addrinfo hints = {0};
    struct addrinfo *res;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int r = getaddrinfo(h, NULL, &hints, &res);
    if (r != 0)
        return err_set(e, MP_ERR_NOTFOUND, "cannot listen on %s: %s", host, gai_strerror(r));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    return 0;
}

int
server_listen(struct server *srv, const char *host, int port, struct err *e)
{
    return server_listen_cfg(srv, srv->cfg, host, port, e);
}

int
server_listen_cfg(struct server *srv, const struct proxy_config *cfg, const char *host, int port,
                  struct err *e)
{
    struct sockaddr_storage ss;
    int r;

    if (srv->handles_closed)
        return err_set(e, MP_ERR_INVAL, "server is stopped");
    if (port < 0 || port > 65535)
        return err_set(e, MP_ERR_INVAL, "invalid port %d", port);
    if (!host)
        host = "";
    if ((r = parse_host(host, port, &ss, e)) < 0)
        return r;

    struct listener *l = xcalloc(1, sizeof(*l));
    l->srv = srv;
    l->cfg = proxy_config_ref(cfg);
    uv_tcp_init(&srv->loop, &l->tcp);
    l->tcp.data = l;
    /* The handle exists now: do_stop closes (and frees) it from here on. */
    srv->listeners = xrealloc(srv->listeners, (srv->nlisteners + 1) * sizeof(*srv->listeners));
    srv->listeners[srv->nlisteners++] = l;
    r = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, 0);
    /* Accepted sockets inherit it (see core__sock_attach). */
    if (r == 0)
        r = uv_tcp_nodelay(&l->tcp, 1);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&l->tcp, LISTEN_BACKLOG, on_connection);
    if (r < 0)
        return err_set(e, MP_ERR_IO, "cannot listen on %s:%d: %s", *host ? host : "*", port,
                       uv_strerror(r));

    struct sockaddr_storage bound;
    int len = sizeof(bound);
    if (uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&bound, &len) == 0) {
        char ip[64];
        uint16_t p;
        core__sockaddr_host((struct sockaddr *)&bound, ip, sizeof(ip), &p);
        l->port = p;
    }
    /* A DNS server answers on UDP too, on the same address and port. */
    if (cfg && cfg->mode.kind == PROXY_MODE_DNS) {
        if (ss.ss_family == AF_INET)
            ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)l->port);
        else
            ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)l->port);
        if ((r = core__udp_listen(l, (struct sockaddr *)&ss, e)) < 0)
            return r;
    }
    return 0;
}

int
server_listen_app(struct server *srv, const char *host, int port, server_root_cb root_new,
                  void *arg, struct err *e)
{
    int rc = server_listen_cfg(srv, NULL, host, port, e);
    if (rc < 0)
        return rc;
    struct listener *l = srv->listeners[srv->nlisteners - 1];
    l->root_new = root_new;
    l->root_arg = arg;
    return (int)srv->nlisteners - 1;
}

/* --- fd watches and timers --- */

static void
uhandle_add(struct server *srv, struct uhandle *u, uv_handle_t *h)
{
    u->h = h;
    u->next = srv->uhandles;
    u->prev = NULL;
    if (srv->uhandles)
        srv->uhandles->prev = u;
    srv->uhandles = u;
    if (srv->stopping)
        uv_unref(h);
}

static void
uhandle_remove(struct server *srv, struct uhandle *u)
{
    if (u->prev)
        u->prev->next = u->next;
    else
        srv->uhandles = u->next;
    if (u->next)
        u->next->prev = u->prev;
}

struct server_watch {
    struct uhandle u;
    struct server *srv;
    uv_poll_t poll; /* poll.data = this; freed in its close callback */
    server_watch_cb cb;
    void *arg;
};

static void
on_poll(uv_poll_t *p, int status, int events)
{
    struct server_watch *w = p->data;
    int ev = 0;
    if (status < 0 || (events & UV_READABLE))
        ev |= SERVER_READABLE; /* an error: let the reader find out */
    if (events & UV_WRITABLE)
        ev |= SERVER_WRITABLE;
    w->cb(w->arg, ev);
}

struct server_watch *
server_watch_fd(struct server *srv, int fd, int events, server_watch_cb cb, void *arg,
                struct err *e)
{
    struct server_watch *w = xcalloc(1, sizeof(*w));
    int r = uv_poll_init(&srv->loop, &w->poll, fd);
    if (r < 0) {
        free(w);
        return err_set(e, MP_ERR_IO, "cannot watch fd %d: %s", fd, uv_strerror(r)), NULL;
    }
    w->poll.data = w;
    w->srv = srv;
    w->cb = cb;
    w->arg = arg;
    uhandle_add(srv, &w->u, (uv_handle_t *)&w->poll);
    int uvev = ((events & SERVER_READABLE) ? UV_READABLE : 0) |
               ((events & SERVER_WRITABLE) ? UV_WRITABLE : 0);
    uv_poll_start(&w->poll, uvev, on_poll);
    return w;
}

static void
free_handle_data(uv_handle_t *h)
{
    free(h->data);
}

void
server_unwatch(struct server_watch *w)
{
    if (w == NULL)
        return;
    uv_poll_stop(&w->poll);
    uhandle_remove(w->srv, &w->u);
    uv_close((uv_handle_t *)&w->poll, free_handle_data);
}

struct server_timer {
    struct uhandle u;
    struct server *srv;
    uv_timer_t timer; /* timer.data = this; freed in its close callback */
    void (*cb)(void *arg);
    void *arg;
};

static void
on_timer(uv_timer_t *t)
{
    struct server_timer *st = t->data;
    st->cb(st->arg);
}

struct server_timer *
server_timer_new(struct server *srv, void (*cb)(void *arg), void *arg)
{
    struct server_timer *t = xcalloc(1, sizeof(*t));
    uv_timer_init(&srv->loop, &t->timer);
    t->timer.data = t;
    t->srv = srv;
    t->cb = cb;
    t->arg = arg;
    uhandle_add(srv, &t->u, (uv_handle_t *)&t->timer);
    return t;
}

void
server_timer_start(struct server_timer *t, uint64_t ms, uint64_t repeat_ms)
{
    uv_timer_start(&t->timer, on_timer, ms, repeat_ms);
}

void
server_timer_stop(struct server_timer *t)
{
    uv_timer_stop(&t->timer);
}

void
server_timer_free(struct server_timer *t)
{
    if (t == NULL)
        return;
    uv_timer_stop(&t->timer);
    uhandle_remove(t->srv, &t->u);
    uv_close((uv_handle_t *)&t->timer, free_handle_data);
}

int
server_port(const struct server *srv)
{
    return server_listener_port(srv, 0);
}

int
server_listener_port(const struct server *srv, size_t i)
{
    return i < srv->nlisteners ? srv->listeners[i]->port : 0;
}

int
server_run(struct server *srv)
{
    if (!srv->handles_closed) {
        uv_signal_start(&srv->sigint, on_signal, SIGINT);
        uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
        uv_timer_start(&srv->sweeper, on_sweep, CORE_IDLE_SWEEP_MS, CORE_IDLE_SWEEP_MS);
    }
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    return 0;
}

void
server_replay(struct server *srv, struct flow *f, void (*done)(void *arg), void *arg)
{
    core__replay(srv, f, done, arg);
}
