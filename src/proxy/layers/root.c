/*
 * The root of a client connection's layer stack, by proxy mode. Regular
 * mode starts with HTTP (CONNECT then decides what the tunnel carries);
 * reverse mode first looks at the client's bytes. SOCKS5 mode starts with
 * its handshake, transparent mode by connecting to the original destination.
 */
#include "proxy/layers/layers.h"
#include "proxy/proxy.h"

struct layer *
proxy_root_layer_new(struct context *ctx)
{
    /* Reverse mode accepts TLS and plain HTTP on the same port: the first
     * bytes decide (ClientHello or request line). */
    if (ctx->cfg->mode.kind == PROXY_MODE_REVERSE)
        return layer_nextlayer_new(ctx, NULL);
    if (ctx->cfg->mode.kind == PROXY_MODE_SOCKS5)
        return layer_socks5_new(ctx);
    if (ctx->cfg->mode.kind == PROXY_MODE_TRANSPARENT)
        return layer_transparent_new(ctx);
    if (ctx->cfg->mode.kind == PROXY_MODE_DNS)
        return layer_dns_new(ctx);
    return layer_http_new(ctx);
}

struct layer *
proxy_replay_layer_new(struct context *ctx, struct flow *f)
{
    return layer_tls_new_wrap(ctx, layer_http_new_replay(ctx, f));
}
