/*
 * Flow-file values (tnetstring trees) as Python values and back, for
 * flow.metadata: the C flow keeps its metadata as the flow file stores it,
 * so it lasts across hooks and scripts and is saved, and a script reads
 * and writes it as a dict. The types are JSON's, as 8.1.1 checks them
 * when it reads a flow file (stateobject: json.dumps): str, int, float,
 * bool, None, list (tuples too) and dict with str keys; anything else,
 * bytes included, is refused with TypeError.
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include "flow/tnetstring.h"

PyObject *
script__tns_to_py(const struct tns *t)
{
    if (t == NULL)
        return PyDict_New();
    switch (t->type) {
    case TNS_BYTES:
        return PyBytes_FromStringAndSize(t->u.str.p, (Py_ssize_t)t->u.str.len);
    case TNS_TEXT:
        return PyUnicode_DecodeUTF8(t->u.str.p, (Py_ssize_t)t->u.str.len, "surrogateescape");
    case TNS_INT:
        return PyLong_FromLongLong(t->u.i);
    case TNS_FLOAT:
        return PyFloat_FromDouble(t->u.f.v);
    case TNS_BOOL:
        return PyBool_FromLong(t->u.b);
    case TNS_NULL:
        Py_RETURN_NONE;
    case TNS_LIST: {
        PyObject *l = PyList_New((Py_ssize_t)t->u.list.n);
        for (size_t i = 0; l && i < t->u.list.n; i++) {
            PyObject *v = script__tns_to_py(t->u.list.v[i]);
            if (v == NULL)
                Py_CLEAR(l);
            else
                PyList_SET_ITEM(l, (Py_ssize_t)i, v);
        }
        return l;
    }
    case TNS_DICT: {
        PyObject *d = PyDict_New();
        for (size_t i = 0; d && i < t->u.dict.n; i++) {
            const struct tns_pair *p = &t->u.dict.v[i];
            PyObject *v = script__tns_to_py(p->val);
            if (v == NULL || PyDict_SetItemString(d, p->key, v) < 0)
                Py_CLEAR(d);
            Py_XDECREF(v);
        }
        return d;
    }
    }
    Py_RETURN_NONE;
}

static struct tns *
convert(PyObject *o, int depth)
{
    if (depth > TNS_MAX_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "flow.metadata: nested too deeply");
        return NULL;
    }
    if (o == Py_None)
        return tns_null();
    if (PyBool_Check(o))
        return tns_bool(o == Py_True);
    if (PyLong_Check(o)) {
        long long v = PyLong_AsLongLong(o);
        return v == -1 && PyErr_Occurred() ? NULL : tns_int(v);
    }
    if (PyFloat_Check(o))
        return tns_float(PyFloat_AS_DOUBLE(o));
    if (PyUnicode_Check(o)) {
        Py_ssize_t n;
        const char *u = PyUnicode_AsUTF8AndSize(o, &n);
        return u ? tns_text_n(u, (size_t)n) : NULL;
    }
    if (PyList_Check(o) || PyTuple_Check(o)) {
        struct tns *l = tns_list();
        PyObject *seq = PySequence_Fast(o, "");
        for (Py_ssize_t i = 0; seq && i < PySequence_Fast_GET_SIZE(seq); i++) {
            struct tns *v = convert(PySequence_Fast_GET_ITEM(seq, i), depth + 1);
            if (v == NULL) {
                Py_DECREF(seq);
                tns_free(l);
                return NULL;
            }
            tns_list_append(l, v);
        }
        Py_XDECREF(seq);
        return l;
    }
    if (PyDict_Check(o)) {
        struct tns *d = tns_dict();
        PyObject *k, *v;
        Py_ssize_t pos = 0;
        while (PyDict_Next(o, &pos, &k, &v)) {
            const char *key = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
            struct tns *tv = key ? convert(v, depth + 1) : NULL;
            if (tv == NULL) {
                if (!PyErr_Occurred())
                    PyErr_Format(PyExc_TypeError, "flow.metadata: keys must be str, not %s",
                                 Py_TYPE(k)->tp_name);
                tns_free(d);
                return NULL;
            }
            tns_dict_set(d, key, tv);
        }
        return d;
    }
    PyErr_Format(PyExc_TypeError,
                 "flow.metadata keeps what a flow file can store (str, int, float, bool, "
                 "None, list, dict), not %s",
                 Py_TYPE(o)->tp_name);
    return NULL;
}

struct tns *
script__py_to_tns(PyObject *o)
{
    return convert(o, 0);
}
