/*
 * libFuzzer target for the SOCKS5 layer: arbitrary client bytes, cut into
 * chunks, go through a fresh layer; every blocking command is answered
 * (opens succeed or fail by a flag byte; socks5_auth accepts user:pass, as
 * the proxyauth addon would) so the tunnel's next layers run too. Nothing
 * may crash, leak or loop. Input: flags, chunk size, bytes.
 */
#include <stdlib.h>

#include "layer_peer.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t flags = data[0];
    size_t chunk = (size_t)data[1] + 1;
    data += 2;
    size -= 2;

    struct layer_rig r;
    layer_rig_init(&r, "socks5");
    r.peer.open_fails = flags & 2;
    if (flags & 1) {
        free(r.opts->proxyauth);
        r.opts->proxyauth = xstrdup("user:pass");
    }

    layer_rig_start(&r, layer_socks5_new(layer_rig_context(&r)));
    layer_rig_client_data(&r, data, size, chunk);
    if (flags & 4)
        layer_rig_client_close(&r);
    layer_rig_free(&r);
    return 0;
}
