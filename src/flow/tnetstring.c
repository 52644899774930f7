#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flow/tnetstring.h"
#include "util/xmalloc.h"

static struct tns *
alloc(enum tns_type type)
{
    struct tns *t = xcalloc(1, sizeof(*t));
    t->type = type;
    return t;
}

struct tns *
tns_bytes(const void *p, size_t len)
{
    struct tns *t = alloc(TNS_BYTES);
    t->u.str.p = xmalloc(len + 1);
    if (len)
        memcpy(t->u.str.p, p, len);
    t->u.str.p[len] = '\0';
    t->u.str.len = len;
    return t;
}

struct tns *
tns_text_n(const char *s, size_t len)
{
    struct tns *t = tns_bytes(s, len);
    t->type = TNS_TEXT;
    return t;
}

struct tns *
tns_text(const char *s)
{
    return tns_text_n(s, strlen(s));
}

struct tns *
tns_int(int64_t v)
{
    struct tns *t = alloc(TNS_INT);
    t->u.i = v;
    return t;
}

struct tns *
tns_float(double v)
{
    struct tns *t = alloc(TNS_FLOAT);
    t->u.f.v = v;
    return t;
}

struct tns *
tns_bool(int v)
{
    struct tns *t = alloc(TNS_BOOL);
    t->u.b = v != 0;
    return t;
}

struct tns *
tns_null(void)
{
    return alloc(TNS_NULL);
}

struct tns *
tns_list(void)
{
    return alloc(TNS_LIST);
}

struct tns *
tns_dict(void)
{
    return alloc(TNS_DICT);
}

void
tns_free(struct tns *t)
{
    if (t == NULL)
        return;
    switch (t->type) {
    case TNS_BYTES:
    case TNS_TEXT:
        free(t->u.str.p);
        break;
    case TNS_FLOAT:
        free(t->u.f.text);
        break;
    case TNS_LIST:
        for (size_t i = 0; i < t->u.list.n; i++)
            tns_free(t->u.list.v[i]);
        free(t->u.list.v);
        break;
    case TNS_DICT:
        for (size_t i = 0; i < t->u.dict.n; i++) {
            free(t->u.dict.v[i].key);
            tns_free(t->u.dict.v[i].val);
        }
        free(t->u.dict.v);
        break;
    default:
        break;
    }
    free(t);
}

/* Keys are bytes: a key may hold NUL, so copies go by length. */
static void dict_set_n(struct tns *d, const char *key, size_t key_len, struct tns *val);

struct tns *
tns_copy(const struct tns *t)
{
    if (t == NULL)
        return NULL;
    struct tns *c;
    switch (t->type) {
    case TNS_BYTES:
    case TNS_TEXT:
        c = tns_bytes(t->u.str.p, t->u.str.len);
        c->type = t->type;
        return c;
    case TNS_FLOAT:
        c = tns_float(t->u.f.v);
        c->u.f.text = t->u.f.text ? xstrdup(t->u.f.text) : NULL;
        return c;
    case TNS_LIST:
        c = tns_list();
        for (size_t i = 0; i < t->u.list.n; i++)
            tns_list_append(c, tns_copy(t->u.list.v[i]));
        return c;
    case TNS_DICT:
        c = tns_dict();
        for (size_t i = 0; i < t->u.dict.n; i++)
            dict_set_n(c, t->u.dict.v[i].key, t->u.dict.v[i].key_len,
                       tns_copy(t->u.dict.v[i].val));
        return c;
    default:
        c = alloc(t->type);
        c->u = t->u;
        return c;
    }
}

int
tns_equal(const struct tns *a, const struct tns *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case TNS_BYTES:
    case TNS_TEXT:
        return a->u.str.len == b->u.str.len && memcmp(a->u.str.p, b->u.str.p, a->u.str.len) == 0;
    case TNS_INT:
        return a->u.i == b->u.i;
    case TNS_FLOAT:
        if (a->u.f.text && b->u.f.text)
            return strcmp(a->u.f.text, b->u.f.text) == 0;
        return a->u.f.v == b->u.f.v || (isnan(a->u.f.v) && isnan(b->u.f.v));
    case TNS_BOOL:
        return a->u.b == b->u.b;
    case TNS_NULL:
        return 1;
    case TNS_LIST:
        if (a->u.list.n != b->u.list.n)
            return 0;
        for (size_t i = 0; i < a->u.list.n; i++)
            if (!tns_equal(a->u.list.v[i], b->u.list.v[i]))
                return 0;
        return 1;
    case TNS_DICT:
        if (a->u.dict.n != b->u.dict.n)
            return 0;
        for (size_t i = 0; i < a->u.dict.n; i++) {
            const struct tns_pair *pa = &a->u.dict.v[i], *pb = &b->u.dict.v[i];
            if (strcmp(pa->key, pb->key) != 0 || !tns_equal(pa->val, pb->val))
                return 0;
        }
        return 1;
    }
    return 0;
}

void
tns_list_append(struct tns *l, struct tns *item)
{
    if (l->u.list.n == l->u.list.cap) {
        l->u.list.cap = l->u.list.cap ? l->u.list.cap * 2 : 4;
        l->u.list.v = xrealloc(l->u.list.v, l->u.list.cap * sizeof(*l->u.list.v));
    }
    l->u.list.v[l->u.list.n++] = item;
}

/* Lengths first: most keys of a flow's dicts differ in length, and the
 * lookups of reading and writing a flow file were a tenth of its time. */
static struct tns_pair *
find_n(const struct tns *d, const char *key, size_t key_len)
{
    if (d == NULL || d->type != TNS_DICT)
        return NULL;
    for (size_t i = 0; i < d->u.dict.n; i++) {
        struct tns_pair *p = &d->u.dict.v[i];
        if (p->key_len == key_len && memcmp(p->key, key, key_len) == 0)
            return p;
    }
    return NULL;
}

static struct tns_pair *
find(const struct tns *d, const char *key)
{
    return find_n(d, key, strlen(key));
}

static void
dict_set_n(struct tns *d, const char *key, size_t key_len, struct tns *val)
{
    struct tns_pair *p = find_n(d, key, key_len);
    if (p) {
        tns_free(p->val);
        p->val = val;
        return;
    }
    if (d->u.dict.n == d->u.dict.cap) {
        d->u.dict.cap = d->u.dict.cap ? d->u.dict.cap * 2 : 8;
        d->u.dict.v = xrealloc(d->u.dict.v, d->u.dict.cap * sizeof(*d->u.dict.v));
    }
    p = &d->u.dict.v[d->u.dict.n++];
    p->key = xmemdup(key, key_len + 1);
    p->key_len = key_len;
    p->val = val;
}

void
tns_dict_set(struct tns *d, const char *key, struct tns *val)
{
    dict_set_n(d, key, strlen(key), val);
}

struct tns *
tns_dict_get(const struct tns *d, const char *key)
{
    struct tns_pair *p = find(d, key);
    return p ? p->val : NULL;
}

struct tns *
tns_dict_take(struct tns *d, const char *key)
{
    struct tns_pair *p = find(d, key);
    if (p == NULL)
        return NULL;
    struct tns *val = p->val;
    free(p->key);
    size_t i = (size_t)(p - d->u.dict.v);
    memmove(p, p + 1, (d->u.dict.n - i - 1) * sizeof(*p));
    d->u.dict.n--;
    return val;
}

int
tns_dict_rename(struct tns *d, const char *from, const char *to)
{
    struct tns_pair *p = find(d, from);
    if (p == NULL)
        return 0;
    /* A key already named `to` would make the dict hold it twice. */
    tns_free(tns_dict_take(d, to));
    p = find(d, from);
    free(p->key);
    p->key = xstrdup(to);
    p->key_len = strlen(to);
    return 1;
}

/* Decoding. */

/*
 * Strict UTF-8 as Python's codec checks it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. Text strings and dict keys must pass.
 */
int
tns_utf8_valid(const void *p, size_t n)
{
    const uint8_t *s = p;
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            need = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            need = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += need + 1;
    }
    return 1;
}

static int
parse_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == n)
        return 0;
    uint64_t v = 0;
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

static int decode(const uint8_t *p, size_t len, size_t *used, struct tns **out, int depth,
                  struct err *e);

static int
decode_payload(enum tns_type type, const uint8_t *p, size_t n, struct tns **out, int depth,
               struct err *e)
{
    struct tns *t;
    switch (type) {
    case TNS_TEXT:
        if (!tns_utf8_valid(p, n))
            return err_set(e, MP_ERR_CORRUPT, "text string is not valid UTF-8");
        __attribute__((fallthrough));
    case TNS_BYTES:
        t = tns_bytes(p, n);
        t->type = type;
        *out = t;
        return 0;
    case TNS_INT: {
        int64_t v;
        if (!parse_int((const char *)p, n, &v))
            return err_set(e, MP_ERR_CORRUPT, "bad integer '%.*s'", (int)(n > 40 ? 40 : n),
                           (const char *)p);
        *out = tns_int(v);
        return 0;
    }
    case TNS_FLOAT: {
        char tmp[64];
        if (n == 0 || n >= sizeof(tmp) || memchr(p, '\0', n) || p[0] == ' ' ||
            (p[0] >= '\t' && p[0] <= '\r'))
            return err_set(e, MP_ERR_CORRUPT, "bad float");
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        char *end;
        errno = 0;
        double v = strtod(tmp, &end);
        if (end != tmp + n)
            return err_set(e, MP_ERR_CORRUPT, "bad float '%s'", tmp);
        t = tns_float(v);
        t->u.f.text = xstrdup(tmp);
        *out = t;
        return 0;
    }
    case TNS_BOOL:
        if (n == 4 && memcmp(p, "true", 4) == 0)
            *out = tns_bool(1);
        else if (n == 5 && memcmp(p, "false", 5) == 0)
            *out = tns_bool(0);
        else
            return err_set(e, MP_ERR_CORRUPT, "bad boolean");
        return 0;
    case TNS_NULL:
        if (n != 0)
            return err_set(e, MP_ERR_CORRUPT, "null with a payload");
        *out = tns_null();
        return 0;
    case TNS_LIST:
    case TNS_DICT:
        break;
    default:
        return err_set(e, MP_ERR_CORRUPT, "unknown type tag");
    }

    if (depth >= TNS_MAX_DEPTH)
        return err_set(e, MP_ERR_LIMIT, "nested deeper than %d levels", TNS_MAX_DEPTH);
    t = alloc(type);
    size_t off = 0;
    while (off < n) {
        struct tns *key = NULL, *val = NULL;
        size_t u;
        int rc;
        if (type == TNS_DICT) {
            rc = decode(p + off, n - off, &u, &key, depth + 1, e);
            if (rc == 0 && key->type != TNS_TEXT) {
                tns_free(key);
                key = NULL;
                rc = err_set(e, MP_ERR_CORRUPT, "dict key is not a text string");
            }
            if (rc == 0) {
                off += u;
                if (off == n)
                    rc = err_set(e, MP_ERR_CORRUPT, "dict key without a value");
            }
            if (rc < 0) {
                if (rc == MP_ERR_INCOMPLETE)
                    rc = err_set(e, MP_ERR_CORRUPT, "dict entry overruns its dict");
                tns_free(key);
                tns_free(t);
                return rc;
            }
        }
        rc = decode(p + off, n - off, &u, &val, depth + 1, e);
        if (rc < 0) {
            if (rc == MP_ERR_INCOMPLETE)
                rc = err_set(e, MP_ERR_CORRUPT, "item overruns its container");
            tns_free(key);
            tns_free(t);
            return rc;
        }
        off += u;
        if (type == TNS_DICT) {
            dict_set_n(t, key->u.str.p, key->u.str.len, val);
            tns_free(key);
        } else {
            tns_list_append(t, val);
        }
    }
    *out = t;
    return 0;
}

static int
decode(const uint8_t *p, size_t len, size_t *used, struct tns **out, int depth, struct err *e)
{
    size_t i = 0;
    uint64_t n = 0;
    while (i < len && p[i] >= '0' && p[i] <= '9') {
        if (i == TNS_MAX_LEN_DIGITS)
            return err_set(e, MP_ERR_CORRUPT, "length prefix longer than %d digits",
                           TNS_MAX_LEN_DIGITS);
        n = n * 10 + (uint64_t)(p[i] - '0');
        i++;
    }
    if (i == len)
        return err_set(e, MP_ERR_INCOMPLETE, "input ends in the length prefix");
    if (i == 0 || p[i] != ':')
        return err_set(e, MP_ERR_CORRUPT, "bad length prefix (byte 0x%02x at %zu)", p[i], i);
    i++;
    if (n >= len - i)
        return err_set(e, MP_ERR_INCOMPLETE, "input ends inside a %" PRIu64 "-byte value", n);
    enum tns_type type = (enum tns_type)p[i + n];
    int rc = decode_payload(type, p + i, (size_t)n, out, depth, e);
    if (rc < 0)
        return rc;
    *used = i + (size_t)n + 1;
    return 0;
}

int
tns_decode(const uint8_t *p, size_t len, size_t *used, struct tns **out, struct err *e)
{
    *out = NULL;
    return decode(p, len, used, out, 0, e);
}
