/*
 * What does this connection carry? Decided from the client's first bytes
 * (mitmproxy's NextLayer and its next_layer addon): a TLS ClientHello is
 * parsed before any handshake, so ignore_hosts/allow_hosts can pass the
 * connection through untouched and the TLS layer can copy SNI and ALPN
 * upstream; an HTTP request line is parsed as HTTP; anything else is
 * relayed as bytes.
 *
 * That choice is only the default: it goes out in the next_layer hook, and
 * the layer built is the one the hook comes back with (an addon may force
 * a pass-through, a TCP flow, or "none yet": then the next bytes ask
 * again). The hook is raised once the default is known, never for a
 * partial ClientHello or request line, so how the bytes are cut does not
 * change what addons see.
 *
 *   WAIT --enough bytes--> ASK --next_layer--> child
 *                           \--none--> WAIT
 */
#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "h2/h2.h"
#include "options/opt.h"
#include "proxy/layers/layers.h"
#include "tls/clienthello.h"
#include "util/xmalloc.h"

struct nextlayer {
    struct layer base;
    struct connection *server;     /* one reference; NULL in reverse mode */
    struct buf first;              /* client bytes seen before deciding */
    struct buf server_first;       /* server bytes seen before deciding (it spoke first) */
    struct next_layer_data *asked; /* the next_layer hook out (one reference) */
    /* The client's ClientHello, parsed into the hook data that carries it
     * from tls_clienthello on (one reference; NULL until TLS is seen). It is
     * held once: the TLS layer takes a reference, and this one is dropped
     * when the child starts. */
    struct tls_clienthello_data *hello;
    int have_hello; /* hello holds a complete ClientHello */
    int tcp;        /* tcp_hosts matched (with TLS: for the plaintext) */
    int client_eof; /* this layer saw the client's EV_CLOSED */
    struct layer *child;
    int done; /* decided to close */
};

/* Up to a space, an HTTP request line is an upper-case token. 1 yes, 0 no, -1 can't tell yet. */
static int
looks_like_http(struct slice s)
{
    size_t i = 0;
    for (; i < s.len && i < 24; i++) {
        uint8_t c = s.p[i];
        if (c == ' ')
            return i > 0;
        if (c < 'A' || c > 'Z')
            return 0;
    }
    return i < 24 ? -1 : 0;
}

static void
close_all(struct nextlayer *n, struct cmdq *out)
{
    n->done = 1;
    layer_close(&n->base, out, n->base.ctx->client, 0);
    if (n->server)
        layer_close(&n->base, out, n->server, 0);
}

/*
 * Hands over to child: EV_START, then what each side sent meanwhile, then
 * the client's EOF if this layer saw it (events that came while the hook
 * was out are still in layer_feed()'s queue and follow in order).
 */
static void
start_child(struct nextlayer *n, struct cmdq *out, struct layer *child, int feed_first)
{
    struct connection *client = n->base.ctx->client;
    struct event ev = {.type = EV_START};
    n->child = child;
    layer_feed(child, &ev, out);
    if (feed_first && n->first.len) {
        ev = (struct event){.type = EV_DATA, .conn = client, .data = buf_slice(&n->first)};
        layer_feed(child, &ev, out);
    }
    if (n->server && n->server_first.len) {
        ev =
            (struct event){.type = EV_DATA, .conn = n->server, .data = buf_slice(&n->server_first)};
        layer_feed(child, &ev, out);
    }
    if (n->client_eof) {
        ev = (struct event){.type = EV_CLOSED, .conn = client};
        layer_feed(child, &ev, out);
    }
    buf_clear(&n->first);
    buf_clear(&n->server_first);
}

/* What a connection is when it is neither TLS nor HTTP we can parse. */
static enum next_layer
relay_default(const struct nextlayer *n)
{
    /* Reverse mode: not TLS, so HTTP (which answers garbage with a 400).
     * Otherwise a TCP flow (option rawtcp, on by default), or an
     * unrecorded byte pipe when that is off. */
    if (n->server == NULL)
        return NEXT_LAYER_HTTP;
    return n->base.ctx->cfg->opts->rawtcp ? NEXT_LAYER_TCP : NEXT_LAYER_IGNORE;
}

static void
ask(struct nextlayer *n, struct cmdq *out, enum next_layer layer)
{
    struct context *ctx = n->base.ctx;
    struct next_layer_data *d = next_layer_data_new(ctx, layer);
    buf_move(&d->data_client, &n->first);
    buf_move(&d->data_server, &n->server_first);
    struct command *c = layer_hook(&n->base, out, HOOK_NEXT_LAYER, NULL, ctx->client, n->server);
    c->hook.next_layer = next_layer_data_ref(d);
    n->asked = d;
}

/* Parses the ClientHello in s into n->hello, made on first use (ch_parse). */
static ssize_t
parse_hello(struct nextlayer *n, struct slice s, struct err *e)
{
    if (n->hello == NULL)
        n->hello = tls_clienthello_data_new(n->base.ctx);
    return ch_parse(s.p, s.len, &n->hello->client_hello, e);
}

/* The default choice, raised with next_layer; nothing yet if more bytes are needed. */
static void
decide(struct nextlayer *n, struct cmdq *out)
{
    const struct proxy_config *cfg = n->base.ctx->cfg;
    struct slice s = buf_slice(&n->first);
    int client_eof = n->client_eof;

    if (n->server_first.len) {
        /* The server speaks first: not a protocol we parse. */
        ask(n, out, relay_default(n));
        return;
    }
    int tls = ch_is_tls(s.p, s.len);
    if (tls == MP_ERR_INCOMPLETE && !client_eof)
        return;
    if (tls == 1) {
        /* Without a CA there is nothing to intercept with: pass it through. */
        if (cfg->ca == NULL) {
            ask(n, out, n->server ? NEXT_LAYER_IGNORE : relay_default(n));
            return;
        }
        struct err e = {0};
        ssize_t r = parse_hello(n, s, &e);
        if (r == MP_ERR_INCOMPLETE && !client_eof)
            return;
        if (r < 0) {
            layer_log(&n->base, out, LOG_WARN, "invalid TLS ClientHello: %s",
                      r == MP_ERR_INCOMPLETE ? "client closed the connection mid-ClientHello"
                                             : e.msg);
            close_all(n, out);
            return;
        }
        n->have_hello = 1;
        const char *host = n->server ? n->server->address.host : cfg->mode.host;
        uint16_t port = n->server ? n->server->address.port : cfg->mode.port;
        const char *sni = n->hello->client_hello.sni;
        if (proxy_config_ignored(cfg, host, sni, port)) {
            layer_log(&n->base, out, LOG_INFO, "ignoring %s:%u (sni: %s): passed through", host,
                      port, sni[0] ? sni : "none");
            if (n->server) {
                ask(n, out, NEXT_LAYER_IGNORE);
                return;
            }
        }
        n->tcp = proxy_config_tcp(cfg, host, sni, port);
        ask(n, out, NEXT_LAYER_TLS);
        return;
    }
    /* As mitmproxy's NextLayer: ignore_hosts passes any tunnel to a matching
     * destination through, whatever it carries, not only TLS. */
    if (n->server &&
        proxy_config_ignored(cfg, n->server->address.host, NULL, n->server->address.port)) {
        ask(n, out, NEXT_LAYER_IGNORE);
        return;
    }
    if (n->server &&
        proxy_config_tcp(cfg, n->server->address.host, NULL, n->server->address.port)) {
        ask(n, out, NEXT_LAYER_TCP);
        return;
    }
    /* Cleartext HTTP/2 with prior knowledge starts with the connection preface. */
    if (cfg->opts->http2 && s.len && s.p[0] == 'P') {
        size_t k = s.len < H2_PREFACE_LEN ? s.len : H2_PREFACE_LEN;
        if (memcmp(s.p, H2_PREFACE, k) == 0) {
            if (k < H2_PREFACE_LEN && !client_eof)
                return;
            if (k == H2_PREFACE_LEN) {
                ask(n, out, NEXT_LAYER_HTTP);
                return;
            }
        }
    }
    int http = looks_like_http(s);
    if (http == -1 && !client_eof)
        return;
    if (http == 1 && n->server) {
        ask(n, out, NEXT_LAYER_HTTP);
        return;
    }
    ask(n, out, relay_default(n));
}

static void
start_http(struct nextlayer *n, struct cmdq *out)
{
    struct context *ctx = n->base.ctx;
    struct slice s = buf_slice(&n->first);
    if (ctx->cfg->opts->http2 && s.len >= H2_PREFACE_LEN &&
        memcmp(s.p, H2_PREFACE, H2_PREFACE_LEN) == 0) {
        start_child(n, out, layer_http2_new(ctx, n->server, 0, NULL), 1);
        return;
    }
    if (n->server) {
        start_child(n, out, layer_http_new_tunnel(ctx, n->server, 0, NULL), 1);
        return;
    }
    const struct proxy_mode *m = &ctx->cfg->mode;
    if (strcmp(m->scheme, "https") == 0)
        start_child(n, out, layer_tls_new(ctx, NULL, NULL, NULL, 0), 1);
    else if (strcmp(m->scheme, "h2c") == 0)
        start_child(n, out, layer_h1_over_h2_new(ctx, layer_http_new(ctx)), 1);
    else
        start_child(n, out, layer_http_new(ctx), 1);
}

static void
start_bytes(struct nextlayer *n, struct cmdq *out, int record)
{
    struct context *ctx = n->base.ctx;
    if (n->server)
        start_child(n, out,
                    record ? layer_tcp_new(ctx, n->server) : layer_tunnel_new(ctx, n->server), 1);
    else
        start_child(n, out, layer_relay_new(ctx, record, 0), 1);
}

static void
start_tls(struct nextlayer *n, struct cmdq *out)
{
    struct context *ctx = n->base.ctx;
    const struct proxy_config *cfg = ctx->cfg;
    struct slice s = buf_slice(&n->first);
    if (!n->have_hello) {
        /* An addon chose TLS for bytes that did not look like it. */
        struct err e = {0};
        if (ch_is_tls(s.p, s.len) != 1 || parse_hello(n, s, &e) < 0) {
            layer_log(&n->base, out, LOG_WARN,
                      "next_layer chose TLS, but the client sent no TLS ClientHello");
            close_all(n, out);
            return;
        }
        n->have_hello = 1;
        const char *host = n->server ? n->server->address.host : cfg->mode.host;
        uint16_t port = n->server ? n->server->address.port : cfg->mode.port;
        n->tcp = proxy_config_tcp(cfg, host, n->hello->client_hello.sni, port);
    }
    if (cfg->ca == NULL) {
        layer_log(&n->base, out, LOG_WARN, "cannot intercept TLS without a CA: passed through");
        start_bytes(n, out, 0);
        return;
    }
    /* The TLS layer takes the ClientHello and its bytes over. */
    struct layer *tls = layer_tls_new(ctx, n->server, n->hello, &n->first, n->tcp);
    tls_clienthello_data_unref(n->hello);
    n->hello = NULL;
    start_child(n, out, tls, 0);
}

/* The next_layer hook is done: build what it chose. */
static void
answer(struct nextlayer *n, struct cmdq *out)
{
    struct next_layer_data *d = n->asked;
    n->asked = NULL;
    buf_move(&n->first, &d->data_client);
    buf_move(&n->server_first, &d->data_server);
    enum next_layer layer = d->layer;
    next_layer_data_unref(d);
    switch (layer) {
    case NEXT_LAYER_NONE:
        /* Not yet: the next bytes ask again; there are none after an EOF. */
        if (n->client_eof)
            close_all(n, out);
        return;
    case NEXT_LAYER_IGNORE:
        start_bytes(n, out, 0);
        return;
    case NEXT_LAYER_TCP:
        start_bytes(n, out, 1);
        return;
    case NEXT_LAYER_TLS:
        start_tls(n, out);
        return;
    case NEXT_LAYER_HTTP:
        start_http(n, out);
        return;
    }
    close_all(n, out);
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct nextlayer *n = (struct nextlayer *)l;
    struct connection *client = l->ctx->client;

    if (n->child) {
        layer_feed(n->child, ev, out);
        return;
    }
    if (n->done)
        return;
    switch (ev->type) {
    case EV_START:
        return;
    case EV_DATA:
        buf_append(ev->conn == client ? &n->first : &n->server_first, ev->data.p, ev->data.len);
        decide(n, out);
        return;
    case EV_CLOSED:
        if (ev->conn == client) {
            n->client_eof = 1;
            if (n->first.len) {
                decide(n, out);
                return;
            }
        }
        close_all(n, out);
        return;
    case EV_DONE:
        /* The layer waits on nothing but its hook: this is its answer. */
        if (n->asked)
            answer(n, out);
        return;
    case EV_WAKEUP:
    case EV_INJECT: /* no flow before a child is chosen */
        return;
    }
}

static void
nextlayer_free(struct layer *l)
{
    struct nextlayer *n = (struct nextlayer *)l;
    layer_free(n->child);
    if (n->server)
        connection_unref(n->server);
    next_layer_data_unref(n->asked);
    tls_clienthello_data_unref(n->hello);
    buf_clear(&n->first);
    buf_clear(&n->server_first);
    free(n);
}

/* Once the child started, this layer only passes events down. */
static struct layer *
nextlayer_successor(struct layer *l)
{
    struct nextlayer *n = (struct nextlayer *)l;
    return n->asked ? NULL : layer_take(&n->child);
}

static const struct layer_ops nextlayer_ops = {
    .name = "nextlayer",
    .handle = handle,
    .free = nextlayer_free,
    .successor = nextlayer_successor,
};

struct layer *
layer_nextlayer_new(struct context *ctx, struct connection *server)
{
    struct nextlayer *n = xcalloc(1, sizeof(*n));
    layer_init(&n->base, &nextlayer_ops, ctx);
    n->server = server ? connection_ref(server) : NULL;
    return &n->base;
}
