/*
 * The layer stack's entry point for the driver: the root layer of a client
 * connection, chosen by the proxy mode.
 */
#ifndef MP_PROXY_PROXY_H
#define MP_PROXY_PROXY_H

#include "proxy/layer.h"

/* A new root layer for ctx (owned by the caller; layer_free()). */
struct layer *proxy_root_layer_new(struct context *ctx);

struct flow;
/* The layers that replay flow f's saved request (client replay): HTTP with
 * TLS towards the server when the request is https. f: a reference is taken. */
struct layer *proxy_replay_layer_new(struct context *ctx, struct flow *f);

#endif
