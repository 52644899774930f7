/*
 * The JSON writer. Every expected text is what Python 3.11's json.dumps()
 * writes for the same value (bytes decoded with surrogateescape).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "util/json.h"

static void
quoted(const char *file, int line, const void *p, size_t n, enum json_text t, const char *want)
{
    struct buf b = BUF_INIT;
    json_quote(&b, p, n, t);
    if (!test_memeq(buf_ptr(&b), b.len, want, strlen(want)))
        test_fail_mem(file, line, "json_quote", buf_ptr(&b), b.len, want, strlen(want));
    buf_clear(&b);
}
#define QUOTED(s, t, want) quoted(__FILE__, __LINE__, s, sizeof(s) - 1, t, want)

TEST(json_string_escapes)
{
    QUOTED("plain text", JSON_UTF8, "\"plain text\"");
    QUOTED("", JSON_UTF8, "\"\"");
    QUOTED("a\"\\\n\r\t\b\f", JSON_UTF8, "\"a\\\"\\\\\\n\\r\\t\\b\\f\"");
    QUOTED("\x00\x01\x1f\x7f/", JSON_UTF8, "\"\\u0000\\u0001\\u001f\\u007f/\"");
}

TEST(json_string_utf8)
{
    /* é, €, and 😀 as a surrogate pair. */
    QUOTED(" \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", JSON_UTF8, "\" \\u00e9\\u20ac\\ud83d\\ude00\"");
    /* Not UTF-8: a stray byte, a bad continuation, a truncated sequence, an
     * overlong form, a surrogate and a code point past U+10FFFF each come
     * out byte by byte as surrogateescape keeps them. */
    QUOTED("\xff\xc3(\xe2\x82\xc0\x80\xed\xa0\x80\xf4\x90\x80\x80ok", JSON_UTF8,
           "\"\\udcff\\udcc3(\\udce2\\udc82\\udcc0\\udc80\\udced\\udca0\\udc80\\udcf4\\udc90"
           "\\udc80\\udc80ok\"");
    QUOTED("\xe2\x82", JSON_UTF8, "\"\\udce2\\udc82\"");
}

TEST(json_string_latin1)
{
    QUOTED("\xc3\xa9\xff\x7f\x80"
           "a",
           JSON_LATIN1, "\"\\u00c3\\u00a9\\u00ff\\u007f\\u0080a\"");
}

static void
number(const char *file, int line, double v, const char *want)
{
    struct buf b = BUF_INIT;
    struct json w;
    json_init(&w, &b, 0);
    json_double(&w, v);
    json_clear(&w);
    if (!test_memeq(buf_ptr(&b), b.len, want, strlen(want)))
        test_fail_mem(file, line, "json_double", buf_ptr(&b), b.len, want, strlen(want));
    buf_clear(&b);
}
#define NUMBER(v, want) number(__FILE__, __LINE__, v, want)

TEST(json_numbers_as_python_repr)
{
    NUMBER(1.0, "1.0");
    NUMBER(0.0, "0.0");
    NUMBER(-0.0, "-0.0");
    NUMBER(100.0, "100.0");
    NUMBER(2.5, "2.5");
    NUMBER(0.1, "0.1");
    NUMBER(1.0 / 3, "0.3333333333333333");
    NUMBER(1234.5678, "1234.5678");
    NUMBER(0.0001, "0.0001");
    NUMBER(1.5e-5, "1.5e-05");
    NUMBER(1e15, "1000000000000000.0");
    NUMBER(9.999e15, "9999000000000000.0");
    NUMBER(123456789012345.6, "123456789012345.6");
    NUMBER(1e16, "1e+16");
    NUMBER(1e100, "1e+100");
    NUMBER(5e-324, "5e-324");
    NUMBER(1.7976931348623157e308, "1.7976931348623157e+308");
    NUMBER(NAN, "NaN");
    NUMBER(INFINITY, "Infinity");
    NUMBER(-INFINITY, "-Infinity");

    struct buf b = BUF_INIT;
    struct json w;
    json_init(&w, &b, 0);
    json_array_begin(&w);
    json_int(&w, INT64_MIN);
    json_uint(&w, UINT64_MAX);
    json_int(&w, 0);
    json_array_end(&w);
    ASSERT_BUF_STR(&b, "[-9223372036854775808, 18446744073709551615, 0]");
    json_clear(&w);
    buf_clear(&b);
}

/* The significant digits of a number's text, without leading or trailing
 * zeros: "1234.5000" and "0.0012345e+06" both give "12345". */
static size_t
sig_digits(const char *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n && s[i] != 'e'; i++)
        if (s[i] >= '0' && s[i] <= '9' && (k > 0 || s[i] != '0'))
            out[k++] = s[i];
    while (k > 0 && out[k - 1] == '0')
        k--;
    out[k] = '\0';
    return k;
}

/* What json_double must find: the fewest digits, tried from one up, whose
 * correctly rounded form reads back as v (Python's repr). */
static size_t
shortest_digits(double v, char *out)
{
    char sci[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(sci, sizeof(sci), "%.*e", prec, v);
        if (strtod(sci, NULL) == v)
            break;
    }
    return sig_digits(sci, strlen(sci), out);
}

static uint64_t
next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* json_double starts its search at 15 digits for normal numbers; each
 * kind of value must still come out as the search from one digit finds it. */
TEST(json_numbers_shortest_from_any_start)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 30000; i++) {
        uint64_t r = next_random(&x);
        double v;
        switch (i % 5) {
        case 0: /* any bit pattern, subnormals included */
            memcpy(&v, &r, sizeof(v));
            if (isnan(v) || isinf(v))
                continue;
            break;
        case 1: /* a timestamp with microseconds, as flows hold them */
            v = 1.6e9 + (double)(r % 400000000000000u) / 1e6;
            break;
        case 2: /* a short decimal */
            v = (double)(r % 100000) / pow(10, (double)((r >> 40) % 12));
            break;
        case 3: /* a subnormal */
            r &= 0x000fffffffffffffu;
            memcpy(&v, &r, sizeof(v));
            break;
        default: /* a duration */
            v = (double)(r % 1000000000u) / 1e9;
            break;
        }
        struct buf b = BUF_INIT;
        struct json w;
        json_init(&w, &b, 0);
        json_double(&w, v);
        json_clear(&w);
        char got[32], want[32];
        sig_digits((const char *)buf_ptr(&b), b.len, got);
        shortest_digits(v, want);
        char text[64];
        snprintf(text, sizeof(text), "%.*s", (int)b.len, (const char *)buf_ptr(&b));
        if (strcmp(got, want) != 0 || strtod(text, NULL) != v)
            test_fail_mem(__FILE__, __LINE__, "json_double", buf_ptr(&b), b.len, want,
                          strlen(want));
        buf_clear(&b);
    }
}

static void
document(struct json *w)
{
    json_object_begin(w);
    json_key(w, "a");
    json_array_begin(w);
    json_int(w, 1);
    json_object_begin(w);
    json_key(w, "b");
    json_null(w);
    json_key(w, "c");
    json_bool(w, 1);
    json_object_end(w);
    json_array_end(w);
    json_key(w, "d");
    json_array_begin(w);
    json_array_end(w);
    json_key(w, "e");
    json_string(w, NULL);
    json_key(w, "f");
    json_raw(w, "200");
    json_key(w, "g");
    json_bytes(w, "x\0y", 3, JSON_UTF8);
    json_object_end(w);
}

TEST(json_nesting_and_separators)
{
    struct buf b = BUF_INIT;
    struct json w;
    json_init(&w, &b, 0);
    document(&w);
    json_clear(&w);
    ASSERT_BUF_STR(&b,
                   "{\"a\": [1, {\"b\": null, \"c\": true}], \"d\": [], \"e\": null, \"f\": 200, "
                   "\"g\": \"x\\u0000y\"}");
    buf_reset(&b);
    json_init(&w, &b, JSON_COMPACT);
    document(&w);
    json_clear(&w);
    ASSERT_BUF_STR(&b, "{\"a\":[1,{\"b\":null,\"c\":true}],\"d\":[],\"e\":null,\"f\":200,"
                       "\"g\":\"x\\u0000y\"}");
    buf_clear(&b);
}

/* Nesting past the writer's inline levels spills to the heap, in order. */
TEST(json_deep_nesting)
{
    struct buf b = BUF_INIT, want = BUF_INIT;
    struct json w;
    json_init(&w, &b, JSON_COMPACT);
    for (int i = 0; i < 1000; i++) {
        json_array_begin(&w);
        json_int(&w, i);
        buf_printf(&want, "%s[%d", i ? "," : "", i);
    }
    for (int i = 0; i < 1000; i++) {
        json_array_end(&w);
        buf_append_str(&want, "]");
    }
    json_clear(&w);
    ASSERT_MEMEQ(buf_ptr(&b), b.len, buf_ptr(&want), want.len);
    buf_clear(&b);
    buf_clear(&want);
}
