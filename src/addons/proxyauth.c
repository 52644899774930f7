/*
 * The proxyauth addon (mitmproxy 8.1.1's proxyauth.py): with the proxyauth
 * option set, every request must carry HTTP Basic credentials. As a proxy
 * (regular and upstream modes) they come in Proxy-Authorization and a
 * missing or wrong one is answered 407; as a server (reverse and the other
 * modes) Authorization and 401. Good credentials are removed from the
 * request so the server never sees them, and kept in the flow's metadata as
 * "proxyauth": [user, password] (the tuple mitmproxy stores).
 *
 * A CONNECT that authenticates marks its client connection: the requests
 * inside the tunnel need no credentials of their own (browsers send none
 * there). So does a SOCKS5 handshake whose credentials (the socks5_auth
 * hook) pass the same check. The mark goes when the client disconnects.
 * mitmproxy keys a weak dictionary by the connection object; we key by the
 * connection's id, which cannot be reused the way an address could.
 *
 * Specifications: "user:pass", "any" (any credentials, but some must be
 * sent), "@path" (an htpasswd file, see htpasswd.h). LDAP is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addons/htpasswd.h"
#include "addons/traffic.h"
#include "flow/flow.h"
#include "flow/tnetstring.h"
#include "http/headers.h"
#include "http/message.h"
#include "options/opt.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#define REALM "mitmproxy"

enum validator { V_NONE, V_ANY, V_SINGLE, V_HTPASSWD };

/* A client connection that authenticated with CONNECT. */
struct authed {
    char id[UUID_STR_LEN];
    char *user; /* owned */
    char *pass; /* owned */
};

struct proxyauth {
    struct addon base;
    enum validator kind;
    int http_proxy;            /* Proxy-Authorization and 407, else Authorization and 401 */
    char *user;                /* V_SINGLE; owned */
    char *pass;                /* V_SINGLE; owned */
    struct htpasswd *htpasswd; /* V_HTPASSWD; owned */

    struct authed *authed;
    size_t nauthed;
};

static void
reset(struct proxyauth *p)
{
    p->kind = V_NONE;
    free(p->user);
    free(p->pass);
    htpasswd_free(p->htpasswd);
    p->user = p->pass = NULL;
    p->htpasswd = NULL;
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct proxyauth *p = (struct proxyauth *)a;
    const char *spec = o->proxyauth;
    reset(p);
    /* mode is a list (one proxy server per mode): any HTTP proxy among them
     * asks with 407. */
    int transparent = 0;
    p->http_proxy = 0;
    for (size_t i = 0; i < o->mode.n; i++) {
        const char *m = o->mode.v[i];
        size_t n = strcspn(m, "@");
        if ((n == 7 && strncmp(m, "regular", 7) == 0) || strncmp(m, "upstream:", 9) == 0)
            p->http_proxy = 1;
        if (n == 11 && strncmp(m, "transparent", 11) == 0)
            transparent = 1;
    }
    if (spec == NULL || spec[0] == '\0')
        return 0;
    if (transparent)
        return err_set(e, MP_ERR_INVAL, "Proxy Authentication not supported in transparent mode.");
    if (strcmp(spec, "any") == 0) {
        p->kind = V_ANY;
    } else if (spec[0] == '@') {
        p->htpasswd = htpasswd_load(spec + 1, e);
        if (p->htpasswd == NULL)
            return e && e->code ? e->code : MP_ERR_IO;
        p->kind = V_HTPASSWD;
    } else if (strncmp(spec, "ldap", 4) == 0) {
        return err_set(e, MP_ERR_UNSUPPORTED,
                       "Invalid proxyauth specification: LDAP authentication is not supported.");
    } else if (strchr(spec, ':')) {
        const char *colon = strchr(spec, ':');
        if (strchr(colon + 1, ':'))
            return err_set(e, MP_ERR_INVAL, "Invalid single-user auth specification.");
        p->user = xstrndup(spec, (size_t)(colon - spec));
        p->pass = xstrdup(colon + 1);
        p->kind = V_SINGLE;
    } else {
        return err_set(e, MP_ERR_INVAL, "Invalid proxyauth specification.");
    }
    return 0;
}

static int
valid(const struct proxyauth *p, const char *user, const char *pass)
{
    switch (p->kind) {
    case V_ANY:
        return 1;
    case V_SINGLE:
        return strcmp(user, p->user) == 0 && strcmp(pass, p->pass) == 0;
    case V_HTPASSWD:
        return htpasswd_check(p->htpasswd, user, pass);
    case V_NONE:
        break;
    }
    return 0;
}

static int
b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/*
 * Python's binascii.a2b_base64 in its default (non-strict) mode: characters
 * outside the alphabet are skipped, a complete pad sequence ends the data,
 * and leftover bits are an error. Returns 0 or -1.
 */
static int
b64decode(const char *s, size_t n, struct buf *out)
{
    unsigned int left = 0;
    int quad = 0, pads = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '=') {
            if (quad >= 2 && quad + ++pads >= 4)
                return 0;
            continue;
        }
        int v = b64val(c);
        if (v < 0)
            continue;
        pads = 0;
        /* Bytes go out as soon as they are complete, as in binascii. */
        unsigned char b;
        switch (quad) {
        case 0:
            left = (unsigned int)v;
            quad = 1;
            break;
        case 1:
            b = (unsigned char)((left << 2) | ((unsigned int)v >> 4));
            buf_append(out, &b, 1);
            left = (unsigned int)v & 0x0f;
            quad = 2;
            break;
        case 2:
            b = (unsigned char)((left << 4) | ((unsigned int)v >> 2));
            buf_append(out, &b, 1);
            left = (unsigned int)v & 0x03;
            quad = 3;
            break;
        default:
            b = (unsigned char)((left << 6) | (unsigned int)v);
            buf_append(out, &b, 1);
            quad = 0;
        }
    }
    return quad == 0 ? 0 : -1;
}

/* UTF-8 decoding with errors="replace": each bad byte becomes U+FFFD. */
static char *
utf8_replace(const struct buf *in)
{
    struct buf o = BUF_INIT;
    const unsigned char *p = (const unsigned char *)buf_ptr(in);
    for (size_t i = 0; i < in->len;) {
        size_t len = p[i] < 0x80 ? 1 : p[i] < 0xe0 ? 2 : p[i] < 0xf0 ? 3 : 4;
        if (i + len <= in->len && tns_utf8_valid(p + i, len)) {
            buf_append(&o, p + i, len);
            i += len;
        } else {
            buf_append_str(&o, "\xef\xbf\xbd");
            i++;
        }
    }
    char *s = buf_strdup(&o);
    buf_clear(&o);
    return s;
}

static int
py_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/*
 * parse_http_basic_auth: "Basic <base64 of user:pass>", the value split at
 * whitespace into exactly two words and the credentials at ":" into exactly
 * two parts (so a password with a colon never authenticates, as in 8.1.1).
 * Returns 0 with *user and *pass (caller frees) or -1.
 */
static int
parse_basic(const char *v, size_t n, char **user, char **pass)
{
    const char *w[3];
    size_t wl[3];
    int nw = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && py_space(v[i]))
            i++;
        if (i == n)
            break;
        size_t s = i;
        while (i < n && !py_space(v[i]))
            i++;
        if (nw == 3)
            return -1;
        w[nw] = v + s;
        wl[nw++] = i - s;
    }
    if (nw != 2 || wl[0] != 5 || strncasecmp(w[0], "basic", 5) != 0)
        return -1;
    struct buf raw = BUF_INIT;
    if (b64decode(w[1], wl[1], &raw) < 0 || memchr(buf_ptr(&raw), '\0', raw.len)) {
        buf_clear(&raw);
        return -1;
    }
    char *text = utf8_replace(&raw);
    buf_clear(&raw);
    char *colon = strchr(text, ':');
    if (colon == NULL || strchr(colon + 1, ':')) {
        free(text);
        return -1;
    }
    *user = xstrndup(text, (size_t)(colon - text));
    *pass = xstrdup(colon + 1);
    free(text);
    return 0;
}

static void
set_metadata(struct flow *f, const char *user, const char *pass)
{
    if (f->metadata == NULL)
        f->metadata = tns_dict();
    struct tns *t = tns_list();
    tns_list_append(t, tns_text(user));
    tns_list_append(t, tns_text(pass));
    tns_dict_set(f->metadata, "proxyauth", t);
}

/* make_auth_required_response. */
static void
require_auth(const struct proxyauth *p, struct flow *f)
{
    int status = p->http_proxy ? 407 : 401;
    const char *reason = http_status_reason(status);
    struct http_response *r = http_response_new();
    http_set_str(&r->http_version, "HTTP/1.1");
    r->status_code = status;
    http_set_str(&r->reason, reason);
    hdrs_add_cstr(&r->headers, p->http_proxy ? "Proxy-Authenticate" : "WWW-Authenticate",
                  "Basic realm=\"" REALM "\"");
    struct buf body = BUF_INIT;
    buf_printf(&body, "<html><head><title>%d %s</title></head><body><h1>%d %s</h1></body></html>",
               status, reason, status, reason);
    char num[32];
    snprintf(num, sizeof(num), "%zu", body.len);
    hdrs_add_cstr(&r->headers, "content-length", num);
    buf_move(&r->content, &body);
    r->timestamp_start = clock_now();
    r->timestamp_end = r->timestamp_start;
    http_response_free(f->response);
    f->response = r;
}

/*
 * authenticate_http: 1 and the header gone if the credentials are good,
 * else 0 and f->response the challenge. On success *user and *pass are set
 * if not NULL (caller frees).
 */
static int
authenticate(struct proxyauth *p, struct flow *f, char **user_out, char **pass_out)
{
    const char *name = p->http_proxy ? "Proxy-Authorization" : "Authorization";
    const struct hdr *h = hdrs_get(&f->request->headers, name);
    char *user = NULL, *pass = NULL;
    if (h == NULL || parse_basic(h->value, h->value_len, &user, &pass) < 0 ||
        !valid(p, user, pass)) {
        free(user);
        free(pass);
        require_auth(p, f);
        return 0;
    }
    set_metadata(f, user, pass);
    hdrs_remove(&f->request->headers, name);
    if (user_out) {
        *user_out = user;
        *pass_out = pass;
    } else {
        free(user);
        free(pass);
    }
    return 1;
}

/* Marks client as authenticated with user and pass (both taken). */
static void
remember(struct proxyauth *p, const struct connection *client, char *user, char *pass)
{
    p->authed = xrealloc(p->authed, (p->nauthed + 1) * sizeof(*p->authed));
    struct authed *au = &p->authed[p->nauthed++];
    memcpy(au->id, client->id, sizeof(au->id));
    au->user = user;
    au->pass = pass;
}

static enum addon_result
on_http_connect(struct addon *a, struct hook_call *call)
{
    struct proxyauth *p = (struct proxyauth *)a;
    struct flow *f = call->data->flow;
    char *user, *pass;
    if (p->kind == V_NONE || f == NULL || f->request == NULL || !authenticate(p, f, &user, &pass))
        return ADDON_CONTINUE;
    if (f->client_conn == NULL) {
        free(user);
        free(pass);
        return ADDON_CONTINUE;
    }
    remember(p, f->client_conn, user, pass);
    return ADDON_CONTINUE;
}

/* mitmproxy's socks5_auth: the same check as for HTTP, and the same mark. */
static enum addon_result
on_socks5_auth(struct addon *a, struct hook_call *call)
{
    struct proxyauth *p = (struct proxyauth *)a;
    struct socks5_auth_data *d = call->data->socks5_auth;
    if (p->kind == V_NONE || d == NULL || !valid(p, d->username, d->password))
        return ADDON_CONTINUE;
    d->valid = 1;
    remember(p, d->client_conn, xstrdup(d->username), xstrdup(d->password));
    return ADDON_CONTINUE;
}

static enum addon_result
on_requestheaders(struct addon *a, struct hook_call *call)
{
    struct proxyauth *p = (struct proxyauth *)a;
    struct flow *f = call->data->flow;
    if (p->kind == V_NONE || f == NULL || f->request == NULL)
        return ADDON_CONTINUE;
    int found = 0;
    if (f->client_conn) {
        for (size_t i = 0; i < p->nauthed && !found; i++) {
            if (strcmp(p->authed[i].id, f->client_conn->id) == 0) {
                set_metadata(f, p->authed[i].user, p->authed[i].pass);
                found = 1;
            }
        }
    }
    if (!found)
        authenticate(p, f, NULL, NULL);
    return ADDON_CONTINUE;
}

static enum addon_result
on_client_disconnected(struct addon *a, struct hook_call *call)
{
    struct proxyauth *p = (struct proxyauth *)a;
    const struct connection *c = call->data->client;
    if (c == NULL)
        return ADDON_CONTINUE;
    for (size_t i = 0; i < p->nauthed;) {
        if (strcmp(p->authed[i].id, c->id) == 0) {
            free(p->authed[i].user);
            free(p->authed[i].pass);
            p->authed[i] = p->authed[--p->nauthed];
        } else {
            i++;
        }
    }
    return ADDON_CONTINUE;
}

static void
proxyauth_free(struct addon *a)
{
    struct proxyauth *p = (struct proxyauth *)a;
    reset(p);
    for (size_t i = 0; i < p->nauthed; i++) {
        free(p->authed[i].user);
        free(p->authed[i].pass);
    }
    free(p->authed);
    free(p);
}

/* With a validator, requestheaders checks every request: a loaded one
 * without credentials gets its 407, as in 8.1.1. */
static int
acts_on_loaded(struct addon *a)
{
    const struct proxyauth *x = (const struct proxyauth *)a;
    return x->kind != V_NONE;
}

static const struct addon_ops proxyauth_ops = {
    .name = "proxyauth",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = proxyauth_free,
    .hooks =
        {
            [HOOK_HTTP_CONNECT] = on_http_connect,
            [HOOK_REQUESTHEADERS] = on_requestheaders,
            [HOOK_CLIENT_DISCONNECTED] = on_client_disconnected,
            [HOOK_SOCKS5_AUTH] = on_socks5_auth,
        },
};

struct addon *
addon_proxyauth_new(void)
{
    struct proxyauth *p = xcalloc(1, sizeof(*p));
    p->base.ops = &proxyauth_ops;
    p->http_proxy = 1;
    return &p->base;
}
