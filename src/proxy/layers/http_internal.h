/*
 * Shared between the HTTP layers' files only (STYLE.md: module-internal
 * names carry a double underscore). Nothing outside proxy/layers includes
 * this. The shape is mitmproxy's proxy/layers/http:
 *
 *   http.c          the HTTP layer of one client connection (HttpLayer): its
 *                   connection layers, its streams, which server connection
 *                   a stream gets, and the hand-offs after CONNECT and 101
 *   http_stream.c   one request and its response, one flow (HttpStream):
 *                   hooks, limits, streaming, kill, errors to status codes
 *   http_route.c    where a request goes (URL, mode, tunnel, :authority)
 *   http1_conn.c    HTTP/1 connection layers (Http1Server, Http1Client)
 *   http2_conn.c    HTTP/2 connection layers over nghttp2 (Http2Server,
 *                   Http2Client)
 *   http_common.c   Host values and mitmproxy's error responses
 *
 * A connection layer turns the bytes of one connection into HTTP events
 * (struct hev) and gives them to the HTTP layer (http__receive), which hands
 * them to the stream they are about; a stream sends HTTP events to a
 * connection through the HTTP layer (http__send_client, http__send_server),
 * and the connection layer turns them into bytes. So HTTP/1 and HTTP/2 on
 * either side combine freely, and no layer parses bytes another produced.
 */
#ifndef MP_PROXY_LAYERS_HTTP_INTERNAL_H
#define MP_PROXY_LAYERS_HTTP_INTERNAL_H

#include <stdint.h>

#include "http/http1.h"
#include "http/message.h"
#include "proxy/layer.h"
#include "util/buf.h"

struct flow;
struct http_layer;
struct http_stream;
struct hconn;

/*
 * What happened on a connection (up: connection layer -> stream) or what a
 * stream wants said on one (down: stream -> connection layer). "Up"
 * objects are handed over with the event; "down" ones are borrowed for the
 * call (the flow's own messages).
 */
enum hev_type {
    HEV_REQUEST_HEADERS,  /* request; up: end, length, form, msg; down: whole */
    HEV_REQUEST_DATA,     /* data */
    HEV_REQUEST_END,      /* trailers (or NULL) */
    HEV_REQUEST_ERROR,    /* up: the client's side broke (msg, status); down:
                           * give the request up (reset the stream, close) */
    HEV_RESPONSE_INTERIM, /* response (a 1xx head), passed straight on */
    HEV_RESPONSE_HEADERS, /* response; up: end, length, until_close; down: whole */
    HEV_RESPONSE_DATA,    /* data */
    HEV_RESPONSE_END,     /* trailers (or NULL) */
    HEV_RESPONSE_ERROR,   /* up: the server's side broke (msg, drop_body,
                           * refused); down: answer status with msg, or
                           * with status 0 end the exchange without an answer */
    HEV_SERVER_READY,     /* up, from the HTTP layer: the server connection
                           * the stream waited for is open (msg NULL) or failed */
};

struct hev {
    enum hev_type type;
    int32_t id;                     /* the stream on that connection; HTTP/1: 1 */
    struct http_stream *stream;     /* up: the stream bound to id there (ops->bind), if any */
    struct flow *flow;              /* down: the stream's flow */
    struct http_request *request;   /* *_HEADERS of a request */
    struct http_response *response; /* *_HEADERS and INTERIM of a response */
    struct hdrs *trailers;          /* *_END */
    struct slice data;              /* *_DATA */
    struct buf *take;               /* *_DATA: data is all of this buffer, whose bytes
                                     * the receiver may take (left empty) instead of
                                     * copying them; NULL = copy. Down whole
                                     * RESPONSE_HEADERS to HTTP/1: the content, given
                                     * away (sent without a copy) */
    int in_place;                   /* up RESPONSE_DATA: data was read straight into
                                     * the buffer http__body_sink() gave */
    const char *msg;                /* *_ERROR, SERVER_READY; up REQUEST_HEADERS: an
                                     * HTTP/1 framing error (the request is refused) */
    int status;                     /* *_ERROR: status to answer; 0 = none */
    int64_t length;                 /* up *_HEADERS: announced body length, -1 unknown */
    int end;                        /* up *_HEADERS: no body follows */
    int whole;                      /* down *_HEADERS: the whole message goes: body
                                     * (content) and trailers with it */
    int chunked;                    /* down *_HEADERS: its Transfer-Encoding says
                                     * chunked (HTTP/1 framing, looked up once) */
    int until_close;                /* up RESPONSE_HEADERS: HTTP/1 body ends with the
                                     * connection */
    int form;                       /* up REQUEST_HEADERS: enum http1_form */
    int drop_body;                  /* up RESPONSE_ERROR: keep no body (content None) */
    int refused;                    /* up RESPONSE_ERROR: the server did not process
                                     * the request (RFC 9113 8.7): it may go again */
    uint32_t reset;                 /* down REQUEST/RESPONSE_ERROR to HTTP/2: the
                                     * RST_STREAM code (0: NO_ERROR / INTERNAL_ERROR) */
};

/* --- connection layers --- */

/* The optional operations (resume .. bind) may be NULL: nothing to do.
 * Call them through the http__hc_* helpers below. */
struct hconn_ops {
    struct layer_ops base; /* handle: EV_START, EV_DATA and EV_CLOSED of conn */
    /* Says ev (down) on the connection; never calls http__receive. For
     * REQUEST_HEADERS: the stream's id there (> 0), or a negative nghttp2
     * error; 0 otherwise. */
    int (*send)(struct hconn *, const struct hev *ev, struct cmdq *out);
    /* Whether a new exchange can start on it now (HTTP/1: idle; HTTP/2: the
     * peer's stream limit and no GOAWAY). */
    int (*can_take)(const struct hconn *);
    /* The stream it serves runs again: parse what was held back (HTTP/1). */
    void (*resume)(struct hconn *, struct cmdq *out);
    /* Moves what the protocol has to say into CMD_SENDs (HTTP/2). */
    void (*flush)(struct hconn *, struct cmdq *out);
    /* Response body bytes of stream id went on to the client: the server
     * may send as many more (HTTP/2 flow control; no-op otherwise). */
    void (*ack)(struct hconn *, int32_t id, size_t n);
    /* The stream id gave up its exchange here (abandon: reset it). */
    void (*release)(struct hconn *, int32_t id, int abandon, struct cmdq *out);
    /* Takes the bytes received but not used (for a hand-off): moved into out. */
    void (*take_rest)(struct hconn *, struct buf *out);
    /* The exchange is over and the connection stays: on to the next
     * request (HTTP/1 server side), or idle (HTTP/1 client side). */
    void (*next)(struct hconn *, struct cmdq *out);
    /* HTTP/2: s (NULL: none any more) is the stream of id here; events of
     * id carry it up, so the HTTP layer need not look for it. */
    void (*bind)(struct hconn *, int32_t id, struct http_stream *s);
};

struct hconn {
    struct layer base;
    const struct hconn_ops *ops;
    struct http_layer *h;     /* gets what the connection says */
    struct connection *conn;  /* one reference */
    int h2;                   /* multiplexes streams */
    int client;               /* the client's connection (we are the server) */
    int dead;                 /* closed, broken or going away: no new exchanges */
    int gone;                 /* closed by us: nothing more is said on it */
    int eof;                  /* the peer closed its side */
    int until_close;          /* HTTP/1: the current response ends with the connection */
    size_t rest;              /* HTTP/1: bytes received and not yet used */
    struct http_stream *user; /* HTTP/1 server connection: the stream it serves
                               * (kept by the HTTP layer) */
};

/* Sets up the hconn part of a connection layer on conn (one reference
 * taken); it faces the client when conn is the context's client. */
void http__hconn_init(struct hconn *, const struct hconn_ops *ops, struct http_layer *h,
                      struct context *ctx, struct connection *conn);

static inline void
http__hc_resume(struct hconn *c, struct cmdq *out)
{
    if (c->ops->resume)
        c->ops->resume(c, out);
}

static inline void
http__hc_flush(struct hconn *c, struct cmdq *out)
{
    if (c->ops->flush)
        c->ops->flush(c, out);
}

static inline void
http__hc_ack(struct hconn *c, int32_t id, size_t n)
{
    if (c->ops->ack)
        c->ops->ack(c, id, n);
}

static inline void
http__hc_release(struct hconn *c, int32_t id, int abandon, struct cmdq *out)
{
    if (c->ops->release)
        c->ops->release(c, id, abandon, out);
}

static inline void
http__hc_take_rest(struct hconn *c, struct buf *out)
{
    if (c->ops->take_rest)
        c->ops->take_rest(c, out);
}

static inline void
http__hc_next(struct hconn *c, struct cmdq *out)
{
    if (c->ops->next)
        c->ops->next(c, out);
}

static inline void
http__hc_bind(struct hconn *c, int32_t id, struct http_stream *s)
{
    if (c->ops->bind)
        c->ops->bind(c, id, s);
}

/* Connection layers; each is owned by the HTTP layer (layer_free()). */
struct hconn *http__h1_server_new(struct http_layer *, struct context *);
/* proxy_form: requests go to an upstream proxy in absolute form. */
struct hconn *http__h1_client_new(struct http_layer *, struct context *, struct connection *server,
                                  int proxy_form);
struct hconn *http__h2_server_new(struct http_layer *, struct context *);
/* Returns NULL if nghttp2 cannot start a session. */
struct hconn *http__h2_client_new(struct http_layer *, struct context *, struct connection *server);
/* Streams an HTTP/2 connection layer still holds (sending, or not yet
 * handed to the HTTP layer). */
size_t http__h2_streams(const struct hconn *);

/* --- the HTTP layer (http.c), as its streams and connections see it --- */

/*
 * From a connection layer: ev happened. Objects in ev are handed over (an
 * unknown stream's are freed). Returns 1 when whoever it went to takes more
 * events, 0 when it waits (a hook): HTTP/1 then parses nothing further
 * until ops->resume.
 */
int http__receive(struct http_layer *, struct hconn *from, const struct hev *ev, struct cmdq *out);
/* Whether the stream a connection layer serves takes events now (HTTP/1). */
int http__ready(struct http_layer *, struct hconn *);
/* HTTP/1 server side: where the stream c serves keeps its response body,
 * when it is ready and buffers it; the body bytes are read straight into
 * it (one copy fewer) and go up as in_place RESPONSE_DATA. NULL: none. */
struct buf *http__body_sink(struct http_layer *, struct hconn *c);
/* From the client's connection layer: it is over (peer gone, protocol error
 * answered): every connection closes. */
void http__client_over(struct http_layer *, struct cmdq *out);
/* From a server's connection layer: it is dead now (closed, broken, going
 * away); the HTTP layer lets go of it once no stream uses it. */
void http__conn_dead(struct http_layer *);
/* From the client's HTTP/2 connection layer: the client took n response
 * bytes of stream id. */
void http__client_took(struct http_layer *, int32_t id, size_t n);

/* A stream's SendHttp to its client or to its server connection; the
 * latter returns what ops->send did (the request's stream id there). */
void http__send_client(struct http_layer *, const struct hev *, struct cmdq *out);
int http__send_server(struct http_layer *, struct http_stream *, const struct hev *,
                      struct cmdq *out);

enum http_get {
    HTTP_GET_READY,  /* s->srv is open and s may use it now */
    HTTP_GET_OPEN,   /* s opened a connection: it waits for the open (EV_DONE) */
    HTTP_GET_WAIT,   /* another stream's open may serve s: HEV_SERVER_READY follows */
    HTTP_GET_FAILED, /* *msg says why; nothing was emitted */
};
/* GetHttpConnection: a server connection for s's request. */
enum http_get http__get_server(struct http_layer *, struct http_stream *, struct cmdq *out,
                               const char **msg);
/* The connection layer of s's server connection; NULL while it opens. */
struct hconn *http__server_conn(struct http_layer *, struct http_stream *);
/* s's server connection, open or opening. */
struct connection *http__server_connection(struct http_layer *, struct http_stream *);
/*
 * The stream is through with its server connection; abandon gives up its
 * exchange there (reset, or close for HTTP/1). An HTTP/1 server that an
 * HTTP/2 client's stream leaves stays for the next exchange unless its
 * response ended with the connection or said close.
 */
void http__release_server(struct http_layer *, struct http_stream *, int abandon, struct cmdq *out);
/* The connection s->srv stays with s (a WebSocket after 101): the HTTP
 * layer passes its events to s from now on; the bytes it received but did
 * not use go to rest. */
struct connection *http__take_server(struct http_layer *, struct http_stream *, struct buf *rest);
/* Why servers cannot be reached (a tunnel whose TLS failed), or NULL. */
const char *http__server_error(const struct http_layer *);
/* Whether the HTTP layer runs inside a tunnel (CONNECT, TLS), and where to. */
int http__tunnel(const struct http_layer *, const char **host, uint16_t *port, int *https);

/* --- streams (http_stream.c) --- */

enum http_handoff {
    HANDOFF_NONE,
    HANDOFF_TUNNEL,    /* CONNECT established: the next layer takes both connections */
    HANDOFF_WEBSOCKET, /* HTTP/1 101: the WebSocket layer takes both connections */
};

/* The request side of a stream (mitmproxy's client_state). */
enum http_cstate {
    HC_HEAD,    /* the request head is being dealt with */
    HC_BODY,    /* its body is read into the flow */
    HC_STREAM,  /* its body goes to the server as it comes */
    HC_DONE,    /* complete */
    HC_ERRORED, /* failed: events for it are dropped */
};

/* The response side (server_state). */
enum http_sstate {
    HS_IDLE,      /* no server asked yet */
    HS_CONNECT,   /* waiting for a server connection */
    HS_SENT,      /* the request went (or is going) out: waiting for the response head */
    HS_BODY,      /* its body is read into the flow */
    HS_STREAM,    /* its body goes to the client as it comes */
    HS_DONE,      /* complete */
    HS_TUNNEL,    /* CONNECT upstream: reading the upstream proxy's answer */
    HS_WEBSOCKET, /* HTTP/2 extended CONNECT: the WebSocket layer relays */
    HS_ERRORED,
};

/* What the stream is paused on: where it goes on when it is done. */
enum http_wait {
    HW_NONE,
    HW_REQUESTHEADERS,
    HW_REQUEST,
    HW_RESPONSEHEADERS,
    HW_RESPONSE,
    HW_ERROR,
    HW_CONNECT,      /* the http_connect hook */
    HW_OPEN,         /* an open of a server connection for the request */
    HW_CONNECT_OPEN, /* the open of a CONNECT's own connection */
    HW_CONNECT_UPSTREAM, /* the http_connect_upstream hook */
};

struct http_qev; /* an HTTP event that came while the stream waited */

struct http_stream {
    struct layer base; /* fed EV_START, EV_DONE, EV_WAKEUP 0 (an HTTP event is
                        * in the inbox), the events of a connection it
                        * took over, and EV_INJECT for its WebSocket */
    struct http_layer *h;
    struct http_stream *next, *prev;
    int32_t id; /* on the client's connection */
    int h2;     /* the client speaks HTTP/2 */
    enum http_cstate cs;
    enum http_sstate ss;
    enum http_wait wait;
    struct flow *flow; /* one reference; NULL before the request */
    void *srv;         /* the HTTP layer's record of its server connection */
    int32_t srv_id;    /* the stream there (HTTP/2); 0 = none */
    int done;          /* over: the HTTP layer lets it go (DropStream) */
    int let_go;        /* HTTP/2: on the HTTP layer's list of streams to free */
    int failed;        /* HTTP/1: over after an error: the client goes too */
    enum http_handoff handoff;
    struct connection *handoff_server; /* one reference: the next layer's server */
    struct buf handoff_rest;           /* server bytes the next layer gets */

    /* the request */
    int replay;             /* client replay: the saved request, as it is */
    int64_t req_length;     /* announced body length; -1 unknown */
    int req_nobody;         /* the head said no body follows */
    int req_end;            /* the client's request is complete */
    int req_sent;           /* its head went to the server */
    int req_streamed;       /* its body goes to the server as it comes */
    struct buf req_pending; /* streamed (or WebSocket) bytes not sent yet */

    /* the response */
    int64_t resp_length;
    int resp_nobody; /* the server's head said no body follows */
    int until_close; /* HTTP/1 server: the body ends with its connection */
    int resp_head;   /* a response head came from the server */
    int resp_streamed;
    int resp_sent;      /* the response head went to the client */
    int addon_response; /* an addon answered: no server involved */
    int error_status;   /* owed to the client after the error hook; 0 = none */
    int client_gone;    /* HTTP/2: the client's stream is closed */
    int retries;        /* sent again after the server refused the stream */
    size_t preacked;    /* streamed bytes the server was told of already */
    size_t unacked;     /* streamed bytes passed on, not yet taken by the client */

    /* CONNECT (HTTP/1) */
    struct connection *tunnel; /* the CONNECT's own server connection (one reference) */
    struct buf tunnel_in;      /* the upstream proxy's answer so far */
    struct flow *upstream_connect; /* the CONNECT for the upstream proxy, in its hook (one ref) */

    /* RFC 8441: a WebSocket an HTTP/2 client opened with an extended
     * CONNECT. After the server's 101 the WebSocket layer relays it, seeing
     * the stream as a client connection of its own (ws_client, in ws_ctx). */
    int ws;
    struct connection *ws_client; /* one reference */
    struct connection *ws_server; /* one reference */
    struct context *ws_ctx;       /* owned */
    struct layer *ws_layer;       /* owned */
    uint64_t ws_wait;             /* its blocking command; 0 = none */
    int ws_closed;                /* it closed the stream */

    /* The inbox: HTTP events that came while the stream waited (owned
     * copies), and the one being handed over right now (borrowed). */
    struct http_qev *q;
    size_t nq, capq, qhead;
    const struct hev *cur;
};

/* A stream for a request that arrives on the client connection (id). */
struct http_stream *http__stream_new(struct http_layer *, struct context *, int32_t id, int h2);
/* Client replay: a stream for the saved request of f (one reference taken). */
struct http_stream *http__stream_new_replay(struct http_layer *, struct context *, struct flow *f);
void http__stream_free(struct http_stream *);
/* Gets an HTTP event (objects handed over); it waits in the inbox while the
 * stream is paused. */
void http__stream_event(struct http_stream *, const struct hev *, struct cmdq *out);
/* The stream's response body when it is buffered now (http__body_sink). */
struct buf *http__stream_sink(struct http_stream *);
/* Response bytes the client took (HTTP/2 flow control): passed upstream. */
void http__stream_took(struct http_stream *, size_t n);
/* Whether the stream is paused on a blocking command. */
static inline int
http__stream_paused(const struct http_stream *s)
{
    return s->base.paused_on != 0;
}

/* Whether a blocking command id is the stream's (or its WebSocket's). */
static inline int
http__stream_waits_for(const struct http_stream *s, uint64_t cmd_id)
{
    return (s->base.paused_on && s->base.paused_on == cmd_id) ||
           (s->ws_wait && s->ws_wait == cmd_id);
}

/* Whether conn is a connection the stream took over (CONNECT, WebSocket). */
static inline int
http__stream_owns(const struct http_stream *s, const struct connection *c)
{
    return (s->tunnel && s->tunnel == c) || (s->ws_server && s->ws_server == c);
}
/* Whether the stream can be let go of (done, waiting for nothing). A
 * WebSocket lives until both ends are gone. */
static inline int
http__stream_finished(const struct http_stream *s)
{
    if (!s->done || s->base.paused_on || s->ws_wait)
        return 0;
    return s->ws_layer == NULL || (s->ws_closed && s->client_gone);
}

/* --- routing (http_route.c) --- */

/*
 * Where the request of an HTTP/1 client goes, from its target form, the
 * mode and the tunnel: fills host, port, scheme and authority, rewrites
 * Host in reverse mode. Returns 0, or the status to refuse it with and
 * *msg.
 */
int http__route_h1(struct http_layer *, struct context *, struct http_request *,
                   enum http1_form form, const char **msg);
/* The same for an HTTP/2 client (:authority). */
int http__route_h2(struct http_layer *, struct context *, struct http_request *, const char **msg);

/* --- common (http_common.c) --- */

/*
 * mitmproxy's make_error_response: a small HTML page naming status and msg.
 * _h1 appends the whole HTTP/1.1 response (Server, Connection: close) to
 * out; _h2 returns a new response (the caller owns it) for an HTTP/2 stream.
 */
void http__error_response_h1(struct buf *out, int status, const char *msg);
struct http_response *http__error_response_h2(int status, const char *msg);

#endif
