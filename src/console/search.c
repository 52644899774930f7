/*
 * Searching the flow view (8.1.1's searchable.py): / asks for the text,
 * n and N find its next and previous line, wrapping around, and the line
 * found is highlighted and scrolled to. Beyond 8.1.1, which searches only
 * what it displays, a body cut at content_view_lines_cutoff is loaded in
 * full for a search (mitmproxy #7326).
 *
 * 8.1.1 renders the whole body before it looks; a 100 MB body takes it
 * seconds. Here the search walks the lines in 8.1.1's order (after the
 * start to the end, then from the top back to the start; N the other way),
 * asking the render for more lines only when it gets to them, and under a
 * loop it does so a slice of about SLICE_MS at a time from the redraw, so
 * keys are read between slices. The line found is the one 8.1.1's search
 * finds over the whole text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/xmalloc.h"

/* The longest a slice holds the loop, and the render work between looks at the clock. */
#define SLICE_MS 8.0
#define FILL_BUDGET (256u << 10)

struct fv_search {
    char *flow_id; /* owned: the flow searched; leaving it stops the search */
    int tab;
    int backwards;
    int start;   /* the line it looks after (before, going back) */
    int at;      /* the next line to look at */
    int wrapped; /* past the end (the top, going back): at runs towards start */
    struct sline scratch;
};

static void
search_free(struct fv_search *s)
{
    if (s == NULL)
        return;
    free(s->flow_id);
    buf_clear(&s->scratch.text);
    free(s->scratch.spans);
    free(s);
}

void
console__search_stop(struct console *c)
{
    search_free(c->fs);
    c->fs = NULL;
}

/* Line i of the view as text, whole (not cut to the screen's width). */
static const char *
line_text(struct console *c, struct sline *scratch, int i)
{
    scratch->text.len = 0;
    scratch->text.off = 0;
    scratch->nspans = 0;
    scratch->used = 0;
    scratch->width = 1 << 20;
    /* The description line ("Raw", the view's name) pads to the width:
     * it is no text of the flow's. */
    if (!(c->fv.render && i == c->fv.nhead))
        console__flowview_line(&c->fv, i, scratch);
    return console__line_text(scratch);
}

/* The view's lines of flow text known so far: the line saying the body
 * was cut at the cutoff is none of them. */
static int
known(const struct flowview *fv)
{
    return console__flowview_lines(fv) - fv->cut;
}

/*
 * Makes more lines known: the render's next ones, or, once it has stopped
 * at the cutoff, the whole body (as f would load it, the view built again
 * without the cutoff). Returns 0 when every line is known.
 */
static int
more_lines(struct console *c)
{
    struct flowview *fv = &c->fv;
    if (console__flowview_pending(fv)) {
        console__flowview_fill(fv, console__flowview_lines(fv) + FV_CHUNK, FILL_BUDGET);
        return 1;
    }
    if (!fv->cut)
        return 0;
    store_set_setting(c->store, fv->flow_id, "fullcontents", "true");
    console__flowview_invalidate(fv);
    console__layout(c, c->rows, c->cols);
    return 1;
}

static void
found(struct console *c, int line)
{
    struct flowview *fv = &c->fv;
    fv->highlight = line;
    if (line < 0) {
        console__message(c, 0, "Search not found.");
        return;
    }
    fv->scroll = line;
    fv->at_end = 0;
    if (c->bar == BAR_MESSAGE) {
        /* "Searching for ..." is over. */
        c->bar = BAR_NONE;
        free(c->message);
        c->message = NULL;
    }
    console__dirty(c);
}

/*
 * Looks at lines for about SLICE_MS (forever when budget_ms is 0). Returns
 * 1 while lines are left to look at; the search is over otherwise.
 */
static int
slice(struct console *c, double budget_ms)
{
    struct fv_search *s = c->fs;
    struct flowview *fv = &c->fv;
    const char *term = c->last_search;
    double t0 = clock_mono_ms();
    for (unsigned n = 1;; n++) {
        if (budget_ms > 0 && n % 64 == 0 && clock_mono_ms() - t0 >= budget_ms)
            return 1;
        if (fv->stale) {
            /* The flow changed under the search (a live flow, a body
             * replaced): its lines are built again before they are read. */
            console__layout(c, c->rows, c->cols);
            if (fv->stale)
                break;
        }
        int total = known(fv);
        if (!s->backwards) {
            if (!s->wrapped && s->at >= total) {
                if (more_lines(c)) {
                    if (budget_ms > 0 && clock_mono_ms() - t0 >= budget_ms)
                        return 1;
                    continue;
                }
                s->wrapped = 1;
                s->at = 0;
            }
            if (s->wrapped && (s->at > s->start || s->at >= total))
                break;
        } else {
            if (!s->wrapped && s->at < 0) {
                /* From the end back: every line must be known first. */
                if (more_lines(c)) {
                    if (budget_ms > 0 && clock_mono_ms() - t0 >= budget_ms)
                        return 1;
                    continue;
                }
                s->wrapped = 1;
                s->at = total - 1;
            }
            if (s->wrapped && s->at < s->start)
                break;
        }
        if (strstr(line_text(c, &s->scratch, s->at), term)) {
            int line = s->at;
            console__search_stop(c);
            found(c, line);
            return 0;
        }
        s->at += s->backwards ? -1 : 1;
    }
    console__search_stop(c);
    found(c, -1);
    return 0;
}

static void
searching(struct console *c)
{
    console__message(c, 0, "Searching for %s ... (esc stops)", c->last_search);
}

int
console__search_poll(struct console *c)
{
    struct fv_search *s = c->fs;
    if (s == NULL)
        return 0;
    /* Another flow or tab, or another screen: the search is over. */
    const struct flowview *fv = &c->fv;
    if (c->stack[c->depth - 1] != VIEW_FLOWVIEW || fv->flow_id == NULL ||
        strcmp(fv->flow_id, s->flow_id) != 0 || fv->tab != s->tab || c->last_search == NULL) {
        console__search_stop(c);
        return 0;
    }
    if (!slice(c, SLICE_MS))
        return 0;
    /* A key clears the message: the bar says again that the search runs. */
    if (c->bar == BAR_NONE)
        searching(c);
    return 1;
}

void
console__search_next(struct console *c, int backwards)
{
    struct flowview *fv = &c->fv;
    console__search_stop(c);
    if (c->last_search == NULL) {
        fv->highlight = -1;
        return;
    }
    if (fv->flow_id == NULL)
        return;
    struct fv_search *s = xcalloc(1, sizeof(*s));
    s->flow_id = xstrdup(fv->flow_id);
    s->tab = fv->tab;
    s->backwards = backwards;
    s->start = fv->highlight >= 0 ? fv->highlight : fv->scroll;
    s->at = s->start + (backwards ? -1 : 1);
    c->fs = s;
    /* Without a loop (tests) the search runs to its end at once. */
    if (c->redraw_timer == NULL) {
        slice(c, 0);
        return;
    }
    if (slice(c, SLICE_MS))
        searching(c);
}

void
console__search_set(struct console *c, const char *text)
{
    if (text && *text) {
        free(c->last_search);
        c->last_search = xstrdup(text);
    }
    console__search_next(c, 0);
}
