/*
 * The SOCKS5 client codec, byte by byte: greetings, authentication, the
 * CONNECT request for each address type, every failure reply, and replies
 * that arrive in pieces or with tunnel data behind them.
 */
#include <string.h>

#include "../lib/test.h"
#include "proxy/socks5_client.h"

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

/* Feeds p[0..n) and returns feed's result; out collects what to send. */
static int
feed(struct socks5_client *c, struct buf *in, struct buf *out, const uint8_t *p, size_t n,
     struct err *e)
{
    buf_append(in, p, n);
    return socks5_client_feed(c, in, out, e);
}

static void
assert_out(struct buf *out, const uint8_t *p, size_t n)
{
    ASSERT_MEMEQ(buf_ptr(out), out->len, p, n);
    buf_reset(out);
}

TEST(socks5_client_no_auth_domain)
{
    struct socks5_client c;
    struct buf in = BUF_INIT, out = BUF_INIT;
    struct err e = {0};
    socks5_client_init(&c, "example.com", 443, NULL, NULL, "127.0.0.1:1080");
    ASSERT_EQ(socks5_client_start(&c, &out, &e), 0);
    assert_out(&out, BYTES(5, 1, 0));
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0), &e), 0);
    assert_out(&out, BYTES(5, 1, 0, 3, 11, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
                           0x01, 0xbb));
    /* The reply in two pieces, with tunnel bytes behind it. */
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0, 0, 1, 10), &e), 0);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(0, 0, 1, 0x1f, 0x90, 'H', 'I'), &e), 1);
    ASSERT_EQ(out.len, 0);
    ASSERT_BUF_STR(&in, "HI");
    ASSERT_EQ(c.state, SOCKS5C_DONE);
    buf_clear(&in);
    buf_clear(&out);
}

TEST(socks5_client_ipv4_and_ipv6_literals)
{
    struct socks5_client c;
    struct buf in = BUF_INIT, out = BUF_INIT;
    struct err e = {0};
    socks5_client_init(&c, "10.1.2.3", 80, "", "", "p:1");
    ASSERT_EQ(socks5_client_start(&c, &out, &e), 0);
    buf_reset(&out);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0), &e), 0);
    assert_out(&out, BYTES(5, 1, 0, 1, 10, 1, 2, 3, 0, 80));

    socks5_client_init(&c, "[::1]", 8080, NULL, NULL, "p:1");
    ASSERT_EQ(socks5_client_start(&c, &out, &e), 0);
    buf_reset(&out);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0), &e), 0);
    assert_out(&out, BYTES(5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1f, 0x90));
    /* An IPv6 bound address and a domain bound address are skipped whole. */
    ASSERT_EQ(
        feed(&c, &in, &out, BYTES(5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), &e), 0);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(1, 0, 0), &e), 1);
    ASSERT_EQ(in.len, 0);

    socks5_client_init(&c, "h", 1, NULL, NULL, "p:1");
    ASSERT_EQ(socks5_client_start(&c, &out, &e), 0);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0), &e), 0);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0, 0, 3, 3, 'a', 'b', 'c', 0), &e), 0);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(7), &e), 1);
    buf_clear(&in);
    buf_clear(&out);
}

TEST(socks5_client_user_pass)
{
    struct socks5_client c;
    struct buf in = BUF_INIT, out = BUF_INIT;
    struct err e = {0};
    socks5_client_init(&c, "a.b", 80, "us", "pw!", "127.0.0.1:1080");
    ASSERT_EQ(socks5_client_start(&c, &out, &e), 0);
    assert_out(&out, BYTES(5, 2, 0, 2));
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 2), &e), 0);
    assert_out(&out, BYTES(1, 2, 'u', 's', 3, 'p', 'w', '!'));
    ASSERT_EQ(feed(&c, &in, &out, BYTES(1, 0), &e), 0);
    assert_out(&out, BYTES(5, 1, 0, 3, 3, 'a', '.', 'b', 0, 80));
    /* The method, the verdict and the reply all at once also work. */
    socks5_client_init(&c, "a.b", 80, "us", "pw!", "127.0.0.1:1080");
    ASSERT_EQ(socks5_client_start(&c, &out, &e), 0);
    buf_reset(&out);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 2, 1, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0), &e), 1);
    ASSERT_EQ(in.len, 0);
    /* A proxy that needs no authentication may still pick "none". */
    socks5_client_init(&c, "a.b", 80, "us", "pw", "p:1");
    ASSERT_EQ(socks5_client_start(&c, &out, &e), 0);
    buf_reset(&out);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0), &e), 0);
    assert_out(&out, BYTES(5, 1, 0, 3, 3, 'a', '.', 'b', 0, 80));
    buf_clear(&in);
    buf_clear(&out);
}

TEST(socks5_client_auth_failures)
{
    struct socks5_client c;
    struct buf in = BUF_INIT, out = BUF_INIT;
    struct err e = {0};

    socks5_client_init(&c, "a.b", 80, "us", "bad", "127.0.0.1:1080");
    socks5_client_start(&c, &out, &e);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 2), &e), 0);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(1, 1), &e), MP_ERR_PROTOCOL);
    ASSERT_STREQ(e.msg, "SOCKS5 proxy 127.0.0.1:1080 rejected our username and password");
    /* After a failure every feed fails. */
    ASSERT_EQ(feed(&c, &in, &out, BYTES(0), &e), MP_ERR_PROTOCOL);

    buf_reset(&in);
    socks5_client_init(&c, "a.b", 80, NULL, NULL, "127.0.0.1:1080");
    socks5_client_start(&c, &out, &e);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0xff), &e), MP_ERR_PROTOCOL);
    ASSERT(strstr(e.msg, "requires authentication") != NULL);

    buf_reset(&in);
    socks5_client_init(&c, "a.b", 80, NULL, NULL, "p:1");
    socks5_client_start(&c, &out, &e);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 2), &e), MP_ERR_PROTOCOL);
    ASSERT(strstr(e.msg, "did not offer") != NULL);

    buf_reset(&in);
    socks5_client_init(&c, "a.b", 80, NULL, NULL, "p:1");
    socks5_client_start(&c, &out, &e);
    ASSERT_EQ(feed(&c, &in, &out, BYTES('H', 'T'), &e), MP_ERR_PROTOCOL);
    ASSERT(strstr(e.msg, "bad version") != NULL);

    buf_reset(&in);
    socks5_client_init(&c, "a.b", 80, "u", "p", "p:1");
    socks5_client_start(&c, &out, &e);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 2, 5, 0), &e), MP_ERR_PROTOCOL);
    ASSERT(strstr(e.msg, "authentication with a bad version") != NULL);
    buf_clear(&in);
    buf_clear(&out);
}

TEST(socks5_client_every_failure_reply)
{
    for (int rep = 1; rep <= 9; rep++) {
        struct socks5_client c;
        struct buf in = BUF_INIT, out = BUF_INIT;
        struct err e = {0};
        char want[200];
        socks5_client_init(&c, "a.b", 80, NULL, NULL, "127.0.0.1:1080");
        socks5_client_start(&c, &out, &e);
        ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0), &e), 0);
        /* Only VER and REP are needed to know it failed. */
        ASSERT_EQ(feed(&c, &in, &out, (const uint8_t[]){5, (uint8_t)rep}, 2, &e), MP_ERR_PROTOCOL);
        snprintf(want, sizeof(want), "SOCKS5 proxy 127.0.0.1:1080 refused: %s (reply %d)",
                 socks5_reply_str(rep), rep);
        ASSERT_STREQ(e.msg, want);
        ASSERT_EQ(c.state, SOCKS5C_FAILED);
        buf_clear(&in);
        buf_clear(&out);
    }
    ASSERT_STREQ(socks5_reply_str(5), "connection refused by destination host");
    ASSERT_STREQ(socks5_reply_str(9), "unknown error");
}

TEST(socks5_client_bad_replies)
{
    struct socks5_client c;
    struct buf in = BUF_INIT, out = BUF_INIT;
    struct err e = {0};
    socks5_client_init(&c, "a.b", 80, NULL, NULL, "p:1");
    socks5_client_start(&c, &out, &e);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0), &e), 0);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0, 0, 9, 0), &e), MP_ERR_PROTOCOL);
    ASSERT(strstr(e.msg, "unknown address type") != NULL);

    buf_reset(&in);
    socks5_client_init(&c, "a.b", 80, NULL, NULL, "p:1");
    socks5_client_start(&c, &out, &e);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0), &e), 0);
    ASSERT_EQ(feed(&c, &in, &out, BYTES(4, 0), &e), MP_ERR_PROTOCOL);
    buf_clear(&in);
    buf_clear(&out);
}

TEST(socks5_client_bad_input)
{
    struct socks5_client c;
    struct buf in = BUF_INIT, out = BUF_INIT;
    struct err e = {0};
    char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    socks5_client_init(&c, longname, 80, NULL, NULL, "p:1");
    ASSERT_EQ(socks5_client_start(&c, &out, &e), MP_ERR_INVAL);
    socks5_client_init(&c, "", 80, NULL, NULL, "p:1");
    ASSERT_EQ(socks5_client_start(&c, &out, &e), MP_ERR_INVAL);
    socks5_client_init(&c, "a", 80, longname, "p", "p:1");
    ASSERT_EQ(socks5_client_start(&c, &out, &e), MP_ERR_INVAL);
    /* Feeding before start is refused. */
    socks5_client_init(&c, "a", 80, NULL, NULL, "p:1");
    ASSERT_EQ(feed(&c, &in, &out, BYTES(5, 0), &e), MP_ERR_INVAL);
    ASSERT_EQ(out.len, 0);
    buf_clear(&in);
    buf_clear(&out);
}
