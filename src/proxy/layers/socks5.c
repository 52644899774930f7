/*
 * SOCKS5 mode (RFC 1928, mitmproxy 8.1.1's Socks5Proxy): the client names
 * its destination in a SOCKS5 handshake, we connect to it, and from then on
 * the connection is a tunnel whose contents the next layer decides (TLS,
 * HTTP or raw TCP), exactly as after an HTTP CONNECT.
 *
 * Authentication: with proxyauth unset, only "no authentication" (method 0)
 * is accepted. With it set, username/password (method 2, RFC 1929) is
 * required, and whether the credentials are good is an addon's answer to
 * the socks5_auth hook (the proxyauth addon's, as in mitmproxy): the layer
 * only carries them there and the verdict back.
 *
 * Like mitmproxy, every failure to reach the destination is answered 0x04
 * (host unreachable) and every successful reply carries BND 0.0.0.0:0.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "options/opt.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

#define SOCKS5_VERSION 5
#define AUTH_VERSION 1
#define METHOD_NONE 0x00
#define METHOD_USERPASS 0x02
#define METHOD_NO_ACCEPTABLE 0xff
#define CMD_CONNECT 1
#define ATYP_IPV4 1
#define ATYP_DOMAIN 3
#define ATYP_IPV6 4
#define REP_GENERAL_FAILURE 0x01
#define REP_HOST_UNREACHABLE 0x04
#define REP_COMMAND_NOT_SUPPORTED 0x07
#define REP_ATYP_NOT_SUPPORTED 0x08

enum step {
    ST_GREET,     /* waiting for VER NMETHODS METHODS */
    ST_AUTH,      /* waiting for the RFC 1929 username/password request */
    ST_AUTH_HOOK, /* socks5_auth is out */
    ST_REQUEST,   /* waiting for VER CMD RSV ATYP ADDR PORT */
    ST_OPEN,      /* the server connection is being opened */
    ST_TUNNEL,    /* the child layer has the connection */
    ST_DONE,      /* failed; the client is closed */
};

struct socks5 {
    struct layer base;
    enum step step;
    struct buf buf;                /* client bytes not yet consumed */
    struct connection *server;     /* one reference; ST_OPEN only */
    struct layer *child;           /* ST_TUNNEL */
    struct socks5_auth_data *auth; /* one reference; ST_AUTH_HOOK only */
    size_t auth_len;               /* bytes of the request it came from */
};

/* Answers with reply code rep (when rep >= 0), closes the client and logs why. */
static void
fail(struct socks5 *s, struct cmdq *out, int rep, const char *msg)
{
    struct connection *client = s->base.ctx->client;
    if (rep >= 0) {
        const uint8_t reply[10] = {SOCKS5_VERSION, (uint8_t)rep, 0, ATYP_IPV4};
        layer_send(&s->base, out, client, reply, sizeof(reply));
    }
    if (client->state != CONN_CLOSED)
        layer_close(&s->base, out, client, 0);
    layer_log(&s->base, out, LOG_INFO, "SOCKS5: %s", msg);
    s->step = ST_DONE;
    buf_reset(&s->buf);
}

static const char *
auth_spec(struct socks5 *s)
{
    const char *spec = s->base.ctx->cfg->opts->proxyauth;
    return spec && *spec ? spec : NULL;
}

/* Each step returns 1 if it consumed a message and the next may run. */
static int
step_greet(struct socks5 *s, struct cmdq *out)
{
    const uint8_t *p = buf_ptr(&s->buf);
    if (s->buf.len < 2)
        return 0;
    if (p[0] != SOCKS5_VERSION) {
        char msg[128];
        /* "GET", "CONNECT" etc.: a common mistake worth naming. Decided on
         * the first two or three bytes, as mitmproxy does. */
        int http = 1;
        for (size_t i = 0; i < 3 && i < s->buf.len; i++)
            http &= p[i] >= 'A' && p[i] <= 'Z';
        snprintf(msg, sizeof(msg), "invalid version %u%s", p[0],
                 http ? " (probably not a SOCKS request but a regular HTTP request)" : "");
        fail(s, out, -1, msg);
        return 0;
    }
    size_t n = p[1];
    if (s->buf.len < 2 + n)
        return 0;
    uint8_t want = auth_spec(s) ? METHOD_USERPASS : METHOD_NONE;
    if (!memchr(p + 2, want, n)) {
        const uint8_t reply[2] = {SOCKS5_VERSION, METHOD_NO_ACCEPTABLE};
        layer_send(&s->base, out, s->base.ctx->client, reply, sizeof(reply));
        fail(s, out, -1,
             want == METHOD_USERPASS
                 ? "client does not support SOCKS5 with user/password authentication"
                 : "client does not support SOCKS5 with no authentication");
        return 0;
    }
    const uint8_t reply[2] = {SOCKS5_VERSION, want};
    layer_send(&s->base, out, s->base.ctx->client, reply, sizeof(reply));
    buf_consume(&s->buf, 2 + n);
    s->step = want == METHOD_USERPASS ? ST_AUTH : ST_REQUEST;
    return 1;
}

static int
step_auth(struct socks5 *s, struct cmdq *out)
{
    const uint8_t *p = buf_ptr(&s->buf);
    if (s->buf.len < 2)
        return 0;
    if (p[0] != AUTH_VERSION) {
        char msg[64];
        snprintf(msg, sizeof(msg), "invalid authentication version %u", p[0]);
        fail(s, out, -1, msg);
        return 0;
    }
    size_t ulen = p[1];
    if (s->buf.len < 3 + ulen)
        return 0;
    size_t plen = p[2 + ulen];
    if (s->buf.len < 3 + ulen + plen)
        return 0;
    struct connection *client = s->base.ctx->client;
    s->auth = socks5_auth_data_new(client, p + 2, ulen, p + 3 + ulen, plen);
    s->auth_len = 3 + ulen + plen;
    s->step = ST_AUTH_HOOK;
    layer_hook(&s->base, out, HOOK_SOCKS5_AUTH, NULL, client, NULL)->hook.socks5_auth =
        socks5_auth_data_ref(s->auth);
    return 0;
}

/* The socks5_auth hook is done: its verdict goes to the client. */
static int
auth_done(struct socks5 *s, struct cmdq *out)
{
    int valid = s->auth->valid;
    socks5_auth_data_unref(s->auth);
    s->auth = NULL;
    if (!valid) {
        /* The reply's first byte is the subnegotiation's version, 1. */
        const uint8_t reply[2] = {AUTH_VERSION, 1};
        layer_send(&s->base, out, s->base.ctx->client, reply, sizeof(reply));
        fail(s, out, -1, "authentication failed");
        return 0;
    }
    const uint8_t reply[2] = {AUTH_VERSION, 0};
    layer_send(&s->base, out, s->base.ctx->client, reply, sizeof(reply));
    buf_consume(&s->buf, s->auth_len);
    s->step = ST_REQUEST;
    return 1;
}

static int
step_request(struct socks5 *s, struct cmdq *out)
{
    const uint8_t *p = buf_ptr(&s->buf);
    char msg[128];
    if (s->buf.len < 4)
        return 0;
    if (p[0] != SOCKS5_VERSION) {
        snprintf(msg, sizeof(msg), "invalid version %u in request", p[0]);
        fail(s, out, REP_COMMAND_NOT_SUPPORTED, msg);
        return 0;
    }
    if (p[1] != CMD_CONNECT || p[2] != 0) {
        snprintf(msg, sizeof(msg), "unsupported command %u (only CONNECT is)", p[1]);
        fail(s, out, REP_COMMAND_NOT_SUPPORTED, msg);
        return 0;
    }
    size_t len;
    switch (p[3]) {
    case ATYP_IPV4:
        len = 4 + 4 + 2;
        break;
    case ATYP_IPV6:
        len = 4 + 16 + 2;
        break;
    case ATYP_DOMAIN:
        if (s->buf.len < 5)
            return 0;
        len = 4 + 1 + (size_t)p[4] + 2;
        break;
    default:
        snprintf(msg, sizeof(msg), "unknown address type %u", p[3]);
        fail(s, out, REP_ATYP_NOT_SUPPORTED, msg);
        return 0;
    }
    if (s->buf.len < len)
        return 0;
    char host[256];
    if (p[3] == ATYP_IPV4) {
        inet_ntop(AF_INET, p + 4, host, sizeof(host));
    } else if (p[3] == ATYP_IPV6) {
        inet_ntop(AF_INET6, p + 4, host, sizeof(host));
    } else {
        size_t n = p[4];
        if (n == 0) {
            fail(s, out, REP_GENERAL_FAILURE, "empty domain name");
            return 0;
        }
        /* Only printable ASCII: the name ends up in logs, flows and DNS. */
        for (size_t i = 0; i < n; i++) {
            if (p[5 + i] <= 0x20 || p[5 + i] >= 0x7f) {
                fail(s, out, REP_GENERAL_FAILURE, "invalid character in domain name");
                return 0;
            }
        }
        memcpy(host, p + 5, n);
        host[n] = '\0';
    }
    uint16_t port = (uint16_t)(p[len - 2] << 8 | p[len - 1]);
    buf_consume(&s->buf, len);
    s->server = connection_new(CONN_SERVER);
    addr_set(&s->server->address, host, port);
    s->step = ST_OPEN;
    layer_open(&s->base, out, s->server);
    return 0;
}

static void
open_done(struct socks5 *s, struct cmdq *out, const struct event *ev)
{
    struct connection *client = s->base.ctx->client;
    if (ev->err) {
        char msg[512];
        char addr[300];
        addr_format(&s->server->address, addr, sizeof(addr));
        snprintf(msg, sizeof(msg), "cannot connect to %s: %s", addr, ev->err);
        connection_unref(s->server);
        s->server = NULL;
        fail(s, out, REP_HOST_UNREACHABLE, msg);
        return;
    }
    static const uint8_t ok[10] = {SOCKS5_VERSION, 0, 0, ATYP_IPV4};
    layer_send(&s->base, out, client, ok, sizeof(ok));
    /* The child takes its own reference to the server connection. */
    s->child = layer_nextlayer_new(s->base.ctx, s->server);
    connection_unref(s->server);
    s->server = NULL;
    s->step = ST_TUNNEL;
    layer_start_child(s->child, out, client, buf_slice(&s->buf), NULL,
                      (struct slice){NULL, 0});
    buf_clear(&s->buf);
}

static void
run(struct socks5 *s, struct cmdq *out)
{
    for (;;) {
        int more;
        switch (s->step) {
        case ST_GREET:
            more = step_greet(s, out);
            break;
        case ST_AUTH:
            more = step_auth(s, out);
            break;
        case ST_REQUEST:
            more = step_request(s, out);
            break;
        default:
            more = 0;
            break;
        }
        if (!more)
            return;
    }
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct socks5 *s = (struct socks5 *)l;
    struct connection *client = l->ctx->client;

    if (s->step == ST_TUNNEL) {
        layer_feed(s->child, ev, out);
        return;
    }
    switch (ev->type) {
    case EV_START:
    case EV_WAKEUP:
    case EV_INJECT: /* no flow before the tunnel */
        return;
    case EV_DATA:
        if (ev->conn != client || s->step == ST_DONE)
            return;
        buf_append(&s->buf, ev->data.p, ev->data.len);
        run(s, out);
        return;
    case EV_CLOSED:
        if (ev->conn != client || s->step == ST_DONE)
            return;
        if (s->buf.len)
            layer_log(l, out, LOG_INFO,
                      "SOCKS5: client closed connection before completing the handshake "
                      "(%zu bytes pending)",
                      s->buf.len);
        if (client->state != CONN_CLOSED)
            layer_close(l, out, client, 0);
        s->step = ST_DONE;
        buf_reset(&s->buf);
        return;
    case EV_DONE:
        if (s->step == ST_OPEN)
            open_done(s, out, ev);
        else if (s->step == ST_AUTH_HOOK && auth_done(s, out))
            run(s, out);
        return;
    }
}

static void
socks5_free(struct layer *l)
{
    struct socks5 *s = (struct socks5 *)l;
    layer_free(s->child);
    if (s->server)
        connection_unref(s->server);
    socks5_auth_data_unref(s->auth);
    buf_clear(&s->buf);
    free(s);
}

/* Once the tunnel is up, this layer only passes events down. */
static struct layer *
socks5_successor(struct layer *l)
{
    struct socks5 *s = (struct socks5 *)l;
    return s->step == ST_TUNNEL ? layer_take(&s->child) : NULL;
}

static const struct layer_ops socks5_ops = {
    .name = "socks5",
    .handle = handle,
    .free = socks5_free,
    .successor = socks5_successor,
};

struct layer *
layer_socks5_new(struct context *ctx)
{
    struct socks5 *s = xcalloc(1, sizeof(*s));
    layer_init(&s->base, &socks5_ops, ctx);
    s->step = ST_GREET;
    buf_init(&s->buf);
    return &s->base;
}
