/*
 * _c.Message: the Python face of a request or a response. A view holds a
 * reference on its flow and reads the flow's message each time (so it
 * follows a response that a script replaces); a message of its own
 * (Request.make, Response.make) is owned until a flow takes it. Fields
 * are read and written in place; a body is copied into Python only when
 * a script reads it. mitmproxy.http's Request, Response and Headers are
 * built on it (python/mitmproxy/http.py).
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include <stddef.h>
#include <strings.h>

#include "flow/flow.h"
#include "http/message.h"
#include "util/buf.h"
#include "util/xmalloc.h"

struct pymsg {
    PyObject_HEAD struct flow *flow; /* one reference; NULL when own is set */
    int response;                    /* which of the flow's messages, or which own is */
    void *own;                       /* owned http_request or http_response, or NULL */
};

#define M(self) ((struct pymsg *)(self))

PyObject *
script__message_view(struct flow *f, int response)
{
    struct pymsg *o = PyObject_New(struct pymsg, &script__message_type);
    if (o == NULL)
        return NULL;
    o->flow = flow_ref(f);
    o->response = response;
    o->own = NULL;
    return (PyObject *)o;
}

/* The message, or NULL with ValueError when the flow no longer has it. */
static void *
msg(PyObject *self)
{
    struct pymsg *m = M(self);
    if (m->own)
        return m->own;
    void *p = m->response ? (void *)m->flow->response : (void *)m->flow->request;
    if (p == NULL)
        PyErr_SetString(PyExc_ValueError, "the flow has no such message any more");
    return p;
}

static struct hdrs *
headers(PyObject *self)
{
    void *p = msg(self);
    if (p == NULL)
        return NULL;
    return M(self)->response ? &((struct http_response *)p)->headers
                             : &((struct http_request *)p)->headers;
}

/* The message's trailers slot (the hdrs pointer), or NULL with ValueError. */
static struct hdrs **
trailers_slot(PyObject *self)
{
    void *p = msg(self);
    if (p == NULL)
        return NULL;
    return M(self)->response ? &((struct http_response *)p)->trailers
                             : &((struct http_request *)p)->trailers;
}

static PyObject *
new_message(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    int response = 0;
    static char *names[] = {"response", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|p", names, &response))
        return NULL;
    struct pymsg *o = (struct pymsg *)type->tp_alloc(type, 0);
    if (o == NULL)
        return NULL;
    o->flow = NULL;
    o->response = response;
    o->own = response ? (void *)http_response_new() : (void *)http_request_new();
    return (PyObject *)o;
}

static void
free_own(struct pymsg *m)
{
    if (m->own && m->response)
        http_response_free(m->own);
    else if (m->own)
        http_request_free(m->own);
    m->own = NULL;
}

static void
dealloc(PyObject *self)
{
    free_own(M(self));
    flow_unref(M(self)->flow);
    Py_TYPE(self)->tp_free(self);
}

int
script__message_attach(PyObject *o, struct flow *f, int response)
{
    if (!PyObject_TypeCheck(o, &script__message_type) || M(o)->response != response) {
        PyErr_SetString(PyExc_TypeError, response ? "expected a mitmproxy.http.Response"
                                                  : "expected a mitmproxy.http.Request");
        return -1;
    }
    struct pymsg *m = M(o);
    void *p = msg(o);
    if (p == NULL)
        return -1;
    if (m->flow == f)
        return 0; /* flow.response = flow.response */
    /* A message of its own moves into the flow and the object becomes a
     * view of it; one another flow has is copied. */
    void *take =
        m->own ? m->own : (response ? (void *)http_response_copy(p) : (void *)http_request_copy(p));
    if (response) {
        http_response_free(f->response);
        f->response = take;
    } else {
        http_request_free(f->request);
        f->request = take;
    }
    if (m->own) {
        m->own = NULL;
        m->flow = flow_ref(f);
    }
    return 0;
}

/* The scalar fields, by offset in the message. */
enum kind { K_STR, K_PORT, K_INT, K_TIME, K_BOOL };
struct field {
    int response;
    size_t off;
    enum kind kind;
};

static const struct field f_host = {0, offsetof(struct http_request, host), K_STR};
static const struct field f_port = {0, offsetof(struct http_request, port), K_PORT};
static const struct field f_method = {0, offsetof(struct http_request, method), K_STR};
static const struct field f_scheme = {0, offsetof(struct http_request, scheme), K_STR};
static const struct field f_authority = {0, offsetof(struct http_request, authority), K_STR};
static const struct field f_path = {0, offsetof(struct http_request, path), K_STR};
static const struct field f_req_version = {0, offsetof(struct http_request, http_version), K_STR};
static const struct field f_req_start = {0, offsetof(struct http_request, timestamp_start), K_TIME};
static const struct field f_req_end = {0, offsetof(struct http_request, timestamp_end), K_TIME};
static const struct field f_resp_version = {1, offsetof(struct http_response, http_version), K_STR};
static const struct field f_status = {1, offsetof(struct http_response, status_code), K_INT};
static const struct field f_reason = {1, offsetof(struct http_response, reason), K_STR};
static const struct field f_resp_start = {1, offsetof(struct http_response, timestamp_start),
                                          K_TIME};
static const struct field f_resp_end = {1, offsetof(struct http_response, timestamp_end), K_TIME};
static const struct field f_req_stream = {0, offsetof(struct http_request, stream), K_BOOL};
static const struct field f_resp_stream = {1, offsetof(struct http_response, stream), K_BOOL};

static void *
field_at(PyObject *self, const struct field *fd)
{
    if (M(self)->response != fd->response) {
        PyErr_SetString(PyExc_AttributeError,
                        fd->response ? "a request has no such field" : "a response has none");
        return NULL;
    }
    char *p = msg(self);
    return p ? p + fd->off : NULL;
}

static PyObject *
get_field(PyObject *self, void *closure)
{
    const struct field *fd = closure;
    void *at = field_at(self, fd);
    if (at == NULL)
        return NULL;
    switch (fd->kind) {
    case K_STR:
        return script__str(*(char **)at);
    case K_PORT:
        return PyLong_FromLong(*(uint16_t *)at);
    case K_INT:
        return PyLong_FromLong(*(int *)at);
    case K_BOOL:
        return PyBool_FromLong(*(int *)at);
    case K_TIME:
        if (*(double *)at == 0 && (fd == &f_req_end || fd == &f_resp_end))
            Py_RETURN_NONE;
        return PyFloat_FromDouble(*(double *)at);
    }
    Py_RETURN_NONE;
}

static int
set_field(PyObject *self, PyObject *v, void *closure)
{
    const struct field *fd = closure;
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete a message field");
        return -1;
    }
    void *at = field_at(self, fd);
    if (at == NULL)
        return -1;
    switch (fd->kind) {
    case K_STR: {
        PyObject *b = PyUnicode_Check(v) ? PyUnicode_AsEncodedString(v, "utf-8", "surrogateescape")
                                         : (Py_INCREF(v), v);
        if (b == NULL)
            return -1;
        if (!PyBytes_Check(b)) {
            Py_DECREF(b);
            PyErr_SetString(PyExc_TypeError, "expected str or bytes");
            return -1;
        }
        if (strlen(PyBytes_AS_STRING(b)) != (size_t)PyBytes_GET_SIZE(b)) {
            Py_DECREF(b);
            PyErr_SetString(PyExc_ValueError, "a NUL byte is not allowed in this field");
            return -1;
        }
        http_set_str((char **)at, PyBytes_AS_STRING(b));
        Py_DECREF(b);
        return 0;
    }
    case K_BOOL: {
        int b = PyObject_IsTrue(v);
        if (b < 0)
            return -1;
        *(int *)at = b;
        return 0;
    }
    case K_PORT:
    case K_INT: {
        long n = PyLong_AsLong(v);
        if (n == -1 && PyErr_Occurred())
            return -1;
        if (fd->kind == K_PORT ? (n < 0 || n > 65535) : (n < 0 || n > 999)) {
            PyErr_Format(PyExc_ValueError, "%s out of range: %ld",
                         fd->kind == K_PORT ? "port" : "status code", n);
            return -1;
        }
        if (fd->kind == K_PORT)
            *(uint16_t *)at = (uint16_t)n;
        else
            *(int *)at = (int)n;
        return 0;
    }
    case K_TIME: {
        double d = v == Py_None ? 0 : PyFloat_AsDouble(v);
        if (d == -1 && PyErr_Occurred())
            return -1;
        *(double *)at = d;
        return 0;
    }
    }
    return 0;
}

static struct buf *
content(PyObject *self, int **none)
{
    void *p = msg(self);
    if (p == NULL)
        return NULL;
    if (M(self)->response) {
        *none = &((struct http_response *)p)->content_none;
        return &((struct http_response *)p)->content;
    }
    *none = &((struct http_request *)p)->content_none;
    return &((struct http_request *)p)->content;
}

/* The body as on the wire: copied into Python here, and only here. */
static PyObject *
get_raw_content(PyObject *self, void *closure)
{
    int *none;
    struct buf *b = content(self, &none);
    if (b == NULL)
        return NULL;
    if (*none)
        Py_RETURN_NONE;
    return PyBytes_FromStringAndSize((const char *)b->data + b->off, (Py_ssize_t)b->len);
}

static int
set_raw_content(PyObject *self, PyObject *v, void *closure)
{
    int *none;
    struct buf *b = content(self, &none);
    if (b == NULL)
        return -1;
    if (v == NULL || v == Py_None) {
        buf_clear(b);
        *none = 1;
        return 0;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(v, &view, PyBUF_SIMPLE) < 0)
        return -1;
    buf_clear(b);
    buf_append(b, view.buf, (size_t)view.len);
    *none = 0;
    PyBuffer_Release(&view);
    return 0;
}

/* Header names and values cross as bytes; http.py's Headers decodes. */
static int
as_slice(PyObject *v, struct slice *s)
{
    if (!PyBytes_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "header names and values are bytes here");
        return -1;
    }
    s->p = (const uint8_t *)PyBytes_AS_STRING(v);
    s->len = (size_t)PyBytes_GET_SIZE(v);
    if (memchr(s->p, '\0', s->len) || memchr(s->p, '\r', s->len) || memchr(s->p, '\n', s->len)) {
        PyErr_SetString(PyExc_ValueError, "a header may not hold NUL, CR or LF");
        return -1;
    }
    return 0;
}

static PyObject *
bytes_of(const char *p, size_t n)
{
    return PyBytes_FromStringAndSize(p, (Py_ssize_t)n);
}

/* The fields of h as a tuple of (name, value) bytes pairs. */
static PyObject *
pairs_of(const struct hdrs *h)
{
    PyObject *t = PyTuple_New((Py_ssize_t)h->n);
    for (size_t i = 0; t && i < h->n; i++) {
        PyObject *pair = Py_BuildValue("(NN)", bytes_of(h->v[i].name, h->v[i].name_len),
                                       bytes_of(h->v[i].value, h->v[i].value_len));
        if (pair == NULL) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, (Py_ssize_t)i, pair);
    }
    return t;
}

/* Fills *out (empty) with a sequence of (name, value) bytes pairs; on
 * failure *out is left empty and an exception is set. */
static int
pairs_to(PyObject *fields, struct hdrs *out)
{
    PyObject *seq = PySequence_Fast(fields, "fields must be a sequence of pairs");
    if (seq == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(seq, i);
        struct slice n, v;
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "fields must be (name, value) pairs");
            goto fail;
        }
        if (as_slice(PyTuple_GET_ITEM(pair, 0), &n) < 0 ||
            as_slice(PyTuple_GET_ITEM(pair, 1), &v) < 0)
            goto fail;
        hdrs_add(out, n, v);
    }
    Py_DECREF(seq);
    return 0;
fail:
    hdrs_clear(out);
    Py_DECREF(seq);
    return -1;
}

static PyObject *
hfields(PyObject *self, PyObject *unused)
{
    struct hdrs *h = headers(self);
    return h ? pairs_of(h) : NULL;
}

/* Replaces every field with those of an iterable of (name, value) pairs. */
static PyObject *
hset_fields(PyObject *self, PyObject *fields)
{
    struct hdrs *h = headers(self);
    struct hdrs next = HDRS_INIT;
    if (h == NULL || pairs_to(fields, &next) < 0)
        return NULL;
    hdrs_clear(h);
    *h = next;
    Py_RETURN_NONE;
}

static PyObject *
hget_all(PyObject *self, PyObject *name)
{
    struct hdrs *h = headers(self);
    struct slice n;
    if (h == NULL || as_slice(name, &n) < 0)
        return NULL;
    PyObject *l = PyList_New(0);
    for (size_t i = 0; l && i < h->n; i++) {
        if (h->v[i].name_len != n.len || strncasecmp(h->v[i].name, (const char *)n.p, n.len))
            continue;
        PyObject *v = bytes_of(h->v[i].value, h->v[i].value_len);
        if (v == NULL || PyList_Append(l, v) < 0)
            Py_CLEAR(l);
        Py_XDECREF(v);
    }
    return l;
}

/*
 * mitmproxy's MultiDict.set_all: the fields named name take the values in
 * order, in their places and with their spelling; values left over are
 * appended under name, fields left over are removed.
 */
static PyObject *
hset_all(PyObject *self, PyObject *args)
{
    PyObject *name, *values;
    if (!PyArg_ParseTuple(args, "OO", &name, &values))
        return NULL;
    struct hdrs *h = headers(self);
    struct slice n;
    if (h == NULL || as_slice(name, &n) < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(values, "values must be a sequence");
    if (seq == NULL)
        return NULL;
    Py_ssize_t nv = PySequence_Fast_GET_SIZE(seq), next_v = 0;
    struct slice *vs = PyMem_Calloc((size_t)nv + 1, sizeof(*vs));
    for (Py_ssize_t i = 0; i < nv; i++) {
        if (as_slice(PySequence_Fast_GET_ITEM(seq, i), &vs[i]) < 0) {
            PyMem_Free(vs);
            Py_DECREF(seq);
            return NULL;
        }
    }
    struct hdrs out = HDRS_INIT;
    for (size_t i = 0; i < h->n; i++) {
        struct hdr *f = &h->v[i];
        struct slice fname = {(const uint8_t *)f->name, f->name_len};
        int same = f->name_len == n.len && strncasecmp(f->name, (const char *)n.p, n.len) == 0;
        if (!same)
            hdrs_add(&out, fname, (struct slice){(const uint8_t *)f->value, f->value_len});
        else if (next_v < nv)
            hdrs_add(&out, fname, vs[next_v++]);
    }
    while (next_v < nv)
        hdrs_add(&out, n, vs[next_v++]);
    hdrs_clear(h);
    *h = out;
    PyMem_Free(vs);
    Py_DECREF(seq);
    Py_RETURN_NONE;
}

/* The trailer fields as (name, value) bytes pairs, or None without any. */
static PyObject *
tfields(PyObject *self, PyObject *unused)
{
    struct hdrs **t = trailers_slot(self);
    if (t == NULL)
        return NULL;
    if (*t == NULL)
        Py_RETURN_NONE;
    return pairs_of(*t);
}

/* Replaces the trailers with an iterable of (name, value) bytes pairs, or
 * removes them (None). */
static PyObject *
tset_fields(PyObject *self, PyObject *fields)
{
    struct hdrs **t = trailers_slot(self);
    if (t == NULL)
        return NULL;
    if (fields == Py_None) {
        if (*t) {
            hdrs_clear(*t);
            free(*t);
            *t = NULL;
        }
        Py_RETURN_NONE;
    }
    struct hdrs next = HDRS_INIT;
    if (pairs_to(fields, &next) < 0)
        return NULL;
    if (*t == NULL)
        *t = xcalloc(1, sizeof(**t));
    else
        hdrs_clear(*t);
    **t = next;
    Py_RETURN_NONE;
}

static PyObject *
get_response(PyObject *self, void *closure)
{
    return PyBool_FromLong(M(self)->response);
}

#define FIELD(name, f)                                                                             \
    {                                                                                              \
        name, get_field, set_field, NULL, (void *)&f                                               \
    }
static PyGetSetDef getset[] = {
    FIELD("host", f_host),
    FIELD("port", f_port),
    FIELD("method", f_method),
    FIELD("scheme", f_scheme),
    FIELD("authority", f_authority),
    FIELD("path", f_path),
    FIELD("req_http_version", f_req_version),
    FIELD("req_timestamp_start", f_req_start),
    FIELD("req_timestamp_end", f_req_end),
    FIELD("resp_http_version", f_resp_version),
    FIELD("status_code", f_status),
    FIELD("reason", f_reason),
    FIELD("resp_timestamp_start", f_resp_start),
    FIELD("resp_timestamp_end", f_resp_end),
    FIELD("req_stream", f_req_stream),
    FIELD("resp_stream", f_resp_stream),
    {"raw_content", get_raw_content, set_raw_content, NULL, NULL},
    {"is_response", get_response, NULL, NULL, NULL},
    {NULL},
};

static PyMethodDef methods[] = {
    {"hfields", hfields, METH_NOARGS, "The header fields as (name, value) bytes pairs."},
    {"hset_fields", hset_fields, METH_O, "Replaces every header field."},
    {"hget_all", hget_all, METH_O, "The values of the fields named name (any case)."},
    {"hset_all", hset_all, METH_VARARGS, "Sets the fields named name to values."},
    {"tfields", tfields, METH_NOARGS, "The trailer fields as bytes pairs, or None."},
    {"tset_fields", tset_fields, METH_O, "Replaces the trailers (None removes them)."},
    {NULL},
};

PyTypeObject script__message_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mitmproxy._c.Message",
    .tp_basicsize = sizeof(struct pymsg),
    .tp_dealloc = dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A request or a response: a flow's, or one of its own.",
    .tp_new = new_message,
    .tp_getset = getset,
    .tp_methods = methods,
};
