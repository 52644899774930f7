/* Percent-decoding as urllib.parse.unquote / unquote_plus. */
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
