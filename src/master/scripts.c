/*
 * Python scripts (-s): the script loader (src/script/, mitmproxy's
 * ScriptLoader) embeds CPython, so it is built as a plugin the tool opens
 * only when a script is given. A tool without scripts never maps libpython
 * and starts as fast as before. The plugin and our `mitmproxy` Python
 * package are found from the tool's own location, never from the source
 * tree or the working directory: next to it in the build tree
 * (build/mitmdump, build/mitmproxy-script.so, build/python -> ../python), or
 * where `make install` and the .deb put them ($PREFIX/bin/mitmdump,
 * $PREFIX/lib/mitmproxy-c/mitmproxy-script.so and .../python), so an
 * installed tree works wherever DESTDIR or the package put it.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "master/internal.h"
#include "master/master.h"

/* The plugin's entry points (script/script.h). */
#define SCRIPT_ENTRY "script_loader_new"
#define SCRIPT_RUN_ENTRY "script_run_once"
#define SCRIPT_SO "mitmproxy-script.so"
/* Relative to the parent of the tool's bin/, as scripts/install.sh lays it out. */
#define INSTALLED_LIBDIR "lib/mitmproxy-c"

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

int
master__script_find(char *so, size_t solen, char *pydir, size_t pydirlen, struct err *e)
{
    char dir[PATH_MAX];
    if (exe_dir(dir, sizeof(dir)) < 0)
        return err_set(e, MP_ERR_IO, "scripts: cannot find the directory of this program");
    /* The build tree first, then an installation's layout: bin/'s parent
     * (named without "..", as --sysinfo shows it). */
    const char *up = strrchr(dir, '/');
    int parent = up ? (int)(up - dir) : 0;
    for (int i = 0; i < 2; i++) {
        int n = i == 0 ? (int)strlen(dir) : parent;
        const char *sub = i == 0 ? "" : "/" INSTALLED_LIBDIR;
        snprintf(so, solen, "%.*s%s/" SCRIPT_SO, n, dir, sub);
        snprintf(pydir, pydirlen, "%.*s%s/python", n, dir, sub);
        if (is_file(so))
            return 0;
    }
    return err_set(e, MP_ERR_NOTFOUND,
                   "scripts: Python scripts are not available: no " SCRIPT_SO
                   " next to %s or in %.*s/" INSTALLED_LIBDIR,
                   dir, parent, dir);
}

/* The plugin's symbol name, the plugin opened first (it stays loaded
 * until the process ends: Python cannot be unloaded); NULL with e. */
static void *
plugin_symbol(const char *name, char *pydir, size_t pydirlen, struct err *e)
{
    char so[PATH_MAX + 64];
    if (master__script_find(so, sizeof(so), pydir, pydirlen, e) < 0)
        return NULL;
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        err_set(e, MP_ERR_IO, "scripts: cannot load %s: %s", so, dlerror());
        return NULL;
    }
    void *sym = dlsym(h, name);
    if (sym == NULL)
        err_set(e, MP_ERR_IO, "scripts: %s has no %s", so, name);
    return sym;
}

master__script_new_cb
master__script_plugin(char *pydir, size_t pydirlen, struct err *e)
{
    master__script_new_cb fn;
    *(void **)&fn = plugin_symbol(SCRIPT_ENTRY, pydir, pydirlen, e);
    return fn;
}

/* script_run_once() of script/script.h. */
typedef int (*script_run_cb)(struct master *, const char *pydir, const char *path,
                             struct flow *const *flows, size_t n, struct err *e);

int
master_script_run(struct master *m, const char *path, struct flow *const *flows, size_t n,
                  struct err *e)
{
    char pydir[PATH_MAX];
    script_run_cb fn;
    *(void **)&fn = plugin_symbol(SCRIPT_RUN_ENTRY, pydir, sizeof(pydir), e);
    if (fn == NULL)
        return e && e->code ? e->code : MP_ERR_NOTFOUND;
    return fn(m, pydir, path, flows, n, e);
}
