/*
 * Cookies. See cookies.h. The readers follow mitmproxy's _read_until,
 * _read_quoted_string, _read_value, _read_cookie_pairs and
 * _read_set_cookie_pairs step by step, offsets included, so odd input is
 * split exactly where mitmproxy splits it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/cookies.h"
#include "http/date.h"
#include "util/xmalloc.h"

static void
pair_set(struct cookie_pair *p, const char *k, size_t kn, const char *v, size_t vn)
{
    p->name = slice_strdup(slice_from(k, kn));
    p->name_len = kn;
    p->value = slice_strdup(slice_from(v, vn));
    p->value_len = vn;
}

static void
pair_clear(struct cookie_pair *p)
{
    free(p->name);
    free(p->value);
}

static void
cookie_clear(struct cookie *c)
{
    pair_clear(&c->kv);
    for (size_t i = 0; i < c->nattrs; i++)
        pair_clear(&c->attrs[i]);
    free(c->attrs);
}

void
cookies_clear(struct cookies *cs)
{
    for (size_t i = 0; i < cs->n; i++)
        cookie_clear(&cs->v[i]);
    free(cs->v);
    cs->v = NULL;
    cs->n = 0;
}

static struct cookie *
cookies_add(struct cookies *cs)
{
    cs->v = xrealloc(cs->v, (cs->n + 1) * sizeof(*cs->v));
    struct cookie *c = &cs->v[cs->n++];
    memset(c, 0, sizeof(*c));
    return c;
}

/* Python's str.isspace() on ASCII, for lstrip(). */
static int
py_space(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

struct text {
    const char *s;
    size_t n;
};

/* _read_until: the text from start up to a byte of term (or the end) is
 * appended to out; returns the offset of that byte (n + 1 if start == n). */
static size_t
read_until(struct text t, size_t start, const char *term, struct buf *out)
{
    if (start >= t.n)
        return start + 1;
    size_t i = start;
    while (i < t.n && (t.s[i] == '\0' || strchr(term, t.s[i]) == NULL))
        i++;
    buf_append(out, t.s + start, i - start);
    return i;
}

/* _read_quoted_string: start is at the opening quote; backslash escapes. */
static size_t
read_quoted(struct text t, size_t start, struct buf *out)
{
    int escaping = 0;
    size_t i = start;
    for (i = start + 1; i < t.n; i++) {
        if (escaping) {
            buf_append(out, t.s + i, 1);
            escaping = 0;
        } else if (t.s[i] == '"') {
            break;
        } else if (t.s[i] == '\\') {
            escaping = 1;
        } else {
            buf_append(out, t.s + i, 1);
        }
    }
    /* Unterminated, Python's loop variable is left on the last byte. */
    if (i == t.n)
        i = t.n > start + 1 ? t.n - 1 : start;
    return i + 1;
}

/* _read_value: appends to out and returns the offset after the value. */
static size_t
read_value(struct text t, size_t start, const char *delims, struct buf *out)
{
    if (start >= t.n)
        return start;
    if (t.s[start] == '"')
        return read_quoted(t, start, out);
    return read_until(t, start, delims, out);
}

/* lhs.lstrip() */
static struct slice
lstrip(const struct buf *b)
{
    struct slice s = buf_slice(b);
    while (s.len > 0 && py_space(s.p[0])) {
        s.p++;
        s.len--;
    }
    return s;
}

void
cookies_parse(const char *p, size_t n, struct cookies *out)
{
    struct text t = {p, n};
    struct buf lhs = BUF_INIT, rhs = BUF_INIT;
    size_t off = 0;
    for (;;) {
        buf_reset(&lhs);
        buf_reset(&rhs);
        off = read_until(t, off, ";=", &lhs);
        struct slice l = lstrip(&lhs);
        if (off < n && p[off] == '=')
            off = read_value(t, off + 1, ";", &rhs);
        if (rhs.len || l.len) {
            struct cookie *c = cookies_add(out);
            pair_set(&c->kv, (const char *)l.p, l.len, (const char *)buf_ptr(&rhs), rhs.len);
        }
        if (++off >= n)
            break;
    }
    buf_clear(&lhs);
    buf_clear(&rhs);
}

/* One cookie's pairs as _read_set_cookie_pairs collects them. */
struct pairs {
    struct cookie_pair *v;
    size_t n;
};

static void
pairs_add(struct pairs *ps, struct slice k, const struct buf *v)
{
    ps->v = xrealloc(ps->v, (ps->n + 1) * sizeof(*ps->v));
    pair_set(&ps->v[ps->n++], (const char *)k.p, k.len, (const char *)buf_ptr(v), v->len);
}

/* parse_set_cookie_header keeps a cookie only if it has a pair: the first
 * is its name and value, the rest its attributes. */
static void
flush(struct pairs *ps, struct cookies *out)
{
    if (ps->n == 0)
        return;
    struct cookie *c = cookies_add(out);
    c->kv = ps->v[0];
    c->nattrs = ps->n - 1;
    if (c->nattrs) {
        c->attrs = xmalloc(c->nattrs * sizeof(*c->attrs));
        memcpy(c->attrs, ps->v + 1, c->nattrs * sizeof(*c->attrs));
    }
    free(ps->v);
    *ps = (struct pairs){0};
}

void
cookies_parse_set(const char *p, size_t n, struct cookies *out)
{
    struct text t = {p, n};
    struct buf lhs = BUF_INIT, rhs = BUF_INIT;
    struct pairs cur = {0};
    size_t off = 0;
    for (;;) {
        buf_reset(&lhs);
        buf_reset(&rhs);
        off = read_until(t, off, ";=,", &lhs);
        struct slice l = lstrip(&lhs);
        if (off < n && p[off] == '=') {
            off = read_value(t, off + 1, ";,", &rhs);
            /* An expires date holds a comma: three characters or fewer
             * means only the weekday was read, so the rest follows. */
            if (l.len == 7 && strncasecmp((const char *)l.p, "expires", 7) == 0 && rhs.len <= 3) {
                buf_append(&rhs, ",", 1);
                off = read_value(t, off + 1, ";,", &rhs);
            }
            pairs_add(&cur, l, &rhs);
        } else if (l.len) {
            pairs_add(&cur, l, &rhs);
        }
        /* A comma starts the next cookie. */
        if (off < n && p[off] == ',')
            flush(&cur, out);
        if (++off >= n)
            break;
    }
    flush(&cur, out);
    buf_clear(&lhs);
    buf_clear(&rhs);
}

/* _has_special: such values are written quoted. */
static int
has_special(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '"' || c == ',' || c == ';' || c == '\\' || c < 0x21 || c > 0x7e)
            return 1;
    }
    return 0;
}

/* One k=v of _format_pairs; quote is 0 for the specials that never are. */
static void
put_pair(struct buf *out, const struct cookie_pair *p, int quote)
{
    buf_append(out, p->name, p->name_len);
    buf_append(out, "=", 1);
    if (!quote || !has_special(p->value, p->value_len)) {
        buf_append(out, p->value, p->value_len);
        return;
    }
    buf_append(out, "\"", 1);
    for (size_t i = 0; i < p->value_len; i++) {
        if (p->value[i] == '"' || p->value[i] == '\\')
            buf_append(out, "\\", 1);
        buf_append(out, p->value + i, 1);
    }
    buf_append(out, "\"", 1);
}

void
cookies_append(struct buf *out, const char *name, size_t name_len, const char *value,
               size_t value_len)
{
    if (out->len)
        buf_append_str(out, "; ");
    struct cookie_pair p = {(char *)name, name_len, (char *)value, value_len};
    put_pair(out, &p, 1);
}

void
cookies_format(struct buf *out, const struct cookies *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        if (i)
            buf_append_str(out, "; ");
        put_pair(out, &cs->v[i].kv, 1);
    }
}

static int
name_is(const struct cookie_pair *p, const char *name)
{
    return p->name_len == strlen(name) && strncasecmp(p->name, name, p->name_len) == 0;
}

/* _format_set_cookie_pairs: expires and path values go out as they are. */
static void
put_set_pair(struct buf *out, const struct cookie_pair *p)
{
    put_pair(out, p, !name_is(p, "expires") && !name_is(p, "path"));
}

void
cookies_format_set(struct buf *out, const struct cookies *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        const struct cookie *c = &cs->v[i];
        if (i)
            buf_append_str(out, ", ");
        put_set_pair(out, &c->kv);
        for (size_t j = 0; j < c->nattrs; j++) {
            buf_append_str(out, "; ");
            put_set_pair(out, &c->attrs[j]);
        }
    }
}

const struct cookie_pair *
cookie_attr(const struct cookie *c, const char *name)
{
    for (size_t i = c->nattrs; i-- > 0;)
        if (name_is(&c->attrs[i], name))
            return &c->attrs[i];
    return NULL;
}

void
cookie_attr_del(struct cookie *c, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < c->nattrs; i++) {
        if (name_is(&c->attrs[i], name))
            pair_clear(&c->attrs[i]);
        else
            c->attrs[k++] = c->attrs[i];
    }
    c->nattrs = k;
}

void
cookie_attr_set(struct cookie *c, const char *name, const char *value)
{
    for (size_t i = 0; i < c->nattrs; i++) {
        if (!name_is(&c->attrs[i], name))
            continue;
        free(c->attrs[i].value);
        c->attrs[i].value = xstrdup(value);
        c->attrs[i].value_len = strlen(value);
        /* set_all with one value: the later ones go. */
        size_t k = i + 1;
        for (size_t j = i + 1; j < c->nattrs; j++) {
            if (name_is(&c->attrs[j], name))
                pair_clear(&c->attrs[j]);
            else
                c->attrs[k++] = c->attrs[j];
        }
        c->nattrs = k;
        return;
    }
    c->attrs = xrealloc(c->attrs, (c->nattrs + 1) * sizeof(*c->attrs));
    pair_set(&c->attrs[c->nattrs++], name, strlen(name), value, strlen(value));
}

/* Python's int() on text: white space around, a sign, digits with single
 * underscores between them. As a double: past 2^53 seconds nothing is exact
 * and nothing matters. */
static int
py_int(const char *s, size_t n, double *out)
{
    while (n && py_space((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && py_space((unsigned char)s[n - 1]))
        n--;
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return -1;
    double v = 0;
    for (int prev_digit = 0; i < n; i++) {
        if (s[i] == '_' && prev_digit && i + 1 < n) {
            prev_digit = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
        prev_digit = 1;
    }
    *out = neg ? -v : v;
    return 0;
}

int
cookie_expiry(const struct cookie *c, double now, double *when)
{
    const struct cookie_pair *exp = cookie_attr(c, "expires");
    if (exp)
        return http_date_parse(exp->value, exp->value_len, when, NULL) == 0;
    const struct cookie_pair *age = cookie_attr(c, "max-age");
    double secs;
    if (age == NULL || py_int(age->value, age->value_len, &secs) < 0)
        return 0;
    *when = now + secs;
    return 1;
}

int
cookie_expired(const struct cookie *c, double now)
{
    double when;
    return cookie_expiry(c, now, &when) && when <= now;
}
