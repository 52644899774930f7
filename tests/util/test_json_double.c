/*
 * json_double's quick path for 1 <= |v| < 1e15 (timestamps) must write the
 * text the digit search writes: here that search is kept as it was before
 * the quick path (reference()), and both are asked the same values.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "util/json.h"

/* The writer before the quick path: the shortest digits that read back,
 * from 15 up, in Python's repr layout. */
static void
reference(double v, char *out, size_t cap)
{
    if (isnan(v) || isinf(v)) {
        snprintf(out, cap, "%s", isnan(v) ? "NaN" : v < 0 ? "-Infinity" : "Infinity");
        return;
    }
    char sci[40];
    for (int prec = fabs(v) >= DBL_MIN ? DBL_DIG - 1 : 0; prec < 17; prec++) {
        snprintf(sci, sizeof(sci), "%.*e", prec, v);
        if (strtod(sci, NULL) == v)
            break;
    }
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
    size_t n = 0;
    if (neg)
        out[n++] = '-';
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            n += (size_t)snprintf(out + n, cap - n, "0.");
            for (int k = 0; k < -exp - 1; k++)
                out[n++] = '0';
            memcpy(out + n, digits, nd);
            n += nd;
        } else if ((size_t)exp + 1 >= nd) {
            memcpy(out + n, digits, nd);
            n += nd;
            for (size_t k = nd; k < (size_t)exp + 1; k++)
                out[n++] = '0';
            out[n++] = '.';
            out[n++] = '0';
        } else {
            memcpy(out + n, digits, (size_t)exp + 1);
            n += (size_t)exp + 1;
            out[n++] = '.';
            memcpy(out + n, digits + exp + 1, nd - (size_t)exp - 1);
            n += nd - (size_t)exp - 1;
        }
        out[n] = '\0';
        return;
    }
    memcpy(out + n, digits, 1);
    n++;
    if (nd > 1) {
        out[n++] = '.';
        memcpy(out + n, digits + 1, nd - 1);
        n += nd - 1;
    }
    snprintf(out + n, cap - n, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

static int
same(const char *file, int line, double v)
{
    char want[64];
    reference(v, want, sizeof(want));
    struct buf b = BUF_INIT;
    struct json w;
    json_init(&w, &b, 0);
    json_double(&w, v);
    json_clear(&w);
    int ok = test_memeq(buf_ptr(&b), b.len, want, strlen(want));
    if (!ok)
        test_fail_mem(file, line, "json_double", buf_ptr(&b), b.len, want, strlen(want));
    buf_clear(&b);
    return ok;
}
#define SAME(v) same(__FILE__, __LINE__, v)

static uint64_t
next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

TEST(json_double_quick_edges)
{
    static const double v[] = {
        1.0, -1.0, 1.5, 9.999999999999998, 10.0, 99.99999999999999, 0.5, 0.9999999999999999,
        123456789012345.6, 999999999999999.9, 1e15, 1e15 - 0.125, 1e14 + 0.5, 4503599627370495.5,
        4503599627370496.0, 9007199254740993.0, 1733500000.123456, 1733500000.1234567,
        1733500000.0, 1733500000.5, 1.7e9 + 1.0 / 3, 1.0 / 3, 2.0 / 3 + 1, 0.1 + 0.2 + 1,
        1e-5, 0.0, -0.0, 5e-324, DBL_MAX, DBL_MIN, 1e16, 1e17 + 8, 123.0, 1.25, 1.005, 2.675,
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        SAME(v[i]);
    /* Neighbours of the values above, one ulp each way. */
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        SAME(nextafter(v[i], INFINITY));
        SAME(nextafter(v[i], -INFINITY));
    }
}

TEST(json_double_quick_random)
{
    uint64_t x = 0x2545f4914f6cdd1du;
    for (int i = 0; i < 400000; i++) {
        uint64_t r = next_random(&x);
        double v;
        switch (i % 6) {
        case 0: /* a timestamp with microseconds */
            v = 1.6e9 + (double)(r % 400000000000000u) / 1e6;
            break;
        case 1: /* a timestamp as time.time() gives it: any double near now */
            v = nextafter(1.7e9, 0) + ldexp((double)(r >> 11), -22);
            break;
        case 2: /* a short decimal */
            v = (double)(r % 100000000) / pow(10, (double)((r >> 40) % 9));
            break;
        case 3: /* any double from 1 to 1e16 */
            v = pow(10, (double)(r >> 11) / 9007199254740992.0 * 16);
            break;
        case 4: /* any bit pattern */
            memcpy(&v, &r, sizeof(v));
            if (isnan(v) || isinf(v))
                continue;
            break;
        default: /* negative */
            v = -(1 + (double)(r % 1000000000000u) / 1e3);
            break;
        }
        if (!SAME(v))
            return;
    }
}
