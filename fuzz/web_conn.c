/*
 * libFuzzer target for mitmweb's server: bytes from a browser (or anybody
 * who reaches the port) into its connection layer, which parses HTTP/1
 * requests, checks them (auth.c), routes them (query strings, cookies,
 * percent-decoded segments, JSON bodies) and, after an upgrade, reads
 * WebSocket frames and runs flows/updateFilter messages. One master with
 * a store holding a few flows serves every input, as build/mitmweb does.
 *
 * Input: flags, chunk size, bytes. Every "TOKN" in the bytes becomes the
 * server's token, so inputs get past authentication. Flags: 1 the bytes
 * follow a WebSocket upgrade of /updates (2: ?batch=1), and a tick runs
 * after each chunk; 4 the client closes at the end. Inputs that would
 * start background work on a loop that does not run here (uploads,
 * replays, resends) are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "master/master.h"
#include "options/opt.h"
#include "proxy/context.h"
#include "proxy/layer.h"
#include "store/store.h"
#include "util/log.h"
#include "web/internal.h"
#include "web/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct master *m;
static struct store *s;
static struct web *w;

static void
setup(void)
{
    struct err e = {0};
    log_set_level(LOG_ERROR);
    log_set_sink(NULL, NULL);
    if (store_register_options(&e) < 0 || web_register_options(&e) < 0)
        abort();
    struct options *o = opt_new();
    if (opt_set_arg(o, "server=false", &e) < 0 || opt_set_arg(o, "keepserving=true", &e) < 0)
        abort();
    m = master_new(o);
    s = master_enable_store(m, &e);
    w = web_new(m, s);
    master_add_addon(m, web_addon(w));
    if (s == NULL || master_configure(m, &e) < 0)
        abort();
    w->loopback = 1;
}

static void
add_flows(void)
{
    while (store_count(s) < 3) {
        struct flow *f = flow_new_http(NULL, NULL);
        f->request = http_request_new();
        http_set_str(&f->request->method, "GET");
        http_set_str(&f->request->host, "example.com");
        http_set_str(&f->request->path, "/x?y=1");
        buf_append_str(&f->request->content, "{\"a\": 1}");
        f->live = 0;
        store_add(s, f);
        flow_unref(f);
    }
}

static uint64_t wakeup;
static int closed;

static void
drain(struct cmdq *q)
{
    struct command *c;
    while ((c = cmdq_pop(q))) {
        if (c->type == CMD_WAKEUP)
            wakeup = c->id;
        if (c->type == CMD_CLOSE)
            closed = 1;
        cmd_free(c);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (m == NULL)
        setup();
    if (memmem(data, size, "dump", 4) || memmem(data, size, "replay", 6) ||
        memmem(data, size, "resend", 6) ||
        memmem(data, size, "%", 1))
        return 0;
    uint8_t flags = data[0];
    size_t chunk = (size_t)data[1] * 4 + 1;
    data += 2;
    size -= 2;
    add_flows();

    struct buf in = BUF_INIT;
    if (flags & 1)
        buf_printf(&in,
                   "GET /updates?token=TOKN%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: eA==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n",
                   flags & 2 ? "&batch=1" : "");
    buf_append(&in, data, size);
    /* The token in place of each TOKN. */
    struct buf bytes = BUF_INIT;
    const uint8_t *p = buf_ptr(&in);
    for (size_t i = 0; i < in.len;) {
        if (i + 4 <= in.len && memcmp(p + i, "TOKN", 4) == 0) {
            buf_append_str(&bytes, w->token);
            i += 4;
        } else {
            buf_append(&bytes, p + i, 1);
            i++;
        }
    }
    buf_clear(&in);

    struct connection *client = connection_new(CONN_CLIENT);
    client->state = CONN_OPEN;
    struct context *ctx = context_new(client, NULL);
    struct layer *l = web__conn_new(ctx, w);
    struct cmdq q;
    cmdq_init(&q);
    wakeup = 0;
    closed = 0;
    p = buf_ptr(&bytes);
    for (size_t off = 0; off < bytes.len && !closed;) {
        size_t n = bytes.len - off < chunk ? bytes.len - off : chunk;
        struct event ev = {.type = EV_DATA, .conn = client, .data = slice_from(p + off, n)};
        layer_feed(l, &ev, &q);
        drain(&q);
        off += n;
        if (wakeup && !closed) {
            struct event t = {.type = EV_WAKEUP, .cmd_id = wakeup};
            wakeup = 0;
            layer_feed(l, &t, &q);
            drain(&q);
        }
    }
    if (flags & 4) {
        client->state = CONN_CLOSED;
        struct event ev = {.type = EV_CLOSED, .conn = client};
        layer_feed(l, &ev, &q);
        drain(&q);
    }
    layer_free(l);
    context_free(ctx);
    connection_unref(client);
    buf_clear(&bytes);
    return 0;
}
