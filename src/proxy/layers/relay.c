/*
 * A TCP flow or a pass-through where no server connection exists yet: in
 * reverse mode the next layer is chosen from the client's first bytes
 * before anything is connected, so when an addon (next_layer,
 * tls_clienthello) picks raw bytes there, this layer first connects to the
 * mode's target and then hands over to layer_tcp_new() or
 * layer_tunnel_new(), as mitmproxy's TCPLayer opens context.server itself.
 *
 * Events that come while the connection is being opened wait in
 * layer_feed()'s queue and reach the child in order.
 */
#include <stdlib.h>

#include "flow/connection.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

struct relay {
    struct layer base;
    int record;
    int tls;
    struct connection *server; /* one reference; until the child takes over */
    struct layer *child;
    int failed;
};

static void
open_done(struct relay *r, const struct event *ev, struct cmdq *out)
{
    struct context *ctx = r->base.ctx;
    if (ev->err) {
        char addr[300];
        addr_format(&r->server->address, addr, sizeof(addr));
        layer_log(&r->base, out, LOG_INFO, "cannot connect to %s: %s", addr, ev->err);
        r->failed = 1;
        if (ctx->client->state != CONN_CLOSED)
            layer_close(&r->base, out, ctx->client, 0);
        return;
    }
    r->child = r->record ? layer_tcp_new(ctx, r->server) : layer_tunnel_new(ctx, r->server);
    connection_unref(r->server);
    r->server = NULL;
    /* What the client sent or did meanwhile is in layer_feed()'s queue. */
    struct event start = {.type = EV_START};
    layer_feed(r->child, &start, out);
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct relay *r = (struct relay *)l;
    const struct proxy_mode *m = &l->ctx->cfg->mode;

    if (r->child) {
        layer_feed(r->child, ev, out);
        return;
    }
    if (r->failed)
        return;
    switch (ev->type) {
    case EV_START:
        r->server = connection_new(CONN_SERVER);
        addr_set(&r->server->address, m->host, m->port);
        r->server->tls = r->tls;
        layer_open(l, out, r->server);
        return;
    case EV_DONE:
        if (r->server)
            open_done(r, ev, out);
        return;
    case EV_DATA:
    case EV_CLOSED:
    case EV_WAKEUP:
    case EV_INJECT:
        /* Only while paused on the open (queued, then replayed to the child). */
        return;
    }
}

static void
relay_free(struct layer *l)
{
    struct relay *r = (struct relay *)l;
    layer_free(r->child);
    if (r->server)
        connection_unref(r->server);
    free(r);
}

static const struct layer_ops relay_ops = {
    .name = "relay",
    .handle = handle,
    .free = relay_free,
};

struct layer *
layer_relay_new(struct context *ctx, int record, int tls)
{
    struct relay *r = xcalloc(1, sizeof(*r));
    layer_init(&r->base, &relay_ops, ctx);
    r->record = record;
    r->tls = tls;
    return &r->base;
}
