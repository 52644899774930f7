/*
 * The HTTP/2 proxy layer: one client connection speaking HTTP/2 (ALPN h2
 * after TLS, or the cleartext preface), where every stream is a flow of its
 * own with the hooks of HTTP/1 (mitmproxy's Http2Server, HttpStream and
 * Http2Client/Http1Client).
 *
 * A stream walks through the steps of an HTTP/1 exchange:
 *
 *   HEADERS --requestheaders--> REQ_BODY --request--> OPEN --open-->
 *   RESPONSE_WAIT --responseheaders--> RESP_BODY --response--> SENDING
 *
 * but each stream waits for its hooks and opens alone: a stream is a small
 * layer of its own that is the waiter of its blocking commands, so the
 * connection layer keeps running and routes each EV_DONE to the stream that
 * asked. Streams go to a server over HTTP/2 when the server agreed to h2
 * (one shared session per connection) and over HTTP/1.1 otherwise (one
 * connection per exchange in flight, kept for the next one): h2 on one side
 * and HTTP/1.1 on the other is translated both ways.
 *
 * nghttp2 does the framing, HPACK, flow control, priorities and stream
 * states; a stream that ends is freed at once, so a long-lived connection
 * does not grow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "flow/connection.h"
#include "flow/flow.h"
#include "h2/h2.h"
#include "http/http1.h"
#include "options/opt.h"
#include "proxy/layers/http_internal.h"
#include "proxy/layers/layers.h"
#include "util/num.h"
#include "util/clock.h"
#include "util/netaddr.h"
#include "util/xmalloc.h"

enum sstep {
    S_HEADERS,
    S_REQHEADERS_HOOK,
    S_REQ_BODY,
    S_REQUEST_HOOK,
    S_OPEN,
    S_RESPONSE_WAIT,
    S_RESPHEADERS_HOOK,
    S_RESP_BODY,
    S_RESPONSE_HOOK,
    S_ERROR_HOOK,
    S_SENDING,
    S_DONE,
};

struct h2_layer;
struct stream;

/* A server connection streams use. */
struct upstream {
    struct connection *conn; /* one reference */
    nghttp2_session *h2;     /* NULL: HTTP/1.1 */
    struct h2_layer *h;
    struct stream *user;   /* HTTP/1: the stream being served; NULL when idle */
    struct stream *opener; /* the stream whose open this is; NULL once open */
    struct buf in;         /* HTTP/1: bytes not yet parsed */
    int open;
    int dead; /* closed, failed or going away (GOAWAY): no new streams */
    int gone; /* closed by us or the server: nothing more is sent */
    int h2c;  /* HTTP/2 with prior knowledge (reverse:h2c://) */
    struct upstream *next;
};

struct stream {
    struct layer base; /* waiter of this stream's blocking commands */
    struct h2_layer *h;
    int32_t id;       /* on the client session; 0 once closed there */
    enum sstep step;
    uint64_t wait_id; /* the blocking command waited for; 0 = none */
    struct flow *flow; /* one reference */
    int req_complete;  /* END_STREAM came from the client */
    int resp_complete; /* the whole response is here */
    int resp_streaming; /* stream_large_bodies: the body goes out as it comes */
    int req_streaming;  /* the same for the request body */
    int req_sent;       /* a streamed request's head went to the server */
    int req_chunked;    /* ... to an HTTP/1.1 server, chunked */
    struct buf req_pending; /* streamed request bytes not yet sent */

    /* RFC 8441: a WebSocket opened with an extended CONNECT. After the
     * server's 101 the WebSocket layer relays it, seeing the stream as a
     * client connection of its own (ws_client, in ws_ctx). */
    int ws;
    struct connection *ws_client; /* one reference */
    struct context *ws_ctx;       /* owned */
    struct layer *ws_layer;       /* owned */
    uint64_t ws_wait;             /* its blocking command; 0 = none */
    int ws_closed;                /* it closed the stream */
    struct buf resp_pending; /* streamed bytes the client session has not taken */
    /* HTTP/2 server: of resp_pending, the bytes at its start that were already
     * acknowledged to the server, then those not yet (WINDOW_UPDATE only once
     * the client takes them: a slow client slows the server, not our memory). */
    size_t pending_acked;
    size_t pending_unacked;
    int resp_head_done;
    int addon_response;
    int error_status; /* response owed after the error hook; 0 = reset the stream */
    struct upstream *up;
    int32_t up_id;   /* on an HTTP/2 upstream; 0 = none */
    size_t req_off;  /* request body bytes handed to an HTTP/2 upstream */
    size_t resp_off; /* response body bytes handed to the client */
    struct http1_body_reader reader; /* HTTP/1 upstream: response body */
    int reader_live;
    int until_close;
    int retries; /* sent again after the server refused the stream */
    struct stream *next;
};

struct h2_layer {
    struct layer base;
    nghttp2_session *cs; /* towards the client: we are the server */
    struct cmdq *out;    /* during handle(): where commands go */
    struct stream *streams;
    struct upstream *ups;
    int closed;

    /* Where requests go when we are inside a tunnel (CONNECT, TLS). */
    int tunnel;
    int https;
    char *host; /* owned */
    uint16_t port;
    char *sni;          /* owned; NULL = none */
    char *server_error; /* owned; NULL = the server is reachable */
};

static const struct layer_ops stream_ops;

static void advance(struct stream *s, const struct event *ev);
static void flush(struct h2_layer *h);

/* --- upstreams --- */

static void
up_free(struct upstream *u)
{
    if (u->h2)
        nghttp2_session_del(u->h2);
    connection_unref(u->conn);
    buf_clear(&u->in);
    free(u);
}

/* Marks an upstream unusable and closes its connection. */
static void
up_kill(struct upstream *u)
{
    struct h2_layer *h = u->h;
    if (!u->gone && u->conn->state != CONN_CLOSED)
        layer_close(&h->base, h->out, u->conn, 0);
    u->dead = 1;
    u->gone = 1;
}

static struct upstream *
up_of(struct h2_layer *h, const struct connection *c)
{
    for (struct upstream *u = h->ups; u; u = u->next)
        if (u->conn == c)
            return u;
    return NULL;
}

/* Drops upstreams that are dead and no stream uses. */
static void
up_gc(struct h2_layer *h)
{
    int any_dead = 0;
    for (struct upstream *u = h->ups; u; u = u->next)
        any_dead |= u->dead;
    if (!any_dead)
        return; /* the usual case, after every event: no stream scan */
    struct upstream **pp = &h->ups;
    while (*pp) {
        struct upstream *u = *pp;
        int used = 0;
        for (struct stream *s = h->streams; s; s = s->next)
            if (s->up == u)
                used = 1;
        if (u->dead && !used) {
            up_kill(u); /* e.g. after a GOAWAY, once its last stream is done */
            *pp = u->next;
            up_free(u);
        } else {
            pp = &u->next;
        }
    }
}

/* --- streams --- */

static struct stream *
stream_new(struct h2_layer *h, int32_t id)
{
    struct stream *s = xcalloc(1, sizeof(*s));
    layer_init(&s->base, &stream_ops, h->base.ctx);
    s->base.reads_while_paused = 1; /* the other streams go on meanwhile */
    s->h = h;
    s->id = id;
    s->next = h->streams;
    h->streams = s;
    return s;
}

/* Tells an HTTP/2 server it may send n more bytes (on stream id, if still open). */
static void
up_ack(struct upstream *u, int32_t id, size_t n)
{
    if (u == NULL || u->h2 == NULL || n == 0)
        return;
    nghttp2_session_consume_connection(u->h2, n);
    if (id && nghttp2_session_find_stream(u->h2, id))
        nghttp2_session_consume_stream(u->h2, id, n);
}

/* Lets go of the stream's upstream side (the exchange is over or abandoned). */
static void
stream_release_up(struct stream *s, int abandon)
{
    struct upstream *u = s->up;
    if (u == NULL)
        return;
    if (u->h2) {
        /* What the client has not taken yet no longer holds the server back. */
        up_ack(u, s->up_id, s->pending_unacked);
        s->pending_unacked = 0;
        if (s->up_id) {
            nghttp2_session_set_stream_user_data(u->h2, s->up_id, NULL);
            if (abandon)
                nghttp2_submit_rst_stream(u->h2, NGHTTP2_FLAG_NONE, s->up_id, NGHTTP2_CANCEL);
        }
    } else if (u->user == s) {
        u->user = NULL;
        if (abandon)
            up_kill(u);
    }
    if (u->opener == s)
        u->opener = NULL;
    if (s->reader_live) {
        http1_body_reader_clear(&s->reader);
        s->reader_live = 0;
    }
    s->up = NULL;
    s->up_id = 0;
}

/* abandon: reset or close what the stream still has on the server side. */
static void
stream_free(struct stream *s, int abandon)
{
    layer_free(s->ws_layer);
    if (s->ws_ctx)
        context_free(s->ws_ctx);
    if (s->ws_client)
        connection_unref(s->ws_client);
    stream_release_up(s, abandon);
    buf_clear(&s->resp_pending);
    buf_clear(&s->req_pending);
    if (s->flow) {
        s->flow->live = 0;
        flow_unref(s->flow);
    }
    layer_free(&s->base);
}

/* Frees a stream that is over on both sides and waits for nothing. */
static void
stream_maybe_free(struct stream *s)
{
    if (s->step != S_DONE || s->wait_id || s->id || s->ws_wait ||
        (s->ws_layer && !s->ws_closed))
        return;
    struct h2_layer *h = s->h;
    for (struct stream **pp = &h->streams; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    stream_free(s, 1);
}

static struct stream *
stream_by_wait(struct h2_layer *h, uint64_t id)
{
    for (struct stream *s = h->streams; s; s = s->next)
        if (s->wait_id == id)
            return s;
    return NULL;
}

static void
hook(struct stream *s, enum sstep step, enum hook which)
{
    s->step = step;
    struct command *c = layer_hook(&s->base, s->h->out, which, s->flow, NULL, NULL);
    s->wait_id = c->id;
}

static void
reset_client(struct stream *s, uint32_t code)
{
    if (s->id)
        nghttp2_submit_rst_stream(s->h->cs, NGHTTP2_FLAG_NONE, s->id, code);
}

/* Fails the flow: error set, error hook, then an error response or a reset. */
static void
fail(struct stream *s, int status, const char *msg)
{
    if (s->flow->error == NULL || strcmp(msg, "Connection killed.") != 0)
        flow_set_error(s->flow, msg);
    s->error_status = s->step >= S_SENDING ? 0 : status;
    stream_release_up(s, 1);
    hook(s, S_ERROR_HOOK, HOOK_ERROR);
}

static int
killed(struct stream *s)
{
    if (!s->flow->killed)
        return 0;
    fail(s, 0, "Connection killed.");
    return 1;
}

/* --- sending a response to the client --- */

/*
 * Fills a DATA frame for nghttp2 from body, read from *off on (off NULL:
 * what is taken is consumed). complete: nothing more will come, so the end
 * of body is the end of the stream, or of the data before the trailers,
 * which go as a HEADERS frame of their own. Nothing yet: deferred.
 */
static ssize_t
provide(nghttp2_session *session, int32_t stream_id, uint8_t *dst, size_t length,
        uint32_t *data_flags, struct buf *body, size_t *off, int complete,
        const struct hdrs *trailers)
{
    size_t start = off ? *off : 0;
    size_t left = body->len - start;
    if (left == 0 && !complete)
        return NGHTTP2_ERR_DEFERRED;
    size_t n = left < length ? left : length;
    memcpy(dst, buf_ptr(body) + start, n);
    if (off)
        *off += n;
    else
        buf_consume(body, n);
    if (n == left && complete) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        if (trailers && trailers->n) {
            struct h2_nvs nv = {0};
            h2_trailer_nvs(trailers, &nv);
            if (nghttp2_submit_trailer(session, stream_id, nv.nv, nv.n) == 0)
                *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            h2_nvs_clear(&nv);
        }
    }
    return (ssize_t)n;
}

static ssize_t
client_body_read(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                 uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
    struct stream *s = source->ptr;
    struct http_response *r = s->flow->response;
    return provide(session, stream_id, buf, length, data_flags, &r->content, &s->resp_off, 1,
                   r->trailers);
}

static int
no_body(const struct http_request *req, const struct http_response *resp)
{
    return strcmp(req->method, "HEAD") == 0 || resp->status_code == 204 ||
           resp->status_code == 304 || resp->status_code < 200;
}

static void
send_response(struct stream *s)
{
    struct http_response *r = s->flow->response;
    int bodyless = no_body(s->flow->request, r);
    struct h2_nvs nv = {0};
    h2_response_nvs(r, !bodyless, &nv);
    nghttp2_data_provider dp = {.source.ptr = s, .read_callback = client_body_read};
    int with_data = !bodyless && (r->content.len || (r->trailers && r->trailers->n));
    s->resp_off = 0;
    s->step = S_SENDING;
    if (s->id)
        nghttp2_submit_response(s->h->cs, s->id, nv.nv, nv.n, with_data ? &dp : NULL);
    h2_nvs_clear(&nv);
}

/* A streamed body: what has come so far; the end once the server's end came. */
static ssize_t
client_stream_read(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                   uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
    struct stream *s = source->ptr;
    ssize_t n = provide(session, stream_id, buf, length, data_flags, &s->resp_pending, NULL,
                        s->resp_complete, s->flow->response->trailers);
    if (n > 0) {
        /* Handed to the client: the server may send as much again. */
        size_t k = (size_t)n, pre = k < s->pending_acked ? k : s->pending_acked;
        s->pending_acked -= pre;
        k -= pre;
        size_t ack = k < s->pending_unacked ? k : s->pending_unacked;
        s->pending_unacked -= ack;
        if (ack && s->up)
            up_ack(s->up, s->up_id, ack);
    }
    return n;
}

/* Sends the response head now and the body as it comes (mitmproxy's
 * stream_large_bodies): the flow keeps no body (content None). */
static void
start_streaming(struct stream *s)
{
    struct http_response *r = s->flow->response;
    buf_append(&s->resp_pending, buf_ptr(&r->content), r->content.len);
    s->pending_acked += r->content.len; /* buffered bytes were acknowledged as they came */
    buf_clear(&r->content);
    r->content_none = 1;
    s->resp_streaming = 1;
    struct h2_nvs nv = {0};
    h2_response_nvs(r, 0, &nv);
    nghttp2_data_provider dp = {.source.ptr = s, .read_callback = client_stream_read};
    if (s->id)
        nghttp2_submit_response(s->h->cs, s->id, nv.nv, nv.n,
                                no_body(s->flow->request, r) ? NULL : &dp);
    h2_nvs_clear(&nv);
}

/* Whether the response head announces a body above stream_large_bodies. */
static int
wants_streaming(struct stream *s)
{
    int64_t limit = s->h->base.ctx->cfg->stream_large_bodies;
    if (limit < 0 || s->addon_response || no_body(s->flow->request, s->flow->response))
        return 0;
    if (s->until_close)
        return 1;
    const struct hdr *cl = hdrs_get(&s->flow->response->headers, "content-length");
    int64_t n;
    return cl && num_parse_cstr(cl->value, 0, INT64_MAX, &n) == 0 && n > limit;
}

/* Response body bytes from the server. */
static void
resp_data(struct stream *s, const uint8_t *p, size_t n)
{
    struct http_response *r = s->flow->response;
    if (s->resp_streaming) {
        buf_append(&s->resp_pending, p, n);
        if (s->id)
            nghttp2_session_resume_data(s->h->cs, s->id);
        return;
    }
    buf_append(&r->content, p, n);
    int64_t limit = s->h->base.ctx->cfg->stream_large_bodies;
    if (limit >= 0 && s->step == S_RESP_BODY && r->content.len > (uint64_t)limit)
        start_streaming(s); /* grew past the limit without announcing it */
}

/* mitmproxy's make_error_response, as HTTP/2: the flow records it. */
static void
send_error(struct stream *s, int status, const char *msg)
{
    if (s->flow->response)
        http_response_free(s->flow->response);
    s->flow->response = http__error_response_h2(status, msg);
    send_response(s);
}

/* --- the request side --- */

/* host[:port] of an :authority; port 0 when absent. */
static int
split_authority(const char *a, char *host, size_t hostlen, uint16_t *port)
{
    const char *end, *colon;
    if (a[0] == '[') {
        end = strchr(a, ']');
        if (end == NULL)
            return -1;
        a++;
        colon = end[1] == ':' ? end + 1 : NULL;
    } else {
        colon = strrchr(a, ':');
        end = colon ? colon : a + strlen(a);
    }
    size_t n = (size_t)(end - a);
    if (n == 0 || n >= hostlen)
        return -1;
    memcpy(host, a, n);
    host[n] = '\0';
    *port = 0;
    if (colon) {
        int64_t p;
        if (num_parse_cstr(colon + 1, 1, 65535, &p) < 0)
            return -1;
        *port = (uint16_t)p;
    }
    return 0;
}

/* Where the request goes: the tunnel's server, the reverse target, or its :authority. */
static int
route_request(struct stream *s)
{
    struct h2_layer *h = s->h;
    const struct proxy_config *cfg = h->base.ctx->cfg;
    struct http_request *req = s->flow->request;
    if (h->tunnel) {
        http_set_str(&req->host, h->host);
        req->port = h->port;
        http_set_str(&req->scheme, h->https ? "https" : "http");
        return 0;
    }
    if (cfg->mode.kind == PROXY_MODE_REVERSE) {
        int h2c = strcmp(cfg->mode.scheme, "h2c") == 0;
        http_set_str(&req->host, cfg->mode.host);
        http_set_str(&req->scheme, h2c ? "http" : cfg->mode.scheme);
        req->port = cfg->mode.port ? cfg->mode.port : (h2c ? 80 : 0);
        if (!cfg->opts->keep_host_header) {
            struct buf hp = BUF_INIT;
            http__format_hostport(&hp, req->scheme, req->host, req->port);
            char *a = buf_strdup(&hp);
            http_set_str(&req->authority, a);
            free(a);
            buf_clear(&hp);
        }
        return 0;
    }
    /* Prior-knowledge h2c to a regular proxy: :authority names the server. */
    char host[256];
    uint16_t port;
    if (split_authority(req->authority, host, sizeof(host), &port) < 0)
        return -1;
    http_set_str(&req->host, host);
    req->port = port ? port : (strcmp(req->scheme, "https") == 0 ? 443 : 80);
    return 0;
}

/*
 * An extended CONNECT for a WebSocket (RFC 8441) becomes, for the flow and
 * the server, the HTTP/1.1 handshake it stands for: a GET with Upgrade,
 * Connection and a fresh Sec-WebSocket-Key (the version, protocol and
 * extensions fields come from the client).
 */
static void
ws_request(struct stream *s)
{
    struct http_request *req = s->flow->request;
    hdrs_remove(&req->headers, ":protocol");
    http_set_str(&req->method, "GET");
    uint8_t key[16];
    char b64[32];
    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
        memset(key, 0x5a, sizeof(key)); /* the key only needs to be well-formed */
    EVP_EncodeBlock((unsigned char *)b64, key, sizeof(key));
    hdrs_set_cstr(&req->headers, "upgrade", "websocket");
    hdrs_set_cstr(&req->headers, "connection", "Upgrade");
    hdrs_set_cstr(&req->headers, "sec-websocket-key", b64);
    s->ws = 1;
}

static void ws_feed(struct stream *s, const struct event *ev);

/* The WebSocket layer's commands: its client is this stream. */
static void
ws_commands(struct stream *s, struct cmdq *q)
{
    struct h2_layer *h = s->h;
    struct command *c;
    while ((c = cmdq_pop(q)) != NULL) {
        if (c->conn == s->ws_client && c->type == CMD_SEND) {
            buf_append(&s->resp_pending, buf_ptr(&c->data), c->data.len);
            if (s->id)
                nghttp2_session_resume_data(h->cs, s->id);
            cmd_free(c);
            continue;
        }
        if (c->conn == s->ws_client && c->type == CMD_CLOSE) {
            /* The end of the stream from our side (END_STREAM once sent). */
            s->ws_closed = 1;
            s->resp_complete = 1;
            s->ws_client->state = CONN_CLOSED;
            if (s->id)
                nghttp2_session_resume_data(h->cs, s->id);
            cmd_free(c);
            continue;
        }
        if (c->blocking)
            s->ws_wait = c->id;
        cmdq_push(h->out, c);
    }
}

/* Feeds the WebSocket layer; its command ids come from the connection's counter. */
static void
ws_feed(struct stream *s, const struct event *ev)
{
    struct cmdq q;
    cmdq_init(&q);
    s->ws_ctx->next_cmd_id = s->h->base.ctx->next_cmd_id;
    layer_feed(s->ws_layer, ev, &q);
    s->h->base.ctx->next_cmd_id = s->ws_ctx->next_cmd_id;
    ws_commands(s, &q);
}

/* The server answered 101: tell the client 200 and relay the WebSocket. */
static void
ws_start(struct stream *s)
{
    struct h2_layer *h = s->h;
    struct http_response *r = s->flow->response;
    struct h2_nvs nv = {0};
    h2_nvs_add(&nv, ":status", 7, "200", 3);
    static const char *const keep[] = {"sec-websocket-protocol", "sec-websocket-extensions"};
    for (size_t i = 0; i < 2; i++) {
        const struct hdr *f = hdrs_get(&r->headers, keep[i]);
        if (f)
            h2_nvs_add(&nv, keep[i], strlen(keep[i]), f->value, f->value_len);
    }
    h2_nvs_finish(&nv);
    s->resp_streaming = 1;
    s->resp_complete = 0;
    nghttp2_data_provider dp = {.source.ptr = s, .read_callback = client_stream_read};
    nghttp2_submit_response(h->cs, s->id, nv.nv, nv.n, &dp);
    h2_nvs_clear(&nv);
    s->step = S_SENDING;

    struct upstream *u = s->up;
    s->ws_client = connection_new(CONN_CLIENT);
    s->ws_client->state = CONN_OPEN;
    addr_set(&s->ws_client->peername, h->base.ctx->client->peername.host,
             h->base.ctx->client->peername.port);
    s->ws_ctx = context_new(s->ws_client, h->base.ctx->cfg);
    s->ws_layer = layer_websocket_new(s->ws_ctx, s->flow, u->conn);
    s->ws_layer->reads_while_paused = 1; /* other streams go on */
    struct event start = {.type = EV_START};
    ws_feed(s, &start);
    if (s->req_pending.len) {
        /* Frames the client sent before our 200 reached it. */
        struct buf b = BUF_INIT;
        buf_move(&b, &s->req_pending);
        struct event d = {.type = EV_DATA, .conn = s->ws_client, .data = buf_slice(&b)};
        ws_feed(s, &d);
        buf_clear(&b);
    }
    if (u->in.len) {
        struct buf b = BUF_INIT;
        buf_move(&b, &u->in);
        struct event d = {.type = EV_DATA, .conn = u->conn, .data = buf_slice(&b)};
        ws_feed(s, &d);
        buf_clear(&b);
    }
}

static void
request_head_done(struct stream *s)
{
    struct err e = {0};
    struct http_request *req = s->flow->request;
    if (h2_request_check(req, &e) < 0) {
        reset_client(s, NGHTTP2_PROTOCOL_ERROR);
        s->step = S_DONE;
        return;
    }
    if (strcmp(req->method, "CONNECT") == 0) {
        const struct hdr *proto = hdrs_get(&req->headers, ":protocol");
        if (proto && strcasecmp(proto->value, "websocket") == 0 &&
            s->h->base.ctx->cfg->opts->websocket) {
            ws_request(s);
        } else {
            /* CONNECT tunnels over HTTP/2 are not relayed. */
            send_error(s, 501, "CONNECT over HTTP/2 is not supported.");
            return;
        }
    }
    if (route_request(s) < 0) {
        send_error(s, 400, "Invalid :authority.");
        return;
    }
    hook(s, S_REQHEADERS_HOOK, HOOK_REQUESTHEADERS);
}

/* --- the server side --- */

static ssize_t
up_body_read(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
             uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
    struct stream *s = nghttp2_session_get_stream_user_data(session, stream_id);
    if (s == NULL) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF; /* the stream was let go of */
        return 0;
    }
    struct http_request *r = s->flow->request;
    return provide(session, stream_id, buf, length, data_flags, &r->content, &s->req_off, 1,
                   r->trailers);
}

/* A streamed request body: what the client sent so far, the end once it ended. */
static ssize_t
up_stream_read(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
               uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
    struct stream *s = nghttp2_session_get_stream_user_data(session, stream_id);
    if (s == NULL) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        return 0;
    }
    return provide(session, stream_id, buf, length, data_flags, &s->req_pending, NULL,
                   s->req_complete, s->flow->request->trailers);
}

static void
send_request_h2(struct stream *s)
{
    struct upstream *u = s->up;
    struct http_request *r = s->flow->request;
    struct h2_nvs nv = {0};
    h2_request_nvs(r, &nv);
    nghttp2_data_provider dp = {.source.ptr = s, .read_callback = up_body_read};
    int with_data = r->content.len || (r->trailers && r->trailers->n);
    if (s->req_streaming) {
        dp.read_callback = up_stream_read;
        with_data = 1;
    }
    s->req_off = 0;
    int32_t id = nghttp2_submit_request(u->h2, NULL, nv.nv, nv.n, with_data ? &dp : NULL, s);
    h2_nvs_clear(&nv);
    if (id < 0) {
        fail(s, 502, nghttp2_strerror(id));
        return;
    }
    s->up_id = id;
    s->step = S_RESPONSE_WAIT;
}

static void
send_request_h1(struct stream *s)
{
    struct upstream *u = s->up;
    struct http_request *wire = http_request_copy(s->flow->request);
    h2_request_to_h1(wire);
    int chunked = (wire->trailers && wire->trailers->n) ||
                  (s->req_streaming && hdrs_get(&wire->headers, "content-length") == NULL);
    s->req_chunked = chunked;
    hdrs_remove(&wire->headers, "transfer-encoding");
    if (chunked) {
        hdrs_remove(&wire->headers, "content-length");
        hdrs_add_cstr(&wire->headers, "Transfer-Encoding", "chunked");
    } else if (s->req_streaming) {
        /* The client's content-length stands: the body is not here yet. */
    } else if (wire->content.len || hdrs_get(&wire->headers, "content-length")) {
        char num[32];
        snprintf(num, sizeof(num), "%zu", wire->content.len);
        hdrs_set_cstr(&wire->headers, "content-length", num);
    }
    struct buf b = BUF_INIT;
    http1_write_request_head(&b, wire, HTTP1_FORM_ORIGIN);
    if (s->req_streaming) {
        /* The rest follows as it comes (req_flush). */
    } else if (chunked) {
        http1_write_chunk(&b, buf_ptr(&wire->content), wire->content.len);
        http1_write_last_chunk(&b, wire->trailers);
    } else {
        buf_append(&b, buf_ptr(&wire->content), wire->content.len);
    }
    http_request_free(wire);
    layer_send_buf(&s->h->base, s->h->out, u->conn, &b);
    u->user = s;
    s->step = S_RESPONSE_WAIT;
}

static void request_complete(struct stream *s);

/*
 * A streamed request: sends what came so far; at the end, the last chunk
 * and then the request hook (mitmproxy raises it once the body is over,
 * content None). A response that came first skips it.
 */
static void
req_flush(struct stream *s)
{
    struct upstream *u = s->up;
    if (!s->req_sent || u == NULL)
        return;
    if (u->h2) {
        if (s->up_id)
            nghttp2_session_resume_data(u->h2, s->up_id);
    } else if (s->req_pending.len || s->req_complete) {
        struct buf b = BUF_INIT;
        if (s->req_chunked) {
            if (s->req_pending.len)
                http1_write_chunk(&b, buf_ptr(&s->req_pending), s->req_pending.len);
            if (s->req_complete)
                http1_write_last_chunk(&b, s->flow->request->trailers);
        } else {
            buf_append(&b, buf_ptr(&s->req_pending), s->req_pending.len);
        }
        buf_reset(&s->req_pending);
        if (b.len)
            layer_send_buf(&s->h->base, s->h->out, u->conn, &b);
        buf_clear(&b);
    }
    if (s->req_complete) {
        s->req_streaming = 2; /* all out: nothing more to flush */
        if (s->step == S_RESPONSE_WAIT && !s->resp_head_done)
            request_complete(s);
    }
}

static void
send_request(struct stream *s)
{
    struct upstream *u = s->up;
    if (killed(s))
        return;
    if (s->flow->server_conn)
        connection_unref(s->flow->server_conn);
    s->flow->server_conn = connection_ref(u->conn);
    if (u->h2)
        send_request_h2(s);
    else
        send_request_h1(s);
    if (s->req_streaming && s->step == S_RESPONSE_WAIT) {
        s->req_sent = 1;
        req_flush(s);
    }
}

static int h2_up_start(struct upstream *u);

/* Finds or opens a server connection for the stream's request. */
static void
need_upstream(struct stream *s)
{
    struct h2_layer *h = s->h;
    const struct proxy_config *cfg = h->base.ctx->cfg;
    struct http_request *req = s->flow->request;
    int tls = strcmp(req->scheme, "https") == 0;
    int h2c = !tls && !h->tunnel && cfg->mode.kind == PROXY_MODE_REVERSE &&
              strcmp(cfg->mode.scheme, "h2c") == 0;
    if (s->ws && h2c) {
        fail(s, 502, "WebSocket to an h2c server is not supported.");
        return;
    }
    for (struct upstream *u = h->ups; u; u = u->next) {
        const struct connection *c = u->conn;
        if (s->ws && u->h2)
            continue; /* a WebSocket goes over HTTP/1.1 */
        if (u->dead || c->tls != tls || c->address.port != req->port || c->address.host == NULL ||
            strcmp(c->address.host, req->host) != 0)
            continue;
        if (!u->open) {
            if (u->opener) {
                /* Opening: wait for it, it may speak HTTP/2. */
                s->up = u;
                s->step = S_OPEN;
                return;
            }
            continue;
        }
        if (u->h2 ? nghttp2_session_check_request_allowed(u->h2) : u->user == NULL) {
            s->up = u;
            send_request(s);
            return;
        }
    }
    struct upstream *u = xcalloc(1, sizeof(*u));
    u->h = h;
    u->h2c = h2c;
    u->conn = connection_new(CONN_SERVER);
    u->conn->http1_only = s->ws;
    addr_set(&u->conn->address, req->host, req->port);
    if (tls) {
        u->conn->tls = 1;
        if (h->tunnel)
            u->conn->sni = h->sni ? xstrdup(h->sni) : NULL;
        else if (!netaddr_is_ip(req->host))
            u->conn->sni = xstrdup(req->host);
    }
    u->opener = s;
    u->next = h->ups;
    h->ups = u;
    s->up = u;
    s->step = S_OPEN;
    struct command *c = layer_open(&s->base, h->out, u->conn);
    s->wait_id = c->id;
}

/* The opener's CMD_OPEN finished: start the connection, serve who waits. */
static void
open_done(struct upstream *u, const char *err)
{
    struct h2_layer *h = u->h;
    u->opener = NULL;
    if (err == NULL && u->conn->state == CONN_OPEN) {
        u->open = 1;
        if ((u->h2c || (u->conn->alpn && strcmp(u->conn->alpn, "h2") == 0)) && h2_up_start(u) < 0)
            err = "cannot start an HTTP/2 session";
    } else if (err == NULL) {
        err = "server closed connection";
    }
    if (err) {
        layer_log(&h->base, h->out, LOG_INFO, "error establishing server connection: %s", err);
        u->dead = 1;
    }
    for (struct stream *s = h->streams; s; s = s->next) {
        if (s->up != u || s->step != S_OPEN)
            continue;
        if (err) {
            s->up = NULL;
            fail(s, 502, err);
        } else if ((u->h2 && !s->ws) || (!u->h2 && u->user == NULL)) {
            send_request(s);
        } else {
            /* HTTP/1.1: one exchange per connection; find another. */
            s->up = NULL;
            need_upstream(s);
        }
    }
}

static void
after_request(struct stream *s)
{
    if (killed(s))
        return;
    if (s->flow->response) {
        /* An addon answered: emulate responseheaders, then response. */
        s->addon_response = 1;
        s->resp_complete = 1;
        s->flow->response->timestamp_start = clock_now();
        hook(s, S_RESPHEADERS_HOOK, HOOK_RESPONSEHEADERS);
        return;
    }
    if (s->h->server_error) {
        fail(s, 502, s->h->server_error);
        return;
    }
    need_upstream(s);
}

static int
wants_request_streaming(struct stream *s)
{
    int64_t limit = s->h->base.ctx->cfg->stream_large_bodies;
    const struct hdr *cl = hdrs_get(&s->flow->request->headers, "content-length");
    int64_t n;
    return limit >= 0 && cl && num_parse_cstr(cl->value, 0, INT64_MAX, &n) == 0 && n > limit;
}

static void
request_complete(struct stream *s)
{
    if (s->flow->request->timestamp_end == 0)
        s->flow->request->timestamp_end = clock_now();
    hook(s, S_REQUEST_HOOK, HOOK_REQUEST);
}

static void
response_complete(struct stream *s)
{
    struct http_response *r = s->flow->response;
    if (r->timestamp_end == 0)
        r->timestamp_end = clock_now();
    if (s->ws && r->status_code == 101 && s->up && !s->up->h2) {
        /* The connection now carries the WebSocket: it stays with the stream. */
        layer_websocket_mark(s->h->base.ctx, s->flow);
        hook(s, S_RESPONSE_HOOK, HOOK_RESPONSE);
        return;
    }
    if (s->up && !s->up->h2) {
        /* HTTP/1: the connection serves the next exchange unless it ends here. */
        struct upstream *u = s->up;
        if (s->until_close || u->in.len ||
            !http1_keep_alive(r->http_version, &r->headers))
            up_kill(u);
    }
    stream_release_up(s, 0);
    if (s->resp_streaming && s->id)
        nghttp2_session_resume_data(s->h->cs, s->id); /* the end goes out */
    hook(s, S_RESPONSE_HOOK, HOOK_RESPONSE);
}

/* HTTP/1 upstream: parses what the server sent for stream s. */
static void
h1_response(struct stream *s)
{
    struct upstream *u = s->up;
    const struct proxy_config *cfg = s->h->base.ctx->cfg;
    struct err e = {0};
    char msg[300];
    while (s->step == S_RESPONSE_WAIT) {
        struct http_response *resp = NULL;
        ssize_t n = http1_parse_response_head(buf_ptr(&u->in), u->in.len, &cfg->limits, &resp,
                                              &e);
        if (n == MP_ERR_INCOMPLETE) {
            if (u->conn->state & CONN_CAN_READ)
                return;
            up_kill(u);
            fail(s, 502, "server closed connection");
            return;
        }
        if (n < 0) {
            up_kill(u);
            snprintf(msg, sizeof(msg), "HTTP/1 protocol error: %s", e.msg);
            fail(s, 502, msg);
            return;
        }
        buf_consume(&u->in, (size_t)n);
        if (resp->status_code < 200 && !(s->ws && resp->status_code == 101)) {
            http_response_free(resp); /* interim responses are not relayed */
            continue;
        }
        resp->timestamp_start = clock_now();
        s->flow->response = resp;
        struct http1_body body;
        if (http1_response_body(s->flow->request->method, resp, &body, &e) < 0) {
            up_kill(u);
            snprintf(msg, sizeof(msg), "HTTP/1 protocol error: %s", e.msg);
            fail(s, 502, msg);
            return;
        }
        http1_body_reader_init(&s->reader, &body, &cfg->limits);
        s->reader_live = 1;
        s->until_close = body.kind == HTTP1_BODY_UNTIL_CLOSE;
        s->resp_head_done = 1;
        hook(s, S_RESPHEADERS_HOOK, HOOK_RESPONSEHEADERS);
        return;
    }
    if (s->step != S_RESP_BODY || !s->reader_live)
        return;
    struct http_response *resp = s->flow->response;
    if (!s->reader.done) {
        struct buf got = BUF_INIT;
        ssize_t n = http1_body_read(&s->reader, buf_ptr(&u->in), u->in.len, &got, &e);
        if (got.len)
            resp_data(s, buf_ptr(&got), got.len);
        buf_clear(&got);
        if (n < 0) {
            up_kill(u);
            snprintf(msg, sizeof(msg), "HTTP/1 protocol error: %s", e.msg);
            fail(s, 502, msg);
            return;
        }
        buf_consume(&u->in, (size_t)n);
        if (!s->reader.done) {
            if (u->conn->state & CONN_CAN_READ)
                return;
            if (http1_body_eof(&s->reader, &e) < 0) {
                up_kill(u);
                snprintf(msg, sizeof(msg), "HTTP/1 protocol error: %s", e.msg);
                fail(s, 502, msg);
                return;
            }
        }
    }
    resp->trailers = http1_body_take_trailers(&s->reader);
    s->resp_complete = 1;
    response_complete(s);
}

/* --- HTTP/2 upstream callbacks (we are the client) --- */

static struct stream *
up_stream(nghttp2_session *session, int32_t id)
{
    return nghttp2_session_get_stream_user_data(session, id);
}

static int
up_on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct stream *s = up_stream(session, frame->hd.stream_id);
    if (s == NULL || frame->hd.type != NGHTTP2_HEADERS || s->resp_head_done)
        return 0;
    if (s->flow->response)
        http_response_free(s->flow->response);
    struct http_response *r = http_response_new();
    http_set_str(&r->http_version, "HTTP/2.0");
    r->timestamp_start = clock_now();
    s->flow->response = r;
    return 0;
}

static int
up_on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
             size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data)
{
    struct stream *s = up_stream(session, frame->hd.stream_id);
    if (s == NULL || frame->hd.type != NGHTTP2_HEADERS || s->flow->response == NULL)
        return 0;
    struct http_response *r = s->flow->response;
    if (s->resp_head_done)
        return h2_trailer_field(&r->trailers, name, namelen, value, valuelen) < 0
                   ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE
                   : 0;
    struct err e = {0};
    if (h2_response_field(r, name, namelen, value, valuelen, &e) < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

static int
up_on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct upstream *u = user_data;
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        /* Streams above last_stream_id are closed by nghttp2; no new ones here. */
        u->dead = 1;
        return 0;
    }
    struct stream *s = up_stream(session, frame->hd.stream_id);
    if (s == NULL || (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA))
        return 0;
    int end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !s->resp_head_done) {
        struct http_response *r = s->flow->response;
        if (r == NULL)
            return 0;
        if (r->status_code < 200) {
            /* An interim response: the final one follows. */
            http_response_free(r);
            s->flow->response = NULL;
            return 0;
        }
        s->resp_head_done = 1;
        s->resp_complete = end;
        if (s->step == S_RESPONSE_WAIT)
            hook(s, S_RESPHEADERS_HOOK, HOOK_RESPONSEHEADERS);
        return 0;
    }
    if (end) {
        s->resp_complete = 1;
        if (s->step == S_RESP_BODY)
            response_complete(s);
    }
    return 0;
}

static int
up_on_data(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data,
           size_t len, void *user_data)
{
    struct stream *s = up_stream(session, stream_id);
    if (s && s->flow->response && s->resp_streaming) {
        /* Acknowledged once the client takes it (client_stream_read). */
        s->pending_unacked += len;
        resp_data(s, data, len);
        return 0;
    }
    if (s && s->flow->response)
        resp_data(s, data, len);
    nghttp2_session_consume(session, stream_id, len);
    return 0;
}

static int
up_on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                   void *user_data)
{
    struct stream *s = up_stream(session, stream_id);
    if (s == NULL)
        return 0;
    s->up_id = 0;
    if (s->resp_complete)
        return 0;
    char msg[200];
    if (error_code == NGHTTP2_REFUSED_STREAM && s->step == S_RESPONSE_WAIT &&
        !s->resp_head_done && !s->req_streaming && s->retries < 3) {
        /* Not processed by the server (RFC 9113 8.7): send it again, on
         * another connection (this one is going away). */
        struct upstream *u = user_data;
        u->dead = 1;
        s->retries++;
        stream_release_up(s, 0);
        need_upstream(s);
        return 0;
    }
    if (error_code == NGHTTP2_REFUSED_STREAM)
        snprintf(msg, sizeof(msg), "server refused the stream (GOAWAY)");
    else
        snprintf(msg, sizeof(msg), "stream reset by server (%s)", nghttp2_http2_strerror(error_code));
    if (s->step == S_RESPHEADERS_HOOK || s->step == S_RESPONSE_HOOK) {
        /* The hook is running: fail when it is through. */
        flow_set_error(s->flow, msg);
        return 0;
    }
    if (s->step == S_RESPONSE_WAIT || s->step == S_RESP_BODY)
        fail(s, 502, msg);
    return 0;
}

static int
h2_up_start(struct upstream *u)
{
    nghttp2_session_callbacks *cb;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        return -1;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, up_on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, up_on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, up_on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, up_on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, up_on_stream_close);
    /* Flow control by hand: a streamed body is acknowledged when the client
     * takes it, everything else as it arrives. */
    nghttp2_option *opt;
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cb);
        return -1;
    }
    nghttp2_option_set_no_auto_window_update(opt, 1);
    int rv = nghttp2_session_client_new2(&u->h2, cb, u, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    if (rv != 0) {
        u->h2 = NULL;
        return -1;
    }
    return h2_session_settings(u->h2, 1) == 0 ? 0 : -1;
}

/* --- the client session's callbacks (we are the server) --- */

static struct stream *
client_stream(struct h2_layer *h, int32_t id)
{
    return nghttp2_session_get_stream_user_data(h->cs, id);
}

static int
on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct h2_layer *h = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct stream *s = stream_new(h, frame->hd.stream_id);
    s->flow = flow_new_http(h->base.ctx->client, NULL);
    s->flow->live = 1;
    s->flow->request = http_request_new();
    http_set_str(&s->flow->request->http_version, "HTTP/2.0");
    s->flow->request->timestamp_start = clock_now();
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, s);
    return 0;
}

static int
on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
          size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data)
{
    struct h2_layer *h = user_data;
    struct stream *s = client_stream(h, frame->hd.stream_id);
    if (s == NULL || frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    struct http_request *r = s->flow->request;
    if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        struct err e = {0};
        if (h2_request_field(r, name, namelen, value, valuelen, &e) < 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        return 0;
    }
    if (h2_trailer_field(&r->trailers, name, namelen, value, valuelen) < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

/* A malformed field (upper case, forbidden characters, connection-specific):
 * the request is malformed, a stream error (RFC 9113 8.1.1); others go on. */
static int
on_invalid_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                  size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                  void *user_data)
{
    struct h2_layer *h = user_data;
    struct stream *s = client_stream(h, frame->hd.stream_id);
    if (s == NULL || s->step != S_HEADERS)
        return 0;
    layer_log(&h->base, h->out, LOG_INFO, "HTTP/2 stream %d reset: invalid header field %.*s",
              frame->hd.stream_id, (int)(namelen > 64 ? 64 : namelen), name);
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                              NGHTTP2_PROTOCOL_ERROR);
    s->step = S_DONE;
    return 0;
}

static int
on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct h2_layer *h = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    struct stream *s = client_stream(h, frame->hd.stream_id);
    if (s == NULL || s->step == S_DONE)
        return 0;
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
        s->req_complete = 1;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        request_head_done(s);
        return 0;
    }
    if (s->ws) {
        if (s->req_complete && s->ws_layer && (s->ws_client->state & CONN_CAN_READ)) {
            s->ws_client->state &= ~CONN_CAN_READ;
            struct event ev = {.type = EV_CLOSED, .conn = s->ws_client};
            ws_feed(s, &ev);
        }
        return 0;
    }
    if (s->req_complete && s->req_streaming == 1) {
        s->flow->request->timestamp_end = clock_now();
        req_flush(s);
    } else if (s->req_complete && s->step == S_REQ_BODY) {
        request_complete(s);
    }
    return 0;
}

static int
on_data(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data,
        size_t len, void *user_data)
{
    struct h2_layer *h = user_data;
    struct stream *s = client_stream(h, stream_id);
    if (s == NULL)
        return 0;
    const struct proxy_config *cfg = h->base.ctx->cfg;
    struct http_request *r = s->flow->request;
    if (cfg->body_size_limit >= 0 && r->content.len + len > (uint64_t)cfg->body_size_limit) {
        reset_client(s, NGHTTP2_REFUSED_STREAM);
        nghttp2_session_set_stream_user_data(session, stream_id, NULL);
        s->id = 0;
        if (s->step < S_SENDING && !s->wait_id)
            fail(s, 0, "Request body exceeds mitmproxy's body_size_limit.");
        return 0;
    }
    if (s->ws) {
        if (s->ws_layer) {
            struct event ev = {.type = EV_DATA, .conn = s->ws_client,
                               .data = slice_from(data, len)};
            ws_feed(s, &ev);
        } else {
            buf_append(&s->req_pending, data, len); /* before our 200 went out */
        }
        return 0;
    }
    if (s->req_streaming == 1) {
        buf_append(&s->req_pending, data, len);
        req_flush(s);
        return 0;
    }
    buf_append(&r->content, data, len);
    return 0;
}

static int
on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code, void *user_data)
{
    struct h2_layer *h = user_data;
    struct stream *s = client_stream(h, stream_id);
    if (s == NULL)
        return 0;
    s->id = 0;
    if (s->ws_layer) {
        s->step = S_DONE;
        if (!s->ws_closed && s->ws_client->state != CONN_CLOSED) {
            s->ws_client->state = CONN_CLOSED;
            struct event ev = {.type = EV_CLOSED, .conn = s->ws_client};
            ws_feed(s, &ev);
        }
    } else if (s->step == S_SENDING) {
        s->step = S_DONE;
    } else if (s->resp_streaming && s->resp_complete && error_code == NGHTTP2_NO_ERROR) {
        /* A streamed response ended while its response hook runs: all is well. */
    } else if (s->step != S_DONE && s->step != S_ERROR_HOOK) {
        /* The client reset the stream (or the connection went) before the end. */
        if (s->wait_id) {
            flow_kill(s->flow); /* the running hook's continuation sees it */
            if (s->flow->error == NULL)
                flow_set_error(s->flow, "Client disconnected.");
        } else {
            fail(s, 0, "Client disconnected.");
        }
    }
    stream_maybe_free(s);
    return 0;
}

/* --- events --- */

/* A stream's blocking command is through (hook or open): go on. */
static void
advance(struct stream *s, const struct event *ev)
{
    switch (s->step) {
    case S_REQHEADERS_HOOK:
        if (killed(s))
            return;
        s->step = S_REQ_BODY;
        if (s->ws) {
            /* The extended CONNECT has no body: its stream carries the WebSocket. */
            request_complete(s);
            return;
        }
        if (!s->req_complete && wants_request_streaming(s)) {
            /* The server gets the head now and the body as it comes. */
            struct http_request *r = s->flow->request;
            s->req_streaming = 1;
            buf_append(&s->req_pending, buf_ptr(&r->content), r->content.len);
            buf_clear(&r->content);
            r->content_none = 1;
            if (s->h->server_error)
                fail(s, 502, s->h->server_error);
            else
                need_upstream(s);
            return;
        }
        if (s->req_complete)
            request_complete(s);
        return;
    case S_REQUEST_HOOK:
        if (s->req_streaming) {
            /* The request went out while it came; now wait for the answer. */
            if (killed(s))
                return;
            s->step = S_RESPONSE_WAIT;
            if (s->up && !s->up->h2)
                h1_response(s);
            else if (s->resp_head_done)
                hook(s, S_RESPHEADERS_HOOK, HOOK_RESPONSEHEADERS);
            return;
        }
        after_request(s);
        return;
    case S_OPEN:
        if (s->up && s->up->opener == s)
            open_done(s->up, ev->err);
        return;
    case S_RESPHEADERS_HOOK:
        if (killed(s))
            return;
        if (s->flow->error) {
            fail(s, 502, s->flow->error->msg);
            return;
        }
        s->step = S_RESP_BODY;
        if (wants_streaming(s))
            start_streaming(s);
        if (s->addon_response || s->resp_complete) {
            if (s->addon_response) {
                if (s->flow->response->timestamp_end == 0)
                    s->flow->response->timestamp_end = clock_now();
                hook(s, S_RESPONSE_HOOK, HOOK_RESPONSE);
            } else {
                response_complete(s);
            }
            return;
        }
        if (s->up && !s->up->h2)
            h1_response(s);
        return;
    case S_RESPONSE_HOOK:
        if (s->resp_streaming && s->id == 0) {
            s->step = S_DONE; /* sent in full while the hook ran */
            return;
        }
        if (killed(s))
            return;
        if (s->id == 0) {
            s->step = S_DONE;
            return;
        }
        if (s->ws && s->flow->response->status_code == 101 && s->up) {
            ws_start(s);
            return;
        }
        if (s->resp_streaming) {
            s->step = S_SENDING; /* the body is on its way already */
            return;
        }
        send_response(s);
        return;
    case S_ERROR_HOOK:
        if (s->id == 0) {
            s->step = S_DONE;
        } else if (s->error_status) {
            send_error(s, s->error_status, s->flow->error ? s->flow->error->msg : "");
        } else {
            reset_client(s, NGHTTP2_INTERNAL_ERROR);
            s->step = S_DONE;
        }
        return;
    default:
        return;
    }
}

static void
flush(struct h2_layer *h)
{
    struct buf b = BUF_INIT;
    for (struct upstream *u = h->ups; u; u = u->next) {
        if (u->h2 == NULL || u->gone)
            continue;
        if (h2_session_drain(u->h2, &b) < 0)
            up_kill(u);
        else if (b.len)
            layer_send_buf(&h->base, h->out, u->conn, &b);
        buf_reset(&b);
    }
    if (h->cs && !h->closed) {
        if (h2_session_drain(h->cs, &b) == 0 && b.len)
            layer_send_buf(&h->base, h->out, h->base.ctx->client, &b);
        buf_reset(&b);
        /* Sending to the client acknowledged server data: its WINDOW_UPDATEs. */
        for (struct upstream *u = h->ups; u; u = u->next) {
            if (u->h2 == NULL || u->gone)
                continue;
            if (h2_session_drain(u->h2, &b) < 0)
                up_kill(u);
            else if (b.len)
                layer_send_buf(&h->base, h->out, u->conn, &b);
            buf_reset(&b);
        }
    }
    buf_clear(&b);
}

static void
close_all(struct h2_layer *h)
{
    if (h->closed)
        return;
    h->closed = 1;
    for (struct upstream *u = h->ups; u; u = u->next)
        up_kill(u);
    if (h->base.ctx->client->state != CONN_CLOSED)
        layer_close(&h->base, h->out, h->base.ctx->client, 0);
}

static void
client_gone(struct h2_layer *h)
{
    for (struct stream *s = h->streams; s; s = s->next) {
        if (s->id == 0)
            continue;
        s->id = 0;
        if (s->step == S_SENDING || s->step == S_DONE) {
            s->step = S_DONE;
        } else if (s->wait_id) {
            flow_kill(s->flow);
        } else if (s->step != S_ERROR_HOOK) {
            fail(s, 0, "Client disconnected.");
        }
    }
    close_all(h);
}

static void
upstream_data(struct h2_layer *h, struct upstream *u, struct slice data)
{
    if (u->h2) {
        ssize_t n = nghttp2_session_mem_recv(u->h2, data.p, data.len);
        if (n < 0) {
            layer_log(&h->base, h->out, LOG_INFO, "HTTP/2 protocol error from server %s: %s",
                      u->conn->address.host, nghttp2_strerror((int)n));
            up_kill(u);
            for (struct stream *s = h->streams; s; s = s->next)
                if (s->up == u && (s->step == S_RESPONSE_WAIT || s->step == S_RESP_BODY))
                    fail(s, 502, "HTTP/2 protocol error from server");
        }
        return;
    }
    if (u->user && u->user->ws_layer) {
        struct event ev = {.type = EV_DATA, .conn = u->conn, .data = data};
        ws_feed(u->user, &ev);
        return;
    }
    buf_append(&u->in, data.p, data.len);
    if (u->user)
        h1_response(u->user);
    else if (u->in.len) {
        /* An idle connection spoke out of turn: of no use now. */
        up_kill(u);
    }
}

static void
upstream_closed(struct h2_layer *h, struct upstream *u)
{
    if (u->h2) {
        for (struct stream *s = h->streams; s; s = s->next)
            if (s->up == u && (s->step == S_RESPONSE_WAIT || s->step == S_RESP_BODY))
                fail(s, 502, "server closed connection");
        up_kill(u);
        return;
    }
    if (u->user && u->user->ws_layer) {
        struct event ev = {.type = EV_CLOSED, .conn = u->conn};
        ws_feed(u->user, &ev);
        return;
    }
    if (u->user)
        h1_response(u->user);
    if (u->user == NULL)
        up_kill(u);
}

static void
start(struct h2_layer *h)
{
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_invalid_header_callback(cb, on_invalid_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_server_new(&h->cs, cb, h);
    nghttp2_session_callbacks_del(cb);
    h2_session_settings(h->cs, 0);
    if (h->base.ctx->cfg->opts->websocket) {
        /* RFC 8441: clients may open WebSockets with an extended CONNECT. */
        nghttp2_settings_entry ws = {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1};
        nghttp2_submit_settings(h->cs, NGHTTP2_FLAG_NONE, &ws, 1);
    }
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct h2_layer *h = (struct h2_layer *)l;
    struct connection *client = l->ctx->client;
    h->out = out;
    switch (ev->type) {
    case EV_START:
        start(h);
        break;
    case EV_DATA:
        if (h->closed)
            break;
        if (ev->conn == client) {
            ssize_t n = nghttp2_session_mem_recv(h->cs, ev->data.p, ev->data.len);
            if (n < 0) {
                layer_log(l, out, LOG_INFO, "HTTP/2 protocol error in client data: %s",
                          nghttp2_strerror((int)n));
                flush(h); /* the GOAWAY nghttp2 queued */
                client_gone(h);
            }
        } else {
            struct upstream *u = up_of(h, ev->conn);
            if (u)
                upstream_data(h, u, ev->data);
        }
        break;
    case EV_CLOSED:
        if (ev->conn == client) {
            client_gone(h);
        } else {
            struct upstream *u = up_of(h, ev->conn);
            if (u)
                upstream_closed(h, u);
        }
        break;
    case EV_DONE: {
        struct stream *s = stream_by_wait(h, ev->cmd_id);
        if (s) {
            s->wait_id = 0;
            advance(s, ev);
            stream_maybe_free(s);
            break;
        }
        for (s = h->streams; s; s = s->next) {
            if (s->ws_wait && s->ws_wait == ev->cmd_id) {
                s->ws_wait = 0;
                ws_feed(s, ev);
                stream_maybe_free(s);
                break;
            }
        }
        break;
    }
    case EV_WAKEUP:
        break;
    }
    flush(h);
    /* Streams that finished while we were sending. */
    for (struct stream *s = h->streams, *next; s; s = next) {
        next = s->next;
        stream_maybe_free(s);
    }
    up_gc(h);
    if (!h->closed && h->cs && !nghttp2_session_want_read(h->cs) &&
        !nghttp2_session_want_write(h->cs))
        close_all(h);
    h->out = NULL;
}

static void
stream_handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    /* Never fed: the connection layer routes a stream's EV_DONE itself. */
}

static void
stream_layer_free(struct layer *l)
{
    free(l);
}

static const struct layer_ops stream_ops = {
    .name = "http2-stream",
    .handle = stream_handle,
    .free = stream_layer_free,
};

static void
h2_free(struct layer *l)
{
    struct h2_layer *h = (struct h2_layer *)l;
    while (h->streams) {
        struct stream *s = h->streams;
        h->streams = s->next;
        stream_free(s, 0);
    }
    while (h->ups) {
        struct upstream *u = h->ups;
        h->ups = u->next;
        up_free(u);
    }
    if (h->cs)
        nghttp2_session_del(h->cs);
    free(h->host);
    free(h->sni);
    free(h->server_error);
    free(h);
}

static const struct layer_ops http2_ops = {
    .name = "http2",
    .handle = handle,
    .free = h2_free,
};

struct layer *
layer_http2_new(struct context *ctx, struct connection *server, int https,
                const char *server_error)
{
    struct h2_layer *h = xcalloc(1, sizeof(*h));
    layer_init(&h->base, &http2_ops, ctx);
    if (server) {
        h->tunnel = 1;
        h->https = https;
        h->host = xstrdup(server->address.host ? server->address.host : "");
        h->port = server->address.port;
        h->sni = server->sni ? xstrdup(server->sni) : NULL;
        h->server_error = server_error ? xstrdup(server_error) : NULL;
        if (server->state == CONN_OPEN && !server_error) {
            struct upstream *u = xcalloc(1, sizeof(*u));
            u->h = h;
            u->conn = connection_ref(server);
            u->open = 1;
            h->ups = u;
            if (server->alpn && strcmp(server->alpn, "h2") == 0 && h2_up_start(u) < 0)
                u->dead = 1;
        }
    }
    return &h->base;
}

size_t
layer_http2_live_streams(const struct layer *l)
{
    const struct h2_layer *h = (const struct h2_layer *)l;
    size_t n = 0;
    for (const struct stream *s = h->streams; s; s = s->next)
        n++;
    return n;
}
