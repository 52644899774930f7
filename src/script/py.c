/*
 * The embedded interpreter: started once, isolated from the user's Python
 * set-up, with our `mitmproxy` package first on sys.path. Debian's
 * mitmproxy (in dist-packages) is never imported: our package directory
 * comes first, and python/mitmproxy/__init__.py turns an import of a
 * module it lacks into an ImportError instead of looking elsewhere.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "script/internal.h"
#include "script/script.h"
#include "util/log.h"

/* Where Debian's third-party packages live, after the standard library:
 * scripts import them (requests, yaml, ...). */
#define DIST_PACKAGES "/usr/lib/python3/dist-packages"

static int started;
static PyObject *http_flow_wrap; /* mitmproxy.http.HTTPFlow._wrap */
PyObject *script__log_exc;       /* mitmproxy._loader.log_exception */
static PyObject *hook_args;      /* mitmproxy._wrap.hook_args */
static PyObject *wrap_flow;      /* mitmproxy._wrap.flow */

static int
append_path(PyConfig *c, const char *dir, struct err *e)
{
    wchar_t *w = Py_DecodeLocale(dir, NULL);
    if (w == NULL) {
        err_set(e, MP_ERR_INVAL, "scripts: cannot decode the path %s", dir);
        return MP_ERR_INVAL;
    }
    PyStatus st = PyWideStringList_Append(&c->module_search_paths, w);
    PyMem_RawFree(w);
    if (PyStatus_Exception(st)) {
        err_set(e, MP_ERR_INVAL, "scripts: %s", st.err_msg ? st.err_msg : "sys.path");
        return MP_ERR_INVAL;
    }
    return 0;
}

static int
configure_python(const char *pydir, struct err *e)
{
    PyConfig c;
    PyConfig_InitIsolatedConfig(&c);
    /* Our loop owns the signals; site.py would add the user's site. */
    c.install_signal_handlers = 0;
    c.site_import = 0;
    c.write_bytecode = 0;
    c.module_search_paths_set = 1;
    PyStatus st = PyConfig_SetBytesString(&c, &c.home, MP_PY_PREFIX);
    if (!PyStatus_Exception(st))
        st = PyConfig_SetBytesString(&c, &c.program_name, "mitmdump");
    int rc = PyStatus_Exception(st) ? MP_ERR_INVAL : 0;
    if (rc == 0)
        rc = append_path(&c, pydir, e);
    if (rc == 0)
        rc = append_path(&c, MP_PY_STDLIB, e);
    if (rc == 0)
        rc = append_path(&c, MP_PY_DYNLOAD, e);
    if (rc == 0)
        rc = append_path(&c, DIST_PACKAGES, e);
    if (rc == 0) {
        st = Py_InitializeFromConfig(&c);
        if (PyStatus_Exception(st))
            rc = MP_ERR_INVAL;
    }
    if (rc < 0 && e && e->code == 0)
        err_set(e, rc, "scripts: Python does not start: %s", st.err_msg ? st.err_msg : "?");
    PyConfig_Clear(&c);
    return rc;
}

static PyObject *
import_attr(const char *module, const char *name)
{
    PyObject *m = PyImport_ImportModule(module);
    if (m == NULL)
        return NULL;
    PyObject *a = PyObject_GetAttrString(m, name);
    Py_DECREF(m);
    return a;
}

/*
 * The tool opens this plugin with RTLD_LOCAL, and libpython with it, so the
 * standard library's extension modules (lib-dynload: _contextvars, which
 * asyncio needs, _json, ...) could not find Python's symbols. Making the
 * libpython already loaded global fixes that.
 */
static void
libpython_global(void)
{
    Dl_info info;
    if (dladdr((void *)Py_InitializeFromConfig, &info) && info.dli_fname)
        dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
}

int
script_py_start(const char *pydir, struct err *e)
{
    if (started)
        return 0;
    libpython_global();
    char probe[4096];
    struct stat sb;
    snprintf(probe, sizeof(probe), "%s/mitmproxy/__init__.py", pydir);
    if (stat(probe, &sb) != 0) {
        err_set(e, MP_ERR_NOTFOUND, "scripts: our mitmproxy package is not in %s", pydir);
        return MP_ERR_NOTFOUND;
    }
    if (PyImport_AppendInittab("_mitmproxy_c", script__init_module) < 0) {
        err_set(e, MP_ERR_INVAL, "scripts: cannot add the mitmproxy._c module");
        return MP_ERR_INVAL;
    }
    int rc = configure_python(pydir, e);
    if (rc < 0)
        return rc;
    started = 1;
    http_flow_wrap = import_attr("mitmproxy.http", "_wrap_flow");
    script__log_exc = http_flow_wrap ? import_attr("mitmproxy._loader", "log_exception") : NULL;
    hook_args = script__log_exc ? import_attr("mitmproxy._wrap", "hook_args") : NULL;
    wrap_flow = hook_args ? import_attr("mitmproxy._wrap", "flow") : NULL;
    if (wrap_flow == NULL) {
        PyErr_Print();
        err_set(e, MP_ERR_INVAL, "scripts: our mitmproxy package in %s does not import", pydir);
        return MP_ERR_INVAL;
    }
    return 0;
}

void
script__log_exception(const char *what)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL)
        return;
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb)
        PyException_SetTraceback(value, tb);
    PyObject *r = PyObject_CallFunction(script__log_exc, "Os", value ? value : Py_None, what);
    if (r == NULL) {
        /* The logger itself failed: say so plainly rather than lose both. */
        PyErr_Clear();
        log_msg(LOG_ERROR, "%s: a Python exception could not be shown",
                what ? what : "Addon error");
    }
    Py_XDECREF(r);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
}

PyObject *
script__http_flow(struct flow *f)
{
    PyObject *c = script__flow_new(f);
    if (c == NULL)
        return NULL;
    PyObject *r = PyObject_CallOneArg(http_flow_wrap, c);
    Py_DECREF(c);
    return r;
}

PyObject *
script__hook_args(const struct hook_data *d)
{
    PyObject *flows = PyList_New(0);
    for (size_t i = 0; flows && i < d->nflows; i++) {
        PyObject *f = script__flow_new(d->flows[i]);
        if (f == NULL || PyList_Append(flows, f) < 0)
            Py_CLEAR(flows);
        Py_XDECREF(f);
    }
    PyObject *data = NULL;
    if (d->next_layer || d->clienthello || d->tls || d->socks5_auth)
        data = script__data_new(d);
    else
        data = (Py_INCREF(Py_None), Py_None);
    PyObject *flow = d->flow ? script__flow_new(d->flow) : (Py_INCREF(Py_None), Py_None);
    PyObject *client = script__conn_new(d->client);
    PyObject *server = script__conn_new(d->server);
    PyObject *r = NULL;
    if (flows && data && flow && client && server)
        r = PyObject_CallFunction(hook_args, "sOOOOO", hook_name(d->hook), flow, client, server,
                                  data, flows);
    Py_XDECREF(flows);
    Py_XDECREF(data);
    Py_XDECREF(flow);
    Py_XDECREF(client);
    Py_XDECREF(server);
    if (r == Py_None)
        Py_CLEAR(r);
    return r;
}

PyObject *
script__wrap_flow(struct flow *f)
{
    PyObject *c = script__flow_new(f);
    if (c == NULL)
        return NULL;
    PyObject *r = PyObject_CallOneArg(wrap_flow, c);
    Py_DECREF(c);
    return r;
}
