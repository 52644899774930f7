/*
 * The ordered header multidict. Fields live in one growable array; names and
 * values are separate allocations so that callers may replace a value in
 * place (free + assign) as the header comment allows.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/headers.h"
#include "util/xmalloc.h"

void
hdrs_init(struct hdrs *h)
{
    *h = (struct hdrs)HDRS_INIT;
}

void
hdrs_clear(struct hdrs *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].name);
        free(h->v[i].value);
    }
    free(h->v);
    hdrs_init(h);
}

static char *
dup_bytes(const void *p, size_t n)
{
    char *s = xmalloc(n + 1);
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

void
hdrs_copy(struct hdrs *dst, const struct hdrs *src)
{
    if (dst == src)
        return;
    hdrs_clear(dst);
    if (src->n == 0)
        return;
    dst->v = xmalloc(src->n * sizeof(*dst->v));
    dst->cap = src->n;
    for (size_t i = 0; i < src->n; i++) {
        const struct hdr *s = &src->v[i];
        dst->v[i] = (struct hdr){dup_bytes(s->name, s->name_len), s->name_len,
                                 dup_bytes(s->value, s->value_len), s->value_len};
    }
    dst->n = src->n;
}

void
hdrs_add(struct hdrs *h, struct slice name, struct slice value)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
    }
    h->v[h->n++] = (struct hdr){dup_bytes(name.p, name.len), name.len,
                                dup_bytes(value.p, value.len), value.len};
}

void
hdrs_add_cstr(struct hdrs *h, const char *name, const char *value)
{
    hdrs_add(h, slice_cstr(name), slice_cstr(value));
}

static int
name_is(const struct hdr *f, const char *name, size_t len)
{
    return f->name_len == len && strncasecmp(f->name, name, len) == 0;
}

int
hdrs_find(const struct hdrs *h, const char *name, size_t start)
{
    size_t len = strlen(name);
    for (size_t i = start; i < h->n; i++)
        if (name_is(&h->v[i], name, len))
            return (int)i;
    return -1;
}

const struct hdr *
hdrs_get(const struct hdrs *h, const char *name)
{
    int i = hdrs_find(h, name, 0);
    return i < 0 ? NULL : &h->v[i];
}

size_t
hdrs_count(const struct hdrs *h, const char *name)
{
    size_t len = strlen(name), n = 0;
    for (size_t i = 0; i < h->n; i++)
        n += name_is(&h->v[i], name, len);
    return n;
}

/* Removes fields named name at index start and after; keeps the order. */
static size_t
remove_from(struct hdrs *h, const char *name, size_t start)
{
    size_t len = strlen(name), j = start;
    for (size_t i = start; i < h->n; i++) {
        if (name_is(&h->v[i], name, len)) {
            free(h->v[i].name);
            free(h->v[i].value);
        } else {
            h->v[j++] = h->v[i];
        }
    }
    size_t gone = h->n - j;
    h->n = j;
    return gone;
}

void
hdrs_set(struct hdrs *h, const char *name, struct slice value)
{
    int i = hdrs_find(h, name, 0);
    if (i < 0) {
        hdrs_add(h, slice_cstr(name), value);
        return;
    }
    struct hdr *f = &h->v[i];
    char *v = dup_bytes(value.p, value.len);
    free(f->value);
    f->value = v;
    f->value_len = value.len;
    remove_from(h, name, (size_t)i + 1);
}

void
hdrs_set_cstr(struct hdrs *h, const char *name, const char *value)
{
    hdrs_set(h, name, slice_cstr(value));
}

size_t
hdrs_remove(struct hdrs *h, const char *name)
{
    return remove_from(h, name, 0);
}

static int
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int
hdrs_has_token(const struct hdrs *h, const char *name, const char *token)
{
    size_t tlen = strlen(token);
    for (int i = hdrs_find(h, name, 0); i >= 0; i = hdrs_find(h, name, (size_t)i + 1)) {
        const char *p = h->v[i].value, *end = p + h->v[i].value_len;
        while (p < end) {
            const char *comma = memchr(p, ',', (size_t)(end - p));
            const char *e = comma ? comma : end;
            const char *s = p;
            while (s < e && is_ows(*s))
                s++;
            const char *t = e;
            while (t > s && is_ows(t[-1]))
                t--;
            if ((size_t)(t - s) == tlen && strncasecmp(s, token, tlen) == 0)
                return 1;
            p = comma ? comma + 1 : end;
        }
    }
    return 0;
}
