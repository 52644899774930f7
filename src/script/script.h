/*
 * Python addon scripts (-s) on an embedded CPython: mitmproxy's
 * ScriptLoader and Script addons, and the `mitmproxy` package scripts
 * import (python/mitmproxy/ in the tree, on top of the C extension module
 * mitmproxy._c defined here).
 *
 * This module is built as a plugin (mitmproxy-script.so) that the master
 * opens only when a script is given (master_load_scripts()), so a tool
 * without scripts never starts Python. Everything here runs on the loop's
 * thread, which holds the GIL for good: there are no other Python threads.
 */
#ifndef MP_SCRIPT_SCRIPT_H
#define MP_SCRIPT_SCRIPT_H

#include "util/err.h"

struct addon;
struct flow;
struct master;

/*
 * Starts the interpreter (isolated: no user site, no environment; pydir,
 * the directory holding our `mitmproxy` package, first on sys.path, then
 * the standard library and Debian's dist-packages for what scripts
 * import) and returns the script loader addon. The scripts option's
 * scripts load when the addon is first configured. m is borrowed for the
 * life of the process. NULL with e when Python cannot start or our package
 * is not in pydir.
 */
struct addon *script_loader_new(struct master *m, const char *pydir, struct err *e);

/*
 * mitmproxy's script.run: loads the script at path once, apart from the
 * scripts option, configures it with every option, calls its running(),
 * then on each of the n flows (borrowed) the hooks that flow went through
 * (requestheaders, request, responseheaders, response, error; tcp_start,
 * tcp_end), and done(). Starts the interpreter if no script did (m may be
 * NULL in tests). MP_ERR_NOTFOUND for a path that is no file ("No such
 * script"), MP_ERR_INVAL when it does not load; an error in a hook is
 * logged, as in a loaded script. The plugin's second entry point.
 */
int script_run_once(struct master *m, const char *pydir, const char *path,
                    struct flow *const *flows, size_t n, struct err *e);

/*
 * Starts the interpreter alone (script_loader_new() does it): for the unit
 * tests, with no master (ctx.options and commands are then unavailable).
 * Starting it again is a no-op.
 */
int script_py_start(const char *pydir, struct err *e);

#endif
