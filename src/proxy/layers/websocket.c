/*
 * WebSocket over HTTP/1.1 (mitmproxy's WebsocketLayer): after a 101
 * Switching Protocols answer to an Upgrade: websocket request, both
 * connections speak RFC 6455 frames. Each complete message (fragments
 * reassembled) is recorded on the flow and goes through the
 * websocket_message hook before it is forwarded, re-framed, so an addon may
 * change or drop it. Pings and pongs are relayed; a close frame from either
 * side is recorded and passed to both, and the flow ends.
 *
 *   START_HOOK --websocket_start--> RELAY <--websocket_message--> MSG_HOOK
 *   RELAY --close frame / EOF / protocol error--> END_HOOK --> DONE
 *
 * The messages are appended to flow->websocket (struct websocket_data) as
 * they complete; after the hook the layer sends what the flow holds then.
 * A message an addon injects (EV_INJECT, inject.websocket) is recorded as
 * injected and goes the same way, hook included, as in mitmproxy.
 *
 * With permessage-deflate negotiated in the 101, compressed messages are
 * inflated for the flow and the hooks and deflated again when forwarded
 * (each direction keeps its own contexts, with the sender's parameters).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "flow/flow.h"
#include "flow/tnetstring.h" /* tns_utf8_valid: Python's UTF-8 rules */
#include "http/headers.h"
#include "http/ws.h"
#include "options/opt.h"
#include "proxy/layers/layers.h"
#include "util/clock.h"
#include "util/xmalloc.h"

enum ws_state { WS_START_HOOK, WS_RELAY, WS_MSG_HOOK, WS_END_HOOK, WS_DONE };

struct ws_layer {
    struct layer base;
    enum ws_state state;
    struct connection *server; /* one reference; open */
    struct flow *flow;         /* one reference */
    struct ws_reader rd[2];    /* [0] client bytes, [1] server bytes */
    int compressed;            /* the message in MSG_HOOK had RSV1 */
    int deflate;               /* permessage-deflate was negotiated */
    struct ws_deflate z[2];    /* per sender, as rd */
};

static int test_mask_set;
static uint8_t test_mask[4];

void
layer_websocket_set_test_mask(const uint8_t *key)
{
    test_mask_set = key != NULL;
    if (key)
        memcpy(test_mask, key, 4);
}

static void
new_mask(uint8_t key[4])
{
    if (test_mask_set) {
        memcpy(key, test_mask, 4);
        return;
    }
    if (getrandom(key, 4, 0) != 4) {
        /* getrandom() on 4 bytes does not fail once the pool is ready; the
         * clock is a fallback that still varies per frame. */
        uint64_t t = (uint64_t)(clock_now() * 1e9);
        memcpy(key, &t, 4);
    }
}

void
layer_websocket_mark(struct context *ctx, struct flow *f)
{
    const struct hdr *up, *ver;
    if (f->request == NULL || f->response == NULL || f->response->status_code != 101)
        return;
    if (ctx->cfg->opts && !ctx->cfg->opts->websocket)
        return;
    up = hdrs_get(&f->response->headers, "Upgrade");
    ver = hdrs_get(&f->request->headers, "Sec-WebSocket-Version");
    if (up && strcasecmp(up->value, "websocket") == 0 && ver && strcmp(ver->value, "13") == 0)
        flow_ws_data(f);
}

/* Sends one frame to c, masked when it goes to the server. */
static void
send_frame(struct ws_layer *w, struct cmdq *out, struct connection *c, int rsv1, int opcode,
           const void *p, size_t n)
{
    struct buf b = BUF_INIT;
    uint8_t key[4];
    int to_server = c == w->server;
    if (to_server)
        new_mask(key);
    ws_frame_write(&b, 1, rsv1, opcode, to_server ? key : NULL, p, n);
    layer_send_buf(&w->base, out, c, &b);
}

static void
end(struct ws_layer *w, struct cmdq *out)
{
    struct websocket_data *d = flow_ws_data(w->flow);
    if (d->timestamp_end == 0)
        d->timestamp_end = clock_now();
    layer_close(&w->base, out, w->base.ctx->client, 0);
    layer_close(&w->base, out, w->server, 0);
    /* Still live during websocket_end: addons tell a flow being proxied from
     * one read from a file by that. */
    w->state = WS_END_HOOK;
    layer_hook(&w->base, out, HOOK_WEBSOCKET_END, w->flow, NULL, NULL);
}

static void
on_close_frame(struct ws_layer *w, struct cmdq *out, int from_client, const struct buf *payload)
{
    int code;
    const uint8_t *reason;
    size_t rn;
    if (ws_close_parse(buf_ptr(payload), payload->len, &code, &reason, &rn) < 0 ||
        !tns_utf8_valid(reason, rn)) {
        code = 1002;
        reason = (const uint8_t *)"";
        rn = 0;
    }
    flow_ws_set_close(w->flow, from_client, code, reason, rn);
    /* As mitmproxy: the close goes on to the peer and is answered to the
     * side that sent it, then both connections close. */
    struct connection *conns[2] = {w->server, w->base.ctx->client};
    for (int i = 0; i < 2; i++) {
        if (conns[i]->state & CONN_CAN_WRITE)
            send_frame(w, out, conns[i], 0, WS_CLOSE, buf_ptr(payload), payload->len);
    }
    end(w, out);
}

static void
protocol_error(struct ws_layer *w, struct cmdq *out, int from_client, const struct err *e)
{
    layer_log(&w->base, out, LOG_INFO, "WebSocket protocol error from %s: %s",
              from_client ? "client" : "server", e->msg[0] ? e->msg : "invalid frame");
    flow_ws_set_close(w->flow, from_client, 1002, "", 0);
    /* Tell the side that broke the protocol (status 1002), close the other. */
    uint8_t body[2] = {1002 >> 8, 1002 & 0xff};
    struct connection *bad = from_client ? w->base.ctx->client : w->server;
    if (bad->state & CONN_CAN_WRITE)
        send_frame(w, out, bad, 0, WS_CLOSE, body, 2);
    end(w, out);
}

/*
 * Takes every complete message out of the readers until one needs the
 * message hook (the layer pauses) or the connection ends.
 */
static void
pump(struct ws_layer *w, struct cmdq *out)
{
    struct connection *client = w->base.ctx->client;
    for (int side = 0; side < 2 && w->state == WS_RELAY; side++) {
        for (;;) {
            int from_client = side == 0;
            int opcode, compressed;
            struct buf payload = BUF_INIT;
            struct err e = {0};
            int r = ws_reader_next(&w->rd[side], &opcode, &compressed, &payload, &e);
            if (r < 0) {
                protocol_error(w, out, from_client, &e);
                err_clear(&e);
                return;
            }
            if (r == 0)
                break;
            struct connection *dst = from_client ? w->server : client;
            if (opcode == WS_PING || opcode == WS_PONG) {
                layer_log(&w->base, out, LOG_DEBUG, "Received WebSocket %s from %s",
                          opcode == WS_PING ? "ping" : "pong", from_client ? "client" : "server");
                if (dst->state & CONN_CAN_WRITE)
                    send_frame(w, out, dst, 0, opcode, buf_ptr(&payload), payload.len);
                buf_clear(&payload);
                continue;
            }
            if (opcode == WS_CLOSE) {
                on_close_frame(w, out, from_client, &payload);
                buf_clear(&payload);
                return;
            }
            if (compressed) {
                struct buf plain = BUF_INIT;
                if (ws_inflate_message(&w->z[side], buf_ptr(&payload), payload.len,
                                       w->rd[side].max_message, &plain, &e) < 0) {
                    buf_clear(&plain);
                    buf_clear(&payload);
                    protocol_error(w, out, from_client, &e);
                    return;
                }
                buf_move(&payload, &plain);
            }
            struct ws_message *m = flow_ws_add_message(w->flow, opcode, from_client, NULL, 0);
            buf_move(&m->content, &payload);
            w->compressed = compressed;
            w->state = WS_MSG_HOOK;
            layer_hook(&w->base, out, HOOK_WEBSOCKET_MESSAGE, w->flow, NULL, NULL);
            return;
        }
    }
}

/* An addon's message: recorded and hooked as if its side had sent it. */
static void
inject(struct ws_layer *w, const struct event *ev, struct cmdq *out)
{
    if (ev->flow != w->flow)
        return;
    struct ws_message *m =
        flow_ws_add_message(w->flow, ev->msg_type, ev->from_client, ev->data.p, ev->data.len);
    m->injected = 1;
    w->compressed = 0; /* sent as it is: RSV1 is per message */
    w->state = WS_MSG_HOOK;
    layer_hook(&w->base, out, HOOK_WEBSOCKET_MESSAGE, w->flow, NULL, NULL);
}

/* The message hook is through: forward the (possibly changed) last message. */
static void
forward_last(struct ws_layer *w, struct cmdq *out)
{
    const struct websocket_data *d = flow_ws_data(w->flow);
    if (d->nmessages == 0)
        return;
    const struct ws_message *m = &d->messages[d->nmessages - 1];
    if (m->dropped)
        return;
    struct connection *dst = m->from_client ? w->server : w->base.ctx->client;
    if (!(dst->state & CONN_CAN_WRITE))
        return;
    const uint8_t *p = buf_ptr(&m->content);
    size_t n = m->content.len;
    if (!w->compressed) {
        send_frame(w, out, dst, 0, m->type, p, n);
        return;
    }
    struct buf z = BUF_INIT;
    ws_deflate_message(&w->z[m->from_client ? 0 : 1], p, n, &z);
    send_frame(w, out, dst, 1, m->type, buf_ptr(&z), z.len);
    buf_clear(&z);
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct ws_layer *w = (struct ws_layer *)l;
    struct connection *client = l->ctx->client;

    switch (w->state) {
    case WS_START_HOOK:
        if (ev->type == EV_START) {
            w->flow->live = 1;
            flow_ws_data(w->flow);
            layer_hook(l, out, HOOK_WEBSOCKET_START, w->flow, NULL, NULL);
            return;
        }
        if (ev->type != EV_DONE)
            return;
        if (w->flow->killed) {
            end(w, out);
            return;
        }
        w->state = WS_RELAY;
        pump(w, out);
        return;
    case WS_RELAY:
        if (ev->type == EV_DATA) {
            ws_reader_feed(&w->rd[ev->conn == client ? 0 : 1], ev->data.p, ev->data.len);
            pump(w, out);
        } else if (ev->type == EV_CLOSED) {
            /* The peer went away without a close frame (wsproto: 1006). */
            int from_client = ev->conn == client;
            flow_ws_set_close(w->flow, from_client, 1006, "", 0);
            if (ev->conn->state == CONN_CLOSED && ev->conn->error && w->flow->error == NULL)
                flow_set_error(w->flow, ev->conn->error);
            end(w, out);
        } else if (ev->type == EV_INJECT) {
            inject(w, ev, out);
        }
        return;
    case WS_MSG_HOOK:
        if (ev->type != EV_DONE)
            return;
        if (w->flow->killed) {
            end(w, out);
            return;
        }
        forward_last(w, out);
        w->state = WS_RELAY;
        pump(w, out);
        return;
    case WS_END_HOOK:
        if (ev->type == EV_DONE) {
            w->flow->live = 0;
            w->state = WS_DONE;
        }
        return;
    case WS_DONE:
        return;
    }
}

static void
ws_free(struct layer *l)
{
    struct ws_layer *w = (struct ws_layer *)l;
    w->flow->live = 0;
    flow_unref(w->flow);
    connection_unref(w->server);
    ws_reader_clear(&w->rd[0]);
    ws_reader_clear(&w->rd[1]);
    ws_deflate_clear(&w->z[0]);
    ws_deflate_clear(&w->z[1]);
    free(w);
}

static const struct layer_ops ws_ops = {
    .name = "websocket",
    .handle = handle,
    .free = ws_free,
};

struct layer *
layer_websocket_new(struct context *ctx, struct flow *flow, struct connection *server)
{
    struct ws_layer *w = xcalloc(1, sizeof(*w));
    layer_init(&w->base, &ws_ops, ctx);
    w->flow = flow_ref(flow);
    w->server = connection_ref(server);
    int cbits = 15, cnone = 0, sbits = 15, snone = 0;
    const struct hdr *ext =
        flow->response ? hdrs_get(&flow->response->headers, "Sec-WebSocket-Extensions") : NULL;
    if (ext)
        w->deflate = ws_deflate_params(ext->value, &cbits, &cnone, &sbits, &snone);
    ws_deflate_init(&w->z[0], cbits, cnone);
    ws_deflate_init(&w->z[1], sbits, snone);
    uint64_t limit = ctx->cfg->body_size_limit > 0 ? (uint64_t)ctx->cfg->body_size_limit : 0;
    ws_reader_init(&w->rd[0], 1, w->deflate, limit);
    ws_reader_init(&w->rd[1], 0, w->deflate, limit);
    return &w->base;
}
