/*
 * DNS flows in flow files: DNSFlow.request and .response, each a
 * dns.Message state dict (mitmproxy 8.1.1's get_state()), read into struct
 * dns_message and written back in the key order 8.1.1 writes them, so a
 * loaded file comes out byte for byte the same.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/internal.h"
#include "flow/tnetstring.h"

static int
bad(const char *ctx, const char *key, struct err *e)
{
    return err_set(e, MP_ERR_CORRUPT, "%s: field '%s' is missing or has the wrong type", ctx, key);
}

/* An integer field in [0, max]. */
static int
get_uint(const struct tns *d, const char *key, int64_t max, int64_t *out, const char *ctx,
         struct err *e)
{
    const struct tns *v = tns_dict_get(d, key);
    if (v == NULL || v->type != TNS_INT)
        return bad(ctx, key, e);
    if (v->u.i < 0 || v->u.i > max)
        return err_set(e, MP_ERR_CORRUPT, "%s: %s %" PRId64 " is out of range 0..%" PRId64, ctx,
                       key, v->u.i, max);
    *out = v->u.i;
    return 0;
}

/* A bool stored by Python, or an int. */
static int
get_flag(const struct tns *d, const char *key, int *out, const char *ctx, struct err *e)
{
    const struct tns *v = tns_dict_get(d, key);
    if (v && v->type == TNS_BOOL)
        *out = v->u.b != 0;
    else if (v && v->type == TNS_INT)
        *out = v->u.i != 0;
    else
        return bad(ctx, key, e);
    return 0;
}

/* A name: text (or bytes) without NUL, which a C string could not keep. */
static const char *
get_name(const struct tns *d, const char *ctx, struct err *e)
{
    const struct tns *v = tns_dict_get(d, "name");
    if (v == NULL || (v->type != TNS_TEXT && v->type != TNS_BYTES))
        return bad(ctx, "name", e), NULL;
    if (memchr(v->u.str.p, 0, v->u.str.len) || !tns_utf8_valid(v->u.str.p, v->u.str.len))
        return err_set(e, MP_ERR_CORRUPT, "%s: name is not a NUL-free UTF-8 string", ctx), NULL;
    return v->u.str.p;
}

static const struct tns *
get_list(const struct tns *d, const char *key, const char *ctx, struct err *e)
{
    const struct tns *v = tns_dict_get(d, key);
    if (v == NULL || v->type != TNS_LIST)
        return bad(ctx, key, e), NULL;
    return v;
}

static int
load_questions(const struct tns *l, struct dns_message *m, const char *ctx, struct err *e)
{
    for (size_t i = 0; i < l->u.list.n; i++) {
        const struct tns *q = l->u.list.v[i];
        char qctx[64];
        snprintf(qctx, sizeof(qctx), "%s: questions[%zu]", ctx, i);
        if (q->type != TNS_DICT)
            return err_set(e, MP_ERR_CORRUPT, "%s is not a dict", qctx);
        int64_t type, class_;
        const char *name = get_name(q, qctx, e);
        int rc;
        if (name == NULL)
            return MP_ERR_CORRUPT;
        if ((rc = get_uint(q, "type", 0xffff, &type, qctx, e)) < 0 ||
            (rc = get_uint(q, "class_", 0xffff, &class_, qctx, e)) < 0)
            return rc;
        dns_add_question(m, name, (uint16_t)type, (uint16_t)class_);
    }
    return 0;
}

static int
load_rrs(const struct tns *l, struct dns_rrs *out, const char *ctx, const char *key, struct err *e)
{
    for (size_t i = 0; i < l->u.list.n; i++) {
        const struct tns *r = l->u.list.v[i];
        char rctx[64];
        snprintf(rctx, sizeof(rctx), "%s: %s[%zu]", ctx, key, i);
        if (r->type != TNS_DICT)
            return err_set(e, MP_ERR_CORRUPT, "%s is not a dict", rctx);
        int64_t type, class_, ttl;
        const char *name = get_name(r, rctx, e);
        int rc;
        if (name == NULL)
            return MP_ERR_CORRUPT;
        if ((rc = get_uint(r, "type", 0xffff, &type, rctx, e)) < 0 ||
            (rc = get_uint(r, "class_", 0xffff, &class_, rctx, e)) < 0 ||
            (rc = get_uint(r, "ttl", 0xffffffff, &ttl, rctx, e)) < 0)
            return rc;
        const struct tns *data = tns_dict_get(r, "data");
        if (data == NULL || data->type != TNS_BYTES)
            return bad(rctx, "data", e);
        dns_add_rr(out, name, (uint16_t)type, (uint16_t)class_, (uint32_t)ttl, data->u.str.p,
                   data->u.str.len);
    }
    return 0;
}

static int
load_message(const struct tns *d, struct dns_message **out, const char *ctx, struct err *e)
{
    if (d->type != TNS_DICT)
        return err_set(e, MP_ERR_CORRUPT, "%s is not a dict", ctx);
    struct dns_message *m = dns_message_new();
    const struct tns *ts = tns_dict_get(d, "timestamp");
    int64_t id, op, reserved, rcode;
    int query, aa, tc, rd, ra, rc;
    const struct tns *lists[4];
    static const char *const keys[4] = {"questions", "answers", "authorities", "additionals"};
    if (ts == NULL || (ts->type != TNS_FLOAT && ts->type != TNS_INT)) {
        rc = bad(ctx, "timestamp", e);
        goto fail;
    }
    m->timestamp = ts->type == TNS_FLOAT ? ts->u.f.v : (double)ts->u.i;
    if ((rc = get_uint(d, "id", 0xffff, &id, ctx, e)) < 0 ||
        (rc = get_uint(d, "op_code", 15, &op, ctx, e)) < 0 ||
        (rc = get_uint(d, "reserved", 7, &reserved, ctx, e)) < 0 ||
        (rc = get_uint(d, "response_code", 15, &rcode, ctx, e)) < 0 ||
        (rc = get_flag(d, "query", &query, ctx, e)) < 0 ||
        (rc = get_flag(d, "authoritative_answer", &aa, ctx, e)) < 0 ||
        (rc = get_flag(d, "truncation", &tc, ctx, e)) < 0 ||
        (rc = get_flag(d, "recursion_desired", &rd, ctx, e)) < 0 ||
        (rc = get_flag(d, "recursion_available", &ra, ctx, e)) < 0)
        goto fail;
    m->id = (uint16_t)id;
    m->op_code = (uint8_t)op;
    m->reserved = (uint8_t)reserved;
    m->response_code = (uint8_t)rcode;
    m->query = query;
    m->authoritative_answer = aa;
    m->truncation = tc;
    m->recursion_desired = rd;
    m->recursion_available = ra;
    for (int i = 0; i < 4; i++)
        if ((lists[i] = get_list(d, keys[i], ctx, e)) == NULL) {
            rc = MP_ERR_CORRUPT;
            goto fail;
        }
    if ((rc = load_questions(lists[0], m, ctx, e)) < 0 ||
        (rc = load_rrs(lists[1], &m->answers, ctx, keys[1], e)) < 0 ||
        (rc = load_rrs(lists[2], &m->authorities, ctx, keys[2], e)) < 0 ||
        (rc = load_rrs(lists[3], &m->additionals, ctx, keys[3], e)) < 0)
        goto fail;
    *out = m;
    return 0;
fail:
    dns_message_free(m);
    return rc;
}

int
flow__load_dns(const struct tns *d, struct flow *f, struct err *e)
{
    const struct tns *q = tns_dict_get(d, "request"), *r = tns_dict_get(d, "response");
    int rc;
    if (q == NULL || q->type == TNS_NULL)
        return err_set(e, MP_ERR_CORRUPT, "flow: missing field 'request'");
    if ((rc = load_message(q, &f->dns_request, "dns request", e)) < 0)
        return rc;
    if (r && r->type != TNS_NULL)
        return load_message(r, &f->dns_response, "dns response", e);
    return 0;
}

static void
write_rrs(struct tns_writer *w, const struct dns_rrs *l)
{
    size_t h = tns_w_open(w);
    for (size_t i = 0; i < l->n; i++) {
        const struct dns_rr *rr = &l->v[i];
        size_t d = tns_w_open(w);
        tns_w_key(w, "data");
        tns_w_str(w, buf_ptr(&rr->data), rr->data.len, TNS_BYTES);
        tns_w_key(w, "ttl");
        tns_w_int(w, rr->ttl);
        tns_w_key(w, "class_");
        tns_w_int(w, rr->class_);
        tns_w_key(w, "type");
        tns_w_int(w, rr->type);
        tns_w_key(w, "name");
        tns_w_str(w, rr->name, strlen(rr->name), TNS_TEXT);
        tns_w_close(w, d, TNS_DICT);
    }
    tns_w_close(w, h, TNS_LIST);
}

/* Message.get_state(), its keys in the reverse of their declaration order. */
static void
write_message(struct tns_writer *w, const struct dns_message *m)
{
    size_t d = tns_w_open(w);
    tns_w_key(w, "additionals");
    write_rrs(w, &m->additionals);
    tns_w_key(w, "authorities");
    write_rrs(w, &m->authorities);
    tns_w_key(w, "answers");
    write_rrs(w, &m->answers);
    tns_w_key(w, "questions");
    size_t l = tns_w_open(w);
    for (size_t i = 0; i < m->nquestions; i++) {
        const struct dns_question *q = &m->questions[i];
        size_t qd = tns_w_open(w);
        tns_w_key(w, "class_");
        tns_w_int(w, q->class_);
        tns_w_key(w, "type");
        tns_w_int(w, q->type);
        tns_w_key(w, "name");
        tns_w_str(w, q->name, strlen(q->name), TNS_TEXT);
        tns_w_close(w, qd, TNS_DICT);
    }
    tns_w_close(w, l, TNS_LIST);
    tns_w_key(w, "response_code");
    tns_w_int(w, m->response_code);
    tns_w_key(w, "reserved");
    tns_w_int(w, m->reserved);
    tns_w_key(w, "recursion_available");
    tns_w_bool(w, m->recursion_available);
    tns_w_key(w, "recursion_desired");
    tns_w_bool(w, m->recursion_desired);
    tns_w_key(w, "truncation");
    tns_w_bool(w, m->truncation);
    tns_w_key(w, "authoritative_answer");
    tns_w_bool(w, m->authoritative_answer);
    tns_w_key(w, "op_code");
    tns_w_int(w, m->op_code);
    tns_w_key(w, "query");
    tns_w_bool(w, m->query);
    tns_w_key(w, "id");
    tns_w_int(w, m->id);
    tns_w_key(w, "timestamp");
    tns_w_float(w, m->timestamp);
    tns_w_close(w, d, TNS_DICT);
}

void
flow__write_dns(struct tns_writer *w, const struct flow *f)
{
    tns_w_key(w, "response");
    if (f->dns_response)
        write_message(w, f->dns_response);
    else
        tns_w_null(w);
    tns_w_key(w, "request");
    if (f->dns_request)
        write_message(w, f->dns_request);
    else
        tns_w_null(w);
}
