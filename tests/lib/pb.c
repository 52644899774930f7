#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/addon.h"
#include "pb.h"
#include "proxy/context.h"
#include "test.h"
#include "util/xmalloc.h"

struct pb {
    struct options *opts;
    struct proxy_config cfg;
    struct connection *client;
    struct context *ctx;
    struct layer *layer;
    int flags;
    size_t split;        /* 0: whole; 1: 1-byte pieces; n > 1: cut at n - 1 */
    struct cmdq outq;    /* emitted, not yet asserted */
    uint64_t last_blocking;
    struct command *last_open; /* the last asserted CMD_OPEN (for the reply) */
    struct command *last_hook; /* the last hook asserted with pb_out_hook_data */
    struct addon_chain *chain; /* owned; NULL: hooks reach no addon */
    struct flow *flows[64];    /* references held for the playbook's lifetime */
    size_t nflows;
    struct buf transcript;
};

static void
note(struct pb *pb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&pb->transcript, fmt, ap);
    va_end(ap);
    buf_append(&pb->transcript, "\n", 1);
}

static void
note_bytes(struct pb *pb, const uint8_t *p, size_t n)
{
    size_t max = n > 200 ? 200 : n;
    for (size_t i = 0; i < max; i++) {
        uint8_t c = p[i];
        if (c == '\r')
            buf_append_str(&pb->transcript, "\\r");
        else if (c == '\n')
            buf_append_str(&pb->transcript, "\\n");
        else if (c < 0x20 || c >= 0x7f)
            buf_printf(&pb->transcript, "\\x%02x", c);
        else
            buf_append(&pb->transcript, &c, 1);
    }
    if (max < n)
        buf_printf(&pb->transcript, "...(%zu bytes)", n);
}

static const char *
conn_name(struct pb *pb, const struct connection *c)
{
    if (c == NULL)
        return "-";
    if (c == pb->client)
        return "client";
    return c->address.host ? c->address.host : "server";
}

static _Noreturn void
fail(struct pb *pb, const char *file, int line, const char *fmt, ...)
{
    fprintf(stderr, "playbook transcript (split=%zu):\n%.*s", pb->split, (int)pb->transcript.len,
            (const char *)buf_ptr(&pb->transcript));
    fprintf(stderr, "pending commands:\n");
    for (struct command *c = pb->outq.head; c; c = c->next) {
        fprintf(stderr, "  << %s %s", cmd_type_name(c->type), conn_name(pb, c->conn));
        if (c->type == CMD_HOOK)
            fprintf(stderr, " %s", hook_name(c->hook.hook));
        if (c->type == CMD_SEND) {
            fputc(' ', stderr);
            test_print_bytes(stderr, buf_ptr(&c->data), c->data.len > 300 ? 300 : c->data.len);
        }
        if (c->type == CMD_LOG)
            fprintf(stderr, " %s", c->msg);
        fputc('\n', stderr);
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void feed(struct pb *pb, const struct event *ev);

static void
hold_flow(struct pb *pb, struct flow *f)
{
    if (f && pb->nflows < 64 && !(pb->flags & PB_UNHELD))
        pb->flows[pb->nflows++] = flow_ref(f);
}

static void
done_now(struct hook_call *call, void *arg)
{
    (void)call;
    *(int *)arg = 1;
}

static void
take_commands(struct pb *pb, struct cmdq *tmp)
{
    uint64_t auto_reply[16];
    size_t nauto = 0;
    struct command *c;
    while ((c = cmdq_pop(tmp)) != NULL) {
        if (c->type == CMD_HOOK && pb->chain) {
            struct hook_call call;
            int done = 0;
            addon_dispatch(pb->chain, &call, &c->hook, done_now, &done);
            if (!done)
                fail(pb, __FILE__, __LINE__, "an addon deferred %s", hook_name(c->hook.hook));
        }
        if (c->type == CMD_LOG && !(pb->flags & PB_LOGS)) {
            note(pb, "<< log %s (ignored)", c->msg);
            cmd_free(c);
            continue;
        }
        if (c->type == CMD_HOOK && !(pb->flags & PB_HOOKS)) {
            note(pb, "<< hook %s (auto-reply)", hook_name(c->hook.hook));
            hold_flow(pb, c->hook.flow);
            if (nauto < 16)
                auto_reply[nauto++] = c->id;
            cmd_free(c);
            continue;
        }
        cmdq_push(&pb->outq, c);
    }
    for (size_t i = 0; i < nauto; i++) {
        struct event ev = {.type = EV_DONE, .cmd_id = auto_reply[i]};
        feed(pb, &ev);
    }
}

static void
feed(struct pb *pb, const struct event *ev)
{
    struct cmdq tmp;
    cmdq_init(&tmp);
    buf_printf(&pb->transcript, ">> %s %s", ev_type_name(ev->type), conn_name(pb, ev->conn));
    if (ev->type == EV_DATA || ev->type == EV_INJECT) {
        buf_append_str(&pb->transcript, " \"");
        note_bytes(pb, ev->data.p, ev->data.len);
        buf_append_str(&pb->transcript, "\"");
    }
    if (ev->err)
        buf_printf(&pb->transcript, " err=%s", ev->err);
    buf_append_str(&pb->transcript, "\n");
    layer_feed(pb->layer, ev, &tmp);
    /* As the driver does between feeds: layers that only pass events down go. */
    pb->layer = layer_collapse(pb->layer);
    take_commands(pb, &tmp);
}

const char *
pb_layer_name(struct pb *pb)
{
    return pb->layer->ops->name;
}

struct connection *
pb_client(struct pb *pb)
{
    return pb->client;
}

void
pb_in_start(struct pb *pb)
{
    struct event ev = {.type = EV_START};
    feed(pb, &ev);
}

void
pb_in_datan(struct pb *pb, struct connection *c, const void *p, size_t n)
{
    const uint8_t *s = p;
    size_t piece = n;
    if (pb->split == 1)
        piece = 1;
    else if (pb->split > 1)
        piece = pb->split - 1 < n ? pb->split - 1 : n;
    size_t off = 0;
    while (off < n) {
        size_t len = pb->split == 1 ? 1 : (off == 0 ? piece : n - off);
        if (len == 0)
            len = n - off;
        struct event ev = {.type = EV_DATA, .conn = c, .data = {s + off, len}};
        feed(pb, &ev);
        off += len;
    }
}

void
pb_in_data(struct pb *pb, struct connection *c, const char *s)
{
    pb_in_datan(pb, c, s, strlen(s));
}

void
pb_in_datagram(struct pb *pb, struct connection *c, const void *p, size_t n)
{
    struct event ev = {.type = EV_DATA, .conn = c, .data = {p, n}};
    feed(pb, &ev);
}

void
pb_in_wakeup(struct pb *pb, uint64_t cmd_id)
{
    struct event ev = {.type = EV_WAKEUP, .cmd_id = cmd_id};
    feed(pb, &ev);
}

void
pb_in_inject(struct pb *pb, struct flow *f, int from_client, int ws_type, const char *p, size_t n)
{
    struct event ev = {.type = EV_INJECT,
                       .flow = f,
                       .from_client = from_client,
                       .msg_type = ws_type,
                       .data = {(const uint8_t *)p, n}};
    feed(pb, &ev);
}

void
pb_in_closed(struct pb *pb, struct connection *c)
{
    c->state &= ~CONN_CAN_READ;
    struct event ev = {.type = EV_CLOSED, .conn = c};
    feed(pb, &ev);
}

static void
reply(struct pb *pb, const char *err)
{
    if (pb->last_blocking == 0)
        fail(pb, __FILE__, __LINE__, "pb_in_reply: no blocking command to answer");
    cmd_free(pb->last_hook);
    pb->last_hook = NULL;
    if (pb->last_open && pb->last_open->id == pb->last_blocking) {
        struct connection *c = pb->last_open->conn;
        if (err == NULL) {
            c->state = CONN_OPEN;
            addr_set(&c->peername, c->address.host, c->address.port);
            addr_set(&c->sockname, "127.0.0.1", 40000);
        } else {
            free(c->error);
            c->error = xstrdup(err);
        }
        cmd_free(pb->last_open);
        pb->last_open = NULL;
    }
    struct event ev = {.type = EV_DONE, .cmd_id = pb->last_blocking, .err = err};
    pb->last_blocking = 0;
    feed(pb, &ev);
}

void
pb_in_reply(struct pb *pb)
{
    reply(pb, NULL);
}

void
pb_in_reply_err(struct pb *pb, const char *err)
{
    reply(pb, err);
}

static struct command *
next_cmd(struct pb *pb, enum cmd_type want, const char *file, int line)
{
    struct command *c = cmdq_pop(&pb->outq);
    if (c == NULL)
        fail(pb, file, line, "expected << %s, but no command is pending", cmd_type_name(want));
    if (c->type != want) {
        const char *got = cmd_type_name(c->type);
        cmdq_push(&pb->outq, c); /* keep it visible in the dump (order aside) */
        fail(pb, file, line, "expected << %s, got << %s", cmd_type_name(want), got);
    }
    return c;
}

void
pb__out_hook(struct pb *pb, enum hook h, struct flow **flowp, const char *file, int line)
{
    struct command *c = next_cmd(pb, CMD_HOOK, file, line);
    note(pb, "<< hook %s", hook_name(c->hook.hook));
    if (c->hook.hook != h)
        fail(pb, file, line, "expected hook %s, got %s", hook_name(h), hook_name(c->hook.hook));
    hold_flow(pb, c->hook.flow);
    if (flowp)
        *flowp = c->hook.flow;
    pb->last_blocking = c->id;
    cmd_free(c);
}

void
pb__out_hook_data(struct pb *pb, enum hook h, struct hook_data **datap, const char *file, int line)
{
    struct command *c = next_cmd(pb, CMD_HOOK, file, line);
    note(pb, "<< hook %s", hook_name(c->hook.hook));
    if (c->hook.hook != h)
        fail(pb, file, line, "expected hook %s, got %s", hook_name(h), hook_name(c->hook.hook));
    if (c->hook.flow && pb->nflows < 64)
        pb->flows[pb->nflows++] = flow_ref(c->hook.flow);
    pb->last_blocking = c->id;
    cmd_free(pb->last_hook);
    pb->last_hook = c;
    *datap = &c->hook;
}

void
pb__out_send_take(struct pb *pb, struct connection *conn, struct buf *out, const char *file,
                  int line)
{
    size_t n = 0;
    while (pb->outq.head && pb->outq.head->type == CMD_SEND && pb->outq.head->conn == conn) {
        struct command *c = cmdq_pop(&pb->outq);
        buf_append(out, buf_ptr(&c->data), c->data.len);
        n += c->data.len;
        cmd_free(c);
    }
    note(pb, "<< send %s (%zu bytes)", conn_name(pb, conn), n);
    if (n == 0)
        fail(pb, file, line, "expected << send %s", conn_name(pb, conn));
}

void
pb__out_open(struct pb *pb, struct connection **connp, const char *file, int line)
{
    struct command *c = next_cmd(pb, CMD_OPEN, file, line);
    note(pb, "<< open %s:%u", c->conn->address.host, c->conn->address.port);
    if (connp)
        *connp = c->conn;
    pb->last_blocking = c->id;
    /* Kept until the reply so the connection stays alive and can be marked open. */
    cmd_free(pb->last_open);
    pb->last_open = c;
}

/* Merges the pending sends to conn up to want bytes; returns how many there were. */
static size_t
merge_sends(struct pb *pb, struct connection *conn, size_t want, struct buf *got)
{
    size_t n = 0;
    while (got->len < want && pb->outq.head && pb->outq.head->type == CMD_SEND &&
           pb->outq.head->conn == conn) {
        struct command *c = cmdq_pop(&pb->outq);
        buf_append(got, buf_ptr(&c->data), c->data.len);
        cmd_free(c);
        n++;
    }
    return n;
}

/* Asserts the pending sends to conn (merged) and returns how many commands they were. */
static size_t
out_send(struct pb *pb, struct connection *conn, const char *s, int prefix, const char *file,
         int line)
{
    size_t want = strlen(s);
    struct buf got = BUF_INIT;
    size_t n = merge_sends(pb, conn, want, &got);
    note(pb, "<< send %s (%zu bytes in %zu commands)", conn_name(pb, conn), got.len, n);
    if (got.len == 0)
        fail(pb, file, line, "expected << send %s \"%s\"", conn_name(pb, conn), s);
    int ok = prefix ? got.len >= want && memcmp(buf_ptr(&got), s, want) == 0
                    : got.len == want && memcmp(buf_ptr(&got), s, want) == 0;
    if (!ok) {
        fprintf(stderr, "got:      ");
        test_print_bytes(stderr, buf_ptr(&got), got.len);
        fprintf(stderr, "\nexpected: ");
        test_print_bytes(stderr, s, want);
        fputc('\n', stderr);
        fail(pb, file, line, "send to %s differs", conn_name(pb, conn));
    }
    buf_clear(&got);
    return n;
}

void
pb__out_send(struct pb *pb, struct connection *conn, const char *s, int prefix, const char *file,
             int line)
{
    out_send(pb, conn, s, prefix, file, line);
}

void
pb__out_send_n(struct pb *pb, struct connection *conn, const char *s, size_t n, const char *file,
               int line)
{
    size_t got = out_send(pb, conn, s, 0, file, line);
    if (got != n)
        fail(pb, file, line, "send to %s came in %zu commands, expected %zu", conn_name(pb, conn),
             got, n);
}

void
pb__out_close(struct pb *pb, struct connection *conn, int half, const char *file, int line)
{
    struct command *c = next_cmd(pb, CMD_CLOSE, file, line);
    note(pb, "<< close %s%s", conn_name(pb, c->conn), c->half_close ? " (half)" : "");
    if (c->conn != conn || c->half_close != half)
        fail(pb, file, line, "expected close %s%s", conn_name(pb, conn), half ? " (half)" : "");
    /* What the driver does: a full close leaves nothing to read or write. */
    if (half)
        conn->state &= ~CONN_CAN_WRITE;
    else
        conn->state = CONN_CLOSED;
    cmd_free(c);
}

void
pb__out_log(struct pb *pb, const char *substr, const char *file, int line)
{
    struct command *c = next_cmd(pb, CMD_LOG, file, line);
    note(pb, "<< log %s", c->msg);
    if (strstr(c->msg, substr) == NULL)
        fail(pb, file, line, "log \"%s\" lacks \"%s\"", c->msg, substr);
    cmd_free(c);
}

void
pb__out_wakeup(struct pb *pb, uint64_t delay_ms, uint64_t *idp, const char *file, int line)
{
    struct command *c = next_cmd(pb, CMD_WAKEUP, file, line);
    note(pb, "<< wakeup %llu ms", (unsigned long long)c->delay_ms);
    if (c->delay_ms != delay_ms)
        fail(pb, file, line, "expected a wakeup after %llu ms", (unsigned long long)delay_ms);
    if (idp)
        *idp = c->id;
    cmd_free(c);
}

void
pb__end(struct pb *pb, const char *file, int line)
{
    if (!cmdq_empty(&pb->outq))
        fail(pb, file, line, "commands left unasserted");
}

static struct pb *
pb_new(pb_make_cb make, int flags, pb_config_cb config, pb_chain_cb chain, size_t split)
{
    struct pb *pb = xcalloc(1, sizeof(*pb));
    pb->opts = opt_new();
    if (config)
        config(pb->opts);
    struct err e = {0};
    if (proxy_config_init(&pb->cfg, pb->opts, &e) < 0)
        test_fail(__FILE__, __LINE__, "proxy_config_init: %s", e.msg);
    if ((flags & PB_CA) && proxy_config_load_ca(&pb->cfg, &e) < 0)
        test_fail(__FILE__, __LINE__, "proxy_config_load_ca: %s", e.msg);
    if (chain) {
        pb->chain = chain();
        if (addon_chain_configure(pb->chain, pb->opts, &e) < 0)
            test_fail(__FILE__, __LINE__, "addon_chain_configure: %s", e.msg);
    }
    pb->client = connection_new(CONN_CLIENT);
    pb->client->state = CONN_OPEN;
    addr_set(&pb->client->peername, "127.0.0.1", 1234);
    addr_set(&pb->client->sockname, "127.0.0.1", 8080);
    pb->ctx = context_new(pb->client, &pb->cfg);
    pb->layer = make(pb->ctx);
    pb->flags = flags;
    pb->split = split;
    cmdq_init(&pb->outq);
    return pb;
}

static void
pb_free(struct pb *pb)
{
    cmdq_clear(&pb->outq);
    cmd_free(pb->last_open);
    cmd_free(pb->last_hook);
    layer_free(pb->layer);
    for (size_t i = 0; i < pb->nflows; i++)
        flow_unref(pb->flows[i]);
    context_free(pb->ctx);
    connection_unref(pb->client);
    addon_chain_free(pb->chain);
    proxy_config_clear(&pb->cfg);
    opt_free(pb->opts);
    buf_clear(&pb->transcript);
    free(pb);
}

void
pb_run_chain(pb_body_cb body, pb_make_cb make, int flags, pb_config_cb config, pb_chain_cb chain)
{
    /* split 0: whole; 1: bytes; k >= 2: first piece of k - 1 bytes, then the rest. */
    for (size_t split = 0; split <= 65; split++) {
        struct pb *pb = pb_new(make, flags, config, chain, split);
        body(pb);
        pb_free(pb);
    }
}

void
pb_run(pb_body_cb body, pb_make_cb make, int flags, pb_config_cb config)
{
    pb_run_chain(body, make, flags, config, NULL);
}

void
pb_run_once(pb_body_cb body, pb_make_cb make, int flags, pb_config_cb config)
{
    struct pb *pb = pb_new(make, flags, config, NULL, 0);
    body(pb);
    pb_free(pb);
}
