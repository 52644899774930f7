/*
 * Flows: one HTTP request/response exchange (or a TCP/DNS conversation) with
 * its connections, error, marks, comment and metadata, as mitmproxy's
 * flow.Flow and http.HTTPFlow. Flows are refcounted because the proxy, the
 * flow store, the UIs and Python scripts all hold them; flow_new_http()
 * returns one reference.
 *
 * A flow is changed only by the thread that currently holds it for a hook
 * (the proxy's worker while the flow is live), so it has no lock; another
 * thread reads a flow_snapshot() of it.
 */
#ifndef MP_FLOW_FLOW_H
#define MP_FLOW_FLOW_H

#include <stdatomic.h>

#include "dns/dns.h"
#include "flow/connection.h"
#include "http/message.h"
#include "util/uuid.h"

struct tns;

enum flow_type { FLOW_HTTP, FLOW_TCP, FLOW_DNS };

struct flow_error {
    char *msg; /* owned */
    double timestamp;
};

struct tcp_message {
    int from_client;
    struct buf content; /* owned */
    double timestamp;
    int dropped; /* set by an addon in tcp_message: not forwarded (not stored) */
};

/*
 * One WebSocket message, its fragments reassembled (mitmproxy's
 * WebSocketMessage). Only text and binary messages are recorded; control
 * frames are relayed and not kept. 48 bytes plus the content (on LP64): a
 * store holds many of these.
 */
struct ws_message {
    struct buf content; /* owned; the message's bytes (inflated if compressed) */
    double timestamp;
    int type; /* the opcode: WS_TEXT or WS_BINARY (http/ws.h) */
    unsigned from_client : 1;
    unsigned dropped : 1;  /* set by an addon in websocket_message: not forwarded (stored) */
    unsigned injected : 1; /* made by the proxy or an addon, not by a peer */
};

/*
 * What a WebSocket carried and how it ended (mitmproxy's WebSocketData,
 * HTTPFlow.websocket). The close fields stay None while it is open.
 */
struct websocket_data {
    struct ws_message *messages; /* owned array, in the order they passed */
    size_t nmessages;
    size_t capmessages;
    int closed_by_client; /* 1 the client, 0 the server, -1 None */
    int close_code;       /* RFC 6455 7.4 status code, -1 None */
    char *close_reason;   /* owned UTF-8; NULL = None */
    double timestamp_end; /* 0 = None */
};

struct flow {
    atomic_int refs;
    enum flow_type type;
    char id[UUID_STR_LEN];
    struct connection *client_conn; /* one reference each; may be NULL */
    struct connection *server_conn;
    struct flow_error *error; /* owned; NULL if none */
    int intercepted;
    const char *is_replay; /* NULL, "request" or "response" (static strings) */
    char *marked;          /* owned; "" when not marked */
    char *comment;         /* owned */
    struct tns *metadata;  /* owned dict; NULL means {} */
    double timestamp_created;
    int live;   /* being proxied now (never stored) */
    int killed; /* set by flow_kill(): the proxy drops the connection */
    /*
     * Interception (mitmproxy's intercept / wait_for_resume / resume): a
     * flow that is intercepted when a hook is through waits there until
     * flow_resume() or flow_kill(). Whoever waits (the driver) sets resume
     * and resume_arg; they are cleared before resume is called. Not stored.
     */
    void (*resume)(struct flow *, void *arg);
    void *resume_arg;
    /* The state flow_backup() kept (mitmproxy's Flow._backup): a flow of the
     * same type holding no backup of its own, never live. Flow files store it
     * as "backup" while it differs from the flow. Owned; NULL if none. */
    struct flow *backup;

    /* FLOW_HTTP */
    struct http_request *request;   /* owned; NULL until parsed */
    struct http_response *response; /* owned; NULL if none */
    /* Set when the response is a 101 to a WebSocket upgrade. The
     * websocket_message hook is about the last message, which an addon may
     * change (content) or drop (dropped) before it is sent. */
    struct websocket_data *websocket; /* owned; NULL = None */

    /* FLOW_TCP: the messages in the order they passed (mitmproxy's
     * TCPFlow.messages). The tcp_message hook is about the last one, which
     * an addon may change (content) or drop (dropped) before it is sent. */
    struct tcp_message *messages; /* owned array */
    size_t nmessages;
    size_t capmessages;

    /* FLOW_DNS: the query and its answer (mitmproxy's DNSFlow.request and
     * .response); the dns_response hook is about the answer, which an addon
     * may change or set. */
    struct dns_message *dns_request;  /* owned; NULL until the query is read */
    struct dns_message *dns_response; /* owned; NULL if none */

    /* Unmodeled top-level fields: kept as loaded so they are written back
     * intact. Owned; NULL when empty. A DNS flow read from a file also
     * keeps its "request" and "response" trees here, which nothing writes:
     * store/record.c reads DNS rows from them until it reads dns_request
     * and dns_response. */
    struct tns *extra;

    /* Not stored: the format version this flow was read with (0 = live). */
    int loaded_version;
};

/* A new live HTTP flow with a fresh id, timestamp_created = now. */
struct flow *flow_new_http(struct connection *client, struct connection *server);
/* A new live TCP flow with a fresh id, timestamp_created = now. */
struct flow *flow_new_tcp(struct connection *client, struct connection *server);
/* A new live DNS flow with a fresh id, timestamp_created = now, and no
 * messages yet. */
struct flow *flow_new_dns(struct connection *client, struct connection *server);
/* Appends a message (the bytes are copied, timestamp now); returns it, borrowed. */
struct tcp_message *flow_tcp_add_message(struct flow *, int from_client, const void *p, size_t n);

/* f->websocket, first made empty (mitmproxy's WebSocketData()) if it is None. */
struct websocket_data *flow_ws_data(struct flow *);
/* Appends a message of type (an opcode) to flow_ws_data(f): the bytes are
 * copied, the timestamp is now. Returns it, borrowed until the next append. */
struct ws_message *flow_ws_add_message(struct flow *, int type, int from_client, const void *p,
                                       size_t n);
/* Records the close (who, status code, reason of n bytes), timestamp_end now. */
void flow_ws_set_close(struct flow *, int by_client, int code, const void *reason, size_t n);

/* An empty flow of the given type (used by the flow-file reader). */
struct flow *flow_new(enum flow_type);
struct flow *flow_ref(struct flow *);
void flow_unref(struct flow *);
/*
 * Whether anybody besides the caller, who holds one reference, holds the
 * flow. When not, nothing else can see it any more, so the caller may take
 * parts of it (a body to send) instead of copying them.
 */
int flow_shared(const struct flow *);

/* Sets the error (replacing any), timestamped now. */
void flow_set_error(struct flow *, const char *msg);
/* Removes the error, if any (mitmproxy's `flow.error = None`). */
void flow_clear_error(struct flow *);
/* Marks the flow killed with mitmproxy's error "Connection killed."; a flow
 * waiting in interception goes on (and is dropped by the proxy). */
void flow_kill(struct flow *);
/* Intercepts the flow: after the hook in progress it waits for flow_resume(). */
void flow_intercept(struct flow *);
/* Lets an intercepted flow go on. Loop thread only (another thread posts). */
void flow_resume(struct flow *);
/* A deep copy with a new id and its backup, never live (mitmproxy's
 * Flow.copy): a duplicate to edit or replay. One reference. */
struct flow *flow_copy(const struct flow *);
/*
 * A deep copy that keeps the id, the backup and the live and killed flags:
 * what the flow is now, for a UI or another thread to read while the live
 * flow goes on. Changing it changes nothing in the proxy. One reference.
 */
struct flow *flow_snapshot(const struct flow *);

/*
 * mitmproxy's Flow.backup(), revert() and modified(), for the edits of a
 * UI or a replay. flow_backup() keeps a copy of the state unless there is
 * one already, so the first backup wins. flow_revert() puts that state
 * back and drops the backup; the request, response and WebSocket data keep
 * their addresses where both states have one, and a live flow keeps its
 * connections, whose state is the proxy's. flow_modified() is 1 when there
 * is a backup and the state (everything a flow file stores) differs from it.
 */
void flow_backup(struct flow *);
void flow_revert(struct flow *);
int flow_modified(const struct flow *);
const char *flow_type_name(enum flow_type);

#endif
