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
#include "layer_peer.h"
#include "proxy/context.h"

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
    struct layer_rig r;
    layer_rig_init(&r, (flags & 2) ? "reverse:dns://127.0.0.1:53" : "dns");
    r.peer = (struct layer_peer){.open_fails = flags & 4, .kill = flags & 8};
    size = layer_peer_split(&r.peer, data, size);
    struct context *ctx = layer_rig_context(&r);
    ctx->datagram = flags & 1;

    layer_rig_start(&r, layer_dns_new(ctx));
    layer_rig_client_data(&r, data, size, chunk);
    /* Every timer fires (ids that name no timer are ignored). */
    for (uint64_t id = 1, last = ctx->next_cmd_id; id <= last; id++) {
        struct event ev = {.type = EV_WAKEUP, .cmd_id = id};
        layer_rig_feed(&r, &ev);
    }
    if (flags & 16)
        layer_rig_client_close(&r);
    layer_rig_free(&r);
    return 0;
}
