/*
 * CMD_OPEN: the server_connect hook, name resolution, the TCP handshake
 * and the server_connected hook, then EV_DONE (mitmproxy's
 * ConnectionHandler.open_connection).
 *
 * Upstream proxies the layers do not see: with upstream:socks5:// every
 * server connection goes through the SOCKS5 proxy (conn->via is set here,
 * the SOCKS5 handshake runs after the TCP handshake), and with
 * upstream:https:// the socket to the upstream proxy speaks TLS (the
 * handshake runs here, then sock.c encrypts and decrypts). As for any
 * server, the session comes from the tls_start_server hook (the tlsconfig
 * addon: verification, SNI, client certificate), and tls_established_server
 * or tls_failed_server follow; the hooks see the proxy as the server, as
 * mitmproxy's tunnel connection. Only after these is the connection
 * reported open.
 *
 * An opener lives from the command until EV_DONE has been fed. Teardown
 * may cancel it in any phase; each callback checks `cancelled` and ends
 * quietly. The opener is freed in its timer's close callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "flow/connection.h"
#include "options/opt.h"
#include "proxy/context.h"
#include "proxy/hook.h"
#include "proxy/socks5_client.h"
#include "tls/session.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

struct opener {
    struct pconn *pc;
    struct connection *conn; /* one reference */
    uint64_t id;
    struct opener *next; /* pc->openers while linked */
    struct opener *prev;
    uv_timer_t timer; /* the connect timeout; its close frees the opener */
    uv_getaddrinfo_t gai;
    uv_connect_t creq;
    struct addrinfo *res; /* owned, from uv_getaddrinfo */
    struct addrinfo *cur; /* next address to try */
    struct sockaddr_storage lit;
    struct sock *s; /* the socket being connected */
    int last_status;
    int pausing; /* counted in pc->pausing until done */
    unsigned linked : 1;
    unsigned resolving : 1;
    unsigned connecting : 1;
    unsigned timed_out : 1;
    unsigned cancelled : 1;
    unsigned ended : 1;
    unsigned handshaking : 1; /* SOCKS5 or TLS with the upstream proxy, on op->s */
    struct socks5_client socks;
    struct tls_session *tls; /* the transport TLS until the sock takes it */
    struct tls_data *tlsd;   /* upstream:https://: the TLS hooks' data; one reference */
    struct buf hsbuf;        /* SOCKS5 replies not consumed yet */
    char host[256];          /* address.host without IPv6 brackets */
    char target[300];        /* "ip:port" being tried */
    char peer_ip[64];        /* ... and its parts: the socket's peername once connected */
    uint16_t peer_port;
    char msg[600];           /* EV_DONE's err; borrowed by the event */
};

/* Where the socket goes: the upstream proxy when there is one, else the destination. */
static const struct addr *
dest(const struct connection *c)
{
    return c->via.host ? &c->via : &c->address;
}

static void try_next(struct opener *op);

static void
unlink_op(struct opener *op)
{
    if (!op->linked)
        return;
    op->linked = 0;
    if (op->prev)
        op->prev->next = op->next;
    else
        op->pc->openers = op->next;
    if (op->next)
        op->next->prev = op->prev;
}

static void
on_op_close(uv_handle_t *h)
{
    struct opener *op = h->data;
    struct pconn *pc = op->pc;

    connection_unref(op->conn);
    tls_session_free(op->tls);
    tls_data_unref(op->tlsd);
    buf_clear(&op->hsbuf);
    free(op);
    core__release(pc);
}

/*
 * Ends the open: feeds EV_DONE (err NULL = success) and frees the opener.
 * loud: record err on the connection (the layer that gets EV_DONE logs it,
 * as mitmproxy's "error establishing server connection").
 */
static void
finish(struct opener *op, const char *err, int loud)
{
    struct pconn *pc = op->pc;

    if (op->ended)
        return;
    op->ended = 1;
    unlink_op(op);
    pc->blocking--;
    pc->pausing -= op->pausing;
    uv_timer_stop(&op->timer);
    if (op->res) {
        uv_freeaddrinfo(op->res);
        op->res = NULL;
    }
    if (err && loud && !op->conn->error)
        op->conn->error = xstrdup(err);
    if (!op->cancelled && !pc->dead) {
        struct event ev = {.type = EV_DONE, .cmd_id = op->id, .err = err};
        core__feed(pc, &ev);
    }
    uv_close((uv_handle_t *)&op->timer, on_op_close);
    core__settle(pc);
}

static void
end(struct opener *op, const char *err)
{
    finish(op, err, 1);
}

static void
end_quiet(struct opener *op, const char *err)
{
    finish(op, err, 0);
}

static void
fail_status(struct opener *op, int status)
{
    if (op->timed_out || status == UV_ETIMEDOUT)
        snprintf(op->msg, sizeof(op->msg), "connection to %s timed out", op->target);
    else if (status == UV_ECONNREFUSED)
        snprintf(op->msg, sizeof(op->msg), "connection to %s refused", op->target);
    else
        snprintf(op->msg, sizeof(op->msg), "connection to %s failed: %s", op->target,
                 uv_strerror(status));
    end(op, op->msg);
}

static void
after_connected(struct hjob *job)
{
    struct opener *op = job->arg;
    struct pconn *pc = op->pc;
    struct connection *c = op->conn; /* op's reference lasts until its close callback */
    struct buf left = BUF_INIT;

    /* What the destination sent right behind the SOCKS5 reply is its data:
     * the layers get it once they know the connection is open. */
    buf_move(&left, &op->hsbuf);
    end(op, NULL);
    struct sock *s = c->driver_data;
    if (left.len > 0 && s && !s->finished && !pc->dead) {
        struct event ev = {.type = EV_DATA, .conn = c};
        ev.data = buf_slice(&left);
        core__feed(pc, &ev);
        core__settle(pc);
    }
    buf_clear(&left);
}

/* The socket is ready for the layers: attach it and report. */
static void
established(struct opener *op)
{
    struct connection *c = op->conn;
    struct sock *s = op->s;
    struct sockaddr_storage ss;
    char host[64];
    uint16_t port;
    int len;

    op->s = NULL;
    op->handshaking = 0;
    s->hs = NULL;
    s->hs_arg = NULL;
    s->tls = op->tls; /* NULL unless upstream:https:// */
    op->tls = NULL;
    uv_timer_stop(&op->timer);
    core__sock_attach(s, c);
    /* The peer is the address connected to: no getpeername() needed. */
    addr_set(&c->peername, op->peer_ip, op->peer_port);
    len = sizeof(ss);
    if (uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&ss, &len) == 0) {
        core__sockaddr_host((struct sockaddr *)&ss, host, sizeof(host), &port);
        addr_set(&c->sockname, host, port);
    }
    c->timestamp_tcp_setup = clock_now();
    c->state = CONN_OPEN;

    char addr[640];
    core__server_addr(c, addr, sizeof(addr));
    log_msg(LOG_INFO, "%sserver connect %s", op->pc->ctx->log_prefix, addr);
    core__hook(op->pc, HOOK_SERVER_CONNECTED, c, after_connected, op);
}

static const struct proxy_mode *
mode_of(const struct opener *op)
{
    return &op->pc->ctx->cfg->mode;
}

/* A handshake with the proxy failed: drop the socket and report why. */
static void
hs_fail(struct opener *op, const char *msg)
{
    op->handshaking = 0;
    op->s->hs = NULL;
    core__sock_discard(op->s);
    op->s = NULL;
    if (msg != op->msg)
        snprintf(op->msg, sizeof(op->msg), "%s", msg);
    end(op, op->msg);
}

/* A read error or EOF while handshaking. */
static void
hs_closed(struct opener *op, const char *what, ssize_t n)
{
    if (n == UV_EOF)
        snprintf(op->msg, sizeof(op->msg), "%s %s closed the connection during the handshake", what,
                 op->target);
    else
        snprintf(op->msg, sizeof(op->msg), "%s %s: connection failed during the handshake: %s",
                 what, op->target, uv_strerror((int)n));
    hs_fail(op, op->msg);
}

static void
on_socks(struct sock *s, const char *p, ssize_t n)
{
    struct opener *op = s->hs_arg;
    struct buf out = BUF_INIT;
    struct err e = {0};

    if (n < 0) {
        hs_closed(op, "SOCKS5 proxy", n);
        return;
    }
    buf_append(&op->hsbuf, p, (size_t)n);
    int r = socks5_client_feed(&op->socks, &op->hsbuf, &out, &e);
    core__sock_send_raw(s, &out);
    buf_clear(&out);
    if (op->s == NULL)
        return; /* the write failed and ended the open */
    if (r < 0) {
        hs_fail(op, e.msg);
        return;
    }
    /* Bytes behind the reply stay in hsbuf for after_connected. */
    if (r == 1)
        established(op);
}

static void
start_socks(struct opener *op)
{
    const struct proxy_mode *m = mode_of(op);
    struct connection *c = op->conn;
    struct buf out = BUF_INIT;
    struct err e = {0};

    socks5_client_init(&op->socks, c->address.host, c->address.port, m->user, m->pass, op->target);
    if (socks5_client_start(&op->socks, &out, &e) < 0) {
        buf_clear(&out);
        hs_fail(op, e.msg);
        return;
    }
    op->s->hs = on_socks;
    core__sock_send_raw(op->s, &out);
    buf_clear(&out);
    if (op->s)
        core__sock_read(op->s, 1);
}

/* Raises a TLS hook about the proxy connection; then(job) may be NULL. */
static void
tls_hook(struct opener *op, enum hook h, void (*then)(struct hjob *))
{
    struct hook_data d;
    hook_data_init(&d, h, NULL, op->pc->client, op->tlsd->conn);
    d.tls = tls_data_ref(op->tlsd);
    core__hook_data(op->pc, &d, then, op);
}

/* The handshake failed: tls_failed_server, then the open ends with why. */
static void
tls_fail(struct opener *op, const char *why)
{
    struct connection *proxy = op->tlsd->conn;
    snprintf(op->msg, sizeof(op->msg), "TLS handshake with upstream proxy %s failed: %s",
             op->target, why);
    free(proxy->error);
    proxy->error = xstrdup(why);
    tls_hook(op, HOOK_TLS_FAILED_SERVER, NULL);
    hs_fail(op, op->msg);
}

/* Runs the TLS handshake as far as it goes; 1 when it is complete. */
static int
tls_step(struct opener *op)
{
    struct buf out = BUF_INIT;
    struct err e = {0};
    int r = tls_session_handshake(op->tls, &e);
    tls_session_take_output(op->tls, &out);
    core__sock_send_raw(op->s, &out);
    buf_clear(&out);
    if (op->s == NULL)
        return -1;
    if (r < 0) {
        tls_fail(op, e.msg);
        return -1;
    }
    return r;
}

/* The handshake is done: what it agreed on is the proxy connection's, for
 * tls_established_server (whose answer nothing waits for). */
static void
tls_established(struct opener *op)
{
    struct connection *proxy = op->tlsd->conn;
    const char *v;
    proxy->tls_established = 1;
    proxy->timestamp_tls_setup = clock_now();
    proxy->alpn = (v = tls_session_alpn(op->tls)) ? xstrdup(v) : NULL;
    proxy->tls_version = (v = tls_session_version(op->tls)) ? xstrdup(v) : NULL;
    proxy->cipher = (v = tls_session_cipher(op->tls)) ? xstrdup(v) : NULL;
    tls_hook(op, HOOK_TLS_ESTABLISHED_SERVER, NULL);
    established(op);
}

static void
on_tls(struct sock *s, const char *p, ssize_t n)
{
    struct opener *op = s->hs_arg;

    if (n < 0) {
        hs_closed(op, "upstream proxy", n);
        return;
    }
    tls_session_feed(op->tls, (const uint8_t *)p, (size_t)n);
    if (tls_step(op) == 1)
        tls_established(op);
}

/* tls_start_server answered: its session speaks to the proxy. The socket
 * is not read while the hook is out, so only a cancel or the timeout can
 * have come meanwhile. */
static void
after_tls_start(struct hjob *job)
{
    struct opener *op = job->arg;

    if (op->cancelled) {
        core__sock_discard(op->s);
        op->s = NULL;
        end(op, NULL);
        return;
    }
    if (op->timed_out) {
        snprintf(op->msg, sizeof(op->msg), "handshake with upstream proxy %s timed out",
                 op->target);
        hs_fail(op, op->msg);
        return;
    }
    op->tls = tls_data_take_session(op->tlsd);
    if (op->tls == NULL) {
        const char *why = op->tlsd->conn->error ? op->tlsd->conn->error : "no TLS session";
        snprintf(op->msg, sizeof(op->msg), "TLS to upstream proxy %s: %s", op->target, why);
        hs_fail(op, op->msg);
        return;
    }
    op->handshaking = 1;
    op->s->hs = on_tls;
    if (tls_step(op) < 0)
        return;
    core__sock_read(op->s, 1);
}

/* upstream:https://: TLS to the proxy, verified like any upstream server
 * by whoever answers tls_start_server. */
static void
start_tls(struct opener *op)
{
    const struct proxy_mode *m = mode_of(op);
    struct connection *proxy = connection_new(CONN_SERVER);

    addr_set(&proxy->address, m->host, m->port);
    /* SNI carries names only (RFC 6066); an IP is still verified. */
    if (!strchr(m->host, ':') && strspn(m->host, "0123456789.") != strlen(m->host))
        proxy->sni = xstrdup(m->host);
    proxy->http1_only = 1; /* CONNECT and absolute-form requests go over it */
    proxy->timestamp_start = op->conn->timestamp_start;
    op->tlsd = tls_data_new(op->pc->ctx, proxy, NULL, NULL, NULL);
    connection_unref(proxy);
    tls_hook(op, HOOK_TLS_START_SERVER, after_tls_start);
}

/* TCP is up: a handshake with the upstream proxy may come first. */
static void
connected(struct opener *op)
{
    const struct proxy_mode *m = mode_of(op);

    if (m->kind == PROXY_MODE_UPSTREAM_SOCKS5) {
        op->handshaking = 1;
        op->s->hs_arg = op;
        start_socks(op);
        return;
    }
    if (m->kind == PROXY_MODE_UPSTREAM && strcmp(m->scheme, "https") == 0) {
        op->s->hs_arg = op; /* handshaking once tls_start_server has answered */
        start_tls(op);
        return;
    }
    established(op);
}

static void
on_connect(uv_connect_t *req, int status)
{
    struct opener *op = req->data;

    op->connecting = 0;
    if (status == 0 && !op->cancelled && !op->timed_out) {
        connected(op);
        return;
    }
    core__sock_discard(op->s);
    op->s = NULL;
    if (op->cancelled) {
        end(op, NULL);
        return;
    }
    op->last_status = status;
    if (op->timed_out) {
        fail_status(op, UV_ETIMEDOUT);
        return;
    }
    try_next(op);
}

static int
start_connect(struct opener *op, const struct sockaddr *sa)
{
    core__sockaddr_host(sa, op->peer_ip, sizeof(op->peer_ip), &op->peer_port);
    int v6 = strchr(op->peer_ip, ':') != NULL;
    snprintf(op->target, sizeof(op->target), v6 ? "[%s]:%u" : "%s:%u", op->peer_ip, op->peer_port);
    op->s = core__sock_new(op->pc);
    op->creq.data = op;
    int r = uv_tcp_connect(&op->creq, &op->s->tcp, sa, on_connect);
    if (r < 0) {
        core__sock_discard(op->s);
        op->s = NULL;
        op->last_status = r;
        return r;
    }
    op->connecting = 1;
    return 0;
}

/* Tries the remaining resolved addresses in order (happy eyeballs it isn't). */
static void
try_next(struct opener *op)
{
    while (op->cur) {
        struct addrinfo *ai = op->cur;
        op->cur = ai->ai_next;
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        if (start_connect(op, ai->ai_addr) == 0)
            return;
    }
    fail_status(op, op->last_status ? op->last_status : UV_EADDRNOTAVAIL);
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct opener *op = req->data;

    op->resolving = 0;
    op->res = res;
    if (op->cancelled) {
        end(op, NULL);
        return;
    }
    if (op->timed_out) {
        snprintf(op->target, sizeof(op->target), "%s:%u", op->host, dest(op->conn)->port);
        fail_status(op, UV_ETIMEDOUT);
        return;
    }
    if (status < 0) {
        snprintf(op->msg, sizeof(op->msg), "failed to resolve %s: %s", op->host,
                 uv_strerror(status));
        end(op, op->msg);
        return;
    }
    op->cur = res;
    try_next(op);
}

static void
on_timeout(uv_timer_t *t)
{
    struct opener *op = t->data;

    op->timed_out = 1;
    if (op->resolving) {
        uv_cancel((uv_req_t *)&op->gai);
    } else if (op->connecting) {
        core__sock_discard(op->s); /* on_connect follows with UV_ECANCELED */
    } else if (op->handshaking) {
        snprintf(op->msg, sizeof(op->msg), "handshake with upstream proxy %s timed out",
                 op->target);
        hs_fail(op, op->msg);
    }
    /* With tls_start_server out, its continuation sees timed_out. */
}

static void
resolve(struct opener *op)
{
    struct pconn *pc = op->pc;
    struct connection *c = op->conn;
    uint16_t port = dest(c)->port;

    c->timestamp_start = clock_now();
    uv_timer_start(&op->timer, on_timeout, CORE_CONNECT_TIMEOUT_MS, 0);

    /* Literal addresses skip the resolver's thread pool round trip. */
    struct sockaddr_in *in4 = (struct sockaddr_in *)&op->lit;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&op->lit;
    if (uv_ip4_addr(op->host, port, in4) == 0 || uv_ip6_addr(op->host, port, in6) == 0) {
        if (start_connect(op, (struct sockaddr *)&op->lit) < 0)
            fail_status(op, op->last_status);
        return;
    }

    struct addrinfo hints = {0};
    char portstr[8];
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    snprintf(portstr, sizeof(portstr), "%u", port);
    op->gai.data = op;
    int r = uv_getaddrinfo(&pc->srv->loop, &op->gai, on_resolved, op->host, portstr, &hints);
    if (r < 0) {
        snprintf(op->msg, sizeof(op->msg), "failed to resolve %s: %s", op->host, uv_strerror(r));
        end(op, op->msg);
        return;
    }
    op->resolving = 1;
}

static void
after_connect_hook(struct hjob *job)
{
    struct opener *op = job->arg;
    struct connection *c = op->conn;

    if (op->cancelled) {
        end(op, NULL);
        return;
    }
    if (c->error) {
        char addr[300];
        addr_format(&c->address, addr, sizeof(addr));
        log_msg(LOG_INFO, "%sserver connection to %s killed before connect: %s", op->pc->ctx->log_prefix,
                addr, c->error);
        snprintf(op->msg, sizeof(op->msg), "Connection killed: %s", c->error);
        end_quiet(op, op->msg);
        return;
    }
    resolve(op);
}

void
core__open(struct pconn *pc, struct connection *conn, uint64_t cmd_id, int pausing)
{
    struct opener *op = xcalloc(1, sizeof(*op));

    op->pc = pc;
    core__hold(pc);
    op->conn = connection_ref(conn);
    op->id = cmd_id;
    op->linked = 1;
    op->next = pc->openers;
    if (pc->openers)
        pc->openers->prev = op;
    pc->openers = op;
    pc->blocking++;
    op->pausing = pausing;
    pc->pausing += pausing;
    uv_timer_init(&pc->srv->loop, &op->timer);
    op->timer.data = op;

    /* upstream:socks5://: the socket goes to the SOCKS proxy, which goes on
     * to conn->address. */
    const struct proxy_mode *m = &pc->ctx->cfg->mode;
    if (m->kind == PROXY_MODE_UPSTREAM_SOCKS5 && conn->via.host == NULL)
        addr_set(&conn->via, m->host, m->port);
    const char *h = dest(conn)->host;
    if (!h || !*h) {
        snprintf(op->msg, sizeof(op->msg), "Cannot open connection, no hostname given.");
        end(op, op->msg);
        return;
    }
    size_t n = strlen(h);
    if (h[0] == '[' && n > 2 && h[n - 1] == ']')
        snprintf(op->host, sizeof(op->host), "%.*s", (int)(n - 2), h + 1);
    else
        snprintf(op->host, sizeof(op->host), "%s", h);
    core__hook(pc, HOOK_SERVER_CONNECT, conn, after_connect_hook, op);
}

void
core__open_cancel(struct opener *op)
{
    op->cancelled = 1;
    unlink_op(op);
    if (op->resolving) {
        uv_cancel((uv_req_t *)&op->gai);
    } else if (op->connecting) {
        core__sock_discard(op->s);
    } else if (op->handshaking) {
        /* No callback is pending for a handshake: end the open here. */
        op->handshaking = 0;
        op->s->hs = NULL;
        core__sock_discard(op->s);
        op->s = NULL;
        end(op, NULL);
    }
    /* Otherwise a hook is in flight and its continuation ends the open. */
}
