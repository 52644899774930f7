#include <stdlib.h>

#include "../lib/test.h"
#include "util/path.h"

static void
check(const char *in, const char *want)
{
    char *got = path_expand_home(in);
    ASSERT_STREQ(got, want);
    free(got);
}

TEST(path_expand_home_as_python_expanduser)
{
    setenv("HOME", "/home/u/", 1);
    check("~", "/home/u");
    check("~/.mitmproxy", "/home/u/.mitmproxy");
    check("~user/x", "~user/x");
    check("/abs/~", "/abs/~");
    check("rel", "rel");
    setenv("HOME", "/", 1);
    check("~/x", "/x");
    check("~", "/");
}
