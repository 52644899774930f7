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

#include "layer_peer.h"
#include "flow/connection.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t flags = data[0];
    size_t chunk = (size_t)data[1] * 4 + 1;
    data += 2;
    size -= 2;
    struct layer_peer peer = {.open_fails = flags & 2, .kill = flags & 64};
    size = layer_peer_split(&peer, data, size);

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
    layer_peer_drain(l, &q, &peer);
    for (size_t off = 0; off < size && client->state != CONN_CLOSED; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        struct event ev = {.type = EV_DATA, .conn = client, .data = slice_from(data + off, n)};
        layer_feed(l, &ev, &q);
        layer_peer_drain(l, &q, &peer);
    }
    if (flags & 4) {
        client->state &= ~CONN_CAN_READ;
        struct event closed = {.type = EV_CLOSED, .conn = client};
        layer_feed(l, &closed, &q);
        layer_peer_drain(l, &q, &peer);
    }

    layer_free(l);
    context_free(ctx);
    connection_unref(client);
    proxy_config_clear(&cfg);
    opt_free(opts);
    return 0;
}
