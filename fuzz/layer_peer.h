/*
 * What the layer fuzz targets share: the peer that stands in for the
 * driver, and the rig that runs a fresh layer against it. The peer answers
 * every blocking command (opens succeed or fail, hooks may kill the flow,
 * socks5_auth accepts user:pass as the proxyauth addon would), and a
 * server that is written to answers with the bytes after the first 0xff
 * 0xfe pair of the input.
 */
#ifndef MP_FUZZ_LAYER_PEER_H
#define MP_FUZZ_LAYER_PEER_H

#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "proxy/layers/layers.h"

struct layer_peer {
    struct slice reply; /* what a server says once written to */
    int open_fails;
    int kill;
};

/* Cuts the server's reply off the input at the first 0xff 0xfe; returns
 * the size of what is left for the client. */
static inline size_t
layer_peer_split(struct layer_peer *p, const uint8_t *data, size_t size)
{
    for (size_t i = 0; i + 1 < size; i++) {
        if (data[i] == 0xff && data[i + 1] == 0xfe) {
            p->reply = slice_from(data + i + 2, size - i - 2);
            return i;
        }
    }
    return size;
}

/* Answers blocking commands until none is left; frees everything else. */
static inline void
layer_peer_drain(struct layer *l, struct cmdq *q, const struct layer_peer *p)
{
    for (int guard = 0; guard < 10000; guard++) {
        struct command *c = cmdq_pop(q);
        if (!c)
            return;
        if (c->blocking) {
            struct event done = {.type = EV_DONE, .cmd_id = c->id};
            if (c->type == CMD_OPEN) {
                if (p->open_fails)
                    done.err = "Connection refused";
                else
                    c->conn->state = CONN_OPEN;
            }
            if (c->type == CMD_HOOK && p->kill && c->hook.flow)
                flow_kill(c->hook.flow);
            struct socks5_auth_data *auth = c->hook.socks5_auth;
            if (auth)
                auth->valid =
                    strcmp(auth->username, "user") == 0 && strcmp(auth->password, "pass") == 0;
            cmd_free(c);
            layer_feed(l, &done, q);
            continue;
        }
        if (c->type == CMD_SEND && c->conn->side == CONN_SERVER && p->reply.len &&
            c->conn->state == CONN_OPEN) {
            struct connection *server = connection_ref(c->conn);
            cmd_free(c);
            struct event ev = {.type = EV_DATA, .conn = server, .data = p->reply};
            layer_feed(l, &ev, q);
            connection_unref(server);
            continue;
        }
        /* What the driver does with a close. */
        if (c->type == CMD_CLOSE) {
            if (c->half_close)
                c->conn->state &= ~CONN_CAN_WRITE;
            else
                c->conn->state = CONN_CLOSED;
        }
        cmd_free(c);
    }
    cmdq_clear(q);
}

/*
 * A layer run as the driver runs it: options in a mode, their config, an
 * open client and a context. Setup aborts only on a mistake of the target
 * (a bad option), never on input.
 */
struct layer_rig {
    struct options *opts; /* set more of them before layer_rig_context() */
    struct proxy_config cfg;
    struct connection *client; /* one reference */
    struct context *ctx;
    struct layer *l; /* owned from layer_rig_start() */
    struct cmdq q;
    struct layer_peer peer;
};

static inline void
layer_rig_set(struct layer_rig *r, const char *name, const char *value)
{
    struct err e = {0};
    if (opt_set(r->opts, name, value, &e) < 0)
        abort();
}

/* Options with --mode mode. */
static inline void
layer_rig_init(struct layer_rig *r, const char *mode)
{
    memset(r, 0, sizeof(*r));
    r->opts = opt_new();
    layer_rig_set(r, "mode", mode);
    cmdq_init(&r->q);
}

/* The config of the options, an open client and its context. */
static inline struct context *
layer_rig_context(struct layer_rig *r)
{
    struct err e = {0};
    if (proxy_config_init(&r->cfg, r->opts, &e) < 0)
        abort();
    r->client = connection_new(CONN_CLIENT);
    r->client->state = CONN_OPEN;
    r->ctx = context_new(r->client, &r->cfg);
    return r->ctx;
}

/* Feeds ev and answers what the layer asks. */
static inline void
layer_rig_feed(struct layer_rig *r, const struct event *ev)
{
    layer_feed(r->l, ev, &r->q);
    layer_peer_drain(r->l, &r->q, &r->peer);
}

/* Takes l (made on r->ctx) and starts it. */
static inline void
layer_rig_start(struct layer_rig *r, struct layer *l)
{
    r->l = l;
    struct event start = {.type = EV_START};
    layer_rig_feed(r, &start);
}

/* The client's bytes in pieces of chunk, until the layer closes it. */
static inline void
layer_rig_client_data(struct layer_rig *r, const uint8_t *data, size_t size, size_t chunk)
{
    for (size_t off = 0; off < size && r->client->state != CONN_CLOSED; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        struct event ev = {.type = EV_DATA, .conn = r->client, .data = slice_from(data + off, n)};
        layer_rig_feed(r, &ev);
    }
}

/* The client stops sending. */
static inline void
layer_rig_client_close(struct layer_rig *r)
{
    r->client->state &= ~CONN_CAN_READ;
    struct event closed = {.type = EV_CLOSED, .conn = r->client};
    layer_rig_feed(r, &closed);
}

static inline void
layer_rig_free(struct layer_rig *r)
{
    layer_free(r->l);
    context_free(r->ctx);
    connection_unref(r->client);
    proxy_config_clear(&r->cfg);
    opt_free(r->opts);
}

#endif
