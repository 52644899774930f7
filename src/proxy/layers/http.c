/*
 * The HTTP layer of one client connection (mitmproxy's HttpLayer): the
 * client's connection layer (HTTP/1 or HTTP/2), the streams it starts (one
 * flow each, http_stream.c), and the server connections they use, each with
 * a connection layer of its own once it is open (HTTP/1, or HTTP/2 when the
 * server agreed to h2 or reverse:h2c:// says so). Bytes of a connection go
 * to its connection layer; the HTTP events it makes of them go to the
 * stream they are about; what a stream says goes to the connection layer of
 * the side it is meant for. Any client protocol meets any server protocol
 * this way, and nothing is parsed twice.
 *
 * An HTTP/1 server connection serves one exchange at a time and stays for
 * the next (keep-alive); an HTTP/1 client keeps at most MAX_SERVERS of them.
 * An HTTP/2 one carries every stream that goes to its server. Streams of an
 * HTTP/2 client wait for an open that another stream began, since its
 * server may speak HTTP/2.
 *
 * After an HTTP/1 CONNECT (and a 101 to a WebSocket) both connections go to
 * the next layer, which then gets every event. Streams and connection
 * layers are let go of only when this layer's turn ends, never while one of
 * them may still be running.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "proxy/layers/http_internal.h"
#include "proxy/layers/layers.h"
#include "util/netaddr.h"
#include "util/xmalloc.h"

#define MAX_SERVERS 8
/* Waits of streams remembered in the order they began: with hooks answered
 * in that order, an EV_DONE finds its stream at once. Only an HTTP/2
 * client's streams wait side by side, so the ring is made on the first
 * wait, FIRST_WAITS long, and doubles up to MAX_WAITS. */
#define FIRST_WAITS 4
#define MAX_WAITS 32

struct wait {
    uint64_t id; /* 0: answered meanwhile */
    struct http_stream *s;
};

/* A server connection the streams of this client use. */
struct hsrv {
    struct connection *conn;    /* one reference */
    struct hconn *hc;           /* its connection layer once open; NULL before */
    uint64_t open_id;           /* the CMD_OPEN under way; 0 once done */
    struct http_stream *opener; /* the stream whose open it is */
    struct http_stream *owner;  /* the stream that took it over (a WebSocket) */
    int dead;                   /* failed or given up: nothing new goes here */
    int gone;                   /* closed by us */
    int h2c;                    /* HTTP/2 with prior knowledge (reverse:h2c://) */
    int proxy_form;             /* it is an upstream proxy: absolute-form requests */
    struct hsrv *next;
};

struct http_layer {
    struct layer base;
    struct hconn *client;         /* the client's connection layer */
    int h2;                       /* the client speaks HTTP/2 */
    int h2_servers;               /* HTTP/2 server connections were made */
    int gc;                       /* a server connection may be dead and unused */
    int opening;                  /* opens under way */
    struct hsrv *last;            /* the record srv_of_conn() found last */
    struct http_stream *finished; /* HTTP/2: streams through, to let go of */
    struct wait *waits;           /* owned ring of wcap; NULL until the first wait */
    unsigned whead, wlen, wcap;
    struct http_stream *streams; /* newest first */
    struct hsrv *servers;        /* oldest first */
    size_t nservers;
    int closed;
    struct layer *child; /* after a hand-off: it gets everything */
    struct flow *replay; /* client replay: the saved flow (one reference) */

    /* Inside a tunnel (CONNECT, TLS): where requests go. */
    int tunnel;
    int https;
    char *host; /* owned */
    uint16_t port;
    char *sni;          /* owned; NULL = none */
    char *server_error; /* owned; NULL = the server is reachable */
};

static const struct layer_ops http_ops;

/* --- records --- */

static struct hsrv *
srv_of_conn(struct http_layer *h, const struct connection *c)
{
    if (h->last && h->last->conn == c)
        return h->last; /* events of one connection tend to come in a row */
    for (struct hsrv *srv = h->servers; srv; srv = srv->next)
        if (srv->conn == c)
            return h->last = srv;
    return NULL;
}

static struct hsrv *
srv_of_hconn(struct http_layer *h, const struct hconn *c)
{
    for (struct hsrv *srv = h->servers; srv; srv = srv->next)
        if (srv->hc == c)
            return srv;
    return NULL;
}

static void
srv_free(struct hsrv *srv)
{
    if (srv->hc)
        layer_free(&srv->hc->base);
    connection_unref(srv->conn);
    free(srv);
}

static void
srv_unlink(struct http_layer *h, struct hsrv *srv)
{
    if (h->last == srv)
        h->last = NULL;
    for (struct hsrv **pp = &h->servers; *pp; pp = &(*pp)->next) {
        if (*pp == srv) {
            *pp = srv->next;
            h->nservers--;
            return;
        }
    }
}

static int
srv_gone(const struct hsrv *srv)
{
    return srv->gone || (srv->hc && srv->hc->gone);
}

/* Closes a server connection for good (it stays listed while streams use it). */
static void
srv_kill(struct http_layer *h, struct hsrv *srv, struct cmdq *out)
{
    if (!srv_gone(srv) && srv->conn->state != CONN_CLOSED)
        layer_close(&h->base, out, srv->conn, 0);
    srv->gone = 1;
    srv->dead = 1;
    h->gc = 1;
}

static int
srv_used(struct http_layer *h, const struct hsrv *srv)
{
    for (const struct http_stream *s = h->streams; s; s = s->next)
        if (s->srv == srv)
            return 1;
    return 0;
}

static struct http_stream *
stream_by_id(struct http_layer *h, int32_t id)
{
    for (struct http_stream *s = h->streams; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

static struct http_stream *
stream_of_server(struct http_layer *h, const struct hconn *c, int32_t id)
{
    if (!c->h2)
        return c->user;
    struct hsrv *srv = srv_of_hconn(h, c);
    if (srv == NULL)
        return NULL;
    for (struct http_stream *s = h->streams; s; s = s->next)
        if (s->srv == srv && s->srv_id == id)
            return s;
    return NULL;
}

static void
stream_unlink(struct http_layer *h, struct http_stream *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else if (h->streams == s)
        h->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

static void
stream_link(struct http_layer *h, struct http_stream *s)
{
    s->prev = NULL;
    s->next = h->streams;
    if (h->streams)
        h->streams->prev = s;
    h->streams = s;
}

static struct http_stream *
stream_new(struct http_layer *h, int32_t id)
{
    struct http_stream *s = http__stream_new(h, h->base.ctx, id, h->h2);
    stream_link(h, s);
    return s;
}

/* --- closing --- */

static void
close_all(struct http_layer *h, struct cmdq *out)
{
    if (h->closed)
        return;
    h->closed = 1;
    for (struct hsrv *srv = h->servers; srv; srv = srv->next)
        srv_kill(h, srv, out);
    if (h->base.ctx->client->state != CONN_CLOSED)
        layer_close(&h->base, out, h->base.ctx->client, 0);
}

void
http__client_over(struct http_layer *h, struct cmdq *out)
{
    close_all(h, out);
}

void
http__conn_dead(struct http_layer *h)
{
    h->gc = 1;
}

/* --- what streams ask for --- */

const char *
http__server_error(const struct http_layer *h)
{
    return h->server_error;
}

int
http__tunnel(const struct http_layer *h, const char **host, uint16_t *port, int *https)
{
    if (!h->tunnel)
        return 0;
    *host = h->host;
    *port = h->port;
    *https = h->https;
    return 1;
}

struct hconn *
http__server_conn(struct http_layer *h, struct http_stream *s)
{
    struct hsrv *srv = s->srv;
    return srv && srv->owner == NULL ? srv->hc : NULL;
}

struct connection *
http__server_connection(struct http_layer *h, struct http_stream *s)
{
    struct hsrv *srv = s->srv;
    return srv ? srv->conn : NULL;
}

void
http__send_client(struct http_layer *h, const struct hev *ev, struct cmdq *out)
{
    if (h->client)
        h->client->ops->send(h->client, ev, out);
}

int
http__send_server(struct http_layer *h, struct http_stream *s, const struct hev *ev,
                  struct cmdq *out)
{
    struct hconn *c = http__server_conn(h, s);
    if (c == NULL)
        return 0;
    int rv = c->ops->send(c, ev, out);
    if (ev->type == HEV_REQUEST_HEADERS && rv > 0) {
        s->srv_id = rv;
        http__hc_bind(c, rv, s);
    }
    return rv;
}

enum http_get
http__get_server(struct http_layer *h, struct http_stream *s, struct cmdq *out, const char **msg)
{
    const struct proxy_mode *mode = &h->base.ctx->cfg->mode;
    const struct http_request *req = s->flow->request;
    /* Upstream mode: plain requests of HTTP/1 clients all go to the upstream
     * proxy, in absolute form. */
    int via_upstream = !h->h2 && mode->kind == PROXY_MODE_UPSTREAM && !h->tunnel;
    const char *host = via_upstream ? mode->host : req->host;
    uint16_t port = via_upstream ? mode->port : req->port;
    int tls = !via_upstream && strcmp(req->scheme, "https") == 0;
    int h2c =
        !tls && !h->tunnel && mode->kind == PROXY_MODE_REVERSE && strcmp(mode->scheme, "h2c") == 0;

    s->srv = NULL;
    s->srv_id = 0;
    if (s->ws && h2c) {
        *msg = "WebSocket to an h2c server is not supported.";
        return HTTP_GET_FAILED;
    }
    for (struct hsrv *srv = h->servers; srv; srv = srv->next) {
        const struct connection *c = srv->conn;
        if (srv->dead || srv->owner || srv_gone(srv) || (srv->hc && srv->hc->dead))
            continue;
        if (srv->hc && !srv->hc->h2 && srv->hc->user && srv->hc->user != s)
            continue; /* busy with another exchange */
        if (c->tls != tls || c->address.port != port || c->address.host == NULL ||
            strcmp(c->address.host, host) != 0)
            continue;
        if (srv->open_id) {
            if (h->h2 && srv->opener) {
                /* Opening: wait for it, it may speak HTTP/2. */
                s->srv = srv;
                return HTTP_GET_WAIT;
            }
            continue;
        }
        if (srv->hc == NULL || (s->ws && srv->hc->h2))
            continue; /* a WebSocket goes over HTTP/1.1 */
        if (srv->hc->h2 ? srv->hc->ops->can_take(srv->hc)
                        : srv->hc->user == s ||
                              (srv->hc->user == NULL && srv->hc->ops->can_take(srv->hc))) {
            if (!srv->hc->h2)
                srv->hc->user = s;
            s->srv = srv;
            return HTTP_GET_READY;
        }
    }
    struct connection *c = connection_new(CONN_SERVER);
    addr_set(&c->address, host, port);
    c->http1_only = s->ws;
    if (tls) {
        /* The TLS layer below us speaks TLS on connections marked so. */
        c->tls = 1;
        if (h->tunnel)
            c->sni = h->sni ? xstrdup(h->sni) : NULL;
        else if (!netaddr_is_ip(req->host))
            c->sni = xstrdup(req->host);
    }
    if (!h->h2 && h->nservers >= MAX_SERVERS) {
        /* Too many distinct servers for one client: drop the oldest. */
        struct hsrv *old = h->servers;
        h->opening -= old->open_id != 0;
        srv_kill(h, old, out);
        srv_unlink(h, old);
        srv_free(old);
    }
    struct hsrv *srv = xcalloc(1, sizeof(*srv));
    srv->conn = c;
    srv->h2c = h2c;
    srv->proxy_form = via_upstream;
    srv->opener = s;
    struct hsrv **pp = &h->servers;
    while (*pp)
        pp = &(*pp)->next;
    *pp = srv;
    h->nservers++;
    s->srv = srv;
    srv->open_id = layer_open(&s->base, out, c)->id;
    h->opening++;
    return HTTP_GET_OPEN;
}

void
http__release_server(struct http_layer *h, struct http_stream *s, int abandon, struct cmdq *out)
{
    struct hsrv *srv = s->srv;
    if (srv == NULL)
        return;
    int32_t id = s->srv_id;
    s->srv = NULL;
    s->srv_id = 0;
    h->gc = 1; /* it may have been its last user */
    if (srv->opener == s)
        srv->opener = NULL;
    if (srv->owner == s) {
        /* A WebSocket's connection: it goes with the stream. */
        srv->owner = NULL;
        if (abandon)
            srv_kill(h, srv, out);
        srv->dead = 1;
        return;
    }
    if (srv->hc == NULL)
        return;
    http__hc_release(srv->hc, id, abandon, out);
    if (srv->hc->h2)
        return;
    if (srv->hc->user == s)
        srv->hc->user = NULL;
    const struct http_response *r = s->flow ? s->flow->response : NULL;
    if (!abandon && s->h2 &&
        (srv->hc->until_close || srv->hc->rest || r == NULL ||
         !http1_keep_alive(r->http_version, &r->headers))) {
        /* HTTP/1: the connection serves the next exchange unless it ends here. */
        srv_kill(h, srv, out);
    }
    http__hc_next(srv->hc, out);
}

struct connection *
http__take_server(struct http_layer *h, struct http_stream *s, struct buf *rest)
{
    struct hsrv *srv = s->srv;
    http__hc_take_rest(srv->hc, rest);
    srv->hc->dead = 1;
    srv->owner = s;
    h->gc = 1;
    srv->hc->user = NULL;
    return srv->conn;
}

/* --- streams through with their exchange --- */

/* After CONNECT or an HTTP/1 101: the next layer gets both connections,
 * with whatever bytes either side sent after the handshake. */
static void
hand_off(struct http_layer *h, struct http_stream *s, struct cmdq *out)
{
    struct context *ctx = h->base.ctx;
    struct buf crest = BUF_INIT, srest = BUF_INIT;
    struct connection *server;

    http__hc_take_rest(h->client, &crest);
    if (s->handoff == HANDOFF_TUNNEL) {
        static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
        layer_send(&h->base, out, ctx->client, ok, sizeof(ok) - 1);
        server = connection_ref(s->handoff_server);
        buf_move(&srest, &s->handoff_rest);
        h->child = layer_nextlayer_new(ctx, server);
        /* Some clients send superfluous newlines after CONNECT (mitmproxy
         * strips them too). */
        while (crest.len && (buf_ptr(&crest)[0] == '\r' || buf_ptr(&crest)[0] == '\n'))
            buf_consume(&crest, 1);
    } else {
        struct hsrv *srv = s->srv;
        server = connection_ref(srv->conn);
        http__hc_take_rest(srv->hc, &srest);
        h->child = layer_websocket_new(ctx, s->flow, server);
        s->srv = NULL;
        srv_unlink(h, srv);
        srv_free(srv);
    }
    http__stream_free(s);
    layer_start_child(h->child, out, ctx->client, buf_slice(&crest), server, buf_slice(&srest));
    buf_clear(&crest);
    buf_clear(&srest);
    connection_unref(server);
}

/* An HTTP/1 exchange is over: keep-alive, or close, and the next request. */
static void
finish_h1(struct http_layer *h, struct http_stream *s, struct cmdq *out)
{
    stream_unlink(h, s);
    if (s->handoff) {
        hand_off(h, s, out);
        return;
    }
    int client_keep = 0;
    if (!s->failed) {
        const struct http_request *req = s->flow->request;
        const struct http_response *resp = s->flow->response;
        client_keep = !s->until_close && !s->replay && resp &&
                      http1_keep_alive(req->http_version, &req->headers) &&
                      http1_keep_alive(resp->http_version, &resp->headers);
    }
    struct hsrv *srv = s->srv;
    int32_t srv_id = s->srv_id;
    if (srv && !s->failed) {
        int server_keep = client_keep && srv->hc && !srv->hc->eof && srv->hc->rest == 0;
        if (!server_keep && !srv->dead)
            srv_kill(h, srv, out);
    }
    int failed = s->failed;
    s->srv = NULL;
    h->gc |= srv != NULL;
    if (srv && srv->hc && srv->hc->user == s)
        srv->hc->user = NULL;
    /* The flow goes first, the buffers after it. The stream goes too: the
     * next request makes a new one, so an idle keep-alive connection holds
     * none (and malloc hands the same chunk back at once). */
    http__stream_free(s);
    if (srv && srv->hc && !failed)
        http__hc_release(srv->hc, srv_id, 0, out);
    if (!client_keep || h->closed) {
        close_all(h, out);
        return;
    }
    /* Idle buffers go (the client's first), then on to the next request. */
    http__hc_release(h->client, 1, 0, out);
    if (srv && srv->hc && !srv_gone(srv))
        http__hc_next(srv->hc, out);
    http__hc_next(h->client, out);
}

/*
 * After a stream ran: an HTTP/1 exchange that is over is wound up; a
 * stream that runs again (resume: after a hook or an open) lets its HTTP/1
 * connections go on with what they held back, the server's first.
 */
/* s paused on a command: its wait goes at the ring's end (once). A full
 * ring of MAX_WAITS forgets its oldest, which is then found by looking. */
static void
add_wait(struct http_layer *h, struct http_stream *s)
{
    if (h->wlen && h->waits[(h->whead + h->wlen - 1) % h->wcap].id == s->base.paused_on)
        return;
    if (h->wlen == h->wcap && h->wcap < MAX_WAITS) {
        unsigned ncap = h->wcap ? h->wcap * 2 : FIRST_WAITS;
        struct wait *nw = xmalloc(ncap * sizeof(*nw));
        for (unsigned i = 0; i < h->wlen; i++)
            nw[i] = h->waits[(h->whead + i) % h->wcap];
        free(h->waits);
        h->waits = nw;
        h->wcap = ncap;
        h->whead = 0;
    }
    if (h->wlen == h->wcap) {
        h->whead = (h->whead + 1) % h->wcap;
        h->wlen--;
    }
    struct wait *w = &h->waits[(h->whead + h->wlen++) % h->wcap];
    w->id = s->base.paused_on;
    w->s = s;
}

static void
after_feed(struct http_layer *h, struct http_stream *s, struct cmdq *out, int resume)
{
    if (s->done) {
        if (!s->h2) {
            finish_h1(h, s, out);
        } else if (!s->let_go && http__stream_finished(s)) {
            /* Let go of when the turn ends; nothing reaches it meanwhile. */
            s->let_go = 1;
            stream_unlink(h, s);
            http__hc_bind(h->client, s->id, NULL);
            struct hconn *c = http__server_conn(h, s);
            if (c)
                http__hc_bind(c, s->srv_id, NULL);
            s->next = h->finished;
            h->finished = s;
        }
        return;
    }
    if (h->h2 && http__stream_paused(s))
        add_wait(h, s);
    if (!resume || http__stream_paused(s))
        return;
    struct hsrv *srv = s->srv;
    if (srv && srv->hc && srv->hc->user == s)
        http__hc_resume(srv->hc, out);
    if (!h->h2 && !http__stream_paused(s) && !s->done && h->streams == s)
        http__hc_resume(h->client, out);
}

/* --- what connection layers say --- */

static void
drop_event(const struct hev *ev)
{
    if (ev->type == HEV_REQUEST_HEADERS)
        http_request_free(ev->request);
    if (ev->type == HEV_RESPONSE_HEADERS || ev->type == HEV_RESPONSE_ERROR ||
        ev->type == HEV_RESPONSE_INTERIM)
        http_response_free(ev->response);
    if (ev->trailers) {
        hdrs_clear(ev->trailers);
        free(ev->trailers);
    }
}

int
http__ready(struct http_layer *h, struct hconn *c)
{
    struct http_stream *s;
    if (h->child || h->closed)
        return 0;
    s = c == h->client ? h->streams : c->user;
    return s != NULL && !s->done && !http__stream_paused(s);
}

struct buf *
http__body_sink(struct http_layer *h, struct hconn *c)
{
    return http__ready(h, c) && c != h->client ? http__stream_sink(c->user) : NULL;
}

int
http__receive(struct http_layer *h, struct hconn *from, const struct hev *ev, struct cmdq *out)
{
    struct http_stream *s = ev->stream;
    if (from == h->client) {
        if (ev->type == HEV_REQUEST_HEADERS) {
            s = stream_new(h, ev->id);
            http__hc_bind(from, ev->id, s);
        } else if (s == NULL) {
            s = stream_by_id(h, ev->id);
        }
    } else {
        if (s == NULL)
            s = stream_of_server(h, from, ev->id);
        if (s && ev->type == HEV_RESPONSE_INTERIM) {
            /* Interim responses go straight through (an HTTP/2 client gets none). */
            struct hev interim = *ev;
            interim.id = s->id;
            interim.request = s->flow->request;
            http__send_client(h, &interim, out);
            s = NULL;
        }
    }
    if (s == NULL) {
        drop_event(ev);
        return 1;
    }
    http__stream_event(s, ev, out);
    after_feed(h, s, out, 0);
    return http__ready(h, from);
}

void
http__client_took(struct http_layer *h, int32_t id, size_t n)
{
    struct http_stream *s = stream_by_id(h, id);
    if (s)
        http__stream_took(s, n);
}

/* --- events --- */

/* An open is through: the connection gets its layer, or is given up. */
static const char *
open_result(struct http_layer *h, struct hsrv *srv, const char *err, struct cmdq *out)
{
    struct context *ctx = h->base.ctx;
    srv->open_id = 0;
    h->opening--;
    if (err == NULL && srv->conn->state != CONN_OPEN)
        err = "server closed connection";
    if (err == NULL) {
        int h2 = srv->h2c || (srv->conn->alpn && strcmp(srv->conn->alpn, "h2") == 0);
        srv->hc = h2 ? http__h2_client_new(h, ctx, srv->conn)
                     : http__h1_client_new(h, ctx, srv->conn, srv->proxy_form);
        h->h2_servers += h2;
        if (srv->hc == NULL)
            err = "cannot start an HTTP/2 session";
        else if (!srv->hc->h2)
            srv->hc->user = srv->opener; /* the opener goes first */
    }
    if (err) {
        layer_log(&h->base, out, LOG_INFO, "error establishing server connection: %s", err);
        srv->dead = 1;
        h->gc = 1;
    }
    return err;
}

static void
done_event(struct http_layer *h, const struct event *ev, struct cmdq *out)
{
    struct hsrv *srv = NULL;
    for (srv = h->opening ? h->servers : NULL; srv; srv = srv->next)
        if (srv->open_id && srv->open_id == ev->cmd_id)
            break;
    struct event done = *ev;
    if (srv)
        done.err = open_result(h, srv, ev->err, out);
    struct http_stream *s = NULL;
    for (unsigned i = 0; i < h->wlen && s == NULL; i++) {
        unsigned k = (h->whead + i) % h->wcap;
        if (h->waits[k].id == ev->cmd_id && http__stream_waits_for(h->waits[k].s, ev->cmd_id)) {
            s = h->waits[k].s;
            h->waits[k].id = 0;
        }
    }
    while (h->wlen && h->waits[h->whead].id == 0) {
        h->whead = (h->whead + 1) % h->wcap;
        h->wlen--;
    }
    for (struct http_stream *t = s ? NULL : h->streams; t; t = t->next) {
        if (http__stream_waits_for(t, ev->cmd_id)) {
            s = t;
            break;
        }
    }
    if (s) {
        layer_feed(&s->base, &done, out);
        after_feed(h, s, out, 1);
    }
    if (srv == NULL)
        return;
    /* Whoever waited for the same connection tries again (or fails with it). */
    for (;;) {
        for (s = h->streams; s; s = s->next)
            if (s->srv == srv && s->ss == HS_CONNECT && !http__stream_paused(s))
                break;
        if (s == NULL)
            return;
        struct hev ready = {.type = HEV_SERVER_READY, .id = s->id, .msg = done.err};
        s->srv = NULL;
        http__stream_event(s, &ready, out);
        after_feed(h, s, out, 0);
    }
}

/* A connection layer never waits on a command of its own, so it needs none
 * of layer_feed()'s queueing: its handler is called as it is. */
static void
conn_feed(struct hconn *c, const struct event *ev, struct cmdq *out)
{
    c->base.ops->handle(&c->base, ev, out);
}

static void
conn_event(struct http_layer *h, const struct event *ev, struct cmdq *out)
{
    struct connection *client = h->base.ctx->client;
    if (h->closed && (!h->h2 || ev->type == EV_DATA)) {
        if (ev->type == EV_CLOSED && ev->conn != client && ev->conn->state != CONN_CLOSED &&
            srv_of_conn(h, ev->conn) == NULL)
            layer_close(&h->base, out, ev->conn, 0);
        return;
    }
    if (ev->conn == client) {
        conn_feed(h->client, ev, out);
        return;
    }
    struct hsrv *srv = srv_of_conn(h, ev->conn);
    struct http_stream *owner = srv ? srv->owner : NULL;
    for (struct http_stream *s = h->streams; s && srv == NULL; s = s->next)
        if (http__stream_owns(s, ev->conn))
            owner = s; /* a CONNECT's own connection */
    if (owner) {
        layer_feed(&owner->base, ev, out);
        after_feed(h, owner, out, 0);
        return;
    }
    if (srv && srv->hc) {
        conn_feed(srv->hc, ev, out);
        return;
    }
    if (srv == NULL && !h->h2 && (ev->type == EV_DATA || ev->conn->state != CONN_CLOSED))
        layer_close(&h->base, out, ev->conn, 0); /* of no use to anyone */
}

/* The end of every turn: what the protocols have to say goes out, and what
 * is through is let go of. */
static void
settle(struct http_layer *h, struct cmdq *out)
{
    if (h->child) {
        /* Handed over: only the next layer is needed from now on. */
        if (h->client) {
            layer_free(&h->client->base);
            h->client = NULL;
        }
        return;
    }
    /* HTTP/1 sends as it goes; HTTP/2 sessions say their piece now. */
    for (struct hsrv *srv = h->h2_servers ? h->servers : NULL; srv; srv = srv->next)
        if (srv->hc && srv->hc->h2)
            http__hc_flush(srv->hc, out);
    if (h->h2) {
        http__hc_flush(h->client, out);
        /* Sending to the client acknowledged server data: WINDOW_UPDATEs. */
        for (struct hsrv *srv = h->h2_servers ? h->servers : NULL; srv; srv = srv->next)
            if (srv->hc && srv->hc->h2)
                http__hc_flush(srv->hc, out);
    }
    while (h->finished) {
        struct http_stream *s = h->finished;
        h->finished = s->next;
        s->next = NULL;
        http__release_server(h, s, 1, out);
        http__stream_free(s);
    }
    if (h->gc) {
        h->gc = 0;
        for (struct hsrv *srv = h->servers, *next; srv; srv = next) {
            next = srv->next;
            int dead = srv->dead || (srv->hc && srv->hc->dead);
            if (!dead || srv->open_id || srv->owner || srv_used(h, srv))
                continue;
            srv_kill(h, srv, out); /* e.g. after a GOAWAY, once its last stream is done */
            srv_unlink(h, srv);
            srv_free(srv);
        }
        h->gc = 0; /* what is still used is looked at again when it is let go of */
    }
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct http_layer *h = (struct http_layer *)l;
    if (h->child) {
        layer_feed(h->child, ev, out);
        return;
    }
    switch (ev->type) {
    case EV_START:
        if (h->replay) {
            struct http_stream *s = http__stream_new_replay(h, h->base.ctx, h->replay);
            flow_unref(h->replay);
            h->replay = NULL;
            stream_link(h, s);
            layer_feed(&s->base, ev, out);
            after_feed(h, s, out, 0);
        }
        break;
    case EV_DATA:
    case EV_CLOSED:
        conn_event(h, ev, out);
        break;
    case EV_DONE:
        done_event(h, ev, out);
        break;
    case EV_WAKEUP:
        break;
    case EV_INJECT:
        /* To the stream that relays the flow's WebSocket (HTTP/2). */
        for (struct http_stream *s = h->streams; s; s = s->next) {
            if (s->flow == ev->flow) {
                layer_feed(&s->base, ev, out);
                after_feed(h, s, out, 0);
                break;
            }
        }
        break;
    }
    settle(h, out);
}

static void
http_free(struct layer *l)
{
    struct http_layer *h = (struct http_layer *)l;
    while (h->streams) {
        struct http_stream *s = h->streams;
        stream_unlink(h, s);
        http__stream_free(s);
    }
    while (h->finished) {
        struct http_stream *s = h->finished;
        h->finished = s->next;
        http__stream_free(s);
    }
    free(h->waits);
    if (h->client)
        layer_free(&h->client->base);
    while (h->servers) {
        struct hsrv *srv = h->servers;
        h->servers = srv->next;
        srv_free(srv);
    }
    layer_free(h->child);
    if (h->replay)
        flow_unref(h->replay);
    free(h->host);
    free(h->sni);
    free(h->server_error);
    free(h);
}

/* After a hand-off, once the client's connection layer went (settle) and
 * nothing else is left: the next layer, in this layer's place. */
static struct layer *
http_successor(struct layer *l)
{
    struct http_layer *h = (struct http_layer *)l;
    if (h->client || h->streams || h->finished || h->servers || h->replay)
        return NULL;
    return layer_take(&h->child);
}

static const struct layer_ops http_ops = {
    .name = "http",
    .handle = handle,
    .free = http_free,
    .successor = http_successor,
};

static struct http_layer *
http_new(struct context *ctx, int h2)
{
    struct http_layer *h = xcalloc(1, sizeof(*h));
    layer_init(&h->base, &http_ops, ctx);
    h->h2 = h2;
    h->client = h2 ? http__h2_server_new(h, ctx) : http__h1_server_new(h, ctx);
    return h;
}

/* Requests go to server's address; server (open) is used while it lives. */
static void
set_tunnel(struct http_layer *h, struct connection *server, int https, const char *server_error)
{
    h->tunnel = 1;
    h->https = https;
    h->host = xstrdup(server->address.host ? server->address.host : "");
    h->port = server->address.port;
    h->sni = server->sni ? xstrdup(server->sni) : NULL;
    h->server_error = server_error ? xstrdup(server_error) : NULL;
    if (server->state != CONN_OPEN || server_error)
        return;
    struct hsrv *srv = xcalloc(1, sizeof(*srv));
    srv->conn = connection_ref(server);
    if (server->alpn && strcmp(server->alpn, "h2") == 0) {
        srv->hc = http__h2_client_new(h, h->base.ctx, server);
        srv->dead = srv->hc == NULL;
        h->h2_servers++;
    } else {
        srv->hc = http__h1_client_new(h, h->base.ctx, server, 0);
    }
    h->servers = srv;
    h->nservers = 1;
}

struct layer *
layer_http_new(struct context *ctx)
{
    return &http_new(ctx, 0)->base;
}

struct layer *
layer_http_new_replay(struct context *ctx, struct flow *f)
{
    struct http_layer *h = http_new(ctx, 0);
    h->replay = flow_ref(f);
    f->live = 1;
    return &h->base;
}

struct layer *
layer_http_new_tunnel(struct context *ctx, struct connection *server, int https,
                      const char *server_error)
{
    struct http_layer *h = http_new(ctx, 0);
    set_tunnel(h, server, https, server_error);
    return &h->base;
}

struct layer *
layer_http2_new(struct context *ctx, struct connection *server, int https, const char *server_error)
{
    struct http_layer *h = http_new(ctx, 1);
    if (server)
        set_tunnel(h, server, https, server_error);
    return &h->base;
}

size_t
layer_http2_live_streams(const struct layer *l)
{
    const struct http_layer *h = (const struct http_layer *)l;
    size_t n = 0;
    for (const struct http_stream *s = h->streams; s; s = s->next)
        n++;
    return n + (h->client ? http__h2_streams(h->client) : 0);
}

/* reverse:h2c:// needs nothing around the HTTP layer any more: its server
 * connections speak HTTP/2 themselves. Kept for the callers' sake. */
struct layer *
layer_h1_over_h2_new(struct context *ctx, struct layer *child)
{
    (void)ctx;
    return child;
}
