/*
 * The tlsconfig addon (see tlsconfig.h): the TLS layer's policy. What it
 * decides is what the layer used to decide itself, so the defaults are
 * unchanged; only now a script can see and change each choice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addons/addon.h"
#include "addons/tlsconfig.h"
#include "flow/connection.h"
#include "options/opt.h"
#include "proxy/context.h"
#include "proxy/hook.h"
#include "tls/ca.h"
#include "tls/certs.h"
#include "tls/session.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xmalloc.h"

/* SANs a forged leaf carries at most: the upstream's, the SNI and the host. */
#define MAX_NAMES 64

struct tlsconfig {
    struct addon base;
    int verify;           /* !ssl_insecure */
    char *ca_file;        /* ssl_verify_upstream_trusted_ca; owned, NULL = none */
    char *ca_dir;         /* ssl_verify_upstream_trusted_confdir; owned, NULL = none */
    char *client_certs;   /* "~" expanded; owned, NULL = none */
    char *ciphers_client; /* owned, NULL = OpenSSL's defaults */
    char *ciphers_server;
    int rsa_leaves; /* ciphers_client allows no ECDSA suite: forge RSA leaves */
    int http2;
    int upstream_cert;
    int server_first; /* establish_server_tls_first when the server is TLS */
    enum tls_version client_min, client_max, server_min, server_max;
    tlsconfig_queue_cb queue; /* NULL: sign on the loop */
    void *queue_arg;
};

/* The names a forged leaf carries; the strings are borrowed from the hook's data. */
struct names {
    const char *cn;
    const char *sans[MAX_NAMES];
    size_t n;
};

/* A leaf being signed on the pool while its tls_start_client hook waits. */
struct sign_job {
    struct tlsconfig *tc;
    struct hook_call *call;
    struct tls_data *d; /* one reference */
    struct ca *ca;      /* the worker reads it only through ca_leaf_sign() */
    char *cn;           /* owned copies: the worker must not read the hook's data */
    char **sans;
    size_t nsans;
    void *cert; /* X509 *, the worker's result */
    struct err e;
};

static char *
dup_opt(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

static int
version(const char *name, const char *value, enum tls_version *out, struct err *e)
{
    int v = tls_version_parse(value);
    if (v < 0) {
        err_set(e, MP_ERR_INVAL, "%s: invalid TLS version \"%s\"", name, value);
        return MP_ERR_INVAL;
    }
    *out = (enum tls_version)v;
    return 0;
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct tlsconfig *tc = (struct tlsconfig *)a;
    enum tls_version cmin = TLS_VER_UNBOUNDED, cmax = cmin, smin = cmin, smax = cmin;
    (void)updated; /* everything is cheap to read again */
    if (version("tls_version_client_min", o->tls_version_client_min, &cmin, e) < 0 ||
        version("tls_version_client_max", o->tls_version_client_max, &cmax, e) < 0 ||
        version("tls_version_server_min", o->tls_version_server_min, &smin, e) < 0 ||
        version("tls_version_server_max", o->tls_version_server_max, &smax, e) < 0)
        return MP_ERR_INVAL;
    /* As mitmproxy's tlsconfig: a client_certs path that is not there is
     * named now, not at the first connection that would present it. */
    char *client_certs =
        o->client_certs && *o->client_certs ? path_expand_home(o->client_certs) : NULL;
    if (client_certs && access(client_certs, F_OK) != 0) {
        int rc = err_set(e, MP_ERR_NOTFOUND, "client_certs: %s: %s", o->client_certs,
                         strerror(errno));
        free(client_certs);
        return rc;
    }
    tc->client_min = cmin;
    tc->client_max = cmax;
    tc->server_min = smin;
    tc->server_max = smax;
    tc->verify = !o->ssl_insecure;
    tc->http2 = o->http2;
    tc->upstream_cert = o->upstream_cert;
    tc->server_first = strcmp(o->connection_strategy, "eager") == 0 ||
                       o->add_upstream_certs_to_client_chain || o->upstream_cert;
    free(tc->ca_file);
    free(tc->ca_dir);
    free(tc->client_certs);
    free(tc->ciphers_client);
    free(tc->ciphers_server);
    tc->ca_file = dup_opt(o->ssl_verify_upstream_trusted_ca);
    tc->ca_dir = dup_opt(o->ssl_verify_upstream_trusted_confdir);
    tc->client_certs = client_certs;
    tc->ciphers_client = dup_opt(o->ciphers_client);
    tc->ciphers_server = dup_opt(o->ciphers_server);
    tc->rsa_leaves = tls_ciphers_want_rsa(tc->ciphers_client);
    return 0;
}

/* mitmproxy: the server goes first when its certificate or ALPN is wanted. */
static enum addon_result
on_clienthello(struct addon *a, struct hook_call *call)
{
    struct tlsconfig *tc = (struct tlsconfig *)a;
    struct tls_clienthello_data *d = call->data->clienthello;
    if (d && !tc->server_first)
        d->establish_server_tls_first = 0;
    return ADDON_CONTINUE;
}

/* No session for d->conn: why goes to the connection, whose layer reports it. */
static void
fail(struct tls_data *d, const char *why)
{
    free(d->conn->error);
    d->conn->error = xstrdup(why);
}

/* ---- tls_start_client ---- */

/* The host the client asked for, when it sent no SNI. */
static const char *
dest_host(const struct tls_data *d)
{
    return d->server ? d->server->address.host : d->ctx->cfg->mode.host;
}

/*
 * The forged leaf's names: the upstream certificate's SANs (and its CN as
 * the CN), the SNI, and the name or IP the client asked for (an IP SAN when
 * it connected to an IP). Duplicates go, so the cache key does not depend
 * on them.
 */
static void
leaf_names(const struct tlsconfig *tc, const struct tls_data *d, struct names *nm)
{
    const char *sans[MAX_NAMES];
    size_t n = 0;
    nm->cn = NULL;
    if (d->server_tls && tc->upstream_cert) {
        const char *const *peer;
        size_t np = tls_session_peer_sans(d->server_tls, &peer);
        nm->cn = tls_session_peer_cn(d->server_tls);
        for (size_t i = 0; i < np && n < MAX_NAMES - 4; i++)
            sans[n++] = peer[i];
    }
    const char *sni = d->client_hello ? d->client_hello->sni : "";
    if (sni[0]) {
        sans[n++] = sni;
        if (nm->cn == NULL)
            nm->cn = sni;
    }
    const char *host = dest_host(d);
    if (host && host[0]) {
        sans[n++] = host;
        if (nm->cn == NULL)
            nm->cn = host;
    }
    nm->n = 0;
    for (size_t i = 0; i < n; i++) {
        int dup = 0;
        for (size_t j = 0; j < nm->n && !dup; j++)
            dup = strcasecmp(nm->sans[j], sans[i]) == 0;
        if (!dup)
            nm->sans[nm->n++] = sans[i];
    }
}

/* Mirror the server's ALPN choice; with no server (yet), what we speak. */
static size_t
client_alpn(const struct tlsconfig *tc, const struct tls_data *d, const char **alpn)
{
    if (d->server_tls) {
        const char *chosen = tls_session_alpn(d->server_tls);
        if (chosen == NULL)
            return 0;
        alpn[0] = strcmp(chosen, "h2") == 0 ? "h2" : "http/1.1";
        return 1;
    }
    if (!tc->http2 || d->tcp) {
        alpn[0] = "http/1.1";
        return 1;
    }
    alpn[0] = "h2";
    alpn[1] = "http/1.1";
    return 2;
}

static void
client_session(struct tlsconfig *tc, struct tls_data *d, const struct ca_leaf *leaf)
{
    const char *alpn[2];
    struct tls_server_opts o = {
        .leaf = leaf,
        .alpn = alpn,
        .nalpn = client_alpn(tc, d, alpn),
        .min_version = tc->client_min,
        .max_version = tc->client_max,
        .ciphers = tc->ciphers_client,
    };
    struct err e = {0};
    d->ssl_conn = tls_session_new_server(&o, &e);
    if (d->ssl_conn == NULL)
        fail(d, e.msg);
}

static void
sign_work(void *arg)
{
    struct sign_job *j = arg;
    j->cert = ca_leaf_sign(j->ca, j->cn, (const char *const *)j->sans, j->nsans, &j->e);
}

static void
sign_done(void *arg)
{
    struct sign_job *j = arg;
    if (j->cert) {
        struct ca_leaf leaf;
        ca_leaf_put(j->ca, j->cn, (const char *const *)j->sans, j->nsans, j->cert, &leaf);
        client_session(j->tc, j->d, &leaf);
    } else {
        fail(j->d, j->e.msg);
    }
    struct hook_call *call = j->call;
    tls_data_unref(j->d);
    free(j->cn);
    for (size_t i = 0; i < j->nsans; i++)
        free(j->sans[i]);
    free(j->sans);
    free(j);
    addon_resume(call);
}

static enum addon_result
on_start_client(struct addon *a, struct hook_call *call)
{
    struct tlsconfig *tc = (struct tlsconfig *)a;
    struct tls_data *d = call->data->tls;
    if (d == NULL || d->ssl_conn)
        return ADDON_CONTINUE; /* another addon supplied the session */
    const struct proxy_config *cfg = d->ctx->cfg;
    const char *sni = d->client_hello ? d->client_hello->sni : "";
    /* A certificate given with --certs wins over a forged one (mitmproxy's CertStore). */
    const struct ca_leaf *custom =
        cfg->certs ? tls_certs_find(cfg->certs, sni[0] ? sni : dest_host(d)) : NULL;
    if (custom) {
        client_session(tc, d, custom);
        return ADDON_CONTINUE;
    }
    if (cfg->ca == NULL) {
        fail(d, "cannot forge a certificate without a CA");
        return ADDON_CONTINUE;
    }
    struct names nm;
    struct ca_leaf leaf;
    leaf_names(tc, d, &nm);
    if (tc->rsa_leaves) {
        /* A rare configuration: its leaves are signed on the loop. */
        struct err e = {0};
        if (ca_leaf_get_rsa(cfg->ca, nm.cn, nm.sans, nm.n, &leaf, &e) < 0)
            fail(d, e.msg);
        else
            client_session(tc, d, &leaf);
        return ADDON_CONTINUE;
    }
    if (ca_leaf_lookup(cfg->ca, nm.cn, nm.sans, nm.n, &leaf)) {
        client_session(tc, d, &leaf);
        return ADDON_CONTINUE;
    }
    if (tc->queue == NULL) {
        struct err e = {0};
        if (ca_leaf_get(cfg->ca, nm.cn, nm.sans, nm.n, &leaf, &e) < 0)
            fail(d, e.msg);
        else
            client_session(tc, d, &leaf);
        return ADDON_CONTINUE;
    }
    /* A new name: a millisecond of RSA, off the loop. */
    struct sign_job *j = xcalloc(1, sizeof(*j));
    j->tc = tc;
    j->call = call;
    j->d = tls_data_ref(d);
    j->ca = cfg->ca;
    j->cn = nm.cn ? xstrdup(nm.cn) : NULL;
    j->sans = xmalloc((nm.n ? nm.n : 1) * sizeof(*j->sans));
    for (size_t i = 0; i < nm.n; i++)
        j->sans[i] = xstrdup(nm.sans[i]);
    j->nsans = nm.n;
    tc->queue(tc->queue_arg, sign_work, sign_done, j);
    return ADDON_DEFER;
}

/* ---- tls_start_server ---- */

/*
 * The client certificate to present (option client_certs, as mitmproxy's
 * tlsconfig): a file is used for every server; in a directory,
 * "<sni or host>.pem" if it exists. Writes into path; NULL if none.
 */
static const char *
client_cert_for(const struct tlsconfig *tc, const struct connection *conn, char *path, size_t n)
{
    if (tc->client_certs == NULL)
        return NULL;
    const char *name = conn->sni ? conn->sni : conn->address.host;
    struct stat st;
    if (stat(tc->client_certs, &st) == 0 && S_ISREG(st.st_mode)) {
        snprintf(path, n, "%s", tc->client_certs);
        return path;
    }
    if (name == NULL)
        return NULL;
    snprintf(path, n, "%s/%s.pem", tc->client_certs, name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? path : NULL;
}

/*
 * What to offer the server by ALPN: what the client offered (of what we
 * speak: h2 only for HTTP, since a tcp_hosts flow is relayed as bytes)
 * while its handshake waits for the server's; once the client has chosen,
 * that (with h2 we translate to either); http/1.1 when the client is not
 * TLS or the connection must be HTTP/1.1 (a WebSocket from HTTP/2).
 */
static size_t
server_alpn(const struct tlsconfig *tc, const struct tls_data *d, const char **alpn)
{
    const struct connection *client = d->ctx->client;
    const struct clienthello *hello = d->client_hello;
    size_t n = 0;
    if (d->conn->http1_only || hello == NULL) {
        alpn[n++] = "http/1.1";
    } else if (client->tls_established) {
        if (client->alpn && strcmp(client->alpn, "h2") == 0) {
            alpn[n++] = "h2";
            alpn[n++] = "http/1.1";
        } else if (client->alpn) {
            alpn[n++] = "http/1.1";
        }
    } else {
        for (size_t i = 0; i < hello->nalpn; i++)
            if (strcmp(hello->alpn[i], "http/1.1") == 0 ||
                (strcmp(hello->alpn[i], "h2") == 0 && tc->http2 && !d->tcp))
                alpn[n++] = hello->alpn[i];
    }
    return n;
}

static enum addon_result
on_start_server(struct addon *a, struct hook_call *call)
{
    struct tlsconfig *tc = (struct tlsconfig *)a;
    struct tls_data *d = call->data->tls;
    if (d == NULL || d->ssl_conn)
        return ADDON_CONTINUE;
    struct connection *conn = d->conn;
    const char *alpn[CH_MAX_ALPN];
    size_t nalpn = server_alpn(tc, d, alpn);
    char certpath[1200];
    struct tls_client_opts o = {
        .sni = conn->sni,
        .alpn = alpn,
        .nalpn = nalpn,
        .verify = tc->verify,
        .verify_host = conn->sni ? conn->sni : conn->address.host,
        .ca_file = tc->ca_file,
        .ca_dir = tc->ca_dir,
        .min_version = tc->server_min,
        .max_version = tc->server_max,
        .client_cert_file = client_cert_for(tc, conn, certpath, sizeof(certpath)),
        .ciphers = tc->ciphers_server,
        /* The next connection to this server resumes this one's session. */
        .server_host = conn->address.host,
        .server_port = conn->address.port,
    };
    /* mitmproxy's server.alpn_offers, kept in the flow file. */
    connection_set_alpn_offers(conn, alpn, nalpn);
    struct err e = {0};
    d->ssl_conn = tls_session_new_client(&o, &e);
    if (d->ssl_conn == NULL) {
        /* As the layer's log said before the choice moved here. */
        log_msg(LOG_WARN, "%scannot start TLS to %s: %s", d->ctx->log_prefix,
                conn->address.host ? conn->address.host : "the server", e.msg);
        fail(d, e.msg);
    }
    return ADDON_CONTINUE;
}

void
tlsconfig_wire(struct addon *a, tlsconfig_queue_cb queue, void *queue_arg)
{
    struct tlsconfig *tc = (struct tlsconfig *)a;
    tc->queue = queue;
    tc->queue_arg = queue_arg;
}

static void
tlsconfig_free(struct addon *a)
{
    struct tlsconfig *tc = (struct tlsconfig *)a;
    free(tc->ca_file);
    free(tc->ca_dir);
    free(tc->client_certs);
    free(tc->ciphers_client);
    free(tc->ciphers_server);
    free(tc);
}

static const struct addon_ops tlsconfig_ops = {
    .name = "tlsconfig",
    .configure = configure,
    .free = tlsconfig_free,
    .hooks =
        {
            [HOOK_TLS_CLIENTHELLO] = on_clienthello,
            [HOOK_TLS_START_CLIENT] = on_start_client,
            [HOOK_TLS_START_SERVER] = on_start_server,
        },
};

struct addon *
addon_tlsconfig_new(void)
{
    struct tlsconfig *tc = xcalloc(1, sizeof(*tc));
    tc->base.ops = &tlsconfig_ops;
    /* The option defaults, for a chain that is never configured. */
    tc->verify = 1;
    tc->http2 = 1;
    tc->upstream_cert = 1;
    tc->server_first = 1;
    tc->client_min = TLS_VER_TLS1_2;
    tc->client_max = TLS_VER_UNBOUNDED;
    tc->server_min = TLS_VER_TLS1_2;
    tc->server_max = TLS_VER_UNBOUNDED;
    return &tc->base;
}
