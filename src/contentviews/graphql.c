/*
 * GraphQL: a JSON body that is a GraphQL request (an object whose "query"
 * holds a newline, or a list whose first item is an object with a
 * "query"): the request without its query as json.dumps(indent=2), a
 * "---" line, then the query as it is. 8.1.1's checks raise on some
 * shapes ("[]", a query that is a number), which makes the whole body
 * fall back to Raw; the same happens here.
 */
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/jsondoc.h"

/* The value of key in object obj (the last one, as a dict keeps it), or SIZE_MAX. */
static size_t
get(const struct cv__json *d, size_t obj, const char *key, size_t *key_at)
{
    size_t found = SIZE_MAX, klen = strlen(key);
    struct cv__u32s items = {0};
    size_t n = cv__json_items(d, obj, 0, &items);
    for (size_t i = 0; i < n; i++) {
        size_t k = d->kids[items.v[2 * i]];
        if (d->v[k].n == klen && memcmp(cv__json_str(d, k), key, klen) == 0) {
            found = d->kids[items.v[2 * i + 1]];
            if (key_at)
                *key_at = items.v[2 * i];
        }
    }
    free(items.v);
    return found;
}

/* is_graphql_query(); -1 where Python's `"\n" in query` raises TypeError. */
static int
is_query(const struct cv__json *d, size_t v)
{
    if (cv__json_type(d, v) != CV__J_OBJ)
        return 0;
    size_t q = get(d, v, "query", NULL);
    if (q == SIZE_MAX)
        return 0;
    const struct cv__jval *qv = &d->v[q];
    switch (cv__json_type(d, q)) {
    case CV__J_STR:
        return memchr(cv__json_str(d, q), '\n', qv->n) != NULL;
    case CV__J_ARR:
        for (size_t i = 0; i < qv->n; i++) {
            size_t e = d->kids[qv->u.a + i];
            if (cv__json_type(d, e) == CV__J_STR && d->v[e].n == 1 && *cv__json_str(d, e) == '\n')
                return 1;
        }
        return 0;
    case CV__J_OBJ:
        return get(d, q, "\n", NULL) != SIZE_MAX;
    default:
        return -1;
    }
}

/* is_graphql_batch_query(); -1 for an empty list (data[0] raises). */
static int
is_batch(const struct cv__json *d, size_t v)
{
    if (cv__json_type(d, v) != CV__J_ARR)
        return 0;
    if (d->v[v].n == 0)
        return -1;
    size_t first = d->kids[d->v[v].u.a];
    return cv__json_type(d, first) == CV__J_OBJ && get(d, first, "query", NULL) != SIZE_MAX;
}

/* is_graphql_query(data) or is_graphql_batch_query(data), raising or not. */
static int
check(const struct cv__json *d)
{
    int q = is_query(d, d->root);
    if (q != 0)
        return q;
    return is_batch(d, d->root);
}

int
cv__graphql_priority(struct cv_render *r)
{
    if (r->body.len == 0 || r->ctype == NULL || strcmp(r->ctype, "application/json") != 0)
        return 0;
    struct cv__json *d;
    int rc = cv__json_get(r, cv__json_depth(r, 1), &d);
    if (rc == CV__MORE)
        return CV__PENDING;
    if (rc == CV__FAIL)
        return r->json->status < 0 ? 0 : CV__FAIL; /* not JSON, or RecursionError */
    int c = check(d);
    return c < 0 ? CV__FAIL : c ? 20 : 0;
}

static void
append_chunk(void *arg, const char *p, size_t n, size_t nl)
{
    buf_append(arg, p, n);
}

static int
never(void *arg)
{
    return 0;
}

/* format_graphql(op), or -1 where 8.1.1's raises (op is not a dict with a query). */
static int
format_op(struct buf *out, const struct cv__json *d, size_t op)
{
    size_t key_at;
    if (cv__json_type(d, op) != CV__J_OBJ)
        return -1;
    size_t q = get(d, op, "query", &key_at);
    if (q == SIZE_MAX)
        return -1;
    struct cv__json view = *d;
    view.root = op;
    struct cv__jenc e;
    cv__jenc_init(&e, &view, 2, 0, 1);
    e.query_key = key_at;
    e.chunk = append_chunk;
    e.arg = out;
    cv__jenc_run(&e, never, NULL);
    cv__jenc_free(&e);
    buf_append_str(out, "\n---\n");
    cv__json_pystr(out, d, q);
    buf_append(out, "\n", 1);
    return 0;
}

int
cv__graphql_render(struct cv_render *r)
{
    if (r->state)
        return cv__text_drain(r, r->state);
    struct cv__json *d;
    int rc = cv__json_get(r, cv__json_depth(r, 0), &d);
    if (rc != CV__DONE)
        return rc;
    struct buf text = BUF_INIT;
    int ok;
    if ((rc = is_query(d, d->root)) != 0) {
        ok = rc > 0 && format_op(&text, d, d->root) == 0;
    } else if ((rc = is_batch(d, d->root)) != 0) {
        ok = rc > 0;
        const struct cv__jval *list = &d->v[d->root];
        for (size_t i = 0; ok && i < list->n; i++) {
            buf_printf(&text, "--- %zu/%zu\n", i, (size_t)list->n - 1);
            ok = format_op(&text, d, d->kids[list->u.a + i]) == 0;
        }
    } else {
        ok = 0;
    }
    if (!ok) {
        buf_clear(&text);
        return CV__FAIL;
    }
    cv__set_desc(r, "GraphQL");
    return cv__text_start(r, &text);
}
