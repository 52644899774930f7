/*
 * libFuzzer target for the SOCKS5 layer: arbitrary client bytes, cut into
 * chunks, go through a fresh layer; every blocking command is answered
 * (opens succeed or fail by a flag byte; socks5_auth accepts user:pass, as
 * the proxyauth addon would) so the tunnel's next layers run too. Nothing
 * may crash, leak or loop. Input: flags, chunk size, bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "options/opt.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Answers blocking commands until none is left; frees everything else. */
static void
drain(struct layer *l, struct cmdq *q, int open_fails)
{
    for (int guard = 0; guard < 10000; guard++) {
        struct command *c = cmdq_pop(q);
        if (!c)
            return;
        if (c->blocking) {
            struct event done = {.type = EV_DONE, .cmd_id = c->id};
            if (c->type == CMD_OPEN) {
                if (open_fails)
                    done.err = "Connection refused";
                else
                    c->conn->state = CONN_OPEN;
            }
            struct socks5_auth_data *auth = c->hook.socks5_auth;
            if (auth)
                auth->valid =
                    strcmp(auth->username, "user") == 0 && strcmp(auth->password, "pass") == 0;
            cmd_free(c);
            layer_feed(l, &done, q);
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t flags = data[0];
    size_t chunk = (size_t)data[1] + 1;
    data += 2;
    size -= 2;

    struct options *opts = opt_new();
    struct err e = {0};
    if (opt_set(opts, "mode", "socks5", &e) < 0)
        abort();
    if (flags & 1) {
        free(opts->proxyauth);
        opts->proxyauth = xstrdup("user:pass");
    }
    struct proxy_config cfg;
    if (proxy_config_init(&cfg, opts, &e) < 0)
        abort();
    struct connection *client = connection_new(CONN_CLIENT);
    client->state = CONN_OPEN;
    struct context *ctx = context_new(client, &cfg);
    struct layer *l = layer_socks5_new(ctx);
    struct cmdq q;
    cmdq_init(&q);

    struct event start = {.type = EV_START};
    layer_feed(l, &start, &q);
    drain(l, &q, flags & 2);
    for (size_t off = 0; off < size && client->state != CONN_CLOSED; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        struct event ev = {.type = EV_DATA, .conn = client, .data = slice_from(data + off, n)};
        layer_feed(l, &ev, &q);
        drain(l, &q, flags & 2);
    }
    if (flags & 4) {
        client->state &= ~CONN_CAN_READ;
        struct event closed = {.type = EV_CLOSED, .conn = client};
        layer_feed(l, &closed, &q);
        drain(l, &q, flags & 2);
    }

    layer_free(l);
    context_free(ctx);
    connection_unref(client);
    proxy_config_clear(&cfg);
    opt_free(opts);
    return 0;
}
