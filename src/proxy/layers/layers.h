/*
 * Constructors of the layers (proxy-internal). Each returns a new layer
 * owned by the caller (layer_free()); ctx is borrowed and outlives it.
 */
#ifndef MP_PROXY_LAYERS_LAYERS_H
#define MP_PROXY_LAYERS_LAYERS_H

#include "proxy/layer.h"

/* HTTP/1 proxying of one client connection (regular and reverse mode). */
struct layer *layer_http_new(struct context *ctx);
/*
 * HTTP/1 inside a tunnel (after CONNECT, or behind TLS): requests in origin
 * form go to server's address; server (an open connection, one reference
 * taken) is reused while it lives. https: requests are https and new server
 * connections are TLS (with server's SNI). server_error: if not NULL, the
 * upstream could not be reached (e.g. its TLS handshake failed) and every
 * request is answered 502 with that reason.
 */
struct layer *layer_http_new_tunnel(struct context *ctx, struct connection *server, int https,
                                    const char *server_error);

/*
 * HTTP/2 proxying of one client connection (ALPN h2, or the cleartext
 * preface): each stream a flow. The arguments are layer_http_new_tunnel's;
 * server NULL: requests go where the mode says (reverse) or where their
 * :authority says. Servers are spoken to in HTTP/2 when they agree to it
 * (or with reverse:h2c://), in HTTP/1.1 otherwise.
 */
struct layer *layer_http2_new(struct context *ctx, struct connection *server, int https,
                              const char *server_error);
/* Streams an HTTP/2 layer still holds (a finished stream is freed at once). */
size_t layer_http2_live_streams(const struct layer *);
/*
 * Lets child (an HTTP/1 layer, owned) talk to servers that speak only
 * HTTP/2 with prior knowledge (reverse:h2c://): its HTTP/1.1 requests
 * become streams, the responses come back to it as HTTP/1.1.
 */
struct layer *layer_h1_over_h2_new(struct context *ctx, struct layer *child);
/*
 * Decides what a CONNECT tunnel (or a reverse-mode client connection)
 * carries, from the client's first bytes: a TLS ClientHello is intercepted
 * (layer_tls_new) unless ignore_hosts/allow_hosts say to pass it through;
 * HTTP is parsed; anything else is relayed. The decision goes through the
 * next_layer hook, where an addon may change it. server is the tunnel's
 * open connection (one reference taken), or NULL in reverse mode.
 */
struct layer *layer_nextlayer_new(struct context *ctx, struct connection *server);

struct tls_clienthello_data;
/*
 * TLS interception: terminates the client's TLS (after the upstream
 * handshake when server is not NULL, so the upstream certificate's names
 * and ALPN can be copied), and speaks TLS to every server connection whose
 * tls flag is set. The sessions come from the tls_start_client and
 * tls_start_server hooks (the tlsconfig addon). The child (an HTTP layer)
 * sees plaintext only. hello is the client's parsed ClientHello (a
 * reference is taken: it is not copied) and first the client bytes read so
 * far (moved into the layer, first is left empty); with hello NULL the
 * client is not TLS, first may be NULL, and only server connections are
 * encrypted. raw_tcp: the plaintext is a TCP flow (tcp_hosts) rather than
 * HTTP.
 */
struct layer *layer_tls_new(struct context *ctx, struct connection *server,
                            struct tls_clienthello_data *hello, struct buf *first, int raw_tcp);

/*
 * Client replay: sends the saved request of f (one reference taken; its
 * response and error are expected to be cleared) to f->request's host and
 * port through the usual hooks, then closes the client side. ctx->client is
 * a connection without a socket; what the layer sends it is dropped.
 */
struct layer *layer_http_new_replay(struct context *ctx, struct flow *f);

/* TLS only towards servers (connections opened with tls set) around child,
 * which the layer owns: client replay and reverse mode to https://. */
struct layer *layer_tls_new_wrap(struct context *ctx, struct layer *child);

/* A raw TCP flow between the client and server (open; one reference
 * taken): every chunk is a message through the tcp_message hook. */
struct layer *layer_tcp_new(struct context *ctx, struct connection *server);

/* Relays bytes between the client and an open server connection, both ways,
 * with half-closes passed on (CONNECT tunnels until TLS interception). */
struct layer *layer_tunnel_new(struct context *ctx, struct connection *server);

/*
 * Reverse mode, when an addon chose raw bytes before any server was
 * connected: opens a connection to the mode's target (with tls set, for a
 * TLS layer above to encrypt), then runs a TCP flow over it (record) or an
 * unrecorded tunnel.
 */
struct layer *layer_relay_new(struct context *ctx, int record, int tls);

/* SOCKS5 mode (RFC 1928): the handshake names the destination, which is
 * opened; then layer_nextlayer_new() decides what the tunnel carries. */
struct layer *layer_socks5_new(struct context *ctx);

/* Transparent mode: opens ctx->original_dst (closing the client when it is
 * unset or cannot be reached), then layer_nextlayer_new() takes over. */
struct layer *layer_transparent_new(struct context *ctx);

/*
 * A DNS mode's server (mitmproxy's DNSLayer): every query of the client is
 * a DNS flow through dns_request, answered by a hook or forwarded over UDP
 * to the mode's upstream, then dns_response (or dns_error) before the
 * answer goes back. ctx->datagram: the client is UDP (one message per
 * EV_DATA); else TCP with RFC 1035's length prefixes.
 */
struct layer *layer_dns_new(struct context *ctx);

struct flow;
/*
 * WebSocket over HTTP/1.1 after a 101 answer to an Upgrade: websocket
 * request: flow (one reference taken) has the handshake and collects the
 * messages in flow->websocket; server (open; one reference taken) is the
 * connection that answered. The caller feeds EV_START first.
 */
struct layer *layer_websocket_new(struct context *ctx, struct flow *flow,
                                  struct connection *server);
/*
 * Gives flow an empty flow->websocket (mitmproxy's WebSocketData) when its
 * response is a 101 to a WebSocket upgrade and the websocket option is on:
 * the HTTP layer calls it before the response hook and then hands the
 * connections to layer_websocket_new().
 */
void layer_websocket_mark(struct context *ctx, struct flow *flow);
/* For tests: a fixed masking key (4 bytes) for frames to the server, or
 * NULL for fresh random keys again. */
void layer_websocket_set_test_mask(const uint8_t *key);

#endif
