/*
 * The JSON writer. Every expected text is what Python 3.11's json.dumps()
 * writes for the same value (bytes decoded with surrogateescape).
 */
#include <math.h>
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
