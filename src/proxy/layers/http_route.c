/*
 * Where a request goes: the server of the tunnel it came through, the
 * target of reverse mode, or what the request itself names (an HTTP/1
 * absolute URL, an HTTP/2 :authority). The answers are mitmproxy's
 * (HttpStream.state_wait_for_request_headers), with this project's
 * messages for what is refused.
 */
#include <stdlib.h>
#include <string.h>

#include "options/opt.h"
#include "proxy/layers/http_internal.h"
#include "util/num.h"

/* Reverse mode rewrites Host (HTTP/1) or :authority (HTTP/2) unless
 * keep_host_header: the server is asked for its own name. */
static char *
reverse_hostport(const char *scheme, const char *host, uint16_t port)
{
    struct buf hp = BUF_INIT;
    http__format_hostport(&hp, scheme, host, port);
    char *s = buf_strdup(&hp);
    buf_clear(&hp);
    return s;
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
    /* Regular and upstream mode: the client must tell us where to go. */
    switch (form) {
    case HTTP1_FORM_ABSOLUTE:
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
    case HTTP1_FORM_AUTHORITY:
        return 0;
    case HTTP1_FORM_ORIGIN:
    case HTTP1_FORM_ASTERISK:
        break;
    }
    *msg = "Invalid HTTP request form (expected: absolute or authority, got: relative).";
    return 400;
}

/* host[:port] of an :authority; port 0 when absent. */
static int
split_authority(const char *a, char *host, size_t hostlen, uint16_t *port)
{
    const char *end, *colon;
    if (a[0] == '[') {
        end = strchr(a, ']');
        if (end == NULL)
            return -1;
        a++;
        colon = end[1] == ':' ? end + 1 : NULL;
    } else {
        colon = strrchr(a, ':');
        end = colon ? colon : a + strlen(a);
    }
    size_t n = (size_t)(end - a);
    if (n == 0 || n >= hostlen)
        return -1;
    memcpy(host, a, n);
    host[n] = '\0';
    *port = 0;
    if (colon) {
        int64_t p;
        if (num_parse_cstr(colon + 1, 1, 65535, &p) < 0)
            return -1;
        *port = (uint16_t)p;
    }
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
    char name[256];
    uint16_t p;
    if (split_authority(req->authority, name, sizeof(name), &p) < 0) {
        *msg = "Invalid :authority.";
        return 400;
    }
    http_set_str(&req->host, name);
    req->port = p ? p : (strcmp(req->scheme, "https") == 0 ? 443 : 80);
    return 0;
}
