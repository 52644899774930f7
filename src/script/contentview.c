/*
 * The C side of mitmproxy.contentviews: a script's View becomes one of our
 * content views (src/contentviews/extern.c), so mitmdump --flow-detail,
 * the console and mitmweb offer it by name and in Auto; and our built-in
 * views render for a script (contentviews.get("JSON")(data)).
 *
 * The C views call a script's view through mitmproxy.contentviews._rate
 * and _render, which build 8.1.1's keyword arguments (content_type, flow,
 * http_message) from what the C side passes.
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include <stdlib.h>
#include <string.h>

#include "contentviews/cv.h"
#include "flow/flow.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/xmalloc.h"

/* A script's view: the View object and the package's two helpers. */
struct pyview {
    PyObject *view;
    PyObject *rate;   /* mitmproxy.contentviews._rate */
    PyObject *render; /* mitmproxy.contentviews._render */
};

/* (view, data, content_type, flow, is_request) for the helpers. */
static PyObject *
call_args(struct pyview *v, const uint8_t *p, size_t n, const struct cv_meta *m)
{
    PyObject *flow = m && m->flow ? script__wrap_flow((struct flow *)m->flow) : Py_NewRef(Py_None);
    if (flow == NULL)
        return NULL;
    return Py_BuildValue("(Oy#zNO)", v->view, (const char *)p, (Py_ssize_t)n,
                         m ? m->content_type : NULL, flow, m && m->request ? Py_True : Py_False);
}

static int
view_priority(void *arg, const uint8_t *p, size_t n, const struct cv_meta *m, double *prio)
{
    struct pyview *v = arg;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *args = call_args(v, p, n, m);
    PyObject *r = args ? PyObject_Call(v->rate, args, NULL) : NULL;
    int rc = -1;
    if (r) {
        *prio = PyFloat_AsDouble(r);
        rc = *prio == -1 && PyErr_Occurred() ? -1 : 0;
    }
    if (rc < 0)
        script__log_exception("Content view error");
    Py_XDECREF(r);
    Py_XDECREF(args);
    PyGILState_Release(g);
    return rc;
}

/* lines: a list of lists of (style, text) str pairs (_render made them so). */
static int
add_lines(PyObject *lines, struct cv_lines *out)
{
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lines); i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        cv_lines_add_line(out);
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(line); k++) {
            PyObject *tok = PyList_GET_ITEM(line, k);
            PyObject *keep = NULL, *keep2 = NULL;
            const char *style = script__utf8(PyTuple_GET_ITEM(tok, 0), &keep);
            const char *text = style ? script__utf8(PyTuple_GET_ITEM(tok, 1), &keep2) : NULL;
            if (text)
                cv_lines_add_tok(out, style, text, strlen(text));
            Py_XDECREF(keep);
            Py_XDECREF(keep2);
            if (text == NULL)
                return -1;
        }
    }
    return 0;
}

static char *
dup_str(PyObject *s)
{
    PyObject *keep = NULL;
    const char *u = script__utf8(s, &keep);
    char *r = u ? xstrdup(u) : NULL;
    Py_XDECREF(keep);
    return r;
}

/* _render returns (description, lines) or (None, error text). */
static int
view_render(void *arg, const uint8_t *p, size_t n, const struct cv_meta *m, struct cv_lines *out,
            char **desc, char **error)
{
    struct pyview *v = arg;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *args = call_args(v, p, n, m);
    PyObject *r = args ? PyObject_Call(v->render, args, NULL) : NULL;
    int rc = -1;
    if (r && PyTuple_Check(r) && PyTuple_GET_SIZE(r) == 2) {
        PyObject *d = PyTuple_GET_ITEM(r, 0), *l = PyTuple_GET_ITEM(r, 1);
        if (d == Py_None) {
            *error = l == Py_None ? NULL : dup_str(l);
        } else if (PyList_Check(l)) {
            *desc = dup_str(d);
            rc = *desc && add_lines(l, out) == 0 ? 0 : -1;
        }
    }
    if (PyErr_Occurred())
        script__log_exception("Content view error");
    Py_XDECREF(r);
    Py_XDECREF(args);
    PyGILState_Release(g);
    return rc;
}

static void
view_release(void *arg)
{
    struct pyview *v = arg;
    PyGILState_STATE g = PyGILState_Ensure();
    Py_XDECREF(v->view);
    Py_XDECREF(v->rate);
    Py_XDECREF(v->render);
    PyGILState_Release(g);
    free(v);
}

static const struct cv_view_ops pyview_ops = {view_priority, view_render, view_release};

/* contentview_add(name, view, rate, render); ValueError for a name taken. */
static PyObject *
contentview_add(PyObject *self, PyObject *args)
{
    const char *name;
    PyObject *view, *rate, *render;
    if (!PyArg_ParseTuple(args, "sOOO", &name, &view, &rate, &render))
        return NULL;
    struct pyview *v = xcalloc(1, sizeof(*v));
    v->view = Py_NewRef(view);
    v->rate = Py_NewRef(rate);
    v->render = Py_NewRef(render);
    struct err e = {0};
    if (cv_view_add(name, &pyview_ops, v, &e) < 0) {
        view_release(v);
        PyErr_SetString(PyExc_ValueError, e.msg);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
contentview_remove(PyObject *self, PyObject *arg)
{
    PyObject *keep = NULL;
    const char *name = script__utf8(arg, &keep);
    if (name == NULL)
        return NULL;
    int rc = cv_view_remove(name);
    Py_DECREF(keep);
    if (rc < 0) {
        PyErr_Format(PyExc_ValueError, "no such content view: %U", arg);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* contentview_names(): every view's name, built-in and added, in order. */
static PyObject *
contentview_names(PyObject *self, PyObject *unused)
{
    PyObject *l = PyList_New(0);
    for (int v = 0; l && v < cv_view_count(); v++) {
        const char *name = cv_view_name((enum cv_view)v);
        PyObject *s = name ? PyUnicode_FromString(name) : NULL;
        if (name && (s == NULL || PyList_Append(l, s) < 0))
            Py_CLEAR(l);
        Py_XDECREF(s);
    }
    return l;
}

static PyObject *
text_of(const char *p, size_t n)
{
    return PyUnicode_DecodeUTF8(p, (Py_ssize_t)n, "replace");
}

/* The lines as 8.1.1's views return them: [[(style, text), ...], ...]. */
static PyObject *
lines_list(const struct cv_lines *lines)
{
    PyObject *l = PyList_New((Py_ssize_t)lines->n);
    for (size_t i = 0; l && i < lines->n; i++) {
        struct cv_line ln;
        cv_lines_get(lines, i, &ln);
        PyObject *toks = PyList_New((Py_ssize_t)ln.ntok);
        const char *p = ln.text;
        for (size_t t = 0; toks && t < ln.ntok; t++) {
            PyObject *text = text_of(p, ln.tok[t].len);
            PyObject *tok =
                text ? Py_BuildValue("(sN)", cv_style_name(ln.tok[t].style), text) : NULL;
            if (tok == NULL)
                Py_CLEAR(toks);
            else
                PyList_SET_ITEM(toks, (Py_ssize_t)t, tok);
            p += ln.tok[t].len;
        }
        if (toks == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, (Py_ssize_t)i, toks);
    }
    return l;
}

/*
 * contentview_render(name, data, content_type[, grpc_encoding]): (description,
 * lines, the name of the view that rendered) from our views, Auto's choice
 * and the fall back to Raw included. grpc_encoding is the message's
 * grpc-encoding header, which the gRPC view decompresses by.
 */
static PyObject *
contentview_render(PyObject *self, PyObject *args)
{
    const char *name, *ctype, *grpc_encoding = NULL;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "sy*z|z", &name, &data, &ctype, &grpc_encoding))
        return NULL;
    int v = cv_view_find(name);
    struct buf body = BUF_INIT;
    buf_append(&body, data.buf, (size_t)data.len);
    PyBuffer_Release(&data);
    struct hdrs headers = HDRS_INIT;
    if (grpc_encoding)
        hdrs_add_cstr(&headers, "grpc-encoding", grpc_encoding);
    struct cv_meta m = {.content_type = ctype, .headers = &headers};
    struct cv_render *r = cv_render_new(v < 0 ? CV_VIEW_AUTO : (enum cv_view)v, &body, &m);
    hdrs_clear(&headers); /* read by cv_render_new() only */
    struct cv_lines lines = CV_LINES_INIT;
    cv_render_all(r, &lines, 0);
    const char *desc = cv_render_description(r);
    const char *used = cv_view_name(cv_render_view(r));
    PyObject *l = lines_list(&lines);
    PyObject *ret = l ? Py_BuildValue("(sNs)", desc ? desc : "", l, used ? used : "Raw") : NULL;
    cv_lines_clear(&lines);
    cv_render_free(r);
    return ret;
}

/* contentview_priority(name, data, content_type): render_priority. */
static PyObject *
contentview_priority(PyObject *self, PyObject *args)
{
    const char *name, *ctype;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "sy*z", &name, &data, &ctype))
        return NULL;
    int v = cv_view_find(name);
    struct cv_meta m = {.content_type = ctype};
    double p = v < 0 ? 0 : cv_view_priority((enum cv_view)v, data.buf, (size_t)data.len, &m);
    PyBuffer_Release(&data);
    return PyFloat_FromDouble(p);
}

PyMethodDef script__contentview_methods[] = {
    {"contentview_add", contentview_add, METH_VARARGS,
     "contentview_add(name, view, rate, render): a script's view joins ours."},
    {"contentview_remove", contentview_remove, METH_O, "Removes a view a script added."},
    {"contentview_names", contentview_names, METH_NOARGS, "Every content view's name."},
    {"contentview_render", contentview_render, METH_VARARGS,
     "contentview_render(name, data, content_type[, grpc_encoding]): (description, lines, "
     "view used)."},
    {"contentview_priority", contentview_priority, METH_VARARGS,
     "contentview_priority(name, data, content_type): the view's render_priority."},
    {NULL},
};
