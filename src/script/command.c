/*
 * Script commands (mitmproxy's @command.command and loader.add_command) in
 * our command registry, so ctx.master.commands.call()/execute(), the
 * console's prompt and mitmweb reach them like built-in ones. A command's
 * function is the Python callable; the registry parses the arguments by
 * their types and this trampoline hands them over as Python values (flows
 * as mitmproxy's flow classes) and takes the result back by the declared
 * return type. command_call is the other way round (ctx.master.commands
 * .call): a script calls any command, and its result comes back through
 * the same conversion.
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include <stdlib.h>

#include "commands/commands.h"
#include "flow/flow.h"
#include "master/master.h"
#include "util/xmalloc.h"

static PyObject *
flows_list(const struct cmds_flows *fl)
{
    PyObject *l = PyList_New(0);
    for (size_t i = 0; l && i < fl->n; i++) {
        PyObject *o = script__wrap_flow(fl->v[i]);
        if (o == NULL || PyList_Append(l, o) < 0)
            Py_CLEAR(l);
        Py_XDECREF(o);
    }
    return l;
}

static PyObject *
value(const struct cmds_value *v)
{
    switch (v->type) {
    case CMDS_INT:
        return PyLong_FromLong(v->i);
    case CMDS_BOOL:
        return PyBool_FromLong(v->b);
    case CMDS_BYTES:
        return PyBytes_FromStringAndSize(v->s, (Py_ssize_t)v->len);
    case CMDS_STRS:
    case CMDS_CUTSPEC: {
        PyObject *l = PyList_New(0);
        for (size_t i = 0; l && i < v->strs.n; i++) {
            PyObject *s = PyUnicode_FromString(v->strs.v[i]);
            if (s == NULL || PyList_Append(l, s) < 0)
                Py_CLEAR(l);
            Py_XDECREF(s);
        }
        return l;
    }
    case CMDS_FLOW:
        if (v->flow == NULL)
            Py_RETURN_NONE;
        return script__wrap_flow(v->flow);
    case CMDS_FLOWS:
        return flows_list(&v->flows);
    case CMDS_NONE:
        Py_RETURN_NONE;
    default:
        return script__str(v->s);
    }
}

/* The callable's result as the command's declared type. */
static int
result(struct cmds_call *c, enum cmds_type ret, PyObject *r, struct err *e)
{
    if (r == Py_None || ret == CMDS_NONE)
        return 0;
    switch (ret) {
    case CMDS_INT: {
        long n = PyLong_AsLong(r);
        if (n == -1 && PyErr_Occurred())
            break;
        cmds_return_int(c, n);
        return 0;
    }
    case CMDS_BOOL:
        cmds_return_bool(c, PyObject_IsTrue(r));
        return 0;
    case CMDS_STRS: {
        struct strv sv = {0};
        PyObject *it = PyObject_GetIter(r);
        for (PyObject *x; it && (x = PyIter_Next(it));) {
            PyObject *s = PyObject_Str(x);
            const char *u = s ? PyUnicode_AsUTF8(s) : NULL;
            if (u)
                strv_push(&sv, u);
            Py_XDECREF(s);
            Py_DECREF(x);
        }
        Py_XDECREF(it);
        if (PyErr_Occurred()) {
            strv_clear(&sv);
            break;
        }
        cmds_return_strs(c, &sv);
        return 0;
    }
    default: {
        PyObject *s = PyObject_Str(r);
        const char *u = s ? PyUnicode_AsUTF8(s) : NULL;
        if (u)
            cmds_return_str(c, u);
        Py_XDECREF(s);
        if (u)
            return 0;
    }
    }
    PyErr_Clear();
    return err_set(e, MP_ERR_INVAL, "the command returned a value that is not a %s",
                   cmds_type_name(ret));
}

struct pycmd {
    PyObject *fn;
    enum cmds_type ret;
};

static int
trampoline(void *arg, struct cmds_call *c, struct err *e)
{
    struct pycmd *pc = arg;
    PyGILState_STATE g = PyGILState_Ensure();
    size_t n = cmds_nargs(c);
    PyObject *args = PyTuple_New((Py_ssize_t)n);
    for (size_t i = 0; args && i < n; i++) {
        PyObject *v = value(cmds_arg(c, i));
        if (v == NULL)
            Py_CLEAR(args);
        else
            PyTuple_SET_ITEM(args, (Py_ssize_t)i, v);
    }
    PyObject *r = args ? PyObject_Call(pc->fn, args, NULL) : NULL;
    Py_XDECREF(args);
    int rc = 0;
    if (r == NULL) {
        /* The message the script raised, as mitmproxy's CommandError. */
        PyObject *type, *val, *tb;
        PyErr_Fetch(&type, &val, &tb);
        PyObject *s = val ? PyObject_Str(val) : NULL;
        const char *u = s ? PyUnicode_AsUTF8(s) : NULL;
        rc = err_set(e, MP_ERR_INVAL, "%s", u && *u ? u : "the command raised an exception");
        PyErr_Clear();
        Py_XDECREF(s);
        Py_XDECREF(type);
        Py_XDECREF(val);
        Py_XDECREF(tb);
    } else {
        rc = result(c, pc->ret, r, e);
        Py_DECREF(r);
    }
    PyGILState_Release(g);
    return rc;
}

/* The C flow of a mitmproxy flow object (its _f) or of a _c.Flow; NULL
 * without an exception for anything else. */
static struct flow *
flow_of(PyObject *o)
{
    if (PyObject_TypeCheck(o, &script__flow_type))
        return script__flow_of(o);
    PyObject *c = PyObject_HasAttrString(o, "_f") ? PyObject_GetAttrString(o, "_f") : NULL;
    struct flow *f = c && PyObject_TypeCheck(c, &script__flow_type) ? script__flow_of(c) : NULL;
    Py_XDECREF(c);
    PyErr_Clear();
    return f;
}

/*
 * A Python argument as a command value: a flow as FLOW, a list of flows
 * as FLOWS (so a copy no store holds still reaches replay.client), bytes
 * as BYTES, a list of str as STRS; anything else as its str(), which the
 * command's parameter type parses (flow specifications such as "@all"
 * included). -1 with the Python exception raised.
 */
static int
arg_value(PyObject *o, struct cmds_value *v)
{
    struct flow *f = flow_of(o);
    if (f) {
        v->type = CMDS_FLOW;
        v->flow = flow_ref(f);
        return 0;
    }
    if (PyBytes_Check(o)) { /* inject.websocket's message */
        v->type = CMDS_BYTES;
        v->len = (size_t)PyBytes_GET_SIZE(o);
        v->s = xmalloc(v->len + 1);
        memcpy(v->s, PyBytes_AS_STRING(o), v->len + 1);
        return 0;
    }
    if (PyList_Check(o) || PyTuple_Check(o)) {
        Py_ssize_t n = PySequence_Size(o);
        if (n < 0)
            return -1;
        int flows = 1, strs = 1;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *x = PySequence_GetItem(o, i);
            flows &= x && flow_of(x) != NULL;
            strs &= x && PyUnicode_Check(x);
            Py_XDECREF(x);
        }
        if (flows) {
            v->type = CMDS_FLOWS;
            v->flows.v = xcalloc(n ? (size_t)n : 1, sizeof(*v->flows.v));
            for (Py_ssize_t i = 0; i < n; i++) {
                PyObject *x = PySequence_GetItem(o, i);
                v->flows.v[v->flows.n++] = flow_ref(flow_of(x));
                Py_DECREF(x);
            }
            return 0;
        }
        if (strs && n > 0) {
            v->type = CMDS_STRS;
            for (Py_ssize_t i = 0; i < n; i++) {
                PyObject *x = PySequence_GetItem(o, i);
                const char *u = PyUnicode_AsUTF8(x);
                if (u)
                    strv_push(&v->strs, u);
                Py_DECREF(x);
                if (u == NULL)
                    return -1;
            }
            return 0;
        }
    }
    PyObject *s =
        PyBool_Check(o) ? PyUnicode_FromString(o == Py_True ? "true" : "false") : PyObject_Str(o);
    const char *u = s ? PyUnicode_AsUTF8(s) : NULL;
    if (u) {
        v->type = CMDS_STR;
        v->s = xstrdup(u);
    }
    Py_XDECREF(s);
    return u ? 0 : -1;
}

/* A call's result as Python, or its error as mitmproxy's CommandError. */
static PyObject *
outcome(int rc, struct cmds_value *ret, const struct err *e)
{
    PyObject *r = NULL;
    if (rc < 0) {
        PyObject *mod = PyImport_ImportModule("mitmproxy.exceptions");
        PyObject *cls = mod ? PyObject_GetAttrString(mod, "CommandError") : NULL;
        PyErr_Clear();
        PyErr_SetString(cls ? cls : PyExc_RuntimeError, e->msg);
        Py_XDECREF(cls);
        Py_XDECREF(mod);
    } else {
        r = value(ret);
    }
    cmds_value_clear(ret);
    return r;
}

/* The command a command_call*(name, *args) call names (borrowed from
 * args), or NULL with an exception: no registry, or no name. */
static const char *
called(PyObject *args, const char *fn)
{
    if (script__master == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "no command registry here");
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) < 1) {
        PyErr_Format(PyExc_TypeError, "%s(name, *args)", fn);
        return NULL;
    }
    return PyUnicode_AsUTF8(PyTuple_GET_ITEM(args, 0));
}

/* command_call(name, *args): mitmproxy's commands.call, the arguments as
 * arg_value() makes them. */
static PyObject *
command_call(PyObject *self, PyObject *args)
{
    const char *name = called(args, "command_call");
    if (name == NULL)
        return NULL;
    size_t nargs = (size_t)PyTuple_GET_SIZE(args) - 1;
    struct cmds_value *vals = xcalloc(nargs ? nargs : 1, sizeof(*vals));
    for (size_t i = 0; i < nargs; i++) {
        if (arg_value(PyTuple_GET_ITEM(args, (Py_ssize_t)i + 1), &vals[i]) < 0) {
            for (size_t k = 0; k <= i; k++)
                cmds_value_clear(&vals[k]);
            free(vals);
            return NULL;
        }
    }
    struct cmds_value ret = {0};
    struct err e = {0};
    int rc = cmds_call_values(master_commands(script__master), name, vals, nargs, &ret, &e);
    free(vals);
    return outcome(rc, &ret, &e);
}

/* command_call_strings(name, *args): mitmproxy's call_strings and
 * execute, every argument a string parsed by its parameter's type. */
static PyObject *
command_call_strings(PyObject *self, PyObject *args)
{
    const char *name = called(args, "command_call_strings");
    if (name == NULL)
        return NULL;
    struct strv sv = {0};
    for (Py_ssize_t i = 1; i < PyTuple_GET_SIZE(args); i++) {
        PyObject *s = PyObject_Str(PyTuple_GET_ITEM(args, i));
        const char *u = s ? PyUnicode_AsUTF8(s) : NULL;
        if (u)
            strv_push(&sv, u);
        Py_XDECREF(s);
        if (u == NULL) {
            strv_clear(&sv);
            return NULL;
        }
    }
    struct cmds_value ret = {0};
    struct err e = {0};
    int rc =
        cmds_call(master_commands(script__master), name, (const char *const *)sv.v, sv.n, &ret, &e);
    strv_clear(&sv);
    return outcome(rc, &ret, &e);
}

static int
type_named(const char *name, enum cmds_type *out)
{
    for (int t = CMDS_NONE; t <= CMDS_UNKNOWN; t++) {
        if (strcmp(cmds_type_name((enum cmds_type)t), name) == 0) {
            *out = (enum cmds_type)t;
            return 0;
        }
    }
    PyErr_Format(PyExc_TypeError, "no such command type: %s", name);
    return -1;
}

/*
 * add_command(name, help, [(param, type, variadic[, optional]), ...], return
 * type, fn): types by the names --commands shows ("str", "flow[]", ...);
 * an optional parameter has a default in Python and may be left out, with
 * those after it. A command added again (a reloaded script) replaces the
 * old one; the old callable stays referenced, as the registry may still
 * be running it.
 */
static PyObject *
add_command(PyObject *self, PyObject *args)
{
    const char *name, *help, *ret;
    PyObject *params, *fn;
    if (!PyArg_ParseTuple(args, "szOsO", &name, &help, &params, &ret, &fn))
        return NULL;
    if (script__master == NULL)
        return PyErr_Format(PyExc_RuntimeError, "no command registry here");
    struct pycmd *pc = calloc(1, sizeof(*pc));
    if (pc == NULL || type_named(ret, &pc->ret) < 0) {
        free(pc);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
    PyObject *seq = PySequence_Fast(params, "params must be a sequence");
    Py_ssize_t n = seq ? PySequence_Fast_GET_SIZE(seq) : 0;
    struct cmds_param *ps = calloc((size_t)n + 1, sizeof(*ps));
    int first_optional = -1;
    for (Py_ssize_t i = 0; seq && i < n; i++) {
        const char *pname, *ptype;
        int variadic, optional = 0;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "ssp|p", &pname, &ptype, &variadic,
                              &optional) ||
            type_named(ptype, &ps[i].type) < 0)
            goto fail;
        ps[i].name = pname;
        ps[i].variadic = variadic;
        if (optional && first_optional < 0)
            first_optional = (int)i;
    }
    if (seq == NULL)
        goto fail;
    struct err e = {0};
    if (cmds_add(master_commands(script__master), name, help, ps, (size_t)n, pc->ret, trampoline,
                 pc, &e) < 0) {
        PyErr_SetString(PyExc_ValueError, e.msg);
        goto fail;
    }
    if (first_optional >= 0)
        cmds_set_optional(master_commands(script__master), name, (size_t)first_optional);
    Py_INCREF(fn);
    pc->fn = fn;
    free(ps);
    Py_DECREF(seq);
    Py_RETURN_NONE;
fail:
    free(ps);
    free(pc);
    Py_XDECREF(seq);
    return NULL;
}

PyMethodDef script__command_methods[] = {
    {"command_call", command_call, METH_VARARGS, "Calls a command with Python values."},
    {"command_call_strings", command_call_strings, METH_VARARGS,
     "Calls a command with string arguments."},
    {"add_command", add_command, METH_VARARGS, "Adds a command to the registry."},
    {NULL},
};
