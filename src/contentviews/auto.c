/*
 * Auto: the view that rates the body highest renders it (8.1.1's
 * max((render_priority, view))). Ties go to the view whose name sorts
 * last, since 8.1.1 compares views by name when priorities are equal.
 * Views a script added (extern.c) compete the same way.
 */
#include <string.h>

#include "contentviews/internal.h"

int
cv__auto_priority(struct cv_render *r)
{
    return -10; /* never chooses itself */
}

int
cv__auto_render(struct cv_render *r)
{
    int best = -1, best_p = 0;
    for (int v = 0; v < CV_VIEW__COUNT; v++) {
        if (v == CV_VIEW_AUTO)
            continue;
        int p = cv__priority(r, (enum cv_view)v);
        if (p == CV__PENDING)
            return CV__MORE;
        if (p == CV__FAIL)
            return CV__FAIL;
        if (best < 0 || p > best_p ||
            (p == best_p && strcmp(cv_view_name((enum cv_view)v), cv_view_name(best)) > 0)) {
            best = v;
            best_p = p;
        }
    }
    /* An external view (extern.c) rated the body while the render was made. */
    if (r->ext_view >= 0 &&
        (r->ext_priority > best_p ||
         (r->ext_priority == best_p &&
          strcmp(cv_view_name((enum cv_view)r->ext_view), cv_view_name(best)) > 0))) {
        best = r->ext_view;
        best_p = r->ext_priority;
    }
    if (best_p == 0 && r->body.len == 0) {
        cv__set_desc(r, "No content");
        return CV__DONE;
    }
    r->view = (enum cv_view)best;
    return cv__render_view(r);
}
