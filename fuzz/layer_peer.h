/*
 * What the HTTP layer fuzz targets share: the peer that stands in for the
 * driver. It answers every blocking command (opens succeed or fail, hooks
 * may kill the flow), and a server that is written to answers with the
 * bytes after the first 0xff 0xfe pair of the input.
 */
#ifndef MP_FUZZ_LAYER_PEER_H
#define MP_FUZZ_LAYER_PEER_H

#include "flow/connection.h"
#include "flow/flow.h"
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

#endif
