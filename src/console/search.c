/*
 * Searching the flow view (8.1.1's searchable.py): / asks for the text,
 * n and N find its next and previous line, wrapping around, and the line
 * found is highlighted and scrolled to. Beyond 8.1.1, which searches only
 * what it displays, a body cut at content_view_lines_cutoff is loaded in
 * full for a search (mitmproxy #7326).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "util/xmalloc.h"

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

/* The line after (or before) start holding term, wrapping; -1 if none. */
static int
scan(struct console *c, const char *term, int start, int backwards)
{
    int total = console__flowview_lines(&c->fv);
    struct sline scratch = {0};
    int found = -1;
    for (int k = 1; k <= total && found < 0; k++) {
        int off = backwards ? ((start - k) % total + total) % total : (start + k) % total;
        if (strstr(line_text(c, &scratch, off), term))
            found = off;
    }
    buf_clear(&scratch.text);
    free(scratch.spans);
    return found;
}

/* Renders the rest of the body (up to the cutoff), a step at a time. */
static void
fill_all(struct flowview *fv)
{
    while (fv->render && !fv->body_done)
        console__flowview_fill(fv, console__flowview_lines(fv) + 4096, 4u << 20);
}

void
console__search_next(struct console *c, int backwards)
{
    struct flowview *fv = &c->fv;
    if (c->last_search == NULL) {
        fv->highlight = -1;
        return;
    }
    if (fv->flow_id == NULL)
        return;
    /* Every line up to the cutoff; a body cut there is loaded whole, as f
     * would load it, so the search sees all of it. */
    fill_all(fv);
    int start = fv->highlight >= 0 ? fv->highlight : fv->scroll;
    if (fv->cut) {
        store_set_setting(c->store, fv->flow_id, "fullcontents", "true");
        console__flowview_invalidate(fv);
        console__layout(c, c->rows, c->cols);
        fill_all(fv);
    }
    int found = scan(c, c->last_search, start, backwards);
    fv->highlight = found;
    if (found < 0) {
        console__message(c, 0, "Search not found.");
        return;
    }
    fv->scroll = found;
    fv->at_end = 0;
    console__dirty(c);
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
