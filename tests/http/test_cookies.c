/*
 * Cookie and Set-Cookie values. Every expectation is what mitmproxy 8.1.1's
 * net/http/cookies.py gives for the same text.
 */
#include <string.h>

#include "../lib/test.h"
#include "http/cookies.h"

/* The cookies as "name=value[attr=v,...]" joined with " | ". */
static void
dump(const struct cookies *cs, struct buf *out)
{
    for (size_t i = 0; i < cs->n; i++) {
        const struct cookie *c = &cs->v[i];
        if (i)
            buf_append_str(out, " | ");
        buf_append(out, c->kv.name, c->kv.name_len);
        buf_append(out, "=", 1);
        buf_append(out, c->kv.value, c->kv.value_len);
        if (c->nattrs == 0)
            continue;
        buf_append(out, "[", 1);
        for (size_t j = 0; j < c->nattrs; j++) {
            if (j)
                buf_append(out, ",", 1);
            buf_append(out, c->attrs[j].name, c->attrs[j].name_len);
            buf_append(out, "=", 1);
            buf_append(out, c->attrs[j].value, c->attrs[j].value_len);
        }
        buf_append(out, "]", 1);
    }
}

/* Parses a Set-Cookie value (set) or a Cookie value, checks what was read
 * and how it is written back. */
static void
check(const char *file, int line, int set, const char *in, const char *parsed, const char *again)
{
    struct cookies cs = {0};
    if (set)
        cookies_parse_set(in, strlen(in), &cs);
    else
        cookies_parse(in, strlen(in), &cs);
    struct buf b = BUF_INIT;
    dump(&cs, &b);
    if (!test_memeq(buf_ptr(&b), b.len, parsed, strlen(parsed)))
        test_fail_mem(file, line, in, buf_ptr(&b), b.len, parsed, strlen(parsed));
    buf_reset(&b);
    if (set)
        cookies_format_set(&b, &cs);
    else
        cookies_format(&b, &cs);
    if (!test_memeq(buf_ptr(&b), b.len, again, strlen(again)))
        test_fail_mem(file, line, in, buf_ptr(&b), b.len, again, strlen(again));
    buf_clear(&b);
    cookies_clear(&cs);
}
#define SET_COOKIE(in, parsed, again) check(__FILE__, __LINE__, 1, in, parsed, again)
#define COOKIE(in, parsed, again) check(__FILE__, __LINE__, 0, in, parsed, again)

TEST(cookies_set_cookie_attributes)
{
    SET_COOKIE("a=b", "a=b", "a=b");
    /* A flag attribute has an empty value, written with "=". */
    SET_COOKIE("a=b; Path=/; HttpOnly", "a=b[Path=/,HttpOnly=]", "a=b; Path=/; HttpOnly=");
    SET_COOKIE("a=b; max-age=5; Max-Age=7", "a=b[max-age=5,Max-Age=7]",
               "a=b; max-age=5; Max-Age=7");
    /* Names lose leading white space only; values keep theirs, so need quotes. */
    SET_COOKIE(" x=1 ;  Domain=.e.com", "x=1 [Domain=.e.com]", "x=\"1 \"; Domain=.e.com");
}

TEST(cookies_set_cookie_comma_separated)
{
    SET_COOKIE("a=1, b=2", "a=1 | b=2", "a=1, b=2");
    SET_COOKIE("c=3; expires=Wed, 21 Oct 2099 07:28:00 GMT; path=/, d=4",
               "c=3[expires=Wed, 21 Oct 2099 07:28:00 GMT,path=/] | d=4",
               "c=3; expires=Wed, 21 Oct 2099 07:28:00 GMT; path=/, d=4");
    /* Three characters or fewer of expires: the next value is taken too,
     * whatever ended the first. */
    SET_COOKIE("a=b;expires=Sun;c", "a=b[expires=Sun,c]", "a=b; expires=Sun,c");
    SET_COOKIE("a=b; expires=abc, def", "a=b[expires=abc, def]", "a=b; expires=abc, def");
    SET_COOKIE("a=b,", "a=b", "a=b");
    SET_COOKIE(",a=b", "a=b", "a=b");
}

TEST(cookies_set_cookie_quoting)
{
    SET_COOKIE("q=\"a b\"; Path=/", "q=a b[Path=/]", "q=\"a b\"; Path=/");
    SET_COOKIE("r=x\\\"y", "r=x\\\"y", "r=\"x\\\\\\\"y\"");
    /* An unterminated quote runs to the end. */
    SET_COOKIE("a=\"unterminated", "a=unterminated", "a=unterminated");
    SET_COOKIE("a=\"", "a=", "a=");
    /* expires and path are never quoted. */
    SET_COOKIE("a=b; path=\"/x y\"", "a=b[path=/x y]", "a=b; path=/x y");
}

TEST(cookies_set_cookie_odd_input)
{
    SET_COOKIE("", "", "");
    SET_COOKIE(";;", "", "");
    SET_COOKIE("=v", "=v", "=v");
    SET_COOKIE("k", "k=", "k=");
    /* Bytes, NUL included, are kept. */
    struct cookies cs = {0};
    cookies_parse_set("a=x\0y; b", 8, &cs);
    ASSERT_EQ(cs.n, 1);
    ASSERT_MEMEQ(cs.v[0].kv.value, cs.v[0].kv.value_len, "x\0y", 3);
    cookies_clear(&cs);
}

TEST(cookies_cookie_header)
{
    COOKIE("a=b; c=d", "a=b | c=d", "a=b; c=d");
    COOKIE(" a = b ;c", "a = b  | c=", "a =\" b \"; c=");
    COOKIE("a=\"x;y\"; b", "a=x;y | b=", "a=\"x;y\"; b=");
    COOKIE("a=b=c", "a=b=c", "a=b=c");
    COOKIE("k=\"v\\\\w\"", "k=v\\w", "k=\"v\\\\w\"");
    COOKIE("a;b;c=", "a= | b= | c=", "a=; b=; c=");
    COOKIE("a=b;", "a=b", "a=b");
    /* Commas do not separate cookies here. */
    COOKIE("a=1, b=2", "a=1, b=2", "a=\"1, b=2\"");
    COOKIE("", "", "");
    COOKIE(";", "", "");
    COOKIE("=", "", "");
}

TEST(cookies_append_quotes_what_needs_it)
{
    struct buf b = BUF_INIT;
    cookies_append(&b, "a", 1, "x y", 3);
    cookies_append(&b, "b", 1, "q\"\\", 3);
    cookies_append(&b, "c", 1, "\xc3\xa9", 2);
    cookies_append(&b, "d", 1, "plain", 5);
    ASSERT_BUF_STR(&b, "a=\"x y\"; b=\"q\\\"\\\\\"; c=\"\xc3\xa9\"; d=plain");
    buf_clear(&b);
}

TEST(cookies_attributes_by_name)
{
    struct cookies cs = {0};
    const char *v = "a=b; Expires=xxxx; path=/; EXPIRES=yyyy; max-age=1";
    cookies_parse_set(v, strlen(v), &cs);
    struct cookie *c = &cs.v[0];
    /* The last one wins, whatever its case. */
    ASSERT_STREQ(cookie_attr(c, "expires")->value, "yyyy");
    ASSERT_STREQ(cookie_attr(c, "Path")->value, "/");
    ASSERT(cookie_attr(c, "domain") == NULL);
    /* set_all: the first keeps its place and name, the others go. */
    cookie_attr_set(c, "expires", "z");
    cookie_attr_set(c, "Domain", "d");
    struct buf b = BUF_INIT;
    cookies_format_set(&b, &cs);
    ASSERT_BUF_STR(&b, "a=b; Expires=z; path=/; max-age=1; Domain=d");
    cookie_attr_del(c, "MAX-AGE");
    cookie_attr_del(c, "path");
    buf_reset(&b);
    cookies_format_set(&b, &cs);
    ASSERT_BUF_STR(&b, "a=b; Expires=z; Domain=d");
    buf_clear(&b);
    cookies_clear(&cs);
}

static int
expired(const char *set_cookie, double now)
{
    struct cookies cs = {0};
    cookies_parse_set(set_cookie, strlen(set_cookie), &cs);
    int r = cookie_expired(&cs.v[0], now);
    cookies_clear(&cs);
    return r;
}

TEST(cookies_expiry)
{
    double now = 1700000000;
    ASSERT_EQ(expired("a=b", now), 0);
    ASSERT_EQ(expired("a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT", now), 1);
    ASSERT_EQ(expired("a=b; expires=Fri, 31 Dec 2099 23:59:59 GMT", now), 0);
    ASSERT_EQ(expired("a=b; expires=Tue, 14 Nov 2023 22:13:20 GMT", now), 1); /* exactly now */
    ASSERT_EQ(expired("a=b; Max-Age=0", now), 1);
    ASSERT_EQ(expired("a=b; Max-Age= -1 ", now), 1);
    ASSERT_EQ(expired("a=b; max-age=3600", now), 0);
    ASSERT_EQ(expired("a=b; max-age=1_0", now), 0);
    ASSERT_EQ(expired("a=b; max-age=soon", now), 0);
    /* An expires that is no date gives no time, even with a max-age. */
    ASSERT_EQ(expired("a=b; expires=bogus; Max-Age=0", now), 0);
    double when = 0;
    struct cookies cs = {0};
    cookies_parse_set("a=b; max-age=5", 14, &cs);
    ASSERT_EQ(cookie_expiry(&cs.v[0], 100.5, &when), 1);
    ASSERT(when == 105.5);
    cookies_clear(&cs);
}
