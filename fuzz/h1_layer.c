/*
 * libFuzzer target for the HTTP layer with an HTTP/1 client: its
 * connection layers (requests parsed, responses read) and the stream layer
 * behind them. Arbitrary client bytes go through a fresh layer, cut into
 * chunks; every blocking command is answered (opens succeed or fail by a
 * flag bit, hooks may kill the flow), and a server that is written to
 * answers with the bytes after the first 0xff 0xfe pair of the input (an
 * HTTP/1.1 response, or with flag bit 8 HTTP/2 frames of an h2c server).
 * Nothing may crash, leak or loop.
 *
 * Input: flags, chunk size, client bytes [0xff 0xfe server bytes].
 * Flags: 1 regular mode (absolute-form requests), else reverse mode;
 * 2 opens fail; 4 the client closes at the end; 8 reverse:h2c://;
 * 16 stream_large_bodies=1; 32 body_size_limit=64; 64 hooks kill the flow.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct peer {
    struct slice reply; /* what a server says once written to */
    int open_fails;
    int kill;
};

/* Answers blocking commands until none is left; frees everything else. */
static void
drain(struct layer *l, struct cmdq *q, const struct peer *p)
{
    for (int guard = 0; guard < 10000; guard++) {
        struct command *c = cmdq_pop(q);
        if (!c)
            return;
        if (c->blocking) {
            struct event done = {.type = EV_DONE, .cmd_id = c->id};
            if (c->type == CMD_OPEN) {
                if (p->open_fails)
                    done.err = "Connection refused";
                else
                    c->conn->state = CONN_OPEN;
            }
            if (c->type == CMD_HOOK && p->kill && c->hook.flow)
                flow_kill(c->hook.flow);
            cmd_free(c);
            layer_feed(l, &done, q);
            continue;
        }
        if (c->type == CMD_SEND && c->conn->side == CONN_SERVER && p->reply.len &&
            c->conn->state == CONN_OPEN) {
            struct connection *server = connection_ref(c->conn);
            cmd_free(c);
            struct event ev = {.type = EV_DATA, .conn = server, .data = p->reply};
            layer_feed(l, &ev, q);
            connection_unref(server);
            continue;
        }
        /* What the driver does with a close. */
        if (c->type == CMD_CLOSE) {
            if (c->half_close)
                c->conn->state &= ~CONN_CAN_WRITE;
            else
                c->conn->state = CONN_CLOSED;
        }
        cmd_free(c);
    }
    cmdq_clear(q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t flags = data[0];
    size_t chunk = (size_t)data[1] * 4 + 1;
    data += 2;
    size -= 2;
    struct peer peer = {.open_fails = flags & 2, .kill = flags & 64};
    for (size_t i = 0; i + 1 < size; i++) {
        if (data[i] == 0xff && data[i + 1] == 0xfe) {
            peer.reply = slice_from(data + i + 2, size - i - 2);
            size = i;
            break;
        }
    }

    struct options *opts = opt_new();
    struct err e = {0};
    const char *mode = (flags & 1)   ? "regular"
                       : (flags & 8) ? "reverse:h2c://127.0.0.1:80"
                                     : "reverse:http://127.0.0.1:80";
    if (opt_set(opts, "mode", mode, &e) < 0)
        abort();
    if ((flags & 16) && opt_set(opts, "stream_large_bodies", "1", &e) < 0)
        abort(); /* the streaming paths */
    if ((flags & 32) && opt_set(opts, "body_size_limit", "64", &e) < 0)
        abort();
    struct proxy_config cfg;
    if (proxy_config_init(&cfg, opts, &e) < 0)
        abort();
    struct connection *client = connection_new(CONN_CLIENT);
    client->state = CONN_OPEN;
    struct context *ctx = context_new(client, &cfg);
    struct layer *l = layer_http_new(ctx);
    struct cmdq q;
    cmdq_init(&q);

    struct event start = {.type = EV_START};
    layer_feed(l, &start, &q);
    drain(l, &q, &peer);
    for (size_t off = 0; off < size && client->state != CONN_CLOSED; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        struct event ev = {.type = EV_DATA, .conn = client, .data = slice_from(data + off, n)};
        layer_feed(l, &ev, &q);
        drain(l, &q, &peer);
    }
    if (flags & 4) {
        client->state &= ~CONN_CAN_READ;
        struct event closed = {.type = EV_CLOSED, .conn = client};
        layer_feed(l, &closed, &q);
        drain(l, &q, &peer);
    }

    layer_free(l);
    context_free(ctx);
    connection_unref(client);
    proxy_config_clear(&cfg);
    opt_free(opts);
    return 0;
}
