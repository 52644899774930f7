/*
 * TLS interception (mitmproxy's ClientTLSLayer and ServerTLSLayer in one
 * layer). The child, an HTTP layer, sees only plaintext: bytes from a TLS
 * connection are decrypted before they reach it, and its sends to a TLS
 * connection are encrypted on the way out.
 *
 * With a client ClientHello and a CONNECT tunnel's server connection:
 *
 *   SERVER_HS   handshake with the server first, offering the client's SNI
 *               and ALPN (upstream certificate sniffing)
 *   CLIENT_HS   forge a leaf with the server certificate's CN and SANs plus
 *               the SNI (and the IP the client asked for), sign it, and
 *               complete the client's handshake, choosing the ALPN the
 *               server chose
 *   RUNNING     relay plaintext to and from the child
 *
 * If the server handshake fails, the client handshake still completes (with
 * a certificate for the SNI or host) so that the child can answer each
 * request with a 502 naming the reason, as mitmproxy does.
 *
 * Server connections the child opens later with conn->tls set (a reused
 * connection that closed, or reverse mode to https://) get their handshake
 * here before the child's open is reported done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flow/connection.h"
#include "options/opt.h"
#include "proxy/layers/layers.h"
#include "tls/ca.h"
#include "tls/certs.h"
#include "tls/clienthello.h"
#include "tls/session.h"
#include "flow/tnetstring.h"
#include "util/clock.h"
#include "util/path.h"
#include "util/netaddr.h"
#include "util/xmalloc.h"

enum tls_state { T_SERVER_HS, T_CLIENT_HS, T_RUNNING, T_CLOSED };

/* A TLS server connection and the open of the child's it completes. */
struct side {
    struct connection *conn; /* one reference */
    struct tls_session *s;
    int established;
    uint64_t open_id; /* the child's CMD_OPEN waiting for this handshake; 0 = none */
    struct buf early; /* plaintext the server sent before the child existed */
    int early_eof;    /* ... and its end */
};

struct tls_layer {
    struct layer base;
    enum tls_state state;
    struct layer *child;
    int client_tls;              /* the client speaks TLS to us */
    struct clienthello hello;
    struct buf client_in;        /* client ciphertext before its session exists */
    struct tls_session *client_s;
    struct connection *first_server; /* CONNECT target; NULL in reverse mode */
    char *server_error;          /* upstream TLS failure, for the child's 502s */
    int raw_tcp;                 /* the child is a TCP flow, not HTTP */
    struct side **sides; /* owned array of owned sides: one per TLS server connection */
    size_t nsides;
    size_t capsides;
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
side_add(struct tls_layer *t, struct connection *conn, struct tls_session *s, uint64_t open_id)
{
    if (t->nsides == t->capsides) {
        t->capsides = t->capsides ? t->capsides * 2 : 4;
        t->sides = xrealloc(t->sides, t->capsides * sizeof(*t->sides));
    }
    struct side *sd = xcalloc(1, sizeof(*sd));
    *sd = (struct side){.conn = connection_ref(conn), .s = s, .open_id = open_id};
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
    tls_session_free(sd->s);
    connection_unref(sd->conn);
    buf_clear(&sd->early);
    free(sd);
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
 * out of the memory BIO after each piece, into one send. OpenSSL's memory
 * BIO grows by a third at a time, copying and cleansing the old block on
 * each step: a buffered 100 MiB body written whole spent three quarters of
 * the download there.
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

/* Fields mitmproxy's flow files keep that we do not model go into conn->extra. */
static void
set_extra(struct connection *c, const char *key, struct tns *val)
{
    if (c->extra == NULL)
        c->extra = tns_dict();
    tns_dict_set(c->extra, key, val);
}

static struct tns *
alpn_list(const char *const *alpn, size_t n)
{
    struct tns *l = tns_list();
    for (size_t i = 0; i < n; i++)
        tns_list_append(l, tns_bytes(alpn[i], strlen(alpn[i])));
    return l;
}

/* certificate_list: the server's chain as it sent it, PEM each. */
static void
record_certificates(struct connection *c, struct tls_session *s)
{
    struct tns *l = tns_list();
    struct buf pem = BUF_INIT;
    for (size_t i = 0; i < 16 && tls_session_peer_cert_pem(s, i, &pem) == 0; i++) {
        tns_list_append(l, tns_bytes(buf_ptr(&pem), pem.len));
        buf_reset(&pem);
    }
    buf_clear(&pem);
    set_extra(c, "certificate_list", l);
}

/*
 * The client certificate to present to conn's server (option client_certs,
 * as mitmproxy's tlsconfig): a file is used for every server; in a
 * directory, "<sni or host>.pem" if it exists. Writes into path; NULL if none.
 */
static const char *
client_cert_for(const struct tls_layer *t, const struct connection *conn, char *path, size_t n)
{
    const char *spec = t->base.ctx->cfg->opts->client_certs;
    if (spec == NULL || *spec == '\0')
        return NULL;
    char *spec_path = path_expand_home(spec);
    const char *name = conn->sni ? conn->sni : conn->address.host;
    struct stat st;
    int found = 0;
    if (stat(spec_path, &st) == 0 && S_ISREG(st.st_mode)) {
        snprintf(path, n, "%s", spec_path);
        found = 1;
    } else if (name) {
        snprintf(path, n, "%s/%s.pem", spec_path, name);
        found = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    }
    free(spec_path);
    return found ? path : NULL;
}

/* A new client-role session towards conn, with the SNI and ALPN it should carry. */
static struct tls_session *
upstream_session(struct tls_layer *t, struct connection *conn, struct err *e)
{
    const struct proxy_config *cfg = t->base.ctx->cfg;
    const char *alpn[CH_MAX_ALPN];
    size_t nalpn = 0;
    const char *chosen = t->client_s ? tls_session_alpn(t->client_s) : NULL;
    if (conn->http1_only) {
        alpn[nalpn++] = "http/1.1";
    } else if (t->state == T_RUNNING && chosen && strcmp(chosen, "h2") == 0) {
        /* The client speaks HTTP/2 with us already: we translate to either. */
        alpn[nalpn++] = "h2";
        alpn[nalpn++] = "http/1.1";
    } else if (t->client_tls) {
        /* Offer what the client offered, of what we can speak (h2 only for
         * HTTP: a tcp_hosts flow is relayed as bytes). Before the client's
         * handshake, so that we can offer the client what the server chose. */
        for (size_t i = 0; i < t->hello.nalpn; i++)
            if (strcmp(t->hello.alpn[i], "http/1.1") == 0 ||
                (strcmp(t->hello.alpn[i], "h2") == 0 && cfg->opts->http2 && !t->raw_tcp))
                alpn[nalpn++] = t->hello.alpn[i];
    } else {
        alpn[nalpn++] = "http/1.1";
    }
    struct tls_client_opts o = {
        .sni = conn->sni,
        .alpn = alpn,
        .nalpn = nalpn,
        .verify = !cfg->opts->ssl_insecure,
        .verify_host = conn->sni ? conn->sni : conn->address.host,
        .ca_file = cfg->opts->ssl_verify_upstream_trusted_ca,
        .ca_dir = cfg->opts->ssl_verify_upstream_trusted_confdir,
        .min_version = cfg->tls_server_min,
        .max_version = cfg->tls_server_max,
        .client_cert_file = NULL,
    };
    char certpath[1200];
    o.client_cert_file = client_cert_for(t, conn, certpath, sizeof(certpath));
    set_extra(conn, "alpn_offers", alpn_list(alpn, nalpn));
    return tls_session_new_client(&o, e);
}

static void start_client_handshake(struct tls_layer *t, struct cmdq *out);
static void feed_child(struct tls_layer *t, const struct event *ev, struct cmdq *out);

/* Drives a server side's handshake; returns 1 when it completed now. */
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

static void
begin_server(struct tls_layer *t, struct connection *conn, uint64_t open_id, struct cmdq *out)
{
    struct err e = {0};
    struct tls_session *s = upstream_session(t, conn, &e);
    if (s == NULL) {
        layer_log(&t->base, out, LOG_WARN, "cannot start TLS to %s: %s", conn->address.host,
                  e.msg);
        return;
    }
    struct side *sd = side_add(t, conn, s, open_id);
    server_handshake(t, sd, out, &e);
}

/* The names the forged certificate carries. */
static int
forge_leaf(struct tls_layer *t, struct ca_leaf *leaf, struct err *e)
{
    const struct proxy_config *cfg = t->base.ctx->cfg;
    const char *sans[64];
    size_t n = 0;
    const char *cn = NULL;
    struct side *up = t->first_server ? side_of(t, t->first_server) : NULL;
    if (up && up->established && cfg->opts->upstream_cert) {
        const char *const *peer_sans;
        size_t np = tls_session_peer_sans(up->s, &peer_sans);
        cn = tls_session_peer_cn(up->s);
        for (size_t i = 0; i < np && n < 60; i++)
            sans[n++] = peer_sans[i];
    }
    if (t->hello.sni[0]) {
        sans[n++] = t->hello.sni;
        if (cn == NULL)
            cn = t->hello.sni;
    }
    const char *host = t->first_server ? t->first_server->address.host : cfg->mode.host;
    if (host && host[0]) {
        /* The name or IP the client asked for (an IP SAN when it connected to an IP). */
        sans[n++] = host;
        if (cn == NULL)
            cn = host;
    }
    /* Drop duplicates so the cache key does not depend on them. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int dup = 0;
        for (size_t j = 0; j < m; j++)
            if (strcasecmp(sans[j], sans[i]) == 0)
                dup = 1;
        if (!dup)
            sans[m++] = sans[i];
    }
    return ca_leaf_get(cfg->ca, cn, sans, m, leaf, e);
}

static void
fail_client(struct tls_layer *t, struct cmdq *out, const char *why)
{
    struct connection *client = t->base.ctx->client;
    const char *host = t->hello.sni[0] ? t->hello.sni
                       : t->first_server ? t->first_server->address.host
                                         : t->base.ctx->cfg->mode.host;
    /* Certificate pinning shows up here: say which host, so it can be ignored. */
    int cert_problem = strstr(why, "certificate") || strstr(why, "unknown ca") ||
                       strstr(why, "bad certificate");
    layer_log(&t->base, out, LOG_WARN, "client TLS handshake failed for %s: %s%s", host, why,
              cert_problem ? " (the client does not trust our certificate: install the CA, or "
                             "if it pins certificates, add the host to ignore_hosts)"
                           : "");
    free(client->error);
    client->error = xstrdup(why);
    t->state = T_CLOSED;
    layer_close(&t->base, out, client, 0);
    for (size_t i = 0; i < t->nsides; i++)
        layer_close(&t->base, out, t->sides[i]->conn, 0);
}

static void
start_child(struct tls_layer *t, struct cmdq *out)
{
    struct context *ctx = t->base.ctx;
    t->state = T_RUNNING;
    if (t->child) {
        /* layer_tls_new_wrap: the child came with us. */
        struct event start = {.type = EV_START};
        feed_child(t, &start, out);
        return;
    }
    if (t->raw_tcp && t->first_server && t->server_error) {
        /* Nothing to relay to: a TCP flow has no way to report it but closing. */
        t->state = T_CLOSED;
        layer_close(&t->base, out, ctx->client, 0);
        layer_close(&t->base, out, t->first_server, 0);
        return;
    }
    const char *alpn = t->client_s ? tls_session_alpn(t->client_s) : NULL;
    if (t->raw_tcp && t->first_server)
        t->child = layer_tcp_new(ctx, t->first_server);
    else if (alpn && strcmp(alpn, "h2") == 0)
        t->child = layer_http2_new(ctx, t->first_server, 1, t->server_error);
    else if (t->first_server)
        t->child = layer_http_new_tunnel(ctx, t->first_server, 1, t->server_error);
    else if (strcmp(ctx->cfg->mode.scheme, "h2c") == 0)
        t->child = layer_h1_over_h2_new(ctx, layer_http_new(ctx)); /* reverse:h2c:// */
    else
        t->child = layer_http_new(ctx);
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
        start_child(t, out);
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
start_client_handshake(struct tls_layer *t, struct cmdq *out)
{
    const struct proxy_config *cfg = t->base.ctx->cfg;
    struct connection *client = t->base.ctx->client;
    struct err e = {0};
    struct ca_leaf leaf;
    const char *name = t->hello.sni[0]          ? t->hello.sni
                       : t->first_server        ? t->first_server->address.host
                                                : cfg->mode.host;
    /* A certificate given with --certs wins over a forged one (mitmproxy's CertStore). */
    const struct ca_leaf *custom = cfg->certs ? tls_certs_find(cfg->certs, name) : NULL;
    if (custom) {
        leaf = *custom;
    } else if (forge_leaf(t, &leaf, &e) < 0) {
        fail_client(t, out, e.msg);
        return;
    }
    /* Mirror the server's ALPN choice; with no server yet, what we speak. */
    const char *alpn[2] = {"h2", "http/1.1"};
    size_t nalpn = 2;
    struct side *up = t->first_server ? side_of(t, t->first_server) : NULL;
    if (up && up->established) {
        const char *chosen = tls_session_alpn(up->s);
        if (chosen == NULL)
            nalpn = 0;
        else if (strcmp(chosen, "h2") == 0)
            nalpn = 1;
        else
            alpn[0] = "http/1.1", nalpn = 1;
    } else if (!cfg->opts->http2 || t->raw_tcp) {
        alpn[0] = "http/1.1", nalpn = 1;
    }
    struct tls_server_opts o = {
        .leaf = NULL,
        .alpn = alpn,
        .nalpn = nalpn,
        .min_version = cfg->tls_client_min,
        .max_version = cfg->tls_client_max,
    };
    /* The leaf lives in the CA's cache; the session borrows it. */
    static _Thread_local struct ca_leaf cur;
    cur = leaf;
    o.leaf = &cur;
    t->client_s = tls_session_new_server(&o, &e);
    if (t->client_s == NULL) {
        fail_client(t, out, e.msg);
        return;
    }
    client->tls = 1;
    free(client->sni);
    client->sni = t->hello.sni[0] ? xstrdup(t->hello.sni) : NULL;
    {
        const char *offers[CH_MAX_ALPN];
        for (size_t i = 0; i < t->hello.nalpn; i++)
            offers[i] = t->hello.alpn[i];
        set_extra(client, "alpn_offers", alpn_list(offers, t->hello.nalpn));
    }
    t->state = T_CLIENT_HS;
    tls_session_feed(t->client_s, buf_ptr(&t->client_in), t->client_in.len);
    buf_clear(&t->client_in);
    client_progress(t, out);
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
            struct side *sd = c->half_close ? NULL : side_of(t, c->conn);
            if (sd) {
                /* Gone for good: a long HTTP/2 session opens many of these. */
                cmdq_push(out, c);
                side_drop(t, sd);
                continue;
            }
        }
        if (c->type == CMD_OPEN && c->conn->tls) {
            /* We finish this open (handshake) before the child hears of it. */
            side_add(t, c->conn, NULL, c->id);
        }
        cmdq_push(out, c);
    }
}

static void
on_server_data(struct tls_layer *t, struct side *sd, const struct event *ev, struct cmdq *out)
{
    /* The child may close this connection whenever it runs, which drops its
     * side: sd is looked up again after each feed_child() (the driver holds
     * the connection itself while the event is fed). */
    struct connection *conn = ev->conn;
    struct err e = {0};
    tls_session_feed(sd->s, ev->data.p, ev->data.len);
    if (!sd->established) {
        int rc = server_handshake(t, sd, out, &e);
        if (rc == 0)
            return;
        if (rc < 0) {
            layer_log(&t->base, out, LOG_WARN, "server TLS handshake with %s failed: %s",
                      sd->conn->address.host, e.msg);
            free(sd->conn->error);
            sd->conn->error = xstrdup(e.msg);
        }
        if (t->state == T_SERVER_HS) {
            if (rc < 0) {
                t->server_error = xstrdup(e.msg);
                layer_close(&t->base, out, sd->conn, 0);
                side_drop(t, sd);
            }
            start_client_handshake(t, out);
            return;
        }
        /* A connection the child opened: now its open is done. */
        uint64_t id = sd->open_id;
        sd->open_id = 0;
        struct event done = {.type = EV_DONE, .cmd_id = id, .err = rc < 0 ? e.msg : NULL};
        if (rc < 0) {
            layer_close(&t->base, out, sd->conn, 0);
            side_drop(t, sd);
        }
        if (t->child)
            feed_child(t, &done, out);
        if (rc < 0 || (sd = side_of(t, conn)) == NULL)
            return;
    }
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
    if (rc != 0 && !t->child)
        sd->early_eof = 1;
    if (rc != 0 && t->child && sd) {
        conn->state &= ~CONN_CAN_READ;
        struct event cl = {.type = EV_CLOSED, .conn = conn};
        feed_child(t, &cl, out);
    }
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
        if (t->first_server && t->first_server->tls) {
            t->state = T_SERVER_HS;
            begin_server(t, t->first_server, 0, out);
            if (t->nsides == 0) {
                t->server_error = xstrdup("cannot start TLS to the server");
                start_client_handshake(t, out);
            }
        } else if (t->client_tls) {
            start_client_handshake(t, out);
        } else {
            start_child(t, out);
        }
        return;
    case EV_DATA:
        if (ev->conn == client) {
            if (!t->client_tls) {
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
            if (sd && sd->s)
                on_server_data(t, sd, ev, out);
            else if (t->child)
                feed_child(t, ev, out);
        }
        return;
    case EV_CLOSED: {
        struct side *sd = side_of(t, ev->conn);
        if (t->state == T_SERVER_HS && sd && !sd->established) {
            t->server_error = xstrdup("server closed the connection during the TLS handshake");
            layer_close(l, out, sd->conn, 0);
            side_drop(t, sd);
            start_client_handshake(t, out);
            return;
        }
        if (t->state == T_CLIENT_HS && ev->conn == client) {
            fail_client(t, out, "client closed the connection during the TLS handshake");
            return;
        }
        if (sd && sd->open_id && !sd->established) {
            uint64_t id = sd->open_id;
            side_drop(t, sd);
            struct event done = {.type = EV_DONE, .cmd_id = id,
                                 .err = "server closed the connection during the TLS handshake"};
            if (t->child)
                feed_child(t, &done, out);
            return;
        }
        if (sd && ev->conn->state == CONN_CLOSED)
            side_drop(t, sd);
        if (t->child)
            feed_child(t, ev, out);
        return;
    }
    case EV_DONE: {
        for (size_t i = 0; i < t->nsides; i++) {
            struct side *sd = t->sides[i];
            if (sd->open_id == ev->cmd_id && sd->s == NULL) {
                if (ev->err) {
                    side_drop(t, sd);
                    break;
                }
                struct err e = {0};
                sd->s = upstream_session(t, sd->conn, &e);
                if (sd->s == NULL) {
                    uint64_t id = sd->open_id;
                    layer_close(l, out, sd->conn, 0);
                    side_drop(t, sd);
                    struct event done = {.type = EV_DONE, .cmd_id = id, .err = e.msg};
                    feed_child(t, &done, out);
                    return;
                }
                server_handshake(t, sd, out, &e);
                return; /* the child hears of it once the handshake is done */
            }
        }
        if (t->child)
            feed_child(t, ev, out);
        return;
    }
    case EV_WAKEUP:
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
    tls_session_free(t->client_s);
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
layer_tls_new(struct context *ctx, struct connection *server, const struct clienthello *hello,
              struct slice first, int raw_tcp)
{
    struct tls_layer *t = xcalloc(1, sizeof(*t));
    layer_init(&t->base, &tls_ops, ctx);
    t->raw_tcp = raw_tcp;
    if (server) {
        t->first_server = connection_ref(server);
        server->tls = 1;
        if (hello && hello->sni[0] && server->sni == NULL)
            server->sni = xstrdup(hello->sni);
        else if (!hello && server->sni == NULL && !netaddr_is_ip(server->address.host))
            server->sni = xstrdup(server->address.host);
    }
    if (hello) {
        t->client_tls = 1;
        t->hello = *hello;
        buf_append(&t->client_in, first.p, first.len);
    }
    return &t->base;
}

struct layer *
layer_tls_new_wrap(struct context *ctx, struct layer *child)
{
    struct tls_layer *t = (struct tls_layer *)layer_tls_new(ctx, NULL, NULL,
                                                            (struct slice){NULL, 0}, 0);
    t->child = child;
    return &t->base;
}
