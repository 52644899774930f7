/*
 * Layers: state machines that take events and emit commands
 * (mitmproxy.proxy.layer.Layer). A layer never touches a socket.
 *
 * A layer that emits a blocking command (CMD_OPEN, CMD_HOOK) with itself as
 * waiter is paused: layer_feed() queues further events for it (deep copies)
 * and replays them once the matching EV_DONE arrives. A parent feeds its
 * child with layer_feed() and moves the child's commands to its own output,
 * handling those that concern it; a child's blocking command names the
 * child as waiter, so the parent keeps running.
 */
#ifndef MP_PROXY_LAYER_H
#define MP_PROXY_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "proxy/command.h"
#include "proxy/context.h"
#include "proxy/event.h"
#include "proxy/hook.h"

struct layer;

struct layer_ops {
    const char *name;
    void (*handle)(struct layer *, const struct event *, struct cmdq *out);
    void (*free)(struct layer *);
    /*
     * Optional. A layer that has handed its connections to a child for good
     * and from then on only passes events down to it (the HTTP layer after
     * CONNECT, next-layer detection once it chose) returns that child, no
     * longer its own to free; NULL while it still has work of its own. See
     * layer_collapse().
     */
    struct layer *(*successor)(struct layer *);
};

struct layer {
    const struct layer_ops *ops;
    struct context *ctx; /* borrowed; outlives the layer */
    uint64_t paused_on;  /* id of the blocking command waited for; 0 = running */
    struct event **pending; /* owned queue of events that came while paused */
    size_t npending;
    size_t cappending;
    /*
     * Whether the client connection is read while this layer waits on a
     * blocking command of its own. 0 (layer_init's default): the connection
     * waits with it, so a paused flow holds its client back (backpressure).
     * A layer that is one of several independent exchanges on a connection
     * (an HTTP/2 stream) sets it: its hooks and opens pause only itself.
     */
    int reads_while_paused;
};

void layer_init(struct layer *, const struct layer_ops *, struct context *);
/* Feeds one event; commands go to the end of out. Never re-entrant. */
void layer_feed(struct layer *, const struct event *, struct cmdq *out);
/* Frees the layer (its ops->free) and its queued events; NULL is a no-op. */
void layer_free(struct layer *);

/*
 * Frees the layers at the top of a stack that only pass events down (see
 * layer_ops.successor) and returns the first that does more, to be fed in
 * their place: an idle tunnelled or intercepted connection keeps no HTTP
 * layer of its CONNECT and no next-layer state. Layers that wait on a
 * command or hold queued events stay. The owner of the stack calls it
 * between feeds, never from inside one.
 */
struct layer *layer_collapse(struct layer *l);

/* Takes the layer out of *slot (which becomes NULL): what a successor
 * returns, the child its parent no longer holds. */
static inline struct layer *
layer_take(struct layer **slot)
{
    struct layer *child = *slot;
    *slot = NULL;
    return child;
}

/*
 * Hands the connections to a child that takes over from here (after
 * CONNECT, a SOCKS5 handshake, a 101, the transparent open, next-layer
 * detection): feeds it EV_START, the bytes each side sent that the parent
 * read but did not use (either slice may be empty, server may be NULL),
 * then EV_CLOSED for each side whose peer already closed (from conn->state).
 * Commands go to out. Later events are the parent's to forward.
 */
void layer_start_child(struct layer *child, struct cmdq *out, struct connection *client,
                       struct slice client_data, struct connection *server,
                       struct slice server_data);

/*
 * Command builders. Each appends one command to out and returns it
 * (borrowed: out owns it). Blocking ones name l as waiter; emit them last
 * in a handler, since l is paused from then on.
 */
struct command *layer_open(struct layer *l, struct cmdq *out, struct connection *server);
struct command *layer_send(struct layer *l, struct cmdq *out, struct connection *c,
                           const void *p, size_t n);
/* Like layer_send, but takes the bytes of b (left empty). */
struct command *layer_send_buf(struct layer *l, struct cmdq *out, struct connection *c,
                               struct buf *b);
struct command *layer_close(struct layer *l, struct cmdq *out, struct connection *c,
                            int half_close);
struct command *layer_hook(struct layer *l, struct cmdq *out, enum hook, struct flow *,
                           struct connection *client, struct connection *server);
/* The message gets the context's log prefix ("ip:port: "), as every
 * mitmproxy log line about a connection does. */
struct command *layer_log(struct layer *l, struct cmdq *out, enum log_level, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));
struct command *layer_wakeup(struct layer *l, struct cmdq *out, uint64_t delay_ms);

#endif
