#include "../lib/test.h"
#include "util/buf.h"

TEST(buf_append_consume_compact)
{
    struct buf b = BUF_INIT;
    buf_append_str(&b, "hello ");
    buf_printf(&b, "%s %d", "world", 42);
    ASSERT_BUF_STR(&b, "hello world 42");
    buf_consume(&b, 6);
    ASSERT_BUF_STR(&b, "world 42");
    /* Filling to capacity after a consume must compact, not lose bytes. */
    size_t room = b.cap - b.len;
    for (size_t i = 0; i < room; i++)
        buf_append(&b, "x", 1);
    ASSERT_EQ(b.len, b.cap);
    ASSERT_MEMEQ(buf_ptr(&b), 8, "world 42", 8);
    buf_consume(&b, b.len + 5);
    ASSERT_EQ(b.len, 0);
    buf_clear(&b);
    ASSERT(b.data == NULL);
}

TEST(slice_nocase)
{
    ASSERT(slice_eq_cstr_nocase(SLICE_STR("Content-Length"), "content-length"));
    ASSERT(!slice_eq_cstr_nocase(SLICE_STR("Content-Length"), "content-lengt"));
    char *s = slice_strdup(SLICE_STR("abc"));
    ASSERT_STREQ(s, "abc");
    free(s);
}
