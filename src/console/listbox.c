/*
 * Page up and page down as urwid's ListBox does them (8.1.1's flow list
 * is one): its calculate_visible, change_focus and the two page keys,
 * for a list whose items are all selectable, have no cursor and are one
 * or more rows high. The list's state is urwid's: the focus, and the row
 * of the pane its first row is on (negative: that many of its rows are
 * hidden above the pane, urwid's inset).
 *
 * Page down puts the old focus just above the pane and focuses the
 * bottommost item then fully shown; page up the other way round. Near the
 * ends, and with items of two rows where the pane's rows are odd, urwid's
 * snapping decides, so the port follows its steps rather than a formula.
 */
#include <stdlib.h>

#include "console/internal.h"
#include "util/xmalloc.h"

static int
rows_of(const struct console_lb *lb, long i)
{
    int h = lb->rows(lb->arg, i);
    return h < 1 ? 1 : h;
}

/* calculate_visible: where the focus's first row really goes (the items
 * above and below fill the pane as far as they can), and how many items
 * above (*na) and below (*nb) it are shown, in whole or in part. */
static int
visible(const struct console_lb *lb, long focus, int row, long *na, long *nb)
{
    int maxrow = lb->maxrow;
    int offset = row > 0 ? row : 0, inset = row < 0 ? -row : 0;
    if (maxrow && offset >= maxrow)
        offset = maxrow - 1;
    int trim_top = inset, focus_rows = rows_of(lb, focus);
    long pos = focus, top_pos = focus, above = 0, below = 0;
    int fill = offset;
    while (fill > 0) {
        if (pos == 0) {
            offset -= fill;
            break;
        }
        top_pos = --pos;
        int h = rows_of(lb, pos);
        above++;
        if (h > fill) {
            trim_top = h - fill;
            break;
        }
        fill -= h;
    }
    pos = focus;
    fill = maxrow - focus_rows - offset + inset;
    while (fill > 0) {
        if (pos >= lb->len - 1)
            break;
        int h = rows_of(lb, ++pos);
        below++;
        fill -= h;
        if (fill < 0)
            break;
    }
    if (fill < 0)
        fill = 0;
    if (fill > 0 && trim_top > 0) {
        int take = fill <= trim_top ? fill : trim_top;
        trim_top -= take;
        offset += take;
        fill -= take;
    }
    for (pos = top_pos; fill > 0 && pos > 0;) {
        int h = rows_of(lb, --pos);
        above++;
        if (h > fill) {
            offset += fill;
            break;
        }
        fill -= h;
        offset += h;
    }
    if (na)
        *na = above;
    if (nb)
        *nb = below;
    return offset - inset;
}

enum from { FROM_ABOVE, FROM_BELOW };

/* change_focus: pos focused with its first row at row, snapped into the
 * pane by at most snap rows. */
static void
change_focus(const struct console_lb *lb, long pos, int row, enum from from, int snap,
             struct console_lb_state *st)
{
    int maxrow = lb->maxrow, tgt = rows_of(lb, pos);
    int top = 0, bottom = maxrow - tgt;
    if (from == FROM_ABOVE && row > bottom) {
        if (snap >= row - bottom)
            row = bottom;
        else if (snap >= row - top)
            row = top;
        else
            row -= snap;
    }
    if (from == FROM_BELOW && row < top) {
        if (snap >= top - row)
            row = top;
        else if (snap >= bottom - row)
            row = bottom;
        else
            row += snap;
    }
    if (row + tgt <= 0)
        row = -(tgt - 1);
    st->focus = pos;
    st->row = row;
}

/* A candidate: the first row it would be on, its position, its rows. */
struct cand {
    int off;
    long pos;
    int rows;
};

struct cands {
    struct cand *v;
    size_t n, cap;
};

static void
cand_add(struct cands *t, int off, long pos, int rows)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 64;
        t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
    }
    t->v[t->n++] = (struct cand){off, pos, rows};
}

/* Indices snap..n-1, then snap-1 down to 0 (urwid's search_order). */
static size_t
order_at(size_t k, size_t snap, size_t n)
{
    return k < n - snap ? snap + k : snap - 1 - (k - (n - snap));
}

/*
 * The search both page keys end with, written for page down: urwid's two
 * are mirror images but for one line (below). For page up the candidates' offsets come mirrored
 * (the rows between an item's last row and the pane's bottom), and so do
 * the rows change_focus and calculate_visible are asked and answer.
 * v[0..n) are the candidates, tried from snap_start outwards; focus the
 * old focus.
 */
static void
choose(const struct console_lb *lb, int up, struct cand *v, size_t n, size_t snap_start, int snap,
       long focus, struct console_lb_state *st)
{
    int maxrow = lb->maxrow;
    enum from from = up ? FROM_BELOW : FROM_ABOVE;
#define REAL(off, rows) (up ? maxrow - (off) - (rows) : (off))
    char *bad = xcalloc(n ? n : 1, 1);
    int cut_off = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = order_at(k, snap_start, n);
        struct cand c = v[i];
        if (c.off >= maxrow)
            change_focus(lb, c.pos, REAL(maxrow - 1, c.rows), from, snap + maxrow - c.off - 1, st);
        else
            change_focus(lb, c.pos, REAL(c.off, c.rows), from, snap, st);
        int act = REAL(visible(lb, st->focus, st->row, NULL, NULL), c.rows);
        if (act < c.off - snap || act > c.off) {
            bad[i] = 1;
            continue;
        }
        if (act + c.rows > maxrow) {
            bad[i] = 1;
            cut_off = 1;
            continue;
        }
        goto done;
    }
    if (cut_off)
        goto done;
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < n; k++) {
            size_t i = order_at(k, snap_start, n);
            struct cand c = v[i];
            if ((pass == 0 && bad[i]) || c.pos == focus)
                continue;
            if (c.off >= maxrow) {
                /* Here they differ: page up takes the rows past the
                 * pane's edge off its snap, page down makes them its snap
                 * (listbox.py's snap_rows -= ...). */
                int over = c.off - (maxrow - 1);
                snap = up ? snap - over : over;
                c.off = maxrow - 1;
            }
            change_focus(lb, c.pos, REAL(c.off, c.rows), from, snap, st);
            goto done;
        }
done:
#undef REAL
    free(bad);
}

static void
page_down(const struct console_lb *lb, struct console_lb_state *st)
{
    int maxrow = lb->maxrow;
    long focus = st->focus, nb;
    int row = visible(lb, focus, st->row, NULL, &nb);
    int focus_rows = rows_of(lb, focus), bottom_edge = maxrow - row;
    int from_row = bottom_edge >= focus_rows ? focus_rows : bottom_edge;
    int snap = bottom_edge - from_row, off = -from_row;
    struct cands t = {0};
    cand_add(&t, off, focus, focus_rows);
    off += focus_rows;
    long pos = focus;
    for (long k = 0; k < nb; k++) {
        int h = rows_of(lb, ++pos);
        cand_add(&t, off, pos, h);
        off += h;
    }
    size_t snap_start = t.n;
    while (off < maxrow + snap && pos < lb->len - 1) {
        int h = rows_of(lb, ++pos);
        cand_add(&t, off, pos, h);
        off += h;
        if (off < maxrow)
            snap_start++;
    }
    struct cand *last = &t.v[t.n - 1];
    if (last->off + last->rows < maxrow) {
        int adjust = maxrow - (last->off + last->rows);
        for (size_t i = 0; i < t.n; i++)
            t.v[i].off += adjust;
    }
    int skip = t.v[0].off + t.v[0].rows <= 0;
    choose(lb, 0, t.v + skip, t.n - skip, snap_start - skip, snap, focus, st);
    free(t.v);
}

static void
page_up(const struct console_lb *lb, struct console_lb_state *st)
{
    int maxrow = lb->maxrow;
    long focus = st->focus, na;
    int row = visible(lb, focus, st->row, &na, NULL);
    int from_row = row >= 0 ? 0 : row;
    int snap = row - from_row, off = from_row + maxrow;
    struct cands t = {0};
    cand_add(&t, off, focus, rows_of(lb, focus));
    long pos = focus;
    for (long k = 0; k < na; k++) {
        int h = rows_of(lb, --pos);
        off -= h;
        cand_add(&t, off, pos, h);
    }
    size_t snap_start = t.n;
    while (off > -snap && pos > 0) {
        int h = rows_of(lb, --pos);
        off -= h;
        if (off > 0)
            snap_start++;
        cand_add(&t, off, pos, h);
    }
    struct cand *last = &t.v[t.n - 1];
    if (last->off > 0) {
        int adjust = -last->off;
        for (size_t i = 0; i < t.n; i++)
            t.v[i].off += adjust;
    }
    int skip = t.v[0].off >= maxrow;
    /* Mirrored: rows below each candidate's last row. */
    for (size_t i = 0; i < t.n; i++)
        t.v[i].off = maxrow - t.v[i].off - t.v[i].rows;
    choose(lb, 1, t.v + skip, t.n - skip, snap_start - skip, snap, focus, st);
    free(t.v);
}

void
console__lb_page(const struct console_lb *lb, int down, struct console_lb_state *st)
{
    if (lb->len <= 0 || lb->maxrow <= 0)
        return;
    if (st->focus < 0)
        st->focus = 0;
    if (st->focus >= lb->len)
        st->focus = lb->len - 1;
    if (down)
        page_down(lb, st);
    else
        page_up(lb, st);
}

int
console__lb_visible(const struct console_lb *lb, const struct console_lb_state *st)
{
    if (lb->len <= 0 || lb->maxrow <= 0)
        return 0;
    return visible(lb, st->focus, st->row, NULL, NULL);
}
