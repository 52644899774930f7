/*
 * UDP for the DNS mode: the listening socket of a DNS server beside its
 * TCP listener, the datagrams of its clients, and UDP connections to an
 * upstream DNS server.
 *
 * A client's query is a connection of its own (8.1.1's proxyserver keys
 * them by client address and DNS id): the first datagram with a new
 * (address, id) makes a pconn whose client has no socket of its own
 * (pc->dgram); what the layers send it goes out of the listener's socket
 * to the client's address, and when the layers close it the pconn ends.
 * A datagram that repeats a query still in flight goes to the same pconn,
 * found in the listener's table of queries by (address, id).
 *
 * Lifetime: the listening socket (struct ulisten) is shared by its TCP
 * listener, the pconns of its clients and the sends in flight, each with a
 * reference; it is freed in its handle's close callback once the listener
 * closed it and the last reference is gone. An upstream socket (struct
 * usock) belongs to its pconn (a hold) and is freed in its close callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "core/internal.h"
#include "flow/connection.h"
#include "proxy/context.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* One datagram on its way out; owns its bytes and a reference on ul. */
struct usend {
    uv_udp_send_t req;
    struct ulisten *ul; /* NULL for an upstream socket's send */
    struct usock *us;   /* NULL for a reply to a client */
    struct buf data;
};

/* A UDP connection to an upstream server (a connected socket). */
struct usock {
    uv_udp_t udp; /* udp.data = this; freed in its close callback */
    struct pconn *pc;
    struct connection *conn; /* one reference */
    struct usock *next;      /* pc->usocks */
    struct usock *prev;
    int sends; /* sends in flight: the handle closes after them */
    unsigned closing : 1;
};

static void
ul_unref(struct ulisten *ul)
{
    if (--ul->refs == 0)
        free(ul);
}

static void
on_ul_close(uv_handle_t *h)
{
    ul_unref(h->data);
}

/* The bucket of (peer, id) in a ulisten's queries: Knuth's multiplicative
 * hash of the address, port and id folded into 32 bits. */
static struct pconn **
bucket(struct ulisten *ul, const struct sockaddr *peer, uint16_t id)
{
    uint32_t h = id;
    if (peer->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)peer;
        h ^= in->sin_addr.s_addr ^ (uint32_t)in->sin_port << 16;
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)peer;
        uint32_t w[4];
        memcpy(w, &in6->sin6_addr, sizeof(w));
        h ^= w[0] ^ w[1] ^ w[2] ^ w[3] ^ (uint32_t)in6->sin6_port << 16;
    }
    h *= 2654435761u;
    return &ul->queries[(h >> 16) & (CORE_UDP_BUCKETS - 1)];
}

void
core__udp_query_add(struct ulisten *ul, struct pconn *pc, const struct sockaddr *peer, uint16_t id)
{
    pc->dgram = ul;
    ul->refs++;
    pc->dgram_id = id;
    memcpy(&pc->dgram_peer, peer,
           peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    struct pconn **b = bucket(ul, peer, id);
    pc->dgram_next = *b;
    *b = pc;
}

void
core__udp_query_end(struct pconn *pc)
{
    struct ulisten *ul = pc->dgram;
    if (ul == NULL)
        return;
    struct pconn **pp = bucket(ul, (const struct sockaddr *)&pc->dgram_peer, pc->dgram_id);
    while (*pp != pc)
        pp = &(*pp)->dgram_next;
    *pp = pc->dgram_next;
    pc->dgram = NULL;
    ul_unref(ul);
}

/* Datagrams are read into the loop's shared buffer, as TCP reads are. */
static void
ul_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct ulisten *ul = h->data;
    (void)suggested;
    b->base = ul->srv->readbuf;
    b->len = sizeof(ul->srv->readbuf);
}

static void
us_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct usock *us = h->data;
    (void)suggested;
    b->base = us->pc->srv->readbuf;
    b->len = sizeof(us->pc->srv->readbuf);
}

static int
same_addr(const struct sockaddr_in6 *a, const struct sockaddr *b)
{
    if (((const struct sockaddr *)a)->sa_family != b->sa_family)
        return 0;
    if (b->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a;
        const struct sockaddr_in *y = (const struct sockaddr_in *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static void
on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *addr, unsigned flags)
{
    struct ulisten *ul = h->data;
    struct server *srv = ul->srv;
    char host[64];
    uint16_t port;

    (void)flags;
    if (n < 0) {
        log_msg(LOG_WARN, "DNS server: receive failed: %s", uv_strerror((int)n));
        return;
    }
    if (addr == NULL || ul->l == NULL || srv->stopping)
        return;
    if (n < 2) {
        /* 8.1.1's words for a datagram without even a DNS id. */
        core__sockaddr_host(addr, host, sizeof(host), &port);
        log_msg(LOG_INFO, "Invalid DNS datagram received from %s:%u.", host, port);
        return;
    }
    uint16_t id = (uint16_t)((uint8_t)b->base[0] << 8 | (uint8_t)b->base[1]);
    for (struct pconn *pc = *bucket(ul, addr, id); pc; pc = pc->dgram_next) {
        if (!pc->dead && !pc->vclosed && pc->dgram_id == id && same_addr(&pc->dgram_peer, addr)) {
            struct event ev = {.type = EV_DATA, .conn = pc->client};
            ev.data = (struct slice){(const uint8_t *)b->base, (size_t)n};
            core__feed(pc, &ev);
            return;
        }
    }
    core__accept_datagram(ul, addr, id, b->base, (size_t)n);
}

int
core__udp_listen(struct listener *l, const struct sockaddr *sa, struct err *e)
{
    struct server *srv = l->srv;
    struct ulisten *ul = xcalloc(1, sizeof(*ul));
    ul->srv = srv;
    ul->l = l;
    ul->refs = 1; /* the listener's; dropped in the close callback */
    uv_udp_init(&srv->loop, &ul->udp);
    ul->udp.data = ul;
    l->udp = ul;
    int r = uv_udp_bind(&ul->udp, sa, 0);
    if (r == 0)
        r = uv_udp_recv_start(&ul->udp, ul_alloc, on_recv);
    if (r == 0) {
        /* Asked once here rather than for each new query: it cannot change. */
        struct sockaddr_storage ss;
        int len = sizeof(ss);
        if (uv_udp_getsockname(&ul->udp, (struct sockaddr *)&ss, &len) == 0) {
            core__sockaddr_host((struct sockaddr *)&ss, ul->host, sizeof(ul->host), &ul->port);
            ul->named = 1;
        }
    }
    if (r < 0) {
        char host[64];
        uint16_t port;
        core__sockaddr_host(sa, host, sizeof(host), &port);
        return err_set(e, MP_ERR_IO, "cannot listen on %s:%u (UDP): %s", *host ? host : "*", port,
                       uv_strerror(r));
    }
    return 0;
}

void
core__udp_close_listener(struct listener *l)
{
    struct ulisten *ul = l->udp;
    if (ul == NULL)
        return;
    l->udp = NULL;
    ul->l = NULL;
    uv_close((uv_handle_t *)&ul->udp, on_ul_close);
}

static void
on_sent(uv_udp_send_t *req, int status)
{
    struct usend *s = req->data;
    if (status < 0 && status != UV_ECANCELED)
        log_debug("UDP send failed: %s", uv_strerror(status));
    buf_clear(&s->data);
    if (s->ul)
        ul_unref(s->ul);
    if (s->us)
        s->us->sends--;
    free(s);
}

/* Sends data (emptied) on h to addr (NULL: h is connected). */
static void
udp_send(uv_udp_t *h, const struct sockaddr *addr, struct buf *data, struct ulisten *ul,
         struct usock *us)
{
    uv_buf_t b = uv_buf_init((char *)buf_ptr(data), (unsigned)data->len);
    int r = uv_udp_try_send(h, &b, 1, addr);
    if (r >= 0 || (r != UV_EAGAIN && r != UV_ENOSYS)) {
        if (r < 0)
            log_debug("UDP send failed: %s", uv_strerror(r));
        buf_clear(data);
        return;
    }
    struct usend *s = xcalloc(1, sizeof(*s));
    s->req.data = s;
    buf_move(&s->data, data);
    b = uv_buf_init((char *)buf_ptr(&s->data), (unsigned)s->data.len);
    if (ul) {
        s->ul = ul;
        ul->refs++;
    }
    if (us) {
        s->us = us;
        us->sends++;
    }
    r = uv_udp_send(&s->req, h, &b, 1, addr, on_sent);
    if (r < 0)
        on_sent(&s->req, r);
}

void
core__udp_reply(struct pconn *pc, struct buf *data)
{
    struct ulisten *ul = pc->dgram;
    /* The listener is gone (options changed): the client gets nothing. */
    if (ul == NULL || ul->l == NULL || data->len > 65507) {
        buf_clear(data);
        return;
    }
    udp_send(&ul->udp, (const struct sockaddr *)&pc->dgram_peer, data, ul, NULL);
}

/* --- upstream sockets --- */

static void
on_us_close(uv_handle_t *h)
{
    struct usock *us = h->data;
    struct pconn *pc = us->pc;
    if (us->prev)
        us->prev->next = us->next;
    else
        pc->usocks = us->next;
    if (us->next)
        us->next->prev = us->prev;
    if (us->conn->driver_data == us)
        us->conn->driver_data = NULL;
    connection_unref(us->conn);
    free(us);
    core__release(pc);
}

/* Marks the connection closed and closes the handle (sends in flight are
 * cancelled by libuv and called back first). */
static void
us_finish(struct usock *us)
{
    if (us->closing)
        return;
    us->closing = 1;
    if (us->conn->state != CONN_CLOSED) {
        char addr[640];
        us->conn->state = CONN_CLOSED;
        us->conn->timestamp_end = clock_now();
        core__server_addr(us->conn, addr, sizeof(addr));
        log_msg(LOG_INFO, "%sserver disconnect %s", us->pc->ctx->log_prefix, addr);
    }
    uv_udp_recv_stop(&us->udp);
    uv_close((uv_handle_t *)&us->udp, on_us_close);
}

static void
on_us_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *addr, unsigned flags)
{
    struct usock *us = h->data;
    struct pconn *pc = us->pc;
    (void)addr;
    (void)flags;
    if (us->closing || n == 0)
        return;
    if (n < 0) {
        /* A connected UDP socket learns of an ICMP "port unreachable" here. */
        char addr_s[640];
        char msg[800];
        core__server_addr(us->conn, addr_s, sizeof(addr_s));
        snprintf(msg, sizeof(msg), "Error receiving from %s: %s", addr_s, uv_strerror((int)n));
        if (!us->conn->error)
            us->conn->error = xstrdup(msg);
        core__hold(pc);
        us_finish(us);
        struct event ev = {.type = EV_CLOSED, .conn = us->conn};
        core__feed(pc, &ev);
        core__release(pc);
        return;
    }
    struct event ev = {.type = EV_DATA, .conn = us->conn};
    ev.data = (struct slice){(const uint8_t *)b->base, (size_t)n};
    core__feed(pc, &ev);
}

/* The address of an IP literal (the DNS modes take nothing else). */
static int
literal_addr(const struct addr *a, struct sockaddr_storage *ss)
{
    char h[256];
    size_t n = a->host ? strlen(a->host) : 0;
    if (n == 0)
        return -1;
    if (a->host[0] == '[' && n > 2 && a->host[n - 1] == ']')
        snprintf(h, sizeof(h), "%.*s", (int)(n - 2), a->host + 1);
    else
        snprintf(h, sizeof(h), "%s", a->host);
    memset(ss, 0, sizeof(*ss));
    if (uv_ip4_addr(h, a->port, (struct sockaddr_in *)ss) == 0)
        return 0;
    if (uv_ip6_addr(h, a->port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    return -1;
}

void
core__udp_open(struct pconn *pc, struct connection *conn, uint64_t cmd_id)
{
    char addr[640];
    char err[800];
    struct sockaddr_storage ss;
    struct event ev = {.type = EV_DONE, .cmd_id = cmd_id};
    int r = UV_EINVAL;

    addr_format(&conn->address, addr, sizeof(addr));
    if (literal_addr(&conn->address, &ss) < 0) {
        snprintf(err, sizeof(err), "Cannot connect to %s: not an IP address", addr);
        ev.err = err;
        core__feed(pc, &ev);
        return;
    }
    struct usock *us = xcalloc(1, sizeof(*us));
    uv_udp_init(&pc->srv->loop, &us->udp);
    us->udp.data = us;
    us->pc = pc;
    us->conn = connection_ref(conn);
    us->next = pc->usocks;
    if (pc->usocks)
        pc->usocks->prev = us;
    pc->usocks = us;
    core__hold(pc);
    r = uv_udp_connect(&us->udp, (const struct sockaddr *)&ss);
    if (r == 0)
        r = uv_udp_recv_start(&us->udp, us_alloc, on_us_recv);
    if (r < 0) {
        snprintf(err, sizeof(err), "Cannot connect to %s: %s", addr, uv_strerror(r));
        us->closing = 1;
        uv_close((uv_handle_t *)&us->udp, on_us_close);
        ev.err = err;
        core__feed(pc, &ev);
        return;
    }
    conn->driver_data = us;
    conn->state = CONN_OPEN;
    conn->timestamp_start = clock_now();
    conn->timestamp_tcp_setup = conn->timestamp_start;
    char host[64];
    uint16_t port;
    core__sockaddr_host((const struct sockaddr *)&ss, host, sizeof(host), &port);
    addr_set(&conn->peername, host, port);
    int len = sizeof(ss);
    if (uv_udp_getsockname(&us->udp, (struct sockaddr *)&ss, &len) == 0) {
        core__sockaddr_host((const struct sockaddr *)&ss, host, sizeof(host), &port);
        addr_set(&conn->sockname, host, port);
    }
    core__server_addr(conn, addr, sizeof(addr));
    log_msg(LOG_INFO, "%sserver connect %s", pc->ctx->log_prefix, addr);
    core__feed(pc, &ev);
}

static struct usock *
usock_of(const struct connection *c)
{
    return c->driver_data;
}

void
core__udp_send(struct connection *conn, struct buf *data)
{
    struct usock *us = usock_of(conn);
    if (us == NULL || us->closing || conn->state == CONN_CLOSED) {
        buf_clear(data);
        return;
    }
    udp_send(&us->udp, NULL, data, NULL, us);
}

void
core__udp_close(struct connection *conn)
{
    struct usock *us = usock_of(conn);
    if (us)
        us_finish(us);
    else
        conn->state = CONN_CLOSED;
}

void
core__udp_teardown(struct pconn *pc)
{
    for (struct usock *us = pc->usocks; us; us = us->next)
        us_finish(us);
}
