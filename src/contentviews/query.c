/*
 * Query: the request's query string as key/value lines (format_pairs of
 * Request.query, every pair). Auto picks it for a request without a body
 * whose URL has a query; anything else shows no lines.
 */
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "util/xmalloc.h"

struct cv__pair *
cv__form_pairs(const struct form *f)
{
    struct cv__pair *pairs = xmalloc((f->n ? f->n : 1) * sizeof(*pairs));
    for (size_t i = 0; i < f->n; i++)
        pairs[i] = (struct cv__pair){slice_from(f->v[i].name, f->v[i].name_len),
                                     slice_from(f->v[i].value, f->v[i].value_len)};
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
    struct form f = {0};
    if (r->query)
        form_parse_urlencoded(r->query, strlen(r->query), &f);
    struct cv__pair *pairs = cv__form_pairs(&f);
    int rc = cv__pairs_start(r, pairs, f.n, 0);
    free(pairs);
    form_clear(&f);
    return rc;
}
