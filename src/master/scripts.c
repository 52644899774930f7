/*
 * Python scripts (-s): the script loader (src/script/, mitmproxy's
 * ScriptLoader) embeds CPython, so it is built as a plugin the tool opens
 * only when a script is given. A tool without scripts never maps libpython
 * and starts as fast as before. The plugin and our `mitmproxy` Python
 * package are found next to the tool (the build tree: build/mitmdump,
 * build/mitmproxy-script.so, build/python -> ../python) or where an
 * installation puts them ($PREFIX/bin/mitmdump, $PREFIX/lib/mitmproxy-c/).
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "master/internal.h"

/* The plugin's one entry point (script/script.h). */
#define SCRIPT_ENTRY "script_loader_new"

static int
exe_dir(char *out, size_t outlen)
{
    ssize_t n = readlink("/proc/self/exe", out, outlen - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    return 0;
}

static int
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

master__script_new_cb
master__script_plugin(char *pydir, size_t pydirlen, struct err *e)
{
    char dir[PATH_MAX], so[PATH_MAX + 64];
    if (exe_dir(dir, sizeof(dir)) < 0) {
        err_set(e, MP_ERR_IO, "scripts: cannot find the directory of this program");
        return NULL;
    }
    /* The build tree first, then an installation's layout. */
    for (int i = 0; i < 2; i++) {
        if (i == 0) {
            snprintf(so, sizeof(so), "%s/mitmproxy-script.so", dir);
            snprintf(pydir, pydirlen, "%s/python", dir);
        } else {
            snprintf(so, sizeof(so), "%s/../lib/mitmproxy-c/script.so", dir);
            snprintf(pydir, pydirlen, "%s/../lib/mitmproxy-c/python", dir);
        }
        if (!is_file(so))
            continue;
        void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
        if (h == NULL) {
            err_set(e, MP_ERR_IO, "scripts: cannot load %s: %s", so, dlerror());
            return NULL;
        }
        /* The plugin stays loaded until the process ends: Python cannot
         * be unloaded. */
        master__script_new_cb fn;
        *(void **)&fn = dlsym(h, SCRIPT_ENTRY);
        if (fn == NULL)
            err_set(e, MP_ERR_IO, "scripts: %s has no %s", so, SCRIPT_ENTRY);
        return fn;
    }
    err_set(e, MP_ERR_NOTFOUND,
            "scripts: Python scripts are not available: no mitmproxy-script.so next to %s", dir);
    return NULL;
}
