/*
 * The root of a client connection's layer stack, by proxy mode. Regular
 * and reverse mode both start with HTTP; the other modes add their own
 * layers (TLS detection, SOCKS5, transparent) in later work.
 */
#include "proxy/layers/layers.h"
#include "proxy/proxy.h"

struct layer *
proxy_root_layer_new(struct context *ctx)
{
    return layer_http_new(ctx);
}
