/*
 * Transparent mode (mitmproxy 8.1.1's TransparentProxy): the client does
 * not know about the proxy; a firewall rule (iptables REDIRECT) sent its
 * connection here, and the driver read where it was going with
 * SO_ORIGINAL_DST into ctx->original_dst. We connect there first and then
 * let the next layer decide what the connection carries, exactly as after
 * a CONNECT or a SOCKS5 handshake.
 */
#include <stdio.h>
#include <stdlib.h>

#include "flow/connection.h"
#include "proxy/context.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

enum step {
    ST_OPEN,   /* the server connection is being opened */
    ST_TUNNEL, /* the child layer has the connection */
    ST_DONE,   /* failed; the client is closed */
};

struct transparent {
    struct layer base;
    enum step step;
    struct buf buf;            /* client bytes that arrived while opening */
    struct connection *server; /* one reference; ST_OPEN only */
    struct layer *child;       /* ST_TUNNEL */
};

static void
fail(struct transparent *t, struct cmdq *out, const char *msg)
{
    struct connection *client = t->base.ctx->client;
    if (client->state != CONN_CLOSED)
        layer_close(&t->base, out, client, 0);
    layer_log(&t->base, out, LOG_INFO, "transparent mode: %s", msg);
    t->step = ST_DONE;
    buf_reset(&t->buf);
}

static void
start(struct transparent *t, struct cmdq *out)
{
    const struct addr *dst = &t->base.ctx->original_dst;
    /* The driver leaves the destination unset when it could not be read
     * (and has said so); there is nowhere to connect to. */
    if (dst->host == NULL) {
        fail(t, out, "no original destination, closing the client");
        return;
    }
    t->server = connection_new(CONN_SERVER);
    addr_set(&t->server->address, dst->host, dst->port);
    t->step = ST_OPEN;
    layer_open(&t->base, out, t->server);
}

static void
open_done(struct transparent *t, struct cmdq *out, const struct event *ev)
{
    struct connection *client = t->base.ctx->client;
    if (ev->err) {
        char msg[640];
        char addr[300];
        addr_format(&t->server->address, addr, sizeof(addr));
        snprintf(msg, sizeof(msg), "cannot connect to %s: %s", addr, ev->err);
        connection_unref(t->server);
        t->server = NULL;
        fail(t, out, msg);
        return;
    }
    /* The child takes its own reference to the server connection. */
    t->child = layer_nextlayer_new(t->base.ctx, t->server);
    connection_unref(t->server);
    t->server = NULL;
    t->step = ST_TUNNEL;
    layer_start_child(t->child, out, client, buf_slice(&t->buf), NULL,
                      (struct slice){NULL, 0});
    buf_clear(&t->buf);
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct transparent *t = (struct transparent *)l;
    struct connection *client = l->ctx->client;

    if (t->step == ST_TUNNEL) {
        layer_feed(t->child, ev, out);
        return;
    }
    switch (ev->type) {
    case EV_START:
        start(t, out);
        return;
    case EV_WAKEUP:
    case EV_INJECT: /* no flow before the tunnel */
        return;
    case EV_DATA:
        if (ev->conn == client && t->step == ST_OPEN)
            buf_append(&t->buf, ev->data.p, ev->data.len);
        return;
    case EV_CLOSED:
        /* A client gone while we connect: the open's answer still comes and
         * closes nothing more; the driver tears the rest down. */
        if (ev->conn == client && t->step == ST_OPEN && client->state != CONN_CLOSED)
            layer_close(l, out, client, 0);
        return;
    case EV_DONE:
        if (t->step == ST_OPEN && t->server)
            open_done(t, out, ev);
        return;
    }
}

static void
transparent_free(struct layer *l)
{
    struct transparent *t = (struct transparent *)l;
    layer_free(t->child);
    if (t->server)
        connection_unref(t->server);
    buf_clear(&t->buf);
    free(t);
}

/* Once the tunnel is up, this layer only passes events down. */
static struct layer *
transparent_successor(struct layer *l)
{
    struct transparent *t = (struct transparent *)l;
    return t->step == ST_TUNNEL ? layer_take(&t->child) : NULL;
}

static const struct layer_ops transparent_ops = {
    .name = "transparent",
    .handle = handle,
    .free = transparent_free,
    .successor = transparent_successor,
};

struct layer *
layer_transparent_new(struct context *ctx)
{
    struct transparent *t = xcalloc(1, sizeof(*t));
    layer_init(&t->base, &transparent_ops, ctx);
    t->step = ST_OPEN;
    buf_init(&t->buf);
    return &t->base;
}
