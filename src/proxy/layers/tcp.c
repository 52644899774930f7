/*
 * Raw TCP flows (mitmproxy's TCPLayer): bytes that are neither HTTP nor
 * passed through untouched are relayed message by message and recorded on
 * a TCP flow. Each chunk that arrives becomes a message and goes through
 * the tcp_message hook before it is forwarded, so an addon can change or
 * drop it; a message an addon injects (EV_INJECT, inject.tcp) is recorded
 * and hooked the same way. A FIN from one side becomes a half-close towards the other; the
 * flow ends (tcp_end, or tcp_error after a reset) when both sides are done.
 *
 *   START_HOOK --tcp_start--> RELAY <--tcp_message--> MSG_HOOK
 *   RELAY --both closed--> END_HOOK --tcp_end/tcp_error--> DONE
 */
#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "flow/flow.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

enum tcp_state { TCP_START_HOOK, TCP_RELAY, TCP_MSG_HOOK, TCP_END_HOOK, TCP_DONE };

struct tcp_layer {
    struct layer base;
    enum tcp_state state;
    struct connection *server; /* one reference; open */
    struct flow *flow;         /* one reference */
    int client_eof;
    int server_eof;
};

static void
close_both(struct tcp_layer *t, struct cmdq *out)
{
    layer_close(&t->base, out, t->base.ctx->client, 0);
    layer_close(&t->base, out, t->server, 0);
}

/* Both sides are done (or one failed): the flow ends with tcp_end or tcp_error. */
static void
finish(struct tcp_layer *t, struct cmdq *out)
{
    close_both(t, out);
    t->flow->live = 0;
    t->state = TCP_END_HOOK;
    layer_hook(&t->base, out, t->flow->error ? HOOK_TCP_ERROR : HOOK_TCP_END, t->flow, NULL,
               NULL);
}

static void
on_closed(struct tcp_layer *t, const struct event *ev, struct cmdq *out)
{
    struct connection *client = t->base.ctx->client;
    int from_client = ev->conn == client;
    struct connection *other = from_client ? t->server : client;
    if (from_client)
        t->client_eof = 1;
    else
        t->server_eof = 1;
    if (ev->conn->state == CONN_CLOSED && ev->conn->error && t->flow->error == NULL)
        flow_set_error(t->flow, ev->conn->error);
    if (ev->conn->state == CONN_CLOSED || (t->client_eof && t->server_eof)) {
        finish(t, out);
        return;
    }
    if (other->state & CONN_CAN_WRITE)
        layer_close(&t->base, out, other, 1);
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct tcp_layer *t = (struct tcp_layer *)l;
    struct connection *client = l->ctx->client;

    switch (t->state) {
    case TCP_START_HOOK:
        if (ev->type == EV_START) {
            t->flow = flow_new_tcp(client, t->server);
            t->flow->live = 1;
            layer_hook(l, out, HOOK_TCP_START, t->flow, NULL, NULL);
            return;
        }
        if (ev->type != EV_DONE)
            return;
        if (t->flow->killed) {
            finish(t, out);
            return;
        }
        t->state = TCP_RELAY;
        return;
    case TCP_RELAY:
        if (ev->type == EV_DATA || (ev->type == EV_INJECT && ev->flow == t->flow)) {
            int from_client = ev->type == EV_INJECT ? ev->from_client : ev->conn == client;
            flow_tcp_add_message(t->flow, from_client, ev->data.p, ev->data.len);
            t->state = TCP_MSG_HOOK;
            layer_hook(l, out, HOOK_TCP_MESSAGE, t->flow, NULL, NULL);
        } else if (ev->type == EV_CLOSED) {
            on_closed(t, ev, out);
        }
        return;
    case TCP_MSG_HOOK: {
        if (ev->type != EV_DONE)
            return;
        t->state = TCP_RELAY;
        if (t->flow->killed) {
            finish(t, out);
            return;
        }
        struct tcp_message *m = &t->flow->messages[t->flow->nmessages - 1];
        if (!m->dropped && m->content.len)
            layer_send(l, out, m->from_client ? t->server : client, buf_ptr(&m->content),
                       m->content.len);
        return;
    }
    case TCP_END_HOOK:
        if (ev->type == EV_DONE)
            t->state = TCP_DONE;
        return;
    case TCP_DONE:
        return;
    }
}

static void
tcp_free(struct layer *l)
{
    struct tcp_layer *t = (struct tcp_layer *)l;
    if (t->flow) {
        t->flow->live = 0;
        flow_unref(t->flow);
    }
    connection_unref(t->server);
    free(t);
}

static const struct layer_ops tcp_ops = {
    .name = "tcp",
    .handle = handle,
    .free = tcp_free,
};

struct layer *
layer_tcp_new(struct context *ctx, struct connection *server)
{
    struct tcp_layer *t = xcalloc(1, sizeof(*t));
    layer_init(&t->base, &tcp_ops, ctx);
    t->server = connection_ref(server);
    return &t->base;
}
