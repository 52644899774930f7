/*
 * Views from outside the module (a script's contentviews.add()): named
 * like the built-in ones, offered by cv_view_find() and in Auto, and
 * listed after CV_VIEW_MAP's views with the ids CV_VIEW__COUNT and up.
 *
 * An external view is asked for its priority and its lines while
 * cv_render_new() runs, the only time its struct cv_meta is valid: its
 * lines are then handed out from a queue like a one-shot view's. So a
 * render never calls a view after cv_render_new() returns, and removing
 * a view (a script reloaded) cannot pull it from under a UI that is
 * still paging through its lines.
 *
 * A removed view leaves its id unused rather than moving the views after
 * it, so an id a UI holds never names another view.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contentviews/internal.h"
#include "util/err.h"
#include "util/xmalloc.h"

struct ext {
    char *name; /* owned; NULL once removed */
    struct cv_view_ops ops;
    void *arg;
};

static struct ext *exts; /* owned: nexts views, removed ones included */
static size_t nexts, capexts;

static struct ext *
ext_at(int v)
{
    if (v < CV_VIEW__COUNT || (size_t)(v - CV_VIEW__COUNT) >= nexts)
        return NULL;
    struct ext *x = &exts[v - CV_VIEW__COUNT];
    return x->name ? x : NULL;
}

int
cv_view_count(void)
{
    return CV_VIEW__COUNT + (int)nexts;
}

const char *
cv__ext_name(int v)
{
    struct ext *x = ext_at(v);
    return x ? x->name : NULL;
}

int
cv__ext_find(const char *name)
{
    for (size_t i = 0; name && i < nexts; i++)
        if (exts[i].name && strcasecmp(exts[i].name, name) == 0)
            return CV_VIEW__COUNT + (int)i;
    return -1;
}

int
cv_view_add(const char *name, const struct cv_view_ops *ops, void *arg, struct err *e)
{
    if (name == NULL || *name == '\0')
        return err_set(e, MP_ERR_INVAL, "content view: a view needs a name");
    if (cv_view_find(name) >= 0)
        return err_set(e, MP_ERR_EXISTS, "Duplicate view: %s", name);
    if (nexts == capexts) {
        capexts = capexts ? capexts * 2 : 8;
        exts = xrealloc(exts, capexts * sizeof(*exts));
    }
    exts[nexts] = (struct ext){xstrdup(name), *ops, arg};
    return CV_VIEW__COUNT + (int)nexts++;
}

/* Removes x, leaving its id unused. */
static void
drop(struct ext *x)
{
    free(x->name);
    x->name = NULL;
    if (x->ops.release)
        x->ops.release(x->arg);
}

int
cv_view_remove(const char *name)
{
    struct ext *x = ext_at(cv__ext_find(name));
    if (x == NULL)
        return MP_ERR_NOTFOUND;
    drop(x);
    return 0;
}

void
cv_view_remove_all(void)
{
    for (size_t i = 0; i < nexts; i++)
        if (exts[i].name)
            drop(&exts[i]);
    free(exts);
    exts = NULL;
    nexts = capexts = 0;
}

/* A view's priority in tenths, as the built-in views rate (8.1.1 rates in
 * floats; tenths keep every rating its examples use). 0 when it fails. */
static int
ext_priority(struct ext *x, const struct cv_render *r, const struct cv_meta *m)
{
    double p = 0;
    if (x->ops.priority(x->arg, cv__data(r), r->body.len, m, &p) < 0 || !isfinite(p))
        return 0;
    p *= 10;
    return p > 1e6 ? 1000000 : p < -1e6 ? -1000000 : (int)lround(p);
}

int
cv__ext_priority(struct cv_render *r, int v, const struct cv_meta *m)
{
    struct ext *x = ext_at(v);
    return x ? ext_priority(x, r, m) : 0;
}

/* Renders view v now into r->ext_lines. When it fails, r->ext_desc stays
 * NULL and the render falls back to Raw on its first step, with the
 * view's error. */
static void
ext_render(struct cv_render *r, int v, const struct cv_meta *m)
{
    struct ext *x = ext_at(v);
    char *desc = NULL, *error = NULL;
    r->ext_view = v;
    if (x->ops.render(x->arg, cv__data(r), r->body.len, m, &r->ext_lines, &desc, &error) < 0) {
        cv_lines_clear(&r->ext_lines);
        free(desc);
        free(r->error);
        r->error = error;
        return;
    }
    free(error);
    r->ext_desc = desc ? desc : xstrdup(x->name);
}

void
cv__ext_prepare(struct cv_render *r, const struct cv_meta *m)
{
    r->ext_view = -1;
    if (r->requested >= CV_VIEW__COUNT) {
        ext_render(r, (int)r->requested, m);
        return;
    }
    if (r->requested != CV_VIEW_AUTO || nexts == 0)
        return;
    /* Auto: the best external view competes with the best built-in one. */
    int best = -1, best_p = 0;
    for (size_t i = 0; i < nexts; i++) {
        if (exts[i].name == NULL)
            continue;
        int p = ext_priority(&exts[i], r, m);
        if (best < 0 || p > best_p ||
            (p == best_p && strcmp(exts[i].name, exts[best - CV_VIEW__COUNT].name) > 0)) {
            best = CV_VIEW__COUNT + (int)i;
            best_p = p;
        }
    }
    r->ext_priority = best_p;
    /* A view that rates the body 0 never wins over Raw, which rates 0.1
     * at least: no need to ask it for lines. */
    if (best >= 0 && best_p > 0)
        ext_render(r, best, m);
}

/* As every one-shot view: the lines go into a queue on the first step,
 * which later steps drain. */
int
cv__ext_render(struct cv_render *r)
{
    if (r->state)
        return cv__queue_drain(r, r->state);
    if (r->ext_desc == NULL || r->ext_view != (int)r->view)
        return CV__FAIL;
    cv__set_desc(r, r->ext_desc);
    return cv__queue_start(r, &r->ext_lines);
}

void
cv__ext_free(struct cv_render *r)
{
    cv_lines_clear(&r->ext_lines);
    free(r->ext_desc);
}

void
cv_lines_add_line(struct cv_lines *l)
{
    cv__line(l);
}

void
cv_lines_add_tok(struct cv_lines *l, const char *style, const char *text, size_t n)
{
    enum cv_style s = CV_STYLE_TEXT;
    for (int i = 0; style && i < CV_STYLE__COUNT; i++)
        if (strcmp(cv_style_name((enum cv_style)i), style) == 0)
            s = (enum cv_style)i;
    if (l->n == 0)
        cv__line(l);
    cv__tok(l, s, text, n);
}
