/*
 * Order keys (view.py's OrderRequestStart, OrderRequestMethod,
 * OrderRequestURL, OrderKeySize) read from rows, for the view and for
 * store_select()'s lists: comparing two rows (a bisection, one row moving)
 * and sorting many.
 *
 * Sorting many is the costly part: a million rows by url used to build a
 * url per row and compare them with strcmp() under qsort(), 20 million
 * comparisons of strings that share "http://" and mostly the host too.
 * Here every row gets one integer key first. Numbers are their own keys;
 * strings get a rank: rows are grouped by the interned fields the string
 * is made of (the method's id; the url's scheme, host, port, path...), one
 * string is built per group, the groups are sorted by their strings and
 * numbered. Captures repeat their urls, so groups are far fewer than rows.
 * The rows are then sorted by (key, seq): when they come in store order
 * (store_select's lists, a refilter) a stable sort by key alone does it, a
 * counting sort by rank or a radix sort of the 64-bit keys (bytes all rows
 * share are skipped); else qsort() on the integers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "http/message.h"
#include "store/internal.h"
#include "util/xmalloc.h"

/* NaN would make the order inconsistent: it sorts first. */
static double
num(double v)
{
    return isnan(v) ? -INFINITY : v;
}

/*
 * The url order's key: Request.url for HTTP (host:port for CONNECT),
 * human.format_address() of the server for TCP, the first question for
 * DNS. Malloc'd.
 */
static char *
url_key(const struct store *s, const struct row *r)
{
    const struct intern *t = &s->strs;
    if (r->type == FLOW_HTTP) {
        struct http_request rq;
        store__row_request(s, r, &rq);
        if (strcmp(rq.path, "*") == 0)
            rq.path = "";
        return http_request_url(&rq);
    }
    if (r->type == FLOW_TCP) {
        const char *host = store__str(t, r->str[S_HOST]);
        struct buf b = BUF_INIT;
        if (*host == '\0' && r->port == 0)
            buf_append_str(&b, "<no address>");
        else if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
            buf_printf(&b, "*:%u", r->port);
        else if (strchr(host, ':'))
            buf_printf(&b, "[%s]:%u", host, r->port);
        else
            buf_printf(&b, "%s:%u", host, r->port);
        char *u = buf_strdup(&b);
        buf_clear(&b);
        return u;
    }
    return xstrdup(store__str(t, r->str[S_PATH]));
}

int
store__order_reads_strings(enum store_order order)
{
    return order == STORE_ORDER_METHOD || order == STORE_ORDER_URL;
}

int
store__order_cmp(const struct store *s, enum store_order order, const struct row *a,
                 const struct row *b)
{
    switch (order) {
    case STORE_ORDER_TIME: {
        double x = num(a->created), y = num(b->created);
        return x < y ? -1 : x > y;
    }
    case STORE_ORDER_SIZE:
        return a->size < b->size ? -1 : a->size > b->size;
    case STORE_ORDER_METHOD:
        if (a->str[S_METHOD] == b->str[S_METHOD])
            return 0;
        return strcmp(store__str(&s->strs, a->str[S_METHOD]),
                      store__str(&s->strs, b->str[S_METHOD]));
    case STORE_ORDER_URL: {
        char *x = url_key(s, a), *y = url_key(s, b);
        int c = strcmp(x, y);
        free(x);
        free(y);
        return c;
    }
    }
    return 0;
}

int
store__order_before(const struct store *s, enum store_order order, const struct row *a,
                    const struct row *b)
{
    int c = store__order_cmp(s, order, a, b);
    return c < 0 || (c == 0 && a->seq < b->seq);
}

/* ---- ranks of string keys ----------------------------------------------- */

/* What a string key is made of: rows with equal parts have equal keys. */
struct parts {
    uint32_t str[6];
    uint16_t port;
    uint8_t type;
};

static void
parts_of(const struct row *r, enum store_order order, struct parts *p)
{
    memset(p, 0, sizeof(*p));
    if (order == STORE_ORDER_METHOD) {
        p->str[0] = r->str[S_METHOD];
        return;
    }
    /* url_key()'s inputs, per type. */
    p->type = r->type;
    if (r->type == FLOW_HTTP) {
        static const enum row_str used[] = {S_METHOD, S_SCHEME,    S_HOST,
                                            S_PATH,   S_AUTHORITY, S_VERSION};
        for (size_t i = 0; i < 6; i++)
            p->str[i] = r->str[used[i]];
        p->port = r->port;
    } else if (r->type == FLOW_TCP) {
        p->str[0] = r->str[S_HOST];
        p->port = r->port;
    } else {
        p->str[0] = r->str[S_PATH];
    }
}

static uint64_t
parts_hash(const struct parts *p)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ p->type ^ ((uint64_t)p->port << 8);
    for (size_t i = 0; i < 6; i++) {
        h ^= p->str[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h;
}

struct group {
    struct parts parts;
    uint32_t first; /* a row of the group */
    char *str;      /* its string (owned); NULL for methods, which are interned */
    const char *key;
};

struct groups {
    struct group *v;
    size_t n, cap;
    uint32_t *table; /* open addressing: group index + 1, 0 empty */
    size_t tcap;
};

static uint32_t
group_of(struct groups *g, const struct parts *p, uint32_t slot)
{
    if ((g->n + 1) * 2 > g->tcap) {
        size_t cap = g->tcap ? g->tcap * 2 : 1024;
        uint32_t *t = xcalloc(cap, sizeof(*t));
        for (size_t i = 0; i < g->n; i++) {
            size_t h = (size_t)parts_hash(&g->v[i].parts) & (cap - 1);
            while (t[h])
                h = (h + 1) & (cap - 1);
            t[h] = (uint32_t)i + 1;
        }
        free(g->table);
        g->table = t;
        g->tcap = cap;
    }
    size_t h = (size_t)parts_hash(p) & (g->tcap - 1);
    while (g->table[h]) {
        struct group *x = &g->v[g->table[h] - 1];
        if (memcmp(&x->parts, p, sizeof(*p)) == 0)
            return g->table[h] - 1;
        h = (h + 1) & (g->tcap - 1);
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 256;
        g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
    }
    g->v[g->n] = (struct group){.parts = *p, .first = slot};
    g->table[h] = (uint32_t)g->n + 1;
    return (uint32_t)g->n++;
}

static int
by_key(const void *pa, const void *pb)
{
    const struct group *a = *(struct group *const *)pa, *b = *(struct group *const *)pb;
    return strcmp(a->key, b->key);
}

/* keys[i] gets the rank of slots[i]'s string; returns the number of ranks. */
static size_t
ranks(const struct store *s, enum store_order order, const uint32_t *slots, size_t n,
      uint64_t *keys)
{
    struct groups g = {0};
    uint32_t *gi = xmalloc(n * sizeof(*gi));
    struct parts p;
    for (size_t i = 0; i < n; i++) {
        parts_of(&s->rows[slots[i]], order, &p);
        gi[i] = group_of(&g, &p, slots[i]);
    }
    struct group **sorted = xmalloc(g.n * sizeof(*sorted));
    for (size_t i = 0; i < g.n; i++) {
        struct group *x = &g.v[i];
        if (order == STORE_ORDER_METHOD) {
            x->key = store__str(&s->strs, x->parts.str[0]);
        } else {
            x->str = url_key(s, &s->rows[x->first]);
            x->key = x->str;
        }
        sorted[i] = x;
    }
    qsort(sorted, g.n, sizeof(*sorted), by_key);
    /* Equal strings from different parts share a rank. */
    uint32_t *rank = xmalloc(g.n * sizeof(*rank));
    size_t r = 0;
    for (size_t i = 0; i < g.n; i++) {
        if (i > 0 && strcmp(sorted[i - 1]->key, sorted[i]->key) != 0)
            r++;
        rank[sorted[i] - g.v] = (uint32_t)r;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = rank[gi[i]];
    for (size_t i = 0; i < g.n; i++)
        free(g.v[i].str);
    free(rank);
    free(sorted);
    free(gi);
    free(g.v);
    free(g.table);
    return g.n ? r + 1 : 0;
}

/* ---- sorting ------------------------------------------------------------ */

struct sortkey {
    uint64_t k;
    uint64_t seq;
    uint32_t slot;
};

static int
by_sortkey(const void *pa, const void *pb)
{
    const struct sortkey *a = pa, *b = pb;
    if (a->k != b->k)
        return a->k < b->k ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Stable by rank: rows in store order stay so within a rank. */
static void
counting_sort(uint32_t *slots, size_t n, const uint64_t *keys, size_t nranks)
{
    size_t *start = xcalloc(nranks + 1, sizeof(*start));
    for (size_t i = 0; i < n; i++)
        start[keys[i] + 1]++;
    for (size_t r = 0; r < nranks; r++)
        start[r + 1] += start[r];
    uint32_t *out = xmalloc(n * sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[start[keys[i]]++] = slots[i];
    memcpy(slots, out, n * sizeof(*out));
    free(out);
    free(start);
}

/* Stable by key, a byte at a time from the lowest (LSD radix). */
static void
radix_sort(uint32_t *slots, size_t n, uint64_t *keys)
{
    uint32_t *s2 = xmalloc(n * sizeof(*s2));
    uint64_t *k2 = xmalloc(n * sizeof(*k2));
    uint64_t all_or = 0, all_and = ~0ull;
    for (size_t i = 0; i < n; i++) {
        all_or |= keys[i];
        all_and &= keys[i];
    }
    for (unsigned shift = 0; shift < 64; shift += 8) {
        /* Every key has the same byte here: nothing to do. */
        if ((((all_or ^ all_and) >> shift) & 0xff) == 0)
            continue;
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((keys[i] >> shift) & 0xff) + 1]++;
        for (int b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++) {
            size_t at = count[(keys[i] >> shift) & 0xff]++;
            s2[at] = slots[i];
            k2[at] = keys[i];
        }
        memcpy(slots, s2, n * sizeof(*s2));
        memcpy(keys, k2, n * sizeof(*k2));
    }
    free(s2);
    free(k2);
}

void
store__sort_slots(const struct store *s, enum store_order order, uint32_t *slots, size_t n)
{
    if (n < 2)
        return;
    uint64_t *keys = xmalloc(n * sizeof(*keys));
    size_t nranks = 0;
    if (order == STORE_ORDER_METHOD || order == STORE_ORDER_URL) {
        nranks = ranks(s, order, slots, n, keys);
    } else {
        for (size_t i = 0; i < n; i++) {
            const struct row *r = &s->rows[slots[i]];
            if (order == STORE_ORDER_SIZE) {
                keys[i] = r->size;
                continue;
            }
            double v = num(r->created);
            uint64_t bits;
            memcpy(&bits, &v, 8);
            /* IEEE doubles sort as integers once the sign is folded in. */
            keys[i] = bits >> 63 ? ~bits : bits | (1ull << 63);
        }
    }
    /* Slots ascend with seq: in store order, a stable sort by key is enough. */
    int store_order = 1;
    for (size_t i = 1; i < n && store_order; i++)
        store_order = slots[i - 1] < slots[i];
    if (store_order) {
        if (nranks && nranks <= n)
            counting_sort(slots, n, keys, nranks);
        else
            radix_sort(slots, n, keys);
        free(keys);
        return;
    }
    struct sortkey *sk = xmalloc(n * sizeof(*sk));
    for (size_t i = 0; i < n; i++)
        sk[i] = (struct sortkey){keys[i], s->rows[slots[i]].seq, slots[i]};
    free(keys);
    qsort(sk, n, sizeof(*sk), by_sortkey);
    for (size_t i = 0; i < n; i++)
        slots[i] = sk[i].slot;
    free(sk);
}
