/*
 * Where a request goes: the server of the tunnel it came through, the
 * target of reverse mode, or what the request itself names (an HTTP/1
 * absolute URL, an HTTP/2 :authority). The answers are mitmproxy's
 * (HttpStream.state_wait_for_request_headers), with this project's
 * messages for what is refused.
 */
#include <stdlib.h>
#include <string.h>

#include "http/url.h"
#include "options/opt.h"
#include "proxy/layers/http_internal.h"

/* Reverse mode rewrites Host (HTTP/1) or :authority (HTTP/2) unless
 * keep_host_header: the server is asked for its own name. */
static char *
reverse_hostport(const char *scheme, const char *host, uint16_t port)
{
    struct buf hp = BUF_INIT;
    http_hostport_write(&hp, scheme, host, port, 0);
    char *s = buf_strdup(&hp);
    buf_clear(&hp);
    return s;
}

/*
 * req's host and port from the authority a[0..n) (a Host header, an
 * :authority), the port defaulting to the scheme's. -1 when it names no
 * host or port 0.
 */
static int
target_from_authority(struct http_request *req, const char *a, size_t n, unsigned flags)
{
    struct slice name;
    int p;
    if (http_hostport_parse(a, n, flags, &name, &p, NULL) < 0 || p == 0)
        return -1;
    free(req->host);
    req->host = slice_strdup(name);
    req->port = (uint16_t)(p > 0 ? p : (strcmp(req->scheme, "https") == 0 ? 443 : 80));
    return 0;
}

int
http__route_h1(struct http_layer *h, struct context *ctx, struct http_request *req,
               enum http1_form form, const char **msg)
{
    const struct proxy_config *cfg = ctx->cfg;
    const char *host;
    uint16_t port;
    int https;

    if (http__tunnel(h, &host, &port, &https)) {
        if (form == HTTP1_FORM_AUTHORITY) {
            *msg = "CONNECT is not allowed inside a tunnel.";
            return 400;
        }
        http_set_str(&req->host, host);
        req->port = port;
        http_set_str(&req->scheme, https ? "https" : "http");
        http_set_str(&req->authority, "");
        return 0;
    }
    if (cfg->mode.kind == PROXY_MODE_REVERSE) {
        if (form == HTTP1_FORM_AUTHORITY) {
            *msg = "CONNECT is not allowed in reverse proxy mode.";
            return 400;
        }
        /* reverse:h2c:// is plain http in the flow; HTTP/2 is spoken below. */
        const char *scheme = strcmp(cfg->mode.scheme, "h2c") == 0 ? "http" : cfg->mode.scheme;
        http_set_str(&req->host, cfg->mode.host);
        http_set_str(&req->scheme, scheme);
        req->port = cfg->mode.port;
        if (form == HTTP1_FORM_ABSOLUTE)
            http_set_str(&req->authority, "");
        if (!cfg->opts->keep_host_header) {
            char *hp = reverse_hostport(scheme, cfg->mode.host, cfg->mode.port);
            hdrs_set_cstr(&req->headers, "Host", hp);
            free(hp);
        }
        return 0;
    }
    /* Regular and upstream mode: the client tells us where to go. */
    if (form == HTTP1_FORM_AUTHORITY)
        return 0;
    if (form != HTTP1_FORM_ABSOLUTE) {
        /* Origin or asterisk form: mitmproxy 8.1.1 goes where the Host
         * header says, as a transparent proxy would, and from there on
         * treats the request as if its URL had been absolute. */
        const struct hdr *hh = hdrs_get(&req->headers, "Host");
        if (hh == NULL ||
            target_from_authority(req, hh->value, hh->value_len, HTTP_HOSTPORT_STRICT) < 0) {
            *msg = "HTTP request has no host header, destination unknown.";
            return 400;
        }
        http_set_str(&req->scheme, "http");
    }
    if (cfg->mode.kind == PROXY_MODE_UPSTREAM && cfg->upstream_auth)
        hdrs_set_cstr(&req->headers, "Proxy-Authorization", cfg->upstream_auth);
    if (strcmp(req->scheme, "http") != 0) {
        *msg = "Invalid request scheme: only http:// URLs can be sent in the clear; "
               "use CONNECT for https.";
        return 400;
    }
    /* The request goes upstream in origin form (mitmproxy issue 1759). */
    http_set_str(&req->authority, "");
    return 0;
}

int
http__route_h2(struct http_layer *h, struct context *ctx, struct http_request *req,
               const char **msg)
{
    const struct proxy_config *cfg = ctx->cfg;
    const char *host;
    uint16_t port;
    int https;

    if (http__tunnel(h, &host, &port, &https)) {
        http_set_str(&req->host, host);
        req->port = port;
        http_set_str(&req->scheme, https ? "https" : "http");
        return 0;
    }
    if (cfg->mode.kind == PROXY_MODE_REVERSE) {
        int h2c = strcmp(cfg->mode.scheme, "h2c") == 0;
        http_set_str(&req->host, cfg->mode.host);
        http_set_str(&req->scheme, h2c ? "http" : cfg->mode.scheme);
        req->port = cfg->mode.port ? cfg->mode.port : (h2c ? 80 : 0);
        if (!cfg->opts->keep_host_header) {
            char *a = reverse_hostport(req->scheme, req->host, req->port);
            http_set_str(&req->authority, a);
            free(a);
        }
        return 0;
    }
    /* Prior-knowledge h2c to a regular proxy: :authority names the server. */
    if (target_from_authority(req, req->authority, strlen(req->authority),
                              HTTP_HOSTPORT_BARE_IPV6) < 0) {
        *msg = "Invalid :authority.";
        return 400;
    }
    return 0;
}
