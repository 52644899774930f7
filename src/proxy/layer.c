/*
 * Pausing, queueing and replay of events, and the command builders.
 * This is mitmproxy's Layer.handle_event in C: a layer that waits for a
 * blocking command sees nothing else until that command's EV_DONE; what
 * arrives meanwhile is kept and replayed in order.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "flow/connection.h"
#include "proxy/layer.h"
#include "util/xmalloc.h"

void
layer_init(struct layer *l, const struct layer_ops *ops, struct context *ctx)
{
    l->ops = ops;
    l->ctx = ctx;
    l->paused_on = 0;
    l->pending = NULL;
    l->npending = 0;
    l->cappending = 0;
    l->reads_while_paused = 0;
}

static void
queue(struct layer *l, const struct event *ev)
{
    if (l->npending == l->cappending) {
        l->cappending = l->cappending ? l->cappending * 2 : 8;
        l->pending = xrealloc(l->pending, l->cappending * sizeof(*l->pending));
    }
    l->pending[l->npending++] = event_dup(ev);
}

/* Runs the handler, then notes whether it paused on a command of its own. */
static void
run(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct command **before = out->tail;
    l->ops->handle(l, ev, out);
    for (struct command *c = *before; c != NULL; c = c->next) {
        if (c->blocking && c->waiter == l) {
            /* A blocking command ends a handler's turn (mitmproxy asserts the same). */
            assert(c->next == NULL);
            l->paused_on = c->id;
        }
    }
}

void
layer_feed(struct layer *l, const struct event *ev, struct cmdq *out)
{
    if (l->paused_on) {
        if (ev->type == EV_DONE && ev->cmd_id == l->paused_on) {
            l->paused_on = 0;
            run(l, ev, out);
        } else {
            queue(l, ev);
            return;
        }
    } else {
        run(l, ev, out);
    }
    /* Replay what came while we were paused, until we pause again. */
    size_t i = 0;
    while (i < l->npending && !l->paused_on) {
        struct event *q = l->pending[i++];
        run(l, q, out);
        event_free(q);
    }
    if (i) {
        l->npending -= i;
        for (size_t j = 0; j < l->npending; j++)
            l->pending[j] = l->pending[j + i];
    }
}

void
layer_free(struct layer *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->npending; i++)
        event_free(l->pending[i]);
    free(l->pending);
    l->pending = NULL;
    l->npending = 0;
    l->ops->free(l);
}

struct layer *
layer_collapse(struct layer *l)
{
    while (l && l->ops->successor && l->paused_on == 0 && l->npending == 0) {
        struct layer *next = l->ops->successor(l);
        if (next == NULL)
            break;
        layer_free(l);
        l = next;
    }
    return l;
}

void
layer_start_child(struct layer *child, struct cmdq *out, struct connection *client,
                  struct slice client_data, struct connection *server, struct slice server_data)
{
    struct event ev = {.type = EV_START};
    layer_feed(child, &ev, out);
    if (client_data.len) {
        ev = (struct event){.type = EV_DATA, .conn = client, .data = client_data};
        layer_feed(child, &ev, out);
    }
    if (server && server_data.len) {
        ev = (struct event){.type = EV_DATA, .conn = server, .data = server_data};
        layer_feed(child, &ev, out);
    }
    if (!(client->state & CONN_CAN_READ)) {
        ev = (struct event){.type = EV_CLOSED, .conn = client};
        layer_feed(child, &ev, out);
    }
    if (server && !(server->state & CONN_CAN_READ)) {
        ev = (struct event){.type = EV_CLOSED, .conn = server};
        layer_feed(child, &ev, out);
    }
}

static struct command *
push(struct layer *l, struct cmdq *out, enum cmd_type type, struct connection *c)
{
    struct command *cmd = xcalloc(1, sizeof(*cmd));
    cmd->type = type;
    cmd->id = ++l->ctx->next_cmd_id;
    cmd->waiter = l;
    cmd->reads_on = l->reads_while_paused;
    cmd->conn = c ? connection_ref(c) : NULL;
    cmdq_push(out, cmd);
    return cmd;
}

struct command *
layer_open(struct layer *l, struct cmdq *out, struct connection *server)
{
    struct command *cmd = push(l, out, CMD_OPEN, server);
    cmd->blocking = 1;
    return cmd;
}

struct command *
layer_send(struct layer *l, struct cmdq *out, struct connection *c, const void *p, size_t n)
{
    struct command *cmd = push(l, out, CMD_SEND, c);
    buf_append(&cmd->data, p, n);
    return cmd;
}

struct command *
layer_send_buf(struct layer *l, struct cmdq *out, struct connection *c, struct buf *b)
{
    struct command *cmd = push(l, out, CMD_SEND, c);
    buf_move(&cmd->data, b);
    return cmd;
}

struct command *
layer_close(struct layer *l, struct cmdq *out, struct connection *c, int half_close)
{
    struct command *cmd = push(l, out, CMD_CLOSE, c);
    cmd->half_close = half_close;
    return cmd;
}

struct command *
layer_hook(struct layer *l, struct cmdq *out, enum hook h, struct flow *f,
           struct connection *client, struct connection *server)
{
    struct command *cmd = push(l, out, CMD_HOOK, NULL);
    cmd->blocking = 1;
    hook_data_init(&cmd->hook, h, f, client, server);
    return cmd;
}

struct command *
layer_log(struct layer *l, struct cmdq *out, enum log_level level, const char *fmt, ...)
{
    struct command *cmd = push(l, out, CMD_LOG, NULL);
    struct buf b = BUF_INIT;
    va_list ap;
    buf_append_str(&b, l->ctx->log_prefix);
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    cmd->level = level;
    cmd->msg = buf_strdup(&b);
    buf_clear(&b);
    return cmd;
}

struct command *
layer_wakeup(struct layer *l, struct cmdq *out, uint64_t delay_ms)
{
    struct command *cmd = push(l, out, CMD_WAKEUP, NULL);
    cmd->delay_ms = delay_ms;
    return cmd;
}
