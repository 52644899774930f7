/*
 * JSON reader. See json_parse.h.
 *
 * A recursive descent over the bytes, one function per value kind; the
 * depth limit bounds the recursion, the size limit everything else (the
 * tree is at most a small multiple of the input).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/json_parse.h"
#include "util/xmalloc.h"

#define DEFAULT_MAX_SIZE ((size_t)1 << 30)
#define DEFAULT_MAX_DEPTH 512

struct parser {
    const uint8_t *p;
    size_t n;
    size_t pos;
    size_t depth, max_depth;
    struct err *e;
};

static int value(struct parser *, struct jv *);

static int
fail(struct parser *ps, const char *what)
{
    return err_set(ps->e, MP_ERR_SYNTAX, "JSON: %s at byte %zu", what, ps->pos);
}

static void
skip_ws(struct parser *ps)
{
    while (ps->pos < ps->n) {
        uint8_t c = ps->p[ps->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        ps->pos++;
    }
}

/* Whether the input continues with the literal word (advancing past it). */
static int
eat(struct parser *ps, const char *word)
{
    size_t len = strlen(word);
    if (ps->n - ps->pos < len || memcmp(ps->p + ps->pos, word, len) != 0)
        return 0;
    ps->pos += len;
    return 1;
}

static void
put_utf8(struct buf *b, unsigned cp)
{
    uint8_t o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        o[0] = (uint8_t)(0xc0 | (cp >> 6));
        o[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | (cp >> 12));
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        o[0] = (uint8_t)(0xf0 | (cp >> 18));
        o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_append(b, o, n);
}

/* The length of the valid UTF-8 sequence at p[0..n) (no overlong forms,
 * no surrogates, nothing past U+10FFFF), or 0. */
static size_t
utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0], lo = 0x80, hi = 0xbf;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* Four hex digits at the current position; -1 if they are not there. */
static long
hex4(struct parser *ps)
{
    if (ps->n - ps->pos < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = ps->p[ps->pos + i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    ps->pos += 4;
    return v;
}

/* A \u escape (after the "\u"), a surrogate pair taken whole. */
static int
unicode_escape(struct parser *ps, struct buf *b)
{
    long cp = hex4(ps);
    if (cp < 0)
        return fail(ps, "invalid \\u escape");
    if (cp >= 0xd800 && cp <= 0xdbff && ps->n - ps->pos >= 6 && ps->p[ps->pos] == '\\' &&
        ps->p[ps->pos + 1] == 'u') {
        size_t save = ps->pos;
        ps->pos += 2;
        long lo = hex4(ps);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
            put_utf8(b, (unsigned)(0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00)));
            return 0;
        }
        ps->pos = save; /* not a pair: the high surrogate stands alone */
    }
    if (cp >= 0xdc80 && cp <= 0xdcff) {
        uint8_t byte = (uint8_t)(cp - 0xdc00); /* surrogateescape's byte */
        buf_append(b, &byte, 1);
        return 0;
    }
    put_utf8(b, (unsigned)cp);
    return 0;
}

/* A string (at its opening quote) into *s / *len, owned. */
static int
string(struct parser *ps, char **s, size_t *len)
{
    struct buf b = BUF_INIT;
    ps->pos++;
    for (;;) {
        /* Copy the run of plain bytes in one go. */
        size_t start = ps->pos;
        while (ps->pos < ps->n) {
            uint8_t c = ps->p[ps->pos];
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
                break;
            ps->pos++;
        }
        buf_append(&b, ps->p + start, ps->pos - start);
        if (ps->pos == ps->n) {
            buf_clear(&b);
            return fail(ps, "unterminated string");
        }
        uint8_t c = ps->p[ps->pos];
        if (c == '"') {
            ps->pos++;
            break;
        }
        if (c < 0x20) {
            buf_clear(&b);
            return fail(ps, "control character in string");
        }
        if (c >= 0x80) {
            size_t l = utf8_len(ps->p + ps->pos, ps->n - ps->pos);
            if (l == 0) {
                buf_clear(&b);
                return fail(ps, "invalid UTF-8");
            }
            buf_append(&b, ps->p + ps->pos, l);
            ps->pos += l;
            continue;
        }
        /* A backslash. */
        if (++ps->pos == ps->n) {
            buf_clear(&b);
            return fail(ps, "unterminated string");
        }
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        c = ps->p[ps->pos++];
        const char *k = c ? strchr(from, c) : NULL;
        if (k) {
            buf_append(&b, &to[k - from], 1);
        } else if (c == 'u') {
            if (unicode_escape(ps, &b) < 0) {
                buf_clear(&b);
                return MP_ERR_SYNTAX;
            }
        } else {
            ps->pos--;
            buf_clear(&b);
            return fail(ps, "invalid escape");
        }
    }
    *len = b.len;
    *s = xmalloc(b.len + 1);
    memcpy(*s, buf_ptr(&b), b.len);
    (*s)[b.len] = '\0';
    buf_clear(&b);
    return 0;
}

static int
is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static int
number(struct parser *ps, struct jv *v)
{
    size_t start = ps->pos;
    const uint8_t *p = ps->p;
    if (ps->pos < ps->n && p[ps->pos] == '-')
        ps->pos++;
    if (eat(ps, "Infinity")) {
        v->type = JV_NUMBER;
        v->u.num.d = p[start] == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    if (ps->pos == ps->n || !is_digit(p[ps->pos]))
        return fail(ps, "invalid number");
    if (p[ps->pos] == '0')
        ps->pos++;
    else
        while (ps->pos < ps->n && is_digit(p[ps->pos]))
            ps->pos++;
    int is_int = 1;
    if (ps->pos < ps->n && p[ps->pos] == '.') {
        is_int = 0;
        ps->pos++;
        if (ps->pos == ps->n || !is_digit(p[ps->pos]))
            return fail(ps, "invalid number");
        while (ps->pos < ps->n && is_digit(p[ps->pos]))
            ps->pos++;
    }
    if (ps->pos < ps->n && (p[ps->pos] == 'e' || p[ps->pos] == 'E')) {
        is_int = 0;
        ps->pos++;
        if (ps->pos < ps->n && (p[ps->pos] == '+' || p[ps->pos] == '-'))
            ps->pos++;
        if (ps->pos == ps->n || !is_digit(p[ps->pos]))
            return fail(ps, "invalid number");
        while (ps->pos < ps->n && is_digit(p[ps->pos]))
            ps->pos++;
    }
    /* strtod needs a terminated copy; numbers are short but may be long. */
    size_t len = ps->pos - start;
    char small[64];
    char *text = len < sizeof(small) ? small : xmalloc(len + 1);
    memcpy(text, p + start, len);
    text[len] = '\0';
    v->type = JV_NUMBER;
    v->u.num.d = strtod(text, NULL);
    if (is_int) {
        errno = 0;
        long long i = strtoll(text, NULL, 10);
        if (errno == 0) {
            v->u.num.i = i;
            v->u.num.is_int = 1;
        }
    }
    if (text != small)
        free(text);
    return 0;
}

static int
enter(struct parser *ps)
{
    if (++ps->depth > ps->max_depth)
        return err_set(ps->e, MP_ERR_LIMIT, "JSON: nesting deeper than %zu at byte %zu",
                       ps->max_depth, ps->pos);
    ps->pos++;
    skip_ws(ps);
    return 0;
}

static int
array(struct parser *ps, struct jv *v)
{
    int rc = enter(ps);
    if (rc < 0)
        return rc;
    v->type = JV_ARRAY;
    size_t cap = 0;
    if (ps->pos < ps->n && ps->p[ps->pos] == ']') {
        ps->pos++;
        ps->depth--;
        return 0;
    }
    for (;;) {
        if (v->u.arr.n == cap) {
            cap = cap ? cap * 2 : 4;
            v->u.arr.v = xrealloc(v->u.arr.v, cap * sizeof(*v->u.arr.v));
        }
        struct jv *item = &v->u.arr.v[v->u.arr.n];
        memset(item, 0, sizeof(*item));
        v->u.arr.n++;
        if ((rc = value(ps, item)) < 0)
            return rc;
        skip_ws(ps);
        if (ps->pos < ps->n && ps->p[ps->pos] == ',') {
            ps->pos++;
            continue;
        }
        if (ps->pos < ps->n && ps->p[ps->pos] == ']') {
            ps->pos++;
            ps->depth--;
            return 0;
        }
        return fail(ps, "expected ',' or ']'");
    }
}

static int
object(struct parser *ps, struct jv *v)
{
    int rc = enter(ps);
    if (rc < 0)
        return rc;
    v->type = JV_OBJECT;
    size_t cap = 0;
    if (ps->pos < ps->n && ps->p[ps->pos] == '}') {
        ps->pos++;
        ps->depth--;
        return 0;
    }
    for (;;) {
        if (ps->pos == ps->n || ps->p[ps->pos] != '"')
            return fail(ps, "expected a string key");
        if (v->u.obj.n == cap) {
            cap = cap ? cap * 2 : 4;
            v->u.obj.v = xrealloc(v->u.obj.v, cap * sizeof(*v->u.obj.v));
        }
        struct jv_member *m = &v->u.obj.v[v->u.obj.n];
        memset(m, 0, sizeof(*m));
        v->u.obj.n++;
        if ((rc = string(ps, &m->key, &m->key_len)) < 0)
            return rc;
        skip_ws(ps);
        if (ps->pos == ps->n || ps->p[ps->pos] != ':')
            return fail(ps, "expected ':'");
        ps->pos++;
        if ((rc = value(ps, &m->value)) < 0)
            return rc;
        skip_ws(ps);
        if (ps->pos < ps->n && ps->p[ps->pos] == ',') {
            ps->pos++;
            skip_ws(ps);
            continue;
        }
        if (ps->pos < ps->n && ps->p[ps->pos] == '}') {
            ps->pos++;
            ps->depth--;
            return 0;
        }
        return fail(ps, "expected ',' or '}'");
    }
}

static int
value(struct parser *ps, struct jv *v)
{
    skip_ws(ps);
    if (ps->pos == ps->n)
        return fail(ps, "unexpected end of input");
    switch (ps->p[ps->pos]) {
    case '{':
        return object(ps, v);
    case '[':
        return array(ps, v);
    case '"':
        v->type = JV_STRING;
        return string(ps, &v->u.str.p, &v->u.str.len);
    case 't':
        if (!eat(ps, "true"))
            break;
        v->type = JV_TRUE;
        return 0;
    case 'f':
        if (!eat(ps, "false"))
            break;
        v->type = JV_FALSE;
        return 0;
    case 'n':
        if (!eat(ps, "null"))
            break;
        v->type = JV_NULL;
        return 0;
    case 'N':
        if (!eat(ps, "NaN"))
            break;
        v->type = JV_NUMBER;
        v->u.num.d = NAN;
        return 0;
    default:
        return number(ps, v);
    }
    return fail(ps, "unexpected character");
}

static void
jv_clear(struct jv *v)
{
    switch (v->type) {
    case JV_STRING:
        free(v->u.str.p);
        break;
    case JV_ARRAY:
        for (size_t i = 0; i < v->u.arr.n; i++)
            jv_clear(&v->u.arr.v[i]);
        free(v->u.arr.v);
        break;
    case JV_OBJECT:
        for (size_t i = 0; i < v->u.obj.n; i++) {
            free(v->u.obj.v[i].key);
            jv_clear(&v->u.obj.v[i].value);
        }
        free(v->u.obj.v);
        break;
    default:
        break;
    }
}

int
json_parse(const void *p, size_t n, const struct json_limits *lim, struct jv **out, struct err *e)
{
    size_t max_size = lim && lim->max_size ? lim->max_size : DEFAULT_MAX_SIZE;
    *out = NULL;
    if (n > max_size)
        return err_set(e, MP_ERR_LIMIT, "JSON: document of %zu bytes is over the limit of %zu", n,
                       max_size);
    struct parser ps = {
        .p = p,
        .n = n,
        .max_depth = lim && lim->max_depth ? lim->max_depth : DEFAULT_MAX_DEPTH,
        .e = e,
    };
    struct jv *v = xcalloc(1, sizeof(*v));
    int rc = value(&ps, v);
    if (rc == 0) {
        skip_ws(&ps);
        if (ps.pos != ps.n)
            rc = fail(&ps, "extra data after the value");
    }
    if (rc < 0) {
        jv_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

void
jv_free(struct jv *v)
{
    if (v == NULL)
        return;
    jv_clear(v);
    free(v);
}

const struct jv *
jv_get(const struct jv *obj, const char *key)
{
    if (obj == NULL || obj->type != JV_OBJECT)
        return NULL;
    size_t klen = strlen(key);
    for (size_t i = obj->u.obj.n; i-- > 0;) {
        const struct jv_member *m = &obj->u.obj.v[i];
        if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
            return &m->value;
    }
    return NULL;
}

const char *
jv_get_str(const struct jv *obj, const char *key, size_t *len)
{
    const struct jv *v = jv_get(obj, key);
    if (v == NULL || v->type != JV_STRING)
        return NULL;
    if (len)
        *len = v->u.str.len;
    return v->u.str.p;
}

const char *
jv_type_name(enum jv_type t)
{
    static const char *const names[] = {"null",   "false", "true",  "number",
                                        "string", "array", "object"};
    return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}
