/*
 * The mode flags of the command line: --mode is repeatable (mitmproxy 9),
 * the first one replaces the default "regular", and the older spellings
 * (-R, -U, -T, --socks, --set mode=) give the same list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* --sysinfo, like --version, is answered before config.yaml is read: a
 * broken one must not stop a bug report. */
TEST(cmdline_sysinfo_skips_the_config_file)
{
    char dir[] = "/tmp/mp-cmdline-XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    char path[64], confset[96];
    snprintf(path, sizeof(path), "%s/config.yaml", dir);
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs("listen_port: [not, a, port\n", f);
    fclose(f);
    snprintf(confset, sizeof(confset), "confdir=%s", dir);
    char *argv[] = {"mitmdump", "--set", confset, "--sysinfo", NULL};
    struct options *o = opt_new();
    struct cmdline cl = {0};
    struct err e = {0};
    ASSERT_EQ(cmdline_parse_config(o, 4, argv, &cl, &e), 0);
    ASSERT_EQ(cl.sysinfo, 1);
    cmdline_clear(&cl);
    opt_free(o);
    /* Without it, the same file is an error. */
    char *argv2[] = {"mitmdump", "--set", confset, NULL};
    o = opt_new();
    ASSERT(cmdline_parse_config(o, 3, argv2, &cl, &e) < 0);
    cmdline_clear(&cl);
    opt_free(o);
    unlink(path);
    rmdir(dir);
}
