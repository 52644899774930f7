/*
 * Interned strings. Most of what a row shows repeats across flows (methods,
 * hosts, versions, header sets, paths of a polled URL), so a row holds 4-byte
 * ids and each distinct string is kept once, with a count of the rows
 * using it; the last one to go frees it and its id is used again.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/internal.h"
#include "util/xmalloc.h"

/* FNV-1a: short strings, good enough spread for a chained table. */
static uint32_t
hash(const void *p, size_t n)
{
    const uint8_t *s = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 16777619u;
    return h;
}

/* A header set's fields as struct hdrs, pointing into its own key bytes. */
static struct hdrs *
hset_parse(char *s, size_t n)
{
    struct hdrs *h = xcalloc(1, sizeof(*h));
    size_t i = 0, cap = 0;
    while (i + 4 <= n) {
        uint32_t nn, vn;
        memcpy(&nn, s + i, 4);
        char *name = s + i + 4;
        i += 4 + nn + 1;
        memcpy(&vn, s + i, 4);
        char *value = s + i + 4;
        i += 4 + vn + 1;
        if (h->n == cap) {
            cap = cap ? cap * 2 : 4;
            h->v = xrealloc(h->v, cap * sizeof(*h->v));
        }
        h->v[h->n++] = (struct hdr){name, nn, value, vn};
    }
    h->cap = cap;
    return h;
}

void
store__hset_add(struct buf *key, const void *name, size_t nn, const void *value, size_t vn)
{
    uint32_t l = (uint32_t)nn;
    buf_append(key, &l, 4);
    buf_append(key, name, nn);
    buf_append(key, "", 1);
    l = (uint32_t)vn;
    buf_append(key, &l, 4);
    buf_append(key, value, vn);
    buf_append(key, "", 1);
}

int
store__key_header(const char *name, size_t n, int response)
{
    /* Host makes pretty_host and pretty_url; Content-Type the ~t operators
     * and the list's type column; Content-Encoding decoding for ~b. */
    if (n == 4 && strncasecmp(name, "host", 4) == 0)
        return !response;
    return (n == 12 && strncasecmp(name, "content-type", 12) == 0) ||
           (n == 16 && strncasecmp(name, "content-encoding", 16) == 0);
}

static void
entry_free(struct intern_entry *x)
{
    if (x->hdrs) {
        free(x->hdrs->v);
        free(x->hdrs);
    }
    free(x->s);
    x->s = NULL;
    x->hdrs = NULL;
}

void
store__intern_init(struct intern *t, int hdrsets)
{
    memset(t, 0, sizeof(*t));
    t->hdrsets = hdrsets;
    t->cap = 64;
    t->v = xcalloc(t->cap, sizeof(*t->v));
    t->nbuckets = 64;
    t->buckets = xcalloc(t->nbuckets, sizeof(*t->buckets));
    /* Id 0: the empty string (the empty header set), forever. */
    t->v[0] = (struct intern_entry){.s = xstrdup(""), .refs = 1, .hash = hash("", 0)};
    if (hdrsets)
        t->v[0].hdrs = xcalloc(1, sizeof(struct hdrs));
    t->buckets[t->v[0].hash & (t->nbuckets - 1)] = 1;
    t->n = 1;
    t->live = 1;
}

void
store__intern_clear(struct intern *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        entry_free(&t->v[i]);
    free(t->v);
    free(t->buckets);
    memset(t, 0, sizeof(*t));
}

static void
rehash(struct intern *t)
{
    uint32_t nb = t->nbuckets * 2;
    uint32_t *b = xcalloc(nb, sizeof(*b));
    for (uint32_t i = 0; i < t->n; i++) {
        if (t->v[i].refs == 0)
            continue;
        uint32_t k = t->v[i].hash & (nb - 1);
        t->v[i].next = b[k];
        b[k] = i + 1;
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
}

uint32_t
store__intern(struct intern *t, const void *p, size_t n)
{
    uint32_t h = hash(p, n);
    for (uint32_t k = t->buckets[h & (t->nbuckets - 1)]; k; k = t->v[k - 1].next) {
        struct intern_entry *x = &t->v[k - 1];
        if (x->hash == h && x->len == n && memcmp(x->s, p, n) == 0) {
            x->refs++;
            return k - 1;
        }
    }
    uint32_t id;
    if (t->free_head) {
        id = t->free_head - 1;
        t->free_head = t->v[id].next;
    } else {
        if (t->n == t->cap) {
            t->cap *= 2;
            t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
        }
        id = t->n++;
    }
    struct intern_entry *x = &t->v[id];
    x->s = xmalloc(n + 1);
    memcpy(x->s, p, n);
    x->s[n] = '\0';
    x->len = (uint32_t)n;
    x->refs = 1;
    x->hash = h;
    x->hdrs = t->hdrsets ? hset_parse(x->s, n) : NULL;
    t->bytes += n + 1 + (x->hdrs ? sizeof(*x->hdrs) + x->hdrs->cap * sizeof(struct hdr) : 0);
    uint32_t b = h & (t->nbuckets - 1);
    x->next = t->buckets[b];
    t->buckets[b] = id + 1;
    if (++t->live > t->nbuckets)
        rehash(t);
    return id;
}

void
store__intern_ref(struct intern *t, uint32_t id)
{
    t->v[id].refs++;
}

void
store__intern_unref(struct intern *t, uint32_t id)
{
    struct intern_entry *x = &t->v[id];
    if (id == 0 || --x->refs > 0)
        return;
    /* Out of its bucket's chain, then onto the free list. */
    uint32_t *pp = &t->buckets[x->hash & (t->nbuckets - 1)];
    while (*pp != id + 1)
        pp = &t->v[*pp - 1].next;
    *pp = x->next;
    t->bytes -= x->len + 1 + (x->hdrs ? sizeof(*x->hdrs) + x->hdrs->cap * sizeof(struct hdr) : 0);
    entry_free(x);
    x->next = t->free_head;
    t->free_head = id + 1;
    t->live--;
}
