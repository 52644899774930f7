/*
 * One TCP handle of a proxied connection: turning reads into events,
 * writing CMD_SEND bytes, the write watermarks, half and full close.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "core/internal.h"
#include "flow/connection.h"
#include "proxy/context.h"
#include "tls/session.h"
#include "util/clock.h"
#include "util/xmalloc.h"

/* A write in flight; owns the bytes of one CMD_SEND. */
struct wreq {
    uv_write_t req;
    struct sock *s;
    struct buf data;
};

static void
on_close(uv_handle_t *h)
{
    struct sock *s = h->data;
    struct pconn *pc = s->pc;

    if (s->prev)
        s->prev->next = s->next;
    else
        pc->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    if (pc->csock == s)
        pc->csock = NULL;
    if (s->congested)
        pc->ncongested--;
    if (s->conn) {
        /* The layer may have handed this connection to a newer socket. */
        if (s->conn->driver_data == s)
            s->conn->driver_data = NULL;
        connection_unref(s->conn);
    }
    tls_session_free(s->tls);
    buf_clear(&s->stash);
    buf_clear(&s->corked);
    free(s);
    core__release(pc);
}

struct sock *
core__sock_new(struct pconn *pc)
{
    struct sock *s = xcalloc(1, sizeof(*s));

    uv_tcp_init(&pc->srv->loop, &s->tcp);
    s->tcp.data = s;
    s->pc = pc;
    s->next = pc->socks;
    if (pc->socks)
        pc->socks->prev = s;
    pc->socks = s;
    core__hold(pc);
    return s;
}

void
core__sock_attach(struct sock *s, struct connection *conn)
{
    s->conn = connection_ref(conn);
    conn->driver_data = s;
    s->connected = 1;
    /* An accepted socket has TCP_NODELAY from its listener already (Linux
     * copies it on accept), which saves a setsockopt() per connection. */
    if (conn->side != CONN_CLIENT)
        uv_tcp_nodelay(&s->tcp, 1);
}

static void
start_close(struct sock *s)
{
    if (s->closing)
        return;
    s->closing = 1;
    s->reading = 0;
    uv_close((uv_handle_t *)&s->tcp, on_close);
}

void
core__sock_discard(struct sock *s)
{
    s->finished = 1;
    start_close(s);
}

void
core__sockaddr_host(const struct sockaddr *sa, char *host, size_t hostlen, uint16_t *port)
{
    host[0] = '\0';
    *port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        uv_ip4_name(in, host, hostlen);
        *port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        *port = ntohs(in6->sin6_port);
        /* A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d; show
         * them as IPv4, as mitmproxy's format_address does. */
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            struct sockaddr_in in = {.sin_family = AF_INET};
            memcpy(&in.sin_addr, &in6->sin6_addr.s6_addr[12], 4);
            uv_ip4_name(&in, host, hostlen);
        } else {
            uv_ip6_name(in6, host, hostlen);
        }
    }
}

void
core__sock_fail(struct sock *s, const char *what, int status)
{
    struct connection *c = s->conn;

    if (c == NULL) {
        /* Not attached yet: a handshake of the opener owns the socket. */
        if (s->hs && !s->finished)
            s->hs(s, NULL, status < 0 ? status : UV_EIO);
        return;
    }
    if (s->finished || s->pc->dead)
        return;
    if (s == s->pc->csock) {
        core__client_gone(s->pc);
        if (s->finished || s->pc->dead)
            return;
    }
    s->eof = 1;
    c->state = CONN_CLOSED;
    if (what && !c->error) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s%s", what, uv_strerror(status));
        c->error = xstrdup(msg);
    }
    struct event ev = {.type = EV_CLOSED, .conn = c};
    core__feed(s->pc, &ev);
    core__sock_finish(s, 1);
    core__settle(s->pc);
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct sock *s = h->data;

    (void)suggested;
    /* A watch reads no more than its stash still takes. */
    size_t n = s->watching ? CORE_STASH_MAX - s->stash.len : CORE_READ_SIZE;
    *b = uv_buf_init(s->pc->srv->readbuf, (unsigned)n);
}

/* The end of reading: the peer's FIN, or its TLS close_notify. */
static void read_eof(struct sock *s);

/*
 * A read while the layers may not read (core__sock_watch): bytes are kept
 * for them; an end stops reading and tells the holders of the waiting
 * flows at once. Either way the layers see nothing until the stash is fed.
 */
static void
watch_read(struct sock *s, const char *p, ssize_t n)
{
    if (n > 0) {
        buf_append(&s->stash, p, (size_t)n);
        if (s->stash.len >= CORE_STASH_MAX)
            core__sock_read(s, 0); /* back-pressure, as the pause gave */
        return;
    }
    s->stash_end = (int)n;
    core__sock_read(s, 0);
    core__client_gone(s->pc);
}

/* Transport TLS: decrypts what arrived and feeds the plaintext. */
static void
read_tls(struct sock *s, const char *p, size_t n)
{
    struct buf plain = BUF_INIT, out = BUF_INIT;
    struct err e = {0};

    tls_session_feed(s->tls, (const uint8_t *)p, n);
    int r = tls_session_read(s->tls, &plain, &e);
    tls_session_take_output(s->tls, &out);
    /* TLS may answer while reading (key updates); not once our FIN is out. */
    if (!s->shut)
        core__sock_send_raw(s, &out);
    buf_clear(&out);
    if (plain.len > 0 && !s->finished && !s->pc->dead) {
        struct event ev = {.type = EV_DATA, .conn = s->conn};
        ev.data = buf_slice(&plain);
        core__feed(s->pc, &ev);
    }
    buf_clear(&plain);
    if (s->finished || s->pc->dead)
        return;
    if (r < 0) {
        if (!s->conn->error) {
            char msg[400];
            snprintf(msg, sizeof(msg), "TLS error on the connection to the upstream proxy: %s",
                     e.msg);
            s->conn->error = xstrdup(msg);
        }
        core__sock_fail(s, NULL, 0);
        return;
    }
    if (r == 1)
        read_eof(s);
}

static void
on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct sock *s = st->data;
    struct pconn *pc = s->pc;

    if (n == 0 || s->finished || pc->dead)
        return;
    if (s->hs) {
        s->hs(s, b->base, n);
        return;
    }
    if (s->watching) {
        watch_read(s, b->base, n);
        return;
    }
    if (n > 0 && s->tls) {
        read_tls(s, b->base, (size_t)n);
        return;
    }
    if (n > 0) {
        struct event ev = {.type = EV_DATA, .conn = s->conn};
        ev.data = slice_from(b->base, (size_t)n);
        core__feed(pc, &ev);
        return;
    }
    if (n != UV_EOF) {
        core__sock_fail(s, "", (int)n);
        return;
    }
    read_eof(s);
}

static void
read_eof(struct sock *s)
{
    struct pconn *pc = s->pc;

    if (s->eof)
        return;
    if (s == pc->csock) {
        core__client_gone(pc);
        if (s->finished || pc->dead)
            return;
    }
    /* The peer's FIN: we may still write (mitmproxy keeps the writer open
     * until the layer closes it), so only reading ends here. */
    s->eof = 1;
    uv_read_stop((uv_stream_t *)&s->tcp);
    s->reading = 0;
    s->conn->state &= ~CONN_CAN_READ;
    struct event ev = {.type = EV_CLOSED, .conn = s->conn};
    core__feed(pc, &ev);
    if (s->conn->state == CONN_CLOSED)
        core__sock_finish(s, 0);
    core__settle(pc);
}

void
core__sock_read(struct sock *s, int on)
{
    s->watching = 0;
    if (on == (int)s->reading)
        return;
    if (on) {
        if (uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read) == 0)
            s->reading = 1;
    } else {
        uv_read_stop((uv_stream_t *)&s->tcp);
        s->reading = 0;
    }
}

/*
 * Watching rather than peeking at the socket when the flow goes on: a
 * peek sees a FIN only with nothing before it, and only when somebody
 * looks; readability without reading would wake the loop for every byte
 * waiting. Reading into a bounded stash sees the end when it comes and
 * loses nothing, and a paused socket was read until the pause began anyway.
 */
void
core__sock_watch(struct sock *s)
{
    if (s->stash_end != 0 || s->stash.len >= CORE_STASH_MAX) {
        core__sock_read(s, 0);
        return;
    }
    if (!s->reading && uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read) == 0)
        s->reading = 1;
    s->watching = s->reading;
}

int
core__sock_stashed(const struct sock *s)
{
    return s->stash.len > 0 || s->stash_end != 0;
}

void
core__sock_unstash(struct sock *s, int end_only)
{
    struct pconn *pc = s->pc;

    if (s->finished || pc->dead || !core__sock_stashed(s) || (end_only && s->stash.len > 0))
        return;
    if (s->stash.len > 0) {
        /* The end, if any, stays stashed: the feed ends by settling, whose
         * core__update_reads delivers it if the layers read on, or keeps
         * it while they wait again (a pipelined request intercepted). */
        struct buf data = BUF_INIT;
        buf_move(&data, &s->stash);
        struct event ev = {.type = EV_DATA, .conn = s->conn};
        ev.data = buf_slice(&data);
        core__feed(pc, &ev);
        buf_clear(&data);
        return;
    }
    int end = s->stash_end;
    s->stash_end = 0;
    if (end == UV_EOF)
        read_eof(s);
    else
        core__sock_fail(s, "", end);
}

static void
set_congested(struct sock *s, int on)
{
    if (on == (int)s->congested)
        return;
    s->congested = on;
    s->pc->ncongested += on ? 1 : -1;
}

static void
on_write(uv_write_t *req, int status)
{
    struct wreq *w = req->data;
    struct sock *s = w->s;
    struct pconn *pc = s->pc;

    s->queued -= w->data.len;
    buf_clear(&w->data);
    free(w);
    if (status < 0 && status != UV_ECANCELED && !pc->dead) {
        core__sock_fail(s, "Error sending data: ", status);
        return;
    }
    if (s->congested && s->queued < CORE_WRITE_LOW) {
        set_congested(s, 0);
        if (!pc->feeding)
            core__update_reads(pc);
    }
}

/*
 * While the client's feed runs, a send only joins what the socket corked:
 * one turn often answers many exchanges (the streams of an HTTP/2
 * connection, each finishing in a hook answer of its own), and a write(2)
 * each cost more than all the rest of the work for a small response. The
 * feed writes them when it ends, before the loop waits again.
 */
static void flush(struct sock *s);

static void
deliver(struct sock *s, struct buf *data)
{
    if (!s->pc->feeding) {
        core__sock_send_raw(s, data);
        return;
    }
    /* A large send (a buffered body, say) is written as it is, after what
     * was corked before it: copying it behind a small one would cost a
     * copy of the body and its size again in memory. */
    if (s->corked.len + data->len > CORE_CORK_MAX) {
        flush(s);
        core__sock_send_raw(s, data);
        return;
    }
    if (s->corked.len == 0) {
        buf_move(&s->corked, data);
    } else {
        buf_append(&s->corked, buf_ptr(data), data->len);
        buf_reset(data);
    }
}

/* Writes what s corked; a write that fails fails the socket (finishing it). */
static void
flush(struct sock *s)
{
    if (s->corked.len == 0)
        return;
    struct buf b = BUF_INIT;
    buf_move(&b, &s->corked);
    if (!s->closing)
        core__sock_send_raw(s, &b);
    buf_clear(&b);
}

void
core__sock_flush_all(struct pconn *pc)
{
    /* A failed write feeds EV_CLOSED, but a socket leaves the list only in
     * its close callback, so the walk stays valid. */
    for (struct sock *s = pc->socks; s; s = s->next)
        flush(s);
}

void
core__sock_send(struct sock *s, struct buf *data)
{
    if (s->tls && data->len > 0) {
        struct buf out = BUF_INIT;
        struct err e = {0};
        int r = tls_session_write(s->tls, buf_ptr(data), data->len, &e);
        tls_session_take_output(s->tls, &out);
        buf_reset(data);
        deliver(s, &out);
        buf_clear(&out);
        if (r < 0 && s->conn && !s->conn->error) {
            char msg[400];
            snprintf(msg, sizeof(msg), "TLS error on the connection to the upstream proxy: %s",
                     e.msg);
            s->conn->error = xstrdup(msg);
            core__sock_fail(s, NULL, 0);
        }
        return;
    }
    if (data->len > 0)
        deliver(s, data);
}

void
core__sock_send_raw(struct sock *s, struct buf *data)
{
    if (data->len == 0)
        return;
    /* With nothing queued, most sends fit the socket buffer at once: write
     * them now and skip the request allocation and the callback. */
    if (s->queued == 0) {
        uv_buf_t b = uv_buf_init((char *)buf_ptr(data), (unsigned)data->len);
        int n = uv_try_write((uv_stream_t *)&s->tcp, &b, 1);
        if (n == (int)data->len)
            return;
        if (n > 0)
            buf_consume(data, (size_t)n);
        else if (n != UV_EAGAIN && n != UV_ENOSYS) {
            core__sock_fail(s, "Error sending data: ", n);
            return;
        }
    }
    struct wreq *w = xmalloc(sizeof(*w));
    w->s = s;
    w->req.data = w;
    buf_init(&w->data);
    buf_move(&w->data, data);
    uv_buf_t b = uv_buf_init((char *)buf_ptr(&w->data), (unsigned)w->data.len);
    s->queued += w->data.len;
    int r = uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, on_write);
    if (r < 0) {
        s->queued -= w->data.len;
        buf_clear(&w->data);
        free(w);
        core__sock_fail(s, "Error sending data: ", r);
        return;
    }
    if (s->queued > CORE_WRITE_HIGH)
        set_congested(s, 1);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
    struct sock *s = req->data;

    (void)status;
    free(req); /* libuv calls back once, also when a close cancels it */
    s->shutting = 0;
    if (s->close_pending)
        start_close(s);
}

static int
shutdown_sock(struct sock *s)
{
    if (s->shut || s->closing)
        return -1;
    s->shut = 1;
    /* Made here, not kept in the sock: an idle connection does not pay for it. */
    uv_shutdown_t *req = xmalloc(sizeof(*req));
    req->data = s;
    if (uv_shutdown(req, (uv_stream_t *)&s->tcp, on_shutdown) < 0) {
        free(req);
        return -1;
    }
    s->shutting = 1;
    return 0;
}

void
core__sock_half_close(struct sock *s)
{
    struct connection *c = s->conn;

    flush(s); /* our FIN comes after what was sent before it */
    if (s->finished || !(c->state & CONN_CAN_WRITE))
        return;
    c->state &= ~CONN_CAN_WRITE;
    if (c->state == CONN_CLOSED) {
        core__sock_finish(s, 0);
        return;
    }
    if (s->tls) {
        /* Our half of the transport TLS ends with a close_notify. */
        struct buf out = BUF_INIT;
        tls_session_close_notify(s->tls);
        tls_session_take_output(s->tls, &out);
        core__sock_send_raw(s, &out);
        buf_clear(&out);
    }
    shutdown_sock(s);
}

void
core__sock_finish(struct sock *s, int hard)
{
    struct connection *c = s->conn;

    if (hard)
        buf_clear(&s->corked);
    else
        flush(s); /* a failed write finishes s itself */
    if (s->finished) {
        if (hard)
            start_close(s);
        return;
    }
    s->finished = 1;
    c->state = CONN_CLOSED;
    /* A client may have ended earlier: the watch of its waiting flow saw it. */
    if (c->side != CONN_CLIENT || c->timestamp_end == 0)
        c->timestamp_end = clock_now();
    if (s->reading)
        core__sock_read(s, 0);
    /*
     * A full close from the layer flushes what it already sent (asyncio's
     * transport.close() does the same): with writes pending we shut down
     * first, which waits for them, and close when that completes. A hard
     * close (teardown on stop, connection errors) drops them.
     */
    if (hard) {
        start_close(s);
    } else if (s->shutting) {
        s->close_pending = 1;
    } else if (s->queued > 0 && shutdown_sock(s) == 0) {
        s->close_pending = 1;
    } else {
        start_close(s);
    }
    if (c->side == CONN_SERVER)
        core__server_closed(s->pc, c);
    else if (s == s->pc->csock)
        core__client_gone(s->pc); /* the layers closed it while a flow waits */
}
