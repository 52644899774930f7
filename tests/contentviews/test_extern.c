/*
 * Views added at run time (a script's contentviews.add()): found by name,
 * chosen by Auto when they rate a body highest, shown as Raw when they
 * fail, and gone once removed, without disturbing a render made before.
 */
#include <stdio.h>
#include <string.h>

#include "cvtest.h"
#include "util/err.h"
#include "util/xmalloc.h"

/* The example addon's view: swapcase for text/plain, rated 1 there. */
struct swap {
    int calls;    /* renders asked for */
    int fail;     /* render returns -1 */
    int released; /* release was called */
};

static int
swap_priority(void *arg, const uint8_t *p, size_t n, const struct cv_meta *m, double *prio)
{
    *prio = m && m->content_type && strcmp(m->content_type, "text/plain") == 0 ? 1 : 0;
    return 0;
}

static int
swap_render(void *arg, const uint8_t *p, size_t n, const struct cv_meta *m, struct cv_lines *out,
            char **desc, char **error)
{
    struct swap *s = arg;
    s->calls++;
    if (s->fail) {
        *error = xstrdup("swapcase content viewer failed: boom");
        return -1;
    }
    char *t = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        char c = (char)p[i];
        t[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    cv_lines_add_tok(out, "text", t, n);
    cv_lines_add_line(out);
    cv_lines_add_tok(out, "highlight", "end\x01", 4);
    free(t);
    *desc = xstrdup("case-swapped text");
    return 0;
}

static void
swap_release(void *arg)
{
    ((struct swap *)arg)->released = 1;
}

static const struct cv_view_ops swap_ops = {swap_priority, swap_render, swap_release};

TEST(cv_extern_by_name_and_auto)
{
    struct swap s = {0};
    struct err e = {0};
    int id = cv_view_add("swapcase", &swap_ops, &s, &e);
    ASSERT(id >= CV_VIEW__COUNT);
    ASSERT_EQ(cv_view_find("SwapCase"), id);
    ASSERT_STREQ(cv_view_name((enum cv_view)id), "swapcase");
    ASSERT_EQ(cv_view_count(), id + 1);

    /* By name: whatever the type. */
    struct cv_render *r = cvt_render((enum cv_view)id, NULL, "aB", 2);
    char *got = cvt_styled(r);
    ASSERT_STREQ(got, "[text]Ab\n[highlight]end.\n");
    ASSERT_STREQ(cv_render_description(r), "case-swapped text");
    ASSERT_EQ(cv_render_view(r), id);
    free(got);
    cv_render_free(r);

    /* Auto: rated 1 for text/plain, above Raw's 0.1. */
    r = cvt_render(CV_VIEW_AUTO, "text/plain", "hi", 2);
    got = cvt_styled(r);
    ASSERT_STREQ(got, "[text]HI\n[highlight]end.\n");
    ASSERT_EQ(cv_render_view(r), id);
    free(got);
    cv_render_free(r);

    /* Auto: rated 0 elsewhere, so JSON wins and the view is not asked to render. */
    int calls = s.calls;
    r = cvt_render(CV_VIEW_AUTO, "application/json", "[1]", 3);
    got = cvt_styled(r);
    ASSERT_EQ(cv_render_view(r), CV_VIEW_JSON);
    ASSERT_EQ(s.calls, calls);
    free(got);
    cv_render_free(r);

    /* A second view of the same name (any case) is refused. */
    struct swap t = {0};
    ASSERT_EQ(cv_view_add("SWAPCASE", &swap_ops, &t, &e), MP_ERR_EXISTS);
    ASSERT(strstr(e.msg, "Duplicate view: SWAPCASE") != NULL);
    ASSERT_EQ(cv_view_add("json", &swap_ops, &t, &e), MP_ERR_EXISTS);
    ASSERT_EQ(cv_view_add("", &swap_ops, &t, &e), MP_ERR_INVAL);

    /* Removed: the name is gone, its id names nothing, a render made
     * before keeps its lines. */
    r = cvt_render((enum cv_view)id, NULL, "x", 1);
    ASSERT_EQ(cv_view_remove("swapcase"), 0);
    ASSERT(s.released);
    ASSERT_EQ(cv_view_find("swapcase"), -1);
    ASSERT(cv_view_name((enum cv_view)id) == NULL);
    ASSERT_EQ(cv_view_remove("swapcase"), MP_ERR_NOTFOUND);
    got = cvt_styled(r);
    ASSERT_STREQ(got, "[text]X\n[highlight]end.\n");
    free(got);
    cv_render_free(r);

    /* An unknown id renders as Auto. */
    r = cvt_render((enum cv_view)id, "text/plain", "x", 1);
    got = cvt_styled(r);
    ASSERT_STREQ(got, "[text]x\n");
    ASSERT_EQ(cv_render_view(r), CV_VIEW_RAW);
    free(got);
    cv_render_free(r);
    cv_view_remove_all();
    ASSERT_EQ(cv_view_count(), CV_VIEW__COUNT);
}

TEST(cv_extern_failure_falls_back_to_raw)
{
    struct swap s = {.fail = 1};
    struct err e = {0};
    int id = cv_view_add("swapcase", &swap_ops, &s, &e);
    ASSERT(id >= 0);
    struct cv_render *r = cvt_render(CV_VIEW_AUTO, "text/plain", "hi", 2);
    char *got = cvt_styled(r);
    ASSERT_STREQ(got, "[text]hi\n");
    ASSERT_STREQ(cv_render_description(r), "Couldn't parse: falling back to Raw");
    ASSERT_STREQ(cv_render_error(r), "swapcase content viewer failed: boom");
    ASSERT_EQ(cv_render_view(r), CV_VIEW_RAW);
    free(got);
    cv_render_free(r);
    cv_view_remove_all();
    ASSERT(s.released);
}
