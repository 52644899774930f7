/*
 * URL-encoded: an application/x-www-form-urlencoded body as key/value lines.
 * 8.1.1 decodes the body as ASCII first and gives up on anything else.
 */
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"

int
cv__urlencoded_priority(struct cv_render *r)
{
    return r->body.len && r->ctype && strcmp(r->ctype, "application/x-www-form-urlencoded") == 0
               ? 10
               : 0;
}

int
cv__urlencoded_render(struct cv_render *r)
{
    if (r->state)
        return cv__queue_drain(r, r->state);
    const uint8_t *p = cv__data(r);
    for (size_t i = 0; i < r->body.len; i++)
        if (p[i] >= 0x80)
            return CV__FAIL;
    cv__set_desc(r, "URLEncoded form");
    struct form f = {0};
    form_parse_urlencoded((const char *)p, r->body.len, &f);
    struct cv__pair *pairs = cv__form_pairs(&f);
    int rc = cv__pairs_start(r, pairs, f.n, 0);
    free(pairs);
    form_clear(&f);
    return rc;
}
