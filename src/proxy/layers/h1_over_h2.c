/*
 * HTTP/1.1 client, HTTP/2 server: wraps the HTTP/1 layer (its child) and
 * translates what it says to its server connections, so that it can talk
 * to a server that speaks only HTTP/2 with prior knowledge
 * (reverse:h2c://). The child writes HTTP/1.1 requests and reads HTTP/1.1
 * responses as always; here each request becomes a stream of an nghttp2
 * client session and each response is written back as HTTP/1.1 (chunked
 * when the server gave no length). The HTTP/1 layer sends one request at a
 * time per connection, so one stream is in flight per connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "h2/h2.h"
#include "http/http1.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

/* One server connection the child opened. */
struct side {
    struct connection *conn; /* one reference */
    uint64_t open_id;        /* the child's CMD_OPEN until it is done; 0 after */
    nghttp2_session *s;      /* once open */
    struct buf req;          /* request bytes from the child not yet parsed */
    struct http_request *head; /* the request being sent; owned; NULL = none */
    struct http1_body_reader reader;
    int reader_live;
    struct buf body;   /* request body bytes not yet taken by nghttp2 */
    int body_done;     /* the request body is complete */
    int32_t stream;    /* 0 = none */
    struct buf resp;   /* HTTP/1.1 bytes for the child */
    struct http_response *rhead; /* the response head being received; owned */
    int chunked;       /* the response goes to the child chunked */
    int head_sent;
    int head_request;  /* the request was HEAD: no body follows */
    struct side *next;
};

struct h1h2 {
    struct layer base;
    struct layer *child;
    struct side *sides;
    struct cmdq *out;
};

static struct side *
side_of(struct h1h2 *a, const struct connection *c)
{
    for (struct side *sd = a->sides; sd; sd = sd->next)
        if (sd->conn == c)
            return sd;
    return NULL;
}

static void
side_reset_exchange(struct side *sd)
{
    http_request_free(sd->head);
    sd->head = NULL;
    http_response_free(sd->rhead);
    sd->rhead = NULL;
    if (sd->reader_live)
        http1_body_reader_clear(&sd->reader);
    sd->reader_live = 0;
    buf_clear(&sd->body);
    sd->body_done = 0;
    sd->stream = 0;
    sd->chunked = 0;
    sd->head_sent = 0;
}

static void
side_free(struct side *sd)
{
    side_reset_exchange(sd);
    if (sd->s)
        nghttp2_session_del(sd->s);
    connection_unref(sd->conn);
    buf_clear(&sd->req);
    buf_clear(&sd->resp);
    free(sd);
}

static void
side_drop(struct h1h2 *a, struct side *sd)
{
    for (struct side **pp = &a->sides; *pp; pp = &(*pp)->next) {
        if (*pp == sd) {
            *pp = sd->next;
            break;
        }
    }
    side_free(sd);
}

/* --- the server session's callbacks --- */

static void
write_head(struct side *sd, int end_stream)
{
    struct http_response *r = sd->rhead;
    /* The flow records what the server spoke; the HTTP/1 layer writes it to
     * its client as HTTP/1.1 (mitmproxy's Http1Server does the same). */
    buf_printf(&sd->resp, "HTTP/2.0 %d \r\n", r->status_code);
    int has_length = hdrs_get(&r->headers, "content-length") != NULL;
    int bodyless = sd->head_request || r->status_code == 204 || r->status_code == 304 ||
                   r->status_code < 200;
    for (size_t i = 0; i < r->headers.n; i++)
        buf_printf(&sd->resp, "%s: %s\r\n", r->headers.v[i].name, r->headers.v[i].value);
    if (!bodyless && !has_length) {
        if (end_stream) {
            buf_append_str(&sd->resp, "content-length: 0\r\n");
        } else {
            buf_append_str(&sd->resp, "transfer-encoding: chunked\r\n");
            sd->chunked = 1;
        }
    }
    buf_append_str(&sd->resp, "\r\n");
    sd->head_sent = 1;
}

static int
on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct side *sd = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->hd.stream_id != sd->stream || sd->head_sent)
        return 0;
    http_response_free(sd->rhead);
    sd->rhead = http_response_new();
    return 0;
}

static int
on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
          size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data)
{
    struct side *sd = user_data;
    if (frame->hd.stream_id != sd->stream || sd->rhead == NULL)
        return 0;
    if (sd->head_sent) {
        /* Trailers: kept for a chunked response, dropped after a length. */
        if (h2_trailer_field(&sd->rhead->trailers, name, namelen, value, valuelen) < 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        return 0;
    }
    struct err e = {0};
    if (h2_response_field(sd->rhead, name, namelen, value, valuelen, &e) < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

static void
finish_response(struct side *sd)
{
    if (sd->chunked)
        http1_write_last_chunk(&sd->resp, sd->rhead ? sd->rhead->trailers : NULL);
    side_reset_exchange(sd);
}

static int
on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct side *sd = user_data;
    if (frame->hd.stream_id != sd->stream || sd->stream == 0)
        return 0;
    int end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !sd->head_sent && sd->rhead) {
        if (sd->rhead->status_code < 200) {
            /* Interim: the HTTP/1 layer handles a 1xx head. */
            if (sd->rhead->status_code != 101) {
                write_head(sd, 1);
                sd->head_sent = 0;
                sd->chunked = 0;
            }
            http_response_free(sd->rhead);
            sd->rhead = NULL;
            return 0;
        }
        write_head(sd, end);
    }
    if (end && (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA))
        finish_response(sd);
    return 0;
}

static int
on_data(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data,
        size_t len, void *user_data)
{
    struct side *sd = user_data;
    if (stream_id != sd->stream || !sd->head_sent)
        return 0;
    if (sd->chunked)
        http1_write_chunk(&sd->resp, data, len);
    else
        buf_append(&sd->resp, data, len);
    return 0;
}

static int
on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                void *user_data)
{
    struct side *sd = user_data;
    if (stream_id != sd->stream)
        return 0;
    /* Reset before the end: the HTTP/1 layer sees the connection end mid-response. */
    sd->stream = 0;
    sd->conn->state &= ~CONN_CAN_READ;
    return 0;
}

static ssize_t
body_read(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
          uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
    struct side *sd = user_data;
    if (sd->body.len == 0) {
        if (sd->body_done) {
            *data_flags |= NGHTTP2_DATA_FLAG_EOF;
            return 0;
        }
        return NGHTTP2_ERR_DEFERRED;
    }
    size_t n = sd->body.len < length ? sd->body.len : length;
    memcpy(buf, buf_ptr(&sd->body), n);
    buf_consume(&sd->body, n);
    if (sd->body.len == 0 && sd->body_done)
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int
start_session(struct side *sd)
{
    nghttp2_session_callbacks *cb;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        return -1;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    int rv = nghttp2_session_client_new(&sd->s, cb, sd);
    nghttp2_session_callbacks_del(cb);
    if (rv != 0) {
        sd->s = NULL;
        return -1;
    }
    return h2_session_settings(sd->s, 1);
}

/* --- requests from the child --- */

/* Parses what the child wrote; submits a stream once the head is complete. */
static int
take_request(struct h1h2 *a, struct side *sd, struct err *e)
{
    const struct proxy_config *cfg = a->base.ctx->cfg;
    for (;;) {
        if (sd->head == NULL) {
            if (sd->req.len == 0 || sd->stream)
                return 0;
            enum http1_form form;
            ssize_t n = http1_parse_request_head(buf_ptr(&sd->req), sd->req.len, &cfg->limits,
                                                 &sd->head, &form, e);
            if (n == MP_ERR_INCOMPLETE)
                return 0;
            if (n < 0)
                return (int)n;
            buf_consume(&sd->req, (size_t)n);
            struct http1_body body;
            if (http1_request_body(sd->head, &body, e) < 0)
                return -1;
            http1_body_reader_init(&sd->reader, &body, &cfg->limits);
            sd->reader_live = 1;
            sd->body_done = body.kind == HTTP1_BODY_NONE;
            sd->head_request = strcmp(sd->head->method, "HEAD") == 0;
            http_set_str(&sd->head->scheme, "http");
            struct h2_nvs nv = {0};
            h2_request_nvs(sd->head, &nv);
            nghttp2_data_provider dp = {.read_callback = body_read};
            int32_t id = nghttp2_submit_request(sd->s, NULL, nv.nv, nv.n,
                                                sd->body_done ? NULL : &dp, NULL);
            h2_nvs_clear(&nv);
            if (id < 0)
                return err_set(e, MP_ERR_PROTOCOL, "%s", nghttp2_strerror(id));
            sd->stream = id;
        }
        if (!sd->body_done && sd->req.len) {
            size_t before = sd->body.len;
            ssize_t n = http1_body_read(&sd->reader, buf_ptr(&sd->req), sd->req.len, &sd->body, e);
            if (n < 0)
                return (int)n;
            buf_consume(&sd->req, (size_t)n);
            if (sd->reader.done)
                sd->body_done = 1;
            if (sd->body.len != before || sd->body_done)
                nghttp2_session_resume_data(sd->s, sd->stream);
        }
        if (!sd->body_done)
            return 0;
        /* The request is out; the next one waits for this response. */
        http_request_free(sd->head);
        sd->head = NULL;
        if (sd->reader_live)
            http1_body_reader_clear(&sd->reader);
        sd->reader_live = 0;
        return 0;
    }
}

static void
flush(struct h1h2 *a, struct side *sd)
{
    struct buf b = BUF_INIT;
    if (sd->s && h2_session_drain(sd->s, &b) == 0 && b.len)
        layer_send_buf(&a->base, a->out, sd->conn, &b);
    buf_clear(&b);
}

static void feed_child(struct h1h2 *a, const struct event *ev);

/* Gives the child the HTTP/1.1 bytes the server's frames became. */
static void
deliver(struct h1h2 *a, struct side *sd)
{
    if (sd->resp.len) {
        struct buf b = BUF_INIT;
        buf_move(&b, &sd->resp);
        struct event ev = {.type = EV_DATA, .conn = sd->conn, .data = buf_slice(&b)};
        feed_child(a, &ev);
        buf_clear(&b);
    }
}

static void
fail_side(struct h1h2 *a, struct side *sd, const char *why)
{
    layer_log(&a->base, a->out, LOG_INFO, "HTTP/2 error with server %s: %s",
              sd->conn->address.host, why);
    if (sd->conn->state != CONN_CLOSED)
        layer_close(&a->base, a->out, sd->conn, 0);
    sd->conn->state = CONN_CLOSED;
    struct connection *c = connection_ref(sd->conn);
    side_drop(a, sd);
    struct event ev = {.type = EV_CLOSED, .conn = c};
    feed_child(a, &ev);
    connection_unref(c);
}

/* Runs the child and translates what it says to its servers. */
static void
feed_child(struct h1h2 *a, const struct event *ev)
{
    struct cmdq tmp;
    cmdq_init(&tmp);
    layer_feed(a->child, ev, &tmp);
    struct command *c;
    while ((c = cmdq_pop(&tmp)) != NULL) {
        struct side *sd = c->conn ? side_of(a, c->conn) : NULL;
        if (c->type == CMD_OPEN && c->conn->side == CONN_SERVER && sd == NULL) {
            sd = xcalloc(1, sizeof(*sd));
            sd->conn = connection_ref(c->conn);
            sd->open_id = c->id;
            sd->next = a->sides;
            a->sides = sd;
        } else if (c->type == CMD_SEND && sd && sd->s) {
            struct err e = {0};
            buf_append(&sd->req, buf_ptr(&c->data), c->data.len);
            cmd_free(c);
            if (take_request(a, sd, &e) < 0) {
                fail_side(a, sd, e.msg);
                continue;
            }
            flush(a, sd);
            continue;
        } else if (c->type == CMD_CLOSE && sd) {
            cmdq_push(a->out, c);
            if (!c->half_close)
                side_drop(a, sd);
            continue;
        }
        cmdq_push(a->out, c);
    }
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct h1h2 *a = (struct h1h2 *)l;
    struct cmdq *saved = a->out;
    a->out = out;
    struct side *sd = ev->conn ? side_of(a, ev->conn) : NULL;
    if (ev->type == EV_DONE) {
        for (struct side *s = a->sides; s; s = s->next)
            if (s->open_id && s->open_id == ev->cmd_id)
                sd = s;
    }
    if (sd && ev->type == EV_DONE) {
        sd->open_id = 0;
        if (ev->err == NULL && start_session(sd) < 0) {
            struct event done = *ev;
            done.err = "cannot start an HTTP/2 session";
            side_drop(a, sd);
            feed_child(a, &done);
            a->out = saved;
            return;
        }
        if (ev->err)
            side_drop(a, sd);
        else
            flush(a, sd);
        feed_child(a, ev);
    } else if (sd && sd->s && ev->type == EV_DATA) {
        ssize_t n = nghttp2_session_mem_recv(sd->s, ev->data.p, ev->data.len);
        if (n < 0) {
            fail_side(a, sd, nghttp2_strerror((int)n));
        } else {
            flush(a, sd);
            deliver(a, sd);
            if (!(sd->conn->state & CONN_CAN_READ)) {
                /* A stream reset: the child sees the server go. */
                struct event closed = {.type = EV_CLOSED, .conn = sd->conn};
                feed_child(a, &closed);
            }
        }
    } else {
        feed_child(a, ev);
    }
    a->out = saved;
}

static void
h1h2_free(struct layer *l)
{
    struct h1h2 *a = (struct h1h2 *)l;
    layer_free(a->child);
    while (a->sides) {
        struct side *sd = a->sides;
        a->sides = sd->next;
        side_free(sd);
    }
    free(a);
}

static const struct layer_ops h1h2_ops = {
    .name = "h1-over-h2",
    .handle = handle,
    .free = h1h2_free,
};

struct layer *
layer_h1_over_h2_new(struct context *ctx, struct layer *child)
{
    struct h1h2 *a = xcalloc(1, sizeof(*a));
    layer_init(&a->base, &h1h2_ops, ctx);
    a->child = child;
    return &a->base;
}
