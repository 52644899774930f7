/*
 * The DNS server of a DNS mode (mitmproxy's DNSLayer): each query a client
 * sends becomes a DNS flow. The dns_request hook may answer it (the
 * resolver addon does in regular mode, an addon may set any response) or
 * change it; a query nobody answered goes to the mode's upstream server
 * over UDP (reverse mode) and its answer comes back through dns_response,
 * where an addon may change it or drop it, before it is sent to the client.
 *
 *   IDLE --query--> REQUEST_HOOK --response set--> RESPONSE_HOOK --> IDLE (answer sent)
 *                        | --upstream--> [OPENING] --sent--> IDLE (waiting list)
 *                        | --no upstream, killed--> ERROR_HOOK --> IDLE
 *   IDLE --upstream answer--> RESPONSE_HOOK;  --timeout, server gone--> ERROR_HOOK
 *
 * A UDP client (ctx->datagram) sends one message per EV_DATA, and its
 * exchange ends with the answer: the layer then closes the client, which
 * ends the driver's per-query connection. A TCP client sends messages with
 * a two-byte length prefix (RFC 1035 4.2.2), any number of them on one
 * connection; they are taken one at a time, so a hook pauses the
 * connection as it does for HTTP.
 *
 * Where 8.1.1 leaves the client without an answer (no hook answered in
 * regular mode, the upstream did not answer, its connection failed), the
 * flow gets an error, dns_error runs, and the client gets SERVFAIL (as the
 * resolver answers a failed lookup), so that it need not wait for its own
 * timeout. A killed flow gets dns_error and no answer; a TCP client's
 * connection is closed then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "flow/connection.h"
#include "flow/flow.h"
#include "proxy/layers/layers.h"
#include "util/clock.h"
#include "util/xmalloc.h"

/*
 * How long a forwarded query waits for its answer. Stub resolvers (glibc,
 * dig) ask again after 5 s, with a new connection of ours, so a later
 * answer would go unread; 8.1.1 keeps the UDP exchange 20 s and then drops
 * it without an answer.
 */
#define DNS_UPSTREAM_TIMEOUT_MS 5000

enum step { IDLE, REQUEST_HOOK, OPENING, RESPONSE_HOOK, ERROR_HOOK };

/* A flow forwarded upstream that waits for its answer, or one that failed
 * and waits for its dns_error hook. */
struct pending {
    struct flow *flow; /* one reference */
    uint16_t id;       /* the message id sent upstream */
    uint64_t wake;     /* the CMD_WAKEUP of its timeout */
    struct pending *next;
};

struct dns_layer {
    struct layer base;
    enum step step;
    struct flow *cur;          /* the flow of the hook in flight; one reference */
    struct connection *server; /* one reference; address NULL without an upstream */
    struct buf in;             /* TCP: bytes of a message not complete yet */
    struct pending *waiting;   /* forwarded, oldest first */
    struct pending *failed;    /* waiting for dns_error, oldest first */
    int server_opened;         /* an open was asked for (it is not asked again) */
    int client_done;           /* the client is closed (or closing): stop */
};


static void
pending_push(struct pending **list, struct pending *p)
{
    struct pending **pp = list;
    while (*pp)
        pp = &(*pp)->next;
    p->next = NULL;
    *pp = p;
}

static void
pending_free_all(struct pending **list)
{
    while (*list) {
        struct pending *p = *list;
        *list = p->next;
        p->flow->live = 0;
        flow_unref(p->flow);
        free(p);
    }
}

/* Sends m on c: as it is over UDP (the upstream, a UDP client), after its
 * two-byte length on a TCP client's stream (RFC 1035 4.2.2). */
static int
send_message(struct dns_layer *d, struct cmdq *out, struct connection *c,
             const struct dns_message *m, struct err *e)
{
    int stream = c == d->base.ctx->client && !d->base.ctx->datagram;
    struct buf b = BUF_INIT;
    int rc;
    if (stream)
        buf_append(&b, "\0\0", 2);
    /* Without compression, as mitmproxy's Message.packed. */
    if ((rc = dns_write(&b, m, 0, e)) < 0) {
        buf_clear(&b);
        return rc;
    }
    if (stream) {
        size_t n = b.len - 2;
        buf_ptr(&b)[0] = (uint8_t)(n >> 8);
        buf_ptr(&b)[1] = (uint8_t)n;
    }
    layer_send_buf(&d->base, out, c, &b);
    return 0;
}

/* The end of a UDP exchange, or of a TCP connection whose flow was killed. */
static void
close_client(struct dns_layer *d, struct cmdq *out)
{
    if (d->client_done)
        return;
    d->client_done = 1;
    layer_close(&d->base, out, d->base.ctx->client, 0);
    if (d->server->state != CONN_CLOSED)
        layer_close(&d->base, out, d->server, 0);
}

/* The current flow is through: the client's next message may be read. */
static void
flow_done(struct dns_layer *d, struct cmdq *out)
{
    d->cur->live = 0;
    flow_unref(d->cur);
    d->cur = NULL;
    d->step = IDLE;
    if (d->base.ctx->datagram && d->waiting == NULL && d->failed == NULL)
        close_client(d, out);
}

static void
raise_error(struct dns_layer *d, struct cmdq *out, const char *msg)
{
    if (msg)
        flow_set_error(d->cur, msg);
    d->step = ERROR_HOOK;
    layer_hook(&d->base, out, HOOK_DNS_ERROR, d->cur, NULL, NULL);
}

static void
raise_response(struct dns_layer *d, struct cmdq *out)
{
    if (d->cur->dns_response->timestamp == 0)
        d->cur->dns_response->timestamp = clock_now();
    d->step = RESPONSE_HOOK;
    layer_hook(&d->base, out, HOOK_DNS_RESPONSE, d->cur, NULL, NULL);
}

static void
forward(struct dns_layer *d, struct cmdq *out)
{
    struct err e = {0};
    if (send_message(d, out, d->server, d->cur->dns_request, &e) < 0) {
        raise_error(d, out, e.msg);
        return;
    }
    struct pending *p = xcalloc(1, sizeof(*p));
    p->flow = d->cur;
    p->id = d->cur->dns_request->id;
    p->wake = layer_wakeup(&d->base, out, DNS_UPSTREAM_TIMEOUT_MS)->id;
    pending_push(&d->waiting, p);
    d->cur = NULL; /* the reference moved to p */
    d->step = IDLE;
}

/* After dns_request: answered, forwarded, or failed. */
static void
after_request(struct dns_layer *d, struct cmdq *out)
{
    struct flow *f = d->cur;
    if (f->killed) {
        raise_error(d, out, NULL);
        return;
    }
    if (f->dns_response) {
        raise_response(d, out);
        return;
    }
    if (d->server->address.host == NULL) {
        raise_error(d, out, "No hook has set a response.");
        return;
    }
    if (d->server->state == CONN_CLOSED) {
        if (d->server_opened) {
            raise_error(d, out, d->server->error ? d->server->error : "Server connection closed.");
            return;
        }
        d->server_opened = 1;
        d->step = OPENING;
        layer_open(&d->base, out, d->server);
        return;
    }
    forward(d, out);
}

static void
after_response(struct dns_layer *d, struct cmdq *out)
{
    struct flow *f = d->cur;
    struct err e = {0};
    if (f->killed) {
        raise_error(d, out, NULL);
        return;
    }
    /* An addon may drop the answer by clearing it (mitmproxy: "allows the
     * response hook to suppress an answer"). */
    if (f->dns_response && send_message(d, out, d->base.ctx->client, f->dns_response, &e) < 0) {
        raise_error(d, out, e.msg);
        return;
    }
    flow_done(d, out);
}

static void
after_error(struct dns_layer *d, struct cmdq *out)
{
    struct flow *f = d->cur;
    if (f->killed) {
        /* mitmproxy drops a killed flow's connection. */
        flow_done(d, out);
        close_client(d, out);
        return;
    }
    struct dns_message *fail = dns_message_answer(f->dns_request, DNS_RCODE_SERVFAIL);
    if (send_message(d, out, d->base.ctx->client, fail, NULL) < 0)
        layer_log(&d->base, out, LOG_WARN, "cannot answer a DNS query that failed");
    dns_message_free(fail);
    flow_done(d, out);
}

/* A whole message from the client: a new flow and its dns_request. */
static void
on_query(struct dns_layer *d, struct cmdq *out, const uint8_t *p, size_t n)
{
    struct dns_message *m;
    struct err e = {0};
    if (dns_parse(p, n, NULL, &m, &e) < 0) {
        /* 8.1.1: "<client> sent an invalid message: <why>", and nothing else. */
        layer_log(&d->base, out, LOG_INFO, "client sent an invalid DNS message: %s", e.msg);
        if (d->base.ctx->datagram)
            close_client(d, out);
        return;
    }
    m->timestamp = clock_now();
    d->cur = flow_new_dns(d->base.ctx->client, d->server);
    d->cur->dns_request = m;
    d->step = REQUEST_HOOK;
    layer_hook(&d->base, out, HOOK_DNS_REQUEST, d->cur, NULL, NULL);
}

/* An answer from the upstream server, for the query of the same id. */
static void
on_answer(struct dns_layer *d, struct cmdq *out, const uint8_t *p, size_t n)
{
    struct dns_message *m;
    struct err e = {0};
    if (dns_parse(p, n, NULL, &m, &e) < 0) {
        layer_log(&d->base, out, LOG_INFO, "server sent an invalid DNS message: %s", e.msg);
        return;
    }
    struct pending **pp = &d->waiting;
    while (*pp && (*pp)->id != m->id)
        pp = &(*pp)->next;
    struct pending *w = *pp;
    if (w == NULL) {
        /* A late answer (the query timed out) or one nobody asked for. */
        layer_log(&d->base, out, LOG_DEBUG, "unexpected DNS answer (id %u) dropped", m->id);
        dns_message_free(m);
        return;
    }
    *pp = w->next;
    d->cur = w->flow;
    free(w);
    m->timestamp = clock_now();
    dns_message_free(d->cur->dns_response);
    d->cur->dns_response = m;
    raise_response(d, out);
}

/*
 * Takes the next thing to do while no hook is in flight: a failed flow's
 * dns_error first, then the next whole message a TCP client sent.
 */
static void
pump(struct dns_layer *d, struct cmdq *out)
{
    while (d->step == IDLE && !d->client_done) {
        if (d->failed) {
            struct pending *p = d->failed;
            d->failed = p->next;
            d->cur = p->flow;
            free(p);
            raise_error(d, out, NULL);
            return;
        }
        if (d->base.ctx->datagram || d->in.len < 2)
            return;
        const uint8_t *b = buf_ptr(&d->in);
        size_t n = (size_t)b[0] << 8 | b[1];
        if (d->in.len < 2 + n)
            return;
        /* on_query reads the bytes before anything is appended to in. */
        on_query(d, out, b + 2, n);
        buf_consume(&d->in, 2 + n);
    }
}

/* The upstream connection failed (or timed out for wake): fail its flows. */
static void
fail_waiting(struct dns_layer *d, const char *msg, uint64_t wake)
{
    struct pending **pp = &d->waiting;
    while (*pp) {
        struct pending *w = *pp;
        if (wake && w->wake != wake) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        flow_set_error(w->flow, msg);
        pending_push(&d->failed, w);
    }
}

static void
on_closed(struct dns_layer *d, const struct event *ev, struct cmdq *out)
{
    struct connection *client = d->base.ctx->client;
    if (ev->conn == client) {
        /* As 8.1.1: the exchanges in flight end without hooks. */
        d->client_done = 1;
        pending_free_all(&d->waiting);
        pending_free_all(&d->failed);
        if (client->state != CONN_CLOSED)
            layer_close(&d->base, out, client, 0);
        if (d->server->state != CONN_CLOSED)
            layer_close(&d->base, out, d->server, 0);
        return;
    }
    if (ev->conn == d->server) {
        char msg[360];
        char addr[300];
        addr_format(&d->server->address, addr, sizeof(addr));
        if (d->server->error)
            snprintf(msg, sizeof(msg), "%s", d->server->error);
        else
            snprintf(msg, sizeof(msg), "Server %s closed the connection.", addr);
        if (d->server->state != CONN_CLOSED)
            layer_close(&d->base, out, d->server, 0);
        fail_waiting(d, msg, 0);
    }
}

static void
on_done(struct dns_layer *d, const struct event *ev, struct cmdq *out)
{
    switch (d->step) {
    case REQUEST_HOOK:
        after_request(d, out);
        return;
    case OPENING:
        if (ev->err) {
            raise_error(d, out, ev->err);
            return;
        }
        forward(d, out);
        return;
    case RESPONSE_HOOK:
        after_response(d, out);
        return;
    case ERROR_HOOK:
        after_error(d, out);
        return;
    case IDLE:
        return;
    }
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct dns_layer *d = (struct dns_layer *)l;
    struct connection *client = l->ctx->client;

    switch (ev->type) {
    case EV_START: {
        const struct proxy_mode *mode = &l->ctx->cfg->mode;
        if (mode->host[0]) {
            addr_set(&d->server->address, mode->host, mode->port);
            d->server->udp = 1;
        }
        return;
    }
    case EV_DATA:
        if (d->client_done)
            return;
        if (ev->conn == client && l->ctx->datagram)
            on_query(d, out, ev->data.p, ev->data.len);
        else if (ev->conn == client)
            buf_append(&d->in, ev->data.p, ev->data.len);
        else if (ev->conn == d->server)
            on_answer(d, out, ev->data.p, ev->data.len);
        break;
    case EV_CLOSED:
        on_closed(d, ev, out);
        break;
    case EV_DONE:
        on_done(d, ev, out);
        break;
    case EV_INJECT:
        break; /* a DNS flow takes no injected messages */
    case EV_WAKEUP: {
        char addr[300];
        char msg[400];
        addr_format(&d->server->address, addr, sizeof(addr));
        snprintf(msg, sizeof(msg), "DNS server %s did not answer in time.", addr);
        fail_waiting(d, msg, ev->cmd_id);
        break;
    }
    }
    pump(d, out);
}

static void
dns_free(struct layer *l)
{
    struct dns_layer *d = (struct dns_layer *)l;
    if (d->cur) {
        d->cur->live = 0;
        flow_unref(d->cur);
    }
    pending_free_all(&d->waiting);
    pending_free_all(&d->failed);
    connection_unref(d->server);
    buf_clear(&d->in);
    free(d);
}

static const struct layer_ops dns_ops = {
    .name = "dns",
    .handle = handle,
    .free = dns_free,
};

struct layer *
layer_dns_new(struct context *ctx)
{
    struct dns_layer *d = xcalloc(1, sizeof(*d));
    layer_init(&d->base, &dns_ops, ctx);
    d->server = connection_new(CONN_SERVER);
    return &d->base;
}
