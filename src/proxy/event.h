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
 */
#ifndef MP_PROXY_EVENT_H
#define MP_PROXY_EVENT_H

#include <stdint.h>

#include "util/buf.h"

struct connection;

#define EV_TYPE_MAP(X)                                                                             \
    X(START, "start")                                                                              \
    X(DATA, "data")                                                                                \
    X(CLOSED, "closed")                                                                            \
    X(DONE, "done")                                                                                \
    X(WAKEUP, "wakeup")

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
};

const char *ev_type_name(enum ev_type);

/* A heap copy of ev with its bytes and err owned by the copy (for queueing). */
struct event *event_dup(const struct event *);
void event_free(struct event *);

#endif
