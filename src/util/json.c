/* JSON writer. See json.h. */
#include <assert.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/xmalloc.h"

/* For each ASCII byte: 0 if it goes out as it is, else the letter of its
 * short escape, or 'u' for \u00XX. */
static const char escapes[128] = {
    ['\b'] = 'b',  ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r', ['"'] = '"',
    ['\\'] = '\\', [0] = 'u',    [1] = 'u',    [2] = 'u',    [3] = 'u',    [4] = 'u',
    [5] = 'u',     [6] = 'u',    [7] = 'u',    [11] = 'u',   [14] = 'u',   [15] = 'u',
    [16] = 'u',    [17] = 'u',   [18] = 'u',   [19] = 'u',   [20] = 'u',   [21] = 'u',
    [22] = 'u',    [23] = 'u',   [24] = 'u',   [25] = 'u',   [26] = 'u',   [27] = 'u',
    [28] = 'u',    [29] = 'u',   [30] = 'u',   [31] = 'u',   [127] = 'u',
};

static void
put_u(struct buf *out, unsigned cp)
{
    static const char hex[] = "0123456789abcdef";
    char x[6] = {'\\',        'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
                 hex[cp & 15]};
    buf_append(out, x, 6);
}

static void
put_cp(struct buf *out, unsigned cp)
{
    if (cp >= 0x10000) {
        cp -= 0x10000;
        put_u(out, 0xd800 + (cp >> 10));
        put_u(out, 0xdc00 + (cp & 0x3ff));
    } else {
        put_u(out, cp);
    }
}

/*
 * The length of the valid UTF-8 sequence at p[0..n) and its code point, or
 * 0 if p[0] does not start one (Python's decoder: no overlong forms, no
 * surrogates, nothing past U+10FFFF).
 */
static size_t
utf8_seq(const uint8_t *p, size_t n, unsigned *cp)
{
    uint8_t c = p[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    unsigned v = c & (0xff >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if (i > 1 && (p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3fu);
    }
    *cp = v;
    return len;
}

void
json_quote(struct buf *out, const void *data, size_t n, enum json_text text)
{
    const uint8_t *p = data;
    buf_reserve(out, n + 2);
    buf_append(out, "\"", 1);
    size_t i = 0;
    while (i < n) {
        /* Runs of plain ASCII go out in one piece. */
        size_t j = i;
        while (j < n && p[j] < 0x80 && escapes[p[j]] == 0)
            j++;
        buf_append(out, p + i, j - i);
        if (j == n)
            break;
        i = j;
        uint8_t c = p[i];
        if (c < 0x80) {
            char e = escapes[c];
            if (e == 'u') {
                put_u(out, c);
            } else {
                char x[2] = {'\\', e};
                buf_append(out, x, 2);
            }
            i++;
            continue;
        }
        unsigned cp;
        size_t len = text == JSON_UTF8 ? utf8_seq(p + i, n - i, &cp) : 0;
        if (len) {
            put_cp(out, cp);
            i += len;
        } else {
            /* Latin-1, or a byte surrogateescape keeps: U+DC80 + (c - 0x80). */
            put_u(out, text == JSON_UTF8 ? 0xdc00u + c : c);
            i++;
        }
    }
    buf_append(out, "\"", 1);
}

#define L_OBJECT 1 /* the level is an object (else an array) */
#define L_ITEMS 2  /* the level holds something already */

void
json_init(struct json *w, struct buf *out, unsigned flags)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->flags = flags;
}

void
json_clear(struct json *w)
{
    free(w->deep_levels);
    w->deep_levels = NULL;
    w->deep_cap = 0;
}

static uint8_t *
level(struct json *w, size_t i)
{
    return i < JSON_INLINE_DEPTH ? &w->inline_levels[i] : &w->deep_levels[i - JSON_INLINE_DEPTH];
}

/* The separator before a member or element of the innermost level. */
static void
separate(struct json *w)
{
    uint8_t *l = level(w, w->depth - 1);
    if (*l & L_ITEMS)
        buf_append_str(w->out, w->flags & JSON_COMPACT ? "," : ", ");
    *l |= L_ITEMS;
}

/* Everything that goes before a value. */
static void
before_value(struct json *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth == 0)
        return;
    assert(!(*level(w, w->depth - 1) & L_OBJECT)); /* a member needs json_key() first */
    separate(w);
}

static void
open_level(struct json *w, int object)
{
    before_value(w);
    if (w->depth >= JSON_INLINE_DEPTH && w->depth - JSON_INLINE_DEPTH >= w->deep_cap) {
        w->deep_cap = w->deep_cap ? w->deep_cap * 2 : JSON_INLINE_DEPTH;
        w->deep_levels = xrealloc(w->deep_levels, w->deep_cap);
    }
    *level(w, w->depth++) = object ? L_OBJECT : 0;
    buf_append(w->out, object ? "{" : "[", 1);
}

static void
close_level(struct json *w, int object)
{
    assert(w->depth > 0 && !w->after_key);
    assert(!(*level(w, w->depth - 1) & L_OBJECT) == !object);
    w->depth--;
    buf_append(w->out, object ? "}" : "]", 1);
}

void
json_object_begin(struct json *w)
{
    open_level(w, 1);
}

void
json_object_end(struct json *w)
{
    close_level(w, 1);
}

void
json_array_begin(struct json *w)
{
    open_level(w, 0);
}

void
json_array_end(struct json *w)
{
    close_level(w, 0);
}

void
json_key(struct json *w, const char *key)
{
    assert(w->depth > 0 && (*level(w, w->depth - 1) & L_OBJECT) && !w->after_key);
    separate(w);
    json_quote(w->out, key, strlen(key), JSON_UTF8);
    buf_append_str(w->out, w->flags & JSON_COMPACT ? ":" : ": ");
    w->after_key = 1;
}

void
json_bytes(struct json *w, const void *p, size_t n, enum json_text text)
{
    before_value(w);
    if (p == NULL)
        buf_append_str(w->out, "null");
    else
        json_quote(w->out, p, n, text);
}

void
json_string(struct json *w, const char *s)
{
    json_bytes(w, s, s ? strlen(s) : 0, JSON_UTF8);
}

void
json_int(struct json *w, int64_t v)
{
    before_value(w);
    buf_printf(w->out, "%" PRId64, v);
}

void
json_uint(struct json *w, uint64_t v)
{
    before_value(w);
    buf_printf(w->out, "%" PRIu64, v);
}

/*
 * put_double for 1 <= |v| < 1e15, the timestamps flows are full of, without
 * printf's %e and strtod: the fewest decimals k whose correctly rounded
 * n = |v| * 10^k reads back as v. fma() gives |v| * 10^k exactly as p + e,
 * so n and how far it is from the exact product are known; n / 10^k reads
 * back as v when it is nearer v than half the gap to v's neighbour on its
 * side. Ties, and distances too close to that half to call in doubles, are
 * left to the search below. The text is the search's: the fewest digits
 * from 15 up are these digits (a decimal of at most 15 digits reads back as
 * itself), and past 15 both try the same digits in the same order.
 * Returns 0 when it wrote nothing.
 */
static int
put_double_fixed(struct buf *out, double v)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
                                 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};
    double a = fabs(v);
    if (!(a >= 1 && a < 1e15))
        return 0;
    /* Half the gaps to a's neighbours: a decimal nearer than that reads
     * back as a (the one below is half as wide at a power of two). */
    double up = (nextafter(a, INFINITY) - a) / 2, down = (a - nextafter(a, 0)) / 2;
    for (int k = 0; k < 18; k++) {
        /* a * 10^k exactly, as p + e (fma), with p below 2^63. */
        double p = a * p10[k];
        if (p >= 9.2e18)
            return 0;
        double e = fma(a, p10[k], -p);
        double pi = nearbyint(p);
        double f = (p - pi) + e;
        double fi = nearbyint(f);
        double rem = f - fi; /* p + e - n, n the nearest integer */
        if (fabs(fabs(rem) - 0.5) < 1e-6)
            return 0; /* a tie or nearly: the search decides */
        /* n reads back when |n - (p + e)| / 10^k is below half the gap on
         * its side of a; too close to call is left to the search. */
        double half = (rem > 0 ? down : up) * p10[k];
        double r = fabs(rem);
        if (r > half * (1 + 1e-9))
            continue;
        if (r >= half * (1 - 1e-9))
            return 0;
        uint64_t u = (uint64_t)pi + (uint64_t)(int64_t)fi, scale = (uint64_t)p10[k];
        char text[48];
        int len = snprintf(text, sizeof(text), "%s%" PRIu64 ".", v < 0 ? "-" : "", u / scale);
        uint64_t frac = u % scale;
        if (k == 0 || frac == 0) {
            text[len++] = '0';
        } else {
            for (int i = k - 1; i >= 0; i--) {
                text[len + i] = (char)('0' + frac % 10);
                frac /= 10;
            }
            len += k;
            while (text[len - 1] == '0')
                len--;
        }
        buf_append(out, text, (size_t)len);
        return 1;
    }
    return 0;
}

/*
 * Python's float repr: the shortest digits that read back as v, in fixed
 * notation for exponents from -4 to 15 and scientific otherwise, always
 * with a "." or an exponent so the value reads back as a float.
 */
static void
put_double(struct buf *out, double v)
{
    if (put_double_fixed(out, v))
        return;
    if (isnan(v)) {
        buf_append_str(out, "NaN");
        return;
    }
    if (isinf(v)) {
        buf_append_str(out, v < 0 ? "-Infinity" : "Infinity");
        return;
    }
    /* A decimal of at most DBL_DIG (15) digits reads back as itself
     * (C17 5.2.4.2.2), so when v's 15-digit form reads back as v, its
     * shortest form is that one without its trailing zeros, and the search
     * starts there: a timestamp needs 2 tries instead of 16. Below DBL_MIN
     * fewer digits are exact, and the search starts at one digit. */
    char sci[40];
    for (int prec = fabs(v) >= DBL_MIN ? DBL_DIG - 1 : 0; prec < 17; prec++) {
        snprintf(sci, sizeof(sci), "%.*e", prec, v);
        if (strtod(sci, NULL) == v)
            break;
    }
    /* sci is [-]d[.ddd]e[+-]XX: take the digits and the exponent apart. */
    const char *s = sci;
    int neg = *s == '-';
    s += neg;
    char digits[24];
    size_t nd = 0;
    for (; *s != 'e'; s++)
        if (*s != '.')
            digits[nd++] = *s;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    int exp = atoi(s + 1);
    if (neg)
        buf_append(out, "-", 1);
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            buf_append_str(out, "0.");
            for (int k = 0; k < -exp - 1; k++)
                buf_append(out, "0", 1);
            buf_append(out, digits, nd);
        } else if ((size_t)exp + 1 >= nd) {
            buf_append(out, digits, nd);
            for (size_t k = nd; k < (size_t)exp + 1; k++)
                buf_append(out, "0", 1);
            buf_append_str(out, ".0");
        } else {
            buf_append(out, digits, (size_t)exp + 1);
            buf_append(out, ".", 1);
            buf_append(out, digits + exp + 1, nd - (size_t)exp - 1);
        }
        return;
    }
    buf_append(out, digits, 1);
    if (nd > 1) {
        buf_append(out, ".", 1);
        buf_append(out, digits + 1, nd - 1);
    }
    buf_printf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

void
json_double(struct json *w, double v)
{
    before_value(w);
    put_double(w->out, v);
}

void
json_bool(struct json *w, int v)
{
    before_value(w);
    buf_append_str(w->out, v ? "true" : "false");
}

void
json_null(struct json *w)
{
    before_value(w);
    buf_append_str(w->out, "null");
}

void
json_raw(struct json *w, const char *text)
{
    before_value(w);
    buf_append_str(w->out, text);
}
