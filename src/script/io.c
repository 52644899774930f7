/*
 * The C side of mitmproxy.flowfilter and mitmproxy.io: filters compiled
 * by our filter engine and matched against the C flows a script holds,
 * and flows read from and written in our flow files (the formats
 * mitmproxy reads). Also flow copies (Flow.copy) and new flows for
 * mitmproxy.test.tflow.
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include "filter/filter.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "util/buf.h"

#define FILTER_CAPSULE "mitmproxy.filter"

static void
free_filter(PyObject *capsule)
{
    filt_free(PyCapsule_GetPointer(capsule, FILTER_CAPSULE));
}

/* filter_compile(expr): a capsule, or ValueError naming what is wrong. */
static PyObject *
filter_compile(PyObject *self, PyObject *arg)
{
    const char *expr = PyUnicode_AsUTF8(arg);
    if (expr == NULL)
        return NULL;
    struct err e = {0};
    struct filt *f = filt_compile(expr, &e);
    if (f == NULL) {
        PyErr_SetString(PyExc_ValueError, e.msg);
        return NULL;
    }
    PyObject *c = PyCapsule_New(f, FILTER_CAPSULE, free_filter);
    if (c == NULL)
        filt_free(f);
    return c;
}

/* filter_match(capsule, cflow) */
static PyObject *
filter_match(PyObject *self, PyObject *args)
{
    PyObject *cap, *cflow;
    if (!PyArg_ParseTuple(args, "OO", &cap, &cflow))
        return NULL;
    struct filt *f = PyCapsule_GetPointer(cap, FILTER_CAPSULE);
    struct flow *fl = f ? script__flow_of(cflow) : NULL;
    if (fl == NULL)
        return NULL;
    return PyBool_FromLong(filt_match(f, fl));
}

/* flows_read(data): (list of _c.Flow, bytes consumed); ValueError for a
 * damaged record (its message names the offset). A partial record at the
 * end is left for the next call. */
static PyObject *
flows_read(PyObject *self, PyObject *arg)
{
    Py_buffer in;
    if (PyObject_GetBuffer(arg, &in, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *l = PyList_New(0);
    size_t off = 0;
    while (l && off < (size_t)in.len) {
        struct flow *f = NULL;
        size_t used = 0;
        struct err e = {0};
        int rc =
            ffile_deserialize((const uint8_t *)in.buf + off, (size_t)in.len - off, &used, &f, &e);
        if (rc == MP_ERR_INCOMPLETE)
            break;
        if (rc < 0) {
            PyErr_Format(PyExc_ValueError, "%s (at byte %zu)", e.msg, off);
            Py_CLEAR(l);
            break;
        }
        off += used;
        PyObject *o = script__flow_new(f);
        flow_unref(f);
        if (o == NULL || PyList_Append(l, o) < 0)
            Py_CLEAR(l);
        Py_XDECREF(o);
    }
    PyBuffer_Release(&in);
    return l ? Py_BuildValue("(Nn)", l, (Py_ssize_t)off) : NULL;
}

/* flow_dump(cflow): the flow as one flow-file record. */
static PyObject *
flow_dump(PyObject *self, PyObject *cflow)
{
    struct flow *f = script__flow_of(cflow);
    if (f == NULL)
        return NULL;
    struct buf b = BUF_INIT;
    ffile_serialize(&b, f);
    PyObject *r = PyBytes_FromStringAndSize((const char *)buf_ptr(&b), (Py_ssize_t)b.len);
    buf_clear(&b);
    return r;
}

/* flow_state(cflow): mitmproxy's Flow.get_state(), the dict of the flow's
 * flow-file record (8.1.1's state, version 17). */
static PyObject *
flow_state(PyObject *self, PyObject *cflow)
{
    struct flow *f = script__flow_of(cflow);
    if (f == NULL)
        return NULL;
    struct buf b = BUF_INIT;
    ffile_serialize(&b, f);
    struct tns *t = NULL;
    size_t used;
    struct err e = {0};
    PyObject *r = NULL;
    if (tns_decode(buf_ptr(&b), b.len, &used, &t, &e) < 0)
        PyErr_Format(PyExc_ValueError, "%s", e.msg);
    else
        r = script__tns_to_py(t);
    tns_free(t);
    buf_clear(&b);
    return r;
}

/* flow_copy(cflow): mitmproxy's Flow.copy (a new id, never live). */
static PyObject *
flow_copy_py(PyObject *self, PyObject *cflow)
{
    struct flow *f = script__flow_of(cflow);
    if (f == NULL)
        return NULL;
    struct flow *c = flow_copy(f);
    PyObject *r = script__flow_new(c);
    flow_unref(c);
    return r;
}

/* flow_new(type): an empty flow ("http", "tcp", "dns"), for mitmproxy.test.tflow. */
static PyObject *
flow_new_py(PyObject *self, PyObject *arg)
{
    const char *type = PyUnicode_AsUTF8(arg);
    if (type == NULL)
        return NULL;
    struct flow *f;
    if (strcmp(type, "http") == 0)
        f = flow_new_http(NULL, NULL);
    else if (strcmp(type, "tcp") == 0)
        f = flow_new_tcp(NULL, NULL);
    else if (strcmp(type, "dns") == 0)
        f = flow_new_dns(NULL, NULL);
    else
        return PyErr_Format(PyExc_ValueError, "no such flow type: %s", type);
    f->live = 0;
    PyObject *r = script__flow_new(f);
    flow_unref(f);
    return r;
}

static PyObject *
rr_list(const struct dns_rrs *rrs)
{
    PyObject *l = PyList_New((Py_ssize_t)rrs->n);
    for (size_t i = 0; l && i < rrs->n; i++) {
        const struct dns_rr *r = &rrs->v[i];
        PyObject *t = Py_BuildValue("(siiiy#)", r->name, r->type, r->class_, (long)r->ttl,
                                    (const char *)buf_ptr(&r->data), (Py_ssize_t)r->data.len);
        if (t == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, (Py_ssize_t)i, t);
    }
    return l;
}

/* The dict of mitmproxy's dns.Message fields of m: questions as (name,
 * type, class), records as (name, type, class, ttl, data). */
static PyObject *
message_dict(const struct dns_message *m)
{
    PyObject *q = PyList_New((Py_ssize_t)m->nquestions);
    for (size_t i = 0; q && i < m->nquestions; i++) {
        PyObject *t = Py_BuildValue("(sii)", m->questions[i].name, m->questions[i].type,
                                    m->questions[i].class_);
        if (t == NULL)
            Py_CLEAR(q);
        else
            PyList_SET_ITEM(q, (Py_ssize_t)i, t);
    }
    return Py_BuildValue(
        "{s:i,s:O,s:i,s:i,s:O,s:O,s:O,s:O,s:i,s:N,s:N,s:N,s:N,s:d}", "id", m->id, "query",
        m->query ? Py_True : Py_False, "op_code", m->op_code, "response_code", m->response_code,
        "authoritative_answer", m->authoritative_answer ? Py_True : Py_False, "truncation",
        m->truncation ? Py_True : Py_False, "recursion_desired",
        m->recursion_desired ? Py_True : Py_False, "recursion_available",
        m->recursion_available ? Py_True : Py_False, "reserved", m->reserved, "questions", q,
        "answers", rr_list(&m->answers), "authorities", rr_list(&m->authorities), "additionals",
        rr_list(&m->additionals), "timestamp", m->timestamp);
}

/* The DNS flow behind cflow with its messages decoded (a flow read from a
 * file keeps them as loaded until first use), or NULL with an exception. */
static struct flow *
dns_flow_of(PyObject *cflow)
{
    struct flow *f = script__flow_of(cflow);
    if (f == NULL)
        return NULL;
    if (f->type != FLOW_DNS) {
        PyErr_Format(PyExc_TypeError, "not a DNS flow");
        return NULL;
    }
    if (f->dns_request == NULL && f->extra) {
        struct err e = {0};
        if (ffile_load_dns(f->extra, f, &e) < 0) {
            PyErr_Format(PyExc_ValueError, "%s", e.msg);
            return NULL;
        }
    }
    return f;
}

/*
 * dns_message(cflow, response): a DNS flow's query or answer as a dict of
 * mitmproxy's dns.Message fields (questions as (name, type, class),
 * records as (name, type, class, ttl, data)), or None. A flow read from a
 * file keeps its messages as loaded; they are decoded on first use.
 */
static PyObject *
dns_message_py(PyObject *self, PyObject *args)
{
    PyObject *cflow;
    int response;
    if (!PyArg_ParseTuple(args, "Op", &cflow, &response))
        return NULL;
    struct flow *f = dns_flow_of(cflow);
    if (f == NULL)
        return NULL;
    const struct dns_message *m = response ? f->dns_response : f->dns_request;
    if (m == NULL)
        Py_RETURN_NONE;
    return message_dict(m);
}

/* Appends the (name, type, class) or (name, type, class, ttl, data) tuples
 * of list l as questions (rrs NULL) or records; -1 with a Python error. */
static int
add_entries(struct dns_message *m, struct dns_rrs *rrs, PyObject *l, const char *what)
{
    PyObject *seq = PySequence_Fast(l, what);
    if (seq == NULL)
        return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
        const char *name;
        unsigned short type, class_;
        unsigned int ttl = 0;
        Py_buffer data = {0};
        if (rrs == NULL) {
            if (!PyArg_ParseTuple(t, "sHH", &name, &type, &class_))
                rc = -1;
            else if (dns_add_question(m, name, type, class_) == NULL)
                rc = -1, PyErr_NoMemory();
            continue;
        }
        if (!PyArg_ParseTuple(t, "sHHIy*", &name, &type, &class_, &ttl, &data)) {
            rc = -1;
            continue;
        }
        if (dns_add_rr(rrs, name, type, class_, ttl, data.buf, (size_t)data.len) == NULL)
            rc = -1, PyErr_NoMemory();
        PyBuffer_Release(&data);
    }
    if (rc < 0 && PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_Format(PyExc_ValueError, "%s: %S", what, value ? value : Py_None);
        Py_XDECREF(type), Py_XDECREF(value), Py_XDECREF(tb);
    }
    Py_DECREF(seq);
    return rc;
}

/* The message of the fields dict d (dns_message's form), or NULL with
 * ValueError naming the bad field: numbers out of their bits, names that
 * cannot be packed (dns_write is the judge, as it packs what is sent). */
static struct dns_message *
message_of(PyObject *d)
{
    static const struct {
        const char *key;
        long max;
    } ints[] = {{"id", 0xffff}, {"op_code", 15}, {"reserved", 7}, {"response_code", 15}};
    static const char *const bits[] = {"query", "authoritative_answer", "truncation",
                                       "recursion_desired", "recursion_available"};
    if (!PyDict_Check(d))
        return PyErr_Format(PyExc_TypeError, "a DNS message is a dict of its fields"), NULL;
    long iv[4];
    int bv[5];
    for (size_t i = 0; i < 4; i++) {
        PyObject *v = PyDict_GetItemString(d, ints[i].key);
        iv[i] = v ? PyLong_AsLong(v) : -1;
        if (iv[i] == -1 && PyErr_Occurred())
            PyErr_Clear();
        if (v == NULL || iv[i] < 0 || iv[i] > ints[i].max)
            return PyErr_Format(PyExc_ValueError, "DNS message %s: not an integer in 0..%ld",
                                ints[i].key, ints[i].max),
                   NULL;
    }
    for (size_t i = 0; i < 5; i++) {
        PyObject *v = PyDict_GetItemString(d, bits[i]);
        bv[i] = v ? PyObject_IsTrue(v) : -1;
        if (bv[i] < 0) {
            PyErr_Clear();
            return PyErr_Format(PyExc_ValueError, "DNS message %s: missing", bits[i]), NULL;
        }
    }
    struct dns_message *m = dns_message_new();
    if (m == NULL)
        return (struct dns_message *)PyErr_NoMemory();
    m->id = (uint16_t)iv[0];
    m->op_code = (uint8_t)iv[1];
    m->reserved = (uint8_t)iv[2];
    m->response_code = (uint8_t)iv[3];
    m->query = bv[0] & 1;
    m->authoritative_answer = bv[1] & 1;
    m->truncation = bv[2] & 1;
    m->recursion_desired = bv[3] & 1;
    m->recursion_available = bv[4] & 1;
    PyObject *ts = PyDict_GetItemString(d, "timestamp");
    m->timestamp = ts && ts != Py_None ? PyFloat_AsDouble(ts) : 0;
    static const char *const lists[] = {"questions", "answers", "authorities", "additionals"};
    struct dns_rrs *rrs[] = {NULL, &m->answers, &m->authorities, &m->additionals};
    int rc = PyErr_Occurred() ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < 4; i++) {
        PyObject *l = PyDict_GetItemString(d, lists[i]);
        if (l == NULL)
            rc = -1, PyErr_Format(PyExc_ValueError, "DNS message %s: missing", lists[i]);
        else
            rc = add_entries(m, rrs[i], l, lists[i]);
    }
    struct buf wire = BUF_INIT;
    struct err e = {0};
    if (rc == 0 && dns_write(&wire, m, 1, &e) < 0)
        rc = -1, PyErr_Format(PyExc_ValueError, "DNS message: %s", e.msg);
    buf_clear(&wire);
    if (rc < 0) {
        dns_message_free(m);
        return NULL;
    }
    return m;
}

/*
 * dns_set_message(cflow, response, fields): replaces a DNS flow's query or
 * answer with the message of fields (dns_message's dict), or drops the
 * answer for None. What the flow holds after dns_request or dns_response
 * is what the DNS layer sends, so this is how a script's edits go out.
 */
static PyObject *
dns_set_message_py(PyObject *self, PyObject *args)
{
    PyObject *cflow, *fields;
    int response;
    if (!PyArg_ParseTuple(args, "OpO", &cflow, &response, &fields))
        return NULL;
    struct flow *f = dns_flow_of(cflow);
    if (f == NULL)
        return NULL;
    struct dns_message *m = NULL;
    if (fields != Py_None && (m = message_of(fields)) == NULL)
        return NULL;
    if (m == NULL && !response)
        return PyErr_Format(PyExc_ValueError, "a DNS flow's request cannot be None");
    struct dns_message **slot = response ? &f->dns_response : &f->dns_request;
    dns_message_free(*slot);
    *slot = m;
    Py_RETURN_NONE;
}

/* dns_pack(fields): the wire form of a message (names compressed). */
static PyObject *
dns_pack_py(PyObject *self, PyObject *fields)
{
    struct dns_message *m = message_of(fields);
    if (m == NULL)
        return NULL;
    struct buf wire = BUF_INIT;
    struct err e = {0};
    PyObject *r = NULL;
    if (dns_write(&wire, m, 1, &e) < 0)
        PyErr_Format(PyExc_ValueError, "DNS message: %s", e.msg);
    else
        r = PyBytes_FromStringAndSize((const char *)buf_ptr(&wire), (Py_ssize_t)wire.len);
    buf_clear(&wire);
    dns_message_free(m);
    return r;
}

/* dns_unpack(bytes): the fields of the message that is all of bytes. */
static PyObject *
dns_unpack_py(PyObject *self, PyObject *arg)
{
    char *p;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(arg, &p, &n) < 0)
        return NULL;
    struct dns_message *m;
    struct err e = {0};
    if (dns_parse((const uint8_t *)p, (size_t)n, NULL, &m, &e) < 0)
        return PyErr_Format(PyExc_ValueError, "%s", e.msg);
    PyObject *r = message_dict(m);
    dns_message_free(m);
    return r;
}

PyMethodDef script__io_methods[] = {
    {"dns_message", dns_message_py, METH_VARARGS, "A DNS flow's query or answer, or None."},
    {"dns_pack", dns_pack_py, METH_O, "The wire form of a DNS message's fields."},
    {"dns_unpack", dns_unpack_py, METH_O, "The fields of a DNS message in wire form."},
    {"dns_set_message", dns_set_message_py, METH_VARARGS, "Sets a DNS flow's query or answer."},
    {"filter_compile", filter_compile, METH_O, "A compiled filter expression."},
    {"filter_match", filter_match, METH_VARARGS, "Whether a flow matches a compiled filter."},
    {"flows_read", flows_read, METH_O, "The flows of flow-file bytes."},
    {"flow_dump", flow_dump, METH_O, "A flow as a flow-file record."},
    {"flow_copy", flow_copy_py, METH_O, "A copy of a flow with a new id."},
    {"flow_state", flow_state, METH_O, "A flow's state: its flow-file record as a dict."},
    {"flow_new", flow_new_py, METH_O, "A new empty flow of a type."},
    {NULL},
};
