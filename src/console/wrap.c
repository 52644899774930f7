/*
 * Text cut into screen lines where 8.1.1 cuts it: urwid's Text widget
 * with wrap="space" (StandardTextLayout.calculate_text_segments). A line
 * breaks at a newline; a line too wide breaks at its last blank that fits
 * (the blank is dropped) or after a wide glyph, and a word wider than the
 * screen is cut where the columns end, first taking back onto the line
 * above the blank it ended with, as urwid does.
 */
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "util/xmalloc.h"

/* The columns of the glyph at text[i] (2 for a wide one). */
static int
glyph_at(const char *text, size_t len, size_t i)
{
    size_t n = 1;
    while (i + n < len && ((unsigned char)text[i + n] & 0xc0) == 0x80)
        n++;
    return console__width(text + i, n);
}

static size_t
prev_glyph(const char *text, size_t start, size_t i)
{
    do
        i--;
    while (i > start && ((unsigned char)text[i] & 0xc0) == 0x80);
    return i;
}

static size_t
next_glyph(const char *text, size_t len, size_t i)
{
    do
        i++;
    while (i < len && ((unsigned char)text[i] & 0xc0) == 0x80);
    return i;
}

/* A line of the result, and where the blank or newline after it was
 * dropped (urwid's "removed character hint"); a line of no text may still
 * have one. */
struct seg {
    size_t start, end;
    int cols;
    int has_text;
    int has_hint;
    size_t hint;
};

static struct seg *
add(struct seg **v, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        *v = xrealloc(*v, *cap * sizeof(**v));
    }
    struct seg *s = &(*v)[(*n)++];
    memset(s, 0, sizeof(*s));
    return s;
}

static void
text_seg(struct seg *s, size_t start, size_t end, int cols)
{
    s->start = start;
    s->end = end;
    s->cols = cols;
    s->has_text = 1;
}

size_t
console__wrap(const char *text, size_t len, int cols, struct console_wrap **out)
{
    struct seg *b = NULL;
    size_t nb = 0, cap = 0;
    if (cols < 2)
        cols = 2; /* urwid cannot lay a wide glyph out in one column */
    size_t p = 0;
    while (p <= len) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t n_cr = nl ? (size_t)(nl - text) : len;
        int sc = console__width(text + p, n_cr - p);
        if (sc == 0) {
            struct seg *s = add(&b, &nb, &cap);
            s->start = s->end = n_cr;
            s->has_hint = 1;
            s->hint = n_cr;
            p = n_cr + 1;
            continue;
        }
        if (sc <= cols) {
            struct seg *s = add(&b, &nb, &cap);
            text_seg(s, p, n_cr, sc);
            s->has_hint = 1;
            s->hint = n_cr;
            p = n_cr + 1;
            continue;
        }
        size_t pos = p + console__cut(text + p, n_cr - p, cols);
        sc = console__width(text + p, pos - p);
        if (text[pos] == ' ') {
            struct seg *s = add(&b, &nb, &cap);
            text_seg(s, p, pos, sc);
            s->has_hint = 1;
            s->hint = pos;
            p = pos + 1;
            continue;
        }
        if (glyph_at(text, len, pos) == 2) {
            text_seg(add(&b, &nb, &cap), p, pos, sc);
            p = pos;
            continue;
        }
        int done = 0;
        for (size_t prev = pos; prev > p;) {
            prev = prev_glyph(text, p, prev);
            if (text[prev] == ' ') {
                struct seg *s = add(&b, &nb, &cap);
                if (prev != p)
                    text_seg(s, p, prev, console__width(text + p, prev - p));
                s->start = s->has_text ? s->start : prev;
                s->end = s->has_text ? s->end : prev;
                s->has_hint = 1;
                s->hint = prev;
                p = prev + 1;
                done = 1;
                break;
            }
            if (glyph_at(text, len, prev) == 2) {
                size_t next = next_glyph(text, len, prev);
                text_seg(add(&b, &nb, &cap), p, next, console__width(text + p, next - p));
                p = next;
                done = 1;
                break;
            }
        }
        if (done)
            continue;
        /* A word wider than the line: the blank dropped at the end of the
         * line above comes back, and the word fills what is left of it. */
        if (nb && b[nb - 1].has_hint) {
            struct seg *h = &b[nb - 1];
            int p_sc = h->has_text ? h->cols : 0;
            size_t p_off = h->has_text ? h->start : h->hint;
            if (p_sc < cols && h->hint < len && text[h->hint] == ' ') {
                nb--;
                p = p_off;
                pos = p + console__cut(text + p, n_cr - p, cols);
                struct seg *s = add(&b, &nb, &cap);
                text_seg(s, p, pos, console__width(text + p, pos - p));
                p = pos;
                if (p < len && (text[p] == ' ' || text[p] == '\n')) {
                    s->has_hint = 1;
                    s->hint = p;
                    p++;
                }
                continue;
            }
        }
        text_seg(add(&b, &nb, &cap), p, pos, sc);
        p = pos;
    }
    struct console_wrap *w = xmalloc(nb * sizeof(*w));
    for (size_t i = 0; i < nb; i++) {
        w[i].start = b[i].start;
        w[i].len = b[i].has_text ? b[i].end - b[i].start : 0;
    }
    free(b);
    *out = w;
    return nb;
}
