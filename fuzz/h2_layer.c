/*
 * libFuzzer target for the HTTP/2 layer: arbitrary bytes after the client
 * preface go through a fresh layer in reverse mode, cut into chunks. Every
 * blocking command is answered (opens succeed or fail by a flag bit) and a
 * server that is written to answers with the bytes after the first 0xff
 * 0xfe pair of the input (an HTTP/1.1 response, or with flag bit 8 HTTP/2
 * frames from an h2c server; bit 16 streams every body). Nothing may crash,
 * leak or loop.
 * Input: flags, chunk size, client bytes [0xff 0xfe server bytes].
 */
#include "layer_peer.h"
#include "h2/h2.h"

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
    layer_rig_init(&r, (flags & 8) ? "reverse:h2c://127.0.0.1:80" : "reverse:http://127.0.0.1:80");
    r.peer = (struct layer_peer){.open_fails = flags & 2};
    size = layer_peer_split(&r.peer, data, size);
    if (flags & 16)
        layer_rig_set(&r, "stream_large_bodies", "1"); /* the streaming paths */

    layer_rig_start(&r, layer_http2_new(layer_rig_context(&r), NULL, 0, NULL));
    layer_rig_client_data(&r, (const uint8_t *)H2_PREFACE, H2_PREFACE_LEN, H2_PREFACE_LEN);
    layer_rig_client_data(&r, data, size, chunk);
    if (flags & 4)
        layer_rig_client_close(&r);
    layer_rig_free(&r);
    return 0;
}
