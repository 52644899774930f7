/*
 * Event hooks, as mitmproxy names them. The proxy raises a hook with a
 * CMD_HOOK command; the driver hands it to the addon chain. One X-macro
 * table gives the enum and the names, so hook_name() cannot drift.
 */
#ifndef MP_PROXY_HOOK_H
#define MP_PROXY_HOOK_H

#include <stddef.h>

#include "tls/clienthello.h"
#include "util/buf.h"

struct connection;
struct context;
struct flow;
struct tls_session;

#define HOOK_MAP(X)                                                                                \
    X(CLIENT_CONNECTED, "client_connected")                                                        \
    X(CLIENT_DISCONNECTED, "client_disconnected")                                                  \
    X(SERVER_CONNECT, "server_connect")                                                            \
    X(SERVER_CONNECTED, "server_connected")                                                        \
    X(SERVER_DISCONNECTED, "server_disconnected")                                                  \
    X(HTTP_CONNECT, "http_connect")                                                                \
    X(HTTP_CONNECT_UPSTREAM, "http_connect_upstream")                                              \
    X(REQUESTHEADERS, "requestheaders")                                                            \
    X(REQUEST, "request")                                                                          \
    X(RESPONSEHEADERS, "responseheaders")                                                          \
    X(RESPONSE, "response")                                                                        \
    X(ERROR, "error")                                                                              \
    X(TCP_START, "tcp_start")                                                                      \
    X(TCP_MESSAGE, "tcp_message")                                                                  \
    X(TCP_END, "tcp_end")                                                                          \
    X(TCP_ERROR, "tcp_error")                                                                      \
    X(WEBSOCKET_START, "websocket_start")                                                          \
    X(WEBSOCKET_MESSAGE, "websocket_message")                                                      \
    X(WEBSOCKET_END, "websocket_end")                                                              \
    X(DNS_REQUEST, "dns_request")                                                                  \
    X(DNS_RESPONSE, "dns_response")                                                                \
    X(DNS_ERROR, "dns_error")                                                                      \
    X(NEXT_LAYER, "next_layer")                                                                    \
    X(TLS_CLIENTHELLO, "tls_clienthello")                                                          \
    X(TLS_START_CLIENT, "tls_start_client")                                                        \
    X(TLS_START_SERVER, "tls_start_server")                                                        \
    X(TLS_ESTABLISHED_CLIENT, "tls_established_client")                                            \
    X(TLS_ESTABLISHED_SERVER, "tls_established_server")                                            \
    X(TLS_FAILED_CLIENT, "tls_failed_client")                                                      \
    X(TLS_FAILED_SERVER, "tls_failed_server")                                                      \
    X(SOCKS5_AUTH, "socks5_auth")                                                                  \
    X(UPDATE, "update")

enum hook {
#define X(name, str) HOOK_##name,
    HOOK_MAP(X)
#undef X
        HOOK__COUNT
};

const char *hook_name(enum hook);

/*
 * The hooks an addon answers carry data of their own, shaped after
 * mitmproxy's data classes. The layer that raises such a hook keeps one
 * reference and reads the answer when the hook is done; the hook keeps
 * another, so an addon that defers may still write after the layer is gone
 * (the client left). Everything runs on the loop's thread: the counts are
 * plain ints. *_new() returns one reference; *_unref(NULL) is a no-op.
 *
 * ctx is the connection's context (mitmproxy's data.context), borrowed:
 * the driver keeps it until the hook is done.
 */

/*
 * What next_layer chooses from (the layer classes mitmproxy's NextLayer
 * addon picks): pass the bytes through unrecorded (TCPLayer(ignore=True)),
 * a TCP flow, TLS interception, or HTTP (HTTP/1, or HTTP/2 by ALPN or the
 * cleartext preface). NONE is mitmproxy's "layer = None": not decided yet,
 * ask again when more data has arrived.
 */
#define NEXT_LAYER_MAP(X)                                                                          \
    X(NONE, "none")                                                                                \
    X(IGNORE, "ignore")                                                                            \
    X(TCP, "tcp")                                                                                  \
    X(TLS, "tls")                                                                                  \
    X(HTTP, "http")

enum next_layer {
#define X(name, str) NEXT_LAYER_##name,
    NEXT_LAYER_MAP(X)
#undef X
};

const char *next_layer_name(enum next_layer);

/*
 * next_layer (mitmproxy's NextLayer): the layer's own choice is in layer,
 * and an addon may change it. data_client and data_server are the bytes
 * each side sent before the decision (data_client(), data_server()).
 * tls: asked for the plaintext inside an intercepted TLS connection, where
 * TLS is not a choice (IGNORE there relays the plaintext unrecorded).
 */
struct next_layer_data {
    int refs;
    struct context *ctx;
    enum next_layer layer;
    struct buf data_client;
    struct buf data_server;
    int tls;
};

struct next_layer_data *next_layer_data_new(struct context *ctx, enum next_layer layer);
struct next_layer_data *next_layer_data_ref(struct next_layer_data *);
void next_layer_data_unref(struct next_layer_data *);

/*
 * tls_clienthello (mitmproxy's ClientHelloData): the client's ClientHello,
 * parsed. An addon may set ignore_connection (pass the connection through
 * untouched) and establish_server_tls_first (handshake with the server
 * before the client, so the server's certificate and ALPN are known); the
 * layer sets the latter when a server connection is there to do it with.
 */
struct tls_clienthello_data {
    int refs;
    struct context *ctx;
    struct clienthello client_hello;
    int ignore_connection;
    int establish_server_tls_first;
};

/* client_hello starts zeroed: the caller parses the ClientHello into it,
 * so that it is held once, here, and shared by reference from then on. */
struct tls_clienthello_data *tls_clienthello_data_new(struct context *ctx);
struct tls_clienthello_data *tls_clienthello_data_ref(struct tls_clienthello_data *);
void tls_clienthello_data_unref(struct tls_clienthello_data *);

/*
 * The tls_start_*, tls_established_* and tls_failed_* hooks (mitmproxy's
 * TlsData). conn is the connection TLS is spoken on: ctx's client, or a
 * server connection.
 *
 * ssl_conn: in tls_start_client/server an addon supplies the session (the
 * tlsconfig addon does; one that finds it set leaves it); the layer takes
 * it over and fails the connection when none came. In the established and
 * failed hooks it is the session in use. One reference either way.
 *
 * What mitmproxy's addons read from context.server and context.layers
 * instead: server is the upstream connection of a client handshake (NULL
 * when there is none yet, as in reverse mode) and server_tls its session
 * once established, whose certificate the forged one copies; client_hello
 * is the client's ClientHello (NULL when the client does not speak TLS),
 * held by the connection's tls_clienthello data in hello; tcp is set when
 * the plaintext is relayed as TCP (tcp_hosts), not HTTP.
 */
struct tls_data {
    int refs;
    struct context *ctx;
    struct connection *conn;                /* one reference */
    struct tls_session *ssl_conn;           /* one reference, or NULL */
    struct connection *server;              /* one reference, or NULL */
    struct tls_session *server_tls;         /* one reference, or NULL */
    const struct clienthello *client_hello; /* in hello, or NULL */
    struct tls_clienthello_data *hello;     /* one reference, or NULL */
    int tcp;
};

/* Each of conn, server, server_tls and hello (all but conn may be NULL)
 * gets a reference. */
struct tls_data *tls_data_new(struct context *ctx, struct connection *conn,
                              struct connection *server, struct tls_session *server_tls,
                              struct tls_clienthello_data *hello);
struct tls_data *tls_data_ref(struct tls_data *);
void tls_data_unref(struct tls_data *);
/* Hands the session in ssl_conn to the caller (NULL if none came). */
struct tls_session *tls_data_take_session(struct tls_data *);

/*
 * socks5_auth (mitmproxy's Socks5AuthData): the RFC 1929 credentials, as
 * text: UTF-8 as sent, every byte that is not part of valid UTF-8 (and NUL)
 * written as \xNN (Python's "backslashreplace"). An addon sets valid.
 */
struct socks5_auth_data {
    int refs;
    struct connection *client_conn; /* one reference */
    char *username;                 /* owned */
    char *password;                 /* owned */
    int valid;
};

/* user and pass are raw bytes from the wire; they are decoded as above. */
struct socks5_auth_data *socks5_auth_data_new(struct connection *client, const void *user,
                                              size_t ulen, const void *pass, size_t plen);
struct socks5_auth_data *socks5_auth_data_ref(struct socks5_auth_data *);
void socks5_auth_data_unref(struct socks5_auth_data *);

/*
 * What a hook is about. Flow hooks carry the flow; connection hooks carry
 * the client and (for server_*) the server connection. Each non-NULL pointer
 * holds one reference while the hook is in flight.
 *
 * An addon answering server_connect may refuse the connection by setting
 * server->error (mitmproxy's ServerConnectionHookData).
 *
 * next_layer, tls_clienthello, tls_* and socks5_auth carry their data in
 * the field of that name (client and server are set too, for addons that
 * only look at connections); update carries the flows an addon changed
 * (mitmproxy's UpdateHook(flows)).
 */
struct hook_data {
    enum hook hook;
    struct flow *flow;
    struct connection *client;
    struct connection *server;
    struct next_layer_data *next_layer;
    struct tls_clienthello_data *clienthello;
    struct tls_data *tls;
    struct socks5_auth_data *socks5_auth;
    struct flow **flows; /* update: owned array */
    size_t nflows;
};

/* Takes references on whatever is set; hook_data_clear() drops them. The
 * data fields above start out NULL: set them with a reference of their own. */
void hook_data_init(struct hook_data *, enum hook, struct flow *, struct connection *client,
                    struct connection *server);
/* An update hook for n flows (a reference is taken on each). */
void hook_data_init_update(struct hook_data *, struct flow *const *flows, size_t n);
void hook_data_clear(struct hook_data *);

#endif
