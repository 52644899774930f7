/*
 * Query: the request's query string as key/value lines (format_pairs of
 * Request.query, every pair). Auto picks it for a request without a body
 * whose URL has a query; anything else shows no lines.
 */
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "http/url.h"
#include "util/xmalloc.h"

struct cv__pair *
cv__parse_qsl(const char *qs, size_t n, struct buf *store, size_t *npairs)
{
    /* Offsets first: store may move while it grows. */
    struct span {
        size_t k, klen, v, vlen;
    } *sp = NULL;
    size_t count = 0, cap = 0;
    const char *end = qs + n;
    while (qs < end) {
        const char *amp = memchr(qs, '&', (size_t)(end - qs));
        size_t len = amp ? (size_t)(amp - qs) : (size_t)(end - qs);
        if (len > 0) {
            const char *eq = memchr(qs, '=', len);
            size_t klen = eq ? (size_t)(eq - qs) : len;
            if (count == cap) {
                cap = cap ? cap * 2 : 16;
                sp = xrealloc(sp, cap * sizeof(*sp));
            }
            struct span *s = &sp[count++];
            s->k = store->len;
            http_unquote(store, qs, klen, 1);
            s->klen = store->len - s->k;
            s->v = store->len;
            if (eq)
                http_unquote(store, eq + 1, len - klen - 1, 1);
            s->vlen = store->len - s->v;
        }
        qs += len + (amp ? 1 : 0);
    }
    struct cv__pair *pairs = xmalloc((count ? count : 1) * sizeof(*pairs));
    const uint8_t *base = buf_ptr(store);
    for (size_t i = 0; i < count; i++) {
        pairs[i].k = slice_from(base + sp[i].k, sp[i].klen);
        pairs[i].v = slice_from(base + sp[i].v, sp[i].vlen);
    }
    free(sp);
    *npairs = count;
    return pairs;
}

int
cv__pairs_start(struct cv_render *r, const struct cv__pair *v, size_t n, int bytes)
{
    struct cv_lines lines = CV_LINES_INIT;
    cv__format_pairs(&lines, v, n, bytes);
    return cv__queue_start(r, &lines);
}

/* Request.query has at least one pair. */
static int
has_pairs(const char *q)
{
    for (const char *f = q; *f; f += strcspn(f, "&")) {
        if (*f == '&')
            f++;
        if (*f && *f != '&')
            return 1;
    }
    return 0;
}

int
cv__query_priority(struct cv_render *r)
{
    return r->query && r->body.len == 0 && has_pairs(r->query) ? 3 : 0;
}

int
cv__query_render(struct cv_render *r)
{
    if (r->state)
        return cv__queue_drain(r, r->state);
    cv__set_desc(r, "Query");
    struct buf store = BUF_INIT;
    size_t n = 0;
    struct cv__pair *pairs =
        r->query ? cv__parse_qsl(r->query, strlen(r->query), &store, &n) : NULL;
    int rc = cv__pairs_start(r, pairs, n, 0);
    free(pairs);
    buf_clear(&store);
    return rc;
}
