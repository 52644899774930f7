/*
 * The screen model: what each line of the terminal shows, as spans of
 * styled UTF-8 text cut to the line's width. The layout code writes it,
 * the painter (term.c) reads it, and tests compare its text.
 */
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "util/xmalloc.h"

static const char *const style_names[] = {
#define X(id, name) name,
    CONSOLE_STYLE_MAP(X)
#undef X
};

const char *
console__style_name(enum console_style s)
{
    return (unsigned)s < ST__COUNT ? style_names[s] : "?";
}

void
console__screen_init(struct screen *scr, int rows, int cols)
{
    scr->rows = rows < 0 ? 0 : rows;
    scr->cols = cols < 0 ? 0 : cols;
    scr->lines = xcalloc(scr->rows ? (size_t)scr->rows : 1, sizeof(*scr->lines));
    for (int i = 0; i < scr->rows; i++) {
        buf_init(&scr->lines[i].text);
        scr->lines[i].width = scr->cols;
    }
    scr->cursor_row = scr->cursor_col = -1;
}

void
console__screen_clear(struct screen *scr)
{
    for (int i = 0; i < scr->rows; i++) {
        buf_clear(&scr->lines[i].text);
        free(scr->lines[i].spans);
    }
    free(scr->lines);
    memset(scr, 0, sizeof(*scr));
}

void
console__screen_reset(struct screen *scr)
{
    for (int i = 0; i < scr->rows; i++) {
        struct sline *l = &scr->lines[i];
        l->text.len = 0;
        l->text.off = 0;
        l->nspans = 0;
        l->used = 0;
        l->width = scr->cols;
    }
    scr->cursor_row = scr->cursor_col = -1;
}

/* The length of the UTF-8 sequence starting with byte c (1 for a stray byte). */
static size_t
seqlen(unsigned char c)
{
    if (c < 0xc0)
        return 1;
    if (c < 0xe0)
        return 2;
    if (c < 0xf0)
        return 3;
    return 4;
}

int
console__width(const char *text, size_t len)
{
    int w = 0;
    for (size_t i = 0; i < len; i += seqlen((unsigned char)text[i]))
        w++;
    return w;
}

static void
add_span(struct sline *l, enum console_style style, size_t len)
{
    if (len == 0)
        return;
    if (l->nspans && l->spans[l->nspans - 1].style == style) {
        l->spans[l->nspans - 1].len += (uint32_t)len;
        return;
    }
    if (l->nspans == l->capspans) {
        l->capspans = l->capspans ? 2 * l->capspans : 8;
        l->spans = xrealloc(l->spans, l->capspans * sizeof(*l->spans));
    }
    l->spans[l->nspans++] = (struct span){(uint16_t)style, (uint32_t)len};
}

int
console__put(struct sline *l, enum console_style style, const char *text, size_t len)
{
    if (len == SIZE_MAX)
        len = strlen(text);
    size_t before = l->text.len;
    int added = 0;
    for (size_t i = 0; i < len && l->used < l->width;) {
        unsigned char c = (unsigned char)text[i];
        size_t n = seqlen(c);
        if (i + n > len)
            n = len - i;
        if (c < 0x20 || c == 0x7f)
            buf_append(&l->text, ".", 1);
        else
            buf_append(&l->text, text + i, n);
        i += n;
        l->used++;
        added++;
    }
    add_span(l, style, l->text.len - before);
    return added;
}

/* 8.1.1's SYMBOL_ELLIPSIS. */
#define ELLIPSIS "\xe2\x80\xa6"

void
console__put_fixed(struct sline *l, enum console_style style, const char *text, int cols, int right)
{
    size_t len = strlen(text);
    int w = console__width(text, len);
    if (w > cols) {
        /* fixlen: the start and an ellipsis; fixlen_r: an ellipsis and the end. */
        if (cols <= 0)
            return;
        if (right) {
            console__put(l, style, ELLIPSIS, SIZE_MAX);
            size_t skip = 0;
            for (int k = 0; k < w - (cols - 1); k++)
                skip += seqlen((unsigned char)text[skip]);
            console__put(l, style, text + skip, len - skip);
        } else {
            size_t keep = 0;
            for (int k = 0; k < cols - 1; k++)
                keep += seqlen((unsigned char)text[keep]);
            console__put(l, style, text, keep);
            console__put(l, style, ELLIPSIS, SIZE_MAX);
        }
        return;
    }
    static const char blanks[] = "                                                                ";
    int pad = cols - w;
    if (right)
        while (pad > 0) {
            int k = pad < 64 ? pad : 64;
            console__put(l, style, blanks, (size_t)k);
            pad -= k;
        }
    console__put(l, style, text, len);
    if (!right)
        while (pad > 0) {
            int k = pad < 64 ? pad : 64;
            console__put(l, style, blanks, (size_t)k);
            pad -= k;
        }
}

void
console__pad_to(struct sline *l, enum console_style style, int col)
{
    static const char blanks[] = "                                                                ";
    while (l->used < col && l->used < l->width) {
        int k = col - l->used < 64 ? col - l->used : 64;
        console__put(l, style, blanks, (size_t)k);
    }
}

const char *
console__line_text(struct sline *l)
{
    buf_reserve(&l->text, 1);
    ((char *)buf_ptr(&l->text))[l->text.len] = '\0';
    return (const char *)buf_ptr(&l->text);
}
