#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "http/url.h"
#include "options/opt.h"
#include "proxy/context.h"
#include "proxy/hostmatch.h"
#include "tls/ca.h"
#include "tls/certs.h"
#include "tls/session.h"
#include "util/xmalloc.h"

const char *
proxy_mode_name(enum proxy_mode_kind k)
{
    switch (k) {
#define X(name, str)                                                                               \
    case PROXY_MODE_##name:                                                                        \
        return str;
        PROXY_MODE_MAP(X)
#undef X
    }
    return "?";
}

/*
 * "http[s]://host[:port][/]" as mitmproxy's server_spec.parse: a missing
 * scheme means https for port 443 or no port, http otherwise.
 */
static int
parse_server_spec(const char *spec, struct proxy_mode *m, struct err *e)
{
    const char *p = spec;
    const char *sep = strstr(p, "://");
    if (sep) {
        size_t n = (size_t)(sep - p);
        if (n >= sizeof(m->scheme))
            return err_set(e, MP_ERR_INVAL, "invalid server specification: %s", spec);
        memcpy(m->scheme, p, n);
        m->scheme[n] = '\0';
        if (strcmp(m->scheme, "http") != 0 && strcmp(m->scheme, "https") != 0)
            return err_set(e, MP_ERR_INVAL,
                           "invalid server specification: %s (scheme must be http or https)",
                           spec);
        p = sep + 3;
    } else {
        m->scheme[0] = '\0';
    }
    const char *end = p + strlen(p);
    if (end > p && end[-1] == '/')
        end--;
    struct slice host;
    int port;
    int rc = http_hostport_parse(p, (size_t)(end - p), 0, &host, &port, NULL);
    if ((rc == MP_ERR_INVAL && end[-1] != ':') || (rc == 0 && port == 0))
        return err_set(e, MP_ERR_INVAL, "invalid port in server specification: %s", spec);
    if (rc < 0 || host.len >= sizeof(m->host) || memchr(host.p, '/', host.len))
        return err_set(e, MP_ERR_INVAL, "invalid server specification: %s", spec);
    memcpy(m->host, host.p, host.len);
    m->host[host.len] = '\0';
    m->port = port > 0 ? (uint16_t)port : 0;
    if (m->scheme[0] == '\0')
        strcpy(m->scheme, m->port == 0 || m->port == 443 ? "https" : "http");
    if (m->port == 0)
        m->port = strcmp(m->scheme, "https") == 0 ? 443 : 80;
    return 0;
}

/* "PORT" or "HOST:PORT" ("[v6]:PORT") after a mode's "@". */
static int
parse_listen(const char *at, const char *spec, struct proxy_mode *m, struct err *e)
{
    const char *colon = strrchr(at, ':');
    const char *port = colon ? colon + 1 : at;
    if (colon) {
        size_t hlen = (size_t)(colon - at);
        if (hlen >= 2 && at[0] == '[' && at[hlen - 1] == ']') {
            at++;
            hlen -= 2;
        }
        if (hlen >= sizeof(m->listen_host))
            return err_set(e, MP_ERR_INVAL, "invalid listen address in mode '%s'", spec);
        memcpy(m->listen_host, at, hlen);
        m->listen_host[hlen] = '\0';
        m->listen_host_given = 1;
    }
    long v = 0;
    if (*port == '\0')
        return err_set(e, MP_ERR_INVAL, "invalid listen port in mode '%s'", spec);
    for (const char *q = port; *q; q++) {
        if (*q < '0' || *q > '9' || v > 65535)
            return err_set(e, MP_ERR_INVAL, "invalid listen port in mode '%s'", spec);
        v = v * 10 + (*q - '0');
    }
    if (v > 65535)
        return err_set(e, MP_ERR_INVAL, "invalid listen port in mode '%s'", spec);
    m->listen_port = (int)v;
    return 0;
}

static int
all_digits(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/*
 * "socks5://[user:pass@]host[:port]" (port 1080 by default). The spec's
 * listen suffix is already cut off.
 */
static int
parse_socks_spec(const char *spec, const char *full, struct proxy_mode *m, struct err *e)
{
    const char *p = spec + strlen("socks5://");
    const char *at = strchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        size_t ulen = colon ? (size_t)(colon - p) : (size_t)(at - p);
        size_t plen = colon ? (size_t)(at - colon - 1) : 0;
        /* RFC 1929: each is 1..255 bytes. */
        if (colon == NULL || ulen == 0 || ulen > 255 || plen == 0 || plen > 255)
            return err_set(e, MP_ERR_INVAL,
                           "invalid mode '%s': SOCKS5 credentials must be user:password "
                           "(1 to 255 bytes each)",
                           full);
        memcpy(m->user, p, ulen);
        m->user[ulen] = '\0';
        memcpy(m->pass, colon + 1, plen);
        m->pass[plen] = '\0';
        p = at + 1;
    }
    /* The host part has the same shape as an http server spec. */
    char tmp[300];
    struct err sub = {0};
    if (strlen(p) >= sizeof(tmp) - 8)
        return err_set(e, MP_ERR_INVAL, "invalid mode '%s': bad SOCKS5 proxy address", full);
    memcpy(tmp, "http://", 7);
    strcpy(tmp + 7, p);
    if (parse_server_spec(tmp, m, &sub) < 0)
        return err_set(e, MP_ERR_INVAL, "invalid mode '%s': bad SOCKS5 proxy address", full);
    strcpy(m->scheme, "socks5");
    if (strchr(p, ':') == NULL || (p[0] == '[' && strstr(p, "]:") == NULL))
        m->port = 1080;
    return 0;
}

/*
 * The upstream DNS server of a reverse DNS mode: "IP[:PORT]" ("[v6]:PORT"),
 * port 53 by default. An IP, as 8.1.1's dns_mode requires: the queries go
 * out over UDP with no name resolution of their own.
 */
static int
parse_dns_target(const char *p, const char *full, struct proxy_mode *m, struct err *e)
{
    size_t n = strlen(p);
    if (n > 0 && p[n - 1] == '/')
        n--;
    struct slice host;
    int port;
    int rc = http_hostport_parse(p, n, 0, &host, &port, NULL);
    if (rc < 0 || port == 0 || host.len == 0 || host.len >= sizeof(m->host))
        return err_set(e, MP_ERR_INVAL, "invalid mode '%s': expected an IP[:PORT] of a DNS server",
                       full);
    memcpy(m->host, host.p, host.len);
    m->host[host.len] = '\0';
    unsigned char bin[16];
    if (inet_pton(AF_INET, m->host, bin) != 1 && inet_pton(AF_INET6, m->host, bin) != 1)
        return err_set(e, MP_ERR_INVAL,
                       "invalid mode '%s': the DNS server must be an IP address, not '%s'", full,
                       m->host);
    m->kind = PROXY_MODE_DNS;
    strcpy(m->scheme, "dns");
    m->port = port > 0 ? (uint16_t)port : 53;
    return 0;
}

int
proxy_mode_parse_dns(const char *dns_mode, struct proxy_mode *m, struct err *e)
{
    memset(m, 0, sizeof(*m));
    m->listen_port = -1;
    m->kind = PROXY_MODE_DNS;
    if (dns_mode == NULL || strcmp(dns_mode, "regular") == 0)
        return 0;
    if (strcmp(dns_mode, "transparent") == 0)
        return err_set(e, MP_ERR_UNSUPPORTED,
                       "dns_mode: transparent DNS is not supported by this version");
    /* 8.1.1: ^reverse:(?P<host>[^:]+)(:(?P<port>\d+))?$ with host an IP. */
    if (strncmp(dns_mode, "reverse:", 8) == 0 && dns_mode[8] != '\0') {
        struct err sub = {0};
        if (parse_dns_target(dns_mode + 8, dns_mode, m, &sub) == 0)
            return 0;
        return err_set(e, MP_ERR_INVAL,
                       "Invalid DNS reverse mode, expected 'reverse:ip[:port]' got '%s'.",
                       dns_mode);
    }
    return err_set(e, MP_ERR_INVAL, "Invalid DNS mode '%s'.", dns_mode);
}

int
proxy_mode_parse(const char *full, struct proxy_mode *m, struct err *e)
{
    memset(m, 0, sizeof(*m));
    m->listen_port = -1;

    /*
     * mitmproxy 9's "MODE@PORT" / "MODE@HOST:PORT". The "@" is the last one;
     * in "upstream:socks5://user:pass@host" a single "@" belongs to the
     * credentials unless only digits (a port) follow it.
     */
    char spec[1024];
    if (strlen(full) >= sizeof(spec))
        return err_set(e, MP_ERR_INVAL, "invalid mode '%.60s...': too long", full);
    strcpy(spec, full);
    char *at = strrchr(spec, '@');
    if (at && strncmp(spec, "upstream:socks5://", 18) == 0) {
        char *first = strchr(spec + 18, '@');
        if (first == at && !all_digits(at + 1))
            at = NULL;
    }
    if (at) {
        *at = '\0';
        int rc = parse_listen(at + 1, full, m, e);
        if (rc < 0)
            return rc;
    }

    if (strcmp(spec, "regular") == 0) {
        m->kind = PROXY_MODE_REGULAR;
        return 0;
    }
    if (strcmp(spec, "transparent") == 0) {
        m->kind = PROXY_MODE_TRANSPARENT;
        return 0;
    }
    if (strcmp(spec, "socks5") == 0) {
        m->kind = PROXY_MODE_SOCKS5;
        return 0;
    }
    if (strcmp(spec, "dns") == 0) {
        m->kind = PROXY_MODE_DNS;
        return 0;
    }
    if (strncmp(spec, "reverse:dns://", 14) == 0)
        return parse_dns_target(spec + 14, full, m, e);
    if (strncmp(spec, "reverse:h2c://", 14) == 0) {
        /* Cleartext HTTP/2 with prior knowledge to the server (not in 8.1.1). */
        char tmp[1030];
        snprintf(tmp, sizeof(tmp), "http://%s", spec + 14);
        m->kind = PROXY_MODE_REVERSE;
        int rc = parse_server_spec(tmp, m, e);
        if (rc == 0)
            strcpy(m->scheme, "h2c");
        return rc;
    }
    if (strncmp(spec, "reverse:", 8) == 0) {
        m->kind = PROXY_MODE_REVERSE;
        return parse_server_spec(spec + 8, m, e);
    }
    if (strncmp(spec, "upstream:socks5://", 18) == 0) {
        m->kind = PROXY_MODE_UPSTREAM_SOCKS5;
        return parse_socks_spec(spec + 9, full, m, e);
    }
    if (strncmp(spec, "upstream:", 9) == 0) {
        m->kind = PROXY_MODE_UPSTREAM;
        return parse_server_spec(spec + 9, m, e);
    }
    return err_set(e, MP_ERR_INVAL,
                   "invalid mode '%s' (expected regular, transparent, socks5, dns, reverse:SPEC "
                   "or upstream:SPEC, optionally followed by @PORT or @HOST:PORT)",
                   full);
}

const char *
proxy_mode_listen_host(const struct proxy_mode *m, const struct options *opts)
{
    return m->listen_host_given ? m->listen_host : opts->listen_host;
}

int
proxy_mode_listen_port(const struct proxy_mode *m, const struct options *opts)
{
    if (m->listen_port >= 0)
        return m->listen_port;
    /* A DNS server's port is dns_listen_port (53), as mitmproxy's DNS mode
     * listens on 53 unless told otherwise. */
    return m->kind == PROXY_MODE_DNS ? (int)opts->dns_listen_port : (int)opts->listen_port;
}

const char *
proxy_mode_description(const struct proxy_mode *m)
{
    switch (m->kind) {
    case PROXY_MODE_REGULAR:
        return "HTTP(S) proxy";
    case PROXY_MODE_REVERSE:
        return "Reverse proxy";
    case PROXY_MODE_UPSTREAM:
    case PROXY_MODE_UPSTREAM_SOCKS5:
        return "HTTP(S) proxy (upstream mode)";
    case PROXY_MODE_TRANSPARENT:
        return "Transparent proxy";
    case PROXY_MODE_SOCKS5:
        return "SOCKS v5 proxy";
    case PROXY_MODE_DNS:
        return "DNS server";
    }
    return "Proxy server";
}

/* Whether two listen hosts can collide: the same, or one is "all interfaces". */
static int
hosts_overlap(const char *a, const char *b)
{
    static const char *const any[] = {"", "0.0.0.0", "::", "[::]"};
    for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++)
        if (strcmp(a, any[i]) == 0 || strcmp(b, any[i]) == 0)
            return 1;
    return strcmp(a, b) == 0;
}

/* What the user wrote for mode i: a --mode, else the dns_server option. */
static const char *
mode_spec(const struct proxy_config *cfg, size_t i)
{
    if (i < cfg->opts->mode.n)
        return cfg->opts->mode.v[i];
    return i == 0 ? "regular" : "dns_server";
}

/* Two modes on one address cannot both listen: say so before binding. */
static int
check_listeners(const struct proxy_config *cfg, struct err *e)
{
    for (size_t i = 0; i < cfg->nmodes; i++) {
        for (size_t j = 0; j < i; j++) {
            const struct proxy_mode *a = &cfg->modes[j], *b = &cfg->modes[i];
            int pa = proxy_mode_listen_port(a, cfg->opts);
            int pb = proxy_mode_listen_port(b, cfg->opts);
            if (pa == 0 || pa != pb ||
                !hosts_overlap(proxy_mode_listen_host(a, cfg->opts),
                               proxy_mode_listen_host(b, cfg->opts)))
                continue;
            return err_set(e, MP_ERR_INVAL,
                           "modes '%s' and '%s' would both listen on port %d; give one of them "
                           "its own port with @PORT",
                           mode_spec(cfg, j), mode_spec(cfg, i), pa);
        }
    }
    return 0;
}

/*
 * Parses every --mode into cfg->modes (an empty list means regular), then
 * 8.1.1's DNS server: dns_server starts one beside the proxy, on
 * dns_listen_host (127.0.0.1 when empty) and dns_listen_port, doing what
 * dns_mode says. dns_mode is checked even when no DNS server runs, as 8.1.1
 * checks it.
 */
static int
parse_modes(struct proxy_config *cfg, const struct options *opts, struct err *e)
{
    struct proxy_mode dns;
    struct err sub = {0};
    int rc = proxy_mode_parse_dns(opts->dns_mode, &dns, &sub);
    if (rc < 0 && !(rc == MP_ERR_UNSUPPORTED && !opts->dns_server))
        return err_set(e, rc, "%s", sub.msg);
    size_t n = opts->mode.n ? opts->mode.n : 1;
    cfg->modes = xcalloc(n + 1, sizeof(*cfg->modes));
    cfg->nmodes = n;
    for (size_t i = 0; i < n; i++) {
        rc = proxy_mode_parse(opts->mode.n ? opts->mode.v[i] : "regular", &cfg->modes[i], e);
        if (rc < 0)
            return rc;
    }
    if (opts->dns_server) {
        const char *host =
            opts->dns_listen_host && *opts->dns_listen_host ? opts->dns_listen_host : "127.0.0.1";
        snprintf(dns.listen_host, sizeof(dns.listen_host), "%s", host);
        dns.listen_host_given = 1;
        dns.listen_port = (int)opts->dns_listen_port;
        cfg->modes[cfg->nmodes++] = dns;
    }
    cfg->mode = cfg->modes[0];
    return check_listeners(cfg, e);
}

static int
parse_size_opt(const char *name, const char *value, int64_t *out, struct err *e)
{
    *out = -1;
    if (value == NULL || *value == '\0')
        return 0;
    struct err sub = {0};
    int64_t v = opt_parse_size(value, &sub);
    if (v < 0)
        return err_set(e, MP_ERR_INVAL, "%s: invalid size '%s'", name, value);
    *out = v;
    return 0;
}

int
proxy_config_init(struct proxy_config *cfg, const struct options *opts, struct err *e)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->opts = opts;
    http1_limits_default(&cfg->limits);
    int rc;
    if (opts->upstream_auth && *opts->upstream_auth) {
        /* mitmproxy's UpstreamAuth: "user:pass" -> a Basic credential. */
        if (strchr(opts->upstream_auth, ':') == NULL)
            return err_set(e, MP_ERR_INVAL,
                           "upstream_auth: invalid value '%s' (expected username:password)",
                           opts->upstream_auth);
        size_t n = strlen(opts->upstream_auth);
        unsigned char *b64 = xmalloc(4 * ((n + 2) / 3) + 1);
        EVP_EncodeBlock(b64, (const unsigned char *)opts->upstream_auth, (int)n);
        size_t len = strlen((char *)b64) + 7;
        cfg->upstream_auth = xmalloc(len);
        snprintf(cfg->upstream_auth, len, "Basic %s", (char *)b64);
        free(b64);
    }
    rc = parse_size_opt("stream_large_bodies", opts->stream_large_bodies,
                        &cfg->stream_large_bodies, e);
    if (rc < 0)
        return rc;
    rc = parse_size_opt("body_size_limit", opts->body_size_limit, &cfg->body_size_limit, e);
    if (rc < 0)
        return rc;
    if (opts->ignore_hosts.n && opts->allow_hosts.n)
        return err_set(e, MP_ERR_INVAL, "ignore_hosts and allow_hosts are mutually exclusive");
    rc = hostmatch_compile(&cfg->ignore_hosts, &opts->ignore_hosts, "ignore_hosts", e);
    if (rc == 0)
        rc = hostmatch_compile(&cfg->allow_hosts, &opts->allow_hosts, "allow_hosts", e);
    if (rc == 0)
        rc = hostmatch_compile(&cfg->tcp_hosts, &opts->tcp_hosts, "tcp_hosts", e);
    if (rc == 0)
        rc = parse_modes(cfg, opts, e);
    if (rc < 0) {
        proxy_config_clear(cfg);
        return rc;
    }
    cfg->tls_client_min = tls_version_parse(opts->tls_version_client_min);
    cfg->tls_client_max = tls_version_parse(opts->tls_version_client_max);
    cfg->tls_server_min = tls_version_parse(opts->tls_version_server_min);
    cfg->tls_server_max = tls_version_parse(opts->tls_version_server_max);
    return 0;
}

int
proxy_config_load_ca(struct proxy_config *cfg, struct err *e)
{
    cfg->ca = ca_load_or_create(cfg->opts->confdir, (int)cfg->opts->key_size, e);
    if (cfg->ca == NULL)
        return e && e->code ? e->code : MP_ERR_IO;
    return tls_certs_load(&cfg->certs, &cfg->opts->certs, cfg->opts->cert_passphrase, e);
}

const struct proxy_config *
proxy_config_new(const struct options *opts, struct ca *ca, size_t i, struct err *e)
{
    struct proxy_config *cfg = xmalloc(sizeof(*cfg));
    struct options *copy = opt_copy(opts);
    int rc = proxy_config_init(cfg, copy, e);
    if (rc == 0 && i >= cfg->nmodes)
        rc = err_set(e, MP_ERR_INVAL, "no mode number %zu", i);
    if (rc == 0)
        rc = tls_certs_load(&cfg->certs, &copy->certs, copy->cert_passphrase, e);
    if (rc < 0) {
        proxy_config_clear(cfg);
        opt_free(copy);
        free(cfg);
        return NULL;
    }
    cfg->mode = cfg->modes[i];
    cfg->ca = ca_ref(ca);
    cfg->refs = 1;
    return cfg;
}

const struct proxy_config *
proxy_config_ref(const struct proxy_config *cfg)
{
    if (cfg && cfg->refs > 0)
        ((struct proxy_config *)cfg)->refs++;
    return cfg;
}

void
proxy_config_unref(const struct proxy_config *c)
{
    struct proxy_config *cfg = (struct proxy_config *)c;
    if (cfg == NULL || cfg->refs == 0 || --cfg->refs > 0)
        return;
    struct options *opts = (struct options *)cfg->opts;
    proxy_config_clear(cfg);
    opt_free(opts);
    free(cfg);
}

void
proxy_config_for_mode(const struct proxy_config *base, size_t i, struct proxy_config *out)
{
    *out = *base;
    out->mode = base->modes[i];
    out->borrowed = 1;
}

void
proxy_config_clear(struct proxy_config *cfg)
{
    if (cfg->borrowed)
        return;
    free(cfg->modes);
    cfg->modes = NULL;
    cfg->nmodes = 0;
    hostmatch_free(cfg->ignore_hosts);
    hostmatch_free(cfg->allow_hosts);
    hostmatch_free(cfg->tcp_hosts);
    cfg->tcp_hosts = NULL;
    ca_free(cfg->ca);
    tls_certs_free(cfg->certs);
    free(cfg->upstream_auth);
    cfg->upstream_auth = NULL;
    cfg->certs = NULL;
    cfg->ignore_hosts = NULL;
    cfg->allow_hosts = NULL;
    cfg->ca = NULL;
}

static int
any_match(const struct hostmatch *m, const char *host, const char *sni, uint16_t port)
{
    char subject[300];
    const char *names[2] = {host, sni};
    for (int i = 0; i < 2; i++) {
        if (names[i] == NULL || *names[i] == '\0')
            continue;
        snprintf(subject, sizeof(subject), "%s:%u", names[i], port);
        if (hostmatch_search(m, subject))
            return 1;
    }
    return 0;
}

int
proxy_config_ignored(const struct proxy_config *cfg, const char *host, const char *sni,
                     uint16_t port)
{
    if (cfg->ignore_hosts)
        return any_match(cfg->ignore_hosts, host, sni, port);
    if (cfg->allow_hosts)
        return !any_match(cfg->allow_hosts, host, sni, port);
    return 0;
}

struct context *
context_new(struct connection *client, const struct proxy_config *cfg)
{
    struct context *ctx = xcalloc(1, sizeof(*ctx));
    ctx->client = connection_ref(client);
    ctx->cfg = proxy_config_ref(cfg);
    char peer[sizeof(ctx->log_prefix) - 2];
    addr_format(&client->peername, peer, sizeof(peer));
    snprintf(ctx->log_prefix, sizeof(ctx->log_prefix), "%s: ", peer);
    return ctx;
}

void
context_set_log_prefix(struct context *ctx, const char *prefix)
{
    snprintf(ctx->log_prefix, sizeof(ctx->log_prefix), "%s", prefix);
}

void
context_free(struct context *ctx)
{
    if (ctx == NULL)
        return;
    connection_unref(ctx->client);
    proxy_config_unref(ctx->cfg);
    addr_clear(&ctx->original_dst);
    free(ctx);
}

int
proxy_config_tcp(const struct proxy_config *cfg, const char *host, const char *sni, uint16_t port)
{
    return cfg->tcp_hosts && any_match(cfg->tcp_hosts, host, sni, port);
}
