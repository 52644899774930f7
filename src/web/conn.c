/*
 * One connection to mitmweb's server, as a layer (the root of an app
 * listener's connection, server_listen_app): HTTP/1 requests in, parsed
 * with our codec (http/http1.h), answered in order; keep-alive and
 * pipelining as HTTP/1.1 has them. A GET of /updates that asks to upgrade
 * becomes a WebSocket (http/ws.h): from then on the layer reads frames and,
 * every WEB_TICK_MS, sends what its struct web_ws has gathered, so however
 * fast flows change, a socket gets at most one write per tick.
 *
 * Nothing here blocks: every route answers before the handler returns.
 */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http1.h"
#include "http/url.h"
#include "http/ws.h"
#include "proxy/layer.h"
#include "util/version.h"
#include "util/xmalloc.h"
#include "web/internal.h"

/* The largest WebSocket message a client may send (a filter expression). */
#define WS_MAX_IN (1u << 20)

struct web_conn {
    struct layer base; /* first */
    struct web *w;
    struct buf in;           /* bytes not yet parsed */
    struct http_request *rq; /* the request whose body is being read; owned */
    struct http1_body_reader body_rd;
    struct http1_limits limits;
    struct buf body;
    int reading_body;
    int closed; /* we closed (or the peer did): ignore the rest */
    /* After the upgrade. */
    struct web_ws *ws;
    struct ws_reader wsr;
    int ticking; /* a wakeup is pending */
};

void
web__resp_init(struct web_resp *rs)
{
    rs->status = 200;
    hdrs_init(&rs->headers);
    buf_init(&rs->body);
}

void
web__resp_clear(struct web_resp *rs)
{
    hdrs_clear(&rs->headers);
    buf_clear(&rs->body);
}

int
web__error(struct web_resp *rs, int status, const char *fmt, ...)
{
    rs->status = status;
    buf_reset(&rs->body);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        buf_vprintf(&rs->body, fmt, ap);
        va_end(ap);
    } else {
        buf_append_str(&rs->body, http_status_reason(status));
    }
    hdrs_set_cstr(&rs->headers, "Content-Type", "text/plain; charset=utf-8");
    return status;
}

void
web__json_init(struct json *j, struct web_resp *rs)
{
    rs->status = 200;
    buf_reset(&rs->body);
    hdrs_set_cstr(&rs->headers, "Content-Type", "application/json; charset=UTF-8");
    json_init(j, &rs->body, 0);
}

void
web__body(struct web_resp *rs, const char *content_type, const void *p, size_t n)
{
    rs->status = 200;
    buf_set(&rs->body, p, n);
    hdrs_set_cstr(&rs->headers, "Content-Type", content_type);
}

char *
web__query(const struct web_req *rq, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = rq->query; *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        struct buf key = BUF_INIT;
        http_unquote(&key, p, klen, 1);
        int hit = key.len == nl && memcmp(buf_ptr(&key), name, nl) == 0;
        buf_clear(&key);
        if (hit) {
            struct buf v = BUF_INIT;
            if (eq)
                http_unquote(&v, eq + 1, len - klen - 1, 1);
            char *s = buf_strdup(&v);
            buf_clear(&v);
            return s;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return NULL;
}

/* Sec-WebSocket-Accept (RFC 6455 4.2.2): base64(SHA-1(key + GUID)). */
static void
ws_accept(const char *key, size_t n, char out[64])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    uint8_t md[SHA_DIGEST_LENGTH];
    struct buf b = BUF_INIT;
    buf_append(&b, key, n);
    buf_append_str(&b, guid);
    SHA1(buf_ptr(&b), b.len, md);
    buf_clear(&b);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

static void
tick(struct web_conn *c, struct cmdq *out)
{
    if (!c->ticking && !c->closed) {
        layer_wakeup(&c->base, out, WEB_TICK_MS);
        c->ticking = 1;
    }
}

static void
close_conn(struct web_conn *c, struct cmdq *out)
{
    if (c->closed)
        return;
    c->closed = 1;
    layer_close(&c->base, out, c->base.ctx->client, 0);
}

/* Sends rs with mitmproxy's security headers (app.py set_default_headers),
 * without its body for a HEAD; closes the connection after it unless
 * keep_alive. */
static void
respond(struct web_conn *c, struct cmdq *out, const struct web_resp *rs, int head_only,
        int keep_alive)
{
    struct buf b = BUF_INIT;
    const char *reason = http_status_reason(rs->status);
    buf_printf(&b, "HTTP/1.1 %d %s\r\n", rs->status, *reason ? reason : "Unknown");
    buf_printf(&b, "Server: mitmproxy %s\r\n", MP_COMPAT_MITMPROXY);
    buf_append_str(&b, "X-Frame-Options: DENY\r\n"
                       "X-XSS-Protection: 1; mode=block\r\n"
                       "X-Content-Type-Options: nosniff\r\n"
                       "Content-Security-Policy: default-src 'self'; connect-src 'self' ws:; "
                       "img-src 'self' data:; style-src   'self' 'unsafe-inline'\r\n"
                       "Cache-Control: no-cache\r\n");
    for (size_t i = 0; i < rs->headers.n; i++) {
        const struct hdr *h = &rs->headers.v[i];
        buf_append(&b, h->name, h->name_len);
        buf_append_str(&b, ": ");
        buf_append(&b, h->value, h->value_len);
        buf_append_str(&b, "\r\n");
    }
    buf_printf(&b, "Content-Length: %zu\r\n", rs->body.len);
    if (!keep_alive)
        buf_append_str(&b, "Connection: close\r\n");
    buf_append_str(&b, "\r\n");
    if (!head_only)
        buf_append(&b, buf_ptr(&rs->body), rs->body.len);
    layer_send_buf(&c->base, out, c->base.ctx->client, &b);
    buf_clear(&b);
    if (!keep_alive)
        close_conn(c, out);
}

/* Whether the request asks for a WebSocket (RFC 6455 4.2.1). */
static int
wants_upgrade(const struct http_request *rq)
{
    return hdrs_has_token(&rq->headers, "Upgrade", "websocket") &&
           hdrs_has_token(&rq->headers, "Connection", "upgrade");
}

/* A query flag of /updates (batch, list): on unless absent, empty or "0". */
static int
flag(const char *v)
{
    return v && *v && strcmp(v, "0") != 0;
}

static void
upgrade(struct web_conn *c, struct web_req *req, struct web_resp *rs, struct cmdq *out)
{
    const struct hdr *key = hdrs_get(req->headers, "Sec-WebSocket-Key");
    const struct hdr *ver = hdrs_get(req->headers, "Sec-WebSocket-Version");
    if (key == NULL || key->value_len == 0 || ver == NULL || strcmp(ver->value, "13") != 0) {
        web__error(rs, 400, "A WebSocket handshake needs Sec-WebSocket-Key and version 13.");
        return;
    }
    char accept[64];
    ws_accept(key->value, key->value_len, accept);
    struct buf b = BUF_INIT;
    buf_printf(&b,
               "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n",
               accept);
    for (size_t i = 0; i < rs->headers.n; i++)
        buf_printf(&b, "%s: %s\r\n", rs->headers.v[i].name, rs->headers.v[i].value);
    buf_append_str(&b, "\r\n");
    layer_send_buf(&c->base, out, c->base.ctx->client, &b);
    buf_clear(&b);
    char *batch = web__query(req, "batch");
    char *list = web__query(req, "list");
    c->ws = web__ws_new(c->w, flag(batch), flag(list));
    free(batch);
    free(list);
    ws_reader_init(&c->wsr, 1, 0, WS_MAX_IN);
    rs->status = 101;
    tick(c, out);
}

/* One whole request: checked, routed, answered. Returns 0 to keep reading. */
static int
answer(struct web_conn *c, struct http_request *rq, struct cmdq *out)
{
    struct web_resp rs;
    web__resp_init(&rs);
    /* The path stays as sent: the router decodes each segment on its own,
     * so an encoded "/" (a view named "XML/HTML") stays inside its segment. */
    const char *q = strchr(rq->path, '?');
    size_t plen = q ? (size_t)(q - rq->path) : strlen(rq->path);
    char *p = xmalloc(plen + 1);
    memcpy(p, rq->path, plen);
    p[plen] = '\0';
    struct web_req req = {
        .method = rq->method,
        .path = p,
        .query = q ? q + 1 : "",
        .headers = &rq->headers,
        .body = &c->body,
    };
    int keep = http1_keep_alive(rq->http_version, &rq->headers);
    int ws = strcmp(p, "/updates") == 0 && wants_upgrade(rq) && strcmp(rq->method, "GET") == 0;
    if (*p != '/') {
        web__error(&rs, 400, "Bad request path.");
    } else if (web__check(c->w, &req, &rs, ws) == 0) {
        if (ws)
            upgrade(c, &req, &rs, out);
        else
            web__route(c->w, &req, &rs);
    }
    free(p);
    if (rs.status == 101) {
        web__resp_clear(&rs);
        return 1;
    }
    respond(c, out, &rs, strcmp(rq->method, "HEAD") == 0, keep);
    web__resp_clear(&rs);
    return keep ? 0 : -1;
}

static void
bad_request(struct web_conn *c, struct cmdq *out, int status, const char *msg)
{
    struct web_resp rs;
    web__resp_init(&rs);
    web__error(&rs, status, "%s", msg);
    respond(c, out, &rs, 0, 0);
    web__resp_clear(&rs);
}

/* HTTP/1: parses and answers every complete request in c->in. */
static void
http_data(struct web_conn *c, struct cmdq *out)
{
    struct err e = {0};
    while (!c->closed && c->ws == NULL) {
        if (!c->reading_body) {
            if (c->in.len == 0)
                return;
            enum http1_form form;
            ssize_t n =
                http1_parse_request_head(buf_ptr(&c->in), c->in.len, &c->limits, &c->rq, &form, &e);
            if (n == MP_ERR_INCOMPLETE)
                return;
            if (n < 0) {
                bad_request(c, out, n == MP_ERR_LIMIT ? 431 : 400, e.msg);
                return;
            }
            buf_consume(&c->in, (size_t)n);
            if (form != HTTP1_FORM_ORIGIN) {
                bad_request(c, out, 400,
                            "This is mitmweb, not a proxy: origin-form requests only.");
                return;
            }
            struct http1_body body;
            if (http1_request_body(c->rq, &body, &e) < 0) {
                bad_request(c, out, 400, e.msg);
                return;
            }
            if (body.kind == HTTP1_BODY_LENGTH && body.length > WEB_MAX_BODY) {
                bad_request(c, out, 413, "Request body too large.");
                return;
            }
            if (http1_expects_continue(c->rq) && body.kind != HTTP1_BODY_NONE)
                layer_send(&c->base, out, c->base.ctx->client, "HTTP/1.1 100 Continue\r\n\r\n", 25);
            http1_body_reader_init(&c->body_rd, &body, &c->limits);
            buf_reset(&c->body);
            c->reading_body = 1;
        }
        if (!c->body_rd.done) {
            ssize_t n = http1_body_read(&c->body_rd, buf_ptr(&c->in), c->in.len, &c->body, &e);
            if (n < 0) {
                bad_request(c, out, 400, e.msg);
                return;
            }
            buf_consume(&c->in, (size_t)n);
            if (c->body.len > WEB_MAX_BODY) {
                bad_request(c, out, 413, "Request body too large.");
                return;
            }
            if (!c->body_rd.done)
                return;
        }
        http1_body_reader_clear(&c->body_rd);
        c->reading_body = 0;
        struct http_request *rq = c->rq;
        c->rq = NULL;
        int rc = answer(c, rq, out);
        http_request_free(rq);
        buf_reset(&c->body);
        if (rc != 0)
            break;
    }
    /* Bytes after the upgrade request are the first frames. */
    if (c->ws && c->in.len) {
        ws_reader_feed(&c->wsr, buf_ptr(&c->in), c->in.len);
        buf_reset(&c->in);
    }
}

static void
ws_send(struct web_conn *c, struct cmdq *out, int opcode, const void *p, size_t n)
{
    struct buf b = BUF_INIT;
    ws_frame_write(&b, 1, 0, opcode, NULL, p, n);
    layer_send_buf(&c->base, out, c->base.ctx->client, &b);
    buf_clear(&b);
}

static void
ws_close(struct web_conn *c, struct cmdq *out, int code, const char *reason)
{
    uint8_t p[2 + 64];
    size_t n = strlen(reason) < 64 ? strlen(reason) : 64;
    p[0] = (uint8_t)(code >> 8);
    p[1] = (uint8_t)code;
    memcpy(p + 2, reason, n);
    ws_send(c, out, WS_CLOSE, p, 2 + n);
    close_conn(c, out);
}

static void
ws_data(struct web_conn *c, struct cmdq *out)
{
    struct err e = {0};
    while (!c->closed) {
        int opcode, compressed;
        struct buf msg = BUF_INIT;
        int rc = ws_reader_next(&c->wsr, &opcode, &compressed, &msg, &e);
        if (rc == 0) {
            buf_clear(&msg);
            return;
        }
        if (rc < 0) {
            buf_clear(&msg);
            ws_close(c, out, rc == MP_ERR_LIMIT ? 1009 : 1002, "protocol error");
            return;
        }
        if (opcode == WS_PING) {
            ws_send(c, out, WS_PONG, buf_ptr(&msg), msg.len);
        } else if (opcode == WS_CLOSE) {
            ws_send(c, out, WS_CLOSE, buf_ptr(&msg), msg.len < 2 ? msg.len : 2);
            close_conn(c, out);
        } else if (opcode == WS_TEXT) {
            struct buf reply = BUF_INIT;
            if (web__ws_message(c->w, c->ws, buf_ptr(&msg), msg.len, &reply) < 0) {
                buf_clear(&reply);
                buf_clear(&msg);
                ws_close(c, out, 1011, "Internal server error.");
                return;
            }
            if (reply.len)
                layer_send_buf(&c->base, out, c->base.ctx->client, &reply);
            buf_clear(&reply);
        }
        buf_clear(&msg);
    }
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct web_conn *c = (struct web_conn *)l;
    switch (ev->type) {
    case EV_START:
        return;
    case EV_DATA:
        if (c->closed)
            return;
        if (c->ws) {
            ws_reader_feed(&c->wsr, ev->data.p, ev->data.len);
            ws_data(c, out);
        } else {
            buf_append(&c->in, ev->data.p, ev->data.len);
            http_data(c, out);
            if (c->ws)
                ws_data(c, out);
        }
        return;
    case EV_CLOSED:
        close_conn(c, out);
        return;
    case EV_WAKEUP:
        c->ticking = 0;
        if (c->closed || c->ws == NULL)
            return;
        struct buf b = BUF_INIT;
        web__ws_flush(c->w, c->ws, &b);
        if (b.len)
            layer_send_buf(l, out, c->base.ctx->client, &b);
        buf_clear(&b);
        tick(c, out);
        return;
    case EV_DONE:
    case EV_INJECT:
        return;
    }
}

static void
conn_free(struct layer *l)
{
    struct web_conn *c = (struct web_conn *)l;
    if (c->ws) {
        web__ws_free(c->w, c->ws);
        ws_reader_clear(&c->wsr);
    }
    if (c->reading_body)
        http1_body_reader_clear(&c->body_rd);
    http_request_free(c->rq);
    buf_clear(&c->in);
    buf_clear(&c->body);
    free(c);
}

static const struct layer_ops conn_ops = {.name = "web", .handle = handle, .free = conn_free};

struct layer *
web__conn_new(struct context *ctx, void *arg)
{
    struct web_conn *c = xcalloc(1, sizeof(*c));
    layer_init(&c->base, &conn_ops, ctx);
    c->w = arg;
    http1_limits_default(&c->limits);
    buf_init(&c->in);
    buf_init(&c->body);
    return &c->base;
}
