/*
 * The JSON reader behind the JSON and GraphQL views: Python's json.loads()
 * over the body decoded as strict UTF-8, without recursion, resumable
 * after any value so a huge body is read a budget at a time.
 *
 * Python's json module is the specification here: the C scanner's number
 * grammar (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][-+]?[0-9]+)?, the rest of the
 * text being "extra data"), NaN/Infinity/-Infinity, strict strings (no
 * control characters, only the JSON escapes, surrogate pairs joined and
 * lone surrogates kept), whitespace " \t\n\r", integers of at most 4300
 * digits (int() refuses more since Python 3.11).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/jsondoc.h"
#include "util/hex.h"
#include "util/xmalloc.h"

#define MAX_INT_DIGITS 4300

struct cv__jframe {
    size_t val;   /* the container's value index */
    size_t first; /* its first child in open[] */
};

enum { ST_VALUE, ST_AFTER, ST_KEY, ST_COLON, ST_END };

void
cv__json_free(struct cv__json *d)
{
    if (d == NULL)
        return;
    free(d->v);
    free(d->kids);
    buf_clear(&d->text);
    free(d->stack);
    free(d->open);
    free(d);
}

static inline size_t
new_val(struct cv__json *d, enum cv__jt t)
{
    if (d->nv == d->capv) {
        /* A value takes two bytes of the body at least. */
        d->capv = d->capv ? d->capv * 2 : d->len / 8 + 16;
        d->v = xrealloc(d->v, d->capv * sizeof(*d->v));
    }
    d->v[d->nv].type = t;
    return d->nv++;
}

static inline void
push_open(struct cv__json *d, size_t i)
{
    if (d->nopen == d->capopen) {
        d->capopen = d->capopen ? d->capopen * 2 : 256;
        d->open = xrealloc(d->open, d->capopen * sizeof(*d->open));
    }
    d->open[d->nopen++] = (uint32_t)i;
}

static int
is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* Reads four hex digits at p (n bytes left); -1 if they are not. */
static long
hex4(const uint8_t *p, size_t n)
{
    if (n < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/*
 * A string at d->pos (the opening quote). One without escapes is the
 * body's own bytes; one with escapes is decoded into text.
 */
static int
parse_string(struct cv__json *d, const uint8_t *s, size_t len, size_t *val)
{
    size_t i = d->pos + 1, start = i;
    /* The common case: plain characters up to the closing quote. */
    for (;;) {
        while (i < len && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20 && s[i] < 0x80)
            i++;
        if (i >= len || s[i] < 0x20)
            return -1; /* unterminated, or a control character (strict) */
        if (s[i] >= 0x80) {
            uint32_t cp;
            size_t k = cv__utf8_next(s + i, len - i, &cp);
            if (k == 0)
                return -1; /* the body does not decode as UTF-8 */
            i += k;
            continue;
        }
        break;
    }
    if (s[i] == '"') {
        if (i - start > UINT32_MAX)
            return -1;
        size_t v = new_val(d, CV__J_STR);
        d->v[v].type |= CV__J_IN_BODY;
        d->v[v].u.a = start;
        d->v[v].n = (uint32_t)(i - start);
        d->pos = i + 1;
        *val = v;
        return 0;
    }
    size_t tstart = d->text.len;
    buf_append(&d->text, s + start, i - start);
    for (;;) {
        size_t j = i;
        while (j < len && s[j] != '"' && s[j] != '\\' && s[j] >= 0x20 && s[j] < 0x80)
            j++;
        buf_append(&d->text, s + i, j - i);
        i = j;
        if (i >= len)
            return -1;
        uint8_t c = s[i];
        if (c == '"')
            break;
        if (c < 0x20)
            return -1;
        if (c >= 0x80) {
            uint32_t cp;
            size_t k = cv__utf8_next(s + i, len - i, &cp);
            if (k == 0)
                return -1;
            buf_append(&d->text, s + i, k);
            i += k;
            continue;
        }
        /* A backslash escape. */
        if (i + 1 >= len)
            return -1;
        uint8_t e = s[i + 1];
        const char *simple = NULL;
        switch (e) {
        case '"':
            simple = "\"";
            break;
        case '\\':
            simple = "\\";
            break;
        case '/':
            simple = "/";
            break;
        case 'b':
            simple = "\b";
            break;
        case 'f':
            simple = "\f";
            break;
        case 'n':
            simple = "\n";
            break;
        case 'r':
            simple = "\r";
            break;
        case 't':
            simple = "\t";
            break;
        case 'u':
            break;
        default:
            return -1;
        }
        if (simple) {
            buf_append(&d->text, simple, 1);
            i += 2;
            continue;
        }
        long u = hex4(s + i + 2, len - i - 2);
        if (u < 0)
            return -1;
        i += 6;
        if (u >= 0xd800 && u <= 0xdbff && i + 1 < len && s[i] == '\\' && s[i + 1] == 'u') {
            long lo = hex4(s + i + 2, len - i - 2);
            if (lo < 0)
                return -1;
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                i += 6;
            }
        }
        cv__append_cp(&d->text, (uint32_t)u);
    }
    if (d->text.len - tstart > UINT32_MAX)
        return -1;
    size_t v = new_val(d, CV__J_STR);
    d->v[v].u.a = tstart;
    d->v[v].n = (uint32_t)(d->text.len - tstart);
    d->pos = i + 1;
    *val = v;
    return 0;
}

/* A number at d->pos, or NaN, Infinity, -Infinity. */
static int
parse_number(struct cv__json *d, const uint8_t *s, size_t len, size_t *val)
{
    size_t i = d->pos;
    if (len - i >= 9 && memcmp(s + i, "-Infinity", 9) == 0) {
        *val = new_val(d, CV__J_FLOAT);
        d->v[*val].u.f = -(double)INFINITY;
        d->pos = i + 9;
        return 0;
    }
    if (s[i] == '-')
        i++;
    if (i >= len)
        return -1;
    size_t int_start = i;
    if (s[i] >= '1' && s[i] <= '9') {
        while (i < len && is_digit(s[i]))
            i++;
    } else if (s[i] == '0') {
        i++;
    } else {
        return -1;
    }
    size_t int_digits = i - int_start;
    int is_float = 0;
    if (i + 1 < len && s[i] == '.' && is_digit(s[i + 1])) {
        is_float = 1;
        i += 2;
        while (i < len && is_digit(s[i]))
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = i + 1;
        if (e < len && (s[e] == '-' || s[e] == '+'))
            e++;
        size_t ds = e;
        while (e < len && is_digit(s[e]))
            e++;
        if (e > ds) {
            is_float = 1;
            i = e;
        }
    }
    if (is_float) {
        /* Kept as written: most floats print without a conversion. */
        *val = new_val(d, CV__J_FLOAT);
        d->v[*val].type |= CV__J_IN_BODY;
        d->v[*val].u.a = d->pos;
        d->v[*val].n = (uint32_t)(i - d->pos);
    } else {
        if (int_digits > MAX_INT_DIGITS)
            return -1;
        *val = new_val(d, CV__J_INT);
        /* int() then repr() is the text itself, but "-0" is 0. */
        size_t from =
            s[d->pos] == '-' && int_digits == 1 && s[int_start] == '0' ? int_start : d->pos;
        d->v[*val].type |= CV__J_IN_BODY;
        d->v[*val].u.a = from;
        d->v[*val].n = (uint32_t)(i - from);
    }
    d->pos = i;
    return 0;
}

static int
literal(struct cv__json *d, const uint8_t *s, size_t len, const char *word, enum cv__jt t, double f,
        size_t *val)
{
    size_t n = strlen(word);
    if (len - d->pos < n || memcmp(s + d->pos, word, n) != 0)
        return -1;
    *val = new_val(d, t);
    d->v[*val].u.f = f;
    d->pos += n;
    return 0;
}

/* Closes the innermost container: its children move from open to kids. */
static size_t
close_container(struct cv__json *d)
{
    struct cv__jframe *fr = &d->stack[--d->depth];
    size_t n = d->nopen - fr->first;
    if (d->nkids + n > d->capkids) {
        while (d->nkids + n > d->capkids)
            d->capkids = d->capkids ? d->capkids * 2 : 256;
        d->kids = xrealloc(d->kids, d->capkids * sizeof(*d->kids));
    }
    if (n)
        memcpy(d->kids + d->nkids, d->open + fr->first, n * sizeof(*d->kids));
    struct cv__jval *v = &d->v[fr->val];
    v->u.a = d->nkids;
    v->n = (uint32_t)(v->type == CV__J_OBJ ? n / 2 : n);
    d->nkids += n;
    d->nopen = fr->first;
    return fr->val;
}

static void
open_container(struct cv__json *d, enum cv__jt t)
{
    size_t v = new_val(d, t);
    if (d->depth == d->capstack) {
        d->capstack = d->capstack ? d->capstack * 2 : 32;
        d->stack = xrealloc(d->stack, d->capstack * sizeof(*d->stack));
    }
    d->stack[d->depth++] = (struct cv__jframe){v, d->nopen};
    if ((int)d->depth > d->max_depth)
        d->max_depth = (int)d->depth;
    d->pos++;
}

/* A complete value (scalar or closed container): where it goes next. */
static void
value_done(struct cv__json *d, size_t v)
{
    if (d->depth == 0) {
        d->root = v;
        d->state = ST_END;
    } else {
        push_open(d, v);
        d->state = ST_AFTER;
    }
}

/* Parses on from d->pos; returns 1 when done, 0 on budget, -1 on error. */
static int
parse(struct cv_render *r, struct cv__json *d)
{
    const uint8_t *s = cv__data(r);
    size_t len = r->body.len;
    for (;;) {
        size_t before = d->pos;
        while (d->pos < len && is_ws(s[d->pos]))
            d->pos++;
        if (d->state == ST_END)
            return d->pos == len ? 1 : -1;
        if (d->pos >= len)
            return -1;
        uint8_t c = s[d->pos];
        size_t v;
        switch (d->state) {
        case ST_VALUE:
            if (c == '{' || c == '[') {
                open_container(d, c == '{' ? CV__J_OBJ : CV__J_ARR);
                while (d->pos < len && is_ws(s[d->pos]))
                    d->pos++;
                if (d->pos < len && s[d->pos] == (c == '{' ? '}' : ']')) {
                    d->pos++;
                    value_done(d, close_container(d));
                } else {
                    d->state = c == '{' ? ST_KEY : ST_VALUE;
                }
                break;
            }
            int rc;
            if (c == '"')
                rc = parse_string(d, s, len, &v);
            else if (c == '-' || is_digit(c))
                rc = parse_number(d, s, len, &v);
            else if (c == 'n')
                rc = literal(d, s, len, "null", CV__J_NULL, 0, &v);
            else if (c == 't')
                rc = literal(d, s, len, "true", CV__J_TRUE, 0, &v);
            else if (c == 'f')
                rc = literal(d, s, len, "false", CV__J_FALSE, 0, &v);
            else if (c == 'N')
                rc = literal(d, s, len, "NaN", CV__J_FLOAT, NAN, &v);
            else if (c == 'I')
                rc = literal(d, s, len, "Infinity", CV__J_FLOAT, INFINITY, &v);
            else
                rc = -1;
            if (rc < 0)
                return -1;
            value_done(d, v);
            break;
        case ST_AFTER: {
            int obj = cv__json_type(d, d->stack[d->depth - 1].val) == CV__J_OBJ;
            if (c == ',') {
                d->pos++;
                d->state = obj ? ST_KEY : ST_VALUE;
            } else if (c == (obj ? '}' : ']')) {
                d->pos++;
                value_done(d, close_container(d));
            } else {
                return -1;
            }
            break;
        }
        case ST_KEY:
            if (c != '"' || parse_string(d, s, len, &v) < 0)
                return -1;
            push_open(d, v);
            d->state = ST_COLON;
            break;
        case ST_COLON:
            if (c != ':')
                return -1;
            d->pos++;
            d->state = ST_VALUE;
            break;
        }
        if (!cv__spend(r, d->pos - before + 1))
            return 0;
    }
}

int
cv__json_get(struct cv_render *r, int max_depth, struct cv__json **out)
{
    struct cv__json *d = r->json;
    if (d == NULL) {
        d = r->json = xcalloc(1, sizeof(*d));
        d->body = cv__data(r);
        d->len = r->body.len;
        if (d->len > UINT32_MAX)
            d->status = -1; /* offsets are 32 bits */
    }
    if (d->status == 0) {
        int rc = parse(r, d);
        if (rc == 0)
            return CV__MORE;
        d->status = rc > 0 ? 1 : -1;
        /* The parser's scaffolding is not needed any more. */
        free(d->stack);
        free(d->open);
        d->stack = NULL;
        d->open = NULL;
        d->capstack = d->capopen = d->nopen = d->depth = 0;
    }
    if (d->status < 0 || d->max_depth > max_depth)
        return CV__FAIL;
    *out = d;
    return CV__DONE;
}

double
cv__json_float(const struct cv__json *d, size_t i)
{
    const struct cv__jval *v = &d->v[i];
    if (!(v->type & CV__J_IN_BODY))
        return v->u.f;
    /* strtod needs a terminated copy; most numbers are short. */
    char small[64], *tmp = v->n < sizeof(small) ? small : xmalloc(v->n + 1);
    memcpy(tmp, d->body + v->u.a, v->n);
    tmp[v->n] = '\0';
    double f = strtod(tmp, NULL);
    if (tmp != small)
        free(tmp);
    return f;
}

/* ---- dict semantics ---- */

void
cv__u32s_push(struct cv__u32s *a, uint32_t x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
    }
    a->v[a->n++] = x;
}

struct item {
    const uint8_t *p;
    uint32_t n;
    uint32_t pos; /* the pair's position in the object */
    uint32_t key; /* kids offsets of the key and of its value */
    uint32_t val;
};

static inline int
cmp_key(const struct item *x, const struct item *y)
{
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);
    if (c == 0 && x->n != y->n)
        c = x->n < y->n ? -1 : 1;
    return c ? c : (x->pos < y->pos ? -1 : x->pos > y->pos);
}

static int
cmp_item(const void *a, const void *b)
{
    return cmp_key(a, b);
}

static int
cmp_pos(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int
same_key(const struct item *x, const struct item *y)
{
    return x->n == y->n && memcmp(x->p, y->p, x->n) == 0;
}

size_t
cv__json_items(const struct cv__json *d, size_t obj, int sorted, struct cv__u32s *out)
{
    const struct cv__jval *o = &d->v[obj];
    struct item small[16];
    struct item *k = o->n <= 16 ? small : xmalloc(o->n * sizeof(*k));
    for (uint32_t i = 0; i < o->n; i++) {
        uint32_t at = (uint32_t)o->u.a + 2 * i;
        uint32_t key = d->kids[at];
        k[i] = (struct item){cv__json_str(d, key), d->v[key].n, i, at, at + 1};
    }
    /* UTF-8 orders as code points do, which is how Python sorts str. */
    if (o->n <= 16) {
        for (size_t i = 1; i < o->n; i++) {
            struct item t = k[i];
            size_t j = i;
            for (; j > 0 && cmp_key(&k[j - 1], &t) > 0; j--)
                k[j] = k[j - 1];
            k[j] = t;
        }
    } else {
        qsort(k, o->n, sizeof(*k), cmp_item);
    }
    /* A dict holds each key once: at its first position, with its last value. */
    size_t m = 0;
    for (size_t i = 0; i < o->n; i++) {
        if (m > 0 && same_key(&k[m - 1], &k[i]))
            k[m - 1].val = k[i].val;
        else
            k[m++] = k[i];
    }
    if (!sorted && m != o->n) {
        qsort(k, m, sizeof(*k), cmp_pos);
    } else if (!sorted) {
        /* No duplicates: the pairs as written. */
        for (uint32_t i = 0; i < m; i++)
            k[i].key = (uint32_t)o->u.a + 2 * i, k[i].val = k[i].key + 1;
    }
    for (size_t i = 0; i < m; i++) {
        cv__u32s_push(out, k[i].key);
        cv__u32s_push(out, k[i].val);
    }
    if (k != small)
        free(k);
    return m;
}
