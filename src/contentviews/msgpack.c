/*
 * MsgPack: the body unpacked as msgpack.unpackb(raw=False) does (strings
 * must be UTF-8, map keys strings or bytes, nothing may follow the value,
 * extension -1 is a timestamp) and printed by 8.1.1's pretty(): maps and
 * lists one item a line, four spaces per level, everything else Python's
 * repr. Empty maps and lists still open a line ("{" and "}" apart).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "util/xmalloc.h"

/* pretty() recurses twice per level (itself and a list comprehension):
 * Python's recursion limit stops it at this depth in mitmdump. */
#define MAX_DEPTH 484

enum { M_NIL, M_TRUE, M_FALSE, M_UINT, M_INT, M_FLOAT, M_STR, M_BIN, M_EXT, M_TIME, M_ARR, M_MAP };

struct node {
    uint8_t type;
    int8_t ext;       /* M_EXT: the type code */
    uint64_t u;       /* M_UINT; M_TIME: seconds (two's complement) */
    int64_t i;        /* M_INT; M_TIME: nanoseconds */
    double f;         /* M_FLOAT */
    const uint8_t *p; /* M_STR, M_BIN, M_EXT */
    size_t n;         /* bytes; M_ARR, M_MAP: items (pairs) */
    size_t first;     /* M_ARR, M_MAP: first child in kids */
};

struct doc {
    struct node *v;
    size_t nv, capv;
    size_t *kids;
    size_t nkids, capkids;
    const uint8_t *p;
    size_t len, pos;
};

static size_t
new_node(struct doc *d, uint8_t type)
{
    if (d->nv == d->capv) {
        d->capv = d->capv ? d->capv * 2 : 64;
        d->v = xrealloc(d->v, d->capv * sizeof(*d->v));
    }
    memset(&d->v[d->nv], 0, sizeof(d->v[0]));
    d->v[d->nv].type = type;
    return d->nv++;
}

static const uint8_t *
take(struct doc *d, uint64_t n)
{
    if (n > d->len - d->pos)
        return NULL;
    const uint8_t *p = d->p + d->pos;
    d->pos += (size_t)n;
    return p;
}

static int
uint_be(struct doc *d, int bytes, uint64_t *out)
{
    const uint8_t *p = take(d, (uint64_t)bytes);
    if (p == NULL)
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    *out = v;
    return 0;
}

static int parse(struct doc *d, int depth, size_t *out);

static int
container(struct doc *d, int map, uint64_t n, int depth, size_t *out)
{
    /* msgpack refuses lengths past what the buffer could hold. */
    if (n > (map ? d->len / 2 : d->len))
        return -1;
    size_t count = (size_t)n * (map ? 2 : 1);
    size_t *tmp = xmalloc((count ? count : 1) * sizeof(*tmp));
    for (size_t i = 0; i < count; i++) {
        if (parse(d, depth + 1, &tmp[i]) < 0) {
            free(tmp);
            return -1;
        }
        /* strict_map_key: keys are str or bytes. */
        if (map && i % 2 == 0 && d->v[tmp[i]].type != M_STR && d->v[tmp[i]].type != M_BIN) {
            free(tmp);
            return -1;
        }
    }
    size_t v = new_node(d, map ? M_MAP : M_ARR);
    if (d->nkids + count > d->capkids) {
        while (d->nkids + count > d->capkids)
            d->capkids = d->capkids ? d->capkids * 2 : 64;
        d->kids = xrealloc(d->kids, d->capkids * sizeof(*d->kids));
    }
    if (count)
        memcpy(d->kids + d->nkids, tmp, count * sizeof(*tmp));
    d->v[v].first = d->nkids;
    d->v[v].n = (size_t)n;
    d->nkids += count;
    free(tmp);
    *out = v;
    return 0;
}

static int
raw(struct doc *d, uint8_t type, uint64_t n, size_t *out)
{
    const uint8_t *p = take(d, n);
    if (p == NULL || (type == M_STR && !cv__utf8_valid(p, (size_t)n)))
        return -1;
    size_t v = new_node(d, type);
    d->v[v].p = p;
    d->v[v].n = (size_t)n;
    *out = v;
    return 0;
}

static int
ext(struct doc *d, uint64_t n, size_t *out)
{
    const uint8_t *code = take(d, 1);
    const uint8_t *p = code ? take(d, n) : NULL;
    if (p == NULL)
        return -1;
    size_t v = new_node(d, M_EXT);
    d->v[v].ext = (int8_t)code[0];
    d->v[v].p = p;
    d->v[v].n = (size_t)n;
    if (d->v[v].ext >= 0) {
        *out = v;
        return 0;
    }
    if (d->v[v].ext != -1)
        return -1; /* ExtType: "code must be 0~127" */
    /* Timestamp.from_bytes(): 32, 64 or 96 bits, nanoseconds < 10**9. */
    uint64_t sec, ns;
    if (n == 4) {
        sec = (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
        ns = 0;
    } else if (n == 8) {
        uint64_t x = 0;
        for (int i = 0; i < 8; i++)
            x = x << 8 | p[i];
        ns = x >> 34;
        sec = x & 0x3ffffffffull;
    } else if (n == 12) {
        ns = (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
        sec = 0;
        for (int i = 4; i < 12; i++)
            sec = sec << 8 | p[i];
    } else {
        return -1;
    }
    if (ns >= 1000000000u)
        return -1;
    d->v[v].type = M_TIME;
    d->v[v].u = sec;
    d->v[v].i = (int64_t)ns;
    d->v[v].ext = n == 12; /* seconds are signed only in the 96-bit form */
    *out = v;
    return 0;
}

static int
parse(struct doc *d, int depth, size_t *out)
{
    if (depth > 1024)
        return -1; /* StackError */
    const uint8_t *b = take(d, 1);
    if (b == NULL)
        return -1;
    uint8_t c = b[0];
    uint64_t n;
    size_t v;
    if (c <= 0x7f || c >= 0xe0) {
        v = new_node(d, c <= 0x7f ? M_UINT : M_INT);
        d->v[v].u = c;
        d->v[v].i = (int8_t)c;
        *out = v;
        return 0;
    }
    if (c >= 0x80 && c <= 0x8f)
        return container(d, 1, c & 0x0f, depth, out);
    if (c >= 0x90 && c <= 0x9f)
        return container(d, 0, c & 0x0f, depth, out);
    if (c >= 0xa0 && c <= 0xbf)
        return raw(d, M_STR, c & 0x1f, out);
    switch (c) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
        *out = new_node(d, c == 0xc0 ? M_NIL : c == 0xc2 ? M_FALSE : M_TRUE);
        return 0;
    case 0xc4:
    case 0xc5:
    case 0xc6:
        if (uint_be(d, 1 << (c - 0xc4), &n) < 0)
            return -1;
        return raw(d, M_BIN, n, out);
    case 0xc7:
    case 0xc8:
    case 0xc9:
        if (uint_be(d, 1 << (c - 0xc7), &n) < 0)
            return -1;
        return ext(d, n, out);
    case 0xca:
    case 0xcb: {
        if (uint_be(d, c == 0xca ? 4 : 8, &n) < 0)
            return -1;
        v = new_node(d, M_FLOAT);
        if (c == 0xca) {
            uint32_t x = (uint32_t)n;
            float f;
            memcpy(&f, &x, 4);
            d->v[v].f = f;
        } else {
            memcpy(&d->v[v].f, &n, 8);
        }
        *out = v;
        return 0;
    }
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        if (uint_be(d, 1 << (c - 0xcc), &n) < 0)
            return -1;
        v = new_node(d, M_UINT);
        d->v[v].u = n;
        *out = v;
        return 0;
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
        int bytes = 1 << (c - 0xd0);
        if (uint_be(d, bytes, &n) < 0)
            return -1;
        v = new_node(d, M_INT);
        /* Sign-extend the big-endian value. */
        int shift = 64 - 8 * bytes;
        d->v[v].i = shift ? (int64_t)(n << shift) >> shift : (int64_t)n;
        d->v[v].type = d->v[v].i < 0 ? M_INT : M_UINT;
        d->v[v].u = (uint64_t)d->v[v].i;
        *out = v;
        return 0;
    }
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        return ext(d, 1u << (c - 0xd4), out);
    case 0xd9:
    case 0xda:
    case 0xdb:
        if (uint_be(d, 1 << (c - 0xd9), &n) < 0)
            return -1;
        return raw(d, M_STR, n, out);
    case 0xdc:
    case 0xdd:
        if (uint_be(d, c == 0xdc ? 2 : 4, &n) < 0)
            return -1;
        return container(d, 0, n, depth, out);
    case 0xde:
    case 0xdf:
        if (uint_be(d, c == 0xde ? 2 : 4, &n) < 0)
            return -1;
        return container(d, 1, n, depth, out);
    default:
        return -1; /* 0xc1: FormatError */
    }
}

/* repr() of a scalar. */
static void
repr(struct buf *out, const struct node *v)
{
    switch (v->type) {
    case M_NIL:
        buf_append_str(out, "None");
        break;
    case M_TRUE:
        buf_append_str(out, "True");
        break;
    case M_FALSE:
        buf_append_str(out, "False");
        break;
    case M_UINT:
        buf_printf(out, "%llu", (unsigned long long)v->u);
        break;
    case M_INT:
        buf_printf(out, "%lld", (long long)v->i);
        break;
    case M_FLOAT:
        cv__repr_float(out, v->f);
        break;
    case M_STR:
        cv__repr_str(out, v->p, v->n);
        break;
    case M_BIN:
        cv__repr_bytes(out, v->p, v->n);
        break;
    case M_EXT:
        buf_printf(out, "ExtType(code=%d, data=", v->ext);
        cv__repr_bytes(out, v->p, v->n);
        buf_append(out, ")", 1);
        break;
    case M_TIME:
        if (v->ext)
            buf_printf(out, "Timestamp(seconds=%lld, nanoseconds=%lld)", (long long)v->u,
                       (long long)v->i);
        else
            buf_printf(out, "Timestamp(seconds=%llu, nanoseconds=%lld)", (unsigned long long)v->u,
                       (long long)v->i);
        break;
    }
}

struct item {
    const struct node *key;
    size_t pos; /* the pair's place in the map */
    size_t val; /* node of its value */
};

/* Keys of different types (str, bytes) never equal, as in Python. */
static int
cmp_key(const struct node *a, const struct node *b)
{
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    size_t n = a->n < b->n ? a->n : b->n;
    int c = n ? memcmp(a->p, b->p, n) : 0;
    if (c == 0 && a->n != b->n)
        c = a->n < b->n ? -1 : 1;
    return c;
}

static int
cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c = cmp_key(x->key, y->key);
    return c ? c : (x->pos < y->pos ? -1 : x->pos > y->pos);
}

static int
cmp_pos(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* A map as the dict Python builds: each key once, at its first place, with
 * its last value. */
static struct item *
map_items(const struct doc *d, const struct node *v, size_t *m)
{
    const size_t *k = d->kids + v->first;
    struct item *it = xmalloc((v->n ? v->n : 1) * sizeof(*it));
    for (size_t j = 0; j < v->n; j++)
        it[j] = (struct item){&d->v[k[2 * j]], j, k[2 * j + 1]};
    qsort(it, v->n, sizeof(*it), cmp_item);
    size_t n = 0;
    for (size_t j = 0; j < v->n; j++) {
        if (n > 0 && cmp_key(it[n - 1].key, it[j].key) == 0)
            it[n - 1].val = it[j].val;
        else
            it[n++] = it[j];
    }
    qsort(it, n, sizeof(*it), cmp_pos);
    *m = n;
    return it;
}

static void
nl(struct buf *out, int indent)
{
    buf_append(out, "\n", 1);
    for (int i = 0; i < indent; i++)
        buf_append_str(out, "    ");
}

static int
pretty(struct buf *out, const struct doc *d, size_t i, int indent)
{
    const struct node *v = &d->v[i];
    if (v->type != M_ARR && v->type != M_MAP) {
        repr(out, v);
        return 0;
    }
    if (indent >= MAX_DEPTH)
        return -1; /* RecursionError */
    buf_append(out, v->type == M_MAP ? "{" : "[", 1);
    if (v->type == M_MAP) {
        size_t n;
        struct item *it = map_items(d, v, &n);
        for (size_t j = 0; j < n; j++) {
            if (j)
                buf_append(out, ",", 1);
            nl(out, indent + 1);
            repr(out, it[j].key);
            buf_append_str(out, ": ");
            if (pretty(out, d, it[j].val, indent + 1) < 0) {
                free(it);
                return -1;
            }
        }
        free(it);
    } else {
        const size_t *k = d->kids + v->first;
        for (size_t j = 0; j < v->n; j++) {
            if (j)
                buf_append(out, ",", 1);
            nl(out, indent + 1);
            if (pretty(out, d, k[j], indent + 1) < 0)
                return -1;
        }
    }
    nl(out, indent);
    buf_append(out, v->type == M_MAP ? "}" : "]", 1);
    return 0;
}

int
cv__msgpack_priority(struct cv_render *r)
{
    const char *ct = r->ctype;
    return r->body.len && ct &&
                   (strcmp(ct, "application/msgpack") == 0 ||
                    strcmp(ct, "application/x-msgpack") == 0)
               ? 10
               : 0;
}

int
cv__msgpack_render(struct cv_render *r)
{
    if (r->state)
        return cv__text_drain(r, r->state);
    struct doc d = {.p = cv__data(r), .len = r->body.len};
    size_t root;
    struct buf out = BUF_INIT;
    int rc = parse(&d, 0, &root);
    if (rc == 0 && d.pos != d.len)
        rc = -1; /* ExtraData */
    if (rc == 0)
        rc = pretty(&out, &d, root, 0);
    free(d.v);
    free(d.kids);
    if (rc < 0) {
        buf_clear(&out);
        return CV__FAIL;
    }
    cv__set_desc(r, "MsgPack");
    return cv__text_start(r, &out);
}
