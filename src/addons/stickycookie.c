/*
 * The stickycookie addon (stickycookie = filter expression). Cookies set by
 * responses are kept in a jar keyed by (domain, port, path), exactly as
 * mitmproxy 8.1.1's stickycookie.py keys them: the domain and path come from
 * the cookie's attributes when present, the port is always the request's.
 * Requests matching the filter get every cookie whose key matches them in
 * one Cookie header that replaces any the client sent.
 *
 * The Set-Cookie reader below follows mitmproxy.net.http.cookies, which is
 * deliberately loose: it accepts the comma-separated form of several cookies
 * in one header, where a short "expires" value is taken to continue past
 * its comma ("Wed, 21 Oct ...").
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addons/traffic.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "flow/tnetstring.h"
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
    pthread_mutex_t lock; /* guards the jar: hooks run on every worker */
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

/* The last value of attribute k, whose name is compared without case (CookieAttrs). */
static const char *
attr(const struct pairs *attrs, const char *k)
{
    for (size_t i = attrs->n; i-- > 0;)
        if (strcasecmp(attrs->v[i].k, k) == 0)
            return attrs->v[i].v;
    return NULL;
}

/* --- Set-Cookie reading, after mitmproxy.net.http.cookies ------------------ */

struct text {
    const char *s;
    size_t n;
};

/* _read_until: [*start, *len) of the token; returns the offset after it. */
static size_t
read_until(struct text t, size_t start, const char *term, struct buf *out)
{
    buf_reset(out);
    if (start == t.n)
        return start + 1;
    size_t i;
    for (i = start; i < t.n; i++) {
        if (strchr(term, t.s[i])) {
            buf_append(out, t.s + start, i - start);
            return i;
        }
    }
    buf_append(out, t.s + start, t.n - start);
    return t.n;
}

/* _read_quoted_string: start is at the opening quote; backslash escapes. */
static size_t
read_quoted(struct text t, size_t start, struct buf *out)
{
    buf_reset(out);
    int escaping = 0;
    size_t i = start;
    for (i = start + 1; i < t.n; i++) {
        if (escaping) {
            buf_append(out, t.s + i, 1);
            escaping = 0;
        } else if (t.s[i] == '"') {
            break;
        } else if (t.s[i] == '\\') {
            escaping = 1;
        } else {
            buf_append(out, t.s + i, 1);
        }
    }
    if (i == t.n)
        i = t.n > start + 1 ? t.n - 1 : start;
    return i + 1;
}

static size_t
read_value(struct text t, size_t start, const char *delims, struct buf *out)
{
    if (start >= t.n) {
        buf_reset(out);
        return start;
    }
    if (t.s[start] == '"')
        return read_quoted(t, start, out);
    return read_until(t, start, delims, out);
}

static int
py_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* One parsed cookie: name, value and its attributes. */
struct cookie {
    struct pairs kv; /* kv.v[0] is name=value, the rest attributes */
};

/* _read_set_cookie_pairs + parse_set_cookie_header: appends cookies to *out. */
static void
parse_set_cookie(const char *s, size_t n, struct cookie **out, size_t *nout)
{
    struct text t = {s, n};
    struct buf lhs = BUF_INIT, rhs = BUF_INIT, trail = BUF_INIT;
    struct pairs cur = {0};
    size_t off = 0;
    for (;;) {
        off = read_until(t, off, ";=,", &lhs);
        const char *l = (const char *)buf_ptr(&lhs);
        size_t llen = lhs.len;
        while (llen > 0 && py_space(*l)) {
            l++;
            llen--;
        }
        buf_reset(&rhs);
        if (off < n && s[off] == '=') {
            off = read_value(t, off + 1, ";,", &rhs);
            /* An expires date contains a comma; three characters or fewer means
             * only the weekday was read, so the rest follows. */
            if (llen == 7 && strncasecmp(l, "expires", 7) == 0 && rhs.len <= 3) {
                off = read_value(t, off + 1, ";,", &trail);
                buf_append_str(&rhs, ",");
                buf_append(&rhs, buf_ptr(&trail), trail.len);
            }
            pairs_add(&cur, l, llen, (const char *)buf_ptr(&rhs), rhs.len);
        } else if (llen > 0) {
            pairs_add(&cur, l, llen, "", 0);
        }
        if (off < n && s[off] == ',') {
            if (cur.n) {
                *out = xrealloc(*out, (*nout + 1) * sizeof(**out));
                (*out)[(*nout)++].kv = cur;
            }
            memset(&cur, 0, sizeof(cur));
        }
        off++;
        if (off >= n)
            break;
    }
    if (cur.n) {
        *out = xrealloc(*out, (*nout + 1) * sizeof(**out));
        (*out)[(*nout)++].kv = cur;
    }
    buf_clear(&lhs);
    buf_clear(&rhs);
    buf_clear(&trail);
}

/* --- Expiry, after email.utils.parsedate_tz and cookies.is_expired --------- */

static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int
to_int(const char *s, long *out)
{
    char *end;
    if (*s == '\0')
        return -1;
    long v = strtol(s, &end, 10);
    if (*end != '\0')
        return -1;
    *out = v;
    return 0;
}

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int
month_of(const char *s)
{
    for (int i = 0; i < 12; i++)
        if (strcasecmp(s, months[i]) == 0)
            return i + 1;
    return 0;
}

static void
chop_comma(char *s)
{
    size_t n = strlen(s);
    if (n && s[n - 1] == ',')
        s[n - 1] = '\0';
}

/*
 * An RFC 822 style date ("Wed, 21 Oct 2015 07:28:00 GMT", also the RFC 850
 * "21-Oct-15" form) as seconds since the epoch. Returns -1 if unparsable.
 * Zones other than numeric offsets and UT/GMT/Z and the US ones count as UTC.
 */
static int
parse_date(const char *in, double *out)
{
    char *copy = xstrdup(in);
    char *tok[8];
    int nt = 0;
    for (char *save, *p = strtok_r(copy, " \t\r\n", &save); p && nt < 8;
         p = strtok_r(NULL, " \t\r\n", &save))
        tok[nt++] = p;
    int rc = -1;
    if (nt == 0)
        goto out;
    size_t l0 = strlen(tok[0]);
    int dayname = 0;
    for (int i = 0; i < 7; i++)
        dayname |= strcasecmp(tok[0], days[i]) == 0;
    if (tok[0][l0 - 1] == ',' || dayname) {
        memmove(tok, tok + 1, (size_t)--nt * sizeof(*tok));
    } else {
        char *c = strrchr(tok[0], ',');
        if (c)
            tok[0] = c + 1;
    }
    char *parts[8];
    int np = 0;
    if (nt == 3) {
        /* RFC 850: "21-Oct-15 07:28:00 GMT". */
        char *a = tok[0], *d1 = strchr(a, '-'), *d2 = d1 ? strchr(d1 + 1, '-') : NULL;
        if (d1 && d2 && !strchr(d2 + 1, '-')) {
            *d1 = *d2 = '\0';
            parts[np++] = a;
            parts[np++] = d1 + 1;
            parts[np++] = d2 + 1;
            parts[np++] = tok[1];
            parts[np++] = tok[2];
        }
    }
    if (np == 0) {
        for (int i = 0; i < nt; i++)
            parts[np++] = tok[i];
    }
    static char empty[] = "";
    char tzbuf[16] = "";
    if (np == 4) {
        char *s = parts[3], *sign = strchr(s, '+');
        if (!sign)
            sign = strchr(s, '-');
        if (sign && sign > s) {
            snprintf(tzbuf, sizeof(tzbuf), "%s", sign);
            *sign = '\0';
            parts[np++] = tzbuf;
        } else {
            parts[np++] = empty;
        }
    }
    if (np < 5)
        goto out;
    char *dd = parts[0], *mm = parts[1], *yy = parts[2], *tm = parts[3], *tz = parts[4];
    int mon = month_of(mm);
    if (!mon) {
        char *x = dd;
        dd = mm;
        mm = x;
        if (!(mon = month_of(mm)))
            goto out;
    }
    chop_comma(dd);
    if (strchr(yy, ':') && strchr(yy, ':') != yy) {
        char *x = yy;
        yy = tm;
        tm = x;
    }
    chop_comma(yy);
    if (!isdigit((unsigned char)yy[0])) {
        char *x = yy;
        yy = tz;
        tz = x;
    }
    chop_comma(tm);
    long y, d, hh, mi, ss = 0;
    char *c1 = strchr(tm, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c1 == NULL)
        goto out;
    *c1 = '\0';
    if (c2) {
        *c2 = '\0';
        if (strchr(c2 + 1, ':') || to_int(c2 + 1, &ss) < 0)
            goto out;
    }
    if (to_int(yy, &y) < 0 || to_int(dd, &d) < 0 || to_int(tm, &hh) < 0 || to_int(c1 + 1, &mi) < 0)
        goto out;
    if (y < 100)
        y += y > 68 ? 1900 : 2000;
    long off = 0;
    static const struct {
        const char *name;
        long hours;
    } zones[] = {{"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},    {"AST", -4},
                 {"ADT", -3}, {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
                 {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
    long zi;
    int known = 0;
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        if (strcasecmp(tz, zones[i].name) == 0) {
            off = zones[i].hours * 3600;
            known = 1;
        }
    }
    if (!known && to_int(tz, &zi) == 0) {
        long sign = zi < 0 ? -1 : 1;
        zi *= sign;
        off = sign * ((zi / 100) * 3600 + (zi % 100) * 60);
    }
    *out = (double)(days_from_civil(y, mon, d) * 86400 + hh * 3600 + mi * 60 + ss - off);
    rc = 0;
out:
    free(copy);
    return rc;
}

/* cookies.is_expired: expires wins when present, else max-age. */
static int
is_expired(const struct pairs *attrs, size_t first)
{
    const char *exp = NULL, *maxage = NULL;
    for (size_t i = first; i < attrs->n; i++) {
        if (strcasecmp(attrs->v[i].k, "expires") == 0)
            exp = attrs->v[i].v;
        else if (strcasecmp(attrs->v[i].k, "max-age") == 0)
            maxage = attrs->v[i].v;
    }
    double when;
    if (exp) {
        if (parse_date(exp, &when) < 0)
            return 0;
    } else if (maxage) {
        long v;
        const char *p = maxage;
        while (py_space(*p))
            p++;
        char *trim = xstrdup(p);
        size_t n = strlen(trim);
        while (n && py_space(trim[n - 1]))
            trim[--n] = '\0';
        int bad = to_int(trim, &v) < 0;
        free(trim);
        if (bad)
            return 0;
        when = clock_now() + (double)v;
    } else {
        return 0;
    }
    return when <= clock_now();
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
    struct cookie *cs = NULL;
    size_t ncs = 0;
    for (int i = hdrs_find(h, "set-cookie", 0); i >= 0;
         i = hdrs_find(h, "set-cookie", (size_t)i + 1))
        parse_set_cookie(h->v[i].value, h->v[i].value_len, &cs, &ncs);

    pthread_mutex_lock(&sc->lock);
    for (size_t i = 0; i < ncs; i++) {
        struct pairs *kv = &cs[i].kv;
        struct pairs attrs = {kv->v + 1, kv->n - 1};
        const char *domain = attr(&attrs, "domain");
        const char *path = attr(&attrs, "path");
        if (domain == NULL)
            domain = req->host;
        if (path == NULL)
            path = "/";
        if (!domain_match(req->host, domain))
            continue;
        const char *name = kv->v[0].k;
        if (is_expired(kv, 1)) {
            struct origin *o = find_origin(sc, domain, req->port, path, 0);
            if (o) {
                pairs_del(&o->cookies, name);
                if (o->cookies.n == 0)
                    drop_origin(sc, o);
            }
        } else {
            struct origin *o = find_origin(sc, domain, req->port, path, 1);
            pairs_set(&o->cookies, name, kv->v[0].v);
        }
    }
    pthread_mutex_unlock(&sc->lock);
    for (size_t i = 0; i < ncs; i++)
        pairs_clear(&cs[i].kv);
    free(cs);
    return ADDON_CONTINUE;
}

/* _has_special: such values are sent quoted. */
static int
has_special(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (strchr("\",;\\", c) || c < 0x21 || c > 0x7e)
            return 1;
    }
    return 0;
}

static void
append_cookie(struct buf *b, const struct pair *p)
{
    if (b->len)
        buf_append_str(b, "; ");
    buf_printf(b, "%s=", p->k);
    if (!has_special(p->v)) {
        buf_append_str(b, p->v);
        return;
    }
    buf_append_str(b, "\"");
    for (const char *s = p->v; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_append_str(b, "\\");
        buf_append(b, s, 1);
    }
    buf_append_str(b, "\"");
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
    pthread_mutex_lock(&sc->lock);
    for (size_t i = 0; i < sc->njar; i++) {
        const struct origin *o = &sc->jar[i];
        if (!domain_match(req->host, o->domain) || req->port != o->port ||
            strncmp(req->path, o->path, strlen(o->path)) != 0)
            continue;
        for (size_t j = 0; j < o->cookies.n; j++)
            append_cookie(&b, &o->cookies.v[j]);
    }
    pthread_mutex_unlock(&sc->lock);
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
    pthread_mutex_destroy(&sc->lock);
    free(sc);
}

static const struct addon_ops stickycookie_ops = {
    .name = "stickycookie",
    .configure = configure,
    .free = stickycookie_free,
    .hooks = {[HOOK_REQUEST] = on_request, [HOOK_RESPONSE] = on_response},
};

struct addon *
addon_stickycookie_new(void)
{
    struct stickycookie *sc = xcalloc(1, sizeof(*sc));
    sc->base.ops = &stickycookie_ops;
    pthread_mutex_init(&sc->lock, NULL);
    return &sc->base;
}
