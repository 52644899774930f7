/* The JSON reader: what json.loads() takes and refuses, and the limits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "util/json.h"
#include "util/json_parse.h"

static struct jv *
parse_ok(const char *text)
{
    struct jv *v;
    struct err e = {0};
    if (json_parse(text, strlen(text), NULL, &v, &e) != 0)
        test_fail(__FILE__, __LINE__, "%s: %s", text, e.msg);
    return v;
}

static void
parse_bad(const char *text, int code, const char *msg)
{
    struct jv *v = (struct jv *)1;
    struct err e = {0};
    int rc = json_parse(text, strlen(text), NULL, &v, &e);
    if (rc != code || v != NULL || strcmp(e.msg, msg) != 0)
        test_fail(__FILE__, __LINE__, "%s: rc %d, \"%s\"", text, rc, e.msg);
}

TEST(json_parse_values)
{
    struct jv *v = parse_ok(" {\"a\": [1, -2.5e1, true, false, null, \"x\"], \"b\": {}, "
                            "\"a\": 7, \"big\": 123456789012345678901234567890} ");
    ASSERT_EQ(v->type, JV_OBJECT);
    ASSERT_EQ(v->u.obj.n, 4);
    /* The last of a repeated key, as a dict keeps it. */
    const struct jv *a = jv_get(v, "a");
    ASSERT_EQ(a->type, JV_NUMBER);
    ASSERT_EQ(a->u.num.is_int, 1);
    ASSERT_EQ(a->u.num.i, 7);
    const struct jv *first = &v->u.obj.v[0].value;
    ASSERT_EQ(first->type, JV_ARRAY);
    ASSERT_EQ(first->u.arr.n, 6);
    ASSERT_EQ(first->u.arr.v[1].u.num.is_int, 0);
    ASSERT(first->u.arr.v[1].u.num.d == -25.0);
    ASSERT_EQ(first->u.arr.v[2].type, JV_TRUE);
    ASSERT_EQ(first->u.arr.v[3].type, JV_FALSE);
    ASSERT_EQ(first->u.arr.v[4].type, JV_NULL);
    size_t n;
    ASSERT_STREQ(jv_get_str(&v->u.obj.v[0].value, "x", &n), NULL);
    ASSERT_EQ(first->u.arr.v[5].type, JV_STRING);
    ASSERT_EQ(jv_get(v, "b")->u.obj.n, 0);
    /* Past int64: a float, as Python's int would not fit us. */
    const struct jv *big = jv_get(v, "big");
    ASSERT_EQ(big->u.num.is_int, 0);
    ASSERT(big->u.num.d > 1.2e29);
    ASSERT(jv_get(v, "nope") == NULL);
    ASSERT(jv_get(first, "a") == NULL);
    jv_free(v);
    /* What json.loads() takes beyond RFC 8259. */
    v = parse_ok("[NaN, Infinity, -Infinity]");
    ASSERT(isnan(v->u.arr.v[0].u.num.d));
    ASSERT(isinf(v->u.arr.v[1].u.num.d) && v->u.arr.v[1].u.num.d > 0);
    ASSERT(isinf(v->u.arr.v[2].u.num.d) && v->u.arr.v[2].u.num.d < 0);
    jv_free(v);
}

TEST(json_parse_strings)
{
    struct jv *v = parse_ok("[\"a\\\"\\\\\\/\\b\\f\\n\\r\\tz\", \"\\u00e9\\u20ac\\ud83d\\ude00\", "
                            "\"\\u0000\", \"caf\xc3\xa9\", \"\\udcff\\udc80\", \"\\ud800x\"]");
    ASSERT_MEMEQ(v->u.arr.v[0].u.str.p, v->u.arr.v[0].u.str.len, "a\"\\/\b\f\n\r\tz", 10);
    ASSERT_STREQ(v->u.arr.v[1].u.str.p, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    ASSERT_MEMEQ(v->u.arr.v[2].u.str.p, v->u.arr.v[2].u.str.len, "\0", 1);
    ASSERT_STREQ(v->u.arr.v[3].u.str.p, "caf\xc3\xa9");
    /* Surrogate escapes are the bytes json_bytes(JSON_UTF8) wrote them for. */
    ASSERT_MEMEQ(v->u.arr.v[4].u.str.p, v->u.arr.v[4].u.str.len, "\xff\x80", 2);
    ASSERT_STREQ(v->u.arr.v[5].u.str.p, "\xed\xa0\x80x");
    jv_free(v);
    /* Round trip through the writer: any bytes come back. */
    struct buf b = BUF_INIT;
    const char raw[] = "\x00\x01\xff\xc3\xa9\"\\\x7f\xed\xa0\x80";
    json_quote(&b, raw, sizeof(raw) - 1, JSON_UTF8);
    struct err e = {0};
    ASSERT_EQ(json_parse(buf_ptr(&b), b.len, NULL, &v, &e), 0);
    ASSERT_MEMEQ(v->u.str.p, v->u.str.len, raw, sizeof(raw) - 1);
    jv_free(v);
    buf_clear(&b);
}

TEST(json_parse_refuses)
{
    parse_bad("", MP_ERR_SYNTAX, "JSON: unexpected end of input at byte 0");
    parse_bad("[1, 2", MP_ERR_SYNTAX, "JSON: expected ',' or ']' at byte 5");
    parse_bad("{\"a\" 1}", MP_ERR_SYNTAX, "JSON: expected ':' at byte 5");
    parse_bad("{a: 1}", MP_ERR_SYNTAX, "JSON: expected a string key at byte 1");
    parse_bad("[1,]", MP_ERR_SYNTAX, "JSON: invalid number at byte 3");
    parse_bad("{} x", MP_ERR_SYNTAX, "JSON: extra data after the value at byte 3");
    parse_bad("01", MP_ERR_SYNTAX, "JSON: extra data after the value at byte 1");
    parse_bad("1.", MP_ERR_SYNTAX, "JSON: invalid number at byte 2");
    parse_bad("-", MP_ERR_SYNTAX, "JSON: invalid number at byte 1");
    parse_bad("+1", MP_ERR_SYNTAX, "JSON: invalid number at byte 0");
    parse_bad("tru", MP_ERR_SYNTAX, "JSON: unexpected character at byte 0");
    parse_bad("\"a\tb\"", MP_ERR_SYNTAX, "JSON: control character in string at byte 2");
    parse_bad("\"\\x\"", MP_ERR_SYNTAX, "JSON: invalid escape at byte 2");
    parse_bad("\"\\u12\"", MP_ERR_SYNTAX, "JSON: invalid \\u escape at byte 3");
    parse_bad("\"\xff\"", MP_ERR_SYNTAX, "JSON: invalid UTF-8 at byte 1");
    parse_bad("\"\xed\xa0\x80\"", MP_ERR_SYNTAX, "JSON: invalid UTF-8 at byte 1");
    parse_bad("\"abc", MP_ERR_SYNTAX, "JSON: unterminated string at byte 4");
}

TEST(json_parse_limits)
{
    struct json_limits lim = {.max_size = 8, .max_depth = 3};
    struct jv *v;
    struct err e = {0};
    ASSERT_EQ(json_parse("[[[1]]]", 7, &lim, &v, &e), 0);
    jv_free(v);
    ASSERT_EQ(json_parse("[[[[1]]]]", 9, &lim, &v, &e), MP_ERR_LIMIT);
    ASSERT_STREQ(e.msg, "JSON: document of 9 bytes is over the limit of 8");
    lim.max_size = 0;
    ASSERT_EQ(json_parse("[[[[1]]]]", 9, &lim, &v, &e), MP_ERR_LIMIT);
    ASSERT_STREQ(e.msg, "JSON: nesting deeper than 3 at byte 3");
    /* The default depth stops a deep document without a deep stack. */
    size_t n = 100000;
    char *deep = malloc(n);
    memset(deep, '[', n);
    ASSERT_EQ(json_parse(deep, n, NULL, &v, &e), MP_ERR_LIMIT);
    ASSERT(v == NULL);
    free(deep);
}
