/*
 * Who may use mitmweb's server: current mitmproxy's rules since its fix of
 * CVE-2025-23217 (app.py AuthRequestHandler, RequestHandler.prepare,
 * tornado's xsrf_cookies and WebSocket check_origin), plus a Host check
 * against DNS rebinding. README.md, "Authentication", is the contract.
 *
 * The token (or web_password) may come as ?token=, as "Authorization:
 * Bearer", or as the auth cookie we set after such a request: its value is
 * an HMAC of the password under a key made at start-up, so it says nothing
 * about the password and is worthless to another run.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addons/htpasswd.h"
#include "http/cookies.h"
#include "http/url.h"
#include "web/assets.h"
#include "web/internal.h"

#define XSRF_COOKIE "_mitmproxy_xsrf"

void
web__random_hex(char *out, size_t nbytes)
{
    uint8_t b[64];
    if (nbytes > sizeof(b))
        nbytes = sizeof(b);
    if (RAND_bytes(b, (int)nbytes) != 1) {
        FILE *f = fopen("/dev/urandom", "rb");
        if (f == NULL || fread(b, 1, nbytes, f) != nbytes)
            abort(); /* no randomness: no token worth having */
        fclose(f);
    }
    for (size_t i = 0; i < nbytes; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int
same(const void *a, size_t an, const void *b, size_t bn)
{
    return an == bn && CRYPTO_memcmp(a, b, an) == 0;
}

int
web__valid_password(const struct web *w, const char *password, size_t n)
{
    if (n == 0 || memchr(password, '\0', n))
        return 0;
    if (w->password == NULL)
        return same(password, n, w->token, strlen(w->token));
    if (w->password[0] == '$')
        return htpasswd_verify(w->password, password);
    return same(password, n, w->password, strlen(w->password));
}

void
web__auth_cookie(const struct web *w, char out[65])
{
    const char *pw = w->password ? w->password : w->token;
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    HMAC(EVP_sha256(), w->key, sizeof(w->key), (const uint8_t *)pw, strlen(pw), md, &mdlen);
    for (unsigned i = 0; i < 32 && i < mdlen; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The XSRF cookie's value: another HMAC, so it needs no state of its own. */
static void
xsrf_value(const struct web *w, char out[65])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    HMAC(EVP_sha256(), w->key, sizeof(w->key), (const uint8_t *)"xsrf", 4, md, &mdlen);
    for (unsigned i = 0; i < 32 && i < mdlen; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The value of cookie name in the request's Cookie headers, or NULL (malloc'd). */
static char *
cookie(const struct hdrs *h, const char *name)
{
    char *found = NULL;
    for (int i = hdrs_find(h, "Cookie", 0); i >= 0; i = hdrs_find(h, "Cookie", (size_t)i + 1)) {
        struct cookies cs = {0};
        cookies_parse(h->v[i].value, h->v[i].value_len, &cs);
        for (size_t k = 0; k < cs.n; k++) {
            if (strcmp(cs.v[k].kv.name, name) == 0) {
                free(found);
                found = strdup(cs.v[k].kv.value);
            }
        }
        cookies_clear(&cs);
    }
    return found;
}

/* Whether host (a Host header's host, without port) names this machine. */
static int
loopback_name(const char *p, size_t n)
{
    static const char *const names[] = {"127.0.0.1", "localhost", "::1"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (n == strlen(names[i]) && strncasecmp(p, names[i], n) == 0)
            return 1;
    return 0;
}

static int
host_ok(const struct web *w, const struct hdrs *h)
{
    if (!w->loopback)
        return 1;
    const struct hdr *host = hdrs_get(h, "Host");
    if (host == NULL)
        return 0;
    struct slice name;
    int port;
    if (http_hostport_parse(host->value, host->value_len, 0, &name, &port, NULL) < 0)
        return 0;
    return loopback_name((const char *)name.p, name.len);
}

/* tornado's check_origin: an Origin, when sent, must be this server. */
static int
origin_ok(const struct hdrs *h)
{
    const struct hdr *origin = hdrs_get(h, "Origin");
    if (origin == NULL)
        return 1;
    const struct hdr *host = hdrs_get(h, "Host");
    if (host == NULL)
        return 0;
    const char *o = origin->value;
    const char *sep = strstr(o, "://");
    if (sep == NULL)
        return 0;
    const char *netloc = sep + 3;
    size_t n = strcspn(netloc, "/");
    return n == host->value_len && strncasecmp(netloc, host->value, n) == 0;
}

static int
is_write(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
           strcmp(method, "OPTIONS") != 0;
}

/* A file of the app other than its page: served to anyone (mitmproxy's /static/). */
static int
public_asset(const struct web_req *rq)
{
    if (is_write(rq->method) || strcmp(rq->path, "/") == 0 || strcmp(rq->path, "/index.html") == 0)
        return 0;
    return web_asset_find(rq->path) != NULL;
}

static const char login_page[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mitmweb</title></head>\n"
    "<body><h1>mitmweb</h1><p>%s</p>\n"
    "<form method=\"get\" action=\"/\"><input type=\"password\" name=\"token\" "
    "placeholder=\"token or password\" autofocus> <button>Log in</button></form>\n"
    "</body></html>\n";

int
web__check(struct web *w, struct web_req *rq, struct web_resp *rs, int is_websocket)
{
    if (!host_ok(w, rq->headers))
        return web__error(rs, 403,
                          "Invalid Host header: mitmweb answers to 127.0.0.1 and "
                          "localhost only (DNS rebinding protection).");
    if (is_websocket && !origin_ok(rq->headers))
        return web__error(rs, 403, "Cross origin websockets not allowed");
    if (public_asset(rq))
        return 0;

    char expect[65];
    web__auth_cookie(w, expect);
    char *have = cookie(rq->headers, w->cookie_name);
    int authed = have && same(have, strlen(have), expect, strlen(expect));
    free(have);
    if (!authed) {
        const struct hdr *auth = hdrs_get(rq->headers, "Authorization");
        char *password = NULL;
        if (auth && auth->value_len > 7 && strncmp(auth->value, "Bearer ", 7) == 0) {
            password = strdup(auth->value + 7);
            rq->bearer = 1;
        } else {
            password = web__query(rq, "token");
        }
        int given = password && *password;
        authed = given && web__valid_password(w, password, strlen(password));
        free(password);
        if (!authed) {
            rq->bearer = 0;
            int page = strcmp(rq->path, "/") == 0 || strcmp(rq->path, "/index.html") == 0;
            web__error(rs, 403,
                       "Forbidden: open the URL mitmweb printed at start-up "
                       "(with ?token=), or send Authorization: Bearer <token>.");
            if (page && !is_write(rq->method)) {
                buf_reset(&rs->body);
                buf_printf(&rs->body, login_page,
                           given ? "Invalid token or password."
                                 : "Open the URL mitmweb printed at start-up, or give its token.");
                hdrs_set_cstr(&rs->headers, "Content-Type", "text/html; charset=utf-8");
            }
            return 403;
        }
        struct buf sc = BUF_INIT;
        buf_printf(&sc, "%s=%s; Path=/; Max-Age=34560000; HttpOnly; SameSite=Strict",
                   w->cookie_name, expect);
        hdrs_add_cstr(&rs->headers, "Set-Cookie", web__cstr(&sc));
        buf_clear(&sc);
    }

    char xsrf[65];
    xsrf_value(w, xsrf);
    char *xc = cookie(rq->headers, XSRF_COOKIE);
    int xsrf_cookie_ok = xc && same(xc, strlen(xc), xsrf, strlen(xsrf));
    if (!xsrf_cookie_ok) {
        struct buf sc = BUF_INIT;
        buf_printf(&sc, "%s=%s; Path=/; SameSite=Strict", XSRF_COOKIE, xsrf);
        hdrs_add_cstr(&rs->headers, "Set-Cookie", web__cstr(&sc));
        buf_clear(&sc);
    }
    if (is_write(rq->method)) {
        const struct hdr *site = hdrs_get(rq->headers, "Sec-Fetch-Site");
        if (site && strcmp(site->value, "same-origin") != 0 && strcmp(site->value, "none") != 0) {
            free(xc);
            return web__error(rs, 403, "Cross-site requests may not change anything.");
        }
        if (!rq->bearer) {
            const struct hdr *hx = hdrs_get(rq->headers, "X-XSRFToken");
            if (hx == NULL)
                hx = hdrs_get(rq->headers, "X-CSRFToken");
            int ok = xsrf_cookie_ok && hx && same(hx->value, hx->value_len, xsrf, strlen(xsrf));
            if (!ok) {
                free(xc);
                return web__error(rs, 403, "'_xsrf' argument missing from POST");
            }
        }
    }
    free(xc);
    return 0;
}
