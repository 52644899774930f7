/*
 * Bodies as mitmproxy sees them (Message.get_content, get_text, decode)
 * and the URL views of a request (host_header, pretty_host, pretty_url),
 * with mitmproxy 8.1.1's rules where they differ from ours in http/: a
 * Content-Encoding value is one coding, an HTTP/2 request's host header is
 * its :authority, and an IPv6 host is not bracketed in a URL.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "export/internal.h"
#include "http/encoding.h"
#include "http/url.h"
#include "util/xmalloc.h"

const char *
exp__header(const struct hdrs *h, const char *name, size_t *len)
{
    const struct hdr *f = hdrs_get(h, name);
    if (f == NULL)
        return NULL;
    if (len)
        *len = f->value_len;
    return f->value;
}

int
exp__get_content(const struct hdrs *h, const struct buf *raw, int strict, struct buf *out,
                 struct err *e)
{
    size_t celen;
    const char *ce = exp__header(h, "content-encoding", &celen);
    if (ce == NULL || celen == 0) {
        buf_append(out, buf_ptr(raw), raw->len);
        return 0;
    }
    /* mitmproxy's custom codings; anything else goes to Python's codecs,
     * where a text codec ("utf8") or an unknown name is an error. */
    static const char *const known[] = {"identity",   "none", "gzip", "deflate",
                                        "deflateraw", "br",   "zstd"};
    const char *coding = NULL;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strlen(known[i]) == celen && strncasecmp(ce, known[i], celen) == 0)
            coding = known[i];
    int rc = MP_ERR_CORRUPT;
    if (coding == NULL) {
        err_set(e, MP_ERR_CORRUPT, "Invalid Content-Encoding: %.*s", (int)celen, ce);
    } else if (raw->len == 0 || strcmp(coding, "identity") == 0 || strcmp(coding, "none") == 0) {
        buf_append(out, buf_ptr(raw), raw->len);
        rc = 0;
    } else {
        if (strcmp(coding, "deflateraw") == 0)
            coding = "deflate"; /* ours takes a zlib stream or raw deflate */
        rc = enc_decode(coding, buf_ptr(raw), raw->len, out, 0, e);
    }
    if (rc < 0 && !strict) {
        buf_append(out, buf_ptr(raw), raw->len);
        rc = 0;
    }
    return rc;
}

/* headers.parse_content_type(ct)'s charset parameter, or NULL: the last
 * "charset" (case matters) after the first ";", trimmed, quotes kept. */
static const char *
ct_charset(const char *ct, size_t n, struct buf *tmp)
{
    const char *semi = memchr(ct, ';', n);
    const char *slash = memchr(ct, '/', semi ? (size_t)(semi - ct) : n);
    if (slash == NULL || semi == NULL)
        return NULL;
    const char *found = NULL;
    size_t foundlen = 0;
    const char *p = semi + 1, *end = ct + n;
    while (p <= end) {
        const char *q = memchr(p, ';', (size_t)(end - p));
        const char *ie = q ? q : end;
        const char *eq = memchr(p, '=', (size_t)(ie - p));
        if (eq) {
            const char *ks = p, *ke = eq;
            while (ks < ke && isspace((unsigned char)*ks))
                ks++;
            while (ke > ks && isspace((unsigned char)ke[-1]))
                ke--;
            if (ke - ks == 7 && memcmp(ks, "charset", 7) == 0) {
                const char *vs = eq + 1, *ve = ie;
                while (vs < ve && isspace((unsigned char)*vs))
                    vs++;
                while (ve > vs && isspace((unsigned char)ve[-1]))
                    ve--;
                found = vs;
                foundlen = (size_t)(ve - vs);
            }
        }
        if (q == NULL)
            break;
        p = q + 1;
    }
    if (found == NULL || foundlen == 0)
        return NULL; /* "charset=" counts as none: `if not enc` */
    buf_set(tmp, found, foundlen);
    buf_append(tmp, "", 1);
    return (const char *)buf_ptr(tmp);
}

static int
has(const char *ct, size_t n, const char *needle)
{
    return memmem(ct, n, needle, strlen(needle)) != NULL;
}

static int
prefix_nocase(const uint8_t *p, const uint8_t *end, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(end - p) >= n && strncasecmp((const char *)p, s, n) == 0;
}

/*
 * re.search(rb'<TAG[^STOP]+KEY=Q([^'"STOP]+)', content, re.I) with Q an
 * optional quote (quote_optional) or a required one: the group into tmp.
 * The greedy [^STOP]+ takes the last KEY= of a tag that still matches.
 */
static const char *
tag_attr(const uint8_t *p, size_t n, const char *tag, const char *stop, const char *key,
         int quote_optional, struct buf *tmp)
{
    const uint8_t *end = p + n;
    size_t taglen = strlen(tag), keylen = strlen(key);
    for (const uint8_t *t = p; t < end; t++) {
        if (!prefix_nocase(t, end, tag))
            continue;
        const uint8_t *body = t + taglen, *stop_at = body;
        while (stop_at < end && !strchr(stop, *stop_at))
            stop_at++;
        /* KEY= starts after at least one byte of the tag's body. */
        for (const uint8_t *k = stop_at; k-- > body + 1;) {
            if (k + keylen > stop_at || !prefix_nocase(k, end, key))
                continue;
            const uint8_t *v = k + keylen;
            if (v < end && (*v == '\'' || *v == '"'))
                v++;
            else if (!quote_optional)
                continue;
            const uint8_t *ve = v;
            while (ve < end && *ve != '\'' && *ve != '"' && !strchr(stop, *ve))
                ve++;
            if (ve > v) {
                buf_reset(tmp);
                for (const uint8_t *c = v; c < ve; c++)
                    if (*c < 0x80) /* .decode("ascii", "ignore") */
                        buf_append(tmp, c, 1);
                buf_append(tmp, "", 1);
                return (const char *)buf_ptr(tmp);
            }
        }
    }
    return NULL;
}

/* re.match(rb'@charset "([^"]+)";', content, re.I) */
static const char *
css_charset(const uint8_t *p, size_t n, struct buf *tmp)
{
    const uint8_t *end = p + n;
    if (!prefix_nocase(p, end, "@charset \""))
        return NULL;
    const uint8_t *v = p + 10, *q = memchr(v, '"', (size_t)(end - v));
    if (q == NULL || q == v || q + 1 >= end || q[1] != ';')
        return NULL;
    buf_reset(tmp);
    for (const uint8_t *c = v; c < q; c++)
        if (*c < 0x80)
            buf_append(tmp, c, 1);
    buf_append(tmp, "", 1);
    return (const char *)buf_ptr(tmp);
}

const char *
exp__guess_charset(const struct hdrs *h, const uint8_t *p, size_t n, enum exp_charset_rules rules,
                   struct buf *tmp)
{
    size_t ctlen = 0;
    const char *ct = exp__header(h, "content-type", &ctlen);
    if (ct == NULL)
        ct = "";
    const char *enc = NULL;
    if (rules == EXP_CHARSET_CURRENT) {
        if (n >= 4 && memcmp(p, "\0\0\xfe\xff", 4) == 0)
            return "utf-32be";
        if (n >= 4 && memcmp(p, "\xff\xfe\0\0", 4) == 0)
            return "utf-32le";
        if (n >= 2 && memcmp(p, "\xfe\xff", 2) == 0)
            return "utf-16be";
        if (n >= 2 && memcmp(p, "\xff\xfe", 2) == 0)
            return "utf-16le";
        if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
            return "utf-8-sig";
    }
    enc = ct_charset(ct, ctlen, tmp);
    if (!enc && has(ct, ctlen, "json"))
        enc = "utf8";
    if (!enc && has(ct, ctlen, "html")) {
        enc = tag_attr(p, n, "<meta", ">", "charset=", 1, tmp);
        if (!enc && rules == EXP_CHARSET_CURRENT)
            enc = "utf8";
    }
    if (rules == EXP_CHARSET_CURRENT) {
        if (!enc && has(ct, ctlen, "xml")) {
            enc = tag_attr(p, n, "<?xml", "?>", "encoding=", 0, tmp);
            if (!enc)
                enc = "utf8";
        }
        if (!enc && (has(ct, ctlen, "javascript") || has(ct, ctlen, "ecmascript")))
            enc = "utf8";
    }
    if (!enc && has(ct, ctlen, "text/css")) {
        enc = css_charset(p, n, tmp);
        if (!enc && rules == EXP_CHARSET_CURRENT)
            enc = "utf8";
    }
    if (!enc || !*enc)
        enc = "latin-1";
    if (strcasecmp(enc, "gb2312") == 0 || strcasecmp(enc, "gbk") == 0)
        enc = "gb18030";
    return enc;
}

int
exp__is_utf8(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i], lo = 0x80, hi = 0xbf;
        size_t len;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            lo = c == 0xe0 ? 0xa0 : 0x80;
            hi = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            lo = c == 0xf0 ? 0x90 : 0x80;
            hi = c == 0xf4 ? 0x8f : 0xbf;
        } else {
            return 0;
        }
        if (n - i < len || p[i + 1] < lo || p[i + 1] > hi)
            return 0;
        for (size_t k = 2; k < len; k++)
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
        i += len;
    }
    return 1;
}

/* Python's codec name lookup, for the names that matter: lower case, runs
 * of other characters than letters, digits and '.' as one '_'. */
static void
normalize(const char *name, char *out, size_t outlen)
{
    size_t o = 0;
    int pending = 0;
    for (const char *c = name; *c && o + 2 < outlen; c++) {
        if (isalnum((unsigned char)*c) || *c == '.') {
            if (pending && o > 0)
                out[o++] = '_';
            pending = 0;
            out[o++] = (char)tolower((unsigned char)*c);
        } else {
            pending = 1;
        }
    }
    out[o] = '\0';
}

static int
in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

static int
iconv_convert(const char *to, const char *from, const uint8_t *p, size_t n, struct buf *out)
{
    iconv_t cd = iconv_open(to, from);
    if (cd == (iconv_t)-1)
        return MP_ERR_NOTFOUND;
    size_t start = out->len;
    char *in = (char *)p;
    size_t inleft = n;
    int rc = 0;
    while (inleft > 0) {
        buf_reserve(out, inleft * 4 + 16);
        char *o = (char *)buf_ptr(out) + out->len;
        size_t oleft = inleft * 4 + 16, before = oleft;
        size_t r = iconv(cd, &in, &inleft, &o, &oleft);
        out->len += before - oleft;
        if (r == (size_t)-1 && errno != E2BIG) {
            rc = MP_ERR_CORRUPT;
            break;
        }
    }
    if (rc == 0) {
        /* Flush a stateful decoder's last bytes. */
        buf_reserve(out, 16);
        char *o = (char *)buf_ptr(out) + out->len;
        size_t oleft = 16;
        if (iconv(cd, NULL, NULL, &o, &oleft) == (size_t)-1)
            rc = MP_ERR_CORRUPT;
        out->len += 16 - oleft;
    }
    iconv_close(cd);
    if (rc < 0)
        out->len = start;
    return rc;
}

/* The codecs done here, by Python's names for them. */
enum builtin { CS_OTHER, CS_UTF8, CS_ASCII, CS_LATIN1 };

static enum builtin
builtin(const char *charset, char norm[64], int *sig)
{
    static const char *const utf8[] = {"utf_8",   "utf8",      "u8",        "utf",
                                       "cp65001", "utf8_ucs2", "utf8_ucs4", NULL};
    static const char *const latin1[] = {
        "latin_1", "latin1", "iso_8859_1", "iso8859_1",   "8859",   "cp819",
        "l1",      "latin",  "iso_ir_100", "csisolatin1", "ibm819", "iso_8859_1_1987",
        NULL};
    static const char *const ascii[] = {
        "ascii",          "us_ascii",       "646",     "us",     "ansi_x3.4_1968",
        "ansi_x3_4_1968", "cp367",          "csascii", "ibm367", "iso646_us",
        "iso_ir_6",       "ansi_x3.4_1986", NULL};
    normalize(charset, norm, 64);
    *sig = strcmp(norm, "utf_8_sig") == 0;
    if (*sig || in_list(norm, utf8))
        return CS_UTF8;
    if (in_list(norm, ascii))
        return CS_ASCII;
    if (in_list(norm, latin1))
        return CS_LATIN1;
    return CS_OTHER;
}

/* iconv by the name as given, else as Python normalized it with '-'. */
static int
iconv_named(const char *charset, char norm[64], int to_charset, const uint8_t *p, size_t n,
            struct buf *out)
{
    int rc = to_charset ? iconv_convert(charset, "UTF-8", p, n, out)
                        : iconv_convert("UTF-8", charset, p, n, out);
    if (rc == MP_ERR_NOTFOUND) {
        for (char *c = norm; *c; c++)
            if (*c == '_')
                *c = '-';
        rc = to_charset ? iconv_convert(norm, "UTF-8", p, n, out)
                        : iconv_convert("UTF-8", norm, p, n, out);
    }
    return rc;
}

int
exp__decode_charset(const char *charset, const uint8_t *p, size_t n, struct buf *out)
{
    char norm[64];
    int sig;
    switch (builtin(charset, norm, &sig)) {
    case CS_UTF8:
        if (sig && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
            p += 3, n -= 3;
        if (!exp__is_utf8(p, n))
            return MP_ERR_CORRUPT;
        buf_append(out, p, n);
        return 0;
    case CS_ASCII:
        for (size_t i = 0; i < n; i++)
            if (p[i] >= 0x80)
                return MP_ERR_CORRUPT;
        buf_append(out, p, n);
        return 0;
    case CS_LATIN1:
        for (size_t i = 0; i < n; i++) {
            if (p[i] < 0x80) {
                buf_append(out, &p[i], 1);
            } else {
                uint8_t two[2] = {(uint8_t)(0xc0 | (p[i] >> 6)), (uint8_t)(0x80 | (p[i] & 0x3f))};
                buf_append(out, two, 2);
            }
        }
        return 0;
    default:
        return iconv_named(charset, norm, 0, p, n, out);
    }
}

int
exp__encode_charset(const char *charset, const uint8_t *p, size_t n, struct buf *out)
{
    char norm[64];
    int sig;
    if (!exp__is_utf8(p, n))
        return MP_ERR_CORRUPT; /* a surrogate escape: no codec takes one */
    switch (builtin(charset, norm, &sig)) {
    case CS_UTF8:
        if (sig)
            buf_append(out, "\xef\xbb\xbf", 3);
        buf_append(out, p, n);
        return 0;
    case CS_ASCII:
        for (size_t i = 0; i < n; i++)
            if (p[i] >= 0x80)
                return MP_ERR_CORRUPT;
        buf_append(out, p, n);
        return 0;
    case CS_LATIN1: {
        size_t start = out->len;
        for (size_t i = 0; i < n; i++) {
            if (p[i] < 0x80) {
                buf_append(out, &p[i], 1);
            } else if (p[i] == 0xc2 || p[i] == 0xc3) {
                uint8_t b = (uint8_t)(((p[i] & 0x03) << 6) | (p[i + 1] & 0x3f));
                buf_append(out, &b, 1);
                i++;
            } else {
                out->len = start;
                return MP_ERR_CORRUPT;
            }
        }
        return 0;
    }
    default:
        return iconv_named(charset, norm, 1, p, n, out);
    }
}

int
exp__get_text(const struct hdrs *h, const uint8_t *p, size_t n, enum exp_charset_rules rules,
              int strict, struct buf *out, struct err *e)
{
    struct buf tmp = BUF_INIT;
    const char *cs = exp__guess_charset(h, p, n, rules, &tmp);
    int rc = exp__decode_charset(cs, p, n, out);
    if (rc < 0) {
        err_set(e, MP_ERR_CORRUPT, "cannot decode the body as %s", cs);
        if (!strict) {
            buf_append(out, p, n); /* decode("utf8", "surrogateescape") */
            rc = 0;
        } else {
            rc = MP_ERR_CORRUPT;
        }
    }
    buf_clear(&tmp);
    return rc;
}

/* decode(strict=False) of a message's headers and body, in place. */
static void
decode_message(struct hdrs *h, struct buf *content, int content_none)
{
    if (content_none) {
        hdrs_remove(h, "content-encoding");
        return;
    }
    struct buf dec = BUF_INIT;
    exp__get_content(h, content, 0, &dec, NULL);
    hdrs_remove(h, "content-encoding");
    buf_move(content, &dec);
    if (hdrs_find(h, "transfer-encoding", 0) < 0) {
        char len[24];
        snprintf(len, sizeof(len), "%zu", content->len);
        hdrs_set_cstr(h, "content-length", len);
    }
}

struct http_request *
exp__request_decoded(const struct http_request *r)
{
    struct http_request *c = http_request_copy(r);
    decode_message(&c->headers, &c->content, c->content_none);
    return c;
}

struct http_response *
exp__response_decoded(const struct http_response *r)
{
    struct http_response *c = http_response_copy(r);
    decode_message(&c->headers, &c->content, c->content_none);
    return c;
}

int
exp__is_http2(const struct http_request *r)
{
    return strcmp(r->http_version, "HTTP/2.0") == 0;
}

const char *
exp__host_header(const struct http_request *r, size_t *len)
{
    if (exp__is_http2(r) && r->authority[0]) {
        *len = strlen(r->authority);
        return r->authority;
    }
    return exp__header(&r->headers, "host", len);
}

/* check.is_valid_host for what reaches it here: DNS labels of 1 to 63
 * letters, digits, '-' and '_', or an IP literal. */
static int
valid_host(const char *h, size_t n)
{
    if (n == 0 || n > 255)
        return 0;
    if (memchr(h, ':', n)) /* an IPv6 literal */
        return 1;
    if (h[n - 1] == '.')
        n--;
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || h[i] == '.') {
            if (label == 0 || label > 63)
                return 0;
            label = 0;
            continue;
        }
        unsigned char c = (unsigned char)h[i];
        if (!isalnum(c) && c != '-' && c != '_')
            return 0;
        label++;
    }
    return 1;
}

void
exp__parse_authority(const char *p, size_t n, const char **host, size_t *hostlen, int *port)
{
    /* ^(?P<host>[^:]+|\[.+\])(?::(?P<port>\d+))?$ */
    const char *h = p, *rest;
    size_t hl;
    if (n > 0 && p[0] == '[') {
        const char *close = NULL;
        /* \[.+\] is greedy: the last ']' that leaves a valid remainder. */
        for (size_t i = n; i-- > 2;) {
            if (p[i] != ']')
                continue;
            size_t after = n - i - 1;
            int ok = after == 0;
            if (after >= 2 && p[i + 1] == ':') {
                ok = 1;
                for (size_t k = i + 2; k < n; k++)
                    ok &= isdigit((unsigned char)p[k]) != 0;
            }
            if (ok) {
                close = p + i;
                break;
            }
        }
        if (close == NULL)
            goto whole;
        h = p + 1;
        hl = (size_t)(close - p) - 1;
        rest = close + 1;
    } else {
        const char *colon = memchr(p, ':', n);
        hl = colon ? (size_t)(colon - p) : n;
        if (hl == 0)
            goto whole;
        rest = p + hl;
    }
    size_t restlen = n - (size_t)(rest - p);
    int pt = -1;
    if (restlen > 0) {
        if (restlen < 2 || rest[0] != ':')
            goto whole;
        long v = 0;
        for (size_t i = 1; i < restlen; i++) {
            if (!isdigit((unsigned char)rest[i]))
                goto whole;
            if (v <= 65535)
                v = v * 10 + (rest[i] - '0');
        }
        if (v > 65535)
            goto whole;
        pt = (int)v;
    }
    if (!valid_host(h, hl))
        goto whole;
    *host = h;
    *hostlen = hl;
    *port = pt;
    return;
whole:
    *host = p;
    *hostlen = n;
    *port = -1;
}

static int
default_port(const char *scheme)
{
    return strcmp(scheme, "http") == 0 ? 80 : strcmp(scheme, "https") == 0 ? 443 : 0;
}

/* url.unparse(scheme, host, port, path) */
static void
unparse(struct buf *out, const char *scheme, const char *host, size_t hostlen, int port,
        const char *path)
{
    buf_printf(out, "%s://", scheme);
    buf_append(out, host, hostlen);
    if (default_port(scheme) != port)
        buf_printf(out, ":%d", port);
    if (strcmp(path, "*") != 0)
        buf_append_str(out, path);
}

void
exp__url(const struct http_request *r, struct buf *out)
{
    if (strcasecmp(r->method, "CONNECT") == 0) {
        buf_printf(out, "%s:%u", r->host, r->port);
        return;
    }
    unparse(out, r->scheme, r->host, strlen(r->host), r->port, r->path);
}

void
exp__pretty_host(const struct http_request *r, struct buf *out)
{
    size_t n;
    const char *hh = exp__host_header(r, &n);
    if (hh == NULL || n == 0) {
        buf_append_str(out, r->host);
        return;
    }
    const char *h;
    size_t hl;
    int port;
    exp__parse_authority(hh, n, &h, &hl, &port);
    buf_append(out, h, hl);
}

void
exp__pretty_url(const struct http_request *r, struct buf *out)
{
    if (strcasecmp(r->method, "CONNECT") == 0) {
        buf_append_str(out, r->authority);
        return;
    }
    size_t n;
    const char *hh = exp__host_header(r, &n);
    if (hh == NULL || n == 0) {
        exp__url(r, out);
        return;
    }
    const char *h;
    size_t hl;
    int port;
    exp__parse_authority(hh, n, &h, &hl, &port);
    if (port <= 0)
        port = default_port(r->scheme) ? default_port(r->scheme) : 443;
    unparse(out, r->scheme, h, hl, port, r->path);
}
