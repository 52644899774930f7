/*
 * What a layer asks the outside world to do. A layer appends commands to a
 * struct cmdq; the driver (or a test) carries them out in order.
 *
 *   CMD_OPEN     connect conn (a server connection) to conn->address;
 *                blocking: the layer pauses until EV_DONE(cmd_id, err)
 *   CMD_SEND     write data to conn; the command owns data until the driver
 *                moves it into a write request
 *   CMD_CLOSE    close conn; half_close shuts down only our write side
 *   CMD_HOOK     hand hook to the addon chain; blocking: EV_DONE when the
 *                addons are through (possibly much later: interception)
 *   CMD_LOG      one log line
 *   CMD_WAKEUP   EV_WAKEUP(cmd_id) after delay_ms
 */
#ifndef MP_PROXY_COMMAND_H
#define MP_PROXY_COMMAND_H

#include <stdint.h>

#include "proxy/hook.h"
#include "util/buf.h"
#include "util/log.h"

struct connection;
struct layer;

#define CMD_TYPE_MAP(X)                                                                            \
    X(OPEN, "open")                                                                                \
    X(SEND, "send")                                                                                \
    X(CLOSE, "close")                                                                              \
    X(HOOK, "hook")                                                                                \
    X(LOG, "log")                                                                                  \
    X(WAKEUP, "wakeup")

enum cmd_type {
#define X(name, str) CMD_##name,
    CMD_TYPE_MAP(X)
#undef X
};

struct command {
    enum cmd_type type;
    uint64_t id;             /* unique per context; EV_DONE/EV_WAKEUP name it */
    int blocking;            /* CMD_OPEN, CMD_HOOK */
    struct layer *waiter;    /* the innermost layer paused on it */
    int reads_on;            /* blocking: the client is read meanwhile. The
                              * waiting layer's say (layer.reads_while_paused),
                              * copied when the command is made; a layer that
                              * holds the wait of another (TLS around an open)
                              * passes it on. */
    struct connection *conn; /* OPEN, SEND, CLOSE: one reference */
    struct buf data;         /* SEND: owned */
    int half_close;          /* CLOSE */
    struct hook_data hook;   /* HOOK: holds references */
    enum log_level level;    /* LOG */
    char *msg;               /* LOG: owned */
    uint64_t delay_ms;       /* WAKEUP */
    struct command *next;
};

/* A FIFO of commands; owns them. */
struct cmdq {
    struct command *head;
    struct command **tail;
};

void cmdq_init(struct cmdq *);
/* Frees every command left in the queue. */
void cmdq_clear(struct cmdq *);
int cmdq_empty(const struct cmdq *);
/* Removes and returns the first command (caller frees with cmd_free), or NULL. */
struct command *cmdq_pop(struct cmdq *);
void cmdq_push(struct cmdq *, struct command *);
/* Moves every command of src to the end of dst. */
void cmdq_splice(struct cmdq *dst, struct cmdq *src);
struct command *cmdq_last(const struct cmdq *);

void cmd_free(struct command *);
const char *cmd_type_name(enum cmd_type);

#endif
