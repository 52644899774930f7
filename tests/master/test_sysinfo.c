/*
 * --sysinfo and the plugin lookup behind its Python line. The unit test
 * binary lives in build/asan/tests/, with no plugin beside it or in
 * ../lib/mitmproxy-c/, so the lookup fails there, naming where it looked,
 * and the block has no Python line; the e2e tests see it with the plugin,
 * in the build tree and installed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "master/internal.h"
#include "master/master.h"

static char *
sysinfo(int scripts)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    master_sysinfo(f, scripts);
    fclose(f);
    return text;
}

TEST(sysinfo_shape)
{
    char *text = sysinfo(0);
    ASSERT(strncmp(text, "Mitmproxy: ", 11) == 0);
    ASSERT(strstr(text, "(mitmproxy-c, behaves as mitmproxy 8.1.1)\n") != NULL);
    ASSERT(strstr(text, "\nFlow format: 17\n") != NULL);
    ASSERT(strstr(text, "\nOpenSSL:   OpenSSL ") != NULL);
    ASSERT(strstr(text, "\nPlatform:  Linux-") != NULL);
    ASSERT(strstr(text, "-with-glibc") != NULL);
    ASSERT(strstr(text, "Python:") == NULL);
    free(text);
}

TEST(sysinfo_without_plugin_has_no_python_line)
{
    char *text = sysinfo(1);
    ASSERT(strstr(text, "Python:") == NULL);
    ASSERT(strstr(text, "\nOpenSSL:   ") != NULL);
    free(text);
}

TEST(sysinfo_plugin_lookup_names_both_places)
{
    char so[PATH_MAX + 64], pydir[PATH_MAX];
    struct err e = {0};
    ASSERT_EQ(master__script_find(so, sizeof(so), pydir, sizeof(pydir), &e), MP_ERR_NOTFOUND);
    ASSERT(strstr(e.msg, "no mitmproxy-script.so next to ") != NULL);
    ASSERT(strstr(e.msg, "/tests or in ") != NULL);
    ASSERT(strstr(e.msg, "/lib/mitmproxy-c") != NULL);
}
