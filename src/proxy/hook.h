/*
 * Event hooks, as mitmproxy names them. The proxy raises a hook with a
 * CMD_HOOK command; the driver hands it to the addon chain. One X-macro
 * table gives the enum and the names, so hook_name() cannot drift.
 */
#ifndef MP_PROXY_HOOK_H
#define MP_PROXY_HOOK_H

struct flow;
struct connection;

#define HOOK_MAP(X)                                                                                \
    X(CLIENT_CONNECTED, "client_connected")                                                        \
    X(CLIENT_DISCONNECTED, "client_disconnected")                                                  \
    X(SERVER_CONNECT, "server_connect")                                                            \
    X(SERVER_CONNECTED, "server_connected")                                                        \
    X(SERVER_DISCONNECTED, "server_disconnected")                                                  \
    X(HTTP_CONNECT, "http_connect")                                                                \
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
    X(DNS_ERROR, "dns_error")

enum hook {
#define X(name, str) HOOK_##name,
    HOOK_MAP(X)
#undef X
        HOOK__COUNT
};

const char *hook_name(enum hook);

/*
 * What a hook is about. Flow hooks carry the flow; connection hooks carry
 * the client and (for server_*) the server connection. Each non-NULL pointer
 * holds one reference while the hook is in flight.
 *
 * An addon answering server_connect may refuse the connection by setting
 * server->error (mitmproxy's ServerConnectionHookData).
 */
struct hook_data {
    enum hook hook;
    struct flow *flow;
    struct connection *client;
    struct connection *server;
};

/* Takes references on whatever is set; hook_data_clear() drops them. */
void hook_data_init(struct hook_data *, enum hook, struct flow *, struct connection *client,
                    struct connection *server);
void hook_data_clear(struct hook_data *);

#endif
