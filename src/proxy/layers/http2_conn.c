/*
 * HTTP/2 connection layers over nghttp2 (mitmproxy's Http2Server and
 * Http2Client): the bytes of one connection go into
 * nghttp2_session_mem_recv(), whose callbacks become HTTP events for the
 * HTTP layer; what streams say is submitted to the session, and
 * h2_session_drain() turns it into CMD_SENDs when the HTTP layer flushes.
 * nghttp2 does the framing, HPACK, flow control, priorities and stream
 * states; h2/h2.c translates header blocks.
 *
 * The server side (the client's connection) announces extended CONNECT for
 * WebSockets (RFC 8441) unless the websocket option is off, and keeps per
 * stream what it still has to send: a whole body is read from the flow (one
 * reference), a streamed one from what came so far. The client side (a
 * server connection) refuses push (ENABLE_PUSH=0) and acknowledges
 * response data only when the stream says so (ops->ack): a streamed body
 * once the client took it, so a slow client slows the server down, not our
 * memory. A stream that ends is freed at once, so a long-lived connection
 * does not grow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "flow/flow.h"
#include "h2/h2.h"
#include "options/opt.h"
#include "proxy/layers/http_internal.h"
#include "util/clock.h"
#include "util/num.h"
#include "util/xmalloc.h"

#define GONE "Client disconnected."

/* What one side of a stream still has to send: a whole message (the flow's
 * body, from off) or a streamed one (pending, complete once the end came). */
struct h2_out {
    struct flow *flow; /* one reference; NULL = nothing to send */
    int request;       /* the flow's request (client side), else its response */
    size_t off;
    int streaming;
    struct buf pending;
    int complete;
};

static void
out_clear(struct h2_out *o)
{
    if (o->flow)
        flow_unref(o->flow);
    o->flow = NULL;
    buf_clear(&o->pending);
}

static const struct hdrs *
out_trailers(const struct h2_out *o)
{
    if (o->flow == NULL)
        return NULL;
    if (o->request)
        return o->flow->request ? o->flow->request->trailers : NULL;
    return o->flow->response ? o->flow->response->trailers : NULL;
}

/*
 * Fills a DATA frame for nghttp2 from o: nothing yet means deferred; at the
 * end of a complete message the stream ends, or the data does and the
 * trailers follow in a HEADERS frame of their own. Returns the bytes.
 */
static ssize_t
provide(nghttp2_session *session, int32_t id, uint8_t *dst, size_t length, uint32_t *flags,
        struct h2_out *o)
{
    const struct buf *body = &o->pending;
    size_t start = 0;
    int complete = o->complete;
    if (!o->streaming) {
        const struct buf *content = NULL;
        if (o->flow)
            content = o->request ? (o->flow->request ? &o->flow->request->content : NULL)
                                 : (o->flow->response ? &o->flow->response->content : NULL);
        body = content ? content : &o->pending;
        start = o->off;
        complete = 1;
    }
    size_t left = body->len > start ? body->len - start : 0;
    if (left == 0 && !complete)
        return NGHTTP2_ERR_DEFERRED;
    size_t n = left < length ? left : length;
    memcpy(dst, buf_ptr(body) + start, n);
    if (o->streaming)
        buf_consume(&o->pending, n);
    else
        o->off += n;
    if (n == left && complete) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        const struct hdrs *trailers = out_trailers(o);
        if (trailers && trailers->n) {
            struct h2_nvs nv = {0};
            h2_trailer_nvs(trailers, &nv);
            if (nghttp2_submit_trailer(session, id, nv.nv, nv.n) == 0)
                *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            h2_nvs_clear(&nv);
        }
    }
    return (ssize_t)n;
}

static int64_t
content_length(const struct hdrs *headers)
{
    const struct hdr *cl = hdrs_get(headers, "content-length");
    int64_t n;
    if (cl && num_parse_cstr(cl->value, 0, INT64_MAX, &n) == 0)
        return n;
    return -1;
}

static void
drain(struct hconn *c, nghttp2_session *s, struct cmdq *out, int *broken)
{
    /* The HTTP layer flushes every session at the end of every turn, and
     * most have nothing to say then (a hook answer concerns one side):
     * nghttp2_session_mem_send() would find its queues empty, which is
     * what want_write checks. A session done for (want_read 0: our
     * terminating GOAWAY went) is drained as it always was. */
    if (!nghttp2_session_want_write(s) && nghttp2_session_want_read(s))
        return;
    struct buf b = BUF_INIT;
    if (h2_session_drain(s, &b) < 0)
        *broken = 1;
    else if (b.len)
        layer_send_buf(&c->base, out, c->conn, &b);
    buf_clear(&b);
}

/* ===== the server side: the client's connection ===== */

struct h2s_stream {
    int32_t id;
    struct http_stream *stream; /* the HTTP layer's, once bound */
    struct http_request *req;   /* until the HTTP layer has it */
    struct hdrs *trailers;      /* the request's, as they come */
    int known;                  /* the HTTP layer has a stream for it */
    int bad;                    /* reset as malformed: nothing more of it goes up */
    int ended;                  /* our response is complete (END_STREAM on its way) */
    struct h2_out out;
    struct h2s_stream *next;
};

/* Records of streams that ended, kept for the next ones: a connection that
 * carries thousands of streams allocates a handful. */
#define H2_SPARE_RECORDS 16

struct h2_server {
    struct hconn hc;
    nghttp2_session *s;
    struct cmdq *out; /* where commands go during a call into the session */
    struct h2s_stream *streams;
    struct h2s_stream *spare; /* at most H2_SPARE_RECORDS */
    int nspare;
    int over; /* the client's session is done for */
};

static struct h2s_stream *
s2_stream(struct h2_server *c, int32_t id)
{
    return nghttp2_session_get_stream_user_data(c->s, id);
}

static void
s2_stream_free(struct h2_server *c, struct h2s_stream *st)
{
    for (struct h2s_stream **pp = &c->streams; *pp; pp = &(*pp)->next) {
        if (*pp == st) {
            *pp = st->next;
            break;
        }
    }
    http_request_free(st->req);
    if (st->trailers) {
        hdrs_clear(st->trailers);
        free(st->trailers);
    }
    out_clear(&st->out);
    if (c->nspare < H2_SPARE_RECORDS) {
        memset(st, 0, sizeof(*st));
        st->next = c->spare;
        c->spare = st;
        c->nspare++;
    } else {
        free(st);
    }
}

static void
s2_up(struct h2_server *c, const struct hev *ev)
{
    http__receive(c->hc.h, &c->hc, ev, c->out);
}

static int
s2_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct h2_server *c = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct h2s_stream *st = c->spare;
    if (st) {
        c->spare = st->next;
        c->nspare--;
        st->next = NULL;
    } else {
        st = xcalloc(1, sizeof(*st));
    }
    st->id = frame->hd.stream_id;
    st->req = http_request_new();
    http_set_str(&st->req->http_version, "HTTP/2.0");
    st->req->timestamp_start = clock_now();
    st->next = c->streams;
    c->streams = st;
    nghttp2_session_set_stream_user_data(session, st->id, st);
    return 0;
}

static int
s2_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
          const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data)
{
    struct h2s_stream *st = s2_stream(user_data, frame->hd.stream_id);
    if (st == NULL || st->bad || frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        struct err e = {0};
        if (st->req == NULL || h2_request_field(st->req, name, namelen, value, valuelen, &e) < 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        return 0;
    }
    if (h2_trailer_field(&st->trailers, name, namelen, value, valuelen) < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

/* A malformed field (upper case, forbidden characters, connection-specific):
 * the request is malformed, a stream error (RFC 9113 8.1.1); others go on. */
static int
s2_invalid_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                  size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                  void *user_data)
{
    struct h2_server *c = user_data;
    struct h2s_stream *st = s2_stream(c, frame->hd.stream_id);
    if (st == NULL || st->bad || st->known)
        return 0;
    layer_log(&c->hc.base, c->out, LOG_INFO, "HTTP/2 stream %d reset: invalid header field %.*s",
              frame->hd.stream_id, (int)(namelen > 64 ? 64 : namelen), name);
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                              NGHTTP2_PROTOCOL_ERROR);
    st->bad = 1;
    return 0;
}

static void
s2_request_end(struct h2_server *c, struct h2s_stream *st)
{
    struct hev ev = {
        .type = HEV_REQUEST_END, .id = st->id, .stream = st->stream, .trailers = st->trailers};
    st->trailers = NULL;
    s2_up(c, &ev);
}

static int
s2_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct h2_server *c = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    struct h2s_stream *st = s2_stream(c, frame->hd.stream_id);
    if (st == NULL || st->bad)
        return 0;
    int end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        struct err e = {0};
        if (h2_request_check(st->req, &e) < 0) {
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_PROTOCOL_ERROR);
            st->bad = 1;
            return 0;
        }
        struct hev ev = {.type = HEV_REQUEST_HEADERS,
                         .id = st->id,
                         .request = st->req,
                         .end = end,
                         .length = content_length(&st->req->headers)};
        st->req = NULL;
        st->known = 1;
        s2_up(c, &ev);
        if (end)
            s2_request_end(c, st);
        return 0;
    }
    if (end && st->known)
        s2_request_end(c, st);
    return 0;
}

static int
s2_data(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
        void *user_data)
{
    struct h2_server *c = user_data;
    struct h2s_stream *st = s2_stream(c, id);
    if (st == NULL || st->bad || !st->known)
        return 0;
    struct hev ev = {
        .type = HEV_REQUEST_DATA, .id = id, .stream = st->stream, .data = slice_from(data, len)};
    s2_up(c, &ev);
    return 0;
}

static int
s2_stream_close(nghttp2_session *session, int32_t id, uint32_t error_code, void *user_data)
{
    struct h2_server *c = user_data;
    struct h2s_stream *st = s2_stream(c, id);
    if (st == NULL)
        return 0;
    nghttp2_session_set_stream_user_data(session, id, NULL);
    if (st->known) {
        /* After both ends it is just over; before, the client left. */
        struct hev ev = {.type = HEV_REQUEST_ERROR,
                         .id = id,
                         .stream = st->stream,
                         .msg = GONE,
                         .end = st->ended && error_code == NGHTTP2_NO_ERROR};
        s2_up(c, &ev);
    } else if (st->req && !st->bad) {
        /* Reset while its head came (a bad pseudo-header): the flow that was
         * begun records that the client went. */
        struct hev ev = {
            .type = HEV_REQUEST_HEADERS, .id = id, .request = st->req, .length = -1, .msg = GONE};
        st->req = NULL;
        s2_up(c, &ev);
    }
    s2_stream_free(c, st);
    return 0;
}

static ssize_t
s2_read(nghttp2_session *session, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
        nghttp2_data_source *source, void *user_data)
{
    struct h2_server *c = user_data;
    struct h2s_stream *st = s2_stream(c, id);
    if (st == NULL) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return 0;
    }
    ssize_t n = provide(session, id, buf, length, flags, &st->out);
    if (*flags & NGHTTP2_DATA_FLAG_EOF)
        st->ended = 1;
    if (n > 0 && st->out.streaming && st->known)
        http__client_took(c->hc.h, id, (size_t)n); /* the server may send as much again */
    return n;
}

/* The client is gone or broke: every stream it had hears so. */
static void
s2_gone(struct h2_server *c, struct cmdq *out)
{
    c->over = 1;
    for (;;) {
        struct h2s_stream *st = c->streams;
        while (st && !st->known)
            st = st->next;
        if (st == NULL)
            break;
        st->known = 0;
        struct hev ev = {
            .type = HEV_REQUEST_ERROR, .id = st->id, .stream = st->stream, .msg = GONE};
        http__receive(c->hc.h, &c->hc, &ev, out);
    }
    http__client_over(c->hc.h, out);
}

static void
s2_handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct h2_server *c = (struct h2_server *)l;
    struct cmdq *saved = c->out;
    c->out = out;
    if (ev->type == EV_DATA && !c->over) {
        ssize_t n = nghttp2_session_mem_recv(c->s, ev->data.p, ev->data.len);
        if (n < 0) {
            layer_log(l, out, LOG_INFO, "HTTP/2 protocol error in client data: %s",
                      nghttp2_strerror((int)n));
            int broken = 0;
            drain(&c->hc, c->s, out, &broken); /* the GOAWAY nghttp2 queued */
            s2_gone(c, out);
        }
    } else if (ev->type == EV_CLOSED) {
        c->hc.eof = 1;
        s2_gone(c, out);
    }
    c->out = saved;
}

static int
no_body(const struct http_request *req, const struct http_response *resp)
{
    return strcmp(req->method, "HEAD") == 0 || resp->status_code == 204 ||
           resp->status_code == 304 || resp->status_code < 200;
}

static int
s2_send(struct hconn *hc, const struct hev *ev, struct cmdq *out)
{
    struct h2_server *c = (struct h2_server *)hc;
    struct h2s_stream *st = s2_stream(c, ev->id);
    if (st == NULL || !st->known)
        return 0;
    switch (ev->type) {
    case HEV_RESPONSE_HEADERS: {
        const struct http_response *r = ev->response;
        int bodyless = no_body(ev->request, r);
        struct h2_nvs nv = {0};
        nghttp2_data_provider dp = {.read_callback = s2_read};
        int with_data;
        if (ev->whole) {
            h2_response_nvs(r, !bodyless, &nv);
            with_data = !bodyless && (r->content.len || (r->trailers && r->trailers->n));
            if (with_data) {
                /* Read from the flow as the client's window allows. */
                out_clear(&st->out);
                st->out.flow = flow_ref(ev->flow);
                st->out.off = 0;
            }
            st->ended = !with_data;
        } else {
            h2_response_nvs(r, 0, &nv);
            with_data = !bodyless;
            st->out.streaming = 1;
            if (st->out.flow == NULL)
                st->out.flow = flow_ref(ev->flow); /* for the trailers at the end */
            st->ended = !with_data;
        }
        nghttp2_submit_response(c->s, st->id, nv.nv, nv.n, with_data ? &dp : NULL);
        h2_nvs_clear(&nv);
        return 0;
    }
    case HEV_RESPONSE_DATA:
        buf_append(&st->out.pending, ev->data.p, ev->data.len);
        nghttp2_session_resume_data(c->s, st->id);
        return 0;
    case HEV_RESPONSE_END:
        st->out.complete = 1;
        nghttp2_session_resume_data(c->s, st->id); /* the end goes out */
        return 0;
    case HEV_RESPONSE_ERROR:
        nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, st->id,
                                  ev->reset ? ev->reset : NGHTTP2_INTERNAL_ERROR);
        st->known = 0; /* nothing more of it goes up */
        return 0;
    default:
        return 0;
    }
}

static void
s2_flush(struct hconn *hc, struct cmdq *out)
{
    struct h2_server *c = (struct h2_server *)hc;
    if (c->over)
        return;
    struct cmdq *saved = c->out;
    c->out = out;
    int broken = 0;
    drain(hc, c->s, out, &broken);
    if (!c->over && !nghttp2_session_want_read(c->s) && !nghttp2_session_want_write(c->s)) {
        c->over = 1;
        http__client_over(c->hc.h, out);
    }
    c->out = saved;
}

static void
s2_free(struct layer *l)
{
    struct h2_server *c = (struct h2_server *)l;
    while (c->streams)
        s2_stream_free(c, c->streams);
    while (c->spare) {
        struct h2s_stream *st = c->spare;
        c->spare = st->next;
        free(st);
    }
    nghttp2_session_del(c->s);
    connection_unref(c->hc.conn);
    free(c);
}

static int
s2_can_take(const struct hconn *hc)
{
    return 0;
}

static void
s2_bind(struct hconn *hc, int32_t id, struct http_stream *s)
{
    struct h2s_stream *st = s2_stream((struct h2_server *)hc, id);
    if (st)
        st->stream = s;
}

static const struct hconn_ops s2_ops = {
    .base = {.name = "http2-server", .handle = s2_handle, .free = s2_free},
    .send = s2_send,
    .can_take = s2_can_take,
    .flush = s2_flush,
    .bind = s2_bind,
};

struct hconn *
http__h2_server_new(struct http_layer *h, struct context *ctx)
{
    struct h2_server *c = xcalloc(1, sizeof(*c));
    http__hconn_init(&c->hc, &s2_ops, h, ctx, ctx->client);
    c->hc.h2 = 1;
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, s2_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, s2_header);
    nghttp2_session_callbacks_set_on_invalid_header_callback(cb, s2_invalid_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, s2_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, s2_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, s2_stream_close);
    nghttp2_session_server_new(&c->s, cb, c);
    nghttp2_session_callbacks_del(cb);
    h2_session_settings(c->s, 0);
    if (ctx->cfg->opts->websocket) {
        /* RFC 8441: clients may open WebSockets with an extended CONNECT. */
        nghttp2_settings_entry ws = {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1};
        nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, &ws, 1);
    }
    return &c->hc;
}

size_t
http__h2_streams(const struct hconn *hc)
{
    if (!hc->h2 || !hc->client)
        return 0;
    const struct h2_server *c = (const struct h2_server *)hc;
    size_t n = 0;
    for (const struct h2s_stream *st = c->streams; st; st = st->next)
        n++;
    return n;
}

/* ===== the client side: a server connection ===== */

struct h2c_stream {
    int32_t id;
    struct http_stream *stream; /* the HTTP layer's, once bound */
    int released;               /* the HTTP layer let go of it: it waits only for nghttp2 */
    const char *method;         /* "HEAD" or "GET": whether a body can come */
    struct http_response *resp; /* the head being received; handed up once complete */
    struct hdrs *trailers;      /* the response's, as they come */
    int head_done;              /* the final head came */
    int complete;               /* the response is complete */
    struct h2_out out;
    struct h2c_stream *next;
};

struct h2_client {
    struct hconn hc;
    nghttp2_session *s;
    struct cmdq *out;
    struct h2c_stream *streams;
    struct h2c_stream *spare; /* at most H2_SPARE_RECORDS */
    int nspare;
};

/* In nghttp2's callbacks: the stream's record, unless let go of. */
static struct h2c_stream *
c2_stream(struct h2_client *c, int32_t id)
{
    struct h2c_stream *st = nghttp2_session_get_stream_user_data(c->s, id);
    return st && !st->released ? st : NULL;
}

/* From the HTTP layer: nghttp2 opens a stream only once its HEADERS go
 * out, so the record is found in our own list. */
static struct h2c_stream *
c2_find(struct h2_client *c, int32_t id)
{
    for (struct h2c_stream *st = c->streams; st; st = st->next)
        if (st->id == id && !st->released)
            return st;
    return NULL;
}

static void
c2_stream_free(struct h2_client *c, struct h2c_stream *st)
{
    for (struct h2c_stream **pp = &c->streams; *pp; pp = &(*pp)->next) {
        if (*pp == st) {
            *pp = st->next;
            break;
        }
    }
    http_response_free(st->resp);
    if (st->trailers) {
        hdrs_clear(st->trailers);
        free(st->trailers);
    }
    out_clear(&st->out);
    if (c->nspare < H2_SPARE_RECORDS) {
        memset(st, 0, sizeof(*st));
        st->next = c->spare;
        c->spare = st;
        c->nspare++;
    } else {
        free(st);
    }
}

/* Marks the connection unusable and closes it. */
static void
c2_kill(struct h2_client *c, struct cmdq *out)
{
    if (!c->hc.gone && c->hc.conn->state != CONN_CLOSED)
        layer_close(&c->hc.base, out, c->hc.conn, 0);
    c->hc.gone = 1;
    c->hc.dead = 1;
    http__conn_dead(c->hc.h);
}

static void
c2_up(struct h2_client *c, const struct hev *ev)
{
    http__receive(c->hc.h, &c->hc, ev, c->out);
}

static int
c2_begin_headers(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct h2c_stream *st = c2_stream(user_data, frame->hd.stream_id);
    if (st == NULL || frame->hd.type != NGHTTP2_HEADERS || st->head_done)
        return 0;
    http_response_free(st->resp);
    st->resp = http_response_new();
    http_set_str(&st->resp->http_version, "HTTP/2.0");
    st->resp->timestamp_start = clock_now();
    return 0;
}

static int
c2_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
          const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data)
{
    struct h2c_stream *st = c2_stream(user_data, frame->hd.stream_id);
    if (st == NULL || frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    if (st->head_done)
        return h2_trailer_field(&st->trailers, name, namelen, value, valuelen) < 0
                   ? NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE
                   : 0;
    struct err e = {0};
    if (st->resp == NULL || h2_response_field(st->resp, name, namelen, value, valuelen, &e) < 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

static void
c2_response_end(struct h2_client *c, struct h2c_stream *st)
{
    st->complete = 1;
    struct hev ev = {
        .type = HEV_RESPONSE_END, .id = st->id, .stream = st->stream, .trailers = st->trailers};
    st->trailers = NULL;
    c2_up(c, &ev);
}

static int
c2_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct h2_client *c = user_data;
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        /* Streams above last_stream_id are closed by nghttp2; no new ones here. */
        c->hc.dead = 1;
        http__conn_dead(c->hc.h);
        return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    struct h2c_stream *st = c2_stream(c, frame->hd.stream_id);
    if (st == NULL)
        return 0;
    int end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !st->head_done) {
        struct http_response *r = st->resp;
        if (r == NULL)
            return 0;
        st->resp = NULL;
        if (r->status_code < 200) {
            /* An interim response: the final one follows. */
            struct hev ev = {
                .type = HEV_RESPONSE_INTERIM, .id = st->id, .stream = st->stream, .response = r};
            c2_up(c, &ev);
            return 0;
        }
        st->head_done = 1;
        int bodyless =
            strcmp(st->method, "HEAD") == 0 || r->status_code == 204 || r->status_code == 304;
        struct hev ev = {.type = HEV_RESPONSE_HEADERS,
                         .id = st->id,
                         .stream = st->stream,
                         .response = r,
                         .end = end,
                         .length = bodyless ? 0 : content_length(&r->headers)};
        c2_up(c, &ev);
        if (end && c2_stream(c, frame->hd.stream_id) == st)
            c2_response_end(c, st);
        return 0;
    }
    if (end && st->head_done)
        c2_response_end(c, st);
    return 0;
}

static int
c2_data(nghttp2_session *session, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
        void *user_data)
{
    struct h2_client *c = user_data;
    struct h2c_stream *st = c2_stream(c, id);
    if (st == NULL || !st->head_done) {
        nghttp2_session_consume(session, id, len); /* nobody waits for it */
        return 0;
    }
    /* Acknowledged when the stream says so (ops->ack). */
    struct hev ev = {
        .type = HEV_RESPONSE_DATA, .id = id, .stream = st->stream, .data = slice_from(data, len)};
    c2_up(c, &ev);
    return 0;
}

static int
c2_stream_close(nghttp2_session *session, int32_t id, uint32_t error_code, void *user_data)
{
    struct h2_client *c = user_data;
    struct h2c_stream *st = nghttp2_session_get_stream_user_data(session, id);
    if (st == NULL)
        return 0;
    nghttp2_session_set_stream_user_data(session, id, NULL);
    int told = st->complete || st->released;
    st->released = 1; /* freed here, whatever the stream does meanwhile */
    if (!told) {
        char msg[200];
        int refused = error_code == NGHTTP2_REFUSED_STREAM;
        if (refused)
            snprintf(msg, sizeof(msg), "server refused the stream (GOAWAY)");
        else
            snprintf(msg, sizeof(msg), "stream reset by server (%s)",
                     nghttp2_http2_strerror(error_code));
        struct hev ev = {.type = HEV_RESPONSE_ERROR,
                         .id = id,
                         .stream = st->stream,
                         .msg = msg,
                         .refused = refused};
        if (refused && !st->head_done) {
            c->hc.dead = 1; /* this one is going away */
            http__conn_dead(c->hc.h);
        }
        c2_up(c, &ev);
    }
    c2_stream_free(c, st);
    return 0;
}

static ssize_t
c2_read(nghttp2_session *session, int32_t id, uint8_t *buf, size_t length, uint32_t *flags,
        nghttp2_data_source *source, void *user_data)
{
    struct h2c_stream *st = c2_stream(user_data, id);
    if (st == NULL) {
        *flags |= NGHTTP2_DATA_FLAG_EOF; /* the stream was let go of */
        return 0;
    }
    return provide(session, id, buf, length, flags, &st->out);
}

/* Every exchange under way on the connection fails with msg. */
static void
c2_fail_all(struct h2_client *c, struct cmdq *out, const char *msg)
{
    for (;;) {
        struct h2c_stream *st = c->streams;
        while (st && (st->complete || st->released))
            st = st->next;
        if (st == NULL)
            return;
        /* Told once; the stream may let go of it (and free it) right away. */
        st->complete = 1;
        struct hev ev = {
            .type = HEV_RESPONSE_ERROR, .id = st->id, .stream = st->stream, .msg = msg};
        http__receive(c->hc.h, &c->hc, &ev, out);
    }
}

static void
c2_handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct h2_client *c = (struct h2_client *)l;
    struct cmdq *saved = c->out;
    c->out = out;
    if (ev->type == EV_DATA && !c->hc.gone) {
        ssize_t n = nghttp2_session_mem_recv(c->s, ev->data.p, ev->data.len);
        if (n < 0) {
            layer_log(l, out, LOG_INFO, "HTTP/2 protocol error from server %s: %s",
                      c->hc.conn->address.host, nghttp2_strerror((int)n));
            c2_kill(c, out);
            c2_fail_all(c, out, "HTTP/2 protocol error from server");
        }
    } else if (ev->type == EV_CLOSED) {
        c->hc.eof = 1;
        c2_fail_all(c, out, "server closed connection");
        c2_kill(c, out);
    }
    c->out = saved;
}

static int
c2_send(struct hconn *hc, const struct hev *ev, struct cmdq *out)
{
    struct h2_client *c = (struct h2_client *)hc;
    struct cmdq *saved = c->out;
    c->out = out;
    int rv = 0;
    if (ev->type == HEV_REQUEST_HEADERS) {
        const struct http_request *r = ev->request;
        struct h2c_stream *st = c->spare;
        if (st) {
            c->spare = st->next;
            c->nspare--;
            st->next = NULL;
        } else {
            st = xcalloc(1, sizeof(*st));
        }
        st->method = strcmp(r->method, "HEAD") == 0 ? "HEAD" : "GET";
        st->out.request = 1;
        st->out.flow = flow_ref(ev->flow);
        st->out.streaming = !ev->whole;
        struct h2_nvs nv = {0};
        h2_request_nvs(r, &nv);
        nghttp2_data_provider dp = {.read_callback = c2_read};
        int with_data = !ev->whole || r->content.len || (r->trailers && r->trailers->n);
        rv = nghttp2_submit_request(c->s, NULL, nv.nv, nv.n, with_data ? &dp : NULL, st);
        h2_nvs_clear(&nv);
        if (rv < 0) {
            out_clear(&st->out);
            free(st);
        } else {
            st->id = rv;
            st->next = c->streams;
            c->streams = st;
        }
    } else {
        struct h2c_stream *st = c2_find(c, ev->id);
        if (st && ev->type == HEV_REQUEST_DATA) {
            buf_append(&st->out.pending, ev->data.p, ev->data.len);
            nghttp2_session_resume_data(c->s, st->id);
        } else if (st && ev->type == HEV_REQUEST_END) {
            st->out.complete = 1;
            nghttp2_session_resume_data(c->s, st->id);
        }
    }
    c->out = saved;
    return rv;
}

static int
c2_can_take(const struct hconn *hc)
{
    const struct h2_client *c = (const struct h2_client *)hc;
    return !hc->dead && nghttp2_session_check_request_allowed(c->s);
}

/* Tells the server it may send n more bytes (on stream id, if still open). */
static void
c2_ack(struct hconn *hc, int32_t id, size_t n)
{
    struct h2_client *c = (struct h2_client *)hc;
    if (n == 0)
        return;
    nghttp2_session_consume_connection(c->s, n);
    if (id && nghttp2_session_find_stream(c->s, id))
        nghttp2_session_consume_stream(c->s, id, n);
}

static void
c2_release(struct hconn *hc, int32_t id, int abandon, struct cmdq *out)
{
    struct h2_client *c = (struct h2_client *)hc;
    struct h2c_stream *st = id ? c2_find(c, id) : NULL;
    if (st == NULL)
        return;
    if (abandon && !st->complete)
        nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    st->released = 1;
    /* nghttp2 may not have opened it yet (its HEADERS have not gone out):
     * then the record waits for the stream's close, or for the session's end. */
    if (nghttp2_session_set_stream_user_data(c->s, id, NULL) == 0)
        c2_stream_free(c, st);
}

static void
c2_flush(struct hconn *hc, struct cmdq *out)
{
    struct h2_client *c = (struct h2_client *)hc;
    if (c->hc.gone)
        return;
    struct cmdq *saved = c->out;
    c->out = out;
    int broken = 0;
    drain(hc, c->s, out, &broken);
    if (broken)
        c2_kill(c, out);
    c->out = saved;
}

static void
c2_free(struct layer *l)
{
    struct h2_client *c = (struct h2_client *)l;
    while (c->streams)
        c2_stream_free(c, c->streams);
    while (c->spare) {
        struct h2c_stream *st = c->spare;
        c->spare = st->next;
        free(st);
    }
    nghttp2_session_del(c->s);
    connection_unref(c->hc.conn);
    free(c);
}

static void
c2_bind(struct hconn *hc, int32_t id, struct http_stream *s)
{
    struct h2c_stream *st = c2_find((struct h2_client *)hc, id);
    if (st)
        st->stream = s;
}

static const struct hconn_ops c2_ops = {
    .base = {.name = "http2-client", .handle = c2_handle, .free = c2_free},
    .send = c2_send,
    .can_take = c2_can_take,
    .flush = c2_flush,
    .ack = c2_ack,
    .release = c2_release,
    .bind = c2_bind,
};

struct hconn *
http__h2_client_new(struct http_layer *h, struct context *ctx, struct connection *server)
{
    nghttp2_session_callbacks *cb;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        return NULL;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, c2_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, c2_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, c2_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, c2_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, c2_stream_close);
    /* Flow control by hand: response data is acknowledged when the stream
     * took it (buffered) or the client did (streamed). */
    nghttp2_option *opt;
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cb);
        return NULL;
    }
    nghttp2_option_set_no_auto_window_update(opt, 1);
    struct h2_client *c = xcalloc(1, sizeof(*c));
    int rv = nghttp2_session_client_new2(&c->s, cb, c, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    if (rv != 0 || h2_session_settings(c->s, 1) != 0) {
        if (rv == 0)
            nghttp2_session_del(c->s);
        free(c);
        return NULL;
    }
    http__hconn_init(&c->hc, &c2_ops, h, ctx, server);
    c->hc.h2 = 1;
    return &c->hc;
}
