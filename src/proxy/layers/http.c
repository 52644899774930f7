/*
 * The HTTP/1 proxy layer: one client connection, its flows one after the
 * other, and the server connections they use (mitmproxy's HttpLayer,
 * HttpStream, Http1Server and Http1Client folded into one state machine,
 * which HTTP/1's one-exchange-at-a-time nature allows).
 *
 * A flow walks through these steps; each arrow that names a hook or an
 * open is a blocking command, and the layer is paused until it is done:
 *
 *   REQ_HEAD --requestheaders--> REQ_BODY --request--> OPEN --open-->
 *   RESP_HEAD --responseheaders--> RESP_BODY --response--> (send) REQ_HEAD
 *
 * A streamed request opens the server right after requestheaders and
 * forwards body bytes as they come; a streamed response sends its head to
 * the client after responseheaders. Bodies at most stream_large_bodies long
 * are buffered so addons can read and change them. Any failure sets the
 * flow's error, raises the error hook, answers the client (502 for the
 * server's faults, 400 for the client's) where a response can still be
 * sent, and closes the client connection.
 *
 * Bytes that arrive for a message we are not reading yet (pipelined
 * requests, an early response) wait in cbuf/sbuf; nothing is parsed twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "flow/flow.h"
#include "http/http1.h"
#include "options/opt.h"
#include "proxy/layers/http_internal.h"
#include "proxy/layers/layers.h"
#include "util/clock.h"
#include "util/netaddr.h"
#include "util/xmalloc.h"

enum step {
    ST_REQ_HEAD,
    ST_REQHEADERS_HOOK,
    ST_REQ_BODY,
    ST_REQUEST_HOOK,
    ST_OPEN,
    ST_RESP_HEAD,
    ST_RESPHEADERS_HOOK,
    ST_RESP_BODY,
    ST_RESPONSE_HOOK,
    ST_CONNECT_HOOK,
    ST_CONNECT_OPEN,
    ST_UPSTREAM_CONNECT, /* upstream mode: our CONNECT to the upstream proxy is answered */
    ST_ERROR_HOOK,
    ST_TUNNEL, /* CONNECT or 101: the child layer relays */
    ST_CLOSED,
};

/* What to do once the server connection is open. */
enum after_open { AFTER_SEND_REQUEST, AFTER_STREAM_REQUEST };

#define MAX_SERVERS 8

struct http_layer {
    struct layer base;
    enum step step;
    struct buf cbuf; /* client bytes not yet consumed */
    struct buf sbuf; /* bytes of the current server not yet consumed */
    int client_eof;
    int server_eof;

    struct flow *flow; /* one reference; NULL between flows */
    struct connection *server; /* current server (one reference) or NULL */
    struct connection *pool[MAX_SERVERS]; /* open, idle or busy (references) */
    size_t npool;

    struct http1_body_reader reader;
    int reader_live;
    int req_chunked_out;  /* request goes to the server with chunked framing */
    int resp_chunked_out; /* response goes to the client with chunked framing */
    int streaming;        /* the current body is being streamed */
    int resp_sent;        /* response head already went to the client */
    int until_close;      /* response framed by connection close */
    enum after_open after_open;
    int error_status;     /* status of the error response owed to the client; 0 = none */
    int addon_response;   /* an addon answered the request (no server involved) */
    int replay;           /* client replay: one saved request, then close */
    struct layer *child;  /* ST_TUNNEL */

    /* Inside a tunnel (layer_http_new_tunnel): where requests go. */
    int tunnel;
    int tunnel_https;
    char *tunnel_host; /* owned */
    uint16_t tunnel_port;
    char *tunnel_sni;   /* owned; NULL = none */
    char *tunnel_error; /* owned; NULL = the server is reachable */
};

static const struct layer_ops http_ops;

/* mitmproxy's make_error_response, sent as it is. */
static void
send_error_response(struct http_layer *h, struct cmdq *out, int status, const char *msg)
{
    struct buf b = BUF_INIT;
    http__error_response_h1(&b, status, msg);
    layer_send_buf(&h->base, out, h->base.ctx->client, &b);
}

static void
close_all(struct http_layer *h, struct cmdq *out)
{
    for (size_t i = 0; i < h->npool; i++) {
        if (h->pool[i]->state != CONN_CLOSED)
            layer_close(&h->base, out, h->pool[i], 0);
        connection_unref(h->pool[i]);
    }
    h->npool = 0;
    if (h->server) {
        connection_unref(h->server);
        h->server = NULL;
    }
    if (h->base.ctx->client->state != CONN_CLOSED)
        layer_close(&h->base, out, h->base.ctx->client, 0);
    h->step = ST_CLOSED;
}

static void
drop_flow(struct http_layer *h)
{
    if (h->flow) {
        h->flow->live = 0;
        flow_unref(h->flow);
        h->flow = NULL;
    }
    if (h->reader_live) {
        http1_body_reader_clear(&h->reader);
        h->reader_live = 0;
    }
    h->streaming = 0;
    h->resp_sent = 0;
    h->until_close = 0;
    h->error_status = 0;
    h->addon_response = 0;
}

/*
 * Fails the current flow: sets its error, raises the error hook (the layer
 * pauses), and remembers to answer the client with status afterwards (0:
 * no response can be sent any more).
 */
static void
fail_flow(struct http_layer *h, struct cmdq *out, int status, const char *msg)
{
    if (h->flow == NULL) {
        if (status)
            send_error_response(h, out, status, msg);
        close_all(h, out);
        return;
    }
    if (h->flow->error == NULL || strcmp(msg, "Connection killed.") != 0)
        flow_set_error(h->flow, msg);
    h->error_status = h->resp_sent ? 0 : status;
    h->step = ST_ERROR_HOOK;
    layer_hook(&h->base, out, HOOK_ERROR, h->flow, NULL, NULL);
}

/* fail_flow() for a parse error of the codec: mitmproxy's "HTTP/1 protocol error: ..." */
static void
fail_protocol(struct http_layer *h, struct cmdq *out, int status, const struct err *e)
{
    char msg[300];
    snprintf(msg, sizeof(msg), "HTTP/1 protocol error: %s", e->msg);
    fail_flow(h, out, status, msg);
}

/* Forgets a server connection that closed or that we close. */
static void
pool_remove(struct http_layer *h, struct connection *c)
{
    for (size_t i = 0; i < h->npool; i++) {
        if (h->pool[i] == c) {
            connection_unref(c);
            h->pool[i] = h->pool[--h->npool];
            return;
        }
    }
}

/* The current server spoke out of line: close it and never reuse it. */
static void
drop_server(struct http_layer *h, struct cmdq *out)
{
    layer_close(&h->base, out, h->server, 0);
    pool_remove(h, h->server);
}

static int
in_pool(struct http_layer *h, struct connection *c)
{
    for (size_t i = 0; i < h->npool; i++)
        if (h->pool[i] == c)
            return 1;
    return 0;
}

static struct connection *
pool_find(struct http_layer *h, const char *host, uint16_t port)
{
    for (size_t i = 0; i < h->npool; i++) {
        struct connection *c = h->pool[i];
        if (c->state == CONN_OPEN && c->address.port == port && c->address.host &&
            strcmp(c->address.host, host) == 0)
            return c;
    }
    return NULL;
}

/* Whether the handler just emitted a blocking command of this layer's. */
static int
cmd_pending(const struct cmdq *out, const struct layer *l)
{
    struct command *last = cmdq_last(out);
    return last && last->blocking && last->waiter == l;
}

/* --- request side --- */

static int
start_flow(struct http_layer *h, struct cmdq *out, struct http_request *req,
           enum http1_form form)
{
    const struct proxy_config *cfg = h->base.ctx->cfg;
    struct context *ctx = h->base.ctx;

    h->flow = flow_new_http(ctx->client, NULL);
    h->flow->live = 1;
    h->flow->request = req;
    req->timestamp_start = clock_now();

    if (h->tunnel) {
        if (form == HTTP1_FORM_AUTHORITY) {
            fail_flow(h, out, 400, "CONNECT is not allowed inside a tunnel.");
            return -1;
        }
        http_set_str(&req->host, h->tunnel_host);
        req->port = h->tunnel_port;
        http_set_str(&req->scheme, h->tunnel_https ? "https" : "http");
        http_set_str(&req->authority, "");
        return 0;
    }

    if (cfg->mode.kind == PROXY_MODE_REVERSE) {
        if (form == HTTP1_FORM_AUTHORITY) {
            fail_flow(h, out, 400, "CONNECT is not allowed in reverse proxy mode.");
            return -1;
        }
        /* reverse:h2c:// is plain http in the flow; h1_over_h2 speaks HTTP/2 below us. */
        const char *scheme = strcmp(cfg->mode.scheme, "h2c") == 0 ? "http" : cfg->mode.scheme;
        http_set_str(&req->host, cfg->mode.host);
        http_set_str(&req->scheme, scheme);
        req->port = cfg->mode.port;
        if (form == HTTP1_FORM_ABSOLUTE)
            http_set_str(&req->authority, "");
        if (!cfg->opts->keep_host_header) {
            struct buf hp = BUF_INIT;
            http__format_hostport(&hp, scheme, cfg->mode.host, cfg->mode.port);
            hdrs_set(&req->headers, "Host", buf_slice(&hp));
            buf_clear(&hp);
        }
        return 0;
    }
    /* Regular and upstream mode: the client must tell us where to go. */
    switch (form) {
    case HTTP1_FORM_ABSOLUTE:
        if (cfg->mode.kind == PROXY_MODE_UPSTREAM && cfg->upstream_auth)
            hdrs_set_cstr(&req->headers, "Proxy-Authorization", cfg->upstream_auth);
        if (strcmp(req->scheme, "http") != 0) {
            fail_flow(h, out, 400,
                      "Invalid request scheme: only http:// URLs can be sent in the clear; "
                      "use CONNECT for https.");
            return -1;
        }
        /* The request goes upstream in origin form (mitmproxy issue 1759). */
        http_set_str(&req->authority, "");
        return 0;
    case HTTP1_FORM_AUTHORITY:
        return 0;
    case HTTP1_FORM_ORIGIN:
    case HTTP1_FORM_ASTERISK:
        break;
    }
    fail_flow(h, out, 400,
              "Invalid HTTP request form (expected: absolute or authority, got: relative).");
    return -1;
}

/*
 * An HTTP/2 client with prior knowledge (RFC 9113 3.3) on a port that
 * expects HTTP/1: it would not read an HTTP/1 error page, so it gets an
 * empty SETTINGS frame (the server preface) and a GOAWAY with
 * HTTP_1_1_REQUIRED, and the log gets one line instead of a flow.
 * (Reverse mode and CONNECT tunnels accept h2c; see nextlayer.c.)
 */
static void
refuse_h2_prior_knowledge(struct http_layer *h, struct cmdq *out)
{
    static const uint8_t frames[] = {
        0, 0, 0, 0x4, 0, 0, 0, 0, 0,                 /* SETTINGS, empty */
        0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xd, /* GOAWAY, last stream 0 */
    };
    layer_log(&h->base, out, LOG_INFO,
              "HTTP/2 with prior knowledge (h2c) is not supported on a regular proxy port; "
              "clients can use HTTP/1.1 or TLS with ALPN h2");
    layer_send(&h->base, out, h->base.ctx->client, frames, sizeof(frames));
    close_all(h, out);
}

static int
read_request_head(struct http_layer *h, struct cmdq *out)
{
    struct context *ctx = h->base.ctx;

    /* RFC 9112 2.2: ignore empty lines before a request line. */
    while (h->cbuf.len && (buf_ptr(&h->cbuf)[0] == '\r' || buf_ptr(&h->cbuf)[0] == '\n'))
        buf_consume(&h->cbuf, 1);
    if (h->cbuf.len == 0) {
        if (h->client_eof)
            close_all(h, out);
        return 0;
    }
    struct http_request *req = NULL;
    enum http1_form form;
    struct err e = {0};
    ssize_t n = http1_parse_request_head(buf_ptr(&h->cbuf), h->cbuf.len, &ctx->cfg->limits, &req,
                                         &form, &e);
    if (n == MP_ERR_INCOMPLETE) {
        if (h->client_eof) {
            layer_log(&h->base, out, LOG_INFO,
                      "client closed connection before completing request headers");
            close_all(h, out);
        }
        return 0;
    }
    if (n < 0) {
        layer_log(&h->base, out, LOG_INFO, "HTTP/1 protocol error in client request: %s", e.msg);
        send_error_response(h, out, 400, e.msg);
        close_all(h, out);
        return 0;
    }
    buf_consume(&h->cbuf, (size_t)n);
    if (form == HTTP1_FORM_ASTERISK && strcmp(req->method, "PRI") == 0 &&
        strcmp(req->http_version, "HTTP/2.0") == 0) {
        refuse_h2_prior_knowledge(h, out);
        http_request_free(req);
        return 0;
    }
    if (start_flow(h, out, req, form) < 0)
        return 0;

    if (form == HTTP1_FORM_AUTHORITY) {
        h->step = ST_CONNECT_HOOK;
        layer_hook(&h->base, out, HOOK_HTTP_CONNECT, h->flow, NULL, NULL);
        return 0;
    }
    struct http1_body body;
    if (http1_request_body(req, &body, &e) < 0) {
        fail_flow(h, out, 400, e.msg);
        return 0;
    }
    h->step = ST_REQHEADERS_HOOK;
    layer_hook(&h->base, out, HOOK_REQUESTHEADERS, h->flow, NULL, NULL);
    return 0;
}

static int
flow_killed(struct http_layer *h, struct cmdq *out)
{
    if (!h->flow->killed)
        return 0;
    h->resp_sent = 1; /* a killed flow gets no response */
    fail_flow(h, out, 0, "Connection killed.");
    return 1;
}

static void
need_server(struct http_layer *h, struct cmdq *out, enum after_open what)
{
    const struct http_request *req = h->flow->request;
    const struct proxy_mode *mode = &h->base.ctx->cfg->mode;
    h->after_open = what;
    /* Upstream mode: plain requests all go to the upstream proxy, in proxy form. */
    int via_upstream = mode->kind == PROXY_MODE_UPSTREAM && !h->tunnel;
    const char *dhost = via_upstream ? mode->host : req->host;
    uint16_t dport = via_upstream ? mode->port : req->port;
    struct connection *c = pool_find(h, dhost, dport);
    if (c) {
        h->server = connection_ref(c);
        if (h->flow->server_conn)
            connection_unref(h->flow->server_conn);
        h->flow->server_conn = connection_ref(c);
        h->step = ST_OPEN;
        return; /* step_open sees it open and goes on */
    }
    c = connection_new(CONN_SERVER);
    addr_set(&c->address, dhost, dport);
    if (!via_upstream && strcmp(req->scheme, "https") == 0) {
        /* The TLS layer below us speaks TLS on connections marked so. */
        c->tls = 1;
        if (h->tunnel)
            c->sni = h->tunnel_sni ? xstrdup(h->tunnel_sni) : NULL;
        else if (!netaddr_is_ip(req->host))
            c->sni = xstrdup(req->host);
    }
    if (h->npool == MAX_SERVERS) {
        /* Too many distinct servers for one client: drop the oldest idle one. */
        layer_close(&h->base, out, h->pool[0], 0);
        pool_remove(h, h->pool[0]);
    }
    h->pool[h->npool++] = connection_ref(c);
    h->server = c;
    if (h->flow->server_conn)
        connection_unref(h->flow->server_conn);
    h->flow->server_conn = connection_ref(c);
    buf_reset(&h->sbuf);
    h->server_eof = 0;
    h->step = ST_OPEN;
    layer_open(&h->base, out, c);
}

static struct command *
write_request_head(struct http_layer *h, struct cmdq *out)
{
    struct http_request *req = h->flow->request;
    struct buf b = BUF_INIT;
    h->req_chunked_out = hdrs_has_token(&req->headers, "transfer-encoding", "chunked");
    if (!h->req_chunked_out && !h->streaming) {
        /* An addon may have changed the body: keep Content-Length honest. */
        const struct hdr *cl = hdrs_get(&req->headers, "content-length");
        char num[32];
        snprintf(num, sizeof(num), "%zu", req->content.len);
        if (cl ? strcmp(cl->value, num) != 0 : req->content.len > 0)
            hdrs_set_cstr(&req->headers, "Content-Length", num);
    }
    int proxy_form = h->base.ctx->cfg->mode.kind == PROXY_MODE_UPSTREAM && !h->tunnel;
    http1_write_request_head(&b, req, proxy_form ? HTTP1_FORM_ABSOLUTE : HTTP1_FORM_ORIGIN);
    return layer_send_buf(&h->base, out, h->server, &b);
}

static void
send_body(struct http_layer *h, struct cmdq *out, struct connection *to, int chunked,
          const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (chunked) {
        struct buf b = BUF_INIT;
        http1_write_chunk(&b, p, n);
        layer_send_buf(&h->base, out, to, &b);
    } else {
        layer_send(&h->base, out, to, p, n);
    }
}

/* Like send_body, but hands the bytes of b over without copying them (b is left empty). */
static void
send_body_buf(struct http_layer *h, struct cmdq *out, struct connection *to, int chunked,
              struct buf *b)
{
    if (b->len == 0)
        return;
    if (chunked)
        send_body(h, out, to, 1, buf_ptr(b), b->len);
    else
        layer_send_buf(&h->base, out, to, b);
}

/*
 * Feeds bytes from in to the body reader: into content while buffering,
 * or, while streaming, straight on to `to`. Returns what http1_body_read
 * returned (bytes used, or an error with e set).
 */
static ssize_t
pump_body(struct http_layer *h, struct cmdq *out, struct buf *in, struct buf *content,
          struct connection *to, int chunked_out, struct err *e)
{
    struct buf tmp = BUF_INIT;
    ssize_t n = http1_body_read(&h->reader, buf_ptr(in), in->len, h->streaming ? &tmp : content,
                                e);
    if (n >= 0) {
        buf_consume(in, (size_t)n);
        if (h->streaming)
            send_body_buf(h, out, to, chunked_out, &tmp);
    }
    buf_clear(&tmp);
    return n;
}

static void
send_last_chunk(struct http_layer *h, struct cmdq *out, struct connection *to,
                const struct hdrs *trailers)
{
    struct buf b = BUF_INIT;
    http1_write_last_chunk(&b, trailers);
    layer_send_buf(&h->base, out, to, &b);
}

static void
after_requestheaders(struct http_layer *h, struct cmdq *out)
{
    const struct proxy_config *cfg = h->base.ctx->cfg;
    struct http_request *req = h->flow->request;
    struct err e = {0};

    if (flow_killed(h, out))
        return;
    if (h->replay) {
        /* The saved request is complete: its body is already in the flow. */
        req->timestamp_end = req->timestamp_start;
        h->step = ST_REQUEST_HOOK;
        layer_hook(&h->base, out, HOOK_REQUEST, h->flow, NULL, NULL);
        return;
    }
    if (http1_expects_continue(req)) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        layer_send(&h->base, out, h->base.ctx->client, cont, sizeof(cont) - 1);
        hdrs_remove(&req->headers, "expect");
    }
    struct http1_body body;
    if (http1_request_body(req, &body, &e) < 0) {
        fail_flow(h, out, 400, e.msg);
        return;
    }
    http1_body_reader_init(&h->reader, &body, &cfg->limits);
    h->reader_live = 1;
    buf_reset(&req->content);
    req->content_none = 0;
    if (body.kind == HTTP1_BODY_LENGTH && cfg->body_size_limit >= 0 &&
        body.length > (uint64_t)cfg->body_size_limit) {
        fail_flow(h, out, 413, "Request body exceeds mitmproxy's body_size_limit.");
        return;
    }
    h->step = ST_REQ_BODY;
    if (body.kind == HTTP1_BODY_LENGTH && cfg->stream_large_bodies >= 0 &&
        body.length > (uint64_t)cfg->stream_large_bodies) {
        h->streaming = 1;
        req->content_none = 1;
        if (h->tunnel_error) {
            fail_flow(h, out, 502, h->tunnel_error);
            return;
        }
        need_server(h, out, AFTER_STREAM_REQUEST);
    }
}

static int
read_request_body(struct http_layer *h, struct cmdq *out)
{
    const struct proxy_config *cfg = h->base.ctx->cfg;
    struct http_request *req = h->flow->request;
    struct err e = {0};

    if (!h->reader.done) {
        if (pump_body(h, out, &h->cbuf, &req->content, h->server, h->req_chunked_out, &e) < 0) {
            fail_protocol(h, out, 400, &e);
            return 0;
        }
        if (!h->streaming && cfg->body_size_limit >= 0 &&
            req->content.len > (uint64_t)cfg->body_size_limit) {
            fail_flow(h, out, 413, "Request body exceeds mitmproxy's body_size_limit.");
            return 0;
        }
        if (!h->streaming && cfg->stream_large_bodies >= 0 &&
            req->content.len > (uint64_t)cfg->stream_large_bodies) {
            /* Grew past the limit (chunked): send what we have and stream the rest. */
            h->streaming = 1;
            need_server(h, out, AFTER_STREAM_REQUEST);
            return h->step == ST_OPEN && h->server->state == CONN_OPEN;
        }
        if (!h->reader.done) {
            if (h->client_eof) {
                if (http1_body_eof(&h->reader, &e) < 0)
                    fail_protocol(h, out, 0, &e);
            }
            return 0;
        }
    }
    req->trailers = http1_body_take_trailers(&h->reader);
    req->timestamp_end = clock_now();
    if (h->streaming) {
        if (h->req_chunked_out)
            send_last_chunk(h, out, h->server, req->trailers);
        h->streaming = 0;
        buf_clear(&req->content);
        req->content_none = 1;
    }
    h->step = ST_REQUEST_HOOK;
    layer_hook(&h->base, out, HOOK_REQUEST, h->flow, NULL, NULL);
    return 0;
}

static void
after_request(struct http_layer *h, struct cmdq *out)
{
    if (flow_killed(h, out))
        return;
    if (h->reader_live)
        http1_body_reader_clear(&h->reader);
    h->reader_live = 0;
    if (h->flow->response) {
        /* An addon answered the request itself (mitmproxy: flow.response set in
         * requestheaders or request); emulate responseheaders, then response. */
        h->addon_response = 1;
        h->flow->response->timestamp_start = clock_now();
        h->step = ST_RESPHEADERS_HOOK;
        layer_hook(&h->base, out, HOOK_RESPONSEHEADERS, h->flow, NULL, NULL);
        return;
    }
    if (h->server && h->after_open == AFTER_STREAM_REQUEST) {
        h->step = ST_RESP_HEAD; /* the request already went out */
        return;
    }
    if (h->tunnel_error) {
        fail_flow(h, out, 502, h->tunnel_error);
        return;
    }
    need_server(h, out, AFTER_SEND_REQUEST);
}

static int
step_open(struct http_layer *h, struct cmdq *out, const struct event *ev)
{
    if (ev && ev->type == EV_DONE && ev->err) {
        layer_log(&h->base, out, LOG_INFO, "error establishing server connection: %s", ev->err);
        pool_remove(h, h->server);
        connection_unref(h->server);
        h->server = NULL;
        fail_flow(h, out, 502, ev->err);
        return 0;
    }
    if (h->server->state != CONN_OPEN)
        return 0;
    struct http_request *req = h->flow->request;
    struct command *head = write_request_head(h, out);
    if (h->after_open == AFTER_STREAM_REQUEST) {
        /* Whatever was buffered before we decided to stream goes first. */
        send_body(h, out, h->server, h->req_chunked_out, buf_ptr(&req->content),
                  req->content.len);
        buf_clear(&req->content);
        req->content_none = 1;
        h->step = h->reader_live ? ST_REQ_BODY : ST_RESP_HEAD;
        return 1;
    }
    /* Head and body in one send: one write(2) per request. */
    if (h->req_chunked_out) {
        http1_write_chunk(&head->data, buf_ptr(&req->content), req->content.len);
        http1_write_last_chunk(&head->data, req->trailers);
    } else if (req->content.len) {
        buf_append(&head->data, buf_ptr(&req->content), req->content.len);
    }
    h->step = ST_RESP_HEAD;
    return 1;
}

/* --- response side --- */

static struct command *
send_response_head(struct http_layer *h, struct cmdq *out)
{
    struct http_response *resp = h->flow->response;
    struct buf b = BUF_INIT;
    h->resp_chunked_out = hdrs_has_token(&resp->headers, "transfer-encoding", "chunked");
    if (!h->resp_chunked_out && !h->streaming && !h->until_close &&
        strcmp(h->flow->request->method, "HEAD") != 0 && resp->status_code != 204 &&
        resp->status_code != 304 && resp->status_code >= 200) {
        const struct hdr *cl = hdrs_get(&resp->headers, "content-length");
        char num[32];
        snprintf(num, sizeof(num), "%zu", resp->content.len);
        /* An addon's response may come without framing: give it a length. */
        if (cl ? strcmp(cl->value, num) != 0 : h->addon_response)
            hdrs_set_cstr(&resp->headers, "Content-Length", num);
    }
    http1_write_response_head(&b, resp);
    h->resp_sent = 1;
    return layer_send_buf(&h->base, out, h->base.ctx->client, &b);
}

static int
read_response_head(struct http_layer *h, struct cmdq *out)
{
    const struct proxy_config *cfg = h->base.ctx->cfg;
    struct err e = {0};
    for (;;) {
        struct http_response *resp = NULL;
        ssize_t n = http1_parse_response_head(buf_ptr(&h->sbuf), h->sbuf.len, &cfg->limits,
                                              &resp, &e);
        if (n == MP_ERR_INCOMPLETE) {
            if (h->server_eof) {
                drop_server(h, out);
                fail_flow(h, out, 502, "server closed connection");
            }
            return 0;
        }
        if (n < 0) {
            drop_server(h, out);
            fail_protocol(h, out, 502, &e);
            return 0;
        }
        buf_consume(&h->sbuf, (size_t)n);
        if (resp->status_code >= 100 && resp->status_code < 200 && resp->status_code != 101) {
            /* Interim responses go straight through. */
            struct buf b = BUF_INIT;
            http1_write_response_head(&b, resp);
            layer_send_buf(&h->base, out, h->base.ctx->client, &b);
            http_response_free(resp);
            continue;
        }
        resp->timestamp_start = clock_now();
        h->flow->response = resp;
        struct http1_body body;
        if (http1_response_body(h->flow->request->method, resp, &body, &e) < 0) {
            drop_server(h, out);
            fail_protocol(h, out, 502, &e);
            return 0;
        }
        http1_body_reader_init(&h->reader, &body, &cfg->limits);
        h->reader_live = 1;
        h->until_close = body.kind == HTTP1_BODY_UNTIL_CLOSE;
        h->step = ST_RESPHEADERS_HOOK;
        layer_hook(&h->base, out, HOOK_RESPONSEHEADERS, h->flow, NULL, NULL);
        return 0;
    }
}

static void
after_responseheaders(struct http_layer *h, struct cmdq *out)
{
    const struct proxy_config *cfg = h->base.ctx->cfg;
    if (flow_killed(h, out))
        return;
    if (h->addon_response) {
        if (h->flow->response->timestamp_end == 0)
            h->flow->response->timestamp_end = clock_now();
        h->step = ST_RESPONSE_HOOK;
        layer_hook(&h->base, out, HOOK_RESPONSE, h->flow, NULL, NULL);
        return;
    }
    const struct http1_body *body = &h->reader.body;
    if (cfg->body_size_limit >= 0 && body->kind == HTTP1_BODY_LENGTH &&
        body->length > (uint64_t)cfg->body_size_limit) {
        drop_server(h, out);
        fail_flow(h, out, 502, "Response body exceeds mitmproxy's body_size_limit.");
        return;
    }
    int64_t limit = cfg->stream_large_bodies;
    if (limit >= 0 && ((body->kind == HTTP1_BODY_LENGTH && body->length > (uint64_t)limit) ||
                       body->kind == HTTP1_BODY_UNTIL_CLOSE)) {
        h->streaming = 1;
        h->flow->response->content_none = 1;
        send_response_head(h, out);
    }
    h->step = ST_RESP_BODY;
}

static int
read_response_body(struct http_layer *h, struct cmdq *out)
{
    const struct proxy_config *cfg = h->base.ctx->cfg;
    struct http_response *resp = h->flow->response;
    struct connection *client = h->base.ctx->client;
    struct err e = {0};

    if (!h->reader.done) {
        if (pump_body(h, out, &h->sbuf, &resp->content, client, h->resp_chunked_out, &e) < 0) {
            drop_server(h, out);
            fail_protocol(h, out, 502, &e);
            return 0;
        }
        if (!h->streaming && cfg->body_size_limit >= 0 &&
            resp->content.len > (uint64_t)cfg->body_size_limit) {
            drop_server(h, out);
            fail_flow(h, out, 502, "Response body exceeds mitmproxy's body_size_limit.");
            return 0;
        }
        if (!h->streaming && cfg->stream_large_bodies >= 0 &&
            resp->content.len > (uint64_t)cfg->stream_large_bodies) {
            /* Grew past the limit (chunked): send what we have, stream the rest. */
            h->streaming = 1;
            send_response_head(h, out);
            send_body(h, out, client, h->resp_chunked_out, buf_ptr(&resp->content),
                      resp->content.len);
            buf_clear(&resp->content);
            resp->content_none = 1;
        }
        if (!h->reader.done) {
            if (!h->server_eof)
                return 0;
            if (http1_body_eof(&h->reader, &e) < 0) {
                /* As mitmproxy: an incomplete body is not stored (content None). */
                buf_clear(&resp->content);
                resp->content_none = 1;
                /* The server stays in the pool: close_all() closes it after the hook. */
                fail_protocol(h, out, 502, &e);
                return 0;
            }
        }
    }
    resp->trailers = http1_body_take_trailers(&h->reader);
    resp->timestamp_end = clock_now();
    if (h->streaming) {
        if (h->resp_chunked_out)
            send_last_chunk(h, out, client, resp->trailers);
        buf_clear(&resp->content);
        resp->content_none = 1;
    }
    /* Before the response hook, so that addons see a WebSocket is coming. */
    layer_websocket_mark(h->base.ctx, h->flow);
    h->step = ST_RESPONSE_HOOK;
    layer_hook(&h->base, out, HOOK_RESPONSE, h->flow, NULL, NULL);
    return 0;
}

/*
 * A streamed response body read straight from the event's bytes, without
 * first copying them into sbuf (a copy per byte saved on large downloads).
 * Returns what is left for the normal path: framing errors, the end of the
 * body and anything after it are handled there.
 */
static struct slice
stream_direct(struct http_layer *h, struct cmdq *out, struct slice data)
{
    if (h->reader.done || h->reader.body.kind == HTTP1_BODY_CHUNKED)
        return data;
    struct buf tmp = BUF_INIT;
    struct err e = {0};
    ssize_t n = http1_body_read(&h->reader, data.p, data.len, &tmp, &e);
    if (n <= 0) {
        buf_clear(&tmp);
        return data;
    }
    send_body_buf(h, out, h->base.ctx->client, h->resp_chunked_out, &tmp);
    buf_clear(&tmp);
    return (struct slice){data.p + n, data.len - (size_t)n};
}

/* A 101 to Upgrade: websocket: both connections go to the WebSocket layer,
 * with whatever bytes either side sent after the handshake. */
static void
start_websocket(struct http_layer *h, struct cmdq *out)
{
    struct connection *server = h->server;
    struct connection *client = h->base.ctx->client;
    h->child = layer_websocket_new(h->base.ctx, h->flow, server);
    h->step = ST_TUNNEL;
    pool_remove(h, server);
    h->server = NULL;
    drop_flow(h);
    layer_start_child(h->child, out, client, buf_slice(&h->cbuf), server, buf_slice(&h->sbuf));
    buf_reset(&h->cbuf);
    buf_reset(&h->sbuf);
    connection_unref(server);
}

/* The response hook is through: send what is left and get ready for the next request. */
static int
finish_flow(struct http_layer *h, struct cmdq *out)
{
    struct http_request *req = h->flow->request;
    struct http_response *resp = h->flow->response;

    if (flow_killed(h, out))
        return 0;
    if (!h->resp_sent) {
        /* Head and body in one send: one write(2) per response. */
        struct command *cmd = send_response_head(h, out);
        if (h->resp_chunked_out) {
            http1_write_chunk(&cmd->data, buf_ptr(&resp->content), resp->content.len);
            http1_write_last_chunk(&cmd->data, resp->trailers);
        } else if (resp->content.len) {
            buf_append(&cmd->data, buf_ptr(&resp->content), resp->content.len);
        }
    }
    if (resp->status_code == 101 && h->flow->websocket && h->server) {
        start_websocket(h, out);
        return 0;
    }
    int client_keep = !h->until_close && !h->replay &&
                      http1_keep_alive(req->http_version, &req->headers) &&
                      http1_keep_alive(resp->http_version, &resp->headers);
    if (h->server) {
        int server_keep = client_keep && !h->server_eof && h->sbuf.len == 0;
        if (!server_keep && in_pool(h, h->server)) {
            drop_server(h, out);
        }
        connection_unref(h->server);
        h->server = NULL;
    }
    drop_flow(h);
    if (!client_keep) {
        close_all(h, out);
        return 0;
    }
    /* An idle keep-alive connection should cost little memory: drop empty buffers. */
    if (h->cbuf.len == 0)
        buf_clear(&h->cbuf);
    if (h->sbuf.len == 0)
        buf_clear(&h->sbuf);
    h->step = ST_REQ_HEAD;
    return 1;
}

/* --- CONNECT --- */

static void
after_connect_hook(struct http_layer *h, struct cmdq *out)
{
    if (flow_killed(h, out))
        return;
    if (h->flow->response) {
        /* An addon answered the CONNECT itself. */
        h->step = ST_RESPONSE_HOOK;
        layer_hook(&h->base, out, HOOK_RESPONSE, h->flow, NULL, NULL);
        return;
    }
    /* A tunnel always gets a connection of its own. */
    const struct http_request *req = h->flow->request;
    struct connection *c = connection_new(CONN_SERVER);
    addr_set(&c->address, req->host, req->port);
    const struct proxy_mode *mode = &h->base.ctx->cfg->mode;
    if (mode->kind == PROXY_MODE_UPSTREAM)
        addr_set(&c->via, mode->host, mode->port); /* the socket goes to the upstream proxy */
    h->server = c;
    h->flow->server_conn = connection_ref(c);
    h->step = ST_CONNECT_OPEN;
    layer_open(&h->base, out, c);
}

static void tunnel_handover(struct http_layer *h, struct cmdq *out);

/* Upstream mode: ask the upstream proxy for the same tunnel. */
static void
send_upstream_connect(struct http_layer *h, struct cmdq *out)
{
    const struct http_request *req = h->flow->request;
    const struct proxy_config *cfg = h->base.ctx->cfg;
    struct buf b = BUF_INIT;
    int v6 = strchr(req->host, ':') != NULL;
    buf_printf(&b, v6 ? "CONNECT [%s]:%u HTTP/1.1\r\nHost: [%s]:%u\r\n" : "CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n",
               req->host, req->port, req->host, req->port);
    if (cfg->upstream_auth)
        buf_printf(&b, "Proxy-Authorization: %s\r\n", cfg->upstream_auth);
    buf_append_str(&b, "\r\n");
    layer_send_buf(&h->base, out, h->server, &b);
    h->step = ST_UPSTREAM_CONNECT;
}

static int
read_upstream_connect(struct http_layer *h, struct cmdq *out)
{
    struct http_response *resp = NULL;
    struct err e = {0};
    ssize_t n = http1_parse_response_head(buf_ptr(&h->sbuf), h->sbuf.len,
                                          &h->base.ctx->cfg->limits, &resp, &e);
    if (n == MP_ERR_INCOMPLETE) {
        if (h->server_eof)
            fail_flow(h, out, 502, "upstream proxy closed the connection before answering CONNECT");
        return 0;
    }
    char msg[300];
    if (n < 0) {
        snprintf(msg, sizeof(msg), "upstream proxy: HTTP/1 protocol error: %s", e.msg);
        fail_flow(h, out, 502, msg);
        return 0;
    }
    int status = resp->status_code;
    snprintf(msg, sizeof(msg), "upstream proxy refused CONNECT: %d %s", status, resp->reason);
    http_response_free(resp);
    if (status < 200 || status > 299) {
        fail_flow(h, out, 502, msg);
        return 0;
    }
    buf_consume(&h->sbuf, (size_t)n);
    tunnel_handover(h, out);
    return 0;
}

static void
connect_open_done(struct http_layer *h, struct cmdq *out, const struct event *ev)
{
    if (ev && ev->type == EV_DONE && ev->err) {
        step_open(h, out, ev); /* logs, answers 502 */
        return;
    }
    if (h->base.ctx->cfg->mode.kind == PROXY_MODE_UPSTREAM) {
        send_upstream_connect(h, out);
        return;
    }
    tunnel_handover(h, out);
}

/* The tunnel is up: answer the client and let the next layer take over. */
static void
tunnel_handover(struct http_layer *h, struct cmdq *out)
{
    static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
    layer_send(&h->base, out, h->base.ctx->client, ok, sizeof(ok) - 1);
    struct connection *server = h->server;
    h->child = layer_nextlayer_new(h->base.ctx, server);
    h->step = ST_TUNNEL;
    /* The tunnel owns the server connection from here on. */
    pool_remove(h, server);
    connection_unref(h->server);
    h->server = NULL;
    drop_flow(h);
    /* Some clients send superfluous newlines after CONNECT (mitmproxy strips them too).
     * Bytes the upstream proxy sent right after its 200 belong to the tunnel. */
    while (h->cbuf.len && (buf_ptr(&h->cbuf)[0] == '\r' || buf_ptr(&h->cbuf)[0] == '\n'))
        buf_consume(&h->cbuf, 1);
    layer_start_child(h->child, out, h->base.ctx->client, buf_slice(&h->cbuf), server,
                      buf_slice(&h->sbuf));
    buf_reset(&h->cbuf);
    buf_reset(&h->sbuf);
}

/* --- the event loop of the layer --- */

static int
advance(struct http_layer *h, struct cmdq *out, const struct event *ev)
{
    switch (h->step) {
    case ST_REQ_HEAD:
        return read_request_head(h, out);
    case ST_REQHEADERS_HOOK:
        after_requestheaders(h, out);
        return !cmd_pending(out, &h->base);
    case ST_REQ_BODY:
        return read_request_body(h, out);
    case ST_REQUEST_HOOK:
        after_request(h, out);
        return !cmd_pending(out, &h->base);
    case ST_OPEN:
        return step_open(h, out, ev);
    case ST_RESP_HEAD:
        return read_response_head(h, out);
    case ST_RESPHEADERS_HOOK:
        after_responseheaders(h, out);
        return !cmd_pending(out, &h->base);
    case ST_RESP_BODY:
        return read_response_body(h, out);
    case ST_RESPONSE_HOOK:
        return finish_flow(h, out);
    case ST_CONNECT_HOOK:
        after_connect_hook(h, out);
        return 0;
    case ST_CONNECT_OPEN:
        connect_open_done(h, out, ev);
        return 0;
    case ST_UPSTREAM_CONNECT:
        return read_upstream_connect(h, out);
    case ST_ERROR_HOOK: {
        if (h->error_status) {
            char *msg = xstrdup(h->flow->error ? h->flow->error->msg : "error");
            send_error_response(h, out, h->error_status, msg);
            free(msg);
        }
        drop_flow(h);
        close_all(h, out);
        return 0;
    }
    case ST_TUNNEL:
    case ST_CLOSED:
        return 0;
    }
    return 0;
}

/*
 * Steps that wait for a blocking command run only when its EV_DONE comes
 * (ev != NULL); steps that wait for bytes run on any event. The loop stops
 * when a step made no progress or emitted a blocking command.
 */
static int
waits_for_done(enum step s)
{
    switch (s) {
    case ST_REQHEADERS_HOOK:
    case ST_REQUEST_HOOK:
    case ST_RESPHEADERS_HOOK:
    case ST_RESPONSE_HOOK:
    case ST_CONNECT_HOOK:
    case ST_CONNECT_OPEN:
    case ST_ERROR_HOOK:
        return 1;
    default:
        return 0;
    }
}

static void
run_steps(struct http_layer *h, struct cmdq *out, const struct event *ev)
{
    /* The step that the EV_DONE completes runs once with the event. */
    if (ev && ev->type == EV_DONE) {
        if (!advance(h, out, ev))
            return;
    }
    for (int guard = 0; guard < 100000; guard++) {
        if (cmd_pending(out, &h->base) || h->step == ST_CLOSED || h->step == ST_TUNNEL)
            return;
        if (waits_for_done(h->step))
            return;
        if (h->step == ST_OPEN && (h->server == NULL || h->server->state != CONN_OPEN))
            return;
        if (!advance(h, out, NULL))
            return;
    }
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct http_layer *h = (struct http_layer *)l;
    struct connection *client = l->ctx->client;

    if (h->step == ST_TUNNEL) {
        layer_feed(h->child, ev, out);
        return;
    }
    switch (ev->type) {
    case EV_START:
        if (h->replay && h->flow) {
            h->flow->request->timestamp_start = clock_now();
            h->step = ST_REQHEADERS_HOOK;
            layer_hook(l, out, HOOK_REQUESTHEADERS, h->flow, NULL, NULL);
            return;
        }
        run_steps(h, out, NULL);
        return;
    case EV_DATA:
        if (ev->conn == client) {
            buf_append(&h->cbuf, ev->data.p, ev->data.len);
        } else if (ev->conn == h->server) {
            struct slice rest = ev->data;
            if (h->step == ST_RESP_BODY && h->streaming && h->sbuf.len == 0)
                rest = stream_direct(h, out, rest);
            buf_append(&h->sbuf, rest.p, rest.len);
        } else {
            /* An idle pooled connection spoke out of turn: it is of no use now. */
            layer_close(l, out, ev->conn, 0);
            pool_remove(h, ev->conn);
            return;
        }
        run_steps(h, out, NULL);
        return;
    case EV_CLOSED:
        if (ev->conn == client) {
            h->client_eof = 1;
            if (h->flow && h->step != ST_REQ_BODY && h->step != ST_REQ_HEAD) {
                /* mitmproxy: a peer that sent a FIN wants no more data from us;
                 * close_all() closes it once the error hook is through. */
                fail_flow(h, out, 0, "Client disconnected.");
                return;
            }
        } else if (ev->conn == h->server) {
            h->server_eof = 1;
        } else {
            if (ev->conn->state != CONN_CLOSED)
                layer_close(l, out, ev->conn, 0);
            pool_remove(h, ev->conn);
            return;
        }
        run_steps(h, out, NULL);
        return;
    case EV_DONE:
        run_steps(h, out, ev);
        return;
    case EV_WAKEUP:
        return;
    }
}

static void
http_free(struct layer *l)
{
    struct http_layer *h = (struct http_layer *)l;
    drop_flow(h);
    for (size_t i = 0; i < h->npool; i++)
        connection_unref(h->pool[i]);
    if (h->server)
        connection_unref(h->server);
    layer_free(h->child);
    free(h->tunnel_host);
    free(h->tunnel_sni);
    free(h->tunnel_error);
    buf_clear(&h->cbuf);
    buf_clear(&h->sbuf);
    free(h);
}

static const struct layer_ops http_ops = {
    .name = "http",
    .handle = handle,
    .free = http_free,
};

struct layer *
layer_http_new(struct context *ctx)
{
    struct http_layer *h = xcalloc(1, sizeof(*h));
    layer_init(&h->base, &http_ops, ctx);
    h->step = ST_REQ_HEAD;
    return &h->base;
}

struct layer *
layer_http_new_replay(struct context *ctx, struct flow *f)
{
    struct http_layer *h = (struct http_layer *)layer_http_new(ctx);
    h->replay = 1;
    h->flow = flow_ref(f);
    f->live = 1;
    return &h->base;
}

struct layer *
layer_http_new_tunnel(struct context *ctx, struct connection *server, int https,
                      const char *server_error)
{
    struct http_layer *h = (struct http_layer *)layer_http_new(ctx);
    h->tunnel = 1;
    h->tunnel_https = https;
    h->tunnel_host = xstrdup(server->address.host ? server->address.host : "");
    h->tunnel_port = server->address.port;
    h->tunnel_sni = server->sni ? xstrdup(server->sni) : NULL;
    h->tunnel_error = server_error ? xstrdup(server_error) : NULL;
    if (server->state == CONN_OPEN && !server_error)
        h->pool[h->npool++] = connection_ref(server);
    return &h->base;
}
