/*
 * Python's repr() of str, bytes, float and big ints: the MsgPack, GraphQL,
 * gRPC and image views print values the way Python prints them, so
 * b'\x00', '\u2028', 1e+16 and 0.1 must come out exactly so.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/tables.h"
#include "util/xmalloc.h"

int
cv__is_printable(uint32_t cp)
{
    if (cp < 0x7f)
        return cp >= 0x20;
    size_t lo = 0, hi = cv__nonprintable_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < cv__nonprintable[mid].lo)
            hi = mid;
        else if (cp > cv__nonprintable[mid].hi)
            lo = mid + 1;
        else
            return 0;
    }
    return 1;
}

static const char hexd[] = "0123456789abcdef";

static void
put_hex(struct buf *out, const char *prefix, uint32_t v, int digits)
{
    buf_append_str(out, prefix);
    for (int i = digits - 1; i >= 0; i--)
        buf_append(out, &hexd[(v >> (4 * i)) & 15], 1);
}

/* Single quotes unless the text holds one and no double quote. */
static char
pick_quote(const uint8_t *p, size_t n)
{
    return memchr(p, '\'', n) && !memchr(p, '"', n) ? '"' : '\'';
}

void
cv__repr_str(struct buf *out, const uint8_t *p, size_t n)
{
    char q = pick_quote(p, n);
    buf_append(out, &q, 1);
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        size_t k = cv__char_next(p + i, n - i, &cp);
        if (cp == (uint32_t)q || cp == '\\') {
            char e[2] = {'\\', (char)cp};
            buf_append(out, e, 2);
        } else if (cp == '\t') {
            buf_append_str(out, "\\t");
        } else if (cp == '\n') {
            buf_append_str(out, "\\n");
        } else if (cp == '\r') {
            buf_append_str(out, "\\r");
        } else if (cv__is_printable(cp)) {
            buf_append(out, p + i, k);
        } else if (cp <= 0xff) {
            put_hex(out, "\\x", cp, 2);
        } else if (cp <= 0xffff) {
            put_hex(out, "\\u", cp, 4);
        } else {
            put_hex(out, "\\U", cp, 8);
        }
        i += k;
    }
    buf_append(out, &q, 1);
}

void
cv__repr_bytes(struct buf *out, const uint8_t *p, size_t n)
{
    char q = pick_quote(p, n);
    buf_append(out, "b", 1);
    buf_append(out, &q, 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == (uint8_t)q || c == '\\') {
            char e[2] = {'\\', (char)c};
            buf_append(out, e, 2);
        } else if (c == '\t') {
            buf_append_str(out, "\\t");
        } else if (c == '\n') {
            buf_append_str(out, "\\n");
        } else if (c == '\r') {
            buf_append_str(out, "\\r");
        } else if (c < 0x20 || c >= 0x7f) {
            put_hex(out, "\\x", c, 2);
        } else {
            buf_append(out, &c, 1);
        }
    }
    buf_append(out, &q, 1);
}

/*
 * float.__repr__'s layout of the shortest digits d[0..nd) (no trailing
 * zeros) with d[0] in the place 10**exp: fixed notation for -5 < exp < 16,
 * with ".0" if there is no fraction, d.ddde+XX otherwise.
 */
static void
layout(struct buf *out, int neg, const char *digits, size_t nd, int exp)
{
    if (neg)
        buf_append(out, "-", 1);
    if (exp < -4 || exp >= 16) {
        buf_append(out, digits, 1);
        if (nd > 1) {
            buf_append(out, ".", 1);
            buf_append(out, digits + 1, nd - 1);
        }
        buf_printf(out, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
        return;
    }
    int point = exp + 1; /* digits before the decimal point */
    if (point <= 0) {
        buf_append_str(out, "0.");
        for (int i = 0; i < -point; i++)
            buf_append(out, "0", 1);
        buf_append(out, digits, nd);
    } else if ((size_t)point < nd) {
        buf_append(out, digits, (size_t)point);
        buf_append(out, ".", 1);
        buf_append(out, digits + point, nd - (size_t)point);
    } else {
        buf_append(out, digits, nd);
        for (size_t i = nd; i < (size_t)point; i++)
            buf_append(out, "0", 1);
        buf_append_str(out, ".0");
    }
}

void
cv__repr_float(struct buf *out, double v)
{
    if (isnan(v)) {
        buf_append_str(out, "nan");
        return;
    }
    int neg = signbit(v) != 0;
    v = fabs(v);
    if (isinf(v)) {
        buf_append_str(out, neg ? "-inf" : "inf");
        return;
    }
    if (v == 0) {
        buf_append_str(out, neg ? "-0.0" : "0.0");
        return;
    }
    /* For a normal double, the correctly rounded 15-digit form that reads
     * back is the shortest once its trailing zeros go (a shorter form that
     * reads back is a prefix of it); one that needs more digits takes 16 or
     * 17. Subnormals have fewer significant bits: try every length. */
    char s[40];
    for (int prec = v < DBL_MIN ? 0 : 14; prec < 17; prec++) {
        snprintf(s, sizeof(s), "%.*e", prec, v);
        if (strtod(s, NULL) == v)
            break;
    }
    /* s is "d[.ddd]e[+-]XX": collect the digits and the exponent. */
    char digits[24];
    size_t nd = 0;
    char *e = strchr(s, 'e');
    for (char *c = s; c < e; c++)
        if (*c != '.')
            digits[nd++] = *c;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    layout(out, neg, digits, nd, atoi(e + 1));
}

int
cv__repr_float_text(struct buf *out, const char *p, size_t n)
{
    /* A decimal of at most 15 significant digits well inside the normal
     * range is what its nearest double's repr shows (no two such decimals
     * share a double): the digits can be taken as they are written. */
    size_t i = 0;
    int neg = i < n && p[i] == '-';
    i += (size_t)neg;
    size_t int_start = i;
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++;
    size_t int_len = i - int_start, frac_start = i, frac_len = 0;
    if (i < n && p[i] == '.') {
        frac_start = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
        frac_len = i - frac_start;
    }
    long x = 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        int xneg = i < n && p[i] == '-';
        if (i < n && (p[i] == '-' || p[i] == '+'))
            i++;
        for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            if ((x = x * 10 + (p[i] - '0')) > 100000)
                return -1;
        x = xneg ? -x : x;
    }
    if (i != n)
        return -1;
    /* The digits of integer and fraction, as one string. */
    size_t total = int_len + frac_len;
#define DIGIT(k) ((k) < int_len ? p[int_start + (k)] : p[frac_start + (k)-int_len])
    size_t z = 0;
    while (z < total && DIGIT(z) == '0')
        z++;
    if (z == total) {
        buf_append_str(out, neg ? "-0.0" : "0.0");
        return 0;
    }
    size_t last = total;
    while (DIGIT(last - 1) == '0')
        last--;
    if (last - z > 15)
        return -1;
    char digits[15];
    for (size_t k = z; k < last; k++)
        digits[k - z] = DIGIT(k);
#undef DIGIT
    long exp = (long)int_len - 1 - (long)z + x;
    if (exp < -307 || exp > 307)
        return -1;
    layout(out, neg, digits, last - z, (int)exp);
    return 0;
}

void
cv__decimal(struct buf *out, const uint32_t *limbs, size_t n)
{
    uint32_t *v = xmemdup(limbs, (n ? n : 1) * sizeof(*v));
    while (n > 0 && v[n - 1] == 0)
        n--;
    if (n == 0) {
        buf_append(out, "0", 1);
        free(v);
        return;
    }
    /* Groups of nine digits, least significant first. */
    struct buf groups = BUF_INIT;
    while (n > 0) {
        uint64_t rem = 0;
        for (size_t i = n; i-- > 0;) {
            uint64_t cur = rem << 32 | v[i];
            v[i] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        uint32_t g = (uint32_t)rem;
        buf_append(&groups, &g, sizeof(g));
        while (n > 0 && v[n - 1] == 0)
            n--;
    }
    const uint32_t *g = (const uint32_t *)buf_ptr(&groups);
    size_t ng = groups.len / sizeof(uint32_t);
    buf_printf(out, "%u", g[ng - 1]);
    for (size_t i = ng - 1; i-- > 0;)
        buf_printf(out, "%09u", g[i]);
    buf_clear(&groups);
    free(v);
}
