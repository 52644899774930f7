/*
 * What the content-view tests share: render a body the way 8.1.1's
 * get_content_view would and compare the description and the lines with
 * what 8.1.1 printed for the same bytes. Every comparison is made twice:
 * rendered at once, and a line and a byte of budget at a time, which must
 * give the same lines (the incremental API's promise).
 */
#ifndef MP_TESTS_CONTENTVIEWS_CVTEST_H
#define MP_TESTS_CONTENTVIEWS_CVTEST_H

#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "contentviews/cv.h"

/* The lines as text: tokens concatenated, "\n" after each line; with
 * styled set, each token is preceded by "[style]". */
static inline void
cvt_text(struct buf *out, const struct cv_lines *l, int styled)
{
    for (size_t i = 0; i < l->n; i++) {
        struct cv_line ln;
        cv_lines_get(l, i, &ln);
        size_t off = 0;
        for (size_t k = 0; k < ln.ntok; k++) {
            if (styled)
                buf_printf(out, "[%s]", cv_style_name(ln.tok[k].style));
            buf_append(out, ln.text + off, ln.tok[k].len);
            off += ln.tok[k].len;
        }
        buf_append(out, "\n", 1);
    }
}

/* Every line r renders, as cvt_text() styled writes them; malloc'd. */
static inline char *
cvt_styled(struct cv_render *r)
{
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, 0);
    struct buf b = BUF_INIT;
    cvt_text(&b, &l, 1);
    cv_lines_clear(&l);
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

static inline struct cv_render *
cvt_render(enum cv_view view, const char *ctype, const void *body, size_t n)
{
    struct buf b = BUF_INIT;
    buf_append(&b, body, n);
    struct cv_meta m = {.content_type = ctype};
    return cv_render_new(view, &b, &m);
}

static inline void
cvt_expect(const char *file, int line, enum cv_view view, const char *ctype, const void *body,
           size_t n, const char *desc, const char *want, int styled)
{
    /* All at once. */
    struct cv_render *r = cvt_render(view, ctype, body, n);
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, 0);
    struct buf got = BUF_INIT;
    cvt_text(&got, &l, styled);
    if (desc && (cv_render_description(r) == NULL || strcmp(cv_render_description(r), desc) != 0))
        test_fail(file, line, "description \"%s\", expected \"%s\"",
                  cv_render_description(r) ? cv_render_description(r) : "(null)", desc);
    if (!test_memeq(buf_ptr(&got), got.len, want, strlen(want)))
        test_fail_mem(file, line, "lines", buf_ptr(&got), got.len, want, strlen(want));
    cv_lines_clear(&l);
    cv_render_free(r);

    /* A line and one byte of work per step, the lines collected page by page. */
    r = cvt_render(view, ctype, body, n);
    struct buf paged = BUF_INIT;
    int steps = 0;
    for (int more = 1; more; steps++) {
        more = cv_render_step(r, &l, 1, 1);
        if (l.n > 1)
            test_fail(file, line, "a step gave %zu lines, asked for 1", l.n);
        cvt_text(&paged, &l, styled);
        cv_lines_reset(&l);
        if (steps > 10000000)
            test_fail(file, line, "the render does not end");
    }
    if (!test_memeq(buf_ptr(&paged), paged.len, buf_ptr(&got), got.len))
        test_fail_mem(file, line, "lines rendered step by step", buf_ptr(&paged), paged.len,
                      buf_ptr(&got), got.len);
    cv_lines_clear(&l);
    cv_render_free(r);
    buf_clear(&got);
    buf_clear(&paged);
}

/* body is a string literal (it may hold NULs). */
#define EXPECT_VIEW(view, ctype, body, desc, want)                                                 \
    cvt_expect(__FILE__, __LINE__, view, ctype, body, sizeof(body) - 1, desc, want, 0)
#define EXPECT_STYLED(view, ctype, body, desc, want)                                               \
    cvt_expect(__FILE__, __LINE__, view, ctype, body, sizeof(body) - 1, desc, want, 1)
/* The body falls back to Raw. */
#define EXPECT_RAW_FALLBACK(view, ctype, body)                                                     \
    do {                                                                                           \
        struct cv_render *r_ = cvt_render(view, ctype, body, sizeof(body) - 1);                    \
        struct cv_lines l_ = CV_LINES_INIT;                                                        \
        cv_render_all(r_, &l_, 0);                                                                 \
        ASSERT_STREQ(cv_render_description(r_), "Couldn't parse: falling back to Raw");            \
        ASSERT_EQ(cv_render_view(r_), CV_VIEW_RAW);                                                \
        ASSERT(cv_render_error(r_) != NULL);                                                       \
        cv_lines_clear(&l_);                                                                       \
        cv_render_free(r_);                                                                        \
    } while (0)

#endif
