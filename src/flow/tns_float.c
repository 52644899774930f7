/*
 * tns_format_float(): a double as Python's repr() writes it, which is what
 * mitmproxy puts in flow files ("1670000000.123456", "5.0", "1e-05").
 *
 * repr() gives the shortest decimal that reads back as the same double and,
 * of several that short, the one nearest to it (David Gay's dtoa, mode 0).
 * This is the free-format algorithm of Steele & White as Burger & Dybvig
 * state it ("Printing Floating-Point Numbers Quickly and Accurately", 1996),
 * in exact integer arithmetic: with v = f * 2^e, the interval of decimals
 * that read back as v is [v - m-, v + m+] (the halfway points to the
 * neighbouring doubles; both ends included when f is even, as round-half-even
 * reading includes them). r/s is v scaled to 0.1 <= r/s < 1 by a power of
 * ten; each step takes a digit of 10r/s and stops as soon as the digits so
 * far, or they with the last one raised, fall inside the interval.
 *
 * The numbers are exact big integers (up to about 1130 bits for the
 * smallest subnormals) of 32-bit limbs, but the digit loop runs on native
 * integers where they suffice: 64 bits from about 1e-2 to 1e17, 128 bits
 * from about 1e-10 to 1e25. From 1 to 2^53 (timestamps near 1.7e9 among
 * them) the setup needs neither big integers nor a logarithm either. About
 * 1,000 instructions a timestamp, where trying every precision with
 * snprintf() and strtod() took about 60,000 and two thirds of writing a
 * flow file.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "flow/tnetstring.h"

/* The largest number is r for the smallest subnormal: about 2^55 * 10^324 * 10 < 2^1132. */
#define BIG_LIMBS 40

/* A non-negative integer: d[0] is the least significant limb, n limbs used. */
struct big {
    uint32_t d[BIG_LIMBS];
    int n;
};

static void
big_set(struct big *a, uint64_t v)
{
    a->n = 0;
    while (v) {
        a->d[a->n++] = (uint32_t)v;
        v >>= 32;
    }
}

static void
big_mul_small(struct big *a, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->d[i] * m + carry;
        a->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry)
        a->d[a->n++] = (uint32_t)carry;
}

static void
big_mul_pow10(struct big *a, int k)
{
    for (; k >= 9; k -= 9)
        big_mul_small(a, 1000000000u);
    static const uint32_t small[9] = {1,      10,      100,      1000,     10000,
                                      100000, 1000000, 10000000, 100000000};
    if (k > 0)
        big_mul_small(a, small[k]);
}

static void
big_shl(struct big *a, int bits)
{
    if (a->n == 0)
        return;
    int limbs = bits / 32, b = bits % 32;
    if (b) {
        uint32_t carry = 0;
        for (int i = 0; i < a->n; i++) {
            uint32_t t = a->d[i];
            a->d[i] = t << b | carry;
            carry = t >> (32 - b);
        }
        if (carry)
            a->d[a->n++] = carry;
    }
    if (limbs) {
        memmove(a->d + limbs, a->d, (size_t)a->n * sizeof(a->d[0]));
        memset(a->d, 0, (size_t)limbs * sizeof(a->d[0]));
        a->n += limbs;
    }
}

/* 2^p */
static void
big_pow2(struct big *a, int p)
{
    big_set(a, 1);
    big_shl(a, p);
}

static int
big_cmp(const struct big *a, const struct big *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (int i = a->n - 1; i >= 0; i--)
        if (a->d[i] != b->d[i])
            return a->d[i] < b->d[i] ? -1 : 1;
    return 0;
}

static void
big_add(struct big *sum, const struct big *a, const struct big *b)
{
    const struct big *lo = a->n < b->n ? a : b, *hi = a->n < b->n ? b : a;
    uint64_t carry = 0;
    int i = 0;
    for (; i < lo->n; i++) {
        uint64_t t = (uint64_t)a->d[i] + b->d[i] + carry;
        sum->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    for (; i < hi->n; i++) {
        uint64_t t = (uint64_t)hi->d[i] + carry;
        sum->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    sum->n = hi->n;
    if (carry)
        sum->d[sum->n++] = (uint32_t)carry;
}

/* a -= b, where a >= b. */
static void
big_sub(struct big *a, const struct big *b)
{
    int64_t borrow = 0;
    for (int i = 0; i < a->n; i++) {
        int64_t t = (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;
        borrow = t < 0;
        a->d[i] = (uint32_t)t; /* modulo 2^32 */
    }
    while (a->n > 0 && a->d[a->n - 1] == 0)
        a->n--;
}

/* Compares a + b with c. */
static int
big_cmp_sum(const struct big *a, const struct big *b, const struct big *c)
{
    struct big t;
    big_add(&t, a, b);
    return big_cmp(&t, c);
}

/* r = r mod s, returning r / s, which the caller knows is below 10. */
static int
big_divmod(struct big *r, const struct big *s)
{
    int q = 0;
    while (big_cmp(r, s) >= 0) {
        big_sub(r, s);
        q++;
    }
    return q;
}

/*
 * One digit step: decides between d and d + 1 once the digits so far (low)
 * or they with the digit raised (high) are inside the interval. Returns the
 * digit and sets *stop; cl is r vs m-, ch is r + m+ vs s, half 2r vs s.
 */
static int
decide(int d, int cl, int ch, int half, int even, int *stop)
{
    int low = even ? cl <= 0 : cl < 0;
    int high = even ? ch >= 0 : ch > 0;
    *stop = low || high;
    if (low && high) {
        /* Both are: the nearer one; exactly halfway, the even digit (as dtoa). */
        return half > 0 || (half == 0 && d % 2 == 1) ? d + 1 : d;
    }
    return high ? d + 1 : d;
}

static int
cmp128(unsigned __int128 a, unsigned __int128 b)
{
    return a < b ? -1 : a > b;
}

/* The digit loop in 128-bit integers: s < 2^96, so 10r and r + m+ fit. */
static int
digits_small(struct big *br, struct big *bs, struct big *bmp, struct big *bmm, int even,
             char *digits)
{
    unsigned __int128 v[4] = {0, 0, 0, 0};
    const struct big *in[4] = {br, bs, bmp, bmm};
    for (int j = 0; j < 4; j++)
        for (int i = in[j]->n - 1; i >= 0; i--)
            v[j] = v[j] << 32 | in[j]->d[i];
    unsigned __int128 r = v[0], s = v[1], mp = v[2], mm = v[3];
    int n = 0, stop = 0;
    while (!stop && n < 17) {
        r *= 10;
        mp *= 10;
        mm *= 10;
        int d = 0;
        while (r >= s) {
            r -= s;
            d++;
        }
        d = decide(d, cmp128(r, mm), cmp128(r + mp, s), cmp128(2 * r, s), even, &stop);
        digits[n++] = (char)('0' + d);
    }
    return n;
}

/*
 * The same in 64-bit integers when s < 2^60, which holds from about 1e-2 to
 * 1e17 (every timestamp): a division instead of subtracting up to nine
 * times, whose unpredictable branch cost more than the division.
 */
static int
digits_u64(uint64_t r, uint64_t s, uint64_t mp, uint64_t mm, int even, char *digits)
{
    int n = 0, stop = 0;
    while (!stop && n < 17) {
        r *= 10;
        mp *= 10;
        mm *= 10;
        int d = (int)(r / s);
        r %= s;
        int cl = r < mm ? -1 : r > mm;
        int ch = r + mp < s ? -1 : r + mp > s;
        int half = 2 * r < s ? -1 : 2 * r > s;
        d = decide(d, cl, ch, half, even, &stop);
        digits[n++] = (char)('0' + d);
    }
    return n;
}

static uint64_t
big_u64(const struct big *a)
{
    uint64_t v = 0;
    for (int i = a->n - 1; i >= 0; i--)
        v = v << 32 | a->d[i];
    return v;
}

/*
 * The setup for 1 <= v < 2^53 (e in -52..-1), every timestamp among them,
 * without big integers: s = 2^(1 - e) * 10^k stays below 2^58 there, and k
 * is the number of digits of v's integer part (one more at most after the
 * fix-up), so no logarithm either. Returns the number of digits.
 */
static int
shortest_u64(uint64_t f, int e, int even, int lower_closer, char *digits, int *k_out)
{
    int k = 1;
    uint64_t pow10 = 10;
    for (uint64_t ip = f >> -e; ip >= 10; ip /= 10) {
        k++;
        pow10 *= 10;
    }
    uint64_t r = f << (1 + lower_closer);
    uint64_t s = ((uint64_t)1 << (1 - e + lower_closer)) * pow10;
    uint64_t mp = (uint64_t)1 << lower_closer, mm = 1;
    if (even ? r + mp >= s : r + mp > s) {
        k++;
        s *= 10;
    }
    *k_out = k;
    return digits_u64(r, s, mp, mm, even, digits);
}

/* The same with big integers, for the far ends of the range. */
static int
digits_big(struct big *r, struct big *s, struct big *mp, struct big *mm, int even, char *digits)
{
    int n = 0, stop = 0;
    while (!stop && n < 17) {
        big_mul_small(r, 10);
        big_mul_small(mp, 10);
        big_mul_small(mm, 10);
        int d = big_divmod(r, s);
        struct big twice = *r;
        big_mul_small(&twice, 2);
        d = decide(d, big_cmp(r, mm), big_cmp_sum(r, mp, s), big_cmp(&twice, s), even, &stop);
        digits[n++] = (char)('0' + d);
    }
    return n;
}

/* Carries a raised 9 and drops trailing zeros; returns the number of digits left. */
static int
trim(char *digits, int n, int k, int *k_out)
{
    /* A raised 9 carries (it cannot with k exact, but a wrong digit is worse). */
    while (n > 1 && digits[n - 1] > '9') {
        n--;
        digits[n - 1]++;
    }
    if (digits[0] > '9') {
        digits[0] = '1';
        n = 1;
        k++;
    }
    while (n > 1 && digits[n - 1] == '0')
        n--;
    *k_out = k;
    return n;
}

/*
 * The shortest digits of v > 0 (finite) into digits[], with v = 0.d1d2... *
 * 10^k; returns how many (at most 17).
 */
static int
shortest(double v, char digits[24], int *k_out)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    uint64_t frac = bits & (((uint64_t)1 << 52) - 1);
    int bexp = (int)(bits >> 52 & 0x7ff);
    uint64_t f = bexp ? frac | (uint64_t)1 << 52 : frac;
    int e = bexp ? bexp - 1075 : -1074;
    int even = (f & 1) == 0;
    /* At a power of two the double below is half as far as the one above. */
    int lower_closer = frac == 0 && bexp > 1;
    int n, k;
    if (e < 0 && e >= -52 && bexp) {
        n = shortest_u64(f, e, even, lower_closer, digits, &k);
        return trim(digits, n, k, k_out);
    }

    /* r/s = v and m+/s, m-/s the half-gaps, all doubled to stay integers. */
    struct big r, s, mp, mm;
    big_set(&r, f);
    if (e >= 0) {
        big_shl(&r, e + 1 + lower_closer);
        big_set(&s, 2u << lower_closer);
        big_pow2(&mp, e + lower_closer);
        big_pow2(&mm, e);
    } else {
        big_shl(&r, 1 + lower_closer);
        big_pow2(&s, 1 - e + lower_closer);
        big_set(&mp, 1u << lower_closer);
        big_set(&mm, 1);
    }

    /* k = ceil(log10(high end)): estimated low by at most one, then fixed. */
    k = (int)ceil(log10(v) - 1e-10);
    if (k >= 0) {
        big_mul_pow10(&s, k);
    } else {
        big_mul_pow10(&r, -k);
        big_mul_pow10(&mp, -k);
        big_mul_pow10(&mm, -k);
    }
    int c = big_cmp_sum(&r, &mp, &s);
    if (even ? c >= 0 : c > 0) {
        k++;
        big_mul_small(&s, 10);
    }

    if (s.n <= 1 || (s.n == 2 && s.d[1] < (1u << 28)))
        n = digits_u64(big_u64(&r), big_u64(&s), big_u64(&mp), big_u64(&mm), even, digits);
    else if (s.n <= 3)
        n = digits_small(&r, &s, &mp, &mm, even, digits);
    else
        n = digits_big(&r, &s, &mp, &mm, even, digits);
    return trim(digits, n, k, k_out);
}

static char *
put_exponent(char *o, int exp)
{
    /* At least two digits, as Python: 1e-05, 1e+16, 1e+308. */
    int ax = exp < 0 ? -exp : exp;
    *o++ = 'e';
    *o++ = exp < 0 ? '-' : '+';
    if (ax >= 100)
        *o++ = (char)('0' + ax / 100);
    *o++ = (char)('0' + ax / 10 % 10);
    *o++ = (char)('0' + ax % 10);
    return o;
}

void
tns_format_float(double v, char out[32])
{
    if (isnan(v)) {
        strcpy(out, "nan");
        return;
    }
    if (isinf(v)) {
        strcpy(out, v < 0 ? "-inf" : "inf");
        return;
    }
    char *o = out;
    if (signbit(v)) {
        *o++ = '-';
        v = -v;
    }
    if (v == 0) {
        strcpy(o, "0.0");
        return;
    }
    char digits[24];
    int k;
    int nd = shortest(v, digits, &k);
    int exp = k - 1; /* of d1.d2d3... */
    /* Python's repr: positional for exponents -4..15, else d.ddde+XX. */
    if (exp < -4 || exp >= 16) {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        o = put_exponent(o, exp);
    } else if (exp < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -exp - 1; i++)
            *o++ = '0';
        memcpy(o, digits, (size_t)nd);
        o += nd;
    } else {
        for (int i = 0; i <= exp; i++)
            *o++ = i < nd ? digits[i] : '0';
        *o++ = '.';
        if (nd > exp + 1) {
            memcpy(o, digits + exp + 1, (size_t)(nd - exp - 1));
            o += nd - exp - 1;
        } else {
            *o++ = '0';
        }
    }
    *o = '\0';
}
