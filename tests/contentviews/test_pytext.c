/*
 * The pieces of Python's text model the views rely on, checked against what
 * Python 3.11 gives: the UTF-8 decoder's "replace" (one U+FFFD per maximal
 * ill-formed subpart), str.splitlines(), str.strip(), repr() of str, bytes
 * and float, and big decimal numbers.
 */
#include "../../src/contentviews/internal.h"
#include "../lib/test.h"

static void
expect_replace(const char *in, size_t n, const char *want)
{
    struct buf b = BUF_INIT;
    cv__utf8_replace(&b, (const uint8_t *)in, n);
    ASSERT_BUF_STR(&b, want);
    buf_clear(&b);
}

TEST(cv_utf8_replace_maximal_subparts)
{
    expect_replace("\xe2\x82"
                   "A",
                   3,
                   "\xef\xbf\xbd"
                   "A");
    expect_replace("\xc0\x80", 2, "\xef\xbf\xbd\xef\xbf\xbd");
    expect_replace("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    expect_replace("\xf0\x9f\x98", 3, "\xef\xbf\xbd");
    expect_replace("\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    expect_replace("a\xff"
                   "b",
                   3,
                   "a\xef\xbf\xbd"
                   "b");
    expect_replace("caf\xc3\xa9 \xf0\x9f\x98\x80", 10, "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(cv_splitlines_breaks_where_python_does)
{
    const char *s = "a\x1c"
                    "b\xc2\x85"
                    "c\xe2\x80\xa9"
                    "d\r\ne\x0b"
                    "f\x0c"
                    "g\rh\ni";
    const char *want[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    size_t n = strlen(s), i = 0, k = 0;
    while (i < n) {
        size_t brk, len = cv__line_len((const uint8_t *)s + i, n - i, &brk);
        ASSERT(k < 9);
        ASSERT_MEMEQ(s + i, len, want[k], strlen(want[k]));
        i += len + brk;
        k++;
    }
    ASSERT_EQ(k, 9);
    /* A lone 0x85 byte (undecodable, kept as itself) is no line break. */
    size_t brk;
    ASSERT_EQ(cv__line_len((const uint8_t *)"a\x85"
                                            "b",
                           3, &brk),
              3);
    ASSERT_EQ(brk, 0);
}

TEST(cv_strip_takes_unicode_whitespace)
{
    const char *s = " \xe3\x80\x80"
                    "a b\x1c\xc2\x85 ";
    size_t off, len;
    cv__strip((const uint8_t *)s, strlen(s), &off, &len);
    ASSERT_MEMEQ(s + off, len, "a b", 3);
    cv__strip((const uint8_t *)" \t\n", 3, &off, &len);
    ASSERT_EQ(len, 0);
}

static void
expect_float(double v, const char *want)
{
    struct buf b = BUF_INIT;
    cv__repr_float(&b, v);
    ASSERT_BUF_STR(&b, want);
    buf_clear(&b);
}

TEST(cv_float_repr_as_python)
{
    expect_float(0.1, "0.1");
    expect_float(1.0 / 3, "0.3333333333333333");
    expect_float(1e16, "1e+16");
    expect_float(1e15, "1000000000000000.0");
    expect_float(123456789.0, "123456789.0");
    expect_float(1e-5, "1e-05");
    expect_float(0.0001, "0.0001");
    expect_float(2.5e-310, "2.5e-310");
    expect_float(1.7976931348623157e308, "1.7976931348623157e+308");
    expect_float(-0.0, "-0.0");
    expect_float(100.0, "100.0");
    expect_float(1.0 / 0.0, "inf");
}

TEST(cv_repr_str_and_bytes_as_python)
{
    struct buf b = BUF_INIT;
    cv__repr_str(&b, (const uint8_t *)"it's", 4);
    ASSERT_BUF_STR(&b, "\"it's\"");
    buf_reset(&b);
    const char *both = "both ' and \"";
    cv__repr_str(&b, (const uint8_t *)both, strlen(both));
    ASSERT_BUF_STR(&b, "'both \\' and \"'");
    buf_reset(&b);
    /* U+0085, U+2028 and a lone surrogate are escaped, an emoji is not. */
    const char *odd = "\xc2\x85\xe2\x80\xa8\xf0\x9f\x98\x80\xed\xa0\x80";
    cv__repr_str(&b, (const uint8_t *)odd, strlen(odd));
    ASSERT_BUF_STR(&b, "'\\x85\\u2028\xf0\x9f\x98\x80\\ud800'");
    buf_reset(&b);
    cv__repr_bytes(&b, (const uint8_t *)"\0'\"", 3);
    ASSERT_BUF_STR(&b, "b'\\x00\\'\"'");
    buf_clear(&b);
}

TEST(cv_decimal_of_big_numbers)
{
    struct buf b = BUF_INIT;
    uint32_t v[3] = {5, 0, 64}; /* 2**70 + 5 */
    cv__decimal(&b, v, 3);
    ASSERT_BUF_STR(&b, "1180591620717411303429");
    buf_reset(&b);
    uint32_t zero[2] = {0, 0};
    cv__decimal(&b, zero, 2);
    ASSERT_BUF_STR(&b, "0");
    buf_reset(&b);
    uint32_t g[2] = {1000000000u, 0};
    cv__decimal(&b, g, 2);
    ASSERT_BUF_STR(&b, "1000000000");
    buf_clear(&b);
}

TEST(cv_printable_table)
{
    ASSERT(cv__is_printable('a'));
    ASSERT(!cv__is_printable(0x7f));
    ASSERT(!cv__is_printable(0x85));
    ASSERT(cv__is_printable(0xe9));
    ASSERT(!cv__is_printable(0xa0)); /* Zs but space */
    ASSERT(!cv__is_printable(0x2028));
    ASSERT(cv__is_printable(0x1f600));
    ASSERT(!cv__is_printable(0xd800));
    ASSERT(!cv__is_printable(0x10ffff));
}
