/*
 * What does this connection carry? Decided from the client's first bytes
 * (mitmproxy's NextLayer): a TLS ClientHello is parsed before any
 * handshake, so ignore_hosts/allow_hosts can pass the connection through
 * untouched and the TLS layer can copy SNI and ALPN upstream; an HTTP
 * request line is parsed as HTTP; anything else is relayed as bytes.
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
    struct connection *server; /* one reference; NULL in reverse mode */
    struct buf first;          /* client bytes seen before deciding */
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
start_child(struct nextlayer *n, struct cmdq *out, struct layer *child, int feed_first)
{
    n->child = child;
    layer_start_child(child, out, n->base.ctx->client,
                      feed_first ? buf_slice(&n->first) : (struct slice){NULL, 0}, NULL,
                      (struct slice){NULL, 0});
    buf_clear(&n->first);
}

static void
relay(struct nextlayer *n, struct cmdq *out)
{
    if (n->server == NULL) {
        /* Reverse mode: not TLS, so HTTP (which answers garbage with a 400). */
        const struct proxy_mode *m = &n->base.ctx->cfg->mode;
        if (strcmp(m->scheme, "https") == 0)
            start_child(n, out, layer_tls_new(n->base.ctx, NULL, NULL, (struct slice){NULL, 0}, 0),
                        1);
        else if (strcmp(m->scheme, "h2c") == 0)
            start_child(n, out, layer_h1_over_h2_new(n->base.ctx, layer_http_new(n->base.ctx)), 1);
        else
            start_child(n, out, layer_http_new(n->base.ctx), 1);
        return;
    }
    /* Neither TLS nor HTTP: a TCP flow (option rawtcp, on by default), or an
     * unrecorded byte pipe when that is off. */
    if (n->base.ctx->cfg->opts->rawtcp)
        start_child(n, out, layer_tcp_new(n->base.ctx, n->server), 1);
    else
        start_child(n, out, layer_tunnel_new(n->base.ctx, n->server), 1);
}

static void
decide(struct nextlayer *n, struct cmdq *out)
{
    const struct proxy_config *cfg = n->base.ctx->cfg;
    struct connection *client = n->base.ctx->client;
    struct slice s = buf_slice(&n->first);
    int client_eof = !(client->state & CONN_CAN_READ);

    int tls = ch_is_tls(s.p, s.len);
    if (tls == MP_ERR_INCOMPLETE && !client_eof)
        return;
    if (tls == 1) {
        if (cfg->ca == NULL) {
            /* Without a CA there is nothing to intercept with: pass it through. */
            if (n->server)
                start_child(n, out, layer_tunnel_new(n->base.ctx, n->server), 1);
            else
                relay(n, out);
            return;
        }
        struct clienthello ch;
        struct err e = {0};
        ssize_t r = ch_parse(s.p, s.len, &ch, &e);
        if (r == MP_ERR_INCOMPLETE && !client_eof)
            return;
        if (r < 0) {
            layer_log(&n->base, out, LOG_WARN, "invalid TLS ClientHello: %s",
                      r == MP_ERR_INCOMPLETE ? "client closed the connection mid-ClientHello"
                                             : e.msg);
            n->done = 1;
            layer_close(&n->base, out, client, 0);
            if (n->server)
                layer_close(&n->base, out, n->server, 0);
            return;
        }
        const char *host = n->server ? n->server->address.host : cfg->mode.host;
        uint16_t port = n->server ? n->server->address.port : cfg->mode.port;
        if (proxy_config_ignored(cfg, host, ch.sni, port)) {
            layer_log(&n->base, out, LOG_INFO, "ignoring %s:%u (sni: %s): passed through", host,
                      port, ch.sni[0] ? ch.sni : "none");
            if (n->server) {
                start_child(n, out, layer_tunnel_new(n->base.ctx, n->server), 1);
                return;
            }
        }
        int tcp = proxy_config_tcp(cfg, host, ch.sni, port);
        start_child(n, out, layer_tls_new(n->base.ctx, n->server, &ch, s, tcp), 0);
        return;
    }
    /* As mitmproxy's NextLayer: ignore_hosts passes any tunnel to a matching
     * destination through, whatever it carries, not only TLS. */
    if (n->server &&
        proxy_config_ignored(cfg, n->server->address.host, NULL, n->server->address.port)) {
        start_child(n, out, layer_tunnel_new(n->base.ctx, n->server), 1);
        return;
    }
    if (n->server && proxy_config_tcp(cfg, n->server->address.host, NULL, n->server->address.port)) {
        start_child(n, out, layer_tcp_new(n->base.ctx, n->server), 1);
        return;
    }
    /* Cleartext HTTP/2 with prior knowledge starts with the connection preface. */
    if (cfg->opts->http2 && s.len && s.p[0] == 'P') {
        size_t k = s.len < H2_PREFACE_LEN ? s.len : H2_PREFACE_LEN;
        if (memcmp(s.p, H2_PREFACE, k) == 0) {
            if (k < H2_PREFACE_LEN && !client_eof)
                return;
            if (k == H2_PREFACE_LEN) {
                start_child(n, out, layer_http2_new(n->base.ctx, n->server, 0, NULL), 1);
                return;
            }
        }
    }
    int http = looks_like_http(s);
    if (http == -1 && !client_eof)
        return;
    if (http == 1 && n->server) {
        start_child(n, out, layer_http_new_tunnel(n->base.ctx, n->server, 0, NULL), 1);
        return;
    }
    relay(n, out);
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
        if (ev->conn == client) {
            buf_append(&n->first, ev->data.p, ev->data.len);
            decide(n, out);
        } else {
            /* The server speaks first: not a protocol we parse. */
            relay(n, out);
            if (n->child)
                layer_feed(n->child, ev, out);
        }
        return;
    case EV_CLOSED:
        if (ev->conn == client && n->first.len) {
            decide(n, out);
            return;
        }
        n->done = 1;
        layer_close(l, out, client, 0);
        if (n->server)
            layer_close(l, out, n->server, 0);
        return;
    case EV_DONE:
    case EV_WAKEUP:
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
    buf_clear(&n->first);
    free(n);
}

static const struct layer_ops nextlayer_ops = {
    .name = "nextlayer",
    .handle = handle,
    .free = nextlayer_free,
};

struct layer *
layer_nextlayer_new(struct context *ctx, struct connection *server)
{
    struct nextlayer *n = xcalloc(1, sizeof(*n));
    layer_init(&n->base, &nextlayer_ops, ctx);
    n->server = server ? connection_ref(server) : NULL;
    return &n->base;
}
