/*
 * Multipart Form: the fields of a multipart/form-data body (name and
 * value, each name once with its first value) under a "Form data:" line.
 *
 * 8.1.1 hands this view the content type without its parameters, so the
 * boundary is never there and the body always falls back to Raw; that is
 * kept for identical output. A content type given with its boundary (as
 * cv_meta allows) is parsed by http/forms.c, which reads multipart bodies
 * as 8.1.1's multipart.decode does.
 */
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "util/xmalloc.h"

int
cv__multipart_priority(struct cv_render *r)
{
    return r->body.len && r->ctype && strcmp(r->ctype, "multipart/form-data") == 0 ? 10 : 0;
}

int
cv__multipart_render(struct cv_render *r)
{
    if (r->state)
        return cv__queue_drain(r, r->state);
    struct form f = {0};
    struct err e = {0};
    if (r->ctype == NULL ||
        form_parse_multipart(r->ctype, strlen(r->ctype), cv__data(r), r->body.len, &f, &e) < 0 ||
        f.n == 0) {
        if (e.code && r->error == NULL)
            r->error = xstrdup(e.msg);
        form_clear(&f);
        return CV__FAIL;
    }
    cv__set_desc(r, "Multipart form");
    /* MultiDict: each name once, with its first value. */
    struct cv__pair *pairs = cv__form_pairs(&f);
    size_t np = cv__pairs_unique(pairs, f.n);
    struct cv_lines lines = CV_LINES_INIT;
    cv__line(&lines);
    cv__tok_plain(&lines, CV_STYLE_HIGHLIGHT, "Form data:\n", 11);
    cv__format_pairs(&lines, pairs, np, 1);
    free(pairs);
    form_clear(&f);
    return cv__queue_start(r, &lines);
}
