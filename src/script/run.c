/*
 * A script run once over some flows (mitmproxy's script.run, which the
 * console's | calls): loaded apart from the scripts option, configured
 * with every option and told it is running, then each flow's hooks are
 * called on it in the order the flow went through them (mitmproxy's
 * eventsequence.iterate), and the script is dropped. As in mitmproxy the
 * load hook is not called, and an error in a hook is logged and the next
 * one runs. Hooks run synchronously: an async hook's coroutine is closed
 * unrun and said so, since nothing waits for it here.
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include <sys/stat.h>

#include "flow/flow.h"
#include "script/script.h"
#include "util/log.h"

/* Calls name(*args) on each object of objs that has it. */
static void
call_each(PyObject *objs, const char *name, PyObject *args)
{
    for (Py_ssize_t i = 0; args && i < PyList_GET_SIZE(objs); i++) {
        PyObject *fn = PyObject_GetAttrString(PyList_GET_ITEM(objs, i), name);
        if (fn == NULL || !PyCallable_Check(fn)) {
            PyErr_Clear();
            Py_XDECREF(fn);
            continue;
        }
        PyObject *r = PyObject_Call(fn, args, NULL);
        if (r == NULL) {
            script__log_exception(NULL);
        } else if (PyCoro_CheckExact(r)) {
            log_msg(LOG_WARN, "script.run: %s is async and was not run", name);
            PyObject *c = PyObject_CallMethod(r, "close", NULL);
            Py_XDECREF(c);
            PyErr_Clear();
        }
        Py_XDECREF(r);
        Py_DECREF(fn);
    }
}

/* The hooks a flow went through, in order (eventsequence.iterate). */
static size_t
flow_hooks(const struct flow *f, enum hook *out)
{
    size_t n = 0;
    if (f->type == FLOW_HTTP) {
        if (f->request) {
            out[n++] = HOOK_REQUESTHEADERS;
            out[n++] = HOOK_REQUEST;
        }
        if (f->response) {
            out[n++] = HOOK_RESPONSEHEADERS;
            out[n++] = HOOK_RESPONSE;
        }
        if (f->error)
            out[n++] = HOOK_ERROR;
    } else if (f->type == FLOW_TCP) {
        out[n++] = HOOK_TCP_START;
        out[n++] = f->error ? HOOK_TCP_ERROR : HOOK_TCP_END;
    }
    return n;
}

static void
run_flow(PyObject *objs, struct flow *f)
{
    enum hook hooks[8];
    size_t n = flow_hooks(f, hooks);
    for (size_t i = 0; i < n; i++) {
        struct hook_data d;
        hook_data_init(&d, hooks[i], f, NULL, NULL);
        const struct script__hook *row = script__hook_find(hooks[i]);
        PyObject *args = row ? row->args(&d) : NULL;
        if (args)
            call_each(objs, hook_name(hooks[i]), args);
        else if (PyErr_Occurred())
            script__log_exception(NULL);
        Py_XDECREF(args);
        hook_data_clear(&d);
    }
}

int
script_run_once(struct master *m, const char *pydir, const char *path, struct flow *const *flows,
                size_t n, struct err *e)
{
    struct stat st;
    if (path == NULL || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return err_set(e, MP_ERR_NOTFOUND, "No such script: %s", path ? path : "");
    int fresh = !Py_IsInitialized();
    if (script_py_start(pydir, e) < 0)
        return e && e->code ? e->code : MP_ERR_INVAL;
    if (script__master == NULL)
        script__master = m;
    /* The loop's thread holds the GIL only while it calls into Python, as
     * the script loader leaves it (script_loader_new). */
    if (fresh && m)
        PyEval_SaveThread();
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = 0;
    PyObject *helpers = PyImport_ImportModule("mitmproxy._loader");
    PyObject *ns =
        helpers ? PyObject_CallMethod(helpers, "load_script", "sO", path, Py_None) : NULL;
    PyObject *objs = ns && ns != Py_None ? PyObject_CallMethod(helpers, "traverse", "O", ns) : NULL;
    if (objs == NULL || !PyList_Check(objs)) {
        if (PyErr_Occurred())
            script__log_exception(NULL);
        rc = err_set(e, MP_ERR_INVAL, "script.run: %s did not load (see the event log)", path);
        goto out;
    }
    PyObject *updated = script__updated_set(NULL);
    PyObject *args = updated ? PyTuple_Pack(1, updated) : NULL;
    call_each(objs, "configure", args);
    Py_XDECREF(args);
    Py_XDECREF(updated);
    args = PyTuple_New(0);
    call_each(objs, "running", args);
    Py_XDECREF(args);
    for (size_t i = 0; i < n; i++)
        run_flow(objs, flows[i]);
    args = PyTuple_New(0);
    call_each(objs, "done", args);
    Py_XDECREF(args);
out:
    PyErr_Clear();
    Py_XDECREF(objs);
    Py_XDECREF(ns);
    Py_XDECREF(helpers);
    PyGILState_Release(g);
    return rc;
}
