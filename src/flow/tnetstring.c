#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
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

/* ---- the arena ---------------------------------------------------------- */

/* A block of its own for anything larger than a quarter of a block (a
 * body), so that the rest of the current block is not given up for it. */
#define ARENA_BLOCK 16384
#define ARENA_ALIGN 16

struct tns_block {
    struct tns_block *next;
    max_align_t data[];
};

void
tns_arena_init(struct tns_arena *a, void *space, size_t len)
{
    a->blocks = NULL;
    a->cur = a->end = NULL;
    if (space && len >= ARENA_ALIGN) {
        uintptr_t p = ((uintptr_t)space + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1);
        a->cur = (uint8_t *)p;
        a->end = (uint8_t *)space + len;
    }
}

void
tns_arena_clear(struct tns_arena *a)
{
    while (a->blocks) {
        struct tns_block *b = a->blocks;
        a->blocks = b->next;
        free(b);
    }
    a->cur = a->end = NULL;
}

static void *
arena_alloc(struct tns_arena *a, size_t n)
{
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (a->cur && (size_t)(a->end - a->cur) >= n) {
        void *p = a->cur;
        a->cur += n;
        return p;
    }
    size_t len = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;
    struct tns_block *b = xmalloc(sizeof(*b) + len);
    b->next = a->blocks;
    a->blocks = b;
    if (len == n)
        return b->data;
    a->cur = (uint8_t *)b->data + n;
    a->end = (uint8_t *)b->data + len;
    return b->data;
}

/* p[0..n) and a NUL, in a. */
static char *
arena_str(struct tns_arena *a, const void *p, size_t n)
{
    char *s = arena_alloc(a, n + 1);
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* A node of a's, or of the heap when a is NULL. */
static struct tns *
node(struct tns_arena *a, enum tns_type type)
{
    if (a == NULL)
        return alloc(type);
    struct tns *t = arena_alloc(a, sizeof(*t));
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->in_arena = 1;
    return t;
}

static int
any_in_arena(const struct tns *t)
{
    if (t->in_arena || t->arr_in_arena)
        return 1;
    if (t->type == TNS_LIST)
        for (size_t i = 0; i < t->u.list.n; i++)
            if (any_in_arena(t->u.list.v[i]))
                return 1;
    if (t->type == TNS_DICT)
        for (size_t i = 0; i < t->u.dict.n; i++)
            if (t->u.dict.v[i].key_in_arena || any_in_arena(t->u.dict.v[i].val))
                return 1;
    return 0;
}

struct tns *
tns_keep(struct tns *t)
{
    if (t == NULL || !any_in_arena(t))
        return t;
    struct tns *c = tns_copy(t);
    tns_free(t);
    return c;
}

char *
tns_take_str(struct tns *t)
{
    if (t == NULL || (t->type != TNS_BYTES && t->type != TNS_TEXT))
        return NULL;
    char *s = t->in_arena ? xmemdup(t->u.str.p, t->u.str.len + 1) : t->u.str.p;
    t->u.str.p = NULL;
    t->type = TNS_NULL;
    return s;
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
        if (!t->in_arena)
            free(t->u.str.p);
        break;
    case TNS_FLOAT:
        if (!t->in_arena)
            free(t->u.f.text);
        break;
    case TNS_LIST:
        for (size_t i = 0; i < t->u.list.n; i++)
            tns_free(t->u.list.v[i]);
        if (!t->arr_in_arena)
            free(t->u.list.v);
        break;
    case TNS_DICT:
        for (size_t i = 0; i < t->u.dict.n; i++) {
            if (!t->u.dict.v[i].key_in_arena)
                free(t->u.dict.v[i].key);
            tns_free(t->u.dict.v[i].val);
        }
        if (!t->arr_in_arena)
            free(t->u.dict.v);
        break;
    default:
        break;
    }
    if (!t->in_arena)
        free(t);
}

/* Keys are bytes: a key may hold NUL, so copies go by length. */
static void dict_set_n(struct tns *d, const char *key, size_t key_len, struct tns *val);

/* A copy's array, room for exactly n items (NULL for none): a copy keeps
 * what it holds and seldom grows. */
static void *
reserve(size_t *cap, size_t n, size_t size)
{
    *cap = n;
    return n ? xmalloc(n * size) : NULL;
}

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
        c->u.list.v = reserve(&c->u.list.cap, t->u.list.n, sizeof(*c->u.list.v));
        for (size_t i = 0; i < t->u.list.n; i++)
            tns_list_append(c, tns_copy(t->u.list.v[i]));
        return c;
    case TNS_DICT:
        c = tns_dict();
        c->u.dict.v = reserve(&c->u.dict.cap, t->u.dict.n, sizeof(*c->u.dict.v));
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

/*
 * Room for one more item in a list's or dict's array v of n items. An
 * array in an arena is copied into one of its own, or (a != NULL) into a
 * larger one in a: the arena's memory is never realloc'd, so a decoded
 * array starts with room for 8. One on the heap starts with room for 2:
 * the trees built in memory are mostly small and long-lived (a
 * connection's facts hold a dict of two lists of one or two items each,
 * for as long as its flows live), and realloc is cheap there.
 */
static void *
grow(void *v, size_t n, size_t *cap, size_t size, uint8_t *in_arena, struct tns_arena *a)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : a ? 8 : 2;
    void *nv;
    if (a) {
        nv = arena_alloc(a, ncap * size);
    } else if (*in_arena) {
        nv = xmalloc(ncap * size);
    } else {
        *cap = ncap;
        return xrealloc(v, ncap * size);
    }
    if (n)
        memcpy(nv, v, n * size);
    *in_arena = a != NULL;
    *cap = ncap;
    return nv;
}

static void
list_append(struct tns *l, struct tns *item, struct tns_arena *a)
{
    l->u.list.v =
        grow(l->u.list.v, l->u.list.n, &l->u.list.cap, sizeof(*l->u.list.v), &l->arr_in_arena, a);
    l->u.list.v[l->u.list.n++] = item;
}

void
tns_list_append(struct tns *l, struct tns *item)
{
    list_append(l, item, NULL);
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

/* A key's key_len bytes (a decoded key is not NUL-terminated) are copied,
 * with a NUL, into a, or onto the heap when a is NULL. */
static void
dict_set_in(struct tns *d, const char *key, size_t key_len, struct tns *val, struct tns_arena *a)
{
    struct tns_pair *p = find_n(d, key, key_len);
    if (p) {
        tns_free(p->val);
        p->val = val;
        return;
    }
    d->u.dict.v =
        grow(d->u.dict.v, d->u.dict.n, &d->u.dict.cap, sizeof(*d->u.dict.v), &d->arr_in_arena, a);
    p = &d->u.dict.v[d->u.dict.n++];
    if (a) {
        p->key = arena_str(a, key, key_len);
    } else {
        p->key = xmalloc(key_len + 1);
        memcpy(p->key, key, key_len);
        p->key[key_len] = '\0';
    }
    p->key_in_arena = a != NULL;
    p->key_len = key_len;
    p->val = val;
}

static void
dict_set_n(struct tns *d, const char *key, size_t key_len, struct tns *val)
{
    dict_set_in(d, key, key_len, val, NULL);
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
    if (!p->key_in_arena)
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
    if (!p->key_in_arena)
        free(p->key);
    p->key_in_arena = 0;
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
                  struct tns_arena *a, struct err *e);

/* A string node of type with p[0..n), in a or on the heap. */
static struct tns *
str_node(struct tns_arena *a, enum tns_type type, const uint8_t *p, size_t n)
{
    if (a == NULL) {
        struct tns *t = tns_bytes(p, n);
        t->type = type;
        return t;
    }
    struct tns *t = node(a, type);
    t->u.str.p = arena_str(a, p, n);
    t->u.str.len = n;
    return t;
}

/*
 * The length prefix of the value at p[0..len): its payload's offset in
 * *start and its length in *n. The payload and its tag lie within len.
 */
static int
prefix(const uint8_t *p, size_t len, size_t *start, size_t *n, struct err *e)
{
    size_t i = 0;
    uint64_t v = 0;
    while (i < len && p[i] >= '0' && p[i] <= '9') {
        if (i == TNS_MAX_LEN_DIGITS)
            return err_set(e, MP_ERR_CORRUPT, "length prefix longer than %d digits",
                           TNS_MAX_LEN_DIGITS);
        v = v * 10 + (uint64_t)(p[i] - '0');
        i++;
    }
    if (i == len)
        return err_set(e, MP_ERR_INCOMPLETE, "input ends in the length prefix");
    if (i == 0 || p[i] != ':')
        return err_set(e, MP_ERR_CORRUPT, "bad length prefix (byte 0x%02x at %zu)", p[i], i);
    i++;
    if (v >= len - i)
        return err_set(e, MP_ERR_INCOMPLETE, "input ends inside a %" PRIu64 "-byte value", v);
    *start = i;
    *n = (size_t)v;
    return 0;
}

/*
 * A dict's key, read in place: p[0..*klen) at *key, *used bytes of input.
 * A key is a text string; anything else is decoded as a value would be, so
 * that its errors are the ones it always had, and refused.
 */
static int
decode_key(const uint8_t *p, size_t len, size_t *used, const uint8_t **key, size_t *klen, int depth,
           struct err *e)
{
    size_t i, n;
    int rc = prefix(p, len, &i, &n, e);
    if (rc == 0 && p[i + n] == TNS_TEXT) {
        if (!tns_utf8_valid(p + i, n))
            return err_set(e, MP_ERR_CORRUPT, "text string is not valid UTF-8");
        *key = p + i;
        *klen = n;
        *used = i + n + 1;
        return 0;
    }
    struct tns *k = NULL;
    if (rc == 0 && (rc = decode(p, len, used, &k, depth, NULL, e)) == 0)
        rc = err_set(e, MP_ERR_CORRUPT, "dict key is not a text string");
    tns_free(k);
    return rc;
}

static int
decode_payload(enum tns_type type, const uint8_t *p, size_t n, struct tns **out, int depth,
               struct tns_arena *a, struct err *e)
{
    struct tns *t;
    switch (type) {
    case TNS_TEXT:
        if (!tns_utf8_valid(p, n))
            return err_set(e, MP_ERR_CORRUPT, "text string is not valid UTF-8");
        __attribute__((fallthrough));
    case TNS_BYTES:
        *out = str_node(a, type, p, n);
        return 0;
    case TNS_INT: {
        int64_t v;
        if (!parse_int((const char *)p, n, &v))
            return err_set(e, MP_ERR_CORRUPT, "bad integer '%.*s'", (int)(n > 40 ? 40 : n),
                           (const char *)p);
        t = node(a, TNS_INT);
        t->u.i = v;
        *out = t;
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
        t = node(a, TNS_FLOAT);
        t->u.f.v = v;
        t->u.f.text = a ? arena_str(a, tmp, n) : xstrdup(tmp);
        *out = t;
        return 0;
    }
    case TNS_BOOL:
        if (n == 4 && memcmp(p, "true", 4) == 0)
            t = node(a, TNS_BOOL), t->u.b = 1;
        else if (n == 5 && memcmp(p, "false", 5) == 0)
            t = node(a, TNS_BOOL);
        else
            return err_set(e, MP_ERR_CORRUPT, "bad boolean");
        *out = t;
        return 0;
    case TNS_NULL:
        if (n != 0)
            return err_set(e, MP_ERR_CORRUPT, "null with a payload");
        *out = node(a, TNS_NULL);
        return 0;
    case TNS_LIST:
    case TNS_DICT:
        break;
    default:
        return err_set(e, MP_ERR_CORRUPT, "unknown type tag");
    }

    if (depth >= TNS_MAX_DEPTH)
        return err_set(e, MP_ERR_LIMIT, "nested deeper than %d levels", TNS_MAX_DEPTH);
    t = node(a, type);
    size_t off = 0;
    while (off < n) {
        const uint8_t *key = NULL;
        size_t klen = 0, u;
        struct tns *val = NULL;
        int rc;
        if (type == TNS_DICT) {
            rc = decode_key(p + off, n - off, &u, &key, &klen, depth + 1, e);
            if (rc == 0) {
                off += u;
                if (off == n)
                    rc = err_set(e, MP_ERR_CORRUPT, "dict key without a value");
            }
            if (rc < 0) {
                if (rc == MP_ERR_INCOMPLETE)
                    rc = err_set(e, MP_ERR_CORRUPT, "dict entry overruns its dict");
                tns_free(t);
                return rc;
            }
        }
        rc = decode(p + off, n - off, &u, &val, depth + 1, a, e);
        if (rc < 0) {
            if (rc == MP_ERR_INCOMPLETE)
                rc = err_set(e, MP_ERR_CORRUPT, "item overruns its container");
            tns_free(t);
            return rc;
        }
        off += u;
        if (type == TNS_DICT)
            dict_set_in(t, (const char *)key, klen, val, a);
        else
            list_append(t, val, a);
    }
    *out = t;
    return 0;
}

static int
decode(const uint8_t *p, size_t len, size_t *used, struct tns **out, int depth, struct tns_arena *a,
       struct err *e)
{
    size_t i, n;
    int rc = prefix(p, len, &i, &n, e);
    if (rc < 0)
        return rc;
    rc = decode_payload((enum tns_type)p[i + n], p + i, n, out, depth, a, e);
    if (rc < 0)
        return rc;
    *used = i + n + 1;
    return 0;
}

int
tns_decode(const uint8_t *p, size_t len, size_t *used, struct tns **out, struct err *e)
{
    *out = NULL;
    return decode(p, len, used, out, 0, NULL, e);
}

int
tns_decode_in(struct tns_arena *a, const uint8_t *p, size_t len, size_t *used, struct tns **out,
              struct err *e)
{
    *out = NULL;
    return decode(p, len, used, out, 0, a, e);
}
