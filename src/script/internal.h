/* Shared between the script module's files; not for other modules. */
#ifndef MP_SCRIPT_INTERNAL_H
#define MP_SCRIPT_INTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "proxy/hook.h"

struct connection;
struct flow;
struct master;

/* The master scripts reach through ctx (borrowed); NULL in unit tests. */
extern struct master *script__master;
/*
 * The options being configured while the loader's configure() runs (the
 * master commits them only once every addon took them), so that a
 * script's configure(updated) reads the new values; NULL otherwise.
 */
struct options;
extern const struct options *script__configuring;

/* io.c: flow filters, flow files, copies (added to mitmproxy._c). */
extern PyMethodDef script__io_methods[];
/* contentview.c: a script's content views among ours, ours for scripts. */
extern PyMethodDef script__contentview_methods[];
/* command.c: add_command, script commands in our registry. */
extern PyMethodDef script__command_methods[];
/* loader.c: script_addons(): every script addon object loaded now. */
PyObject *script__addons(PyObject *self, PyObject *unused);
/* configure's updated: a new set of the names of the options in updated
 * (every option for NULL), or NULL with an exception. */
struct opt_changes;
PyObject *script__updated_set(const struct opt_changes *updated);
/* The mitmproxy flow object (HTTPFlow, TCPFlow, DNSFlow) over f, whose
 * _c.Flow takes a reference; NULL with an exception. */
PyObject *script__wrap_flow(struct flow *f);

/* module.c: the mitmproxy._c extension module, built into the plugin. */
PyObject *script__init_module(void);

/*
 * text.c: the proxy's C strings as str and back, undecodable bytes as
 * surrogates both ways. script__str: a new str, or None for NULL.
 * script__utf8: the bytes of the str v, borrowed from *keep (a new
 * reference the caller drops); NULL with TypeError for anything but a
 * str, ValueError for a NUL character.
 */
PyObject *script__str(const char *s);
const char *script__utf8(PyObject *v, PyObject **keep);

/*
 * Logs the Python exception being raised (and clears it) with its
 * traceback, as mitmproxy's safecall does: "Addon error: Traceback ...".
 * what, if not NULL, replaces "Addon error" (a script that fails to load).
 */
void script__log_exception(const char *what);
/* The Python function it calls, mitmproxy._loader.log_exception (set
 * once the interpreter started), for Python code that logs the same way
 * (aio.c's tasks). */
extern PyObject *script__log_exc;

/* tns.c: flow-file values (flow.metadata) as Python values: a new
 * reference (NULL gives {}), or NULL with a Python error. */
struct tns;
PyObject *script__tns_to_py(const struct tns *t);
/* The other way: an owned tree, or NULL with TypeError for a value a flow
 * file cannot store. */
struct tns *script__py_to_tns(PyObject *o);

/* flow.c: _c.Flow, a view that holds one reference on a C flow. */
extern PyTypeObject script__flow_type;
/* A new _c.Flow over f (a reference is taken). */
PyObject *script__flow_new(struct flow *f);
/* The flow a _c.Flow views (borrowed), or NULL with TypeError set. */
struct flow *script__flow_of(PyObject *o);

/* conn.c: _c.Conn, a view that holds one reference on a connection. */
extern PyTypeObject script__conn_type;
/* A new _c.Conn over c (a reference is taken), or None for NULL. */
PyObject *script__conn_new(struct connection *c);
/* The connection a _c.Conn views (borrowed), or NULL with TypeError set. */
struct connection *script__conn_of(PyObject *o);

/* data.c: _c.Data, the data of next_layer, tls_* and socks5_auth, with a
 * reference on each of its parts. */
extern PyTypeObject script__data_type;
PyObject *script__data_new(const struct hook_data *d);

/*
 * message.c: _c.Message, a view of a flow's request or response (holding
 * a reference on the flow), or a message of its own that Request.make and
 * Response.make build until it is given to a flow.
 */
extern PyTypeObject script__message_type;
PyObject *script__message_view(struct flow *f, int response);
/* Puts the message m into f's request (response=0) or response slot,
 * taking it when it is standalone, copying it otherwise. */
int script__message_attach(PyObject *m, struct flow *f, int response);

/*
 * hooks.c: the hooks scripts get, each with the arguments it takes. The
 * script loader calls a script's function named hook_name(hook) with the
 * tuple args() builds. A hook of issue 13 that is missing here is one row
 * and, when its data is new, one converter.
 */
struct script__hook {
    enum hook hook;
    /* A new tuple of the Python arguments, or NULL with an exception. */
    PyObject *(*args)(const struct hook_data *);
};
extern const struct script__hook script__hooks[];
extern const size_t script__nhooks;
/* The row of hook h, or NULL when scripts do not get that hook. */
const struct script__hook *script__hook_find(enum hook h);

/*
 * aio.c: the asyncio loop on ours. init makes the loop (before any script
 * runs); start runs an awaitable as a task that calls resume(token) when
 * it is through (RuntimeError without the proxy's loop, as in the unit
 * tests); kick runs what is ready; stop (done) cancels the tasks still
 * running, so the hooks they hold are through, and drops the loop's
 * handles.
 */
int script__aio_init(void);
int script__aio_start(PyObject *awaitable, PyObject *token, PyObject *resume);
void script__aio_kick(void);
void script__aio_stop(void);

/*
 * reload.c: hot reload. changed(arg, path) runs on the loop's thread when
 * the script at path (as given to add) was saved. attach starts watching
 * once the proxy's server exists (before, nothing is reported); detach
 * drops the loop's handle (done); free closes the rest.
 */
typedef void (*script__changed_cb)(void *arg, const char *path);
struct script__reload;
struct script__reload *script__reload_new(script__changed_cb changed, void *arg);
void script__reload_add(struct script__reload *, const char *path);
void script__reload_attach(struct script__reload *);
void script__reload_detach(struct script__reload *);
void script__reload_free(struct script__reload *);

/* The mitmproxy.http.HTTPFlow over f (py.c caches the class). */
PyObject *script__http_flow(struct flow *f);
/*
 * The arguments of any other hook, as mitmproxy.\_wrap.hook_args builds
 * them from the C views of d's parts; NULL with no exception when the
 * hook is not for scripts (a flow hook without a flow).
 */
PyObject *script__hook_args(const struct hook_data *d);

#endif
