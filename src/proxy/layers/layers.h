/*
 * Constructors of the layers (proxy-internal). Each returns a new layer
 * owned by the caller (layer_free()); ctx is borrowed and outlives it.
 */
#ifndef MP_PROXY_LAYERS_LAYERS_H
#define MP_PROXY_LAYERS_LAYERS_H

#include "proxy/layer.h"

/* HTTP/1 proxying of one client connection (regular and reverse mode). */
struct layer *layer_http_new(struct context *ctx);
/* Relays bytes between the client and an open server connection, both ways,
 * with half-closes passed on (CONNECT tunnels until TLS interception). */
struct layer *layer_tunnel_new(struct context *ctx, struct connection *server);

#endif
