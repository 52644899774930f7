/* URL helpers. See url.h. */
#include "http/url.h"
#include "util/hex.h"

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
