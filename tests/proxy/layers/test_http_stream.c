/*
 * The stream layer seen from both kinds of client: every scenario runs with
 * an HTTP/1.1 client and with an HTTP/2 client, against an HTTP/1.1 server
 * and against an HTTP/2 (h2c) server, and must raise the same hooks in the
 * same order and give the client the same answer (a status, or none: an
 * HTTP/1 connection closed, an HTTP/2 stream reset). Each combination runs
 * three ways, as playbooks do: data events whole, cut into 1-byte pieces,
 * and cut in two.
 *
 * The test plays the client (our HTTP/1 codec, or an nghttp2 client
 * session), the addons (each hook is answered; a scenario may kill the flow
 * or answer the request at one) and the server (HTTP/1.1 parsed with our
 * codec, or an nghttp2 server session), which answers as the scenario says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/test.h"

#include "flow/connection.h"
#include "flow/flow.h"
#include "h2/h2.h"
#include "http/http1.h"
#include "options/opt.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

#define NONE HOOK__COUNT
#define MAXH 16
#define BIG_BODY "0123456789012345678901234567890123456789" /* over the 16 of stream_16 */

enum server_does {
    ANSWER,         /* 200 with the request's path as body */
    ANSWER_BIG,     /* 200 with BIG_BODY */
    REFUSE,         /* the open fails */
    CLOSE_EARLY,    /* closes without an answer */
    CLOSE_MID_BODY, /* sends a head announcing 10 bytes, 3 of them, and closes */
};

struct scenario {
    const char *name;
    const char *method;
    const char *body; /* NULL: none */
    enum server_does server;
    enum hook kill_at;   /* NONE, or the hook at which an addon kills the flow */
    enum hook answer_at; /* NONE, or the hook at which an addon answers (204) */
    const char *option;  /* "name=value" or NULL */
    enum hook hooks[MAXH];
    int status;       /* what the client gets; 0: no answer */
    int content_none; /* the response hook sees no body (streamed) */
    int request_none; /* the request hook sees no body (streamed) */
};

#define RQH HOOK_REQUESTHEADERS
#define RQ HOOK_REQUEST
#define RSH HOOK_RESPONSEHEADERS
#define RS HOOK_RESPONSE
#define ERR HOOK_ERROR
#define END NONE

static const struct scenario scenarios[] = {
    {"get", "GET", NULL, ANSWER, NONE, NONE, NULL, {RQH, RQ, RSH, RS, END}, 200, 0, 0},
    {"post", "POST", "posted body", ANSWER, NONE, NONE, NULL, {RQH, RQ, RSH, RS, END}, 200, 0, 0},
    {"kill_requestheaders", "GET", NULL, ANSWER, RQH, NONE, NULL, {RQH, ERR, END}, 0, 0, 0},
    {"kill_request", "POST", "x", ANSWER, RQ, NONE, NULL, {RQH, RQ, ERR, END}, 0, 0, 0},
    {"kill_responseheaders",
     "GET",
     NULL,
     ANSWER,
     RSH,
     NONE,
     NULL,
     {RQH, RQ, RSH, ERR, END},
     0,
     0,
     0},
    {"kill_response", "GET", NULL, ANSWER, RS, NONE, NULL, {RQH, RQ, RSH, RS, ERR, END}, 0, 0, 0},
    {"addon_answers_requestheaders",
     "GET",
     NULL,
     ANSWER,
     NONE,
     RQH,
     NULL,
     {RQH, RQ, RSH, RS, END},
     204,
     0,
     0},
    {"addon_answers_request",
     "POST",
     "x",
     ANSWER,
     NONE,
     RQ,
     NULL,
     {RQH, RQ, RSH, RS, END},
     204,
     0,
     0},
    {"open_refused", "GET", NULL, REFUSE, NONE, NONE, NULL, {RQH, RQ, ERR, END}, 502, 0, 0},
    {"server_closes_early",
     "GET",
     NULL,
     CLOSE_EARLY,
     NONE,
     NONE,
     NULL,
     {RQH, RQ, ERR, END},
     502,
     0,
     0},
    {"server_closes_mid_body",
     "GET",
     NULL,
     CLOSE_MID_BODY,
     NONE,
     NONE,
     NULL,
     {RQH, RQ, RSH, ERR, END},
     502,
     0,
     0},
    {"response_streams",
     "GET",
     NULL,
     ANSWER_BIG,
     NONE,
     NONE,
     "stream_large_bodies=16",
     {RQH, RQ, RSH, RS, END},
     200,
     1,
     0},
    {"request_streams",
     "POST",
     BIG_BODY,
     ANSWER,
     NONE,
     NONE,
     "stream_large_bodies=16",
     {RQH, RQ, RSH, RS, END},
     200,
     0,
     1},
    {"request_over_body_size_limit",
     "POST",
     BIG_BODY,
     ANSWER,
     NONE,
     NONE,
     "body_size_limit=16",
     {RQH, ERR, END},
     -1,
     0,
     0},
};

/* --- one run --- */

struct run {
    const struct scenario *sc;
    int h2_client, h2_server;
    size_t split; /* 0 whole; 1 bytes; 2 halves */
    struct options *opts;
    struct proxy_config cfg;
    struct connection *client;
    struct context *ctx;
    struct layer *l;
    struct cmdq q;
    /* the client */
    struct buf cin;      /* HTTP/1: bytes from the proxy */
    nghttp2_session *cs; /* HTTP/2 */
    int32_t sid;
    int status;
    int reset;
    struct buf body;
    /* the server */
    struct connection *server; /* one reference */
    nghttp2_session *ss;       /* HTTP/2 server */
    struct buf sin;            /* HTTP/1: bytes from the proxy */
    struct buf got;            /* the request body the server received */
    int answered;
    /* the addons */
    enum hook hooks[MAXH];
    size_t nhooks;
    int content_none, request_none;
};

static void
feed(struct run *r, struct connection *c, const uint8_t *p, size_t n)
{
    size_t piece = r->split == 1 ? 1 : r->split == 2 ? (n + 1) / 2 : n;
    for (size_t off = 0; off < n;) {
        size_t len = n - off < piece ? n - off : piece;
        struct event ev = {.type = EV_DATA, .conn = c, .data = slice_from(p + off, len)};
        layer_feed(r->l, &ev, &r->q);
        off += len;
    }
}

static void
closed(struct run *r, struct connection *c)
{
    c->state &= ~CONN_CAN_READ;
    struct event ev = {.type = EV_CLOSED, .conn = c};
    layer_feed(r->l, &ev, &r->q);
}

/* HTTP/1.1 server: one answer once the request (head and body) is in. */
static void
h1_server(struct run *r)
{
    struct http_request *req = NULL;
    enum http1_form form;
    struct err e = {0};
    if (r->answered)
        return;
    ssize_t n =
        http1_parse_request_head(buf_ptr(&r->sin), r->sin.len, &r->cfg.limits, &req, &form, &e);
    if (n <= 0)
        return;
    struct http1_body body;
    ASSERT_EQ(http1_request_body(req, &body, &e), 0);
    struct http1_body_reader rd;
    http1_body_reader_init(&rd, &body, &r->cfg.limits);
    struct buf got = BUF_INIT;
    ssize_t m = http1_body_read(&rd, buf_ptr(&r->sin) + n, r->sin.len - (size_t)n, &got, &e);
    int done = m >= 0 && rd.done;
    http1_body_reader_clear(&rd);
    if (!done) {
        buf_clear(&got);
        http_request_free(req);
        return;
    }
    r->answered = 1;
    buf_move(&r->got, &got);
    struct buf b = BUF_INIT;
    switch (r->sc->server) {
    case ANSWER:
        buf_printf(&b, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s", strlen(req->path),
                   req->path);
        break;
    case ANSWER_BIG:
        buf_printf(&b, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s", strlen(BIG_BODY),
                   BIG_BODY);
        break;
    case CLOSE_MID_BODY:
        buf_append_str(&b, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        break;
    default:
        break;
    }
    http_request_free(req);
    if (b.len)
        feed(r, r->server, buf_ptr(&b), b.len);
    buf_clear(&b);
    if (r->sc->server == CLOSE_EARLY || r->sc->server == CLOSE_MID_BODY)
        closed(r, r->server);
}

/* --- the HTTP/2 peers --- */

static ssize_t
body_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
          nghttp2_data_source *src, void *ud)
{
    const char *p = src->ptr;
    size_t n = strlen(p);
    ASSERT(n <= len);
    memcpy(buf, p, n);
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int
cli_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
           const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
    struct run *r = ud;
    if (nlen == 7 && memcmp(name, ":status", 7) == 0)
        r->status = atoi((const char *)value);
    return 0;
}

static int
cli_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *p, size_t n, void *ud)
{
    struct run *r = ud;
    buf_append(&r->body, p, n);
    return 0;
}

static int
cli_close(nghttp2_session *s, int32_t id, uint32_t err, void *ud)
{
    struct run *r = ud;
    if (err)
        r->reset = 1;
    return 0;
}

static int
srv_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *p, size_t n, void *ud)
{
    struct run *r = ud;
    buf_append(&r->got, p, n);
    return 0;
}

static int
srv_frame(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    struct run *r = ud;
    if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
        !(f->hd.flags & NGHTTP2_FLAG_END_STREAM) || r->answered)
        return 0;
    r->answered = 1;
    if (r->sc->server == CLOSE_EARLY)
        return 0;
    const char *body = r->sc->server == ANSWER_BIG ? BIG_BODY : "/";
    char len[32];
    snprintf(len, sizeof(len), "%zu", r->sc->server == CLOSE_MID_BODY ? (size_t)10 : strlen(body));
    nghttp2_nv nv[] = {{(uint8_t *)":status", (uint8_t *)"200", 7, 3, 0},
                       {(uint8_t *)"content-length", (uint8_t *)len, 14, strlen(len), 0}};
    if (r->sc->server == CLOSE_MID_BODY) {
        /* The head, then 3 bytes and the end of the connection (see pump). */
        nghttp2_submit_headers(s, NGHTTP2_FLAG_NONE, f->hd.stream_id, NULL, nv, 2, NULL);
        return 0;
    }
    nghttp2_data_provider dp = {.source.ptr = (void *)body, .read_callback = body_read};
    nghttp2_submit_response(s, f->hd.stream_id, nv, 2, &dp);
    return 0;
}

static nghttp2_session *
peer_new(struct run *r, int server)
{
    nghttp2_session_callbacks *cb;
    nghttp2_session *s;
    nghttp2_session_callbacks_new(&cb);
    if (server) {
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, srv_data);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, srv_frame);
        nghttp2_session_server_new(&s, cb, r);
    } else {
        nghttp2_session_callbacks_set_on_header_callback(cb, cli_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, cli_data);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, cli_close);
        nghttp2_session_client_new(&s, cb, r);
    }
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);
    return s;
}

/* Moves what an nghttp2 peer has to say to the layer; 1 if anything went. */
static int
peer_flush(struct run *r, nghttp2_session *s, struct connection *c)
{
    struct buf b = BUF_INIT;
    ASSERT_EQ(h2_session_drain(s, &b), 0);
    int any = b.len > 0;
    if (any)
        feed(r, c, buf_ptr(&b), b.len);
    buf_clear(&b);
    return any;
}

/* --- the driver --- */

static void
on_hook(struct run *r, struct command *c)
{
    ASSERT(r->nhooks < MAXH);
    enum hook h = c->hook.hook;
    struct flow *f = c->hook.flow;
    r->hooks[r->nhooks++] = h;
    if (h == HOOK_RESPONSE)
        r->content_none = f->response->content_none;
    if (h == HOOK_REQUEST)
        r->request_none = f->request->content_none;
    if (h == r->sc->kill_at)
        flow_kill(f);
    if (h == r->sc->answer_at) {
        f->response = http_response_new();
        f->response->status_code = 204;
        http_set_str(&f->response->http_version, "HTTP/1.1");
        http_set_str(&f->response->reason, "No Content");
    }
}

/* The client sends the body of its request. */
static void
send_body(struct run *r)
{
    if (r->cs) {
        nghttp2_data_provider dp = {.source.ptr = (void *)r->sc->body, .read_callback = body_read};
        ASSERT_EQ(nghttp2_submit_data(r->cs, NGHTTP2_FLAG_END_STREAM, r->sid, &dp), 0);
    } else if (r->client->state == CONN_OPEN) {
        feed(r, r->client, (const uint8_t *)r->sc->body, strlen(r->sc->body));
    }
}

static void
pump(struct run *r)
{
    for (int round = 0; round < 100000; round++) {
        struct command *c = cmdq_pop(&r->q);
        if (c == NULL) {
            int any = 0;
            if (r->cs && (r->client->state & CONN_CAN_READ))
                any |= peer_flush(r, r->cs, r->client);
            if (r->ss && r->server->state == CONN_OPEN) {
                any |= peer_flush(r, r->ss, r->server);
                if (r->answered &&
                    (r->sc->server == CLOSE_EARLY || r->sc->server == CLOSE_MID_BODY)) {
                    if (r->sc->server == CLOSE_MID_BODY) {
                        /* 3 of the announced 10 bytes, then the end of the connection. */
                        uint8_t data[] = {0, 0, 3, 0, 0, 0, 0, 0, 1, 'a', 'b', 'c'};
                        feed(r, r->server, data, sizeof(data));
                    }
                    r->server->state = CONN_CAN_WRITE;
                    closed(r, r->server);
                    any = 1;
                }
            }
            if (!any && cmdq_empty(&r->q))
                return;
            continue;
        }
        struct event done = {.type = EV_DONE, .cmd_id = c->id};
        switch (c->type) {
        case CMD_HOOK: {
            int body_now = c->hook.hook == HOOK_REQUESTHEADERS && r->sc->body;
            on_hook(r, c);
            cmd_free(c);
            layer_feed(r->l, &done, &r->q);
            if (body_now)
                send_body(r); /* the body comes after the head was looked at */
            break;
        }
        case CMD_OPEN:
            ASSERT(r->server == NULL);
            r->server = connection_ref(c->conn);
            if (r->sc->server == REFUSE) {
                done.err = "connection refused";
            } else {
                c->conn->state = CONN_OPEN;
                if (r->h2_server)
                    r->ss = peer_new(r, 1);
            }
            cmd_free(c);
            layer_feed(r->l, &done, &r->q);
            break;
        case CMD_SEND:
            if (c->conn == r->client) {
                if (r->cs)
                    ASSERT(nghttp2_session_mem_recv(r->cs, buf_ptr(&c->data), c->data.len) >= 0);
                else
                    buf_append(&r->cin, buf_ptr(&c->data), c->data.len);
            } else if (r->ss) {
                ASSERT(nghttp2_session_mem_recv(r->ss, buf_ptr(&c->data), c->data.len) >= 0);
            } else {
                buf_append(&r->sin, buf_ptr(&c->data), c->data.len);
                cmd_free(c);
                h1_server(r);
                continue;
            }
            cmd_free(c);
            break;
        case CMD_CLOSE:
            c->conn->state = c->half_close ? (c->conn->state & ~CONN_CAN_WRITE) : CONN_CLOSED;
            cmd_free(c);
            break;
        default:
            cmd_free(c);
        }
    }
    ASSERT(!"pump did not settle");
}

/* What an HTTP/1 client made of the bytes it got: the status, or 0. */
static int
h1_status(struct run *r)
{
    struct http_response *resp = NULL;
    struct err e = {0};
    int status = 0;
    if (http1_parse_response_head(buf_ptr(&r->cin), r->cin.len, &r->cfg.limits, &resp, &e) > 0)
        status = resp->status_code;
    http_response_free(resp);
    return status;
}

static void
run_one(const struct scenario *sc, int h2_client, int h2_server, size_t split)
{
    struct run r = {.sc = sc, .h2_client = h2_client, .h2_server = h2_server, .split = split};
    struct err e = {0};
    r.opts = opt_new();
    const char *mode =
        h2_server ? "reverse:h2c://origin.test:8080" : "reverse:http://origin.test:8080";
    ASSERT_EQ(opt_set(r.opts, "mode", mode, &e), 0);
    if (sc->option) {
        char name[64];
        const char *eq = strchr(sc->option, '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq - sc->option), sc->option);
        ASSERT_EQ(opt_set(r.opts, name, eq + 1, &e), 0);
    }
    ASSERT_EQ(proxy_config_init(&r.cfg, r.opts, &e), 0);
    r.client = connection_new(CONN_CLIENT);
    r.client->state = CONN_OPEN;
    addr_set(&r.client->peername, "127.0.0.1", 1234);
    r.ctx = context_new(r.client, &r.cfg);
    r.l = h2_client ? layer_http2_new(r.ctx, NULL, 0, NULL) : layer_http_new(r.ctx);
    cmdq_init(&r.q);
    struct event start = {.type = EV_START};
    layer_feed(r.l, &start, &r.q);

    if (h2_client) {
        r.cs = peer_new(&r, 0);
        char len[32];
        nghttp2_nv nv[5];
        size_t n = 0;
#define NV(a, b) nv[n++] = (nghttp2_nv){(uint8_t *)(a), (uint8_t *)(b), strlen(a), strlen(b), 0}
        NV(":method", sc->method);
        NV(":scheme", "http");
        NV(":authority", "client.test");
        NV(":path", "/");
        if (sc->body) {
            snprintf(len, sizeof(len), "%zu", strlen(sc->body));
            NV("content-length", len);
        }
#undef NV
        uint8_t flags = sc->body ? NGHTTP2_FLAG_NONE : NGHTTP2_FLAG_END_STREAM;
        r.sid = nghttp2_submit_headers(r.cs, flags, -1, NULL, nv, n, NULL);
        ASSERT(r.sid > 0);
    } else {
        struct buf b = BUF_INIT;
        buf_printf(&b, "%s / HTTP/1.1\r\nHost: client.test\r\n", sc->method);
        if (sc->body)
            buf_printf(&b, "Content-Length: %zu\r\n", strlen(sc->body));
        buf_append_str(&b, "\r\n");
        feed(&r, r.client, buf_ptr(&b), b.len);
        buf_clear(&b);
    }
    pump(&r);

    const char *who =
        h2_client ? (h2_server ? "h2->h2" : "h2->h1") : (h2_server ? "h1->h2" : "h1->h1");
    size_t want = 0;
    while (sc->hooks[want] != NONE)
        want++;
    if (r.nhooks != want || memcmp(r.hooks, sc->hooks, want * sizeof(enum hook)) != 0) {
        fprintf(stderr, "%s %s split=%zu: hooks", sc->name, who, split);
        for (size_t i = 0; i < r.nhooks; i++)
            fprintf(stderr, " %s", hook_name(r.hooks[i]));
        fprintf(stderr, "\n");
        ASSERT(!"hook sequence differs");
    }
    int status = h2_client ? r.status : h1_status(&r);
    if (sc->status >= 0 && status != sc->status) {
        fprintf(stderr, "%s %s split=%zu: status %d, expected %d\n", sc->name, who, split, status,
                sc->status);
        ASSERT(!"answer differs");
    }
    if (sc->status == 0 && h2_client)
        ASSERT(r.reset); /* no answer: the stream is reset */
    if (sc->status == 200) {
        const char *expect = sc->server == ANSWER_BIG ? BIG_BODY : "/";
        const struct buf *got = h2_client ? &r.body : &r.cin;
        ASSERT(got->len >= strlen(expect));
        ASSERT(memcmp(buf_ptr(got) + got->len - strlen(expect), expect, strlen(expect)) == 0);
    }
    if (sc->body && sc->status == 200)
        ASSERT_BUF_STR(&r.got, sc->body);
    ASSERT_EQ(r.content_none, sc->content_none);
    ASSERT_EQ(r.request_none, sc->request_none);
    if (h2_client)
        ASSERT_EQ(layer_http2_live_streams(r.l), 0);

    layer_free(r.l);
    cmdq_clear(&r.q);
    if (r.cs)
        nghttp2_session_del(r.cs);
    if (r.ss)
        nghttp2_session_del(r.ss);
    if (r.server)
        connection_unref(r.server);
    buf_clear(&r.cin);
    buf_clear(&r.sin);
    buf_clear(&r.got);
    buf_clear(&r.body);
    context_free(r.ctx);
    connection_unref(r.client);
    proxy_config_clear(&r.cfg);
    opt_free(r.opts);
}

static void
run_all(const char *name)
{
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        if (strcmp(scenarios[i].name, name) != 0)
            continue;
        for (int combo = 0; combo < 4; combo++)
            for (size_t split = 0; split < 3; split++)
                run_one(&scenarios[i], combo & 1, combo >> 1, split);
        return;
    }
    ASSERT(!"no such scenario");
}

TEST(http_stream_get) { run_all("get"); }
TEST(http_stream_post) { run_all("post"); }
TEST(http_stream_kill_at_requestheaders) { run_all("kill_requestheaders"); }
TEST(http_stream_kill_at_request) { run_all("kill_request"); }
TEST(http_stream_kill_at_responseheaders) { run_all("kill_responseheaders"); }
TEST(http_stream_kill_at_response) { run_all("kill_response"); }
TEST(http_stream_addon_answers_in_requestheaders) { run_all("addon_answers_requestheaders"); }
TEST(http_stream_addon_answers_in_request) { run_all("addon_answers_request"); }
TEST(http_stream_open_refused_is_502) { run_all("open_refused"); }
TEST(http_stream_server_closes_early_is_502) { run_all("server_closes_early"); }
TEST(http_stream_server_closes_mid_body_is_502) { run_all("server_closes_mid_body"); }
TEST(http_stream_response_streams) { run_all("response_streams"); }
TEST(http_stream_request_streams) { run_all("request_streams"); }
TEST(http_stream_request_over_body_size_limit) { run_all("request_over_body_size_limit"); }
