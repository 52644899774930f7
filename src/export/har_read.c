/*
 * HAR reading (current mitmproxy's io/har.py request_to_flow, with what
 * Request.make(), the url and text setters and decode() do to what it
 * builds). See har.h.
 *
 * Where we differ from mitmproxy, on purpose:
 *  - HTTP versions: "http/2.0", "HTTP/2", "h2" become "HTTP/2.0", the
 *    spelling of mitmproxy 8.1.1's flows and of its is_http2, and
 *    "HTTP/1.0" stays (mitmproxy writes "HTTP/2" and makes 1.0 into 1.1);
 *    so a HAR we wrote reads back with the versions it had.
 *  - A Content-Encoding that mitmproxy cannot encode with fails its whole
 *    read; here the body is taken as it stands (the file holds it decoded).
 *  - postData without "text" is an empty body, not an error.
 * Everything else that mitmproxy refuses (a URL without a host, a bad
 * port, headers that are not name/value pairs, a date that is not ISO
 * 8601) stops the read at that entry, with a message naming it.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "export/har.h"
#include "export/internal.h"
#include "flow/connection.h"
#include "flow/flow.h"
#include "util/json_parse.h"
#include "util/path.h"
#include "util/xmalloc.h"

struct har_reader {
    char *name;
    struct jv *doc;           /* owned */
    const struct jv *entries; /* in doc */
    size_t next;
    struct err err; /* sticky once set */
};

int
har_sniff(const void *p, size_t n)
{
    const uint8_t *s = p;
    if (n >= 4 && memcmp(s, "\xef\xbb\xbf{", 4) == 0)
        return 1;
    return n >= 1 && s[0] == '{';
}

struct har_reader *
har_reader_new(const void *p, size_t n, const char *name, struct err *e)
{
    const uint8_t *s = p;
    if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        s += 3, n -= 3;
    struct json_limits lim = {HAR_MAX_SIZE, HAR_MAX_DEPTH};
    struct jv *doc;
    struct err je = {0};
    if (json_parse(s, n, &lim, &doc, &je) < 0) {
        err_set(e, je.code, "%s: Unable to read HAR file: %s", name, je.msg);
        return NULL;
    }
    const struct jv *entries = jv_get(jv_get(doc, "log"), "entries");
    if (entries == NULL || entries->type != JV_ARRAY) {
        jv_free(doc);
        err_set(e, MP_ERR_SYNTAX, "%s: Unable to read HAR file: no log.entries list", name);
        return NULL;
    }
    struct har_reader *r = xcalloc(1, sizeof(*r));
    r->name = xstrdup(name);
    r->doc = doc;
    r->entries = entries;
    return r;
}

void
har_reader_free(struct har_reader *r)
{
    if (r == NULL)
        return;
    jv_free(r->doc);
    free(r->name);
    free(r);
}

/* Reads all of f (at most HAR_MAX_SIZE bytes) into out. */
static int
read_all(FILE *f, const char *name, struct buf *out, struct err *e)
{
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
        if (out->len + n > HAR_MAX_SIZE)
            return err_set(e, MP_ERR_LIMIT, "%s: HAR file larger than %zu bytes", name,
                           (size_t)HAR_MAX_SIZE);
        buf_append(out, tmp, n);
    }
    if (ferror(f))
        return err_set(e, MP_ERR_IO, "cannot read flows from '%s': %s", name, strerror(errno));
    return 0;
}

int
har_reader_open(const char *path, struct har_reader **out, struct err *e)
{
    *out = NULL;
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = stdin;
    if (!is_stdin) {
        char *full = path_expand_home(path);
        f = fopen(full, "rb");
        free(full);
        if (f == NULL)
            return err_set(e, MP_ERR_IO, "cannot read flows from '%s': %s", path, strerror(errno));
    }
    /* A HAR file starts with '{' (after a BOM); a flow file with a digit.
     * Only a byte that says HAR is kept from the flow-file reader. */
    int c = getc(f);
    int har = c == '{';
    if (c == 0xef) {
        int b = getc(f), d = getc(f), brace = getc(f);
        har = b == 0xbb && d == 0xbf && brace == '{';
        if (!har) {
            if (!is_stdin)
                fclose(f);
            /* Not a flow file either (those start with a digit); the
             * flow-file reader says so for a file it can reopen. */
            if (is_stdin)
                return err_set(e, MP_ERR_SYNTAX, "<stdin>: not a flow file or a HAR file");
            return 0;
        }
        c = '{';
    }
    if (!har) {
        if (c != EOF)
            ungetc(c, f);
        if (!is_stdin)
            fclose(f);
        return 0;
    }
    struct buf data = BUF_INIT;
    buf_append(&data, "{", 1);
    const char *name = is_stdin ? "<stdin>" : path;
    int rc = read_all(f, name, &data, e);
    if (!is_stdin)
        fclose(f);
    if (rc == 0) {
        *out = har_reader_new(buf_ptr(&data), data.len, name, e);
        rc = *out ? 1 : (e && e->code ? e->code : MP_ERR_SYNTAX);
    }
    buf_clear(&data);
    return rc;
}

/* An entry's error: "<file>: entry N: <field>: <what>". */
struct ectx {
    struct har_reader *r;
    size_t index;
    struct err *e;
};

static int bad(struct ectx *x, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct ectx *x, const char *field, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return err_set(x->e, MP_ERR_SYNTAX, "%s: Unable to read HAR file: entry %zu: %s: %s",
                   x->r->name, x->index, field, what);
}

static const struct jv *
need(struct ectx *x, const struct jv *obj, const char *key, enum jv_type type, const char *field,
     int *rc)
{
    const struct jv *v = jv_get(obj, key);
    if (v == NULL)
        *rc = bad(x, field, "missing");
    else if (v->type != type && !(type == JV_TRUE && v->type == JV_FALSE))
        *rc = bad(x, field, "a %s, not a %s", jv_type_name(type), jv_type_name(v->type));
    else
        return v;
    return NULL;
}

static int
has_nul(const struct jv *s)
{
    return memchr(s->u.str.p, '\0', s->u.str.len) != NULL;
}

/* fix_headers(): {"name": n, "value": v} objects or [n, v] lists. */
static int
read_headers(struct ectx *x, const struct jv *list, const char *field, struct hdrs *out)
{
    if (list == NULL || list->type != JV_ARRAY)
        return bad(x, field, "not a list");
    for (size_t i = 0; i < list->u.arr.n; i++) {
        const struct jv *h = &list->u.arr.v[i], *name, *value;
        if (h->type == JV_OBJECT) {
            name = jv_get(h, "name");
            value = jv_get(h, "value");
        } else if (h->type == JV_ARRAY && h->u.arr.n >= 2) {
            name = &h->u.arr.v[0];
            value = &h->u.arr.v[1];
        } else {
            return bad(x, field, "item %zu is not a name and a value", i);
        }
        if (name == NULL || value == NULL || name->type != JV_STRING || value->type != JV_STRING)
            return bad(x, field, "item %zu is not a name and a value", i);
        if (has_nul(name) || has_nul(value))
            return bad(x, field, "item %zu holds a NUL byte", i);
        hdrs_add(out, slice_from(name->u.str.p, name->u.str.len),
                 slice_from(value->u.str.p, value->u.str.len));
    }
    return 0;
}

static int
digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/*
 * datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp(): a date
 * (YYYY-MM-DD or YYYYMMDD), then optionally any one separator and a time
 * (HH[:MM[:SS[.fraction]]] or HHMM[SS]) and an offset (Z, +HH:MM, +HHMM,
 * +HH). Without an offset the time is local, as Python takes it.
 */
static int
parse_iso(const char *s, size_t n, double *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    long us = 0;
    size_t i;
    if (n >= 10 && s[4] == '-' && s[7] == '-') {
        if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d))
            return -1;
        i = 10;
    } else if (n >= 8 && digits(s, 4, &y) == 0 && digits(s + 4, 2, &mo) == 0 &&
               digits(s + 6, 2, &d) == 0) {
        i = 8;
    } else {
        return -1;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return -1;
    int has_tz = 0;
    long tzsec = 0;
    if (i < n) {
        i++; /* any one separator */
        if (n - i < 2 || digits(s + i, 2, &h))
            return -1;
        i += 2;
        int extended = i < n && s[i] == ':';
        if (i < n && (extended || isdigit((unsigned char)s[i]))) {
            i += extended;
            if (n - i < 2 || digits(s + i, 2, &mi))
                return -1;
            i += 2;
            if (i < n &&
                ((extended && s[i] == ':') || (!extended && isdigit((unsigned char)s[i])))) {
                i += extended;
                if (n - i < 2 || digits(s + i, 2, &sec))
                    return -1;
                i += 2;
                if (i < n && (s[i] == '.' || s[i] == ',')) {
                    size_t k = ++i, nd = 0;
                    while (i < n && isdigit((unsigned char)s[i])) {
                        if (nd < 6)
                            us = us * 10 + (s[i] - '0');
                        nd++;
                        i++;
                    }
                    if (i == k)
                        return -1;
                    for (; nd < 6; nd++)
                        us *= 10;
                }
            }
        }
        if (i < n) {
            if (s[i] == 'Z' && i + 1 == n) {
                has_tz = 1;
                i++;
            } else if (s[i] == '+' || s[i] == '-') {
                int sign = s[i] == '-' ? -1 : 1, th, tm = 0, ts = 0;
                i++;
                if (n - i < 2 || digits(s + i, 2, &th))
                    return -1;
                i += 2;
                if (i < n && s[i] == ':')
                    i++;
                if (i < n) {
                    if (n - i < 2 || digits(s + i, 2, &tm))
                        return -1;
                    i += 2;
                    if (i < n && s[i] == ':')
                        i++;
                    if (i < n && (n - i < 2 || digits(s + i, 2, &ts)))
                        return -1;
                    i += i < n ? 2 : 0;
                }
                if (th > 23 || tm > 59 || ts > 59)
                    return -1;
                has_tz = 1;
                tzsec = sign * (th * 3600L + tm * 60L + ts);
            }
        }
        if (i != n || h > 23 || mi > 59 || sec > 59)
            return -1;
    }
    int64_t secs;
    if (has_tz) {
        secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - tzsec;
    } else {
        struct tm tm = {.tm_year = y - 1900,
                        .tm_mon = mo - 1,
                        .tm_mday = d,
                        .tm_hour = h,
                        .tm_min = mi,
                        .tm_sec = sec,
                        .tm_isdst = -1};
        secs = (int64_t)mktime(&tm);
    }
    *out = (double)(secs * 1000000 + us) / 1e6;
    return 0;
}

static int
scheme_char(char c)
{
    return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.';
}

/*
 * url.parse() of a request URL (urllib's urlparse, then mitmproxy's
 * checks): scheme, host (lower case), port (the scheme's default for none
 * or 0) and the path with params, query and fragment.
 */
static int
parse_url(struct ectx *x, const char *url, size_t n, struct http_request *r)
{
    struct buf u = BUF_INIT;
    /* urlsplit strips leading C0 controls and spaces, and drops tabs and
     * line breaks anywhere. */
    size_t i = 0;
    while (i < n && (unsigned char)url[i] <= 0x20)
        i++;
    for (; i < n; i++) {
        if ((unsigned char)url[i] >= 0x80) {
            buf_clear(&u);
            return bad(x, "request.url", "not ASCII");
        }
        if (url[i] != '\t' && url[i] != '\r' && url[i] != '\n')
            buf_append(&u, &url[i], 1);
    }
    buf_append(&u, "", 1);
    char *s = (char *)buf_ptr(&u), *scheme = "", *netloc = "";
    char *colon = strchr(s, ':');
    if (colon && colon > s && isalpha((unsigned char)s[0])) {
        char *c = s;
        while (c < colon && scheme_char(*c))
            c++;
        if (c == colon) {
            *colon = '\0';
            for (c = s; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            scheme = s;
            s = colon + 1;
        }
    }
    char *rest = s;
    if (s[0] == '/' && s[1] == '/') {
        netloc = s + 2;
        rest = netloc + strcspn(netloc, "/?#");
    }
    /* netloc ends where rest starts: copy it out before cutting. */
    char *nl = xstrndup(netloc, (size_t)(rest - netloc));
    char *fragment = strchr(rest, '#');
    if (fragment)
        *fragment++ = '\0';
    char *query = strchr(rest, '?');
    if (query)
        *query++ = '\0';
    char *path = rest, *params = NULL;
    char *slash = strrchr(path, '/');
    char *semi = strchr(slash ? slash : path, ';');
    if (semi) {
        *semi = '\0';
        params = semi + 1;
    }
    int rc = 0;
    if ((strchr(nl, '[') != NULL) != (strchr(nl, ']') != NULL))
        rc = bad(x, "request.url", "Invalid IPv6 URL");
    /* _hostinfo: after any userinfo, a bracketed host or up to ':'. */
    char *hostinfo = strrchr(nl, '@') ? strrchr(nl, '@') + 1 : nl, *host, *port;
    if (strchr(hostinfo, '[')) {
        host = strchr(hostinfo, '[') + 1;
        char *close = strchr(host, ']');
        port = close ? close + 1 : host + strlen(host);
        if (close)
            *close = '\0';
        port = strchr(port, ':') ? strchr(port, ':') + 1 : port + strlen(port);
    } else {
        host = hostinfo;
        char *pc = strchr(host, ':');
        port = pc ? pc + 1 : host + strlen(host);
        if (pc)
            *pc = '\0';
    }
    for (char *c = host; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    long portnum = 0;
    if (rc == 0 && *host == '\0')
        rc = bad(x, "request.url", "No hostname given");
    if (rc == 0 && *port) {
        char *end;
        errno = 0;
        portnum = strtol(port, &end, 10);
        if (*end || !isdigit((unsigned char)*port))
            rc = bad(x, "request.url", "Port could not be cast to integer value as '%s'", port);
        else if (errno || portnum > 65535)
            rc = bad(x, "request.url", "Port out of range 0-65535");
    }
    if (rc == 0) {
        const char *h;
        size_t hl;
        int p;
        exp__parse_authority(host, strlen(host), &h, &hl, &p);
        if (strchr(host, ':') == NULL && (hl != strlen(host) || h != host))
            rc = bad(x, "request.url", "Invalid Host");
        else if (strchr(host, ':') == NULL && strpbrk(host, "/\\ %") != NULL)
            rc = bad(x, "request.url", "Invalid Host");
    }
    if (rc == 0) {
        if (portnum == 0)
            portnum = strcmp(scheme, "https") == 0 ? 443 : 80;
        struct buf full = BUF_INIT;
        if (path[0] != '/')
            buf_append(&full, "/", 1);
        buf_append_str(&full, path);
        if (params && *params)
            buf_printf(&full, ";%s", params);
        if (query && *query)
            buf_printf(&full, "?%s", query);
        if (fragment && *fragment)
            buf_printf(&full, "#%s", fragment);
        buf_append(&full, "", 1);
        http_set_str(&r->scheme, scheme);
        http_set_str(&r->host, host);
        r->port = (uint16_t)portnum;
        http_set_str(&r->path, (const char *)buf_ptr(&full));
        buf_clear(&full);
    }
    free(nl);
    buf_clear(&u);
    return rc;
}

/*
 * Message.text = text: encoded in the charset infer_content_encoding()
 * gives the headers, else as UTF-8 with Content-Type's charset made utf-8.
 */
static void
set_text(struct hdrs *h, const char *p, size_t n, struct buf *out)
{
    struct buf tmp = BUF_INIT;
    const char *cs = exp__guess_charset(h, NULL, 0, EXP_CHARSET_CURRENT, &tmp);
    if (exp__encode_charset(cs, (const uint8_t *)p, n, out) == 0) {
        buf_clear(&tmp);
        return;
    }
    buf_clear(&tmp);
    /* assemble_content_type(type, subtype, params + charset=utf-8) */
    size_t ctlen = 0;
    const char *ct = exp__header(h, "content-type", &ctlen);
    struct buf nct = BUF_INIT;
    const char *semi = ct ? memchr(ct, ';', ctlen) : NULL;
    const char *slash = ct ? memchr(ct, '/', semi ? (size_t)(semi - ct) : ctlen) : NULL;
    if (slash == NULL) {
        buf_append_str(&nct, "text/plain; charset=utf-8");
    } else {
        size_t tl = semi ? (size_t)(semi - ct) : ctlen;
        for (size_t i = 0; i < tl; i++) {
            char c = (char)tolower((unsigned char)ct[i]);
            buf_append(&nct, &c, 1);
        }
        int had = 0;
        const char *q = semi ? semi + 1 : NULL, *end = ct + ctlen;
        while (q && q <= end) {
            const char *next = memchr(q, ';', (size_t)(end - q));
            const char *ie = next ? next : end;
            const char *eq = memchr(q, '=', (size_t)(ie - q));
            if (eq) {
                const char *ks = q, *ke = eq, *vs = eq + 1, *ve = ie;
                while (ks < ke && isspace((unsigned char)*ks))
                    ks++;
                while (ke > ks && isspace((unsigned char)ke[-1]))
                    ke--;
                while (vs < ve && isspace((unsigned char)*vs))
                    vs++;
                while (ve > vs && isspace((unsigned char)ve[-1]))
                    ve--;
                buf_append(&nct, "; ", 2);
                buf_append(&nct, ks, (size_t)(ke - ks));
                buf_append(&nct, "=", 1);
                if (ke - ks == 7 && memcmp(ks, "charset", 7) == 0) {
                    buf_append_str(&nct, "utf-8");
                    had = 1;
                } else {
                    buf_append(&nct, vs, (size_t)(ve - vs));
                }
            }
            q = next ? next + 1 : NULL;
        }
        if (!had)
            buf_append_str(&nct, "; charset=utf-8");
    }
    hdrs_set(h, "content-type", buf_slice(&nct));
    buf_clear(&nct);
    buf_append(out, p, n);
}

static int
compressing(const char *ce, size_t n)
{
    static const char *const codings[] = {"gzip", "deflate", "deflateraw", "br", "zstd"};
    for (size_t i = 0; i < sizeof(codings) / sizeof(codings[0]); i++)
        if (strlen(codings[i]) == n && strncasecmp(ce, codings[i], n) == 0)
            return 1;
    return 0;
}

/*
 * The body's headers after Request.make()'s set_content() (requests) and
 * decode() (both): the body is decoded, so Content-Encoding goes where
 * decode() ran (a body, or one a coding made non-empty) and, for a
 * request, where set_content() refused a coding it does not know;
 * Content-Length is the body's size unless there is a Transfer-Encoding,
 * and set_content() sets it on every request.
 */
static void
fix_body_headers(struct hdrs *h, size_t len, int is_request)
{
    size_t celen = 0;
    const char *ce = exp__header(h, "content-encoding", &celen);
    int identity = ce && (celen == 0 || (celen == 8 && strncasecmp(ce, "identity", 8) == 0) ||
                          (celen == 4 && strncasecmp(ce, "none", 4) == 0));
    int decoded = len > 0 || (ce && compressing(ce, celen));
    if (ce && (decoded || (is_request && !identity)))
        hdrs_remove(h, "content-encoding");
    if ((decoded || is_request) && hdrs_find(h, "transfer-encoding", 0) < 0) {
        char cl[24];
        snprintf(cl, sizeof(cl), "%zu", len);
        hdrs_set_cstr(h, "content-length", cl);
    }
}

static const char *
http_version(const char *v)
{
    static const char *const h2[] = {"http/2.0", "HTTP/2", "HTTP/2.0", "h2", "http/2"};
    static const char *const h3[] = {"HTTP/3", "http/3", "h3", "http/3.0", "HTTP/3.0"};
    for (size_t i = 0; i < 5; i++) {
        if (strcmp(v, h2[i]) == 0)
            return "HTTP/2.0";
        if (strcmp(v, h3[i]) == 0)
            return "HTTP/3";
    }
    return strcasecmp(v, "HTTP/1.0") == 0 ? "HTTP/1.0" : "HTTP/1.1";
}

static int
entry_to_flow(struct ectx *x, const struct jv *en, struct flow **out)
{
    int rc = 0;
    if (en->type != JV_OBJECT)
        return bad(x, "entry", "not an object");
    const struct jv *started = need(x, en, "startedDateTime", JV_STRING, "startedDateTime", &rc);
    const struct jv *time = started ? need(x, en, "time", JV_NUMBER, "time", &rc) : NULL;
    const struct jv *rq = time ? need(x, en, "request", JV_OBJECT, "request", &rc) : NULL;
    const struct jv *rs = rq ? need(x, en, "response", JV_OBJECT, "response", &rc) : NULL;
    if (rc < 0)
        return rc;
    double ts_start;
    if (parse_iso(started->u.str.p, started->u.str.len, &ts_start) < 0)
        return bad(x, "startedDateTime", "not an ISO 8601 date: '%.60s'", started->u.str.p);
    double ts_end = ts_start + time->u.num.d / 1000.0;
    const struct jv *method = need(x, rq, "method", JV_STRING, "request.method", &rc);
    const struct jv *url = method ? need(x, rq, "url", JV_STRING, "request.url", &rc) : NULL;
    const struct jv *rqv =
        url ? need(x, rq, "httpVersion", JV_STRING, "request.httpVersion", &rc) : NULL;
    const struct jv *rsv =
        rqv ? need(x, rs, "httpVersion", JV_STRING, "response.httpVersion", &rc) : NULL;
    const struct jv *status = rsv ? need(x, rs, "status", JV_NUMBER, "response.status", &rc) : NULL;
    const struct jv *content =
        status ? need(x, rs, "content", JV_OBJECT, "response.content", &rc) : NULL;
    if (rc < 0)
        return rc;
    if (has_nul(method) || !status->u.num.is_int || status->u.num.i < 0 || status->u.num.i > 999)
        return bad(x, has_nul(method) ? "request.method" : "response.status", "invalid");

    struct flow *f = flow_new_http(connection_new(CONN_CLIENT), connection_new(CONN_SERVER));
    /* flow_new_http took references of its own. */
    connection_unref(f->client_conn);
    connection_unref(f->server_conn);
    struct http_request *r = f->request = http_request_new();
    http_set_str(&r->method, method->u.str.p);
    http_set_str(&r->http_version, "HTTP/1.1");
    if ((rc = read_headers(x, jv_get(rq, "headers"), "request.headers", &r->headers)) < 0 ||
        (rc = parse_url(x, url->u.str.p, url->u.str.len, r)) < 0)
        goto fail;
    /* The host and port setters rewrite a Host header to match the URL. */
    if (hdrs_find(&r->headers, "host", 0) >= 0) {
        struct buf hp = BUF_INIT;
        buf_append_str(&hp, r->host);
        if (r->port != (strcmp(r->scheme, "https") == 0  ? 443
                        : strcmp(r->scheme, "http") == 0 ? 80
                                                         : 0))
            buf_printf(&hp, ":%u", r->port);
        hdrs_set(&r->headers, "Host", buf_slice(&hp));
        buf_clear(&hp);
    }
    const struct jv *post = jv_get(rq, "postData");
    size_t tlen = 0;
    const char *text = post ? jv_get_str(post, "text", &tlen) : NULL;
    set_text(&r->headers, text ? text : "", text ? tlen : 0, &r->content);
    fix_body_headers(&r->headers, r->content.len, 1);
    http_set_str(&r->http_version, http_version(rqv->u.str.p));
    r->timestamp_start = ts_start;
    r->timestamp_end = ts_end;

    struct http_response *s = f->response = http_response_new();
    if ((rc = read_headers(x, jv_get(rs, "headers"), "response.headers", &s->headers)) < 0)
        goto fail;
    s->status_code = (int)status->u.num.i;
    http_set_str(&s->reason, http_status_reason(s->status_code));
    http_set_str(&s->http_version, http_version(rsv->u.str.p));
    size_t blen = 0;
    const char *body = jv_get_str(content, "text", &blen);
    const char *enc = jv_get_str(content, "encoding", NULL);
    if (body && enc && strcmp(enc, "base64") == 0) {
        if (exp__b64_decode(&s->content, body, blen) < 0) {
            rc = bad(x, "response.content.text", "invalid base64");
            goto fail;
        }
    } else if (body) {
        struct buf tmp = BUF_INIT;
        const char *cs =
            enc ? enc : exp__guess_charset(&s->headers, NULL, 0, EXP_CHARSET_CURRENT, &tmp);
        if (exp__encode_charset(cs, (const uint8_t *)body, blen, &s->content) < 0)
            buf_append(&s->content, body, blen); /* UTF-8 with surrogateescape */
        buf_clear(&tmp);
    }
    fix_body_headers(&s->headers, s->content.len, 0);
    s->timestamp_start = ts_start;
    s->timestamp_end = ts_end;

    struct connection *cc = f->client_conn, *sc = f->server_conn;
    addr_set(&cc->peername, "127.0.0.1", 0);
    addr_set(&cc->sockname, "127.0.0.1", 0);
    addr_set(&cc->address, "127.0.0.1", 0);
    cc->timestamp_start = ts_start;
    cc->timestamp_end = ts_end;
    const char *ip = jv_get_str(en, "serverIPAddress", NULL);
    if (ip && *ip && !memchr(ip, '\0', strlen(ip)))
        addr_set(&sc->address, ip, strncmp(url->u.str.p, "http://", 7) == 0 ? 80 : 443);
    f->live = 0;
    *out = f;
    return 0;
fail:
    flow_unref(f);
    return rc;
}

int
har_reader_next(struct har_reader *r, struct flow **out, struct err *e)
{
    *out = NULL;
    if (r->err.code) {
        if (e)
            *e = r->err;
        return r->err.code;
    }
    if (r->next == r->entries->u.arr.n)
        return 0;
    struct ectx x = {r, r->next, &r->err};
    int rc = entry_to_flow(&x, &r->entries->u.arr.v[r->next], out);
    r->next++;
    if (rc < 0) {
        if (e)
            *e = r->err;
        return rc;
    }
    return 1;
}

int
har_read_each(FILE *f, const char *name, int (*emit)(void *ctx, struct flow *f), void *ctx,
              struct err *e)
{
    struct buf b = BUF_INIT;
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > HAR_MAX_SIZE) {
            rc = err_set(e, MP_ERR_LIMIT, "%s: a HAR file of more than %zu bytes", name,
                         HAR_MAX_SIZE);
            break;
        }
        buf_append(&b, chunk, n);
    }
    if (rc == 0 && ferror(f))
        rc = err_set(e, MP_ERR_IO, "%s: %s", name, strerror(errno));
    struct har_reader *r = rc == 0 ? har_reader_new(buf_ptr(&b), b.len, name, e) : NULL;
    buf_clear(&b);
    if (r == NULL)
        return rc < 0 ? rc : (e && e->code ? e->code : MP_ERR_SYNTAX);
    struct flow *fl;
    while ((rc = har_reader_next(r, &fl, e)) == 1)
        if (emit(ctx, fl) < 0)
            break;
    har_reader_free(r);
    return rc < 0 ? rc : 0;
}
