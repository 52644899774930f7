/*
 * A byte pipe between the client and one server connection. A FIN from one
 * side becomes a half-close towards the other; once both sides are done,
 * both connections are closed. Nothing is recorded: this is the
 * passthrough of ignore_hosts (and of TLS when there is no CA); recorded
 * raw TCP flows are tcp.c.
 */
#include <stdlib.h>

#include "flow/connection.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

struct tunnel_layer {
    struct layer base;
    struct connection *server; /* one reference */
    int client_eof;
    int server_eof;
    int closed;
};

static void
close_both(struct tunnel_layer *t, struct cmdq *out)
{
    struct connection *client = t->base.ctx->client;
    if (t->closed)
        return;
    t->closed = 1;
    /* Both are closed even when both halves are shut: the driver frees the sockets. */
    layer_close(&t->base, out, client, 0);
    layer_close(&t->base, out, t->server, 0);
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct tunnel_layer *t = (struct tunnel_layer *)l;
    struct connection *client = l->ctx->client;

    if (t->closed)
        return;
    switch (ev->type) {
    case EV_DATA: {
        struct connection *to = ev->conn == client ? t->server : client;
        layer_send(l, out, to, ev->data.p, ev->data.len);
        return;
    }
    case EV_CLOSED: {
        int from_client = ev->conn == client;
        struct connection *other = from_client ? t->server : client;
        if (from_client)
            t->client_eof = 1;
        else
            t->server_eof = 1;
        if (ev->conn->state == CONN_CLOSED || (t->client_eof && t->server_eof)) {
            close_both(t, out);
            return;
        }
        if (other->state & CONN_CAN_WRITE)
            layer_close(l, out, other, 1);
        return;
    }
    case EV_START:
    case EV_DONE:
    case EV_WAKEUP:
    case EV_INJECT: /* a pass-through records no flow */
        return;
    }
}

static void
tunnel_free(struct layer *l)
{
    struct tunnel_layer *t = (struct tunnel_layer *)l;
    connection_unref(t->server);
    free(t);
}

static const struct layer_ops tunnel_ops = {
    .name = "tunnel",
    .handle = handle,
    .free = tunnel_free,
};

struct layer *
layer_tunnel_new(struct context *ctx, struct connection *server)
{
    struct tunnel_layer *t = xcalloc(1, sizeof(*t));
    layer_init(&t->base, &tunnel_ops, ctx);
    t->server = connection_ref(server);
    return &t->base;
}
