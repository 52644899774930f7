#include "../lib/test.h"
#include "http/headers.h"

static struct hdrs
sample(void)
{
    struct hdrs h = HDRS_INIT;
    hdrs_add_cstr(&h, "Host", "example.com");
    hdrs_add_cstr(&h, "Set-Cookie", "a=1");
    hdrs_add_cstr(&h, "X-Other", "x");
    hdrs_add_cstr(&h, "set-cookie", "b=2");
    return h;
}

TEST(hdrs_add_find_get_count)
{
    struct hdrs h = sample();
    ASSERT_EQ(h.n, 4);
    ASSERT_EQ(hdrs_find(&h, "SET-COOKIE", 0), 1);
    ASSERT_EQ(hdrs_find(&h, "set-cookie", 2), 3);
    ASSERT_EQ(hdrs_find(&h, "set-cookie", 4), -1);
    ASSERT_EQ(hdrs_find(&h, "missing", 0), -1);
    ASSERT_STREQ(hdrs_get(&h, "host")->value, "example.com");
    ASSERT(hdrs_get(&h, "hos") == NULL);
    ASSERT_EQ(hdrs_count(&h, "Set-Cookie"), 2);
    ASSERT_EQ(hdrs_count(&h, "nope"), 0);
    /* Names keep their case. */
    ASSERT_STREQ(h.v[3].name, "set-cookie");
    hdrs_clear(&h);
    ASSERT_EQ(h.n, 0);
}

TEST(hdrs_add_binary_value)
{
    struct hdrs h = HDRS_INIT;
    hdrs_add(&h, SLICE_STR("X-Latin"), SLICE_STR("caf\xe9"));
    ASSERT_EQ(h.v[0].value_len, 4);
    ASSERT_MEMEQ(h.v[0].value, 4, "caf\xe9", 4);
    ASSERT_EQ(h.v[0].value[4], '\0');
    hdrs_clear(&h);
}

TEST(hdrs_set_keeps_first_position)
{
    struct hdrs h = sample();
    hdrs_set_cstr(&h, "SET-COOKIE", "c=3");
    ASSERT_EQ(h.n, 3);
    ASSERT_STREQ(h.v[1].name, "Set-Cookie");
    ASSERT_STREQ(h.v[1].value, "c=3");
    ASSERT_STREQ(h.v[2].name, "X-Other");
    hdrs_set(&h, "New", SLICE_STR("v"));
    ASSERT_EQ(h.n, 4);
    ASSERT_STREQ(h.v[3].name, "New");
    hdrs_clear(&h);
}

TEST(hdrs_remove_all)
{
    struct hdrs h = sample();
    ASSERT_EQ(hdrs_remove(&h, "set-cookie"), 2);
    ASSERT_EQ(h.n, 2);
    ASSERT_STREQ(h.v[0].name, "Host");
    ASSERT_STREQ(h.v[1].name, "X-Other");
    ASSERT_EQ(hdrs_remove(&h, "set-cookie"), 0);
    hdrs_clear(&h);
}

TEST(hdrs_copy_deep)
{
    struct hdrs h = sample(), c = HDRS_INIT;
    hdrs_add_cstr(&c, "Old", "gone");
    hdrs_copy(&c, &h);
    hdrs_clear(&h);
    ASSERT_EQ(c.n, 4);
    ASSERT_STREQ(c.v[3].value, "b=2");
    struct hdrs empty = HDRS_INIT;
    hdrs_copy(&c, &empty);
    ASSERT_EQ(c.n, 0);
    hdrs_clear(&c);
}

TEST(hdrs_has_token_lists)
{
    struct hdrs h = HDRS_INIT;
    hdrs_add_cstr(&h, "Connection", "keep-alive,\tUpgrade ");
    hdrs_add_cstr(&h, "connection", "Close");
    ASSERT(hdrs_has_token(&h, "connection", "upgrade"));
    ASSERT(hdrs_has_token(&h, "Connection", "KEEP-ALIVE"));
    ASSERT(hdrs_has_token(&h, "Connection", "close"));
    ASSERT(!hdrs_has_token(&h, "Connection", "keep"));
    ASSERT(!hdrs_has_token(&h, "Upgrade", "close"));
    hdrs_clear(&h);
}
