/*
 * _c.Conn: the Python face of a client or server connection (mitmproxy
 * .connection.Client and Server are built on it). Like _c.Flow it holds one
 * reference and converts nothing up front: each attribute reads the C
 * connection when it is used, so a view kept across hooks follows the
 * proxy's state. What mitmproxy lets an addon change is writable: the
 * server's address (before it is connected), its SNI, and the error that
 * refuses a connection in server_connect.
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include <stddef.h>

#include "flow/connection.h"

struct pyconn {
    PyObject_HEAD struct connection *conn; /* one reference */
};

#define C(self) (((struct pyconn *)(self))->conn)

PyObject *
script__conn_new(struct connection *c)
{
    if (c == NULL)
        Py_RETURN_NONE;
    struct pyconn *o = PyObject_New(struct pyconn, &script__conn_type);
    if (o == NULL)
        return NULL;
    o->conn = connection_ref(c);
    return (PyObject *)o;
}

struct connection *
script__conn_of(PyObject *o)
{
    if (!PyObject_TypeCheck(o, &script__conn_type)) {
        PyErr_Format(PyExc_TypeError, "expected a connection, not %s", Py_TYPE(o)->tp_name);
        return NULL;
    }
    return C(o);
}

static void
dealloc(PyObject *self)
{
    connection_unref(C(self));
    PyObject_Free(self);
}

/* (host, port), or None when the address is not known. */
static PyObject *
addr(const struct addr *a)
{
    if (a->host == NULL)
        Py_RETURN_NONE;
    return Py_BuildValue("(Ni)", script__str(a->host), (int)a->port);
}

static PyObject *
timestamp(double t)
{
    if (t == 0)
        Py_RETURN_NONE;
    return PyFloat_FromDouble(t);
}

/* The fields by offset, as message.c does it. */
enum kind { K_ADDR, K_TEXT, K_BOOL, K_TIME };
struct field {
    size_t off;
    enum kind kind;
};

#define FIELD(name, member, k)                                                                     \
    static const struct field f_##name = {offsetof(struct connection, member), k}
FIELD(address, address, K_ADDR);
FIELD(peername, peername, K_ADDR);
FIELD(sockname, sockname, K_ADDR);
FIELD(via, via, K_ADDR);
FIELD(error, error, K_TEXT);
FIELD(sni, sni, K_TEXT);
FIELD(tls_version, tls_version, K_TEXT);
FIELD(cipher, cipher, K_TEXT);
FIELD(tls, tls, K_BOOL);
FIELD(tls_established, tls_established, K_BOOL);
FIELD(timestamp_start, timestamp_start, K_TIME);
FIELD(timestamp_end, timestamp_end, K_TIME);
FIELD(timestamp_tcp_setup, timestamp_tcp_setup, K_TIME);
FIELD(timestamp_tls_setup, timestamp_tls_setup, K_TIME);
#undef FIELD

static PyObject *
get_field(PyObject *self, void *closure)
{
    const struct field *fd = closure;
    char *at = (char *)C(self) + fd->off;
    switch (fd->kind) {
    case K_ADDR:
        return addr((struct addr *)at);
    case K_TEXT:
        return script__str(*(char **)at);
    case K_BOOL:
        return PyBool_FromLong(*(int *)at);
    case K_TIME:
        return timestamp(*(double *)at);
    }
    Py_RETURN_NONE;
}

/* A str field (None clears it). */
static int
set_text(char **field, PyObject *v)
{
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete a connection field");
        return -1;
    }
    if (v == Py_None) {
        free(*field);
        *field = NULL;
        return 0;
    }
    if (!PyUnicode_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "expected a str or None");
        return -1;
    }
    PyObject *keep;
    const char *s = script__utf8(v, &keep);
    if (s == NULL)
        return -1;
    free(*field);
    *field = strdup(s);
    Py_DECREF(keep);
    return 0;
}

static int
set_field(PyObject *self, PyObject *v, void *closure)
{
    const struct field *fd = closure;
    char *at = (char *)C(self) + fd->off;
    if (fd->kind == K_TEXT)
        return set_text((char **)at, v);
    /* Only the address (of a server not yet connected: mitmproxy's
     * Server.__setattr__ refuses it later). */
    if (fd != &f_address || C(self)->side != CONN_SERVER) {
        PyErr_SetString(PyExc_AttributeError, "this connection field is read-only");
        return -1;
    }
    if (C(self)->state != CONN_CLOSED) {
        PyErr_SetString(PyExc_RuntimeError,
                        "Cannot change server address after connection was established.");
        return -1;
    }
    const char *host;
    int port;
    if (v == NULL || !PyArg_ParseTuple(v, "si", &host, &port)) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "address must be a (host, port) tuple");
        return -1;
    }
    if (port < 0 || port > 65535) {
        PyErr_Format(PyExc_ValueError, "port out of range: %d", port);
        return -1;
    }
    addr_set((struct addr *)at, host, (uint16_t)port);
    return 0;
}

static PyObject *
get_id(PyObject *self, void *c)
{
    return PyUnicode_FromString(C(self)->id);
}

static PyObject *
get_is_server(PyObject *self, void *c)
{
    return PyBool_FromLong(C(self)->side == CONN_SERVER);
}

static PyObject *
get_state(PyObject *self, void *c)
{
    return PyLong_FromLong(C(self)->state);
}

/* The ALPN protocol as bytes (mitmproxy's Connection.alpn), or None. */
static PyObject *
get_alpn(PyObject *self, void *c)
{
    const char *s = C(self)->alpn;
    if (s == NULL)
        Py_RETURN_NONE;
    return PyBytes_FromString(s);
}

#define RW(name)                                                                                   \
    {                                                                                              \
#name, get_field, set_field, NULL, (void *)&f_##name                                       \
    }
#define RO(name)                                                                                   \
    {                                                                                              \
#name, get_field, NULL, NULL, (void *)&f_##name                                            \
    }
static PyGetSetDef getset[] = {
    {"id", get_id, NULL, NULL, NULL},
    {"is_server", get_is_server, NULL, NULL, NULL},
    {"state", get_state, NULL, NULL, NULL},
    {"alpn", get_alpn, NULL, NULL, NULL},
    RW(address),
    RO(peername),
    RO(sockname),
    RO(via),
    RW(error),
    RW(sni),
    RO(tls_version),
    RO(cipher),
    RO(tls),
    RO(tls_established),
    RO(timestamp_start),
    RO(timestamp_end),
    RO(timestamp_tcp_setup),
    RO(timestamp_tls_setup),
    {NULL},
};
#undef RW
#undef RO

static PyObject *
richcompare(PyObject *a, PyObject *b, int op)
{
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(b, &script__conn_type))
        Py_RETURN_NOTIMPLEMENTED;
    int same = C(a) == C(b);
    return PyBool_FromLong(op == Py_EQ ? same : !same);
}

static Py_hash_t
hash(PyObject *self)
{
    return _Py_HashPointer(C(self));
}

PyTypeObject script__conn_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mitmproxy._c.Conn",
    .tp_basicsize = sizeof(struct pyconn),
    .tp_dealloc = dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A view of one of the proxy's client or server connections.",
    .tp_getset = getset,
    .tp_richcompare = richcompare,
    .tp_hash = hash,
};
