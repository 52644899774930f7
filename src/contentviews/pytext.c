/*
 * The parts of Python's str that decide what 8.1.1's views print: the
 * UTF-8 decoder and its "replace" and "surrogateescape" handlers,
 * str.splitlines() (which breaks at eight more characters than "\n"),
 * str.strip() and len(), and strutils.bytes_to_escaped_str.
 */
#include "contentviews/internal.h"

size_t
cv__utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

size_t
cv__char_next(const uint8_t *p, size_t n, uint32_t *cp)
{
    size_t k = cv__utf8_next(p, n, cp);
    if (k)
        return k;
    /* An encoded surrogate is one of ours (a str's lone surrogate). */
    if (p[0] == 0xed && n >= 3 && p[1] >= 0xa0 && p[1] <= 0xbf && (p[2] & 0xc0) == 0x80) {
        *cp = 0xd000 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
        return 3;
    }
    *cp = 0xdc00 + p[0];
    return 1;
}

/*
 * Python's decoder reports the maximal prefix that could still have become
 * a valid sequence as one error (Unicode's "maximal subpart"), so "replace"
 * makes one U+FFFD of E2 82 before "A", but two of C0 80.
 */
size_t
cv__utf8_bad_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
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
        return 1;
    }
    size_t i = 1;
    if (i < n && i < len && p[i] >= lo && p[i] <= hi) {
        i++;
        while (i < n && i < len && (p[i] & 0xc0) == 0x80)
            i++;
    }
    return i;
}

int
cv__utf8_valid(const uint8_t *p, size_t n)
{
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = cv__utf8_next(p + i, n - i, &cp);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

void
cv__append_cp(struct buf *out, uint32_t cp)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xc0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xe0 | cp >> 12), b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        b[2] = (uint8_t)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        b[0] = (uint8_t)(0xf0 | cp >> 18), b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
        b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f)), b[3] = (uint8_t)(0x80 | (cp & 0x3f)), n = 4;
    }
    buf_append(out, b, n);
}

void
cv__utf8_replace(struct buf *out, const uint8_t *p, size_t n)
{
    uint32_t cp;
    size_t i = 0;
    buf_reserve(out, n);
    while (i < n) {
        size_t j = i;
        while (j < n && p[j] < 0x80)
            j++;
        buf_append(out, p + i, j - i);
        i = j;
        if (i == n)
            break;
        size_t k = cv__utf8_next(p + i, n - i, &cp);
        if (k) {
            buf_append(out, p + i, k);
            i += k;
        } else {
            buf_append_str(out, "\xef\xbf\xbd");
            i += cv__utf8_bad_len(p + i, n - i);
        }
    }
}

size_t
cv__pylen(const uint8_t *p, size_t n)
{
    size_t count = 0;
    uint32_t cp;
    for (size_t i = 0; i < n; count++)
        i += p[i] < 0x80 ? 1 : cv__char_next(p + i, n - i, &cp);
    return count;
}

int
cv__is_space(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20);
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

void
cv__strip(const uint8_t *p, size_t n, size_t *off, size_t *len)
{
    uint32_t cp;
    size_t a = 0;
    while (a < n) {
        size_t k = cv__char_next(p + a, n - a, &cp);
        if (!cv__is_space(cp))
            break;
        a += k;
    }
    size_t b = n;
    while (b > a) {
        /* Step back over one character: continuation bytes, then its lead. */
        size_t s = b - 1;
        while (s > a && (p[s] & 0xc0) == 0x80 && b - s < 4)
            s--;
        size_t k = cv__char_next(p + s, b - s, &cp);
        if (s + k != b) {
            /* Not one character (stray continuation bytes): not space. */
            break;
        }
        if (!cv__is_space(cp))
            break;
        b = s;
    }
    *off = a;
    *len = b - a;
}

/*
 * str.splitlines() breaks at \n, \r, \r\n, \v, \f, \x1c, \x1d, \x1e, and
 * U+0085, U+2028, U+2029.
 */
void
cv__escape_unrun(struct buf *out, size_t *run)
{
    /* 8.1.1 undoes the repr's \' (and \t, \n, \r) with a regex whose
     * replacement keeps only the last of the escaped backslashes before
     * it: "\\\\\\'" becomes "\\'". */
    if (*run >= 2)
        out->len -= 2 * (*run - 1);
    *run = 0;
}

size_t
cv__line_len(const uint8_t *p, size_t n, size_t *brk)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '\n' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e)) {
            *brk = 1;
            return i;
        }
        if (c == '\r') {
            *brk = i + 1 < n && p[i + 1] == '\n' ? 2 : 1;
            return i;
        }
        if (c == 0xc2 && i + 1 < n && p[i + 1] == 0x85) {
            *brk = 2;
            return i;
        }
        if (c == 0xe2 && i + 2 < n && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
            *brk = 3;
            return i;
        }
    }
    *brk = 0;
    return n;
}

void
cv__escape_bytes(struct buf *out, const uint8_t *p, size_t n, int keep_spacing, size_t *run)
{
    static const char hex[] = "0123456789abcdef";
    buf_reserve(out, n);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '\'' || (keep_spacing && (c == '\t' || c == '\n' || c == '\r')))
            cv__escape_unrun(out, run);
        *run = c == '\\' ? *run + 1 : 0;
        if (c == '\\') {
            buf_append(out, "\\\\", 2);
        } else if (c == '\t' || c == '\n' || c == '\r') {
            if (keep_spacing)
                buf_append(out, &c, 1);
            else
                buf_append(out, c == '\t' ? "\\t" : c == '\n' ? "\\n" : "\\r", 2);
        } else if (c >= 0x20 && c < 0x7f) {
            buf_append(out, &c, 1);
        } else {
            char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            buf_append(out, e, 4);
        }
    }
}
