/* Percent-decoding as urllib.parse.unquote / unquote_plus, and host:port. */
#include <stdio.h>
#include <string.h>

#include "../lib/test.h"
#include "http/url.h"

static void
check(const char *in, int plus, const void *want, size_t wantlen)
{
    struct buf b = BUF_INIT;
    http_unquote(&b, in, strlen(in), plus);
    ASSERT_MEMEQ(buf_ptr(&b), b.len, want, wantlen);
    buf_clear(&b);
}

TEST(http_unquote_as_urllib)
{
    check("a%20b%2Fc%2fd", 0, "a b/c/d", 7);
    check("a+b", 0, "a+b", 3);
    check("a+b%2B", 1, "a b+", 4);
    /* A "%" without two hex digits stays, as does a short one at the end. */
    check("100%", 0, "100%", 4);
    check("%4", 0, "%4", 2);
    check("%zz%41", 0, "%zzA", 4);
    check("% 1", 0, "% 1", 3);
    check("x%00y", 0, "x\0y", 3);
    check("%e2%82%ac", 0, "\xe2\x82\xac", 3);
}

/* host:port as "host|port" (port -1 when absent), or the error code. */
static void
hostport(const char *file, int line, const char *in, unsigned flags, const char *want, int code)
{
    struct slice h = {0};
    int port = 7;
    struct err e = {0};
    int rc = http_hostport_parse(in, strlen(in), flags, &h, &port, &e);
    if (rc != code)
        test_fail(file, line, "'%s': %s (%s), want %s", in, err_name(rc), e.msg, err_name(code));
    if (rc < 0) {
        if (strstr(e.msg, in) == NULL)
            test_fail(file, line, "'%s': message \"%s\" does not name it", in, e.msg);
        return;
    }
    char got[300];
    snprintf(got, sizeof(got), "%.*s|%d", (int)h.len, (const char *)h.p, port);
    if (strcmp(got, want) != 0)
        test_fail(file, line, "'%s': %s, want %s", in, got, want);
}
#define HOSTPORT(in, flags, want) hostport(__FILE__, __LINE__, in, flags, want, 0)
#define HOSTPORT_ERR(in, flags, code) hostport(__FILE__, __LINE__, in, flags, NULL, code)

TEST(http_hostport_shapes)
{
    HOSTPORT("example.com", 0, "example.com|-1");
    HOSTPORT("example.com:8080", 0, "example.com|8080");
    HOSTPORT("[::1]", 0, "::1|-1");
    HOSTPORT("[::1]:443", 0, "::1|443");
    HOSTPORT("1.2.3.4:00080", 0, "1.2.3.4|80"); /* leading zeros, as int() reads them */
    HOSTPORT("h:0", 0, "h|0");
    HOSTPORT("h:65535", 0, "h|65535");
    HOSTPORT_ERR("[::1", 0, MP_ERR_SYNTAX);
    HOSTPORT_ERR("[::1]x", 0, MP_ERR_SYNTAX);
    HOSTPORT_ERR("[]:80", 0, MP_ERR_NOTFOUND);
    HOSTPORT_ERR(":80", 0, MP_ERR_NOTFOUND);
    HOSTPORT_ERR("", 0, MP_ERR_NOTFOUND);
}

TEST(http_hostport_ports)
{
    HOSTPORT_ERR("h:65536", 0, MP_ERR_INVAL);
    HOSTPORT_ERR("h:99999999999999999999", 0, MP_ERR_INVAL);
    HOSTPORT_ERR("h:8x", 0, MP_ERR_INVAL);
    HOSTPORT_ERR("h:+80", 0, MP_ERR_INVAL);
    HOSTPORT_ERR("h:", 0, MP_ERR_INVAL);
    /* urlsplit() reads "h:" as no port. */
    HOSTPORT("h:", HTTP_HOSTPORT_EMPTY_PORT, "h|-1");
    /* The host ends at the first ':'. */
    HOSTPORT_ERR("a:b:80", 0, MP_ERR_INVAL);
}

TEST(http_hostport_bare_ipv6)
{
    HOSTPORT("::1", HTTP_HOSTPORT_BARE_IPV6, "::1|-1");
    HOSTPORT("fe80::1:2", HTTP_HOSTPORT_BARE_IPV6, "fe80::1:2|-1");
    HOSTPORT("h:80", HTTP_HOSTPORT_BARE_IPV6, "h|80");
    HOSTPORT_ERR("::1", 0, MP_ERR_NOTFOUND);
}

TEST(http_hostport_strict)
{
    unsigned s = HTTP_HOSTPORT_STRICT;
    HOSTPORT("a-b.c_d:1", s, "a-b.c_d|1");
    HOSTPORT("[fe80::1.2.3.4]:1", s, "fe80::1.2.3.4|1");
    HOSTPORT_ERR("a b:80", s, MP_ERR_SYNTAX);
    HOSTPORT_ERR("a/b", s, MP_ERR_SYNTAX);
    HOSTPORT_ERR("[::g]:80", s, MP_ERR_SYNTAX);
    HOSTPORT_ERR("h:0", s, MP_ERR_INVAL);
    HOSTPORT("a b:80", 0, "a b|80"); /* without strict only the shape counts */
}

TEST(http_hostport_write)
{
    struct buf b = BUF_INIT;
    http_hostport_write(&b, "https", "example.com", 443, 0);
    ASSERT_BUF_STR(&b, "example.com");
    buf_reset(&b);
    http_hostport_write(&b, "http", "::1", 8080, 0);
    ASSERT_BUF_STR(&b, "[::1]:8080");
    buf_reset(&b);
    http_hostport_write(&b, "https", "h", 443, 1);
    ASSERT_BUF_STR(&b, "h:443");
    buf_clear(&b);
    ASSERT_EQ(http_default_port("http"), 80);
    ASSERT_EQ(http_default_port("https"), 443);
    ASSERT_EQ(http_default_port("ws"), 0);
}
