/*
 * libFuzzer target for the DNS layer (a DNS mode's server): arbitrary
 * client bytes, as UDP datagrams or as a TCP stream of length-prefixed
 * messages cut into chunks, through a fresh layer. Every blocking command
 * is answered (opens succeed or fail by a flag bit, hooks may kill the
 * flow), an upstream that is written to answers with the bytes after the
 * first 0xff 0xfe pair of the input, and at the end every timer fires.
 * Nothing may crash, leak or loop.
 *
 * Input: flags, chunk size, client bytes [0xff 0xfe server bytes].
 * Flags: 1 UDP client (each chunk a datagram), else TCP; 2 reverse mode
 * (an upstream), else regular; 4 opens fail; 8 hooks kill the flow; 16 the
 * client closes at the end.
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
    struct layer_peer peer = {.open_fails = flags & 4, .kill = flags & 8};
    size = layer_peer_split(&peer, data, size);

    struct options *opts = opt_new();
    struct err e = {0};
    const char *mode = (flags & 2) ? "reverse:dns://127.0.0.1:53" : "dns";
    if (opt_set(opts, "mode", mode, &e) < 0)
        abort();
    struct proxy_config cfg;
    if (proxy_config_init(&cfg, opts, &e) < 0)
        abort();
    struct connection *client = connection_new(CONN_CLIENT);
    client->state = CONN_OPEN;
    struct context *ctx = context_new(client, &cfg);
    ctx->datagram = flags & 1;
    struct layer *l = layer_dns_new(ctx);
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
    /* Every timer fires (ids that name no timer are ignored). */
    for (uint64_t id = 1, last = ctx->next_cmd_id; id <= last; id++) {
        struct event ev = {.type = EV_WAKEUP, .cmd_id = id};
        layer_feed(l, &ev, &q);
        layer_peer_drain(l, &q, &peer);
    }
    if (flags & 16) {
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
