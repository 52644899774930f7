/*
 * HTTP/1 connection layers (mitmproxy's Http1Server and Http1Client): the
 * bytes of one connection to HTTP events and back, with the codec of
 * http/http1.c.
 *
 * The server side (the client's connection) reads a request head, then its
 * body, and then waits until the exchange is over before it reads the next
 * request (pipelined requests are answered in order). The client side (a
 * server connection) writes a request and reads the response once the
 * request is out. Both parse nothing while the stream they feed waits on a
 * hook (http__ready): the bytes stay here until ops->resume, and the driver
 * reads no more from the client meanwhile (backpressure).
 *
 * Body bytes are read straight from the event when nothing is buffered,
 * and handed on in a buffer the stream may take whole (hev.take).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "h2/h2.h"
#include "proxy/layers/http_internal.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#define PROTOCOL_ERROR "HTTP/1 protocol error: %s"

static int
is_h2(const char *http_version)
{
    return strncmp(http_version, "HTTP/2", 6) == 0;
}

static int64_t
announced(const struct http1_body *b)
{
    if (b->kind == HTTP1_BODY_LENGTH)
        return (int64_t)b->length;
    return b->kind == HTTP1_BODY_NONE ? 0 : -1;
}

static void
send_buf(struct hconn *c, struct cmdq *out, struct buf *b)
{
    if (b->len)
        layer_send_buf(&c->base, out, c->conn, b);
    buf_clear(b);
}

/* Body bytes on their way: chunked framing when the message has it. */
static void
send_body(struct hconn *c, struct cmdq *out, int chunked, const struct hev *ev)
{
    if (ev->data.len == 0)
        return;
    if (chunked) {
        struct buf b = BUF_INIT;
        http1_write_chunk(&b, ev->data.p, ev->data.len);
        send_buf(c, out, &b);
    } else if (ev->take && ev->take->len == ev->data.len) {
        layer_send_buf(&c->base, out, c->conn, ev->take);
    } else {
        layer_send(&c->base, out, c->conn, ev->data.p, ev->data.len);
    }
}

static void
take_rest(struct buf *in, struct buf *out)
{
    buf_append(out, buf_ptr(in), in->len);
    buf_clear(in);
}

/* ===== the server side: the client's connection ===== */

enum s1_state {
    S1_HEAD, /* reading a request head */
    S1_BODY, /* reading its body */
    S1_WAIT, /* the request is complete: waiting until it is answered */
    S1_OVER, /* the connection is done for (closing, or handed over) */
};

struct h1_server {
    struct hconn hc;
    enum s1_state state;
    struct buf in; /* bytes not yet used */
    /* Owned while a request body is read; NULL otherwise, as on an idle
     * connection, which then holds no reader. */
    struct http1_body_reader *reader;
    int disconnect; /* the client closed after its request was complete */
    int chunked;    /* the response goes out chunked */
    int pumping;
};

static void
s1_reader_clear(struct h1_server *c)
{
    if (c->reader) {
        http1_body_reader_clear(c->reader);
        free(c->reader);
        c->reader = NULL;
    }
}

/* Hands ev to the HTTP layer; it may look at what is left here meanwhile. */
static int
s1_up(struct h1_server *c, const struct hev *ev, struct cmdq *out)
{
    c->hc.rest = c->in.len;
    return http__receive(c->hc.h, &c->hc, ev, out);
}

static void
s1_over(struct h1_server *c, struct cmdq *out)
{
    c->state = S1_OVER;
    s1_reader_clear(c);
    http__client_over(c->hc.h, out);
}

/*
 * An HTTP/2 client with prior knowledge (RFC 9113 3.3) on a port that
 * expects HTTP/1: it would not read an HTTP/1 error page, so it gets an
 * empty SETTINGS frame (the server preface) and a GOAWAY with
 * HTTP_1_1_REQUIRED, and the log gets one line instead of a flow.
 * (Reverse mode and CONNECT tunnels accept h2c; see nextlayer.c.)
 */
static void
refuse_h2(struct hconn *hc, struct cmdq *out)
{
    static const uint8_t frames[] = {
        0, 0, 0, 0x4, 0, 0, 0, 0, 0,                           /* SETTINGS, empty */
        0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xd, /* GOAWAY, last stream 0 */
    };
    layer_log(&hc->base, out, LOG_INFO,
              "HTTP/2 with prior knowledge (h2c) is not supported on a regular proxy port; "
              "clients can use HTTP/1.1 or TLS with ALPN h2");
    layer_send(&hc->base, out, hc->conn, frames, sizeof(frames));
}

static int
s1_head(struct h1_server *c, struct cmdq *out)
{
    const struct http1_limits *limits = &c->hc.base.ctx->cfg->limits;
    struct http_request *req = NULL;
    enum http1_form form;
    struct err e = {0};

    /* RFC 9112 2.2: ignore empty lines before a request line. */
    while (c->in.len && (buf_ptr(&c->in)[0] == '\r' || buf_ptr(&c->in)[0] == '\n'))
        buf_consume(&c->in, 1);
    if (c->in.len == 0) {
        if (c->hc.eof)
            s1_over(c, out);
        return 0;
    }
    ssize_t n = http1_parse_request_head(buf_ptr(&c->in), c->in.len, limits, &req, &form, &e);
    if (n == MP_ERR_INCOMPLETE) {
        if (c->hc.eof) {
            layer_log(&c->hc.base, out, LOG_INFO,
                      "client closed connection before completing request headers");
            s1_over(c, out);
        }
        return 0;
    }
    if (n < 0) {
        layer_log(&c->hc.base, out, LOG_INFO, "HTTP/1 protocol error in client request: %s", e.msg);
        struct buf b = BUF_INIT;
        http__error_response_h1(&b, 400, e.msg);
        send_buf(&c->hc, out, &b);
        s1_over(c, out);
        return 0;
    }
    buf_consume(&c->in, (size_t)n);
    if (form == HTTP1_FORM_ASTERISK && strcmp(req->method, "PRI") == 0 &&
        strcmp(req->http_version, "HTTP/2.0") == 0) {
        refuse_h2(&c->hc, out);
        http_request_free(req);
        s1_over(c, out);
        return 0;
    }
    req->timestamp_start = clock_now();
    struct hev ev = {
        .type = HEV_REQUEST_HEADERS, .id = 1, .request = req, .form = form, .length = -1};
    struct http1_body body = {.kind = HTTP1_BODY_NONE};
    if (form == HTTP1_FORM_AUTHORITY) {
        c->state = S1_WAIT; /* CONNECT has no body: what follows is the tunnel's */
    } else if (http1_request_body(req, &body, &e) < 0) {
        ev.msg = e.msg; /* refused once the stream has its flow */
        c->state = S1_OVER;
    } else {
        c->reader = xmalloc(sizeof(*c->reader));
        http1_body_reader_init(c->reader, &body, limits);
        ev.length = announced(&body);
        ev.end = body.kind == HTTP1_BODY_NONE;
        c->state = S1_BODY;
    }
    c->disconnect = 0;
    return s1_up(c, &ev, out);
}

/* Reads body bytes from p[0..len): returns the bytes used, or -1 when the
 * stream was told of an error. *more: whoever it went to takes more. */
static ssize_t
s1_body_bytes(struct h1_server *c, struct cmdq *out, const uint8_t *p, size_t len, int *more)
{
    struct buf got = BUF_INIT;
    struct err e = {0};
    ssize_t n = http1_body_read(c->reader, p, len, &got, &e);
    *more = 1;
    if (n < 0) {
        char msg[300];
        snprintf(msg, sizeof(msg), PROTOCOL_ERROR, e.msg);
        buf_clear(&got);
        c->state = S1_OVER;
        s1_reader_clear(c);
        struct hev ev = {.type = HEV_REQUEST_ERROR, .id = 1, .msg = msg, .status = 400};
        s1_up(c, &ev, out);
        *more = 0;
        return -1;
    }
    if (got.len) {
        struct hev ev = {.type = HEV_REQUEST_DATA, .id = 1, .data = buf_slice(&got), .take = &got};
        *more = s1_up(c, &ev, out);
    }
    buf_clear(&got);
    return n;
}

static int
s1_body(struct h1_server *c, struct cmdq *out)
{
    int more = 1;
    if (!c->reader->done && c->in.len) {
        ssize_t n = s1_body_bytes(c, out, buf_ptr(&c->in), c->in.len, &more);
        if (n < 0)
            return 0;
        buf_consume(&c->in, (size_t)n);
        if (!more || c->state != S1_BODY)
            return 0;
    }
    if (c->reader->done) {
        struct hev ev = {
            .type = HEV_REQUEST_END, .id = 1, .trailers = http1_body_take_trailers(c->reader)};
        s1_reader_clear(c);
        c->state = S1_WAIT;
        return s1_up(c, &ev, out);
    }
    if (c->hc.eof) {
        struct err e = {0};
        if (http1_body_eof(c->reader, &e) < 0) {
            char msg[300];
            snprintf(msg, sizeof(msg), PROTOCOL_ERROR, e.msg);
            c->state = S1_OVER;
            s1_reader_clear(c);
            struct hev ev = {.type = HEV_REQUEST_ERROR, .id = 1, .msg = msg};
            s1_up(c, &ev, out);
            return 0;
        }
        return 1;
    }
    return 0;
}

static void
s1_pump(struct h1_server *c, struct cmdq *out)
{
    if (c->pumping)
        return;
    c->pumping = 1;
    for (int more = 1; more;) {
        switch (c->state) {
        case S1_HEAD:
            more = s1_head(c, out);
            break;
        case S1_BODY:
            more = http__ready(c->hc.h, &c->hc) && s1_body(c, out);
            break;
        case S1_WAIT:
            if (c->disconnect && http__ready(c->hc.h, &c->hc)) {
                /* mitmproxy: a peer that sent a FIN wants no more data from us. */
                c->disconnect = 0;
                struct hev ev = {.type = HEV_REQUEST_ERROR, .id = 1, .msg = "Client disconnected."};
                s1_up(c, &ev, out);
            }
            more = 0;
            break;
        case S1_OVER:
            more = 0;
            break;
        }
    }
    c->pumping = 0;
    c->hc.rest = c->in.len;
}

static void
s1_handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct h1_server *c = (struct h1_server *)l;
    if (c->state == S1_OVER)
        return;
    if (ev->type == EV_DATA) {
        if (c->state == S1_BODY && c->in.len == 0 && !c->pumping && http__ready(c->hc.h, &c->hc)) {
            /* The common case of an upload: straight from the event. */
            int more;
            ssize_t n = s1_body_bytes(c, out, ev->data.p, ev->data.len, &more);
            if (n < 0)
                return;
            buf_append(&c->in, ev->data.p + n, ev->data.len - (size_t)n);
        } else {
            buf_append(&c->in, ev->data.p, ev->data.len);
        }
    } else if (ev->type == EV_CLOSED) {
        c->hc.eof = 1;
        if (c->state == S1_WAIT)
            c->disconnect = 1;
    } else {
        return;
    }
    s1_pump(c, out);
}

static int
s1_send(struct hconn *hc, const struct hev *ev, struct cmdq *out)
{
    struct h1_server *c = (struct h1_server *)hc;
    struct buf b = BUF_INIT;
    switch (ev->type) {
    case HEV_RESPONSE_INTERIM:
        http1_write_response_head(&b, ev->response);
        break;
    case HEV_RESPONSE_HEADERS: {
        const struct http_response *r = ev->response;
        c->chunked = ev->chunked;
        http1_write_response_head(&b, r);
        if (is_h2(r->http_version) && !c->chunked && strcmp(ev->request->method, "HEAD") != 0 &&
            r->status_code != 204 && r->status_code != 304 && r->status_code >= 200 &&
            hdrs_get(&r->headers, "content-length") == NULL) {
            /* HTTP/2 frames its body itself; HTTP/1.1 needs a length or chunks. */
            b.len -= 2;
            if (ev->end) {
                buf_append_str(&b, "content-length: 0\r\n\r\n");
            } else {
                buf_append_str(&b, "transfer-encoding: chunked\r\n\r\n");
                c->chunked = 1;
            }
        }
        if (!ev->whole)
            break;
        /* Head and body in one send: one write(2) per response. */
        struct command *cmd = layer_send_buf(&hc->base, out, hc->conn, &b);
        if (ev->take) {
            /* A large body the stream gives away: its storage is the send. */
            if (c->chunked)
                http1_write_chunk_size(&cmd->data, ev->take->len);
            layer_send_buf(&hc->base, out, hc->conn, ev->take);
            if (c->chunked) {
                http1_write_chunk_end(&b);
                http1_write_last_chunk(&b, r->trailers);
                layer_send_buf(&hc->base, out, hc->conn, &b);
            }
        } else if (c->chunked) {
            http1_write_chunk(&cmd->data, buf_ptr(&r->content), r->content.len);
            http1_write_last_chunk(&cmd->data, r->trailers);
        } else if (r->content.len) {
            buf_append(&cmd->data, buf_ptr(&r->content), r->content.len);
        }
        return 0;
    }
    case HEV_RESPONSE_DATA:
        send_body(hc, out, c->chunked, ev);
        break;
    case HEV_RESPONSE_END:
        if (c->chunked)
            http1_write_last_chunk(&b, ev->trailers);
        break;
    case HEV_RESPONSE_ERROR:
        if (ev->status)
            http__error_response_h1(&b, ev->status, ev->msg);
        break;
    default:
        break;
    }
    send_buf(hc, out, &b);
    return 0;
}

/* The exchange is over and the connection stays: on to the next request. */
static void
s1_next(struct hconn *hc, struct cmdq *out)
{
    struct h1_server *c = (struct h1_server *)hc;
    if (c->state == S1_OVER)
        return;
    c->state = S1_HEAD;
    c->chunked = 0;
    s1_reader_clear(c);
    s1_pump(c, out);
}

static void
s1_resume(struct hconn *hc, struct cmdq *out)
{
    s1_pump((struct h1_server *)hc, out);
}

static void
s1_take_rest(struct hconn *hc, struct buf *out)
{
    struct h1_server *c = (struct h1_server *)hc;
    c->state = S1_OVER;
    take_rest(&c->in, out);
    c->hc.rest = 0;
}

static void
s1_free(struct layer *l)
{
    struct h1_server *c = (struct h1_server *)l;
    s1_reader_clear(c);
    buf_clear(&c->in);
    connection_unref(c->hc.conn);
    free(c);
}

static int
never(const struct hconn *hc)
{
    return 0;
}

/* The exchange (id) is over: an idle keep-alive connection should cost
 * little memory. */
static void
s1_release(struct hconn *hc, int32_t id, int abandon, struct cmdq *out)
{
    struct h1_server *c = (struct h1_server *)hc;
    if (c->in.len == 0)
        buf_clear(&c->in);
}

static const struct hconn_ops s1_ops = {
    .base = {.name = "http1-server", .handle = s1_handle, .free = s1_free},
    .send = s1_send,
    .can_take = never,
    .resume = s1_resume,
    .release = s1_release,
    .take_rest = s1_take_rest,
    .next = s1_next,
};

struct hconn *
http__h1_server_new(struct http_layer *h, struct context *ctx)
{
    struct h1_server *c = xcalloc(1, sizeof(*c));
    http__hconn_init(&c->hc, &s1_ops, h, ctx, ctx->client);
    c->state = S1_HEAD;
    return &c->hc;
}

/* ===== the client side: a server connection ===== */

enum c1_state {
    C1_IDLE,    /* no exchange: what the server says now is out of turn */
    C1_REQUEST, /* a request body is on its way out: the answer waits */
    C1_HEAD,    /* reading the response head */
    C1_BODY,    /* reading its body */
    C1_DONE,    /* the response is complete */
};

struct h1_client {
    struct hconn hc;
    enum c1_state state;
    int proxy_form;     /* requests in absolute form (to an upstream proxy) */
    int req_chunked;    /* the request goes out chunked */
    const char *method; /* "HEAD", "CONNECT" or "GET": what the response framing needs */
    struct buf in;
    /* Owned while a response body is read; NULL otherwise (idle). */
    struct http1_body_reader *reader;
    int pumping;
};

static int
c1_up(struct h1_client *c, const struct hev *ev, struct cmdq *out)
{
    c->hc.rest = c->in.len;
    return http__receive(c->hc.h, &c->hc, ev, out);
}

static void
c1_reader_clear(struct h1_client *c)
{
    if (c->reader) {
        http1_body_reader_clear(c->reader);
        free(c->reader);
        c->reader = NULL;
    }
}

/* The server spoke out of line or broke: close it and never reuse it. */
static void
c1_close(struct h1_client *c, struct cmdq *out)
{
    if (!c->hc.gone && c->hc.conn->state != CONN_CLOSED)
        layer_close(&c->hc.base, out, c->hc.conn, 0);
    c->hc.gone = 1;
    c->hc.dead = 1;
    http__conn_dead(c->hc.h);
}

static void
c1_fail(struct h1_client *c, struct cmdq *out, const char *msg, struct http_response *resp,
        int drop_body)
{
    c->state = C1_DONE;
    c1_reader_clear(c);
    struct hev ev = {
        .type = HEV_RESPONSE_ERROR, .id = 1, .msg = msg, .response = resp, .drop_body = drop_body};
    c1_up(c, &ev, out);
}

static void
c1_protocol_error(struct h1_client *c, struct cmdq *out, const struct err *e,
                  struct http_response *resp)
{
    char msg[300];
    snprintf(msg, sizeof(msg), PROTOCOL_ERROR, e->msg);
    c1_close(c, out);
    c1_fail(c, out, msg, resp, 0);
}

static int
c1_head(struct h1_client *c, struct cmdq *out)
{
    const struct http1_limits *limits = &c->hc.base.ctx->cfg->limits;
    struct err e = {0};
    for (;;) {
        struct http_response *resp = NULL;
        ssize_t n = http1_parse_response_head(buf_ptr(&c->in), c->in.len, limits, &resp, &e);
        if (n == MP_ERR_INCOMPLETE) {
            if (c->hc.eof) {
                c1_close(c, out);
                c1_fail(c, out, "server closed connection", NULL, 0);
            }
            return 0;
        }
        if (n < 0) {
            c1_protocol_error(c, out, &e, NULL);
            return 0;
        }
        buf_consume(&c->in, (size_t)n);
        if (resp->status_code >= 100 && resp->status_code < 200 && resp->status_code != 101) {
            /* Interim responses go straight through. */
            struct hev ev = {.type = HEV_RESPONSE_INTERIM, .id = 1, .response = resp};
            c1_up(c, &ev, out);
            continue;
        }
        resp->timestamp_start = clock_now();
        struct http1_body body;
        if (http1_response_body(c->method, resp, &body, &e) < 0) {
            c1_protocol_error(c, out, &e, resp);
            return 0;
        }
        c->reader = xmalloc(sizeof(*c->reader));
        http1_body_reader_init(c->reader, &body, limits);
        c->hc.until_close = body.kind == HTTP1_BODY_UNTIL_CLOSE;
        c->state = C1_BODY;
        struct hev ev = {.type = HEV_RESPONSE_HEADERS,
                         .id = 1,
                         .response = resp,
                         .length = announced(&body),
                         .end = body.kind == HTTP1_BODY_NONE,
                         .until_close = c->hc.until_close};
        return c1_up(c, &ev, out);
    }
}

static ssize_t
c1_body_bytes(struct h1_client *c, struct cmdq *out, const uint8_t *p, size_t len, int *more)
{
    /* A buffered body is read straight into the flow. */
    struct buf got = BUF_INIT, *sink = http__body_sink(c->hc.h, &c->hc);
    size_t before = sink ? sink->len : 0;
    struct err e = {0};
    ssize_t n = http1_body_read(c->reader, p, len, sink ? sink : &got, &e);
    *more = 1;
    if (n < 0) {
        if (sink)
            sink->len = before; /* the flow keeps what was good */
        buf_clear(&got);
        *more = 0;
        c1_protocol_error(c, out, &e, NULL);
        return -1;
    }
    if (sink && sink->len > before) {
        struct hev ev = {.type = HEV_RESPONSE_DATA,
                         .id = 1,
                         .data = {buf_ptr(sink) + before, sink->len - before},
                         .in_place = 1};
        *more = c1_up(c, &ev, out);
    } else if (got.len) {
        struct hev ev = {.type = HEV_RESPONSE_DATA, .id = 1, .data = buf_slice(&got), .take = &got};
        *more = c1_up(c, &ev, out);
    }
    buf_clear(&got);
    return n;
}

static int
c1_body(struct h1_client *c, struct cmdq *out)
{
    int more = 1;
    if (!c->reader->done && c->in.len) {
        ssize_t n = c1_body_bytes(c, out, buf_ptr(&c->in), c->in.len, &more);
        if (n < 0)
            return 0;
        buf_consume(&c->in, (size_t)n);
        if (!more || c->state != C1_BODY)
            return 0;
    }
    if (!c->reader->done) {
        if (!c->hc.eof)
            return 0;
        struct err e = {0};
        if (http1_body_eof(c->reader, &e) < 0) {
            /* The server stays open: it is closed with everything else. */
            char msg[300];
            snprintf(msg, sizeof(msg), PROTOCOL_ERROR, e.msg);
            c1_fail(c, out, msg, NULL, 1);
            return 0;
        }
    }
    struct hev ev = {
        .type = HEV_RESPONSE_END, .id = 1, .trailers = http1_body_take_trailers(c->reader)};
    c1_reader_clear(c);
    c->state = C1_DONE;
    c1_up(c, &ev, out);
    return 0;
}

static void
c1_pump(struct h1_client *c, struct cmdq *out)
{
    if (c->pumping)
        return;
    c->pumping = 1;
    for (int more = 1; more;) {
        switch (c->state) {
        case C1_IDLE:
            if (c->in.len || c->hc.eof) {
                /* An idle connection spoke out of turn: it is of no use now. */
                c1_close(c, out);
                buf_clear(&c->in);
            }
            more = 0;
            break;
        case C1_HEAD:
            more = http__ready(c->hc.h, &c->hc) && c1_head(c, out);
            break;
        case C1_BODY:
            more = http__ready(c->hc.h, &c->hc) && c1_body(c, out);
            break;
        case C1_REQUEST:
        case C1_DONE:
            more = 0;
            break;
        }
    }
    c->pumping = 0;
    c->hc.rest = c->in.len;
}

static void
c1_handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct h1_client *c = (struct h1_client *)l;
    if (ev->type == EV_DATA) {
        if (c->hc.dead)
            return;
        if (c->state == C1_BODY && c->in.len == 0 && !c->pumping && http__ready(c->hc.h, &c->hc)) {
            /* A large download: straight from the event, no copy kept here. */
            int more;
            ssize_t n = c1_body_bytes(c, out, ev->data.p, ev->data.len, &more);
            if (n < 0)
                return;
            buf_append(&c->in, ev->data.p + n, ev->data.len - (size_t)n);
        } else {
            buf_append(&c->in, ev->data.p, ev->data.len);
        }
    } else if (ev->type == EV_CLOSED) {
        c->hc.eof = 1;
    } else {
        return;
    }
    c1_pump(c, out);
}

/* An HTTP/2 client's request for an HTTP/1.1 server (mitmproxy's
 * Http1Client): a copy made fit for HTTP/1.1, framed by its length or by
 * chunks (trailers, or a streamed body of unknown length). */
static void
c1_write_h2_request(struct h1_client *c, const struct http_request *req, int streaming,
                    struct buf *b)
{
    struct http_request *wire = http_request_copy(req);
    h2_request_to_h1(wire);
    int chunked = (wire->trailers && wire->trailers->n) ||
                  (streaming && hdrs_get(&wire->headers, "content-length") == NULL);
    c->req_chunked = chunked;
    hdrs_remove(&wire->headers, "transfer-encoding");
    if (chunked) {
        hdrs_remove(&wire->headers, "content-length");
        hdrs_add_cstr(&wire->headers, "Transfer-Encoding", "chunked");
    } else if (streaming) {
        /* The client's content-length stands: the body is not here yet. */
    } else if (wire->content.len || hdrs_get(&wire->headers, "content-length")) {
        char num[32];
        snprintf(num, sizeof(num), "%zu", wire->content.len);
        hdrs_set_cstr(&wire->headers, "content-length", num);
    }
    http1_write_request_head(b, wire, HTTP1_FORM_ORIGIN);
    if (!streaming) {
        if (chunked) {
            http1_write_chunk(b, buf_ptr(&wire->content), wire->content.len);
            http1_write_last_chunk(b, wire->trailers);
        } else {
            buf_append(b, buf_ptr(&wire->content), wire->content.len);
        }
    }
    http_request_free(wire);
}

static int
c1_send(struct hconn *hc, const struct hev *ev, struct cmdq *out)
{
    struct h1_client *c = (struct h1_client *)hc;
    struct buf b = BUF_INIT;
    switch (ev->type) {
    case HEV_REQUEST_HEADERS: {
        const struct http_request *req = ev->request;
        /* The framing of the answer depends on these (http1_response_body). */
        c->method = "GET";
        if (strcmp(req->method, "HEAD") == 0)
            c->method = "HEAD";
        else if (req->method[0] == 'C' && strcmp(req->method, "CONNECT") == 0)
            c->method = "CONNECT";
        if (is_h2(req->http_version)) {
            c1_write_h2_request(c, req, !ev->whole, &b);
        } else {
            c->req_chunked = ev->chunked;
            http1_write_request_head(&b, req,
                                     c->proxy_form ? HTTP1_FORM_ABSOLUTE : HTTP1_FORM_ORIGIN);
            if (ev->whole) {
                /* Head and body in one send: one write(2) per request. */
                struct command *cmd = layer_send_buf(&hc->base, out, hc->conn, &b);
                if (c->req_chunked) {
                    http1_write_chunk(&cmd->data, buf_ptr(&req->content), req->content.len);
                    http1_write_last_chunk(&cmd->data, req->trailers);
                } else if (req->content.len) {
                    buf_append(&cmd->data, buf_ptr(&req->content), req->content.len);
                }
            }
        }
        c->state = ev->whole ? C1_HEAD : C1_REQUEST;
        send_buf(hc, out, &b);
        return 1;
    }
    case HEV_REQUEST_DATA:
        send_body(hc, out, c->req_chunked, ev);
        return 0;
    case HEV_REQUEST_END:
        if (c->req_chunked)
            http1_write_last_chunk(&b, ev->trailers);
        send_buf(hc, out, &b);
        if (c->state == C1_REQUEST)
            c->state = C1_HEAD; /* the answer is read from now on */
        return 0;
    default:
        return 0;
    }
}

static void
c1_resume(struct hconn *hc, struct cmdq *out)
{
    c1_pump((struct h1_client *)hc, out);
}

static int
c1_can_take(const struct hconn *hc)
{
    const struct h1_client *c = (const struct h1_client *)hc;
    return c->state == C1_IDLE && !hc->dead && hc->conn->state == CONN_OPEN;
}

/* The stream is through here: abandon closes the connection, otherwise it
 * is idle again (whether it stays is the HTTP layer's call). */
static void
c1_release(struct hconn *hc, int32_t id, int abandon, struct cmdq *out)
{
    struct h1_client *c = (struct h1_client *)hc;
    if (abandon)
        c1_close(c, out);
    c->state = C1_IDLE;
    c1_reader_clear(c);
    c->hc.until_close = 0;
}

static void
c1_take_rest(struct hconn *hc, struct buf *out)
{
    struct h1_client *c = (struct h1_client *)hc;
    take_rest(&c->in, out);
    c->hc.rest = 0;
}

static void
c1_free(struct layer *l)
{
    struct h1_client *c = (struct h1_client *)l;
    c1_reader_clear(c);
    buf_clear(&c->in);
    connection_unref(c->hc.conn);
    free(c);
}

/* Idle now: a kept-alive connection should cost little memory. */
static void
c1_next(struct hconn *hc, struct cmdq *out)
{
    struct h1_client *c = (struct h1_client *)hc;
    if (c->in.len == 0)
        buf_clear(&c->in);
}

static const struct hconn_ops c1_ops = {
    .base = {.name = "http1-client", .handle = c1_handle, .free = c1_free},
    .send = c1_send,
    .can_take = c1_can_take,
    .resume = c1_resume,
    .release = c1_release,
    .take_rest = c1_take_rest,
    .next = c1_next,
};

struct hconn *
http__h1_client_new(struct http_layer *h, struct context *ctx, struct connection *server,
                    int proxy_form)
{
    struct h1_client *c = xcalloc(1, sizeof(*c));
    http__hconn_init(&c->hc, &c1_ops, h, ctx, server);
    c->proxy_form = proxy_form;
    c->method = "GET";
    c->state = C1_IDLE;
    return &c->hc;
}
