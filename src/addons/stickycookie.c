/*
 * The stickycookie addon (stickycookie = filter expression). Cookies set by
 * responses are kept in a jar keyed by (domain, port, path), exactly as
 * mitmproxy 8.1.1's stickycookie.py keys them: the domain and path come from
 * the cookie's attributes when present, the port is always the request's.
 * Requests matching the filter get every cookie whose key matches them in
 * one Cookie header that replaces any the client sent. Set-Cookie values
 * are read by http/cookies.c, as loosely as mitmproxy reads them.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addons/traffic.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "flow/tnetstring.h"
#include "http/cookies.h"
#include "http/headers.h"
#include "options/opt.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xmalloc.h"

struct pair {
    char *k; /* owned */
    char *v; /* owned */
};

struct pairs {
    struct pair *v;
    size_t n;
};

/* One (domain, port, path) of the jar with its cookies in insertion order. */
struct origin {
    char *domain; /* owned */
    uint16_t port;
    char *path; /* owned */
    struct pairs cookies;
};

struct stickycookie {
    struct addon base;
    struct filt *flt;     /* owned; NULL: off */
    struct origin *jar;
    size_t njar;
};

static void
pairs_add(struct pairs *p, const char *k, size_t klen, const char *v, size_t vlen)
{
    p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
    p->v[p->n].k = xstrndup(k, klen);
    p->v[p->n].v = xstrndup(v, vlen);
    p->n++;
}

static void
pairs_clear(struct pairs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].k);
        free(p->v[i].v);
    }
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

/* Sets k to v: an existing key keeps its place, as in a Python dict. */
static void
pairs_set(struct pairs *p, const char *k, const char *v)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->v[i].k, k) == 0) {
            free(p->v[i].v);
            p->v[i].v = xstrdup(v);
            return;
        }
    }
    pairs_add(p, k, strlen(k), v, strlen(v));
}

static void
pairs_del(struct pairs *p, const char *k)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->v[i].k, k) == 0) {
            free(p->v[i].k);
            free(p->v[i].v);
            memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof(*p->v));
            p->n--;
            return;
        }
    }
}

/* --- Domain matching, after http.cookiejar.domain_match -------------------- */

static int
is_hdn(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    /* cookiejar's IPV4_RE, r"\.\d+$": a last label of digits means an address. */
    size_t i = n;
    while (i > 0 && isdigit((unsigned char)s[i - 1]))
        i--;
    return !(i < n && i > 0 && s[i - 1] == '.');
}

static int
cj_domain_match(const char *a, const char *b)
{
    if (strcasecmp(a, b) == 0)
        return 1;
    if (!is_hdn(a))
        return 0;
    /* cookiejar looks for the last occurrence of b anywhere in a (not only as a
     * suffix), then insists that b starts with a dot. */
    char *la = xstrdup(a), *lb = xstrdup(b);
    for (char *p = la; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    for (char *p = lb; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    long last = -1;
    size_t nb = strlen(lb);
    for (const char *p = la; (p = strstr(p, lb)) != NULL; p++) {
        last = p - la;
        if (nb == 0)
            break;
    }
    if (nb == 0)
        last = (long)strlen(la); /* "".rfind("") is len(a) */
    int ok = last > 0 && lb[0] == '.' && is_hdn(lb + 1);
    free(la);
    free(lb);
    return ok;
}

static int
domain_match(const char *a, const char *b)
{
    if (cj_domain_match(a, b))
        return 1;
    size_t n = strlen(b), i = 0;
    while (i < n && b[i] == '.')
        i++;
    while (n > i && b[n - 1] == '.')
        n--;
    char *s = xstrndup(b + i, n - i);
    int ok = cj_domain_match(a, s);
    free(s);
    return ok;
}

/* --- The addon ------------------------------------------------------------- */

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct stickycookie *sc = (struct stickycookie *)a;
    struct filt *flt = NULL;
    if (o->stickycookie && o->stickycookie[0]) {
        flt = filt_compile(o->stickycookie, e);
        if (flt == NULL)
            return e && e->code ? e->code : MP_ERR_SYNTAX;
    }
    filt_free(sc->flt);
    sc->flt = flt;
    return 0;
}

static struct origin *
find_origin(struct stickycookie *sc, const char *domain, uint16_t port, const char *path,
            int create)
{
    for (size_t i = 0; i < sc->njar; i++) {
        struct origin *o = &sc->jar[i];
        if (o->port == port && strcmp(o->domain, domain) == 0 && strcmp(o->path, path) == 0)
            return o;
    }
    if (!create)
        return NULL;
    sc->jar = xrealloc(sc->jar, (sc->njar + 1) * sizeof(*sc->jar));
    struct origin *o = &sc->jar[sc->njar++];
    o->domain = xstrdup(domain);
    o->port = port;
    o->path = xstrdup(path);
    o->cookies = (struct pairs){0};
    return o;
}

static void
drop_origin(struct stickycookie *sc, struct origin *o)
{
    size_t i = (size_t)(o - sc->jar);
    free(o->domain);
    free(o->path);
    pairs_clear(&o->cookies);
    memmove(&sc->jar[i], &sc->jar[i + 1], (sc->njar - i - 1) * sizeof(*sc->jar));
    sc->njar--;
}

static enum addon_result
on_response(struct addon *a, struct hook_call *call)
{
    struct stickycookie *sc = (struct stickycookie *)a;
    struct flow *f = call->data->flow;
    if (sc->flt == NULL || f == NULL || f->request == NULL || f->response == NULL)
        return ADDON_CONTINUE;
    const struct http_request *req = f->request;
    const struct hdrs *h = &f->response->headers;
    struct cookies cs = {0};
    for (int i = hdrs_find(h, "set-cookie", 0); i >= 0;
         i = hdrs_find(h, "set-cookie", (size_t)i + 1))
        cookies_parse_set(h->v[i].value, h->v[i].value_len, &cs);

    double now = clock_now();
    for (size_t i = 0; i < cs.n; i++) {
        const struct cookie *c = &cs.v[i];
        const struct cookie_pair *dattr = cookie_attr(c, "domain");
        const struct cookie_pair *pattr = cookie_attr(c, "path");
        const char *domain = dattr ? dattr->value : req->host;
        const char *path = pattr ? pattr->value : "/";
        if (!domain_match(req->host, domain))
            continue;
        const char *name = c->kv.name;
        if (cookie_expired(c, now)) {
            struct origin *o = find_origin(sc, domain, req->port, path, 0);
            if (o) {
                pairs_del(&o->cookies, name);
                if (o->cookies.n == 0)
                    drop_origin(sc, o);
            }
        } else {
            struct origin *o = find_origin(sc, domain, req->port, path, 1);
            pairs_set(&o->cookies, name, c->kv.value);
        }
    }
    cookies_clear(&cs);
    return ADDON_CONTINUE;
}

static enum addon_result
on_request(struct addon *a, struct hook_call *call)
{
    struct stickycookie *sc = (struct stickycookie *)a;
    struct flow *f = call->data->flow;
    if (sc->flt == NULL || f == NULL || f->request == NULL || !filt_match(sc->flt, f))
        return ADDON_CONTINUE;
    struct http_request *req = f->request;
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < sc->njar; i++) {
        const struct origin *o = &sc->jar[i];
        if (!domain_match(req->host, o->domain) || req->port != o->port ||
            strncmp(req->path, o->path, strlen(o->path)) != 0)
            continue;
        for (size_t j = 0; j < o->cookies.n; j++) {
            const struct pair *p = &o->cookies.v[j];
            cookies_append(&b, p->k, strlen(p->k), p->v, strlen(p->v));
        }
    }
    if (b.len) {
        if (f->metadata == NULL)
            f->metadata = tns_dict();
        tns_dict_set(f->metadata, "stickycookie", tns_bool(1));
        char *v = buf_strdup(&b);
        hdrs_set_cstr(&req->headers, "cookie", v);
        free(v);
    }
    buf_clear(&b);
    return ADDON_CONTINUE;
}

static void
stickycookie_free(struct addon *a)
{
    struct stickycookie *sc = (struct stickycookie *)a;
    filt_free(sc->flt);
    while (sc->njar)
        drop_origin(sc, &sc->jar[sc->njar - 1]);
    free(sc->jar);
    free(sc);
}

/* With a filter, loaded responses fill the jar and requests take from it. */
static int
acts_on_loaded(struct addon *a)
{
    const struct stickycookie *x = (const struct stickycookie *)a;
    return x->flt != NULL;
}

static const struct addon_ops stickycookie_ops = {
    .name = "stickycookie",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = stickycookie_free,
    .hooks = {[HOOK_REQUEST] = on_request, [HOOK_RESPONSE] = on_response},
};

struct addon *
addon_stickycookie_new(void)
{
    struct stickycookie *sc = xcalloc(1, sizeof(*sc));
    sc->base.ops = &stickycookie_ops;
    return &sc->base;
}
