/*
 * _c.Flow: the Python face of a C flow. It holds one reference on the flow
 * and converts nothing up front: each attribute reads or writes the C
 * flow when it is used. mitmproxy.flow.Flow and mitmproxy.http.HTTPFlow
 * (python/mitmproxy/) are built on it.
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include "flow/flow.h"
#include "flow/tnetstring.h"
#include "util/buf.h"

struct pyflow {
    PyObject_HEAD struct flow *flow; /* one reference */
};

PyObject *
script__flow_new(struct flow *f)
{
    struct pyflow *o = PyObject_New(struct pyflow, &script__flow_type);
    if (o == NULL)
        return NULL;
    o->flow = flow_ref(f);
    return (PyObject *)o;
}

struct flow *
script__flow_of(PyObject *o)
{
    if (!PyObject_TypeCheck(o, &script__flow_type)) {
        PyErr_SetString(PyExc_TypeError, "expected a mitmproxy._c.Flow");
        return NULL;
    }
    return ((struct pyflow *)o)->flow;
}

static void
dealloc(PyObject *self)
{
    flow_unref(((struct pyflow *)self)->flow);
    PyObject_Free(self);
}

#define F(self) (((struct pyflow *)(self))->flow)

/* A flow's own strings read as "" when unset, never None. */
static PyObject *
text(const char *s)
{
    return script__str(s ? s : "");
}

static int
set_owned_str(char **field, PyObject *v)
{
    PyObject *keep = NULL;
    const char *s = v ? script__utf8(v, &keep) : NULL;
    if (s == NULL) {
        if (v == NULL)
            PyErr_SetString(PyExc_AttributeError, "cannot delete this attribute");
        return -1;
    }
    free(*field);
    *field = strdup(s);
    Py_DECREF(keep);
    return 0;
}

static PyObject *
get_id(PyObject *self, void *c)
{
    return PyUnicode_FromString(F(self)->id);
}

static PyObject *
get_type(PyObject *self, void *c)
{
    return PyUnicode_FromString(flow_type_name(F(self)->type));
}

static PyObject *
get_marked(PyObject *self, void *c)
{
    return text(F(self)->marked);
}

static int
set_marked(PyObject *self, PyObject *v, void *c)
{
    /* mitmproxy 8.1.1 has a bool here; later versions a marker string. */
    if (v && PyBool_Check(v))
        v = v == Py_True ? PyUnicode_FromString(":default:") : PyUnicode_FromString("");
    else
        Py_XINCREF(v);
    int rc = set_owned_str(&F(self)->marked, v);
    Py_XDECREF(v);
    return rc;
}

static PyObject *
get_comment(PyObject *self, void *c)
{
    return text(F(self)->comment);
}

static int
set_comment(PyObject *self, PyObject *v, void *c)
{
    return set_owned_str(&F(self)->comment, v);
}

/* The metadata as a dict: a copy; set_metadata stores a changed one. */
static PyObject *
get_metadata(PyObject *self, void *c)
{
    return script__tns_to_py(F(self)->metadata);
}

static int
set_metadata(PyObject *self, PyObject *v, void *c)
{
    if (v == NULL || !PyDict_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "flow.metadata must be a dict");
        return -1;
    }
    struct tns *t = script__py_to_tns(v);
    if (t == NULL)
        return -1;
    tns_free(F(self)->metadata);
    F(self)->metadata = t->u.dict.n ? t : NULL;
    if (F(self)->metadata == NULL)
        tns_free(t);
    return 0;
}

static PyObject *
get_live(PyObject *self, void *c)
{
    return PyBool_FromLong(F(self)->live);
}

/* Whether the proxy still carries the flow; mitmproxy's tflow(live=...) sets it. */
static int
set_live(PyObject *self, PyObject *v, void *c)
{
    int b = v ? PyObject_IsTrue(v) : -1;
    if (b < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "flow.live cannot be deleted");
        return -1;
    }
    F(self)->live = b;
    return 0;
}

static PyObject *
get_killed(PyObject *self, void *c)
{
    return PyBool_FromLong(F(self)->killed);
}

static PyObject *
get_intercepted(PyObject *self, void *c)
{
    return PyBool_FromLong(F(self)->intercepted);
}

static PyObject *
get_is_replay(PyObject *self, void *c)
{
    if (F(self)->is_replay == NULL)
        Py_RETURN_NONE;
    return PyUnicode_FromString(F(self)->is_replay);
}

static PyObject *
get_timestamp_created(PyObject *self, void *c)
{
    return PyFloat_FromDouble(F(self)->timestamp_created);
}

static int
set_timestamp_created(PyObject *self, PyObject *v, void *c)
{
    double t = v ? PyFloat_AsDouble(v) : -1;
    if (v == NULL)
        PyErr_SetString(PyExc_TypeError, "flow.timestamp_created cannot be deleted");
    if (PyErr_Occurred())
        return -1;
    F(self)->timestamp_created = t;
    return 0;
}

/* (msg, timestamp) or None: mitmproxy.flow.Error is made in Python. */
static PyObject *
get_error(PyObject *self, void *c)
{
    struct flow_error *er = F(self)->error;
    if (er == NULL)
        Py_RETURN_NONE;
    return Py_BuildValue("(Nd)", text(er->msg), er->timestamp);
}

static PyObject *
set_error(PyObject *self, PyObject *arg)
{
    if (arg == Py_None) {
        flow_clear_error(F(self));
        Py_RETURN_NONE;
    }
    PyObject *keep = NULL;
    const char *s = script__utf8(arg, &keep);
    if (s == NULL)
        return NULL;
    flow_set_error(F(self), s);
    Py_DECREF(keep);
    Py_RETURN_NONE;
}

static PyObject *
kill(PyObject *self, PyObject *unused)
{
    flow_kill(F(self));
    Py_RETURN_NONE;
}

static PyObject *
intercept(PyObject *self, PyObject *unused)
{
    flow_intercept(F(self));
    Py_RETURN_NONE;
}

static PyObject *
resume(PyObject *self, PyObject *unused)
{
    flow_resume(F(self));
    Py_RETURN_NONE;
}

/* flow_resume() calls this with the callable on_resume() left. */
static void
resumed(struct flow *f, void *arg)
{
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *fn = arg;
    PyObject *r = PyObject_CallNoArgs(fn);
    if (r == NULL)
        script__log_exception(NULL);
    Py_XDECREF(r);
    Py_DECREF(fn);
    /* The future it settled wakes its task on the next step. */
    script__aio_kick();
    PyGILState_Release(g);
}

/* on_resume(fn): fn() when the intercepted flow is resumed or killed
 * (Flow.wait_for_resume). Only while no one else waits for it. */
static PyObject *
on_resume(PyObject *self, PyObject *fn)
{
    struct flow *f = F(self);
    if (f->resume && f->resume != resumed) {
        PyErr_SetString(PyExc_RuntimeError, "the proxy already waits for this flow's resume");
        return NULL;
    }
    if (f->resume == resumed)
        Py_DECREF((PyObject *)f->resume_arg);
    Py_INCREF(fn);
    f->resume = resumed;
    f->resume_arg = fn;
    Py_RETURN_NONE;
}

static PyObject *
backup(PyObject *self, PyObject *unused)
{
    flow_backup(F(self));
    Py_RETURN_NONE;
}

static PyObject *
revert(PyObject *self, PyObject *unused)
{
    flow_revert(F(self));
    Py_RETURN_NONE;
}

static PyObject *
modified(PyObject *self, PyObject *unused)
{
    return PyBool_FromLong(flow_modified(F(self)));
}

static PyObject *
part(PyObject *self, int response)
{
    struct flow *f = F(self);
    if (f->type != FLOW_HTTP || (response ? f->response == NULL : f->request == NULL))
        Py_RETURN_NONE;
    return script__message_view(f, response);
}

static PyObject *
request(PyObject *self, PyObject *unused)
{
    return part(self, 0);
}

static PyObject *
response(PyObject *self, PyObject *unused)
{
    return part(self, 1);
}

static PyObject *
set_part(PyObject *self, PyObject *m, int response)
{
    struct flow *f = F(self);
    if (f->type != FLOW_HTTP) {
        PyErr_SetString(PyExc_TypeError, "not an HTTP flow");
        return NULL;
    }
    if (m == Py_None) {
        if (!response) {
            PyErr_SetString(PyExc_ValueError, "an HTTP flow always has a request");
            return NULL;
        }
        http_response_free(f->response);
        f->response = NULL;
        Py_RETURN_NONE;
    }
    if (script__message_attach(m, f, response) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
set_request(PyObject *self, PyObject *m)
{
    return set_part(self, m, 0);
}

static PyObject *
set_response(PyObject *self, PyObject *m)
{
    return set_part(self, m, 1);
}

static PyObject *
get_client_conn(PyObject *self, void *c)
{
    return script__conn_new(F(self)->client_conn);
}

static PyObject *
get_server_conn(PyObject *self, void *c)
{
    return script__conn_new(F(self)->server_conn);
}

/* A flow's connection replaced (mitmproxy's test helpers make a flow, then
 * give it their connections): a reference on the new one, of that side. */
static int
set_conn(struct connection **slot, PyObject *v, enum conn_side side)
{
    struct connection *conn = v ? script__conn_of(v) : NULL;
    if (conn == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a flow's connection cannot be deleted");
        return -1;
    }
    if (conn->side != side) {
        PyErr_SetString(PyExc_TypeError, side == CONN_SERVER ? "not a server connection"
                                                             : "not a client connection");
        return -1;
    }
    connection_ref(conn);
    connection_unref(*slot);
    *slot = conn;
    return 0;
}

static int
set_client_conn(PyObject *self, PyObject *v, void *c)
{
    return set_conn(&F(self)->client_conn, v, CONN_CLIENT);
}

static int
set_server_conn(PyObject *self, PyObject *v, void *c)
{
    return set_conn(&F(self)->server_conn, v, CONN_SERVER);
}

/*
 * The messages of a TCP flow (kind 0) or of an HTTP flow's WebSocket
 * (kind 1), by index: mitmproxy.tcp.TCPMessage and mitmproxy.websocket
 * .WebSocketMessage are views of one of them, so what a script changes in
 * tcp_message or websocket_message (content, dropped) is what is sent.
 */
static size_t
nmessages(struct flow *f, int kind)
{
    if (kind == 0)
        return f->type == FLOW_TCP ? f->nmessages : 0;
    return f->websocket ? f->websocket->nmessages : 0;
}

static PyObject *
msg_count(PyObject *self, PyObject *arg)
{
    long kind = PyLong_AsLong(arg);
    if (kind == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromSize_t(nmessages(F(self), kind != 0));
}

/* The message kind/i's content buffer and flags, or NULL with IndexError. */
static struct buf *
message_at(struct flow *f, int kind, Py_ssize_t i, struct tcp_message **tm, struct ws_message **wm)
{
    size_t n = nmessages(f, kind);
    if (i < 0 || (size_t)i >= n) {
        PyErr_SetString(PyExc_IndexError, "the flow has no such message");
        return NULL;
    }
    *tm = NULL;
    *wm = NULL;
    if (kind == 0) {
        *tm = &f->messages[i];
        return &(*tm)->content;
    }
    *wm = &f->websocket->messages[i];
    return &(*wm)->content;
}

/* msg_get(kind, i, name): content, from_client, timestamp, dropped, type,
 * injected. */
static PyObject *
msg_get(PyObject *self, PyObject *args)
{
    int kind;
    Py_ssize_t i;
    const char *name;
    if (!PyArg_ParseTuple(args, "pns", &kind, &i, &name))
        return NULL;
    struct tcp_message *tm;
    struct ws_message *wm;
    struct buf *b = message_at(F(self), kind, i, &tm, &wm);
    if (b == NULL)
        return NULL;
    if (strcmp(name, "content") == 0)
        return PyBytes_FromStringAndSize((const char *)b->data + b->off, (Py_ssize_t)b->len);
    if (strcmp(name, "from_client") == 0)
        return PyBool_FromLong(tm ? tm->from_client : wm->from_client);
    if (strcmp(name, "timestamp") == 0)
        return PyFloat_FromDouble(tm ? tm->timestamp : wm->timestamp);
    if (strcmp(name, "dropped") == 0)
        return PyBool_FromLong(tm ? tm->dropped : wm->dropped);
    if (strcmp(name, "type") == 0 && wm)
        return PyLong_FromLong(wm->type);
    if (strcmp(name, "injected") == 0 && wm)
        return PyBool_FromLong(wm->injected);
    PyErr_Format(PyExc_AttributeError, "a message has no field %s", name);
    return NULL;
}

/* msg_set(kind, i, name, value): content (bytes), dropped (bool), type
 * (a WebSocket opcode, 1 or 2). */
static PyObject *
msg_set(PyObject *self, PyObject *args)
{
    int kind;
    Py_ssize_t i;
    const char *name;
    PyObject *v;
    if (!PyArg_ParseTuple(args, "pnsO", &kind, &i, &name, &v))
        return NULL;
    struct tcp_message *tm;
    struct ws_message *wm;
    struct buf *b = message_at(F(self), kind, i, &tm, &wm);
    if (b == NULL)
        return NULL;
    if (strcmp(name, "content") == 0) {
        Py_buffer view;
        if (PyObject_GetBuffer(v, &view, PyBUF_SIMPLE) < 0)
            return NULL;
        buf_clear(b);
        buf_append(b, view.buf, (size_t)view.len);
        PyBuffer_Release(&view);
        Py_RETURN_NONE;
    }
    if (strcmp(name, "dropped") == 0) {
        int d = PyObject_IsTrue(v);
        if (d < 0)
            return NULL;
        if (tm)
            tm->dropped = d;
        else
            wm->dropped = (unsigned)d;
        Py_RETURN_NONE;
    }
    if (strcmp(name, "type") == 0 && wm) {
        long t = PyLong_AsLong(v);
        if (t == -1 && PyErr_Occurred())
            return NULL;
        if (t != 1 && t != 2) {
            PyErr_Format(PyExc_ValueError, "a WebSocket message is text (1) or binary (2): %ld", t);
            return NULL;
        }
        wm->type = (int)t;
        Py_RETURN_NONE;
    }
    PyErr_Format(PyExc_AttributeError, "cannot set a message's %s", name);
    return NULL;
}

/* (closed_by_client, close_code, close_reason, timestamp_end), each None
 * while open; None when the flow has no WebSocket. */
static PyObject *
ws_close(PyObject *self, PyObject *unused)
{
    struct websocket_data *w = F(self)->websocket;
    if (w == NULL)
        Py_RETURN_NONE;
    PyObject *by = w->closed_by_client < 0 ? (Py_INCREF(Py_None), Py_None)
                                           : PyBool_FromLong(w->closed_by_client);
    PyObject *code =
        w->close_code < 0 ? (Py_INCREF(Py_None), Py_None) : PyLong_FromLong(w->close_code);
    PyObject *reason = w->close_reason ? text(w->close_reason) : (Py_INCREF(Py_None), Py_None);
    PyObject *end = w->timestamp_end == 0 ? (Py_INCREF(Py_None), Py_None)
                                          : PyFloat_FromDouble(w->timestamp_end);
    return Py_BuildValue("(NNNN)", by, code, reason, end);
}

static PyGetSetDef getset[] = {
    {"id", get_id, NULL, NULL, NULL},
    {"type", get_type, NULL, NULL, NULL},
    {"marked", get_marked, set_marked, NULL, NULL},
    {"comment", get_comment, set_comment, NULL, NULL},
    {"metadata", get_metadata, set_metadata, NULL, NULL},
    {"live", get_live, set_live, NULL, NULL},
    {"killed", get_killed, NULL, NULL, NULL},
    {"intercepted", get_intercepted, NULL, NULL, NULL},
    {"is_replay", get_is_replay, NULL, NULL, NULL},
    {"timestamp_created", get_timestamp_created, set_timestamp_created, NULL, NULL},
    {"error", get_error, NULL, NULL, NULL},
    {"client_conn", get_client_conn, set_client_conn, NULL, NULL},
    {"server_conn", get_server_conn, set_server_conn, NULL, NULL},
    {NULL},
};

static PyMethodDef methods[] = {
    {"set_error", set_error, METH_O, "Sets the error message (None removes it)."},
    {"kill", kill, METH_NOARGS, "Kills the flow: the proxy drops its connection."},
    {"intercept", intercept, METH_NOARGS, "Pauses the flow after the current hook."},
    {"resume", resume, METH_NOARGS, "Lets an intercepted flow go on."},
    {"on_resume", on_resume, METH_O, "on_resume(fn): fn() once the flow is resumed."},
    {"backup", backup, METH_NOARGS, "Keeps the flow's state for revert()."},
    {"revert", revert, METH_NOARGS, "Goes back to the state backup() kept."},
    {"modified", modified, METH_NOARGS, "Whether the flow changed since backup()."},
    {"request", request, METH_NOARGS, "A view of the request, or None."},
    {"response", response, METH_NOARGS, "A view of the response, or None."},
    {"set_request", set_request, METH_O, "Replaces the request."},
    {"set_response", set_response, METH_O, "Replaces the response (None removes it)."},
    {"msg_count", msg_count, METH_O, "msg_count(kind): TCP (0) or WebSocket (1) messages."},
    {"msg_get", msg_get, METH_VARARGS, "msg_get(kind, i, name): a field of a message."},
    {"msg_set", msg_set, METH_VARARGS, "msg_set(kind, i, name, value): changes a message."},
    {"ws_close", ws_close, METH_NOARGS, "How the WebSocket closed, or None without one."},
    {NULL},
};

PyTypeObject script__flow_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mitmproxy._c.Flow",
    .tp_basicsize = sizeof(struct pyflow),
    .tp_dealloc = dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A view of one of the proxy's flows.",
    .tp_getset = getset,
    .tp_methods = methods,
};
