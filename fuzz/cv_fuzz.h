/*
 * What the content-view fuzz targets share: render the input with a view
 * all at once and again a line and a few bytes of budget at a time; both
 * must end, and give the same lines. Crashes, leaks and undefined
 * behaviour are the sanitizers' to find.
 */
#ifndef MP_FUZZ_CV_FUZZ_H
#define MP_FUZZ_CV_FUZZ_H

#include <stdlib.h>
#include <string.h>

#include "contentviews/cv.h"

static inline void
cv_fuzz_text(struct buf *out, const struct cv_lines *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct cv_line ln;
        cv_lines_get(l, i, &ln);
        buf_append(out, &ln.ntok, sizeof(ln.ntok));
        buf_append(out, ln.text, ln.len);
        buf_append(out, "\n", 1);
    }
}

static inline void
cv_fuzz_view(enum cv_view view, const char *ctype, const uint8_t *data, size_t size)
{
    struct cv_meta m = {.content_type = ctype};
    struct buf body = BUF_INIT, whole = BUF_INIT, paged = BUF_INIT;
    struct cv_lines l = CV_LINES_INIT;

    buf_append(&body, data, size);
    struct cv_render *r = cv_render_new(view, &body, &m);
    cv_render_all(r, &l, 0);
    cv_fuzz_text(&whole, &l);
    if (cv_render_description(r) == NULL)
        abort();
    cv_render_free(r);
    cv_lines_reset(&l);

    buf_append(&body, data, size);
    r = cv_render_new(view, &body, &m);
    while (cv_render_step(r, &l, 1, 7)) {
        cv_fuzz_text(&paged, &l);
        cv_lines_reset(&l);
    }
    cv_fuzz_text(&paged, &l);
    cv_render_free(r);
    if (whole.len != paged.len || memcmp(buf_ptr(&whole), buf_ptr(&paged), whole.len) != 0)
        abort();
    cv_lines_clear(&l);
    buf_clear(&whole);
    buf_clear(&paged);
}

#endif
