/*
 * TLS interception (mitmproxy's ClientTLSLayer and ServerTLSLayer in one
 * layer). The child, an HTTP layer, sees only plaintext: bytes from a TLS
 * connection are decrypted before they reach it, and its sends to a TLS
 * connection are encrypted on the way out.
 *
 * The layer moves bytes; what it says in TLS is policy, and policy is
 * behind hooks, in mitmproxy's order. With a client ClientHello and a
 * CONNECT tunnel's server connection:
 *
 *   HELLO         tls_clienthello: pass through (ignore_connection), or
 *                 which side first (establish_server_tls_first, the
 *                 default when there is a server: upstream certificate
 *                 sniffing, and ALPN mirrored from the server)
 *   SERVER_START  tls_start_server: the session for the server (SNI,
 *                 ALPN, verification, client certificate)
 *   SERVER_HS     handshake with the server
 *   SERVER_DONE   tls_established_server, or tls_failed_server
 *   CLIENT_START  tls_start_client: the session for the client, with the
 *                 certificate to present (the tlsconfig addon forges one
 *                 with the server certificate's names, signed off the loop)
 *   CLIENT_HS     handshake with the client
 *   CLIENT_DONE   tls_established_client (or tls_failed_client, then the
 *                 connection closes)
 *   NEXT_LAYER    next_layer for the plaintext: HTTP, or a TCP flow
 *   RUNNING       relay plaintext to and from the child
 *
 * Without establish_server_tls_first the server's four steps come after
 * the client's. If the server handshake fails, the client handshake still
 * completes so that the child can answer each request with a 502 naming
 * the reason, as mitmproxy does. The layer waits on each of these hooks
 * (layer_feed() keeps what arrives meanwhile).
 *
 * Server connections the child opens later with conn->tls set (a reused
 * connection that closed, or reverse mode to https://) go through
 * tls_start_server, the handshake and tls_established_server (or
 * tls_failed_server) before the child's open is reported done. Those hooks
 * hold up that open only, not the layer: an HTTP/2 client's other streams
 * go on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/certchain.h"
#include "flow/connection.h"
#include "options/opt.h"
#include "proxy/layers/layers.h"
#include "tls/clienthello.h"
#include "tls/session.h"
#include "util/clock.h"
#include "util/netaddr.h"
#include "util/xmalloc.h"

enum tls_state {
    T_START,
    T_HELLO,
    T_SERVER_START,
    T_SERVER_HS,
    T_SERVER_DONE,
    T_CLIENT_START,
    T_CLIENT_HS,
    T_CLIENT_DONE,
    T_CLIENT_FAILED,
    T_NEXT_LAYER,
    T_RUNNING,
    T_CLOSED,
};

/*
 * A TLS server connection. For one the child opened, open_id is its
 * CMD_OPEN, answered once the handshake is through; hook_id is the
 * tls_start_server / tls_established_server / tls_failed_server hook out
 * for it (0: none), with its data.
 */
struct side {
    struct connection *conn; /* one reference */
    struct tls_session *s;   /* one reference; NULL until tls_start_server answered */
    uint64_t open_id;
    uint64_t hook_id;
    struct tls_data *data; /* one reference while hook_id */
    struct buf cin;        /* ciphertext that came before the session */
    char *why;             /* owned: why the handshake failed, for the child's open */
    struct buf early;      /* plaintext the server sent before the child existed */
    enum hook hook;
    /* Flags as bits: a side lives as long as its connection. */
    unsigned established : 1;
    unsigned reads_on : 1;  /* the child's open let the client be read (command.reads_on) */
    unsigned eof : 1;       /* the peer closed while a hook was out */
    unsigned early_eof : 1; /* ... and the end of early */
};

struct tls_layer {
    struct layer base;
    enum tls_state state;
    /* Flags as bits: the layer lives as long as its connection. */
    unsigned client_tls : 1;          /* the client speaks TLS to us */
    unsigned server_after_client : 1; /* establish_server_tls_first was turned off */
    unsigned raw_tcp : 1;             /* tcp_hosts: the plaintext is a TCP flow, not HTTP */
    struct layer *child;
    /* The client's ClientHello (one reference; NULL when the client is not
     * TLS): tls_clienthello's data, shared by every tls_* hook's. */
    struct tls_clienthello_data *ch;
    struct buf client_in;            /* client ciphertext before its session exists */
    struct tls_session *client_s;    /* one reference */
    struct connection *first_server; /* CONNECT target; NULL in reverse mode */
    char *server_error;              /* upstream TLS failure, for the child's 502s */
    /* The hook the layer waits on (a blocking command with the layer as
     * waiter), and its data (tls_clienthello's is ch), by state. */
    uint64_t wait_id;
    struct tls_data *data;
    struct next_layer_data *next;
    struct side **sides; /* owned array of owned sides: one per TLS server connection */
    size_t nsides;
    size_t capsides;
    /* Hooks of sides dropped while out: their EV_DONE is swallowed. */
    uint64_t *orphans;
    size_t norphans;
};

static struct side *
side_of(struct tls_layer *t, const struct connection *c)
{
    for (size_t i = 0; i < t->nsides; i++)
        if (t->sides[i]->conn == c)
            return t->sides[i];
    return NULL;
}

/* A new side for conn (one reference taken); the layer owns it. */
static struct side *
side_add(struct tls_layer *t, struct connection *conn, uint64_t open_id)
{
    if (t->nsides == t->capsides) {
        /* Mostly one server (the CONNECT's), sometimes a second. */
        t->capsides = t->capsides ? t->capsides * 2 : 2;
        t->sides = xrealloc(t->sides, t->capsides * sizeof(*t->sides));
    }
    struct side *sd = xcalloc(1, sizeof(*sd));
    sd->conn = connection_ref(conn);
    sd->open_id = open_id;
    t->sides[t->nsides++] = sd;
    return sd;
}

static void
side_drop(struct tls_layer *t, struct side *sd)
{
    for (size_t i = 0; i < t->nsides; i++) {
        if (t->sides[i] == sd) {
            t->sides[i] = t->sides[--t->nsides];
            break;
        }
    }
    if (sd->hook_id) {
        t->orphans = xrealloc(t->orphans, (t->norphans + 1) * sizeof(*t->orphans));
        t->orphans[t->norphans++] = sd->hook_id;
    }
    tls_data_unref(sd->data);
    tls_session_free(sd->s);
    connection_unref(sd->conn);
    buf_clear(&sd->cin);
    buf_clear(&sd->early);
    free(sd->why);
    free(sd);
}

static int
swallow(struct tls_layer *t, uint64_t id)
{
    for (size_t i = 0; i < t->norphans; i++) {
        if (t->orphans[i] == id) {
            t->orphans[i] = t->orphans[--t->norphans];
            return 1;
        }
    }
    return 0;
}

static void
flush(struct tls_layer *t, struct cmdq *out, struct tls_session *s, struct connection *to)
{
    struct buf b = BUF_INIT;
    tls_session_take_output(s, &b);
    if (b.len)
        layer_send_buf(&t->base, out, to, &b);
    buf_clear(&b);
}

/*
 * Encrypts a send of the child's a piece at a time, taking the ciphertext
 * out of the session after each piece, into one send. (This began with
 * OpenSSL's memory BIO, which grows by a third at a time, copying and
 * cleansing the old block on each step: a buffered 100 MiB body written
 * whole spent three quarters of the download there. The session's own
 * output buffer grows by doubling, but pieces still bound what it holds.)
 */
#define TLS_WRITE_PIECE (256 * 1024)

static void
send_encrypted(struct tls_layer *t, struct cmdq *out, struct tls_session *s, struct connection *to,
               const struct buf *plain)
{
    struct buf b = BUF_INIT;
    struct err e = {0};
    const uint8_t *p = buf_ptr(plain);
    size_t left = plain->len;
    while (left > 0) {
        size_t n = left < TLS_WRITE_PIECE ? left : TLS_WRITE_PIECE;
        int r = tls_session_write(s, p, n, &e);
        tls_session_take_output(s, &b);
        if (r < 0)
            break;
        p += n;
        left -= n;
    }
    if (b.len)
        layer_send_buf(&t->base, out, to, &b);
    buf_clear(&b);
}

static void
set_facts(struct connection *c, struct tls_session *s)
{
    const char *v;
    c->tls_established = 1;
    c->timestamp_tls_setup = clock_now();
    free(c->alpn);
    c->alpn = (v = tls_session_alpn(s)) ? xstrdup(v) : NULL;
    free(c->tls_version);
    c->tls_version = (v = tls_session_version(s)) ? xstrdup(v) : NULL;
    free(c->cipher);
    c->cipher = (v = tls_session_cipher(s)) ? xstrdup(v) : NULL;
}

/* Certificates of a server's chain kept at most (a real chain has 2-4). */
#define MAX_CHAIN 16

/* certificate_list: the server's chain as it sent it, at most MAX_CHAIN
 * certificates, shared with the connections that saw the same one. */
static void
record_certificates(struct connection *c, struct tls_session *s)
{
    struct buf der = BUF_INIT;
    size_t end[MAX_CHAIN], len[MAX_CHAIN], n = 0;
    const uint8_t *p[MAX_CHAIN];
    while (n < MAX_CHAIN && tls_session_peer_cert_der(s, n, &der) == 0)
        end[n++] = der.len;
    for (size_t i = 0; i < n; i++) {
        p[i] = buf_ptr(&der) + (i ? end[i - 1] : 0);
        len[i] = end[i] - (i ? end[i - 1] : 0);
    }
    certchain_unref(c->certs);
    c->certs = certchain_get(p, len, n);
    buf_clear(&der);
}

/* The host the client asked for: SNI, CONNECT target, or the reverse target. */
static const char *
client_dest(const struct tls_layer *t)
{
    if (t->ch && t->ch->client_hello.sni[0])
        return t->ch->client_hello.sni;
    return t->first_server ? t->first_server->address.host : t->base.ctx->cfg->mode.host;
}

/* Raises a hook the layer waits on (it ends the handler's turn). */
static struct command *
wait_hook(struct tls_layer *t, struct cmdq *out, enum hook h, struct connection *server)
{
    struct command *c = layer_hook(&t->base, out, h, NULL, t->base.ctx->client, server);
    t->wait_id = c->id;
    return c;
}

/* The data of a tls_* hook about conn (one reference); s: the session in use, if any. */
static struct tls_data *
tls_hook_data(struct tls_layer *t, struct connection *conn, struct tls_session *s)
{
    struct side *up = t->first_server ? side_of(t, t->first_server) : NULL;
    int client_side = conn == t->base.ctx->client;
    struct tls_data *d = tls_data_new(t->base.ctx, conn, client_side ? t->first_server : conn,
                                      client_side && up && up->established ? up->s : NULL,
                                      t->client_tls ? t->ch : NULL);
    d->tcp = t->raw_tcp;
    d->ssl_conn = s ? tls_session_ref(s) : NULL;
    return d;
}

static void begin_first_server(struct tls_layer *t, struct cmdq *out);
static void ask_start_client(struct tls_layer *t, struct cmdq *out);
static void ask_next_layer(struct tls_layer *t, struct cmdq *out);
static void client_progress(struct tls_layer *t, struct cmdq *out);
static void feed_child(struct tls_layer *t, const struct event *ev, struct cmdq *out);
static void side_hook(struct tls_layer *t, struct side *sd, enum hook h, struct cmdq *out);
static void server_read(struct tls_layer *t, struct side *sd, struct cmdq *out);

/* Drives a server side's handshake: 1 done now, 0 more input needed, < 0 failed (e set). */
static int
server_handshake(struct tls_layer *t, struct side *sd, struct cmdq *out, struct err *e)
{
    int rc = tls_session_handshake(sd->s, e);
    flush(t, out, sd->s, sd->conn);
    if (rc == 1) {
        sd->established = 1;
        set_facts(sd->conn, sd->s);
        record_certificates(sd->conn, sd->s);
    }
    return rc;
}

/*
 * A server handshake failed: it said why (logged, as its error), or the
 * server closed the connection (peer_closed). Then tls_failed_server.
 */
static void
server_failed(struct tls_layer *t, struct side *sd, const char *why, int peer_closed,
              struct cmdq *out)
{
    int first = sd->open_id == 0 && sd->conn == t->first_server && t->state == T_SERVER_HS;
    if (!peer_closed)
        layer_log(&t->base, out, LOG_WARN, "server TLS handshake with %s failed: %s",
                  sd->conn->address.host, why);
    if (!peer_closed || sd->conn->error == NULL) {
        free(sd->conn->error);
        sd->conn->error = xstrdup(why);
    }
    if (first || !peer_closed)
        layer_close(&t->base, out, sd->conn, 0);
    if (first) {
        t->server_error = xstrdup(why);
        t->data = tls_hook_data(t, sd->conn, sd->s);
        side_drop(t, sd);
        t->state = T_SERVER_DONE;
        wait_hook(t, out, HOOK_TLS_FAILED_SERVER, t->first_server)->hook.tls =
            tls_data_ref(t->data);
        return;
    }
    free(sd->why);
    sd->why = xstrdup(why);
    side_hook(t, sd, HOOK_TLS_FAILED_SERVER, out);
}

/* The server handshake completed (sd established): tls_established_server. */
static void
server_established(struct tls_layer *t, struct side *sd, struct cmdq *out)
{
    if (sd->open_id == 0 && sd->conn == t->first_server && t->state == T_SERVER_HS) {
        t->data = tls_hook_data(t, sd->conn, sd->s);
        t->state = T_SERVER_DONE;
        wait_hook(t, out, HOOK_TLS_ESTABLISHED_SERVER, t->first_server)->hook.tls =
            tls_data_ref(t->data);
        return;
    }
    side_hook(t, sd, HOOK_TLS_ESTABLISHED_SERVER, out);
}

/* Starts a side's handshake with the session tls_start_server gave (s, taken). */
static void
server_start(struct tls_layer *t, struct side *sd, struct tls_session *s, struct cmdq *out)
{
    struct err e = {0};
    sd->s = s;
    if (sd->cin.len) {
        tls_session_feed(sd->s, buf_ptr(&sd->cin), sd->cin.len);
        buf_clear(&sd->cin);
    }
    int rc = server_handshake(t, sd, out, &e);
    if (rc < 0)
        server_failed(t, sd, e.msg, 0, out);
    else if (rc == 1)
        server_established(t, sd, out);
    else if (sd->eof)
        server_failed(t, sd, "server closed the connection during the TLS handshake", 1, out);
}

/*
 * A hook about one side that holds up nothing but the child's open of it
 * (tls_*_server for a connection the child opened): the layer does not
 * wait on it, and the EV_DONE finds the side by hook_id.
 */
static void
side_hook(struct tls_layer *t, struct side *sd, enum hook h, struct cmdq *out)
{
    sd->data = tls_hook_data(t, sd->conn, sd->s);
    struct command *c = layer_hook(&t->base, out, h, NULL, t->base.ctx->client, sd->conn);
    c->hook.tls = tls_data_ref(sd->data);
    c->waiter = NULL;
    c->reads_on = sd->reads_on;
    sd->hook = h;
    sd->hook_id = c->id;
}

/* The child's open of sd is over: err NULL on success. */
static void
side_open_done(struct tls_layer *t, struct side *sd, const char *err, struct cmdq *out)
{
    struct event done = {.type = EV_DONE, .cmd_id = sd->open_id, .err = err};
    sd->open_id = 0;
    if (t->child)
        feed_child(t, &done, out);
}

static void
side_hook_done(struct tls_layer *t, struct side *sd, struct cmdq *out)
{
    enum hook h = sd->hook;
    struct tls_data *d = sd->data;
    sd->hook_id = 0;
    sd->data = NULL;
    if (h == HOOK_TLS_START_SERVER) {
        struct tls_session *s = tls_data_take_session(d);
        tls_data_unref(d);
        if (s == NULL) {
            /* The addon said why on the connection, or gave none on purpose. */
            char why[256];
            snprintf(why, sizeof(why), "%s",
                     sd->conn->error ? sd->conn->error : "cannot start TLS to the server");
            uint64_t id = sd->open_id;
            layer_close(&t->base, out, sd->conn, 0);
            side_drop(t, sd);
            struct event done = {.type = EV_DONE, .cmd_id = id, .err = why};
            if (t->child)
                feed_child(t, &done, out);
            return;
        }
        server_start(t, sd, s, out);
        return;
    }
    tls_data_unref(d);
    if (h == HOOK_TLS_FAILED_SERVER) {
        struct event done = {.type = EV_DONE, .cmd_id = sd->open_id, .err = sd->why};
        sd->why = NULL;
        side_drop(t, sd);
        if (t->child)
            feed_child(t, &done, out);
        free((char *)done.err);
        return;
    }
    /* Established: the child hears of its open, then of what came meanwhile. */
    struct connection *conn = connection_ref(sd->conn);
    side_open_done(t, sd, NULL, out);
    if ((sd = side_of(t, conn)) != NULL)
        server_read(t, sd, out);
    connection_unref(conn);
}

static void
fail_client(struct tls_layer *t, struct cmdq *out, const char *why)
{
    struct connection *client = t->base.ctx->client;
    /* Certificate pinning shows up here: say which host, so it can be ignored. */
    int cert_problem =
        strstr(why, "certificate") || strstr(why, "unknown ca") || strstr(why, "bad certificate");
    layer_log(&t->base, out, LOG_WARN, "client TLS handshake failed for %s: %s%s", client_dest(t),
              why,
              cert_problem ? " (the client does not trust our certificate: install the CA, or "
                             "if it pins certificates, add the host to ignore_hosts)"
                           : "");
    free(client->error);
    client->error = xstrdup(why);
    t->data = tls_hook_data(t, client, t->client_s);
    t->state = T_CLIENT_FAILED;
    wait_hook(t, out, HOOK_TLS_FAILED_CLIENT, t->first_server)->hook.tls = tls_data_ref(t->data);
}

/* After tls_failed_client: the connection is over. */
static void
close_all(struct tls_layer *t, struct cmdq *out)
{
    t->state = T_CLOSED;
    layer_close(&t->base, out, t->base.ctx->client, 0);
    for (size_t i = 0; i < t->nsides; i++)
        layer_close(&t->base, out, t->sides[i]->conn, 0);
}

/* The child for the plaintext: what next_layer chose. */
static struct layer *
make_child(struct tls_layer *t, enum next_layer layer, struct cmdq *out)
{
    struct context *ctx = t->base.ctx;
    int https = strcmp(ctx->cfg->mode.scheme, "https") == 0;
    if (layer == NEXT_LAYER_TLS || layer == NEXT_LAYER_NONE) {
        layer_log(&t->base, out, LOG_WARN, "next_layer: %s is no choice inside TLS; using %s",
                  next_layer_name(layer), t->raw_tcp ? "tcp" : "http");
        layer = t->raw_tcp ? NEXT_LAYER_TCP : NEXT_LAYER_HTTP;
    }
    if (layer == NEXT_LAYER_TCP || layer == NEXT_LAYER_IGNORE) {
        int record = layer == NEXT_LAYER_TCP;
        if (t->first_server)
            return record ? layer_tcp_new(ctx, t->first_server)
                          : layer_tunnel_new(ctx, t->first_server);
        return layer_relay_new(ctx, record, https);
    }
    const char *alpn = t->client_s ? tls_session_alpn(t->client_s) : NULL;
    if (alpn && strcmp(alpn, "h2") == 0)
        return layer_http2_new(ctx, t->first_server, 1, t->server_error);
    if (t->first_server)
        return layer_http_new_tunnel(ctx, t->first_server, 1, t->server_error);
    if (strcmp(ctx->cfg->mode.scheme, "h2c") == 0)
        return layer_h1_over_h2_new(ctx, layer_http_new(ctx)); /* reverse:h2c:// */
    return layer_http_new(ctx);
}

static void
start_child(struct tls_layer *t, struct cmdq *out, enum next_layer layer)
{
    struct context *ctx = t->base.ctx;
    t->state = T_RUNNING;
    if (t->child) {
        /* layer_tls_new_wrap: the child came with us. */
        struct event start = {.type = EV_START};
        feed_child(t, &start, out);
        return;
    }
    if (t->raw_tcp && layer == NEXT_LAYER_TCP && t->first_server && t->server_error) {
        /* Nothing to relay to: a TCP flow has no way to report it but closing. */
        t->state = T_CLOSED;
        layer_close(&t->base, out, ctx->client, 0);
        layer_close(&t->base, out, t->first_server, 0);
        return;
    }
    t->child = make_child(t, layer, out);
    struct event start = {.type = EV_START};
    feed_child(t, &start, out);
    for (size_t i = 0; i < t->nsides && t->child; i++) {
        struct side *sd = t->sides[i];
        struct connection *c = connection_ref(sd->conn);
        if (sd->early.len) {
            struct buf b = BUF_INIT;
            buf_move(&b, &sd->early);
            struct event d = {.type = EV_DATA, .conn = c, .data = buf_slice(&b)};
            feed_child(t, &d, out);
            buf_clear(&b);
        }
        if (sd->early_eof) {
            sd->early_eof = 0;
            c->state &= ~CONN_CAN_READ;
            struct event cl = {.type = EV_CLOSED, .conn = c};
            feed_child(t, &cl, out);
        }
        connection_unref(c);
        if (i < t->nsides && t->sides[i]->conn != c)
            i--; /* the child closed this side: the array moved */
    }
}

static void
client_progress(struct tls_layer *t, struct cmdq *out)
{
    struct connection *client = t->base.ctx->client;
    struct err e = {0};
    if (t->state == T_CLIENT_HS) {
        int rc = tls_session_handshake(t->client_s, &e);
        flush(t, out, t->client_s, client);
        if (rc < 0) {
            fail_client(t, out, e.msg);
            return;
        }
        if (rc == 0)
            return;
        set_facts(client, t->client_s);
        t->data = tls_hook_data(t, client, t->client_s);
        t->state = T_CLIENT_DONE;
        wait_hook(t, out, HOOK_TLS_ESTABLISHED_CLIENT, t->first_server)->hook.tls =
            tls_data_ref(t->data);
        return;
    }
    if (t->state != T_RUNNING)
        return;
    struct buf plain = BUF_INIT;
    int rc = tls_session_read(t->client_s, &plain, &e);
    flush(t, out, t->client_s, client);
    if (plain.len) {
        struct event ev = {.type = EV_DATA, .conn = client, .data = buf_slice(&plain)};
        feed_child(t, &ev, out);
    }
    buf_clear(&plain);
    if (rc != 0 && t->state == T_RUNNING) {
        /* close_notify or a TLS error: no more data from the client. */
        client->state &= ~CONN_CAN_READ;
        struct event ev = {.type = EV_CLOSED, .conn = client};
        feed_child(t, &ev, out);
    }
}

static void
ask_clienthello(struct tls_layer *t, struct cmdq *out)
{
    struct connection *client = t->base.ctx->client;
    /* What the ClientHello says is the client connection's, before any hook
     * (mitmproxy's ClientTLSLayer sets sni and alpn_offers first too). */
    const struct clienthello *hello = &t->ch->client_hello;
    free(client->sni);
    client->sni = hello->sni[0] ? xstrdup(hello->sni) : NULL;
    connection_set_alpn_offers(client, (const char *const *)hello->alpn, hello->nalpn);

    t->ch->establish_server_tls_first = t->first_server && t->first_server->tls;
    t->state = T_HELLO;
    wait_hook(t, out, HOOK_TLS_CLIENTHELLO, t->first_server)->hook.clienthello =
        tls_clienthello_data_ref(t->ch);
}

/* ignore_connection: from here on the bytes go through untouched. */
static void
pass_through(struct tls_layer *t, struct cmdq *out)
{
    struct context *ctx = t->base.ctx;
    t->client_tls = 0;
    t->state = T_RUNNING;
    if (t->first_server)
        t->first_server->tls = 0;
    t->child =
        t->first_server ? layer_tunnel_new(ctx, t->first_server) : layer_relay_new(ctx, 0, 0);
    struct event ev = {.type = EV_START};
    layer_feed(t->child, &ev, out);
    if (t->client_in.len) {
        ev = (struct event){.type = EV_DATA, .conn = ctx->client, .data = buf_slice(&t->client_in)};
        layer_feed(t->child, &ev, out);
    }
    buf_clear(&t->client_in);
}

static void
begin_first_server(struct tls_layer *t, struct cmdq *out)
{
    t->data = tls_hook_data(t, t->first_server, NULL);
    t->state = T_SERVER_START;
    wait_hook(t, out, HOOK_TLS_START_SERVER, t->first_server)->hook.tls = tls_data_ref(t->data);
}

static void
ask_start_client(struct tls_layer *t, struct cmdq *out)
{
    t->data = tls_hook_data(t, t->base.ctx->client, NULL);
    t->state = T_CLIENT_START;
    wait_hook(t, out, HOOK_TLS_START_CLIENT, t->first_server)->hook.tls = tls_data_ref(t->data);
}

static void
ask_next_layer(struct tls_layer *t, struct cmdq *out)
{
    if (!t->client_tls) {
        /* Only a server side was TLS: the plaintext is what it was asked for. */
        start_child(t, out, NEXT_LAYER_HTTP);
        return;
    }
    t->next = next_layer_data_new(t->base.ctx, t->raw_tcp ? NEXT_LAYER_TCP : NEXT_LAYER_HTTP);
    t->next->tls = 1;
    t->state = T_NEXT_LAYER;
    wait_hook(t, out, HOOK_NEXT_LAYER, t->first_server)->hook.next_layer =
        next_layer_data_ref(t->next);
}

/* The hook the layer waited on is done: on to the next step. */
static void
hook_done(struct tls_layer *t, struct cmdq *out)
{
    struct connection *client = t->base.ctx->client;
    struct tls_data *d = t->data;
    t->data = NULL;
    switch (t->state) {
    case T_HELLO: {
        int ignore = t->ch->ignore_connection;
        int server_first = t->ch->establish_server_tls_first;
        int server_tls = t->first_server && t->first_server->tls;
        if (ignore)
            pass_through(t, out);
        else if (server_tls && server_first)
            begin_first_server(t, out);
        else {
            t->server_after_client = !!server_tls;
            ask_start_client(t, out);
        }
        return;
    }
    case T_SERVER_START: {
        struct tls_session *s = tls_data_take_session(d);
        tls_data_unref(d);
        if (s == NULL) {
            /* The addon said why on the connection, or gave none on purpose. */
            const char *why = t->first_server->error;
            t->server_error = xstrdup(why ? why : "cannot start TLS to the server");
            if (t->server_after_client)
                ask_next_layer(t, out);
            else if (t->client_tls)
                ask_start_client(t, out);
            else
                start_child(t, out, NEXT_LAYER_HTTP);
            return;
        }
        struct side *sd = side_add(t, t->first_server, 0);
        t->state = T_SERVER_HS;
        server_start(t, sd, s, out);
        return;
    }
    case T_SERVER_DONE:
        tls_data_unref(d);
        if (t->server_after_client || !t->client_tls)
            ask_next_layer(t, out);
        else
            ask_start_client(t, out);
        return;
    case T_CLIENT_START: {
        struct tls_session *s = tls_data_take_session(d);
        tls_data_unref(d);
        if (s == NULL) {
            char why[256];
            snprintf(why, sizeof(why), "%s",
                     client->error ? client->error : "no TLS context was provided for the client");
            fail_client(t, out, why);
            return;
        }
        t->client_s = s;
        client->tls = 1;
        t->state = T_CLIENT_HS;
        tls_session_feed(t->client_s, buf_ptr(&t->client_in), t->client_in.len);
        buf_clear(&t->client_in);
        client_progress(t, out);
        return;
    }
    case T_CLIENT_DONE:
        tls_data_unref(d);
        if (t->server_after_client)
            begin_first_server(t, out);
        else
            ask_next_layer(t, out);
        return;
    case T_CLIENT_FAILED:
        tls_data_unref(d);
        close_all(t, out);
        return;
    case T_NEXT_LAYER: {
        enum next_layer layer = t->next->layer;
        next_layer_data_unref(t->next);
        t->next = NULL;
        start_child(t, out, layer);
        /* The client's first request may have come with its Finished. */
        client_progress(t, out);
        return;
    }
    case T_START:
    case T_SERVER_HS:
    case T_CLIENT_HS:
    case T_RUNNING:
    case T_CLOSED:
        break;
    }
    tls_data_unref(d);
}

/* Runs the child and rewrites its commands that concern TLS connections. */
static void
feed_child(struct tls_layer *t, const struct event *ev, struct cmdq *out)
{
    struct connection *client = t->base.ctx->client;
    struct cmdq tmp;
    cmdq_init(&tmp);
    layer_feed(t->child, ev, &tmp);
    struct command *c;
    while ((c = cmdq_pop(&tmp)) != NULL) {
        struct tls_session *s = NULL;
        if (c->conn == client && t->client_s)
            s = t->client_s;
        else if (c->conn) {
            struct side *sd = side_of(t, c->conn);
            s = sd ? sd->s : NULL;
        }
        if (c->type == CMD_SEND && s) {
            send_encrypted(t, out, s, c->conn, &c->data);
            cmd_free(c);
            continue;
        }
        if (c->type == CMD_CLOSE && s) {
            tls_session_close_notify(s);
            flush(t, out, s, c->conn);
        }
        if (c->type == CMD_CLOSE && !c->half_close && c->conn != client) {
            struct side *sd = side_of(t, c->conn);
            if (sd) {
                /* Gone for good: a long HTTP/2 session opens many of these. */
                cmdq_push(out, c);
                side_drop(t, sd);
                continue;
            }
        }
        if (c->type == CMD_OPEN && c->conn->tls) {
            /* We finish this open (handshake) before the child hears of it. */
            side_add(t, c->conn, c->id)->reads_on = !!c->reads_on;
        }
        cmdq_push(out, c);
    }
}

/* Plaintext a side has ready goes to the child (or waits for it). */
static void
server_read(struct tls_layer *t, struct side *sd, struct cmdq *out)
{
    /* The child may close this connection whenever it runs, which drops its
     * side: sd is looked up again after each feed_child() (the driver holds
     * the connection itself while the event is fed). */
    struct connection *conn = connection_ref(sd->conn);
    struct err e = {0};
    struct buf plain = BUF_INIT;
    int rc = tls_session_read(sd->s, &plain, &e);
    flush(t, out, sd->s, sd->conn);
    if (plain.len && t->child) {
        struct event d = {.type = EV_DATA, .conn = conn, .data = buf_slice(&plain)};
        feed_child(t, &d, out);
        sd = side_of(t, conn);
    } else if (plain.len) {
        /* A server that speaks first (an HTTP/2 SETTINGS frame right after the
         * handshake) while the client's handshake still runs: kept for the child. */
        buf_append(&sd->early, buf_ptr(&plain), plain.len);
    }
    buf_clear(&plain);
    if (sd && sd->eof)
        rc = 1;
    if (rc != 0 && !t->child && sd)
        sd->early_eof = 1;
    if (rc != 0 && t->child && sd) {
        conn->state &= ~CONN_CAN_READ;
        struct event cl = {.type = EV_CLOSED, .conn = conn};
        if (conn->state == CONN_CLOSED)
            side_drop(t, sd);
        feed_child(t, &cl, out);
    }
    connection_unref(conn);
}

static void
on_server_data(struct tls_layer *t, struct side *sd, const struct event *ev, struct cmdq *out)
{
    if (sd->s == NULL) {
        buf_append(&sd->cin, ev->data.p, ev->data.len);
        return;
    }
    tls_session_feed(sd->s, ev->data.p, ev->data.len);
    if (sd->hook_id)
        return; /* read once the hook is through */
    if (!sd->established) {
        struct err e = {0};
        int rc = server_handshake(t, sd, out, &e);
        if (rc < 0)
            server_failed(t, sd, e.msg, 0, out);
        else if (rc == 1)
            server_established(t, sd, out);
        return;
    }
    server_read(t, sd, out);
}

static void
on_closed(struct tls_layer *t, const struct event *ev, struct cmdq *out)
{
    struct connection *client = t->base.ctx->client;
    struct side *sd = side_of(t, ev->conn);
    if (sd && sd->hook_id) {
        /* After the hook: a failed handshake, or the end of a good one. */
        sd->eof = 1;
        return;
    }
    if (sd && !sd->established && (sd->open_id || t->state == T_SERVER_HS)) {
        if (sd->s == NULL) {
            /* Before its open was even answered: the handshake fails once it
             * has a session to fail with. */
            sd->eof = 1;
            return;
        }
        server_failed(t, sd, "server closed the connection during the TLS handshake", 1, out);
        return;
    }
    if (t->state == T_CLIENT_HS && ev->conn == client) {
        fail_client(t, out, "client closed the connection during the TLS handshake");
        return;
    }
    if (sd && sd->established && !t->child) {
        /* The first server closed while the client's handshake runs. */
        sd->early_eof = 1;
        return;
    }
    if (sd && ev->conn->state == CONN_CLOSED)
        side_drop(t, sd);
    if (t->child)
        feed_child(t, ev, out);
}

static void
on_done(struct tls_layer *t, const struct event *ev, struct cmdq *out)
{
    for (size_t i = 0; i < t->nsides; i++) {
        struct side *sd = t->sides[i];
        if (sd->hook_id == ev->cmd_id) {
            side_hook_done(t, sd, out);
            return;
        }
    }
    if (swallow(t, ev->cmd_id))
        return;
    for (size_t i = 0; i < t->nsides; i++) {
        struct side *sd = t->sides[i];
        if (sd->open_id == ev->cmd_id && sd->s == NULL) {
            if (ev->err) {
                side_drop(t, sd);
                break;
            }
            side_hook(t, sd, HOOK_TLS_START_SERVER, out);
            return; /* the child hears of it once the handshake is done */
        }
    }
    if (t->child)
        feed_child(t, ev, out);
}

static void
handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    struct tls_layer *t = (struct tls_layer *)l;
    struct connection *client = l->ctx->client;

    if (t->state == T_CLOSED)
        return;
    switch (ev->type) {
    case EV_START:
        if (t->child)
            start_child(t, out, NEXT_LAYER_HTTP);
        else if (t->client_tls)
            ask_clienthello(t, out);
        else if (t->first_server && t->first_server->tls)
            begin_first_server(t, out);
        else
            start_child(t, out, NEXT_LAYER_HTTP);
        return;
    case EV_DATA:
        if (ev->conn == client) {
            if (!t->client_tls) {
                if (t->child)
                    feed_child(t, ev, out);
            } else if (t->client_s == NULL) {
                buf_append(&t->client_in, ev->data.p, ev->data.len);
            } else {
                tls_session_feed(t->client_s, ev->data.p, ev->data.len);
                client_progress(t, out);
            }
            return;
        }
        {
            struct side *sd = side_of(t, ev->conn);
            if (sd)
                on_server_data(t, sd, ev, out);
            else if (t->child)
                feed_child(t, ev, out);
        }
        return;
    case EV_CLOSED:
        on_closed(t, ev, out);
        return;
    case EV_DONE:
        if (t->wait_id && ev->cmd_id == t->wait_id) {
            t->wait_id = 0;
            hook_done(t, out);
            return;
        }
        on_done(t, ev, out);
        return;
    case EV_WAKEUP:
    case EV_INJECT:
        if (t->child)
            feed_child(t, ev, out);
        return;
    }
}

static void
tls_free(struct layer *l)
{
    struct tls_layer *t = (struct tls_layer *)l;
    layer_free(t->child);
    while (t->nsides)
        side_drop(t, t->sides[0]);
    free(t->sides);
    free(t->orphans);
    tls_session_free(t->client_s);
    tls_clienthello_data_unref(t->ch);
    tls_data_unref(t->data);
    next_layer_data_unref(t->next);
    if (t->first_server)
        connection_unref(t->first_server);
    free(t->server_error);
    buf_clear(&t->client_in);
    free(t);
}

static const struct layer_ops tls_ops = {
    .name = "tls",
    .handle = handle,
    .free = tls_free,
};

struct layer *
layer_tls_new(struct context *ctx, struct connection *server, struct tls_clienthello_data *hello,
              struct buf *first, int raw_tcp)
{
    struct tls_layer *t = xcalloc(1, sizeof(*t));
    layer_init(&t->base, &tls_ops, ctx);
    t->raw_tcp = !!raw_tcp;
    if (server) {
        t->first_server = connection_ref(server);
        server->tls = 1;
        if (hello && hello->client_hello.sni[0] && server->sni == NULL)
            server->sni = xstrdup(hello->client_hello.sni);
        else if (!hello && server->sni == NULL && !netaddr_is_ip(server->address.host))
            server->sni = xstrdup(server->address.host);
    }
    if (hello) {
        t->client_tls = 1;
        t->ch = tls_clienthello_data_ref(hello);
        if (first)
            buf_move(&t->client_in, first);
    }
    return &t->base;
}

struct layer *
layer_tls_new_wrap(struct context *ctx, struct layer *child)
{
    struct tls_layer *t =
        (struct tls_layer *)layer_tls_new(ctx, NULL, NULL, NULL, 0);
    t->child = child;
    return &t->base;
}
