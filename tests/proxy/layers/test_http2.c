/*
 * The HTTP/2 layer driven like the driver would: a real nghttp2 client
 * session in the test speaks to the layer, hooks are answered (and may
 * change flows), opens succeed or fail, and servers are played by the
 * test, in HTTP/1.1 (parsed with our codec) or in HTTP/2 (an nghttp2
 * server session). Assertions are on what the client receives, what the
 * servers receive, and the hooks.
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

#define MAXR 64
#define MAXS 16
#define MAXH 512

struct resp {
    int32_t id;
    int status;
    struct buf body;
    char trailer[64]; /* value of a received "x-trailer" trailer */
    int closed;
    uint32_t err; /* RST_STREAM code; 0 for a clean end */
};

struct srv {
    struct connection *conn;
    struct buf in;
    nghttp2_session *h2; /* NULL: HTTP/1.1 */
    char last_request[2048];
    int requests;
    int push_disabled; /* the proxy's SETTINGS said ENABLE_PUSH=0 */
    int32_t want_trailers;
    struct buf body; /* HTTP/2: request body bytes received */
    int refuse;      /* HTTP/2: goes away, refusing the first stream (RFC 9113 8.7) */
};

struct t {
    struct options *opts;
    struct proxy_config cfg;
    struct connection *client;
    struct context *ctx;
    struct layer *l;
    struct cmdq q;
    nghttp2_session *cli;
    struct resp resp[MAXR];
    size_t nresp;
    enum hook hooks[MAXH];
    size_t nhooks;
    struct srv srv[MAXS];
    size_t nsrv;
    int open_fail;
    int h2_servers;
    int answer_in_request; /* the request hook answers with a 204 */
    int refuse_first;      /* the first HTTP/2 server refuses the stream and goes away */
    int last_content_none; /* of the last response hook's flow */
    int hold_hooks;        /* hooks wait in held[] until the test answers them */
    uint64_t held[MAXH];
    size_t nheld;
};

/* --- the test's HTTP/2 client --- */

static struct resp *
resp_of(struct t *t, int32_t id)
{
    for (size_t i = 0; i < t->nresp; i++)
        if (t->resp[i].id == id)
            return &t->resp[i];
    return NULL;
}

static int
cli_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
           const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
    struct resp *r = resp_of(ud, f->hd.stream_id);
    if (r == NULL)
        return 0;
    if (nlen == 7 && memcmp(name, ":status", 7) == 0)
        r->status = atoi((const char *)value);
    if (nlen == 9 && memcmp(name, "x-trailer", 9) == 0 && vlen < sizeof(r->trailer))
        memcpy(r->trailer, value, vlen);
    return 0;
}

static int
cli_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *p, size_t n, void *ud)
{
    struct resp *r = resp_of(ud, id);
    if (r)
        buf_append(&r->body, p, n);
    return 0;
}

static int
cli_close(nghttp2_session *s, int32_t id, uint32_t err, void *ud)
{
    struct resp *r = resp_of(ud, id);
    if (r) {
        r->closed = 1;
        r->err = err;
    }
    return 0;
}

/* --- the test's servers --- */

static struct srv *
srv_of(struct t *t, const struct connection *c)
{
    for (size_t i = 0; i < t->nsrv; i++)
        if (t->srv[i].conn == c)
            return &t->srv[i];
    return NULL;
}

static ssize_t
srv_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
         nghttp2_data_source *src, void *ud)
{
    struct srv *sv = ud;
    const char *body = src->ptr;
    size_t n = strlen(body);
    memcpy(buf, body, n);
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (sv->want_trailers == id) {
        nghttp2_nv tr = {(uint8_t *)"x-trailer", (uint8_t *)"from-server", 9, 11, 0};
        nghttp2_submit_trailer(s, id, &tr, 1);
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
    return (ssize_t)n;
}

static int
srv_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
           const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
    struct srv *sv = ud;
    size_t used = strlen(sv->last_request);
    snprintf(sv->last_request + used, sizeof(sv->last_request) - used, "%.*s: %.*s\n", (int)nlen,
             name, (int)vlen, value);
    if (nlen == 9 && memcmp(name, "x-trailer", 9) == 0)
        sv->want_trailers = f->hd.stream_id;
    return 0;
}

static int
srv_begin(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    struct srv *sv = ud;
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST)
        sv->last_request[0] = '\0';
    return 0;
}

static int
srv_frame(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    struct srv *sv = ud;
    if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK)) {
        for (size_t i = 0; i < f->settings.niv; i++)
            if (f->settings.iv[i].settings_id == NGHTTP2_SETTINGS_ENABLE_PUSH &&
                f->settings.iv[i].value == 0)
                sv->push_disabled = 1;
    }
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM) && sv->refuse) {
        nghttp2_submit_goaway(s, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, NULL, 0);
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, f->hd.stream_id, NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        sv->requests++;
        nghttp2_nv nv[] = {{(uint8_t *)":status", (uint8_t *)"200", 7, 3, 0},
                           {(uint8_t *)"server", (uint8_t *)"test-h2", 6, 7, 0},
                           {(uint8_t *)"content-length", (uint8_t *)"7", 14, 1, 0}};
        nghttp2_data_provider dp = {.source.ptr = "h2 body", .read_callback = srv_body};
        nghttp2_submit_response(s, f->hd.stream_id, nv, 3, &dp);
    }
    return 0;
}

static int
srv_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *p, size_t n, void *ud)
{
    struct srv *sv = ud;
    buf_append(&sv->body, p, n);
    return 0;
}

static void
srv_start_h2(struct srv *sv)
{
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, srv_data);
    nghttp2_session_callbacks_set_on_header_callback(cb, srv_header);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, srv_begin);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, srv_frame);
    nghttp2_session_server_new(&sv->h2, cb, sv);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(sv->h2, NGHTTP2_FLAG_NONE, NULL, 0);
}

/* HTTP/1.1: answers each complete request with its path as the body. */
static void
srv_h1(struct t *t, struct srv *sv)
{
    for (;;) {
        struct http_request *req = NULL;
        enum http1_form form;
        struct err e = {0};
        ssize_t n = http1_parse_request_head(buf_ptr(&sv->in), sv->in.len, &t->cfg.limits, &req,
                                             &form, &e);
        if (n <= 0)
            return;
        struct http1_body body;
        ASSERT_EQ(http1_request_body(req, &body, &e), 0);
        size_t total = (size_t)n + (body.kind == HTTP1_BODY_LENGTH ? body.length : 0);
        if (sv->in.len < total) {
            http_request_free(req);
            return;
        }
        snprintf(sv->last_request, sizeof(sv->last_request), "%.*s", (int)total,
                 (const char *)buf_ptr(&sv->in));
        buf_consume(&sv->in, total);
        sv->requests++;
        struct buf b = BUF_INIT;
        buf_printf(&b, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s", strlen(req->path),
                   req->path);
        http_request_free(req);
        struct event ev = {.type = EV_DATA, .conn = sv->conn, .data = buf_slice(&b)};
        layer_feed(t->l, &ev, &t->q);
        buf_clear(&b);
    }
}

/* --- the driver --- */

static void
drain_session(struct t *t, nghttp2_session *s, struct connection *to)
{
    struct buf b = BUF_INIT;
    ASSERT_EQ(h2_session_drain(s, &b), 0);
    if (b.len) {
        struct event ev = {.type = EV_DATA, .conn = to, .data = buf_slice(&b)};
        layer_feed(t->l, &ev, &t->q);
    }
    buf_clear(&b);
}

static void
pump(struct t *t)
{
    for (int round = 0; round < 10000; round++) {
        struct command *c = cmdq_pop(&t->q);
        if (c == NULL) {
            size_t before = t->q.head != NULL;
            drain_session(t, t->cli, t->client);
            for (size_t i = 0; i < t->nsrv; i++)
                if (t->srv[i].h2 && t->srv[i].conn->state == CONN_OPEN)
                    drain_session(t, t->srv[i].h2, t->srv[i].conn);
            if (t->q.head == NULL && !before)
                return;
            continue;
        }
        switch (c->type) {
        case CMD_HOOK: {
            if (t->nhooks < MAXH)
                t->hooks[t->nhooks++] = c->hook.hook;
            struct flow *f = c->hook.flow;
            if (c->hook.hook == HOOK_RESPONSE)
                t->last_content_none = f->response->content_none;
            if (t->answer_in_request && c->hook.hook == HOOK_REQUEST) {
                f->response = http_response_new();
                f->response->status_code = 204;
                http_set_str(&f->response->http_version, "HTTP/2.0");
            }
            struct event done = {.type = EV_DONE, .cmd_id = c->id};
            cmd_free(c);
            if (t->hold_hooks) {
                ASSERT(t->nheld < MAXH);
                t->held[t->nheld++] = done.cmd_id;
                break;
            }
            layer_feed(t->l, &done, &t->q);
            break;
        }
        case CMD_OPEN: {
            struct event done = {.type = EV_DONE, .cmd_id = c->id};
            if (t->open_fail) {
                done.err = "connection refused";
            } else {
                ASSERT(t->nsrv < MAXS);
                struct srv *sv = &t->srv[t->nsrv++];
                sv->conn = connection_ref(c->conn);
                c->conn->state = CONN_OPEN;
                if (t->h2_servers) {
                    sv->refuse = t->refuse_first && t->nsrv == 1;
                    srv_start_h2(sv);
                    free(c->conn->alpn);
                    c->conn->alpn = xstrdup("h2");
                }
            }
            cmd_free(c);
            layer_feed(t->l, &done, &t->q);
            break;
        }
        case CMD_SEND:
            if (c->conn == t->client) {
                ASSERT(nghttp2_session_mem_recv(t->cli, buf_ptr(&c->data), c->data.len) >= 0);
            } else {
                struct srv *sv = srv_of(t, c->conn);
                ASSERT(sv != NULL);
                if (sv->h2)
                    ASSERT(nghttp2_session_mem_recv(sv->h2, buf_ptr(&c->data), c->data.len) >=
                           0);
                else {
                    buf_append(&sv->in, buf_ptr(&c->data), c->data.len);
                    srv_h1(t, sv);
                }
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

static void
setup_with(struct t *t, const char *mode, const char *name, const char *value)
{
    memset(t, 0, sizeof(*t));
    t->opts = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set(t->opts, "mode", mode, &e), 0);
    if (name)
        ASSERT_EQ(opt_set(t->opts, name, value, &e), 0);
    ASSERT_EQ(proxy_config_init(&t->cfg, t->opts, &e), 0);
    t->client = connection_new(CONN_CLIENT);
    t->client->state = CONN_OPEN;
    t->ctx = context_new(t->client, &t->cfg);
    t->l = layer_http2_new(t->ctx, NULL, 0, NULL);
    cmdq_init(&t->q);
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, cli_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, cli_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, cli_close);
    nghttp2_session_client_new(&t->cli, cb, t);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(t->cli, NGHTTP2_FLAG_NONE, NULL, 0);
    struct event start = {.type = EV_START};
    layer_feed(t->l, &start, &t->q);
}

static void
setup(struct t *t, const char *mode)
{
    setup_with(t, mode, NULL, NULL);
}

static void
teardown(struct t *t)
{
    layer_free(t->l);
    cmdq_clear(&t->q);
    nghttp2_session_del(t->cli);
    for (size_t i = 0; i < t->nresp; i++)
        buf_clear(&t->resp[i].body);
    for (size_t i = 0; i < t->nsrv; i++) {
        if (t->srv[i].h2)
            nghttp2_session_del(t->srv[i].h2);
        connection_unref(t->srv[i].conn);
        buf_clear(&t->srv[i].in);
        buf_clear(&t->srv[i].body);
    }
    context_free(t->ctx);
    connection_unref(t->client);
    proxy_config_clear(&t->cfg);
    opt_free(t->opts);
}

static ssize_t
cli_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
         nghttp2_data_source *src, void *ud)
{
    const char *body = src->ptr;
    size_t n = strlen(body);
    memcpy(buf, body, n);
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* Submits a request from the test's client; extra: one more "name: value" field or NULL. */
static int32_t
request(struct t *t, const char *method, const char *path, const char *body, const char *xname,
        const char *xvalue)
{
    nghttp2_nv nv[8];
    size_t n = 0;
#define NV(a, b) nv[n++] = (nghttp2_nv){(uint8_t *)(a), (uint8_t *)(b), strlen(a), strlen(b), 0}
    NV(":method", method);
    NV(":scheme", "http");
    NV(":authority", "client.example");
    NV(":path", path);
    NV("cookie", "a=1");
    NV("cookie", "b=2");
    if (xname) {
        /* Sent as given: nghttp2 would lower-case a copied name. */
        NV(xname, xvalue);
        nv[n - 1].flags = NGHTTP2_NV_FLAG_NO_COPY_NAME;
    }
#undef NV
    nghttp2_data_provider dp = {.source.ptr = (void *)body, .read_callback = cli_body};
    int32_t id = nghttp2_submit_request(t->cli, NULL, nv, n, body ? &dp : NULL, NULL);
    ASSERT(id > 0);
    ASSERT(t->nresp < MAXR);
    t->resp[t->nresp++] = (struct resp){.id = id};
    return id;
}

static size_t
count_hooks(struct t *t, enum hook h)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nhooks; i++)
        n += t->hooks[i] == h;
    return n;
}

TEST(http2_get_to_http1_server)
{
    struct t t;
    setup(&t, "reverse:http://origin.example:8080");
    int32_t id = request(&t, "GET", "/index?x=1", NULL, NULL, NULL);
    pump(&t);
    struct resp *r = resp_of(&t, id);
    ASSERT(r->closed);
    ASSERT_EQ(r->err, 0);
    ASSERT_EQ(r->status, 200);
    ASSERT_BUF_STR(&r->body, "/index?x=1");
    /* HTTP/1.1 on the wire: Host from the rewritten :authority, cookie crumbs joined. */
    ASSERT_EQ(t.nsrv, 1);
    ASSERT_STREQ(t.srv[0].last_request, "GET /index?x=1 HTTP/1.1\r\nHost: origin.example:8080\r\n"
                                        "cookie: a=1; b=2\r\n\r\n");
    enum hook want[] = {HOOK_REQUESTHEADERS, HOOK_REQUEST, HOOK_RESPONSEHEADERS, HOOK_RESPONSE};
    ASSERT_EQ(t.nhooks, 4);
    for (size_t i = 0; i < 4; i++)
        ASSERT_EQ(t.hooks[i], want[i]);
    ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    teardown(&t);
}

TEST(http2_concurrent_streams_get_their_own_http1_connections)
{
    struct t t;
    setup(&t, "reverse:http://origin.example:8080");
    int32_t a = request(&t, "GET", "/a", NULL, NULL, NULL);
    int32_t b = request(&t, "POST", "/b", "posted body", NULL, NULL);
    int32_t c = request(&t, "GET", "/c", NULL, NULL, NULL);
    pump(&t);
    ASSERT_BUF_STR(&resp_of(&t, a)->body, "/a");
    ASSERT_BUF_STR(&resp_of(&t, b)->body, "/b");
    ASSERT_BUF_STR(&resp_of(&t, c)->body, "/c");
    ASSERT_EQ(t.nsrv, 3);
    int saw_post = 0;
    for (size_t i = 0; i < t.nsrv; i++)
        saw_post |= strstr(t.srv[i].last_request, "content-length: 11\r\n\r\nposted body") != NULL;
    ASSERT(saw_post);
    ASSERT_EQ(count_hooks(&t, HOOK_RESPONSE), 3);
    /* Later requests reuse the idle connections. */
    request(&t, "GET", "/d", NULL, NULL, NULL);
    pump(&t);
    ASSERT_EQ(t.nsrv, 3);
    ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    teardown(&t);
}

TEST(http2_h2c_upstream_multiplexes_and_refuses_push)
{
    struct t t;
    setup(&t, "reverse:h2c://origin.example:8080");
    t.h2_servers = 1;
    int32_t a = request(&t, "GET", "/a", NULL, NULL, NULL);
    int32_t b = request(&t, "POST", "/b", "data", "x-trailer", "please");
    pump(&t);
    ASSERT_EQ(t.nsrv, 1);
    ASSERT_EQ(t.srv[0].requests, 2);
    ASSERT(t.srv[0].push_disabled);
    ASSERT_EQ(resp_of(&t, a)->status, 200);
    ASSERT_BUF_STR(&resp_of(&t, a)->body, "h2 body");
    ASSERT_BUF_STR(&resp_of(&t, b)->body, "h2 body");
    /* Response trailers reach the client. */
    ASSERT_STREQ(resp_of(&t, b)->trailer, "from-server");
    ASSERT(strstr(t.srv[0].last_request, ":authority: origin.example:8080\n") != NULL);
    ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    teardown(&t);
}

TEST(http2_open_failure_is_a_502_for_that_stream)
{
    struct t t;
    setup(&t, "reverse:http://origin.example:8080");
    t.open_fail = 1;
    int32_t id = request(&t, "GET", "/", NULL, NULL, NULL);
    pump(&t);
    struct resp *r = resp_of(&t, id);
    ASSERT_EQ(r->status, 502);
    ASSERT(strstr((const char *)buf_ptr(&r->body), "connection refused") != NULL);
    ASSERT_EQ(count_hooks(&t, HOOK_ERROR), 1);
    teardown(&t);
}

TEST(http2_addon_response_needs_no_server)
{
    struct t t;
    setup(&t, "reverse:http://origin.example:8080");
    t.answer_in_request = 1;
    int32_t id = request(&t, "GET", "/", NULL, NULL, NULL);
    pump(&t);
    ASSERT_EQ(resp_of(&t, id)->status, 204);
    ASSERT_EQ(t.nsrv, 0);
    ASSERT_EQ(count_hooks(&t, HOOK_RESPONSE), 1);
    teardown(&t);
}

TEST(http2_bad_stream_is_reset_others_answered)
{
    struct t t;
    setup(&t, "reverse:http://origin.example:8080");
    int32_t good1 = request(&t, "GET", "/one", NULL, NULL, NULL);
    /* An upper-case field name is malformed in HTTP/2 (RFC 9113 8.2.1). */
    int32_t bad = request(&t, "GET", "/bad", NULL, "X-Upper", "1");
    int32_t good2 = request(&t, "GET", "/two", NULL, NULL, NULL);
    pump(&t);
    ASSERT_BUF_STR(&resp_of(&t, good1)->body, "/one");
    ASSERT_BUF_STR(&resp_of(&t, good2)->body, "/two");
    struct resp *r = resp_of(&t, bad);
    ASSERT(r->closed);
    ASSERT_EQ(r->err, NGHTTP2_PROTOCOL_ERROR);
    ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    teardown(&t);
}

TEST(http2_client_reset_fails_only_that_flow)
{
    struct t t;
    setup(&t, "reverse:http://origin.example:8080");
    int32_t keep = request(&t, "GET", "/keep", NULL, NULL, NULL);
    /* A POST whose body never ends, then reset by the client. */
    nghttp2_nv nv[] = {{(uint8_t *)":method", (uint8_t *)"POST", 7, 4, 0},
                       {(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0},
                       {(uint8_t *)":authority", (uint8_t *)"x", 10, 1, 0},
                       {(uint8_t *)":path", (uint8_t *)"/gone", 5, 5, 0}};
    int32_t gone = nghttp2_submit_headers(t.cli, NGHTTP2_FLAG_NONE, -1, NULL, nv, 4, NULL);
    ASSERT(gone > 0);
    t.resp[t.nresp++] = (struct resp){.id = gone};
    pump(&t);
    nghttp2_submit_rst_stream(t.cli, NGHTTP2_FLAG_NONE, gone, NGHTTP2_CANCEL);
    pump(&t);
    ASSERT_BUF_STR(&resp_of(&t, keep)->body, "/keep");
    ASSERT_EQ(count_hooks(&t, HOOK_ERROR), 1);
    ASSERT_EQ(count_hooks(&t, HOOK_RESPONSE), 1);
    ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    teardown(&t);
}

TEST(http2_many_streams_leave_nothing_behind)
{
    struct t t;
    setup(&t, "reverse:h2c://origin.example:8080");
    t.h2_servers = 1;
    for (int round = 0; round < 50; round++) {
        t.nresp = 0;
        for (int i = 0; i < 20; i++)
            request(&t, "GET", "/", NULL, NULL, NULL);
        pump(&t);
        for (size_t i = 0; i < t.nresp; i++) {
            ASSERT_EQ(t.resp[i].status, 200);
            buf_clear(&t.resp[i].body);
        }
        ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    }
    ASSERT_EQ(t.nsrv, 1);
    ASSERT_EQ(t.srv[0].requests, 1000);
    teardown(&t);
}

TEST(http2_hooks_answered_newest_first_find_their_streams)
{
    /* 40 streams wait on their hooks at once, more than the ring of waits
     * remembers, and the answers come newest first: each EV_DONE must still
     * reach its own stream, by the ring or by looking. */
    struct t t;
    setup(&t, "reverse:h2c://origin.example:8080");
    t.h2_servers = 1;
    t.hold_hooks = 1;
    int32_t ids[40];
    char path[16];
    for (int i = 0; i < 40; i++) {
        snprintf(path, sizeof(path), "/%d", i);
        ids[i] = request(&t, "GET", path, NULL, NULL, NULL);
    }
    pump(&t);
    for (int round = 0; t.nheld && round < 100; round++) {
        uint64_t held[MAXH];
        size_t n = t.nheld;
        memcpy(held, t.held, n * sizeof(*held));
        t.nheld = 0;
        for (size_t i = n; i-- > 0;) {
            struct event done = {.type = EV_DONE, .cmd_id = held[i]};
            layer_feed(t.l, &done, &t.q);
        }
        pump(&t);
    }
    ASSERT_EQ(t.nheld, 0);
    for (int i = 0; i < 40; i++) {
        ASSERT_EQ(resp_of(&t, ids[i])->status, 200);
        ASSERT_BUF_STR(&resp_of(&t, ids[i])->body, "h2 body");
    }
    ASSERT_EQ(count_hooks(&t, HOOK_RESPONSE), 40);
    ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    teardown(&t);
}

TEST(http2_large_bodies_stream)
{
    /* Bodies above stream_large_bodies reach the client without being kept:
     * announced by Content-Length (HTTP/1.1 server) or grown past it (h2). */
    struct t t;
    setup_with(&t, "reverse:http://origin.example:8080", "stream_large_bodies", "3");
    int32_t id = request(&t, "GET", "/a-long-path", NULL, NULL, NULL);
    pump(&t);
    ASSERT_BUF_STR(&resp_of(&t, id)->body, "/a-long-path");
    ASSERT(t.last_content_none);
    ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    teardown(&t);

    setup_with(&t, "reverse:h2c://origin.example:8080", "stream_large_bodies", "3");
    t.h2_servers = 1;
    id = request(&t, "GET", "/", NULL, NULL, NULL);
    pump(&t);
    ASSERT_BUF_STR(&resp_of(&t, id)->body, "h2 body");
    ASSERT(t.last_content_none);
    ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    teardown(&t);
}

TEST(http2_large_request_bodies_stream)
{
    struct t t;
    setup_with(&t, "reverse:http://origin.example:8080", "stream_large_bodies", "3");
    request(&t, "POST", "/up", "posted body", "content-length", "11");
    pump(&t);
    ASSERT_EQ(t.nsrv, 1);
    ASSERT(strstr(t.srv[0].last_request, "content-length: 11\r\n\r\nposted body") != NULL);
    ASSERT_EQ(count_hooks(&t, HOOK_REQUEST), 1);
    ASSERT_EQ(count_hooks(&t, HOOK_RESPONSE), 1);
    ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    teardown(&t);

    setup_with(&t, "reverse:h2c://origin.example:8080", "stream_large_bodies", "3");
    t.h2_servers = 1;
    int32_t id = request(&t, "POST", "/up", "posted body", "content-length", "11");
    pump(&t);
    ASSERT_BUF_STR(&t.srv[0].body, "posted body");
    ASSERT_BUF_STR(&resp_of(&t, id)->body, "h2 body");
    ASSERT_EQ(count_hooks(&t, HOOK_REQUEST), 1);
    ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    teardown(&t);
}

TEST(http2_refused_stream_goes_again_on_a_new_connection)
{
    /* The server refuses the stream and goes away (GOAWAY, REFUSED_STREAM):
     * it did not process the request, which goes again on a connection of
     * its own (RFC 9113 8.7), and the flow sees no error. */
    struct t t;
    setup(&t, "reverse:h2c://origin.example:8080");
    t.h2_servers = 1;
    t.refuse_first = 1;
    int32_t id = request(&t, "GET", "/", NULL, NULL, NULL);
    pump(&t);
    ASSERT_EQ(resp_of(&t, id)->status, 200);
    ASSERT_BUF_STR(&resp_of(&t, id)->body, "h2 body");
    ASSERT_EQ(t.nsrv, 2);
    ASSERT_EQ(t.srv[0].requests, 0);
    ASSERT_EQ(t.srv[1].requests, 1);
    enum hook want[] = {HOOK_REQUESTHEADERS, HOOK_REQUEST, HOOK_RESPONSEHEADERS, HOOK_RESPONSE};
    ASSERT_EQ(t.nhooks, 4);
    for (size_t i = 0; i < 4; i++)
        ASSERT_EQ(t.hooks[i], want[i]);
    ASSERT_EQ(layer_http2_live_streams(t.l), 0);
    teardown(&t);
}
