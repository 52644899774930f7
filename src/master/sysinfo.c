/*
 * --sysinfo (and mitmdump's and mitmproxy's --version): what a bug report
 * needs, in the shape of mitmproxy 8.1.1's `mitmdump --version`. The Python
 * line comes from the script plugin the tool would load for -s, so it shows
 * whether scripts work from where the tool is installed, and which package
 * directory they would import `mitmproxy` from.
 */
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "flow/flowfile.h"
#include "master/internal.h"
#include "master/master.h"
#include "util/version.h"

/*
 * The version of the CPython the plugin links ("3.11.2"), asked of the
 * library itself: Py_GetVersion() is one of the calls CPython allows before
 * the interpreter is initialized, and nothing here initializes it. -1 when
 * the plugin is missing or does not load.
 */
static int
python_version(char *out, size_t outlen, char *pydir, size_t pydirlen)
{
    char so[PATH_MAX + 64];
    if (master__script_find(so, sizeof(so), pydir, pydirlen, NULL) < 0)
        return -1;
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        return -1;
    const char *(*get)(void);
    *(void **)&get = dlsym(h, "Py_GetVersion");
    int rc = -1;
    if (get != NULL) {
        const char *v = get();
        snprintf(out, outlen, "%.*s", (int)strcspn(v, " "), v);
        rc = 0;
    }
    dlclose(h);
    return rc;
}

void
master_sysinfo(FILE *f, int scripts)
{
    fprintf(f, "Mitmproxy: %s (mitmproxy-c, behaves as mitmproxy %s)\n", MP_VERSION,
            MP_COMPAT_MITMPROXY);
    fprintf(f, "Flow format: %d\n", FFILE_WRITE_VERSION);
    char py[64], pydir[PATH_MAX];
    if (scripts && python_version(py, sizeof(py), pydir, sizeof(pydir)) == 0)
        fprintf(f, "Python:    %s (scripts: %s)\n", py, pydir);
    fprintf(f, "OpenSSL:   %s\n", OpenSSL_version(OPENSSL_VERSION));
    /* Python's platform.platform() on Linux, as 8.1.1 prints it. */
    struct utsname u;
    if (uname(&u) == 0)
        fprintf(f, "Platform:  %s-%s-%s-with-glibc%s\n", u.sysname, u.release, u.machine,
                gnu_get_libc_version());
}
