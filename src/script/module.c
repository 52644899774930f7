/*
 * mitmproxy._c: what our Python package needs from the C side, and
 * nothing more: the Flow and Message view types, the log, the options
 * (read, set through the master, registered by loader.add_option), the
 * command registry (command.c), content views (contentview.c), and the
 * content codings (brotli and zstd included, which Python's standard
 * library lacks). ctx, http and addonmanager in
 * python/mitmproxy/ give scripts mitmproxy's names on top of this.
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include <stdlib.h>

#include "addons/addon.h"
#include "http/encoding.h"
#include "master/master.h"
#include "options/opt.h"
#include "util/buf.h"
#include "util/log.h"

struct master *script__master;
const struct options *script__configuring;

static PyObject *
py_log(PyObject *self, PyObject *args)
{
    int level;
    const char *msg;
    if (!PyArg_ParseTuple(args, "is", &level, &msg))
        return NULL;
    if (level < LOG_ERROR || level > LOG_DEBUG) {
        PyErr_Format(PyExc_ValueError, "no such log level: %d", level);
        return NULL;
    }
    log_msg((enum log_level)level, "%s", msg);
    Py_RETURN_NONE;
}

/*
 * Without a master (the extension module in a user's addon tests) the
 * options are a set of our own, with every default, which option_set
 * changes directly: taddons.context() configures addons on top of it.
 */
static struct options *standalone;

static const struct options *
options(void)
{
    if (script__master == NULL) {
        if (standalone == NULL)
            standalone = opt_new();
        return standalone;
    }
    return script__configuring ? script__configuring : master_options(script__master);
}

/* option_set without a master: all settings or none, on a copy. */
static int
standalone_set(const struct strv *set, struct err *e)
{
    struct options *next = opt_copy(options());
    for (size_t i = 0; i < set->n; i++) {
        if (opt_set_arg(next, set->v[i], e) < 0) {
            opt_free(next);
            return -1;
        }
    }
    opt_free(standalone);
    standalone = next;
    return 0;
}

static const struct opt_info *
find_option(const char *name)
{
    const struct opt_info *info = opt_find(name);
    if (info == NULL)
        PyErr_Format(PyExc_AttributeError, "No such option: %s", name);
    return info;
}

static PyObject *
option_value(const struct options *o, const struct opt_info *info)
{
    switch (info->type) {
    case OPT_BOOL:
        return PyBool_FromLong(opt_get_bool(o, info));
    case OPT_INT:
        return PyLong_FromLong(opt_get_int(o, info));
    case OPT_STR:
    case OPT_OPTSTR: {
        /* A typed text option reads as its type; opt_set() checked the text. */
        const char *s = opt_get_str(o, info);
        if (s == NULL || info->value == OPT_VALUE_TEXT)
            return script__str(s);
        if (info->value == OPT_VALUE_INT)
            return PyLong_FromString(s, NULL, 10);
        if (info->value == OPT_VALUE_FLOAT)
            return PyFloat_FromDouble(strtod(s, NULL));
        return PyBool_FromLong(strcmp(s, "true") == 0);
    }
    case OPT_SEQ: {
        const struct strv *sv = opt_get_seq(o, info);
        PyObject *t = PyTuple_New((Py_ssize_t)sv->n);
        for (size_t i = 0; t && i < sv->n; i++) {
            PyObject *s = script__str(sv->v[i]);
            if (s == NULL)
                Py_CLEAR(t);
            else
                PyTuple_SET_ITEM(t, (Py_ssize_t)i, s);
        }
        return t;
    }
    }
    Py_RETURN_NONE;
}

static PyObject *
option_get(PyObject *self, PyObject *arg)
{
    const char *name = PyUnicode_AsUTF8(arg);
    const struct options *o = name ? options() : NULL;
    const struct opt_info *info = o ? find_option(name) : NULL;
    return info ? option_value(o, info) : NULL;
}

/* options_reset(): without a master, every option back to its default
 * (a new taddons.context()); with one, nothing. */
static PyObject *
options_reset(PyObject *self, PyObject *unused)
{
    if (script__master == NULL) {
        opt_free(standalone);
        standalone = NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
option_names(PyObject *self, PyObject *unused)
{
    PyObject *l = PyList_New(0);
    for (size_t i = 0; l && i < opt_count(); i++) {
        PyObject *s = PyUnicode_FromString(opt_at(i)->name);
        if (s == NULL || PyList_Append(l, s) < 0)
            Py_CLEAR(l);
        Py_XDECREF(s);
    }
    return l;
}

static void
raise_err(const struct err *e)
{
    PyObject *exc = PyExc_ValueError;
    PyObject *mod = PyImport_ImportModule("mitmproxy.exceptions");
    PyObject *cls = mod ? PyObject_GetAttrString(mod, "OptionsError") : NULL;
    PyErr_Clear();
    PyErr_SetString(cls ? cls : exc, e->msg[0] ? e->msg : "error");
    Py_XDECREF(cls);
    Py_XDECREF(mod);
}

/* A setting as --set writes it ("name=value"), appended to out. */
static int
setting(struct strv *out, const char *name, PyObject *v)
{
    struct buf b = BUF_INIT;
    buf_append_str(&b, name);
    if (v != Py_None) {
        PyObject *s = PyBool_Check(v) ? PyUnicode_FromString(v == Py_True ? "true" : "false")
                                      : PyObject_Str(v);
        const char *u = s ? PyUnicode_AsUTF8(s) : NULL;
        if (u == NULL) {
            Py_XDECREF(s);
            buf_clear(&b);
            return -1;
        }
        buf_append_str(&b, "=");
        buf_append_str(&b, u);
        Py_DECREF(s);
    }
    char *str = buf_strdup(&b);
    strv_push(out, str);
    free(str);
    buf_clear(&b);
    return 0;
}

/*
 * option_set({name: value, ...}): one master_set(), so the addons are
 * configured once and a refused value changes nothing (OptionsError).
 */
static PyObject *
option_set(PyObject *self, PyObject *dict)
{
    if (!PyDict_Check(dict) || options() == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "expected a dict");
        return NULL;
    }
    struct strv set = {0};
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(dict, &pos, &k, &v)) {
        const char *name = PyUnicode_AsUTF8(k);
        const struct opt_info *info = name ? find_option(name) : NULL;
        if (info == NULL)
            goto fail;
        if (info->type == OPT_SEQ && (PyList_Check(v) || PyTuple_Check(v))) {
            /* "name" empties it; then one "name=x" per value. */
            if (setting(&set, name, Py_None) < 0)
                goto fail;
            for (Py_ssize_t i = 0; i < PySequence_Size(v); i++) {
                PyObject *x = PySequence_GetItem(v, i);
                int rc = x ? setting(&set, name, x) : -1;
                Py_XDECREF(x);
                if (rc < 0)
                    goto fail;
            }
        } else if (setting(&set, name, v) < 0) {
            goto fail;
        }
    }
    struct err e = {0};
    int rc = script__master == NULL
                 ? standalone_set(&set, &e)
                 : master_set(script__master, (const char *const *)set.v, set.n, &e);
    if (rc < 0) {
        raise_err(&e);
        goto fail;
    }
    strv_clear(&set);
    Py_RETURN_NONE;
fail:
    strv_clear(&set);
    return NULL;
}

/* add_option(name, type, default, help, choices): type in mitmproxy's words
 * ("optional int", ...: opt_register_typed()); default as --set writes it. */
static PyObject *
add_option(PyObject *self, PyObject *args)
{
    const char *name, *type, *def, *help, *choices;
    if (!PyArg_ParseTuple(args, "sszzz", &name, &type, &def, &help, &choices))
        return NULL;
    struct err e = {0};
    int index = opt_register_typed(name, type, def, choices, help ? help : "", &e);
    if (index < 0) {
        raise_err(&e);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
coding(PyObject *args, int decode)
{
    const char *enc;
    Py_buffer in;
    if (!PyArg_ParseTuple(args, "sy*", &enc, &in))
        return NULL;
    struct buf out = BUF_INIT;
    struct err e = {0};
    int rc = decode ? enc_decode(enc, in.buf, (size_t)in.len, &out, 0, &e)
                    : enc_encode(enc, in.buf, (size_t)in.len, &out, &e);
    PyBuffer_Release(&in);
    PyObject *r = NULL;
    if (rc < 0)
        PyErr_SetString(PyExc_ValueError, e.msg);
    else
        r = PyBytes_FromStringAndSize((const char *)out.data + out.off, (Py_ssize_t)out.len);
    buf_clear(&out);
    return r;
}

static PyObject *
decode(PyObject *self, PyObject *args)
{
    return coding(args, 1);
}

static PyObject *
encode(PyObject *self, PyObject *args)
{
    return coding(args, 0);
}

/* The names of the addons in the master's chain, in order. */
static PyObject *
addon_names(PyObject *self, PyObject *unused)
{
    if (script__master == NULL)
        return PyList_New(0);
    struct addon_chain *c = master_chain(script__master);
    PyObject *l = PyList_New(0);
    for (size_t i = 0; l && i < addon_chain_len(c); i++) {
        PyObject *s = PyUnicode_FromString(addon_chain_get(c, i)->ops->name);
        if (s == NULL || PyList_Append(l, s) < 0)
            Py_CLEAR(l);
        Py_XDECREF(s);
    }
    return l;
}

static PyObject *
shutdown(PyObject *self, PyObject *unused)
{
    if (script__master)
        master_shutdown(script__master);
    Py_RETURN_NONE;
}

static PyMethodDef functions[] = {
    {"log", py_log, METH_VARARGS, "log(level, msg): level 0 error .. 4 debug."},
    {"option_get", option_get, METH_O, "The value of an option."},
    {"option_set", option_set, METH_O, "Sets options from a dict, as one change."},
    {"option_names", option_names, METH_NOARGS, "Every option's name."},
    {"options_reset", options_reset, METH_NOARGS, "Without a master: every option's default."},
    {"add_option", add_option, METH_VARARGS, "Registers an option (loader.add_option)."},
    {"decode", decode, METH_VARARGS, "decode(encoding, data): a content coding undone."},
    {"encode", encode, METH_VARARGS, "encode(encoding, data): a content coding applied."},
    {"shutdown", shutdown, METH_NOARGS, "Stops the proxy."},
    {"addon_names", addon_names, METH_NOARGS, "The names of the master's addons."},
    {"script_addons", script__addons, METH_NOARGS, "Every script addon object loaded now."},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_mitmproxy_c",
    .m_doc = "The C side of mitmproxy-c's Python API.",
    .m_size = -1,
    .m_methods = functions,
};

/* The same module as an extension of the system Python (make pyext). */
PyMODINIT_FUNC PyInit__mitmproxy_c(void);

PyMODINIT_FUNC
PyInit__mitmproxy_c(void)
{
    return script__init_module();
}

PyObject *
script__init_module(void)
{
    if (PyType_Ready(&script__flow_type) < 0 || PyType_Ready(&script__message_type) < 0 ||
        PyType_Ready(&script__conn_type) < 0 || PyType_Ready(&script__data_type) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Flow", (PyObject *)&script__flow_type) < 0 ||
        PyModule_AddObjectRef(m, "Message", (PyObject *)&script__message_type) < 0 ||
        PyModule_AddObjectRef(m, "Conn", (PyObject *)&script__conn_type) < 0 ||
        PyModule_AddObjectRef(m, "Data", (PyObject *)&script__data_type) < 0 ||
        PyModule_AddFunctions(m, script__io_methods) < 0 ||
        PyModule_AddFunctions(m, script__contentview_methods) < 0 ||
        PyModule_AddFunctions(m, script__command_methods) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
