/*
 * _c.Data: the data of the hooks that are not about a flow (next_layer,
 * tls_clienthello, tls_start/established/failed_*, socks5_auth), after
 * mitmproxy's NextLayer, ClientHelloData, TlsData and Socks5AuthData. It
 * keeps its own copy of the hook's data with a reference on each part, so
 * a script that awaits in such a hook still writes to what the layer reads
 * when the hook is done. Its context pointer is never read: the driver
 * keeps the context only until the hook is done.
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include <string.h>

#include "proxy/hook.h"

struct pydata {
    PyObject_HEAD struct hook_data d; /* a reference on each part */
};

#define D(self) (&((struct pydata *)(self))->d)

PyObject *
script__data_new(const struct hook_data *src)
{
    struct pydata *o = PyObject_New(struct pydata, &script__data_type);
    if (o == NULL)
        return NULL;
    hook_data_init(&o->d, src->hook, src->flow, src->client, src->server);
    o->d.next_layer = src->next_layer ? next_layer_data_ref(src->next_layer) : NULL;
    o->d.clienthello = src->clienthello ? tls_clienthello_data_ref(src->clienthello) : NULL;
    o->d.tls = src->tls ? tls_data_ref(src->tls) : NULL;
    o->d.socks5_auth = src->socks5_auth ? socks5_auth_data_ref(src->socks5_auth) : NULL;
    return (PyObject *)o;
}

static void
dealloc(PyObject *self)
{
    hook_data_clear(D(self));
    PyObject_Free(self);
}

static PyObject *
missing(const char *what)
{
    PyErr_Format(PyExc_AttributeError, "this hook's data has no %s", what);
    return NULL;
}

static PyObject *
get_hook(PyObject *self, void *c)
{
    return PyUnicode_FromString(hook_name(D(self)->hook));
}

/* The client connection: the hook's own, else the TLS data's or SOCKS5's. */
static PyObject *
get_client(PyObject *self, void *c)
{
    struct hook_data *d = D(self);
    if (d->client)
        return script__conn_new(d->client);
    if (d->socks5_auth)
        return script__conn_new(d->socks5_auth->client_conn);
    Py_RETURN_NONE;
}

static PyObject *
get_server(PyObject *self, void *c)
{
    struct hook_data *d = D(self);
    if (d->server)
        return script__conn_new(d->server);
    if (d->tls && d->tls->server)
        return script__conn_new(d->tls->server);
    Py_RETURN_NONE;
}

/* TlsData.conn: the connection TLS is spoken on. */
static PyObject *
get_conn(PyObject *self, void *c)
{
    struct hook_data *d = D(self);
    return d->tls ? script__conn_new(d->tls->conn) : missing("conn");
}

static PyObject *
get_layer(PyObject *self, void *c)
{
    struct next_layer_data *n = D(self)->next_layer;
    return n ? PyUnicode_FromString(next_layer_name(n->layer)) : missing("layer");
}

static int
set_layer(PyObject *self, PyObject *v, void *c)
{
    struct next_layer_data *n = D(self)->next_layer;
    const char *name = v && PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
    if (n == NULL || name == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "layer is one of the names of next_layer_name()");
        return -1;
    }
    for (int i = NEXT_LAYER_NONE; i <= NEXT_LAYER_HTTP; i++) {
        if (strcmp(name, next_layer_name((enum next_layer)i)) == 0) {
            if (i == NEXT_LAYER_TLS && n->tls) {
                PyErr_SetString(PyExc_ValueError, "TLS inside TLS is not a choice here");
                return -1;
            }
            n->layer = (enum next_layer)i;
            return 0;
        }
    }
    PyErr_Format(PyExc_ValueError, "no such layer: %s", name);
    return -1;
}

static PyObject *
bytes_of(const struct buf *b)
{
    return PyBytes_FromStringAndSize((const char *)b->data + b->off, (Py_ssize_t)b->len);
}

static PyObject *
get_data_client(PyObject *self, void *c)
{
    struct next_layer_data *n = D(self)->next_layer;
    return n ? bytes_of(&n->data_client) : missing("data_client");
}

static PyObject *
get_data_server(PyObject *self, void *c)
{
    struct next_layer_data *n = D(self)->next_layer;
    return n ? bytes_of(&n->data_server) : missing("data_server");
}

static PyObject *
get_in_tls(PyObject *self, void *c)
{
    struct next_layer_data *n = D(self)->next_layer;
    return n ? PyBool_FromLong(n->tls) : missing("in_tls");
}

/* The ClientHello of tls_clienthello, or of the connection a TLS hook is
 * about; NULL with AttributeError. */
static const struct clienthello *
hello(PyObject *self)
{
    struct hook_data *d = D(self);
    if (d->clienthello)
        return &d->clienthello->client_hello;
    if (d->tls && d->tls->client_hello)
        return d->tls->client_hello;
    missing("client_hello");
    return NULL;
}

static PyObject *
get_sni(PyObject *self, void *c)
{
    const struct clienthello *h = hello(self);
    if (h == NULL)
        return NULL;
    if (h->sni[0] == '\0')
        Py_RETURN_NONE;
    return script__str(h->sni);
}

static PyObject *
get_alpn_protocols(PyObject *self, void *c)
{
    const struct clienthello *h = hello(self);
    if (h == NULL)
        return NULL;
    PyObject *l = PyList_New((Py_ssize_t)h->nalpn);
    for (size_t i = 0; l && i < h->nalpn; i++) {
        PyObject *b = PyBytes_FromString(h->alpn[i]);
        if (b == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, (Py_ssize_t)i, b);
    }
    return l;
}

/* The int flags an addon sets, by name. */
static int *
flag(PyObject *self, const char *name)
{
    struct hook_data *d = D(self);
    if (d->clienthello && strcmp(name, "ignore_connection") == 0)
        return &d->clienthello->ignore_connection;
    if (d->clienthello && strcmp(name, "establish_server_tls_first") == 0)
        return &d->clienthello->establish_server_tls_first;
    if (d->socks5_auth && strcmp(name, "valid") == 0)
        return &d->socks5_auth->valid;
    missing(name);
    return NULL;
}

static PyObject *
get_flag(PyObject *self, void *c)
{
    int *f = flag(self, c);
    return f ? PyBool_FromLong(*f) : NULL;
}

static int
set_flag(PyObject *self, PyObject *v, void *c)
{
    int *f = flag(self, c);
    int b = f && v ? PyObject_IsTrue(v) : -1;
    if (b < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_AttributeError, "cannot delete this attribute");
        return -1;
    }
    *f = b;
    return 0;
}

static PyObject *
get_username(PyObject *self, void *c)
{
    struct socks5_auth_data *s = D(self)->socks5_auth;
    return s ? PyUnicode_FromString(s->username) : missing("username");
}

static PyObject *
get_password(PyObject *self, void *c)
{
    struct socks5_auth_data *s = D(self)->socks5_auth;
    return s ? PyUnicode_FromString(s->password) : missing("password");
}

/* Whether a session is there (TlsData.ssl_conn is OpenSSL's object in
 * mitmproxy; scripts test it against None). */
static PyObject *
get_has_ssl_conn(PyObject *self, void *c)
{
    struct tls_data *t = D(self)->tls;
    return t ? PyBool_FromLong(t->ssl_conn != NULL) : missing("ssl_conn");
}

#define FLAG(name)                                                                                 \
    {                                                                                              \
#name, get_flag, set_flag, NULL, (void *)#name                                             \
    }
static PyGetSetDef getset[] = {
    {"hook", get_hook, NULL, NULL, NULL},
    {"client", get_client, NULL, NULL, NULL},
    {"server", get_server, NULL, NULL, NULL},
    {"conn", get_conn, NULL, NULL, NULL},
    {"layer", get_layer, set_layer, NULL, NULL},
    {"data_client", get_data_client, NULL, NULL, NULL},
    {"data_server", get_data_server, NULL, NULL, NULL},
    {"in_tls", get_in_tls, NULL, NULL, NULL},
    {"sni", get_sni, NULL, NULL, NULL},
    {"alpn_protocols", get_alpn_protocols, NULL, NULL, NULL},
    FLAG(ignore_connection),
    FLAG(establish_server_tls_first),
    FLAG(valid),
    {"username", get_username, NULL, NULL, NULL},
    {"password", get_password, NULL, NULL, NULL},
    {"has_ssl_conn", get_has_ssl_conn, NULL, NULL, NULL},
    {NULL},
};
#undef FLAG

PyTypeObject script__data_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mitmproxy._c.Data",
    .tp_basicsize = sizeof(struct pydata),
    .tp_dealloc = dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The data of a hook that is not about a flow.",
    .tp_getset = getset,
};
