/*
 * Flows: one HTTP request/response exchange (or a TCP/DNS conversation) with
 * its connections, error, marks, comment and metadata, as mitmproxy's
 * flow.Flow and http.HTTPFlow. Flows are refcounted because the proxy, the
 * flow store, the UIs and Python scripts all hold them; flow_new_http()
 * returns one reference.
 *
 * A flow is changed only by the thread that currently holds it for a hook
 * (the proxy's worker while the flow is live), so it has no lock.
 */
#ifndef MP_FLOW_FLOW_H
#define MP_FLOW_FLOW_H

#include <stdatomic.h>

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

    /* FLOW_HTTP */
    struct http_request *request;   /* owned; NULL until parsed */
    struct http_response *response; /* owned; NULL if none */
    struct tns *websocket;          /* owned, as loaded; NULL = None */

    /* FLOW_TCP: the messages in the order they passed (mitmproxy's
     * TCPFlow.messages). The tcp_message hook is about the last one, which
     * an addon may change (content) or drop (dropped) before it is sent. */
    struct tcp_message *messages; /* owned array */
    size_t nmessages;
    size_t capmessages;

    /* FLOW_DNS and any unmodeled top-level fields: kept as loaded so they
     * are written back intact. Owned; NULL when empty. */
    struct tns *extra;

    /* Not stored: the format version this flow was read with (0 = live). */
    int loaded_version;
};

/* A new live HTTP flow with a fresh id, timestamp_created = now. */
struct flow *flow_new_http(struct connection *client, struct connection *server);
/* A new live TCP flow with a fresh id, timestamp_created = now. */
struct flow *flow_new_tcp(struct connection *client, struct connection *server);
/* Appends a message (the bytes are copied, timestamp now); returns it, borrowed. */
struct tcp_message *flow_tcp_add_message(struct flow *, int from_client, const void *p, size_t n);

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
/* Marks the flow killed with mitmproxy's error "Connection killed.". */
void flow_kill(struct flow *);
/* A deep copy with a new id (mitmproxy's Flow.copy), one reference. */
struct flow *flow_copy(const struct flow *);
const char *flow_type_name(enum flow_type);

#endif
