/*
 * One request and its response: an HTTP flow's life from the request head
 * to the end of its response, or to an error (mitmproxy's HttpStream). The
 * connection layers below turn bytes into the HTTP events a stream gets,
 * for HTTP/1 and HTTP/2 alike, and the stream's answers back into bytes,
 * so hooks, limits, streaming, kill and error answers live here once.
 *
 * Two state machines in one object, the request side (cs) and the
 * response side (ss):
 *
 *   request:   HEAD --requestheaders--> BODY or STREAM --end--> (request) DONE
 *   response:  IDLE --connection--> SENT --head--> (responseheaders)
 *              BODY or STREAM --end--> (response) DONE, then the response
 *              goes to the client (a streamed one has gone already)
 *
 * Each hook or open is a blocking command with the stream as its waiter,
 * so the stream is paused on it alone: with an HTTP/2 client the connection
 * goes on (reads_while_paused); an HTTP/1 client, one exchange at a time,
 * is not read meanwhile. An HTTP event reaches a running stream through
 * layer_feed(), as an EV_WAKEUP of id 0 (no command has id 0), so that a
 * hook it raises pauses it as any layer is paused; one that comes while the
 * stream waits is kept in its inbox (the flow does not change under a
 * hook), and handled in order once the wait is over, until the stream waits
 * again. An HTTP/1 connection layer does not even parse on while its stream
 * waits, so its bytes are never copied twice.
 *
 * A stream body above stream_large_bodies, or one an addon asked for in
 * its headers hook (Message.stream), goes on as it comes (the flow keeps
 * no body), either announced by its length or grown past the limit;
 * body_size_limit is enforced where the bytes arrive. Any failure sets the
 * flow's error, raises the error hook and then answers the client (413 for
 * a request over body_size_limit, 400 for the client's faults, 502 for the
 * server's) while a response can still be sent; a killed flow gets none.
 *
 * Where HTTP/1 and HTTP/2 clients were answered differently before this
 * machine existed, they still are, and the code says so next to the test
 * of s->h2: an HTTP/2 client's request head is refused without hooks (400,
 * 501), its request body over body_size_limit resets the stream, its
 * response body has no limit and its request streams only when announced.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "flow/connection.h"
#include "flow/flow.h"
#include "h2/h2.h"
#include "http/url.h"
#include "options/opt.h"
#include "proxy/layers/http_internal.h"
#include "proxy/layers/layers.h"
#include "util/clock.h"
#include "util/num.h"
#include "util/xmalloc.h"

#define KILLED "Connection killed."
#define REQ_TOO_LARGE "Request body exceeds mitmproxy's body_size_limit."
#define RESP_TOO_LARGE "Response body exceeds mitmproxy's body_size_limit."
/* A buffered body this large is handed to an HTTP/1 client without a copy
 * (after_response); below it, the copy is cheaper than a write(2). */
#define BODY_MOVE_MIN (64 * 1024)

/* An HTTP event kept while the stream waited: data and msg in mem. */
struct http_qev {
    struct hev ev;
    char *mem; /* owned */
};

static const struct layer_ops stream_ops;

static void http_event(struct http_stream *, const struct hev *, struct cmdq *out);
static void ws_feed(struct http_stream *, const struct event *, struct cmdq *out);
static void ws_start(struct http_stream *, struct cmdq *out);

/* --- the inbox --- */

static void
enqueue(struct http_stream *s, const struct hev *ev)
{
    if (s->qhead + s->nq == s->capq) {
        if (s->qhead) {
            memmove(s->q, s->q + s->qhead, s->nq * sizeof(*s->q));
            s->qhead = 0;
        } else {
            s->capq = s->capq ? s->capq * 2 : 4;
            s->q = xrealloc(s->q, s->capq * sizeof(*s->q));
        }
    }
    struct http_qev *q = &s->q[s->qhead + s->nq++];
    size_t mlen = ev->msg ? strlen(ev->msg) + 1 : 0;
    q->ev = *ev;
    q->ev.take = NULL;
    q->mem = NULL;
    if (ev->data.len || mlen) {
        q->mem = xmalloc(ev->data.len + mlen);
        if (ev->data.len) {
            memcpy(q->mem, ev->data.p, ev->data.len);
            q->ev.data = (struct slice){(const uint8_t *)q->mem, ev->data.len};
        }
        if (mlen) {
            memcpy(q->mem + ev->data.len, ev->msg, mlen);
            q->ev.msg = q->mem + ev->data.len;
        }
    }
}

/* Frees what an event hands over, for one nobody takes. */
static void
drop_objects(const struct hev *ev)
{
    if (ev->type == HEV_REQUEST_HEADERS)
        http_request_free(ev->request);
    if (ev->type == HEV_RESPONSE_HEADERS || ev->type == HEV_RESPONSE_ERROR)
        http_response_free(ev->response);
    if (ev->trailers) {
        hdrs_clear(ev->trailers);
        free(ev->trailers);
    }
}

/* The first event of a type that waits in the inbox (mitmproxy's
 * check_killed peeks the same way: the client may have gone meanwhile). A
 * stream that merely closed after both ends is no error. */
static const struct hev *
queued(const struct http_stream *s, enum hev_type type)
{
    for (size_t i = 0; i < s->nq; i++) {
        const struct hev *ev = &s->q[s->qhead + i].ev;
        if (ev->type == type && !(type == HEV_REQUEST_ERROR && ev->end))
            return ev;
    }
    return NULL;
}

void
http__stream_event(struct http_stream *s, const struct hev *ev, struct cmdq *out)
{
    if (s->base.paused_on || s->nq) {
        enqueue(s, ev); /* until the wait is over (drain) */
        return;
    }
    struct event ring = {.type = EV_WAKEUP, .cmd_id = 0};
    s->cur = ev;
    layer_feed(&s->base, &ring, out);
    s->cur = NULL;
}

/* Whether the handler just emitted a blocking command of the stream's own:
 * its turn is over (layer_feed() marks it paused once it returns). */
static int
cmd_pending(const struct cmdq *out, const struct layer *l)
{
    struct command *last = cmdq_last(out);
    return last && last->blocking && last->waiter == l;
}

/* The wait is over: what came meanwhile is handled, in order, until the
 * stream waits again. */
static void
drain(struct http_stream *s, struct cmdq *out)
{
    while (s->nq && !cmd_pending(out, &s->base)) {
        struct http_qev q = s->q[s->qhead];
        s->qhead++;
        if (--s->nq == 0)
            s->qhead = 0;
        http_event(s, &q.ev, out);
        free(q.mem);
    }
}

/* --- small things --- */

static const struct proxy_config *
cfg_of(const struct http_stream *s)
{
    return s->base.ctx->cfg;
}

static void
hook(struct http_stream *s, struct cmdq *out, enum http_wait w, enum hook which)
{
    s->wait = w;
    layer_hook(&s->base, out, which, s->flow, NULL, NULL);
}

static void
send_client(struct http_stream *s, struct cmdq *out, struct hev *ev)
{
    ev->id = s->id;
    ev->flow = s->flow;
    if (s->client_gone)
        return;
    http__send_client(s->h, ev, out);
}

static int
send_server(struct http_stream *s, struct cmdq *out, struct hev *ev)
{
    ev->id = s->srv_id;
    ev->flow = s->flow;
    return http__send_server(s->h, s, ev, out);
}

/* The server may send n more response bytes (HTTP/2 flow control). */
static void
ack_server(struct http_stream *s, size_t n)
{
    struct hconn *c = http__server_conn(s->h, s);
    if (c && n)
        http__hc_ack(c, s->srv_id, n);
}

/* Lets go of the server connection (abandon: give up the exchange there). */
static void
release_server(struct http_stream *s, struct cmdq *out, int abandon)
{
    if (s->srv == NULL)
        return;
    /* What the client has not taken yet no longer holds the server back. */
    ack_server(s, s->unacked);
    s->unacked = 0;
    http__release_server(s->h, s, abandon, out);
}

/* The request head or body with an HTTP/1 client: keep Content-Length
 * honest, since an addon may have changed the body (the flow says so too). */
static void
honest_length(struct hdrs *headers, size_t len, int add)
{
    char num[NUM_DEC_LEN];
    num_format_u(num, len);
    const struct hdr *cl = hdrs_get(headers, "content-length");
    if (cl ? strcmp(cl->value, num) != 0 : add)
        hdrs_set_cstr(headers, "Content-Length", num);
}

/* --- failure --- */

/*
 * Fails the flow: its error, the error hook, and then (error_done) the
 * answer status, if a response can still be sent (0: none).
 */
static void
fail(struct http_stream *s, struct cmdq *out, int status, const char *msg)
{
    if (s->flow->error == NULL || strcmp(msg, KILLED) != 0)
        flow_set_error(s->flow, msg);
    s->error_status = s->resp_sent ? 0 : status;
    s->cs = HC_ERRORED;
    s->ss = HS_ERRORED;
    if (s->h2)
        release_server(s, out, 1); /* the other streams need not wait for it */
    hook(s, out, HW_ERROR, HOOK_ERROR);
}

/* mitmproxy's check_killed: by an addon, or by the client meanwhile. */
static int
killed(struct http_stream *s, struct cmdq *out)
{
    const struct hev *gone = queued(s, HEV_REQUEST_ERROR);
    if (!s->flow->killed && gone == NULL)
        return 0;
    if (gone && s->flow->error == NULL)
        flow_set_error(s->flow, gone->msg);
    s->resp_sent = 1; /* a killed flow gets no response */
    fail(s, out, 0, KILLED);
    return 1;
}

/* An HTTP/2 client's answer without hooks (a request we cannot take):
 * the flow records it, as mitmproxy's make_error_response. */
static void
refuse_h2(struct http_stream *s, struct cmdq *out, int status, const char *msg)
{
    if (s->flow->response)
        http_response_free(s->flow->response);
    s->flow->response = http__error_response_h2(status, msg);
    struct hev ev = {.type = HEV_RESPONSE_HEADERS,
                     .response = s->flow->response,
                     .request = s->flow->request,
                     .whole = 1};
    send_client(s, out, &ev);
    s->resp_sent = 1;
    s->cs = HC_ERRORED;
    s->ss = HS_ERRORED;
    s->done = 1;
}

static void
error_done(struct http_stream *s, struct cmdq *out)
{
    const char *msg = s->flow->error ? s->flow->error->msg : "error";
    s->done = 1;
    if (!s->h2) {
        if (s->error_status) {
            struct hev ev = {.type = HEV_RESPONSE_ERROR, .status = s->error_status, .msg = msg};
            send_client(s, out, &ev);
        }
        s->failed = 1; /* the HTTP layer closes the client */
        return;
    }
    if (s->client_gone)
        return;
    if (s->error_status) {
        char *m = xstrdup(msg);
        refuse_h2(s, out, s->error_status, m);
        free(m);
        return;
    }
    struct hev ev = {.type = HEV_RESPONSE_ERROR, .reset = NGHTTP2_INTERNAL_ERROR};
    send_client(s, out, &ev);
}

/* --- the request side --- */

static void get_server(struct http_stream *s, struct cmdq *out);

/*
 * An extended CONNECT for a WebSocket (RFC 8441) becomes, for the flow and
 * the server, the HTTP/1.1 handshake it stands for: a GET with Upgrade,
 * Connection and a fresh Sec-WebSocket-Key (the version, protocol and
 * extensions fields come from the client).
 */
static void
ws_request(struct http_stream *s)
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

static void
request_headers(struct http_stream *s, const struct hev *ev, struct cmdq *out)
{
    struct context *ctx = s->base.ctx;
    struct http_request *req = ev->request;
    const char *msg = NULL;

    s->flow = flow_new_http(ctx->client, NULL);
    s->flow->live = 1;
    s->flow->request = req;
    s->req_length = ev->length;
    s->req_nobody = ev->end;
    if (s->h2 && ev->msg) {
        /* HTTP/2: reset while its head came in; the client is gone. */
        s->client_gone = 1;
        fail(s, out, 0, ev->msg);
        return;
    }
    if (!s->h2) {
        int status = http__route_h1(s->h, ctx, req, (enum http1_form)ev->form, &msg);
        if (status) {
            fail(s, out, status, msg);
            return;
        }
        if (ev->form == HTTP1_FORM_AUTHORITY) {
            hook(s, out, HW_CONNECT, HOOK_HTTP_CONNECT);
            return;
        }
        if (ev->msg) {
            fail(s, out, 400, ev->msg);
            return;
        }
        hook(s, out, HW_REQUESTHEADERS, HOOK_REQUESTHEADERS);
        return;
    }
    /* HTTP/2: what cannot be taken is answered at once, without hooks. */
    if (strcmp(req->method, "CONNECT") == 0) {
        const struct hdr *proto = hdrs_get(&req->headers, ":protocol");
        if (proto && strcasecmp(proto->value, "websocket") == 0 && cfg_of(s)->opts->websocket) {
            ws_request(s);
        } else {
            /* CONNECT tunnels over HTTP/2 are not relayed. */
            refuse_h2(s, out, 501, "CONNECT over HTTP/2 is not supported.");
            return;
        }
    }
    int status = http__route_h2(s->h, ctx, req, &msg);
    if (status) {
        refuse_h2(s, out, status, msg);
        return;
    }
    hook(s, out, HW_REQUESTHEADERS, HOOK_REQUESTHEADERS);
}

static void
request_hook(struct http_stream *s, struct cmdq *out)
{
    struct http_request *req = s->flow->request;
    if (req->timestamp_end == 0)
        req->timestamp_end = clock_now();
    s->cs = HC_DONE;
    hook(s, out, HW_REQUEST, HOOK_REQUEST);
}

static void
start_request_stream(struct http_stream *s, struct cmdq *out)
{
    const char *why = http__server_error(s->h);
    s->cs = HC_STREAM;
    s->req_streamed = 1;
    s->flow->request->content_none = 1;
    if (why) {
        fail(s, out, 502, why);
        return;
    }
    get_server(s, out);
}

static void
after_requestheaders(struct http_stream *s, struct cmdq *out)
{
    const struct proxy_config *cfg = cfg_of(s);
    struct http_request *req = s->flow->request;

    if (killed(s, out))
        return;
    if (s->replay) {
        /* The saved request is complete: its body is already in the flow. */
        req->timestamp_end = req->timestamp_start;
        s->cs = HC_DONE;
        hook(s, out, HW_REQUEST, HOOK_REQUEST);
        return;
    }
    if (!s->h2 && http1_expects_continue(req)) {
        struct http_response *cont = http_response_new();
        http_set_str(&cont->http_version, "HTTP/1.1");
        http_set_str(&cont->reason, "Continue");
        cont->status_code = 100;
        struct hev ev = {.type = HEV_RESPONSE_INTERIM, .response = cont, .request = req};
        send_client(s, out, &ev);
        http_response_free(cont);
        hdrs_remove(&req->headers, "expect");
    }
    if (s->ws) {
        /* The extended CONNECT has no body: its stream carries the WebSocket. */
        request_hook(s, out);
        return;
    }
    buf_reset(&req->content);
    req->content_none = 0;
    if (!s->h2 && cfg->body_size_limit >= 0 && s->req_length > cfg->body_size_limit) {
        fail(s, out, 413, REQ_TOO_LARGE);
        return;
    }
    /* An HTTP/2 request whose end already came is buffered whatever its length. */
    int complete = s->req_nobody || (s->h2 && queued(s, HEV_REQUEST_END));
    int large = cfg->stream_large_bodies >= 0 && s->req_length > cfg->stream_large_bodies;
    if (!complete && (req->stream || large)) {
        /* The server gets the head now and the body as it comes. */
        start_request_stream(s, out);
        return;
    }
    s->cs = HC_BODY;
}

/* Sends the request (its head, and the body unless it streams). */
static void
send_request(struct http_stream *s, struct cmdq *out)
{
    struct http_request *req = s->flow->request;
    if (s->h2) {
        if (killed(s, out))
            return;
        struct hconn *c = http__server_conn(s->h, s);
        if (s->flow->server_conn)
            connection_unref(s->flow->server_conn);
        s->flow->server_conn = connection_ref(c->conn);
    }
    int chunked = !s->h2 && hdrs_has_token(&req->headers, "transfer-encoding", "chunked");
    if (!s->h2 && !s->req_streamed && !chunked)
        honest_length(&req->headers, req->content.len, req->content.len > 0);
    struct hev ev = {
        .type = HEV_REQUEST_HEADERS, .request = req, .whole = !s->req_streamed, .chunked = chunked};
    s->req_sent = 1;
    s->ss = HS_SENT;
    int rv = send_server(s, out, &ev);
    if (rv < 0) {
        fail(s, out, 502, nghttp2_strerror(rv));
        return;
    }
    if (!s->req_streamed)
        return;
    /* Whatever came before we could send goes first. */
    struct buf *first = s->h2 ? &s->req_pending : &req->content;
    if (first->len) {
        struct hev d = {.type = HEV_REQUEST_DATA, .data = buf_slice(first)};
        send_server(s, out, &d);
    }
    buf_clear(first);
    req->content_none = 1;
    if (s->req_end) {
        struct hev end = {.type = HEV_REQUEST_END, .trailers = req->trailers};
        send_server(s, out, &end);
        if (!s->resp_head)
            request_hook(s, out);
    }
}

static void
request_data(struct http_stream *s, const struct hev *ev, struct cmdq *out)
{
    const struct proxy_config *cfg = cfg_of(s);
    struct http_request *req = s->flow->request;
    switch (s->cs) {
    case HC_BODY:
        if (s->h2 && cfg->body_size_limit >= 0 &&
            req->content.len + ev->data.len > (uint64_t)cfg->body_size_limit) {
            /* HTTP/2: the stream is refused (as before this machine). */
            struct hev rst = {.type = HEV_RESPONSE_ERROR, .reset = NGHTTP2_REFUSED_STREAM};
            send_client(s, out, &rst);
            s->client_gone = 1;
            fail(s, out, 0, REQ_TOO_LARGE);
            return;
        }
        if (req->content.len == 0 && ev->take)
            buf_move(&req->content, ev->take);
        else
            buf_append(&req->content, ev->data.p, ev->data.len);
        if (s->h2)
            return;
        if (cfg->body_size_limit >= 0 && req->content.len > (uint64_t)cfg->body_size_limit) {
            fail(s, out, 413, REQ_TOO_LARGE);
            return;
        }
        if (cfg->stream_large_bodies >= 0 &&
            req->content.len > (uint64_t)cfg->stream_large_bodies) {
            /* Grew past the limit (chunked): send what we have, stream the rest. */
            start_request_stream(s, out);
        }
        return;
    case HC_STREAM:
        if (s->req_sent && s->ss == HS_SENT) {
            struct hev d = *ev;
            send_server(s, out, &d);
        } else {
            buf_append(s->h2 ? &s->req_pending : &req->content, ev->data.p, ev->data.len);
        }
        return;
    case HC_DONE:
        if (s->ws && s->ws_layer) {
            struct event d = {.type = EV_DATA, .conn = s->ws_client, .data = ev->data};
            ws_feed(s, &d, out);
        } else if (s->ws) {
            buf_append(&s->req_pending, ev->data.p, ev->data.len); /* before our 200 went out */
        }
        return;
    default:
        return;
    }
}

static void
request_end(struct http_stream *s, const struct hev *ev, struct cmdq *out)
{
    struct http_request *req = s->flow->request;
    s->req_end = 1;
    if (ev->trailers) {
        if (s->cs == HC_BODY || s->cs == HC_STREAM) {
            if (req->trailers) {
                hdrs_clear(req->trailers);
                free(req->trailers);
            }
            req->trailers = ev->trailers;
        } else {
            hdrs_clear(ev->trailers);
            free(ev->trailers);
        }
    }
    switch (s->cs) {
    case HC_BODY:
        req->timestamp_end = clock_now();
        request_hook(s, out);
        return;
    case HC_STREAM:
        req->timestamp_end = clock_now();
        buf_clear(&req->content);
        req->content_none = 1;
        if (!s->req_sent || s->ss != HS_SENT)
            return; /* the end goes with the request (send_request) */
        struct hev end = {.type = HEV_REQUEST_END, .trailers = req->trailers};
        send_server(s, out, &end);
        /* mitmproxy raises request once the body is over; a response that
         * came first (HTTP/2) has gone past it. */
        if (!s->resp_head)
            request_hook(s, out);
        else
            s->cs = HC_DONE;
        return;
    case HC_DONE:
        if (s->ws && s->ws_layer && (s->ws_client->state & CONN_CAN_READ)) {
            s->ws_client->state &= ~CONN_CAN_READ;
            struct event closed = {.type = EV_CLOSED, .conn = s->ws_client};
            ws_feed(s, &closed, out);
        }
        return;
    default:
        return;
    }
}

/* The client's side broke: the client left, or sent what cannot be read. */
static void
request_error(struct http_stream *s, const struct hev *ev, struct cmdq *out)
{
    if (s->h2)
        s->client_gone = 1;
    if (s->ws_layer) {
        if (!s->ws_closed && s->ws_client->state != CONN_CLOSED) {
            s->ws_client->state = CONN_CLOSED;
            struct event closed = {.type = EV_CLOSED, .conn = s->ws_client};
            ws_feed(s, &closed, out);
        }
        return;
    }
    if (ev->end || s->cs == HC_ERRORED || s->done)
        return; /* closed after both ends: all of it is on its way */
    fail(s, out, ev->status, ev->msg);
}

static void
after_request(struct http_stream *s, struct cmdq *out)
{
    struct http_response *resp = s->flow->response;
    if (killed(s, out))
        return;
    if (resp && !(s->h2 && s->req_streamed)) {
        /* An addon answered the request itself (mitmproxy: flow.response set in
         * requestheaders or request); emulate responseheaders, then response. */
        s->addon_response = 1;
        resp->timestamp_start = clock_now();
        hook(s, out, HW_RESPONSEHEADERS, HOOK_RESPONSEHEADERS);
        return;
    }
    if (s->req_streamed)
        return; /* the request went out as it came: the response follows */
    const char *why = http__server_error(s->h);
    if (why) {
        fail(s, out, 502, why);
        return;
    }
    get_server(s, out);
}

/* --- the server connection --- */

static void
get_server(struct http_stream *s, struct cmdq *out)
{
    const char *msg = NULL;
    s->ss = HS_CONNECT;
    enum http_get r = http__get_server(s->h, s, out, &msg);
    if (r == HTTP_GET_FAILED) {
        fail(s, out, 502, msg);
        return;
    }
    if (!s->h2) {
        struct connection *conn = http__server_connection(s->h, s);
        if (s->flow->server_conn)
            connection_unref(s->flow->server_conn);
        s->flow->server_conn = connection_ref(conn);
    }
    if (r == HTTP_GET_READY)
        send_request(s, out);
    else if (r == HTTP_GET_OPEN)
        s->wait = HW_OPEN;
}

/* The open this stream waited for is through (err NULL) or failed. */
static void
server_ready(struct http_stream *s, const char *err, struct cmdq *out)
{
    if (s->ss != HS_CONNECT)
        return;
    if (err) {
        fail(s, out, 502, err);
        return;
    }
    get_server(s, out);
}

/* --- the response side --- */

static void
response_headers(struct http_stream *s, const struct hev *ev, struct cmdq *out)
{
    if (s->ss != HS_SENT || s->cs == HC_ERRORED) {
        http_response_free(ev->response);
        return;
    }
    if (s->flow->response)
        http_response_free(s->flow->response);
    s->flow->response = ev->response;
    s->resp_head = 1;
    s->resp_length = ev->length;
    s->resp_nobody = ev->end;
    s->until_close = ev->until_close;
    hook(s, out, HW_RESPONSEHEADERS, HOOK_RESPONSEHEADERS);
}

/* Sends the response head now and the body as it comes (stream_large_bodies):
 * the flow keeps no body (content None). */
static void
start_response_stream(struct http_stream *s, struct cmdq *out)
{
    struct http_response *resp = s->flow->response;
    s->ss = HS_STREAM;
    s->resp_streamed = 1;
    resp->content_none = 1;
    struct hev ev = {.type = HEV_RESPONSE_HEADERS,
                     .response = resp,
                     .request = s->flow->request,
                     .end = s->resp_nobody,
                     .until_close = s->until_close,
                     .chunked =
                         !s->h2 && hdrs_has_token(&resp->headers, "transfer-encoding", "chunked")};
    send_client(s, out, &ev);
    s->resp_sent = 1;
    if (resp->content.len) {
        /* What was buffered goes first; the server was told of it already. */
        s->preacked += resp->content.len;
        struct hev d = {.type = HEV_RESPONSE_DATA, .data = buf_slice(&resp->content)};
        send_client(s, out, &d);
        if (!s->h2)
            s->preacked = 0;
    }
    buf_clear(&resp->content);
}

static void
after_responseheaders(struct http_stream *s, struct cmdq *out)
{
    const struct proxy_config *cfg = cfg_of(s);
    struct http_response *resp = s->flow->response;
    if (killed(s, out))
        return;
    const struct hev *broke = queued(s, HEV_RESPONSE_ERROR);
    if (broke && !s->addon_response) {
        /* The server broke off while the hook ran. */
        fail(s, out, 502, broke->msg);
        return;
    }
    if (s->addon_response) {
        if (resp->timestamp_end == 0)
            resp->timestamp_end = clock_now();
        s->ss = HS_DONE;
        hook(s, out, HW_RESPONSE, HOOK_RESPONSE);
        return;
    }
    if (!s->h2 && cfg->body_size_limit >= 0 && s->resp_length > cfg->body_size_limit) {
        release_server(s, out, 1);
        fail(s, out, 502, RESP_TOO_LARGE);
        return;
    }
    int64_t limit = cfg->stream_large_bodies;
    if (resp->stream || (limit >= 0 && (s->until_close || s->resp_length > limit)))
        start_response_stream(s, out);
    else
        s->ss = HS_BODY;
}

static void
response_data(struct http_stream *s, const struct hev *ev, struct cmdq *out)
{
    const struct proxy_config *cfg = cfg_of(s);
    struct http_response *resp = s->flow->response;
    switch (s->ss) {
    case HS_BODY:
        if (ev->in_place)
            ; /* read into it already (http__body_sink) */
        else if (resp->content.len == 0 && ev->take)
            buf_move(&resp->content, ev->take);
        else
            buf_append(&resp->content, ev->data.p, ev->data.len);
        ack_server(s, ev->data.len);
        if (!s->h2 && cfg->body_size_limit >= 0 &&
            resp->content.len > (uint64_t)cfg->body_size_limit) {
            release_server(s, out, 1);
            fail(s, out, 502, RESP_TOO_LARGE);
            return;
        }
        if (cfg->stream_large_bodies >= 0 &&
            resp->content.len > (uint64_t)cfg->stream_large_bodies) {
            /* Grew past the limit without announcing it: stream the rest. */
            start_response_stream(s, out);
        }
        return;
    case HS_STREAM: {
        struct hev d = *ev;
        send_client(s, out, &d);
        if (s->h2 && !s->client_gone)
            s->unacked += ev->data.len; /* acknowledged once the client takes it */
        else
            ack_server(s, ev->data.len);
        return;
    }
    default:
        return;
    }
}

struct buf *
http__stream_sink(struct http_stream *s)
{
    if (s == NULL || s->ss != HS_BODY || s->nq || s->flow == NULL || s->flow->response == NULL)
        return NULL;
    return &s->flow->response->content;
}

static void
response_end(struct http_stream *s, const struct hev *ev, struct cmdq *out)
{
    struct http_response *resp = s->flow->response;
    if (s->ss != HS_BODY && s->ss != HS_STREAM) {
        if (ev->trailers) {
            hdrs_clear(ev->trailers);
            free(ev->trailers);
        }
        return;
    }
    if (ev->trailers) {
        if (resp->trailers) {
            hdrs_clear(resp->trailers);
            free(resp->trailers);
        }
        resp->trailers = ev->trailers;
    }
    if (resp->timestamp_end == 0 || !s->h2)
        resp->timestamp_end = clock_now();
    if (s->ss == HS_STREAM) {
        struct hev end = {.type = HEV_RESPONSE_END, .trailers = resp->trailers};
        send_client(s, out, &end);
        buf_clear(&resp->content);
        resp->content_none = 1;
    }
    s->ss = HS_DONE;
    struct hconn *c = http__server_conn(s->h, s);
    if (s->h2 && s->ws && resp->status_code == 101 && c && !c->h2) {
        /* The connection now carries the WebSocket: it stays with the stream. */
        layer_websocket_mark(s->base.ctx, s->flow);
        hook(s, out, HW_RESPONSE, HOOK_RESPONSE);
        return;
    }
    if (s->h2)
        release_server(s, out, 0); /* others may use the connection meanwhile */
    else
        layer_websocket_mark(s->base.ctx, s->flow); /* addons see it coming */
    hook(s, out, HW_RESPONSE, HOOK_RESPONSE);
}

static void
response_error(struct http_stream *s, const struct hev *ev, struct cmdq *out)
{
    if (ev->response && (s->ss == HS_SENT || s->ss == HS_CONNECT)) {
        if (s->flow->response)
            http_response_free(s->flow->response);
        s->flow->response = ev->response; /* the head the error came with */
    } else {
        http_response_free(ev->response);
    }
    if (s->ss != HS_SENT && s->ss != HS_BODY && s->ss != HS_STREAM)
        return;
    if (ev->refused && s->ss == HS_SENT && !s->resp_head && !s->req_streamed && s->retries < 3) {
        /* Not processed by the server (RFC 9113 8.7): send it again, on
         * another connection (this one is going away). */
        s->retries++;
        http__release_server(s->h, s, 0, out);
        get_server(s, out);
        return;
    }
    if (ev->drop_body) {
        /* As mitmproxy: an incomplete body is not stored (content None). */
        buf_clear(&s->flow->response->content);
        s->flow->response->content_none = 1;
    }
    fail(s, out, 502, ev->msg);
}

/* The response hook is through: the response goes to the client. */
static void
after_response(struct http_stream *s, struct cmdq *out)
{
    struct http_response *resp = s->flow->response;
    if (s->h2 && s->resp_streamed && s->client_gone) {
        s->done = 1; /* sent in full while the hook ran */
        return;
    }
    if (killed(s, out))
        return;
    if (s->h2 && s->client_gone) {
        s->done = 1;
        return;
    }
    if (s->h2 && s->ws && resp->status_code == 101 && s->srv) {
        ws_start(s, out);
        return;
    }
    if (!s->resp_streamed) {
        struct http_request *req = s->flow->request;
        int chunked = !s->h2 && hdrs_has_token(&resp->headers, "transfer-encoding", "chunked");
        if (!s->h2 && !chunked && !s->until_close && strcmp(req->method, "HEAD") != 0 &&
            resp->status_code != 204 && resp->status_code != 304 && resp->status_code >= 200) {
            /* An addon's response may come without framing: give it a length. */
            honest_length(&resp->headers, resp->content.len, s->addon_response);
        }
        struct hev ev = {.type = HEV_RESPONSE_HEADERS,
                         .response = resp,
                         .request = req,
                         .whole = 1,
                         .end = s->resp_nobody,
                         .until_close = s->until_close,
                         .chunked = chunked};
        /* A large body of a flow nobody else holds is not copied: the
         * stream drops the flow once this is sent, so nobody can see it
         * again, and the body's own storage becomes the send. A flow that
         * lives on (a 101's, a replayed one, one an addon keeps) keeps its
         * content, and the client gets a copy. */
        if (!s->h2 && resp->content.len >= BODY_MOVE_MIN && resp->status_code != 101 &&
            !flow_shared(s->flow))
            ev.take = &resp->content;
        send_client(s, out, &ev);
        s->resp_sent = 1;
    }
    if (!s->h2 && resp->status_code == 101 && s->flow->websocket && s->srv)
        s->handoff = HANDOFF_WEBSOCKET;
    s->done = 1;
}

/* --- CONNECT (HTTP/1) --- */

static void
after_connect(struct http_stream *s, struct cmdq *out)
{
    const struct http_request *req = s->flow->request;
    const struct proxy_mode *mode = &cfg_of(s)->mode;
    if (killed(s, out))
        return;
    if (s->flow->response) {
        /* An addon answered the CONNECT itself. */
        s->ss = HS_DONE;
        hook(s, out, HW_RESPONSE, HOOK_RESPONSE);
        return;
    }
    /* A tunnel always gets a connection of its own. */
    struct connection *c = connection_new(CONN_SERVER);
    addr_set(&c->address, req->host, req->port);
    if (mode->kind == PROXY_MODE_UPSTREAM)
        addr_set(&c->via, mode->host, mode->port); /* the socket goes to the upstream proxy */
    s->tunnel = c;
    s->flow->server_conn = connection_ref(c);
    s->ss = HS_CONNECT;
    s->wait = HW_CONNECT_OPEN;
    layer_open(&s->base, out, c);
}

static void
tunnel_ready(struct http_stream *s, struct slice rest)
{
    s->handoff = HANDOFF_TUNNEL;
    s->handoff_server = connection_ref(s->tunnel);
    buf_append(&s->handoff_rest, rest.p, rest.len);
    s->done = 1;
}

static void
after_connect_open(struct http_stream *s, const char *err, struct cmdq *out)
{
    const struct proxy_config *cfg = cfg_of(s);
    if (err) {
        layer_log(&s->base, out, LOG_INFO, "error establishing server connection: %s", err);
        fail(s, out, 502, err);
        return;
    }
    if (cfg->mode.kind != PROXY_MODE_UPSTREAM) {
        tunnel_ready(s, (struct slice){NULL, 0});
        return;
    }
    /*
     * Upstream mode: ask the upstream proxy for the same tunnel. The
     * CONNECT we send is a flow of its own, which addons get in
     * http_connect_upstream (8.1.1's HttpConnectUpstreamHook) to add
     * headers to; upstream_auth's Proxy-Authorization is on it already, as
     * 8.1.1's upstream_auth addon sets it in that hook. It carries no Host:
     * the authority is on the request line, and 8.1.1 sends none either, so
     * an upstream proxy that records or checks headers sees the same bytes.
     */
    const struct http_request *req = s->flow->request;
    struct flow *f = flow_new_http(s->base.ctx->client, s->tunnel);
    struct http_request *r = f->request = http_request_new();
    struct buf authority = BUF_INIT;
    http_hostport_write(&authority, "", req->host, req->port, 1);
    free(r->authority);
    r->authority = buf_strdup(&authority);
    buf_clear(&authority);
    http_set_str(&r->host, req->host);
    r->port = req->port;
    http_set_str(&r->method, "CONNECT");
    http_set_str(&r->http_version, "HTTP/1.1");
    if (cfg->upstream_auth)
        hdrs_add_cstr(&r->headers, "Proxy-Authorization", cfg->upstream_auth);
    r->timestamp_start = r->timestamp_end = clock_now();
    s->upstream_connect = f;
    s->wait = HW_CONNECT_UPSTREAM;
    layer_hook(&s->base, out, HOOK_HTTP_CONNECT_UPSTREAM, f, NULL, NULL);
}

/* http_connect_upstream is through: the CONNECT goes as the addons left it. */
static void
send_connect_upstream(struct http_stream *s, struct cmdq *out)
{
    struct flow *f = s->upstream_connect;
    s->upstream_connect = NULL;
    if (f->killed && !s->flow->killed)
        flow_kill(s->flow); /* the tunnel goes with its CONNECT */
    if (killed(s, out)) {
        flow_unref(f);
        return;
    }
    struct buf b = BUF_INIT;
    http1_write_request_head(&b, f->request, HTTP1_FORM_AUTHORITY);
    layer_send_buf(&s->base, out, s->tunnel, &b);
    s->ss = HS_TUNNEL;
    flow_unref(f);
}

/* The upstream proxy's answer to our CONNECT, as it arrives. */
static void
tunnel_answer(struct http_stream *s, struct cmdq *out)
{
    struct http_response *resp = NULL;
    struct err e = {0};
    ssize_t n = http1_parse_response_head(buf_ptr(&s->tunnel_in), s->tunnel_in.len,
                                          &cfg_of(s)->limits, &resp, &e);
    if (n == MP_ERR_INCOMPLETE) {
        if (!(s->tunnel->state & CONN_CAN_READ))
            fail(s, out, 502, "upstream proxy closed the connection before answering CONNECT");
        return;
    }
    char msg[300];
    if (n < 0) {
        snprintf(msg, sizeof(msg), "upstream proxy: HTTP/1 protocol error: %s", e.msg);
        fail(s, out, 502, msg);
        return;
    }
    int status = resp->status_code;
    snprintf(msg, sizeof(msg), "upstream proxy refused CONNECT: %d %s", status, resp->reason);
    http_response_free(resp);
    if (status < 200 || status > 299) {
        fail(s, out, 502, msg);
        return;
    }
    buf_consume(&s->tunnel_in, (size_t)n);
    tunnel_ready(s, buf_slice(&s->tunnel_in));
    buf_clear(&s->tunnel_in);
}

/* --- WebSocket over HTTP/2 (RFC 8441) --- */

/* The WebSocket layer's commands: its client is this stream. */
static void
ws_commands(struct http_stream *s, struct cmdq *q, struct cmdq *out)
{
    struct command *c;
    while ((c = cmdq_pop(q)) != NULL) {
        if (c->conn == s->ws_client && c->type == CMD_SEND) {
            struct hev d = {.type = HEV_RESPONSE_DATA, .data = buf_slice(&c->data)};
            send_client(s, out, &d);
            cmd_free(c);
            continue;
        }
        if (c->conn == s->ws_client && c->type == CMD_CLOSE) {
            /* The end of the stream from our side (END_STREAM once sent). */
            s->ws_closed = 1;
            s->ws_client->state = CONN_CLOSED;
            struct hev end = {.type = HEV_RESPONSE_END};
            send_client(s, out, &end);
            cmd_free(c);
            continue;
        }
        if (c->blocking)
            s->ws_wait = c->id;
        cmdq_push(out, c);
    }
}

/* Feeds the WebSocket layer; its command ids come from the connection's counter. */
static void
ws_feed(struct http_stream *s, const struct event *ev, struct cmdq *out)
{
    struct cmdq q;
    cmdq_init(&q);
    s->ws_ctx->next_cmd_id = s->base.ctx->next_cmd_id;
    layer_feed(s->ws_layer, ev, &q);
    s->base.ctx->next_cmd_id = s->ws_ctx->next_cmd_id;
    ws_commands(s, &q, out);
}

/* The server answered 101: tell the client 200 and relay the WebSocket. */
static void
ws_start(struct http_stream *s, struct cmdq *out)
{
    struct context *ctx = s->base.ctx;
    struct http_response *r = s->flow->response;
    struct http_response *ok = http_response_new();
    ok->status_code = 200;
    http_set_str(&ok->http_version, "HTTP/2.0");
    static const char *const keep[] = {"sec-websocket-protocol", "sec-websocket-extensions"};
    for (size_t i = 0; i < 2; i++) {
        const struct hdr *f = hdrs_get(&r->headers, keep[i]);
        if (f)
            hdrs_add(&ok->headers, slice_cstr(keep[i]), slice_from(f->value, f->value_len));
    }
    struct hev head = {.type = HEV_RESPONSE_HEADERS, .response = ok, .request = s->flow->request};
    send_client(s, out, &head);
    http_response_free(ok);
    s->resp_sent = 1;
    s->resp_streamed = 1;
    s->ss = HS_WEBSOCKET;
    s->done = 1; /* as HTTP; it is let go of once both ends are gone */

    struct buf rest = BUF_INIT;
    s->ws_server = connection_ref(http__take_server(s->h, s, &rest));
    s->ws_client = connection_new(CONN_CLIENT);
    s->ws_client->state = CONN_OPEN;
    addr_set(&s->ws_client->peername, ctx->client->peername.host, ctx->client->peername.port);
    s->ws_ctx = context_new(s->ws_client, ctx->cfg);
    s->ws_layer = layer_websocket_new(s->ws_ctx, s->flow, s->ws_server);
    s->ws_layer->reads_while_paused = 1; /* other streams go on */
    struct event start = {.type = EV_START};
    ws_feed(s, &start, out);
    if (s->req_pending.len) {
        /* Frames the client sent before our 200 reached it. */
        struct buf b = BUF_INIT;
        buf_move(&b, &s->req_pending);
        struct event d = {.type = EV_DATA, .conn = s->ws_client, .data = buf_slice(&b)};
        ws_feed(s, &d, out);
        buf_clear(&b);
    }
    if (rest.len) {
        struct event d = {.type = EV_DATA, .conn = s->ws_server, .data = buf_slice(&rest)};
        ws_feed(s, &d, out);
    }
    buf_clear(&rest);
}

/* --- events --- */

static void
http_event(struct http_stream *s, const struct hev *ev, struct cmdq *out)
{
    switch (ev->type) {
    case HEV_REQUEST_HEADERS:
        request_headers(s, ev, out);
        return;
    case HEV_REQUEST_DATA:
        request_data(s, ev, out);
        return;
    case HEV_REQUEST_END:
        request_end(s, ev, out);
        return;
    case HEV_REQUEST_ERROR:
        request_error(s, ev, out);
        return;
    case HEV_RESPONSE_HEADERS:
        response_headers(s, ev, out);
        return;
    case HEV_RESPONSE_DATA:
        response_data(s, ev, out);
        return;
    case HEV_RESPONSE_END:
        response_end(s, ev, out);
        return;
    case HEV_RESPONSE_ERROR:
        response_error(s, ev, out);
        return;
    case HEV_SERVER_READY:
        server_ready(s, ev->msg, out);
        return;
    case HEV_RESPONSE_INTERIM:
        return;
    }
}

/* The blocking command the stream waited for is through. */
static void
resume(struct http_stream *s, const struct event *ev, struct cmdq *out)
{
    enum http_wait w = s->wait;
    s->wait = HW_NONE;
    switch (w) {
    case HW_REQUESTHEADERS:
        after_requestheaders(s, out);
        return;
    case HW_REQUEST:
        after_request(s, out);
        return;
    case HW_RESPONSEHEADERS:
        after_responseheaders(s, out);
        return;
    case HW_RESPONSE:
        after_response(s, out);
        return;
    case HW_ERROR:
        error_done(s, out);
        return;
    case HW_CONNECT:
        after_connect(s, out);
        return;
    case HW_OPEN:
        server_ready(s, ev->err, out);
        return;
    case HW_CONNECT_OPEN:
        after_connect_open(s, ev->err, out);
        return;
    case HW_CONNECT_UPSTREAM:
        send_connect_upstream(s, out);
        return;
    case HW_NONE:
        return;
    }
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct http_stream *s = (struct http_stream *)l;
    switch (ev->type) {
    case EV_START:
        if (s->replay) {
            s->flow->request->timestamp_start = clock_now();
            hook(s, out, HW_REQUESTHEADERS, HOOK_REQUESTHEADERS);
        }
        return;
    case EV_WAKEUP:
        /* The bell (id 0, which no command has): an HTTP event is here. */
        if (ev->cmd_id == 0 && s->cur) {
            const struct hev *e = s->cur;
            s->cur = NULL;
            http_event(s, e, out);
        }
        return;
    case EV_DONE:
        if (s->ws_wait && ev->cmd_id == s->ws_wait) {
            s->ws_wait = 0;
            ws_feed(s, ev, out);
            return;
        }
        resume(s, ev, out);
        drain(s, out);
        return;
    case EV_INJECT:
        if (s->ws_layer)
            ws_feed(s, ev, out);
        return;
    case EV_DATA:
    case EV_CLOSED:
        if (s->ws_layer) {
            ws_feed(s, ev, out);
            return;
        }
        if (s->tunnel && ev->conn == s->tunnel && s->ss == HS_TUNNEL) {
            if (ev->type == EV_DATA)
                buf_append(&s->tunnel_in, ev->data.p, ev->data.len);
            tunnel_answer(s, out);
        }
        return;
    }
}

/* --- life --- */

static struct http_stream *
stream_alloc(struct http_layer *h, struct context *ctx, int32_t id, int h2)
{
    struct http_stream *s = xcalloc(1, sizeof(*s));
    layer_init(&s->base, &stream_ops, ctx);
    /* HTTP/2: each stream waits alone; HTTP/1: the client waits with it. */
    s->base.reads_while_paused = h2;
    s->h = h;
    s->id = id;
    s->h2 = h2;
    s->req_length = -1;
    s->resp_length = -1;
    return s;
}

struct http_stream *
http__stream_new(struct http_layer *h, struct context *ctx, int32_t id, int h2)
{
    return stream_alloc(h, ctx, id, h2);
}

struct http_stream *
http__stream_new_replay(struct http_layer *h, struct context *ctx, struct flow *f)
{
    struct http_stream *s = stream_alloc(h, ctx, 1, 0);
    s->replay = 1;
    s->flow = flow_ref(f);
    f->live = 1;
    return s;
}

/* Everything but the layer itself and the links. */
static void
stream_clear(struct http_stream *s)
{
    layer_free(s->ws_layer);
    s->ws_layer = NULL;
    if (s->ws_ctx)
        context_free(s->ws_ctx);
    if (s->ws_client)
        connection_unref(s->ws_client);
    if (s->ws_server)
        connection_unref(s->ws_server);
    if (s->tunnel)
        connection_unref(s->tunnel);
    if (s->handoff_server)
        connection_unref(s->handoff_server);
    buf_clear(&s->handoff_rest);
    buf_clear(&s->tunnel_in);
    if (s->upstream_connect)
        flow_unref(s->upstream_connect);
    buf_clear(&s->req_pending);
    for (size_t i = 0; i < s->nq; i++) {
        drop_objects(&s->q[s->qhead + i].ev);
        free(s->q[s->qhead + i].mem);
    }
    free(s->q);
    if (s->flow) {
        s->flow->live = 0;
        flow_unref(s->flow);
    }
}

static void
stream_free(struct layer *l)
{
    struct http_stream *s = (struct http_stream *)l;
    stream_clear(s);
    free(s);
}

void
http__stream_free(struct http_stream *s)
{
    layer_free(&s->base);
}

void
http__stream_took(struct http_stream *s, size_t n)
{
    size_t pre = n < s->preacked ? n : s->preacked;
    s->preacked -= pre;
    n -= pre;
    size_t ack = n < s->unacked ? n : s->unacked;
    s->unacked -= ack;
    ack_server(s, ack);
}

static const struct layer_ops stream_ops = {
    .name = "http-stream",
    .handle = handle,
    .free = stream_free,
};
