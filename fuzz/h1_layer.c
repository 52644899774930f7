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
#include "layer_peer.h"

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
    layer_rig_init(&r, (flags & 1)   ? "regular"
                       : (flags & 8) ? "reverse:h2c://127.0.0.1:80"
                                     : "reverse:http://127.0.0.1:80");
    r.peer = (struct layer_peer){.open_fails = flags & 2, .kill = flags & 64};
    size = layer_peer_split(&r.peer, data, size);
    if (flags & 16)
        layer_rig_set(&r, "stream_large_bodies", "1"); /* the streaming paths */
    if (flags & 32)
        layer_rig_set(&r, "body_size_limit", "64");

    layer_rig_start(&r, layer_http_new(layer_rig_context(&r)));
    layer_rig_client_data(&r, data, size, chunk);
    if (flags & 4)
        layer_rig_client_close(&r);
    layer_rig_free(&r);
    return 0;
}
