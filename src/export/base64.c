/* Base64 for HAR bodies, and the test that decides when a body is one. */
#include <string.h>

#include "export/internal.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
exp__b64_encode(struct buf *out, const void *p, size_t n)
{
    const uint8_t *s = p;
    buf_reserve(out, (n + 2) / 3 * 4);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char q[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63],
                     i + 1 < n ? alphabet[(v >> 6) & 63] : '=', i + 2 < n ? alphabet[v & 63] : '='};
        buf_append(out, q, 4);
    }
}

static int
b64_value(char c)
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
 * binascii.a2b_base64 without strict mode: other characters are skipped,
 * bytes come out as each character completes them, pads that complete a
 * group of two or three end the data, and a group left open is an error.
 */
int
exp__b64_decode(struct buf *out, const char *p, size_t n)
{
    size_t start = out->len;
    unsigned left = 0;
    int quad = 0, pads = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '=') {
            if (quad >= 2 && quad + ++pads >= 4)
                return 0;
            continue;
        }
        int v = b64_value(p[i]);
        if (v < 0)
            continue;
        pads = 0;
        uint8_t b;
        switch (quad) {
        case 0:
            left = (unsigned)v;
            quad = 1;
            continue;
        case 1:
            b = (uint8_t)((left << 2) | ((unsigned)v >> 4));
            left = (unsigned)v & 0x0f;
            quad = 2;
            break;
        case 2:
            b = (uint8_t)((left << 4) | ((unsigned)v >> 2));
            left = (unsigned)v & 0x03;
            quad = 3;
            break;
        default:
            b = (uint8_t)((left << 6) | (unsigned)v);
            quad = 0;
            break;
        }
        buf_append(out, &b, 1);
    }
    if (quad != 0) {
        out->len = start;
        return MP_ERR_SYNTAX;
    }
    return 0;
}

int
exp__is_mostly_bin(const uint8_t *s, size_t n)
{
    if (n == 0)
        return 0;
    /* About 100 bytes, not cutting a UTF-8 sequence in half. */
    if (n > 100) {
        size_t cut = 100;
        for (; cut < 104 && cut < n; cut++)
            if ((s[cut] >> 6) != 2)
                break;
        n = cut < 104 && cut < n ? cut : 100;
    }
    size_t low = 0, high = 0;
    for (size_t i = 0; i < n; i++) {
        low += s[i] < 9 || (s[i] > 13 && s[i] < 32);
        high += s[i] > 126;
    }
    size_t ascii = n - low - high;
    if ((double)ascii / (double)n > 0.7)
        return 0;
    if ((double)(ascii + high) / (double)n > 0.95 && exp__is_utf8(s, n))
        return 0;
    return 1;
}
