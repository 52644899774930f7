/*
 * C strings to Python and back, for every view type of the module. The
 * proxy's strings are bytes that are mostly UTF-8 (header values, paths,
 * SNI); they cross as str with undecodable bytes as surrogates, as
 * mitmproxy's own surrogateescape does, so any bytes come back unchanged.
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include <string.h>

PyObject *
script__str(const char *s)
{
    if (s == NULL)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "surrogateescape");
}

const char *
script__utf8(PyObject *v, PyObject **keep)
{
    if (!PyUnicode_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "expected a str");
        return NULL;
    }
    *keep = PyUnicode_AsEncodedString(v, "utf-8", "surrogateescape");
    if (*keep == NULL)
        return NULL;
    const char *s = PyBytes_AS_STRING(*keep);
    if (strlen(s) != (size_t)PyBytes_GET_SIZE(*keep)) {
        Py_CLEAR(*keep);
        PyErr_SetString(PyExc_ValueError, "a NUL character is not allowed here");
        return NULL;
    }
    return s;
}
