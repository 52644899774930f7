/*
 * The mode flags of the command line: --mode is repeatable (mitmproxy 9),
 * the first one replaces the default "regular", and the older spellings
 * (-R, -U, -T, --socks, --set mode=) give the same list.
 */
#include <string.h>

#include "../lib/test.h"
#include "options/cmdline.h"

/* Parses argv (NULL-terminated, without the program name) into a fresh options. */
static struct options *
parse(const char *const *args, struct err *e, int *rc)
{
    char *argv[16];
    int argc = 0;
    argv[argc++] = "mitmdump";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    struct options *o = opt_new();
    struct cmdline cl = {0};
    *rc = cmdline_parse(o, argc, argv, &cl, e);
    cmdline_clear(&cl);
    return o;
}

static void
assert_modes(const char *const *args, const char *const *want, size_t n)
{
    struct err e = {0};
    int rc;
    struct options *o = parse(args, &e, &rc);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(o->mode.n, n);
    for (size_t i = 0; i < n; i++)
        ASSERT_STREQ(o->mode.v[i], want[i]);
    opt_free(o);
}

TEST(cmdline_mode_default_and_repeat)
{
    assert_modes((const char *[]){NULL}, (const char *[]){"regular"}, 1);
    assert_modes((const char *[]){"--mode", "socks5", NULL}, (const char *[]){"socks5"}, 1);
    assert_modes((const char *[]){"--mode", "regular@8080", "-m", "socks5@1080", NULL},
                 (const char *[]){"regular@8080", "socks5@1080"}, 2);
    assert_modes((const char *[]){"--set", "mode=socks5@1", "--set", "mode=regular@2", NULL},
                 (const char *[]){"socks5@1", "regular@2"}, 2);
    assert_modes((const char *[]){"--mode=transparent", NULL}, (const char *[]){"transparent"}, 1);
}

TEST(cmdline_mode_old_spellings)
{
    assert_modes((const char *[]){"-R", "http://a:1", NULL}, (const char *[]){"reverse:http://a:1"},
                 1);
    assert_modes((const char *[]){"-U", "http://p:3128", NULL},
                 (const char *[]){"upstream:http://p:3128"}, 1);
    assert_modes((const char *[]){"--upstream", "https://p:3129", NULL},
                 (const char *[]){"upstream:https://p:3129"}, 1);
    assert_modes((const char *[]){"-T", NULL}, (const char *[]){"transparent"}, 1);
    assert_modes((const char *[]){"--socks", NULL}, (const char *[]){"socks5"}, 1);
    /* Mixed: still one list, in order. */
    assert_modes((const char *[]){"-T", "--mode", "socks5@1080", NULL},
                 (const char *[]){"transparent", "socks5@1080"}, 2);
}

TEST(cmdline_mode_set_empty)
{
    /* `--set mode` (no value) empties the list; the proxy then runs "regular". */
    assert_modes((const char *[]){"--set", "mode", NULL}, (const char *[]){NULL}, 0);
}
