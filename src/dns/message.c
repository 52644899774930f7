/*
 * DNS messages: the header, the question section and the three record
 * sections (RFC 1035 4.1), parsed whole and written back.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/internal.h"
#include "util/xmalloc.h"

#define RR_FIXED 10 /* type, class, ttl, rdlength */

void
dns_limits_default(struct dns_limits *l)
{
    l->max_message = DNS_MAX_MESSAGE;
    l->max_records = 4096;
    l->max_pointers = 32;
}

struct dns_message *
dns_message_new(void)
{
    struct dns_message *m = xcalloc(1, sizeof(*m));
    m->query = 1;
    return m;
}

static void
rrs_clear(struct dns_rrs *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        buf_clear(&l->v[i].data);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void
dns_message_free(struct dns_message *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nquestions; i++)
        free(m->questions[i].name);
    free(m->questions);
    rrs_clear(&m->answers);
    rrs_clear(&m->authorities);
    rrs_clear(&m->additionals);
    free(m);
}

struct dns_question *
dns_add_question(struct dns_message *m, const char *name, uint16_t type, uint16_t class_)
{
    if (m->nquestions == m->capquestions) {
        m->capquestions = m->capquestions ? m->capquestions * 2 : 2;
        m->questions = xrealloc(m->questions, m->capquestions * sizeof(*m->questions));
    }
    struct dns_question *q = &m->questions[m->nquestions++];
    q->name = xstrdup(name);
    q->type = type;
    q->class_ = class_;
    return q;
}

struct dns_rr *
dns_add_rr(struct dns_rrs *l, const char *name, uint16_t type, uint16_t class_, uint32_t ttl,
           const void *data, size_t n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    struct dns_rr *rr = &l->v[l->n++];
    rr->name = xstrdup(name);
    rr->type = type;
    rr->class_ = class_;
    rr->ttl = ttl;
    buf_init(&rr->data);
    buf_append(&rr->data, data, n);
    return rr;
}

static void
rrs_copy(struct dns_rrs *d, const struct dns_rrs *s)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct dns_rr *r = &s->v[i];
        dns_add_rr(d, r->name, r->type, r->class_, r->ttl, buf_ptr(&r->data), r->data.len);
    }
}

struct dns_message *
dns_message_copy(const struct dns_message *s)
{
    struct dns_message *m = xmalloc(sizeof(*m));
    *m = *s;
    m->questions = NULL;
    m->nquestions = m->capquestions = 0;
    memset(&m->answers, 0, sizeof(m->answers));
    memset(&m->authorities, 0, sizeof(m->authorities));
    memset(&m->additionals, 0, sizeof(m->additionals));
    for (size_t i = 0; i < s->nquestions; i++)
        dns_add_question(m, s->questions[i].name, s->questions[i].type, s->questions[i].class_);
    rrs_copy(&m->answers, &s->answers);
    rrs_copy(&m->authorities, &s->authorities);
    rrs_copy(&m->additionals, &s->additionals);
    return m;
}

struct dns_message *
dns_message_answer(const struct dns_message *q, unsigned rcode)
{
    struct dns_message *m = dns_message_new();
    m->id = q->id;
    m->query = 0;
    m->op_code = q->op_code;
    m->recursion_desired = q->recursion_desired;
    m->recursion_available = rcode == DNS_RCODE_NOERROR;
    m->response_code = (uint8_t)(rcode & 0xf);
    for (size_t i = 0; i < q->nquestions; i++)
        dns_add_question(m, q->questions[i].name, q->questions[i].type, q->questions[i].class_);
    return m;
}

static int
rrs_equal(const struct dns_rrs *a, const struct dns_rrs *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct dns_rr *x = &a->v[i], *y = &b->v[i];
        if (strcmp(x->name, y->name) != 0 || x->type != y->type || x->class_ != y->class_ ||
            x->ttl != y->ttl || !slice_eq(buf_slice(&x->data), buf_slice(&y->data)))
            return 0;
    }
    return 1;
}

int
dns_message_equal(const struct dns_message *a, const struct dns_message *b)
{
    if (a->timestamp != b->timestamp || a->id != b->id || a->op_code != b->op_code ||
        a->reserved != b->reserved || a->response_code != b->response_code ||
        a->query != b->query || a->authoritative_answer != b->authoritative_answer ||
        a->truncation != b->truncation || a->recursion_desired != b->recursion_desired ||
        a->recursion_available != b->recursion_available || a->nquestions != b->nquestions)
        return 0;
    for (size_t i = 0; i < a->nquestions; i++) {
        const struct dns_question *x = &a->questions[i], *y = &b->questions[i];
        if (strcmp(x->name, y->name) != 0 || x->type != y->type || x->class_ != y->class_)
            return 0;
    }
    return rrs_equal(&a->answers, &b->answers) && rrs_equal(&a->authorities, &b->authorities) &&
           rrs_equal(&a->additionals, &b->additionals);
}

/* Parsing. */

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct parser {
    const uint8_t *p;
    size_t len, off;
    const struct dns_limits *lim;
    struct buf name;
};

static int
read_name(struct parser *ps, const char *section, size_t i, struct err *e)
{
    struct err ne = {0, ""};
    buf_reset(&ps->name);
    int rc = dns__read_name(ps->p, ps->len, &ps->off, ps->lim->max_pointers, &ps->name, &ne);
    if (rc < 0)
        return err_set(e, rc, "%s #%zu: %s", section, i, ne.msg);
    buf_append(&ps->name, "", 1);
    return 0;
}

/*
 * The data of the RFC 1035 types that hold names may use pointers into the
 * message (RFC 3597 4); they are expanded so that the data stands alone,
 * as mitmproxy expands a record whose data is one compressed name. Data
 * that does not read as its type stays as it came.
 */
static void
expand_rdata(struct parser *ps, uint16_t type, size_t at, size_t n, struct buf *data)
{
    size_t pre, names;
    switch (type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        pre = 0, names = 1;
        break;
    case DNS_TYPE_MX:
        pre = 2, names = 1;
        break;
    case DNS_TYPE_SOA:
        pre = 0, names = 2;
        break;
    default:
        return;
    }
    struct buf out = BUF_INIT, name = BUF_INIT;
    size_t off = at + pre, end = at + n;
    if (off > end)
        goto keep;
    buf_append(&out, ps->p + at, pre);
    for (size_t k = 0; k < names; k++) {
        buf_reset(&name);
        if (dns__read_name(ps->p, end, &off, ps->lim->max_pointers, &name, NULL) < 0)
            goto keep;
        buf_append(&name, "", 1);
        if (dns_name_pack(&out, (const char *)buf_ptr(&name), NULL) < 0)
            goto keep;
    }
    /* SOA's five 32-bit counters follow its names. */
    if (type == DNS_TYPE_SOA) {
        if (end - off != 20)
            goto keep;
        buf_append(&out, ps->p + off, 20);
        off = end;
    }
    if (off != end)
        goto keep;
    buf_move(data, &out);
keep:
    buf_clear(&out);
    buf_clear(&name);
}

static int
read_rrs(struct parser *ps, struct dns_rrs *l, const char *section, size_t count, struct err *e)
{
    for (size_t i = 0; i < count; i++) {
        int rc = read_name(ps, section, i, e);
        if (rc < 0)
            return rc;
        if (ps->len - ps->off < RR_FIXED)
            return err_set(e, MP_ERR_PROTOCOL,
                           "%s #%zu: record at offset %zu needs %d bytes, %zu are left", section, i,
                           ps->off, RR_FIXED, ps->len - ps->off);
        const uint8_t *h = ps->p + ps->off;
        size_t n = get16(h + 8);
        ps->off += RR_FIXED;
        if (ps->len - ps->off < n)
            return err_set(e, MP_ERR_PROTOCOL,
                           "%s #%zu: data of %zu bytes at offset %zu runs past the end", section, i,
                           n, ps->off);
        struct dns_rr *rr = dns_add_rr(l, (const char *)buf_ptr(&ps->name), get16(h), get16(h + 2),
                                       get32(h + 4), ps->p + ps->off, n);
        expand_rdata(ps, rr->type, ps->off, n, &rr->data);
        ps->off += n;
    }
    return 0;
}

int
dns_parse(const uint8_t *p, size_t len, const struct dns_limits *lim, struct dns_message **out,
          struct err *e)
{
    struct dns_limits dl;
    if (lim == NULL) {
        dns_limits_default(&dl);
        lim = &dl;
    }
    *out = NULL;
    if (len > lim->max_message)
        return err_set(e, MP_ERR_LIMIT, "message of %zu bytes exceeds the limit of %zu", len,
                       lim->max_message);
    if (len < DNS_HEADER_LEN)
        return err_set(e, MP_ERR_PROTOCOL, "header: message of %zu bytes is shorter than %d", len,
                       DNS_HEADER_LEN);
    size_t counts[4];
    for (int i = 0; i < 4; i++)
        counts[i] = get16(p + 4 + 2 * i);
    /* A question takes at least 5 bytes and a record 11: counts the bytes
     * cannot hold are refused before anything is allocated for them. */
    size_t total = counts[0] + counts[1] + counts[2] + counts[3];
    if (total > lim->max_records)
        return err_set(e, MP_ERR_LIMIT, "header: %zu entries exceed the limit of %zu", total,
                       lim->max_records);
    if (counts[0] * 5 + (counts[1] + counts[2] + counts[3]) * 11 > len - DNS_HEADER_LEN)
        return err_set(e, MP_ERR_PROTOCOL,
                       "header: %zu questions and %zu records cannot fit in %zu bytes", counts[0],
                       total - counts[0], len - DNS_HEADER_LEN);
    struct dns_message *m = dns_message_new();
    uint16_t flags = get16(p + 2);
    m->id = get16(p);
    m->query = (flags & 0x8000) == 0;
    m->op_code = (flags >> 11) & 0xf;
    m->authoritative_answer = (flags >> 10) & 1;
    m->truncation = (flags >> 9) & 1;
    m->recursion_desired = (flags >> 8) & 1;
    m->recursion_available = (flags >> 7) & 1;
    m->reserved = (flags >> 4) & 7;
    m->response_code = flags & 0xf;

    struct parser ps = {p, len, DNS_HEADER_LEN, lim, BUF_INIT};
    int rc = 0;
    for (size_t i = 0; i < counts[0] && rc == 0; i++) {
        if ((rc = read_name(&ps, "question", i, e)) < 0)
            break;
        if (len - ps.off < 4) {
            rc = err_set(e, MP_ERR_PROTOCOL,
                         "question #%zu: type and class at offset %zu cut short", i, ps.off);
            break;
        }
        dns_add_question(m, (const char *)buf_ptr(&ps.name), get16(p + ps.off),
                         get16(p + ps.off + 2));
        ps.off += 4;
    }
    if (rc == 0)
        rc = read_rrs(&ps, &m->answers, "answer", counts[1], e);
    if (rc == 0)
        rc = read_rrs(&ps, &m->authorities, "authority", counts[2], e);
    if (rc == 0)
        rc = read_rrs(&ps, &m->additionals, "additional", counts[3], e);
    if (rc == 0 && ps.off != len)
        rc = err_set(e, MP_ERR_PROTOCOL, "%zu bytes after the last record (offset %zu)",
                     len - ps.off, ps.off);
    buf_clear(&ps.name);
    if (rc < 0) {
        dns_message_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* Writing. */

static void
put16(struct buf *b, unsigned v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    buf_append(b, x, 2);
}

static void
put32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    buf_append(b, x, 4);
}

/* The names written so far, for compression: each suffix and where it is. */
struct ztab {
    struct {
        const char *suffix; /* points into a name of the message */
        size_t at;          /* offset from the message start */
    } v[256];
    size_t n;
};

/*
 * Writes name at msg offset base + (out->len - start). With z, the longest
 * suffix already written becomes a pointer, and the new suffixes are noted.
 */
static int
put_name(struct buf *out, size_t start, const char *name, struct ztab *z, struct err *e)
{
    if (z == NULL || *name == '\0')
        return dns_name_pack(out, name, e);
    struct buf tmp = BUF_INIT;
    int rc = dns_name_pack(&tmp, name, e);
    buf_clear(&tmp);
    if (rc < 0)
        return rc;
    const char *s = name;
    while (*s) {
        for (size_t i = 0; i < z->n; i++)
            if (strcmp(z->v[i].suffix, s) == 0) {
                put16(out, 0xc000 | (unsigned)z->v[i].at);
                return 0;
            }
        size_t at = out->len - start;
        if (at < 0x4000 && z->n < sizeof(z->v) / sizeof(z->v[0])) {
            z->v[z->n].suffix = s;
            z->v[z->n++].at = at;
        }
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        uint8_t lb = (uint8_t)l;
        buf_append(out, &lb, 1);
        buf_append(out, s, l);
        s = dot ? dot + 1 : s + l;
    }
    buf_append(out, "", 1);
    return 0;
}

static int
put_rrs(struct buf *out, size_t start, const struct dns_rrs *l, const char *section, struct ztab *z,
        struct err *e)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct dns_rr *rr = &l->v[i];
        struct err ne = {0, ""};
        if (put_name(out, start, rr->name, z, &ne) < 0)
            return err_set(e, MP_ERR_INVAL, "%s #%zu: %s", section, i, ne.msg);
        if (rr->data.len > 0xffff)
            return err_set(e, MP_ERR_LIMIT, "%s #%zu: %zu bytes of data exceed 65535", section, i,
                           rr->data.len);
        put16(out, rr->type);
        put16(out, rr->class_);
        put32(out, rr->ttl);
        put16(out, (unsigned)rr->data.len);
        buf_append(out, buf_ptr(&rr->data), rr->data.len);
    }
    return 0;
}

int
dns_write(struct buf *out, const struct dns_message *m, int compress, struct err *e)
{
    const struct dns_rrs *secs[3] = {&m->answers, &m->authorities, &m->additionals};
    if (m->op_code > 15 || m->reserved > 7 || m->response_code > 15)
        return err_set(e, MP_ERR_INVAL, "header: op_code, reserved or response_code out of range");
    if (m->nquestions > 0xffff || secs[0]->n > 0xffff || secs[1]->n > 0xffff || secs[2]->n > 0xffff)
        return err_set(e, MP_ERR_LIMIT, "header: more than 65535 entries in a section");
    size_t start = out->len;
    struct ztab *z = compress ? xcalloc(1, sizeof(*z)) : NULL;
    unsigned flags = (m->query ? 0 : 0x8000u) | (unsigned)m->op_code << 11 |
                     (unsigned)m->authoritative_answer << 10 | (unsigned)m->truncation << 9 |
                     (unsigned)m->recursion_desired << 8 | (unsigned)m->recursion_available << 7 |
                     (unsigned)m->reserved << 4 | m->response_code;
    put16(out, m->id);
    put16(out, flags);
    put16(out, (unsigned)m->nquestions);
    for (int i = 0; i < 3; i++)
        put16(out, (unsigned)secs[i]->n);
    int rc = 0;
    for (size_t i = 0; i < m->nquestions && rc == 0; i++) {
        struct err ne = {0, ""};
        if (put_name(out, start, m->questions[i].name, z, &ne) < 0) {
            rc = err_set(e, MP_ERR_INVAL, "question #%zu: %s", i, ne.msg);
            break;
        }
        put16(out, m->questions[i].type);
        put16(out, m->questions[i].class_);
    }
    const char *names[3] = {"answer", "authority", "additional"};
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = put_rrs(out, start, secs[i], names[i], z, e);
    if (rc == 0 && out->len - start > DNS_MAX_MESSAGE)
        rc = err_set(e, MP_ERR_LIMIT, "message of %zu bytes exceeds %d", out->len - start,
                     DNS_MAX_MESSAGE);
    free(z);
    if (rc < 0)
        out->len = start;
    return rc;
}
