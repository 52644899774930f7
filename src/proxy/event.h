/*
 * What the driver, or a test, feeds into a layer.
 *
 *   EV_START     the client connected; the layer stack begins
 *   EV_DATA      bytes arrived on conn; data is borrowed for the call only
 *   EV_CLOSED    conn's peer closed its side (EOF) or the connection failed;
 *                conn->state says what is left (CONN_CAN_WRITE after a FIN)
 *   EV_DONE      the blocking command cmd_id finished; for CMD_OPEN, err is
 *                NULL on success or the reason it failed
 *   EV_WAKEUP    the timer asked for with CMD_WAKEUP cmd_id fired
 *   EV_INJECT    an addon injects a message into flow, a live WebSocket or
 *                TCP flow (mitmproxy's MessageInjected): data is its
 *                content, from_client the side it pretends to come from,
 *                msg_type its WebSocket opcode (0 for TCP). Parents pass it
 *                down; only the layer relaying that flow takes it.
 */
#ifndef MP_PROXY_EVENT_H
#define MP_PROXY_EVENT_H

#include <stdint.h>

#include "util/buf.h"

struct connection;
struct flow;

#define EV_TYPE_MAP(X)                                                                             \
    X(START, "start")                                                                              \
    X(DATA, "data")                                                                                \
    X(CLOSED, "closed")                                                                            \
    X(DONE, "done")                                                                                \
    X(WAKEUP, "wakeup")                                                                            \
    X(INJECT, "inject")

enum ev_type {
#define X(name, str) EV_##name,
    EV_TYPE_MAP(X)
#undef X
};

struct event {
    enum ev_type type;
    struct connection *conn; /* EV_DATA, EV_CLOSED: borrowed */
    struct slice data;       /* EV_DATA: borrowed for the call */
    uint64_t cmd_id;         /* EV_DONE, EV_WAKEUP */
    const char *err;         /* EV_DONE: borrowed; NULL = success */
    struct flow *flow;       /* EV_INJECT: borrowed (a copy holds a reference) */
    int from_client;         /* EV_INJECT */
    int msg_type;            /* EV_INJECT */
};

const char *ev_type_name(enum ev_type);

/* A heap copy of ev with its bytes and err owned by the copy, and a
 * reference on its flow (for queueing). */
struct event *event_dup(const struct event *);
void event_free(struct event *);

#endif
