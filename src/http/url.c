/* URL helpers. See url.h. */
#include <string.h>

#include "http/url.h"
#include "util/hex.h"
#include "util/num.h"

void
http_unquote(struct buf *out, const char *p, size_t n, int plus)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        int hi, lo;
        if (c == '+' && plus) {
            c = ' ';
        } else if (c == '%' && i + 2 < n && (hi = hex_value((unsigned char)p[i + 1])) >= 0 &&
                   (lo = hex_value((unsigned char)p[i + 2])) >= 0) {
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        buf_append(out, &c, 1);
    }
}

int
http_default_port(const char *scheme)
{
    if (strcmp(scheme, "http") == 0)
        return 80;
    if (strcmp(scheme, "https") == 0)
        return 443;
    return 0;
}

static int
host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

static int
v6_char(unsigned char c)
{
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
           c == '.' || c == '%';
}

static int
bad(struct err *e, int code, const char *why, const char *p, size_t n)
{
    return err_set(e, code, "%s in '%.*s'", why, (int)(n > 200 ? 200 : n), p);
}

int
http_hostport_parse(const char *p, size_t n, unsigned flags, struct slice *host, int *port,
                    struct err *e)
{
    const char *end = p + n, *colon = NULL;
    int strict = (flags & HTTP_HOSTPORT_STRICT) != 0;
    *port = -1;
    if (n > 0 && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        if (close == NULL)
            return bad(e, MP_ERR_SYNTAX, "missing ']'", p, n);
        *host = slice_from(p + 1, (size_t)(close - p - 1));
        if (close + 1 != end) {
            if (close[1] != ':')
                return bad(e, MP_ERR_SYNTAX, "text after ']'", p, n);
            colon = close + 1;
        }
        if (strict)
            for (const char *c = p + 1; c < close; c++)
                if (!v6_char((unsigned char)*c))
                    return bad(e, MP_ERR_SYNTAX, "invalid IPv6 address", p, n);
    } else {
        colon = n ? memchr(p, ':', n) : NULL;
        if (colon && (flags & HTTP_HOSTPORT_BARE_IPV6) &&
            memchr(colon + 1, ':', (size_t)(end - colon - 1)))
            colon = NULL;
        *host = slice_from(p, colon ? (size_t)(colon - p) : n);
        if (strict)
            for (size_t i = 0; i < host->len; i++)
                if (!host_char(host->p[i]))
                    return bad(e, MP_ERR_SYNTAX, "invalid host", p, n);
    }
    if (host->len == 0)
        return bad(e, MP_ERR_NOTFOUND, "no host", p, n);
    if (colon == NULL)
        return 0;
    const char *d = colon + 1;
    if (d == end && (flags & HTTP_HOSTPORT_EMPTY_PORT))
        return 0;
    if (d == end)
        return bad(e, MP_ERR_INVAL, "empty port", p, n);
    long v = 0;
    for (; d < end; d++) {
        if (*d < '0' || *d > '9')
            return bad(e, MP_ERR_INVAL, "invalid port", p, n);
        v = v * 10 + (*d - '0');
        if (v > 65535)
            return bad(e, MP_ERR_INVAL, "port out of range", p, n);
    }
    if (strict && v == 0)
        return bad(e, MP_ERR_INVAL, "port out of range", p, n);
    *port = (int)v;
    return 0;
}

void
http_hostport_write(struct buf *out, const char *scheme, const char *host, int port,
                    int always_port)
{
    if (strchr(host, ':')) {
        buf_append(out, "[", 1);
        buf_append_str(out, host);
        buf_append(out, "]", 1);
    } else {
        buf_append_str(out, host);
    }
    if (always_port || port != http_default_port(scheme)) {
        char num[NUM_DEC_LEN + 1] = ":";
        size_t n = num_format_i(num + 1, port);
        buf_append(out, num, n + 1);
    }
}
