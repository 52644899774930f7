/*
 * One proxied client connection (mitmproxy's proxy/server.py
 * ConnectionHandler): feeds the layer stack events and carries out the
 * commands it emits.
 *
 * layer_feed() is never entered twice for one client. Events that turn up
 * while commands of a feed are being carried out (a hook that finishes at
 * once, a failed write) go into pc->inbox and the same loop feeds them after
 * the current call returns, in order.
 */
/* netinet/in.h before the linux/ headers, or they define in_addr twice. */
#include <netinet/in.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/internal.h"
#include "flow/connection.h"
#include "flow/flow.h"
#include "proxy/command.h"
#include "proxy/context.h"
#include "proxy/layer.h"
#include "proxy/proxy.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* A CMD_WAKEUP timer. */
struct wake {
    uv_timer_t t;
    struct pconn *pc;
    uint64_t id;
    struct wake *next;
    struct wake *prev;
};

static void teardown(struct pconn *pc, int hard);

/*
 * Transparent mode: where the client's connection was going before the
 * firewall's REDIRECT rule sent it to us (netfilter's SO_ORIGINAL_DST).
 * Fails when there was no such rule, and also when the "original"
 * destination is our own listening address: connecting there would loop.
 */
static int
original_dst(uv_tcp_t *tcp, const struct addr *sockname, struct addr *out)
{
    uv_os_fd_t fd;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[64];
    uint16_t port;

    if (uv_fileno((uv_handle_t *)tcp, &fd) < 0)
        return -1;
    memset(&ss, 0, sizeof(ss));
    if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &ss, &len) < 0) {
        len = sizeof(ss);
        if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &ss, &len) < 0)
            return -1;
    }
    core__sockaddr_host((struct sockaddr *)&ss, host, sizeof(host), &port);
    if (sockname->host && strcmp(sockname->host, host) == 0 && sockname->port == port)
        return -1;
    addr_set(out, host, port);
    return 0;
}

/* Frees what post() gave an event in the inbox: its bytes, its error
 * text and its reference on an injection's flow. */
static void
inbox_event_clear(struct event *ev)
{
    free((void *)ev->data.p);
    free((void *)ev->err);
    if (ev->flow)
        flow_unref(ev->flow);
}

static void
pc_free(struct pconn *pc)
{
    struct server *srv = pc->srv;

    if (pc->prev)
        pc->prev->next = pc->next;
    else
        srv->pconns = pc->next;
    if (pc->next)
        pc->next->prev = pc->prev;
    while (pc->iblen > 0) {
        inbox_event_clear(&pc->inbox[pc->ibhead]);
        pc->ibhead = (pc->ibhead + 1) % pc->ibcap;
        pc->iblen--;
    }
    free(pc->inbox);
    if (pc->ctx)
        context_free(pc->ctx);
    core__udp_query_end(pc);
    free(pc);
}

void
core__hold(struct pconn *pc)
{
    pc->holds++;
}

void
core__release(struct pconn *pc)
{
    if (--pc->holds == 0)
        pc_free(pc);
}

/* Queues an owned copy of ev; the bytes and the error text are copied, an
 * injection's flow referenced. */
static void
post(struct pconn *pc, const struct event *ev)
{
    if (pc->iblen == pc->ibcap) {
        size_t ncap = pc->ibcap ? pc->ibcap * 2 : 8;
        struct event *v = xmalloc(ncap * sizeof(*v));
        for (size_t i = 0; i < pc->iblen; i++)
            v[i] = pc->inbox[(pc->ibhead + i) % pc->ibcap];
        free(pc->inbox);
        pc->inbox = v;
        pc->ibhead = 0;
        pc->ibcap = ncap;
    }
    struct event *e = &pc->inbox[(pc->ibhead + pc->iblen) % pc->ibcap];
    *e = *ev;
    e->data.p = ev->data.len ? xmemdup(ev->data.p, ev->data.len) : NULL;
    e->err = ev->err ? xstrdup(ev->err) : NULL;
    if (e->flow)
        flow_ref(e->flow);
    pc->iblen++;
}

static struct sock *
sock_of(const struct connection *c)
{
    return c ? c->driver_data : NULL;
}

static void on_hook_done(struct hook_call *call, void *arg);

static void
unpark(struct hjob *job)
{
    struct pconn *pc = job->pc;
    if (job->prev_parked)
        job->prev_parked->next_parked = job->next_parked;
    else
        pc->parked = job->next_parked;
    if (job->next_parked)
        job->next_parked->prev_parked = job->prev_parked;
    job->next_parked = job->prev_parked = NULL;
}

/* flow_resume() (or flow_kill()) of a flow that waited in a hook. */
static void
on_flow_resumed(struct flow *f, void *arg)
{
    struct hjob *job = arg;
    struct pconn *pc = job->pc;
    (void)f;
    unpark(job);
    /* A client that left while its flow waited (the watch saw it go) is
     * the flow's news at once, even if its layers now wait for something
     * else: it goes on and ends with "Client disconnected." */
    core__hold(pc);
    on_hook_done(&job->call, job);
    if (!pc->dead && !pc->vclient && pc->csock)
        core__sock_unstash(pc->csock, 1);
    core__release(pc);
}

/* Whether a flow waits in interception and its layer does not read meanwhile. */
static int
parked_pausing(const struct pconn *pc)
{
    for (const struct hjob *job = pc->parked; job; job = job->next_parked)
        if (job->pausing)
            return 1;
    return 0;
}

void
core__client_gone(struct pconn *pc)
{
    /* A teardown lets the waiting flows go on, which their hooks show. */
    if (pc->client_left || pc->parked == NULL || pc->dead)
        return;
    /* Client.timestamp_end is what the UIs show ("Client conn. closed"); the
     * state stays as it is until the layers see the end, which they read. */
    pc->client_left = 1;
    if (pc->client->timestamp_end == 0)
        pc->client->timestamp_end = clock_now();
    size_t n = 0;
    for (struct hjob *job = pc->parked; job; job = job->next_parked)
        n++;
    struct flow **v = xcalloc(n, sizeof(*v));
    n = 0;
    for (struct hjob *job = pc->parked; job; job = job->next_parked)
        v[n++] = job->data.flow;
    addon_trigger_update(pc->srv->chain, v, n);
    free(v);
}

static void
on_hook_done(struct hook_call *call, void *arg)
{
    struct hjob *job = arg;
    struct pconn *pc = job->pc;

    (void)call;
    /* mitmproxy's wait_for_resume(): an intercepted flow waits here, its
     * hook answered, until flow_resume() or flow_kill(). Only this flow's
     * layer waits; a client that leaves meanwhile is seen by the watch
     * (core__update_reads) and the flow's holders are told then. */
    struct flow *f = job->data.flow;
    if (f && f->intercepted && !pc->dead) {
        f->resume = on_flow_resumed;
        f->resume_arg = job;
        job->next_parked = pc->parked;
        if (pc->parked)
            pc->parked->prev_parked = job;
        pc->parked = job;
        return;
    }
    hook_data_clear(&job->data);
    if (job->then) {
        job->then(job);
    } else if (job->blocking) {
        pc->blocking--;
        pc->pausing -= job->pausing;
        struct event ev = {.type = EV_DONE, .cmd_id = job->id};
        core__feed(pc, &ev);
    }
    free(job);
    core__settle(pc);
    core__release(pc);
}

static void
run_job(struct pconn *pc, struct hjob *job)
{
    job->pc = pc;
    core__hold(pc);
    if (pc->srv->chain)
        addon_dispatch(pc->srv->chain, &job->call, &job->data, on_hook_done, job);
    else
        on_hook_done(&job->call, job);
}

void
core__hook(struct pconn *pc, enum hook hook, struct connection *server, void (*then)(struct hjob *),
           void *arg)
{
    struct hook_data d;

    hook_data_init(&d, hook, NULL, pc->client, server);
    core__hook_data(pc, &d, then, arg);
}

void
core__hook_data(struct pconn *pc, struct hook_data *data, void (*then)(struct hjob *), void *arg)
{
    struct hjob *job = xcalloc(1, sizeof(*job));

    job->then = then;
    job->arg = arg;
    job->data = *data; /* the references move */
    memset(data, 0, sizeof(*data));
    run_job(pc, job);
}

static void
on_wake_close(uv_handle_t *h)
{
    struct wake *w = h->data;
    struct pconn *pc = w->pc;

    free(w);
    core__release(pc);
}

static void
wake_unlink(struct wake *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        w->pc->wakes = w->next;
    if (w->next)
        w->next->prev = w->prev;
    uv_close((uv_handle_t *)&w->t, on_wake_close);
}

static void
on_wake(uv_timer_t *t)
{
    struct wake *w = t->data;
    struct pconn *pc = w->pc;
    struct event ev = {.type = EV_WAKEUP, .cmd_id = w->id};

    wake_unlink(w);
    core__feed(pc, &ev);
}

static void
exec_wakeup(struct pconn *pc, const struct command *c)
{
    struct wake *w = xcalloc(1, sizeof(*w));

    uv_timer_init(&pc->srv->loop, &w->t);
    w->t.data = w;
    w->pc = pc;
    w->id = c->id;
    w->next = pc->wakes;
    if (pc->wakes)
        pc->wakes->prev = w;
    pc->wakes = w;
    core__hold(pc);
    uv_timer_start(&w->t, on_wake, c->delay_ms, 0);
}

static void
exec_hook(struct pconn *pc, struct command *c)
{
    struct hjob *job = xcalloc(1, sizeof(*job));

    /* The hook outlives the command: steal its references. */
    job->data = c->hook;
    memset(&c->hook, 0, sizeof(c->hook));
    job->id = c->id;
    job->blocking = c->blocking;
    job->pausing = c->blocking && !c->reads_on;
    if (job->blocking)
        pc->blocking++;
    pc->pausing += job->pausing;
    run_job(pc, job);
}

/* The client has no socket of its own (a replay's, or a UDP query's): it
 * is gone once the layers close it, and closing it ends the pconn. */
static int
sockless(const struct pconn *pc)
{
    return pc->vclient || pc->dgram;
}

static void
close_sockless(struct pconn *pc)
{
    pc->vclosed = 1;
    pc->client->state = CONN_CLOSED;
}

static void
exec_close(struct pconn *pc, struct command *c)
{
    struct sock *s = sock_of(c->conn);

    if (sockless(pc) && c->conn == pc->client) {
        close_sockless(pc);
        return;
    }
    if (c->conn->udp) {
        core__udp_close(c->conn);
        return;
    }
    /* Never opened, failed to open, or closed already: nothing to do. */
    if (!s || s->finished)
        return;
    if (c->half_close)
        core__sock_half_close(s);
    else
        core__sock_finish(s, 0);
}

static void
exec(struct pconn *pc, struct command *c)
{
    struct sock *s;

    switch (c->type) {
    case CMD_OPEN:
        if (c->conn->udp)
            core__udp_open(pc, c->conn, c->id);
        else
            core__open(pc, c->conn, c->id, !c->reads_on);
        break;
    case CMD_SEND:
        if (pc->dgram && c->conn == pc->client) {
            core__udp_reply(pc, &c->data);
            break;
        }
        if (c->conn->udp) {
            core__udp_send(c->conn, &c->data);
            break;
        }
        s = sock_of(c->conn);
        /* mitmproxy drops sends to connections that are gone, and so do we. */
        if (s && !s->finished && !s->closing && (c->conn->state & CONN_CAN_WRITE))
            core__sock_send(s, &c->data);
        break;
    case CMD_CLOSE:
        exec_close(pc, c);
        break;
    case CMD_HOOK:
        exec_hook(pc, c);
        break;
    case CMD_LOG:
        /* Layers write the "<client>: " prefix themselves. */
        log_msg(c->level, "%s", c->msg ? c->msg : "");
        break;
    case CMD_WAKEUP:
        exec_wakeup(pc, c);
        break;
    }
}

static void
feed_one(struct pconn *pc, const struct event *ev)
{
    struct cmdq out;
    struct command *c;

    cmdq_init(&out);
    layer_feed(pc->root, ev, &out);
    while ((c = cmdq_pop(&out)) != NULL) {
        exec(pc, c);
        cmd_free(c);
    }
}

void
core__feed(struct pconn *pc, const struct event *ev)
{
    if (pc->dead || !pc->root)
        return;
    if (pc->feeding) {
        post(pc, ev);
        return;
    }
    pc->feeding = 1;
    pc->last_active = uv_now(&pc->srv->loop);
    feed_one(pc, ev);
    while (pc->iblen > 0 && !pc->dead) {
        struct event e = pc->inbox[pc->ibhead];
        pc->ibhead = (pc->ibhead + 1) % pc->ibcap;
        pc->iblen--;
        feed_one(pc, &e);
        inbox_event_clear(&e);
    }
    /* Layers that only pass events down now (a CONNECT's HTTP layer) go. */
    if (!pc->dead && pc->root)
        pc->root = layer_collapse(pc->root);
    /* The ring is only needed while a feed runs into another event (a hook
     * answered at once, a read during a write callback): an idle connection
     * need not keep its 512 bytes. */
    if (pc->iblen == 0 && pc->inbox) {
        free(pc->inbox);
        pc->inbox = NULL;
        pc->ibcap = pc->ibhead = 0;
    }
    pc->feeding = 0;
    core__sock_flush_all(pc);
    core__settle(pc);
}

void
core__update_reads(struct pconn *pc)
{
    struct sock *unstash = NULL;
    for (struct sock *s = pc->socks; s; s = s->next) {
        if (s->hs)
            continue; /* an opener's handshake reads on its own */
        /* Reading pauses while a blocking command is out whose layer says
         * so (the flow waits; command.reads_on) and while another
         * connection of this client is over its write watermark
         * (backpressure). */
        int open = s->connected && !s->finished && !s->eof && !s->closing && !pc->dead && pc->root;
        int want = open && pc->pausing == 0 && pc->ncongested - (int)s->congested == 0;
        if (!want && open && s == pc->csock && pc->parked && parked_pausing(pc)) {
            /* A flow waits in interception: see its client leave (sock.c). */
            core__sock_watch(s);
            continue;
        }
        if (want && core__sock_stashed(s)) {
            /* What the watch kept goes first; after an end, nothing is read. */
            unstash = s;
            want = s->stash_end == 0;
        }
        core__sock_read(s, want);
    }
    if (unstash)
        core__sock_unstash(unstash, 0);
}

void
core__settle(struct pconn *pc)
{
    if (pc->feeding || pc->dead)
        return;
    if (pc->kill) {
        teardown(pc, 1);
        return;
    }
    /* mitmproxy's handle_client ends when the client's handler does; we also
     * let outstanding opens and hooks answer first, so the layers see them. */
    int client_gone = sockless(pc) ? pc->vclosed : (!pc->csock || pc->csock->finished);
    if (client_gone && pc->blocking == 0) {
        teardown(pc, 0);
        return;
    }
    core__update_reads(pc);
}

void
core__sweep_idle(struct server *srv)
{
    uint64_t now = uv_now(&srv->loop);
    struct pconn *next;

    for (struct pconn *pc = srv->pconns; pc; pc = next) {
        next = pc->next;
        if (pc->dead || pc->vclient || pc->blocking > 0 || !pc->csock || pc->csock->finished ||
            now - pc->last_active < CORE_IDLE_TIMEOUT_MS)
            continue;
        log_msg(LOG_INFO, "%s: Closing connection due to inactivity: Client(%s, state=open)",
                pc->peer, pc->peer);
        core__sock_fail(pc->csock, NULL, 0);
    }
}

void
core__kill(struct pconn *pc)
{
    pc->kill = 1;
    core__settle(pc);
}

void
core__server_addr(const struct connection *c, char *out, size_t outlen)
{
    char a[300];
    char p[300];

    addr_format(&c->address, a, sizeof(a));
    if (c->peername.host && c->address.host && strcmp(c->peername.host, c->address.host) != 0) {
        addr_format(&c->peername, p, sizeof(p));
        snprintf(out, outlen, "%s (%s)", a, p);
    } else {
        snprintf(out, outlen, "%s", a);
    }
}

void
core__server_closed(struct pconn *pc, struct connection *server)
{
    char addr[640];

    core__server_addr(server, addr, sizeof(addr));
    log_msg(LOG_INFO, "%sserver disconnect %s", pc->ctx->log_prefix, addr);
    core__hook(pc, HOOK_SERVER_DISCONNECTED, server, NULL, NULL);
}

static void
teardown(struct pconn *pc, int hard)
{
    pc->dead = 1;
    if (!pc->vclient && !pc->app)
        log_msg(LOG_INFO, "%sclient disconnect", pc->ctx->log_prefix);
    if (pc->csock)
        core__sock_finish(pc->csock, hard);
    if (pc->client && pc->client->timestamp_end == 0 && !pc->vclient)
        pc->client->timestamp_end = clock_now();
    if (pc->ctx && !pc->vclient && !pc->app)
        core__hook(pc, HOOK_CLIENT_DISCONNECTED, NULL, NULL, NULL);
    for (struct sock *s = pc->socks; s; s = s->next) {
        if (s != pc->csock && s->conn)
            core__sock_finish(s, hard);
    }
    while (pc->openers)
        core__open_cancel(pc->openers);
    core__udp_teardown(pc);
    while (pc->wakes)
        wake_unlink(pc->wakes);
    /* Intercepted flows of a connection torn down (server stop) wait no
     * more: they end as their layers did. */
    while (pc->parked) {
        struct hjob *job = pc->parked;
        struct flow *f = job->data.flow;
        unpark(job);
        f->resume = NULL;
        f->intercepted = 0;
        on_hook_done(&job->call, job);
    }
    layer_free(pc->root);
    pc->root = NULL;
    if (pc->replay_done) {
        void (*done)(void *) = pc->replay_done;
        pc->replay_done = NULL;
        done(pc->replay_arg);
    }
    core__release(pc);
}

static void
after_client_connected(struct hjob *job)
{
    struct pconn *pc = job->pc;

    pc->blocking--;
    pc->pausing--;
    if (pc->dead)
        return;
    if (pc->client->error) {
        log_msg(LOG_INFO, "%sclient kill connection", pc->ctx->log_prefix);
        if (pc->csock)
            core__sock_finish(pc->csock, 0);
        else
            close_sockless(pc);
        return;
    }
    pc->root = proxy_root_layer_new(pc->ctx);
    struct event ev = {.type = EV_START};
    core__feed(pc, &ev);
}

/* A new client connection's state, linked into the server's list. */
static struct pconn *
pconn_new(struct server *srv)
{
    struct pconn *pc = xcalloc(1, sizeof(*pc));
    pc->srv = srv;
    pc->holds = 1; /* dropped by teardown */
    pc->last_active = uv_now(&srv->loop);
    pc->next = srv->pconns;
    if (srv->pconns)
        srv->pconns->prev = pc;
    srv->pconns = pc;
    return pc;
}

void
core__accept(struct listener *l)
{
    struct server *srv = l->srv;
    struct pconn *pc = pconn_new(srv);

    struct sock *s = core__sock_new(pc);
    if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)&s->tcp) < 0) {
        core__sock_discard(s);
        pc->dead = 1;
        core__release(pc);
        return;
    }

    struct connection *client = connection_new(CONN_CLIENT);
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char host[64];
    uint16_t port;
    if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&ss, &len) == 0) {
        core__sockaddr_host((struct sockaddr *)&ss, host, sizeof(host), &port);
        addr_set(&client->peername, host, port);
        addr_set(&client->address, host, port);
    }
    len = sizeof(ss);
    if (uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&ss, &len) == 0) {
        core__sockaddr_host((struct sockaddr *)&ss, host, sizeof(host), &port);
        addr_set(&client->sockname, host, port);
    }
    client->state = CONN_OPEN;
    client->timestamp_start = clock_now();
    core__sock_attach(s, client);
    pc->csock = s;
    pc->client = client;
    pc->ctx = context_new(client, l->cfg);
    connection_unref(client); /* the sock and the context hold it now */
    addr_format(&client->peername, pc->peer, sizeof(pc->peer));
    if (l->root_new) {
        /* Not a proxy connection: straight to its own root layer. */
        pc->app = 1;
        pc->root = l->root_new(pc->ctx, l->root_arg);
        struct event ev = {.type = EV_START};
        core__feed(pc, &ev);
        return;
    }

    log_msg(LOG_INFO, "%sclient connect", pc->ctx->log_prefix);
    /* Without a destination the transparent layer closes the client, after
     * the usual client hooks, so addons see a complete connection. */
    if (l->cfg->mode.kind == PROXY_MODE_TRANSPARENT &&
        original_dst(&s->tcp, &client->sockname, &pc->ctx->original_dst) < 0)
        log_msg(LOG_WARN,
                "%stransparent mode: cannot read the original destination (no REDIRECT rule?)",
                pc->ctx->log_prefix);
    /* mitmproxy waits for client_connected before it reads a byte. */
    pc->blocking++;
    pc->pausing++;
    core__hook(pc, HOOK_CLIENT_CONNECTED, NULL, after_client_connected, NULL);
}

/*
 * Client replay (mitmproxy's ReplayHandler): a pconn whose client is the
 * saved flow's client connection, without a socket. No client_connected
 * hook, as in mitmproxy; the layers send the request upstream and close
 * the client after the response, which tears the pconn down.
 */
void
core__replay(struct server *srv, struct flow *f, void (*done)(void *arg), void *arg)
{
    struct pconn *pc = pconn_new(srv);
    pc->vclient = 1;
    pc->replay_done = done;
    pc->replay_arg = arg;

    struct connection *client =
        f->client_conn ? connection_ref(f->client_conn) : connection_new(CONN_CLIENT);
    if (client->peername.host == NULL)
        addr_set(&client->peername, "client-playback", 0);
    client->state = CONN_OPEN;
    pc->client = client;
    pc->ctx = context_new(client, srv->cfg);
    context_set_log_prefix(pc->ctx, "[replay] ");
    connection_unref(client); /* the context holds it now */
    addr_format(&client->peername, pc->peer, sizeof(pc->peer));
    pc->root = proxy_replay_layer_new(pc->ctx, f);
    struct event ev = {.type = EV_START};
    core__feed(pc, &ev);
}

/*
 * A UDP client's query (udp.c): mitmproxy 8.1.1 gives each (client, DNS
 * id) a connection of its own, with the client hooks and log lines of any
 * connection. The datagram waits in the inbox until client_connected is
 * through, as a TCP client's first bytes wait in its socket.
 */
void
core__accept_datagram(struct ulisten *ul, const struct sockaddr *peer, uint16_t id, const char *p,
                      size_t n)
{
    struct listener *l = ul->l;
    struct pconn *pc = pconn_new(ul->srv);
    core__udp_query_add(ul, pc, peer, id);

    struct connection *client = connection_new(CONN_CLIENT);
    char host[64];
    uint16_t port;
    core__sockaddr_host(peer, host, sizeof(host), &port);
    addr_set(&client->peername, host, port);
    addr_set(&client->address, host, port);
    if (ul->named)
        addr_set(&client->sockname, ul->host, ul->port);
    client->state = CONN_OPEN;
    client->timestamp_start = clock_now();
    pc->client = client;
    pc->ctx = context_new(client, l->cfg);
    pc->ctx->datagram = 1;
    connection_unref(client); /* the context holds it now */
    addr_format(&client->peername, pc->peer, sizeof(pc->peer));

    log_msg(LOG_INFO, "%sclient connect", pc->ctx->log_prefix);
    pc->blocking++;
    pc->pausing++;
    /* The hook may finish at once: keep the datagram first, so it is fed
     * right after the layers' EV_START. */
    pc->feeding = 1;
    struct event ev = {.type = EV_DATA, .conn = client};
    ev.data = (struct slice){(const uint8_t *)p, n};
    post(pc, &ev);
    pc->feeding = 0;
    core__hook(pc, HOOK_CLIENT_CONNECTED, NULL, after_client_connected, NULL);
}
