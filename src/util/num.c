#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/num.h"

int
num_parse(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (n > 0 && s[0] == '-' && min < 0) {
        neg = 1;
        i = 1;
    }
    if (i == n)
        return MP_ERR_SYNTAX;
    /* Accumulate as a negative number: it has room for INT64_MIN. */
    int64_t v = 0;
    int over = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MP_ERR_SYNTAX;
        int d = s[i] - '0';
        if (v < (INT64_MIN + d) / 10)
            over = 1;
        else
            v = v * 10 - d;
    }
    if (over)
        return MP_ERR_LIMIT;
    if (!neg) {
        if (v == INT64_MIN)
            return MP_ERR_LIMIT;
        v = -v;
    }
    if (v < min || v > max)
        return MP_ERR_LIMIT;
    *out = v;
    return 0;
}

int
num_parse_cstr(const char *s, int64_t min, int64_t max, int64_t *out)
{
    return num_parse(s, strlen(s), min, max, out);
}

size_t
num_format_u(char *out, uint64_t v)
{
    char rev[NUM_DEC_LEN];
    size_t n = 0;
    do
        rev[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    for (size_t i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    out[n] = '\0';
    return n;
}

size_t
num_format_i(char *out, int64_t v)
{
    if (v >= 0)
        return num_format_u(out, (uint64_t)v);
    out[0] = '-';
    return 1 + num_format_u(out + 1, 0 - (uint64_t)v);
}

void
num_pretty_size(char out[NUM_SIZE_LEN], uint64_t n)
{
    static const char suffix[] = "kmgt";
    if (n < 1024) {
        size_t len = num_format_u(out, n);
        out[len] = 'b';
        out[len + 1] = '\0';
        return;
    }
    double s = (double)n;
    for (int i = 0; i < 4; i++) {
        s /= 1024;
        if (s < 99.95) {
            snprintf(out, NUM_SIZE_LEN, "%.1f%c", s, suffix[i]);
            return;
        }
        if (s < 1024 || i == 3) {
            snprintf(out, NUM_SIZE_LEN, "%.0f%c", s, suffix[i]);
            return;
        }
    }
}
