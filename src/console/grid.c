/*
 * The grid editor (8.1.1's grideditor/base.py): rows of cells under column
 * headings, a focused cell, and one cell at a time being typed. Cells hold
 * bytes and are shown and typed as Python-style escaped strings, as 8.1.1
 * shows them (bytes_to_escaped_str, escaped_str_to_bytes), so a header
 * with a control byte can be seen and written. A column may open a
 * sub-grid instead (a Set-Cookie's attributes). The grid knows nothing of
 * flows: edit.c fills it from a flow part and writes it back.
 */
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "util/hex.h"
#include "util/xmalloc.h"

/* 8.1.1's first column: 20 wide (FIRST_WIDTH_MAX 40 is never reached), plus 2. */
#define FIRST_WIDTH 20
#define DIVIDE 2

void
console__escape(const void *data, size_t n, struct buf *out)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == '\\')
            buf_append_str(out, "\\\\");
        else if (c == '\n')
            buf_append_str(out, "\\n");
        else if (c == '\r')
            buf_append_str(out, "\\r");
        else if (c == '\t')
            buf_append_str(out, "\\t");
        else if (c < 0x20 || c >= 0x7f)
            buf_printf(out, "\\x%02x", c);
        else
            buf_append(out, &c, 1);
    }
}

int
console__unescape(const char *s, size_t n, struct buf *out, struct err *e)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '\\') {
            buf_append(out, &c, 1);
            continue;
        }
        if (++i == n)
            return err_set(e, MP_ERR_SYNTAX, "Invalid data: a trailing \\");
        static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
        const char *k = strchr(from, s[i]);
        if (k && s[i]) {
            buf_append(out, &to[k - from], 1);
        } else if (s[i] == 'x') {
            int hi = i + 1 < n ? hex_value((unsigned char)s[i + 1]) : -1;
            int lo = i + 2 < n ? hex_value((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return err_set(e, MP_ERR_SYNTAX, "Invalid data: a bad \\x escape at %zu", i - 1);
            unsigned char b = (unsigned char)(hi * 16 + lo);
            buf_append(out, &b, 1);
            i += 2;
        } else if (s[i] >= '0' && s[i] <= '7') {
            unsigned v = 0;
            for (int d = 0; d < 3 && i < n && s[i] >= '0' && s[i] <= '7'; d++, i++)
                v = v * 8 + (unsigned)(s[i] - '0');
            i--;
            unsigned char b = (unsigned char)v;
            buf_append(out, &b, 1);
        } else if (s[i] == '\n') {
            /* A backslash before a newline joins the lines. */
        } else {
            /* Unknown escapes stay as they are (codecs.escape_decode). */
            buf_append(out, s + i - 1, 2);
        }
    }
    return 0;
}

struct grid *
console__grid_new(const char *title, int ncols, const char *const *headings, int sub_col)
{
    struct grid *g = xcalloc(1, sizeof(*g));
    g->title = xstrdup(title);
    g->ncols = ncols < 1 ? 1 : ncols > GRID_MAXCOLS ? GRID_MAXCOLS : ncols;
    for (int i = 0; i < g->ncols; i++)
        g->headings[i] = headings[i];
    g->sub_col = sub_col;
    g->parent_row = -1;
    buf_init(&g->edit);
    return g;
}

static void
row_clear(struct grid *g, struct grid_row *r)
{
    for (int k = 0; k < g->ncols; k++)
        buf_clear(&r->cell[k]);
}

void
console__grid_free(struct grid *g)
{
    while (g) {
        struct grid *parent = g->parent;
        for (size_t i = 0; i < g->n; i++)
            row_clear(g, &g->rows[i]);
        free(g->rows);
        buf_clear(&g->edit);
        free(g->title);
        free(g->part);
        free(g->flow_id);
        free(g);
        g = parent;
    }
}

/* A blank row at i (0 <= i <= n). */
static struct grid_row *
insert_row(struct grid *g, size_t i)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 8;
        g->rows = xrealloc(g->rows, g->cap * sizeof(*g->rows));
    }
    memmove(&g->rows[i + 1], &g->rows[i], (g->n - i) * sizeof(*g->rows));
    memset(&g->rows[i], 0, sizeof(g->rows[i]));
    g->n++;
    return &g->rows[i];
}

void
console__grid_append(struct grid *g, const struct slice *cells)
{
    struct grid_row *r = insert_row(g, g->n);
    for (int k = 0; k < g->ncols; k++)
        buf_append(&r->cell[k], cells[k].p, cells[k].len);
}

int
console__grid_keep(const struct grid *g, size_t i)
{
    if (g->rows[i].errors)
        return 0;
    for (int k = 0; k < g->ncols; k++)
        if (g->rows[i].cell[k].len)
            return 1;
    return 0;
}

struct buf *
console__grid_cell(struct grid *g)
{
    return g->n ? &g->rows[g->focus].cell[g->focus_col] : NULL;
}

int
console__grid_start_edit(struct grid *g)
{
    if (g->n == 0 || g->focus_col == g->sub_col)
        return 0;
    buf_reset(&g->edit);
    const struct buf *cell = &g->rows[g->focus].cell[g->focus_col];
    console__escape(buf_ptr(cell), cell->len, &g->edit);
    g->cursor = g->edit.len;
    g->editing = 1;
    return 1;
}

int
console__grid_stop_edit(struct grid *g, struct err *e)
{
    if (!g->editing)
        return 0;
    /* 8.1.1 strips the typed text, then reads the escapes. */
    const char *s = (const char *)buf_ptr(&g->edit);
    size_t a = 0, b = g->edit.len;
    while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\n'))
        a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\n'))
        b--;
    struct buf out = BUF_INIT;
    int rc = console__unescape(s + a, b - a, &out, e);
    if (rc < 0) {
        buf_clear(&out);
        return rc;
    }
    console__grid_set(g, buf_ptr(&out), out.len);
    buf_clear(&out);
    g->editing = 0;
    return 0;
}

void
console__grid_set(struct grid *g, const void *p, size_t n)
{
    struct buf *cell = console__grid_cell(g);
    if (cell == NULL)
        return;
    buf_set(cell, p, n);
    g->rows[g->focus].errors &= ~(1u << g->focus_col);
}

/* GridWalker._insert: a blank row at pos, focused, its first cell being typed. */
static void
insert_at(struct grid *g, size_t pos)
{
    console__grid_stop_edit(g, NULL);
    insert_row(g, pos);
    g->focus = (int)pos;
    g->focus_col = 0;
    console__grid_start_edit(g);
}

void
console__grid_add(struct grid *g)
{
    insert_at(g, g->n ? (size_t)g->focus + 1 : 0);
}

void
console__grid_insert(struct grid *g)
{
    insert_at(g, (size_t)g->focus);
}

void
console__grid_delete(struct grid *g)
{
    if (g->n == 0)
        return;
    g->editing = 0;
    row_clear(g, &g->rows[g->focus]);
    memmove(&g->rows[g->focus], &g->rows[g->focus + 1],
            (g->n - (size_t)g->focus - 1) * sizeof(*g->rows));
    g->n--;
    if (g->focus >= (int)g->n)
        g->focus = g->n ? (int)g->n - 1 : 0;
}

void
console__grid_move(struct grid *g, int rows, int cols)
{
    if (g->editing && console__grid_stop_edit(g, NULL) < 0)
        return;
    long f = (long)g->focus + rows;
    g->focus = f < 0 ? 0 : f >= (long)g->n ? (g->n ? (int)g->n - 1 : 0) : (int)f;
    int c = g->focus_col + cols;
    g->focus_col = c < 0 ? 0 : c >= g->ncols ? g->ncols - 1 : c;
}

void
console__grid_tab(struct grid *g)
{
    int row = g->focus, col = g->focus_col, was = g->editing;
    if (g->editing && console__grid_stop_edit(g, NULL) < 0)
        return;
    if (g->focus_col < g->ncols - 1) {
        g->focus_col++;
    } else if (g->focus + 1 < (int)g->n) {
        g->focus_col = 0;
        g->focus++;
    }
    /* While typing, tab goes on typing in the next cell of the row. */
    if (was && g->focus == row && g->focus_col != col)
        console__grid_start_edit(g);
}

/* The columns' widths: the first fixed (with several), the rest shared. */
static void
widths(const struct grid *g, int cols, int *w)
{
    int left = cols;
    int from = 0;
    if (g->ncols > 1) {
        w[0] = FIRST_WIDTH + 2;
        left -= w[0] + DIVIDE;
        from = 1;
    }
    int rest = g->ncols - from;
    left -= DIVIDE * (rest - 1);
    for (int k = from; k < g->ncols; k++) {
        w[k] = left / rest + (k - from < left % rest);
        if (w[k] < 1)
            w[k] = 1;
    }
}

/* A sub-grid cell (attribute pairs, one "name=value" or "name" per line)
 * shown on one line, pairs joined by "; ". */
static void
sub_display(const struct buf *cell, struct buf *out)
{
    const char *p = (const char *)buf_ptr(cell);
    for (size_t i = 0; i < cell->len; i++) {
        if (p[i] == '\n') {
            if (i + 1 < cell->len)
                buf_append_str(out, "; ");
        } else {
            buf_append(out, p + i, 1);
        }
    }
}

void
console__grid_draw(struct grid *g, struct sline *lines, int rows, int cols, struct screen *scr,
                   int first_row)
{
    if (rows < 2)
        return;
    int w[GRID_MAXCOLS];
    widths(g, cols, w);
    /* The headings, in the heading style across the line (none when every
     * heading is empty, as an option's list has). */
    int at = 0, headed = 0;
    for (int k = 0; k < g->ncols; k++)
        headed |= g->headings[k][0] != '\0';
    for (int k = 0; k < g->ncols && headed; k++) {
        console__pad_to(&lines[0], ST_HEADING, at);
        console__put(&lines[0], ST_HEADING, g->headings[k], SIZE_MAX);
        at += w[k] + DIVIDE;
    }
    if (headed)
        console__pad_to(&lines[0], ST_HEADING, cols);
    int body = rows - headed;
    if (g->n == 0) {
        struct sline *l = &lines[rows - 1];
        console__put(l, ST_HIGHLIGHT, "No values - you should add some. Press ", SIZE_MAX);
        console__put(l, ST_KEY, "?", 1);
        console__put(l, ST_HIGHLIGHT, " for help.", SIZE_MAX);
        return;
    }
    if (g->focus < g->top)
        g->top = g->focus;
    if (g->focus >= g->top + body)
        g->top = g->focus - body + 1;
    struct buf shown = BUF_INIT;
    for (int i = 0; i < body && g->top + i < (int)g->n; i++) {
        int r = g->top + i;
        struct sline *l = &lines[headed + i];
        at = 0;
        for (int k = 0; k < g->ncols; k++) {
            console__pad_to(l, ST_TEXT, at);
            int focused = r == g->focus && k == g->focus_col;
            int error = (g->rows[r].errors >> k) & 1;
            enum console_style st = focused && error ? ST_FOCUSFIELD_ERROR
                                    : focused        ? ST_FOCUSFIELD
                                    : error          ? ST_FIELD_ERROR
                                                     : ST_TEXT;
            buf_reset(&shown);
            const struct buf *cell = &g->rows[r].cell[k];
            size_t skip = 0;
            if (focused && g->editing) {
                st = ST_EDITFIELD;
                buf_append(&shown, buf_ptr(&g->edit), g->edit.len);
                /* The cursor stays in the cell: scroll a long text. */
                int before = console__width((const char *)buf_ptr(&g->edit), g->cursor);
                int sk = before >= w[k] ? before - w[k] + 1 : 0;
                for (int c = 0; c < sk; c++) {
                    skip++;
                    while (skip < shown.len && (buf_ptr(&shown)[skip] & 0xc0) == 0x80)
                        skip++;
                }
                if (scr) {
                    scr->cursor_row = first_row + headed + i;
                    scr->cursor_col = at + before - sk;
                }
            } else if (k == g->sub_col) {
                sub_display(cell, &shown);
            } else {
                console__escape(buf_ptr(cell), cell->len, &shown);
            }
            int start = l->used;
            int saved = l->width;
            l->width = at + w[k] < saved ? at + w[k] : saved;
            console__put(l, st, (const char *)buf_ptr(&shown) + skip, shown.len - skip);
            if (focused && l->used == start)
                console__pad_to(l, st, start + 1); /* an empty cell still shows the focus */
            l->width = saved;
            at += w[k] + DIVIDE;
        }
    }
    buf_clear(&shown);
}
