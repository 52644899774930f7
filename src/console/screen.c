/*
 * The screen model: what each line of the terminal shows, as spans of
 * styled UTF-8 text cut to the line's width. The layout code writes it,
 * the painter (term.c) reads it, and tests compare its text.
 */
#include <stdint.h>
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

/* The code point of the sequence at p (n bytes at most; a bad one is its
 * first byte). */
static uint32_t
decode(const unsigned char *p, size_t n)
{
    size_t k = seqlen(p[0]);
    if (k == 1 || k > n)
        return p[0];
    uint32_t cp = p[0] & (0xff >> (k + 1));
    for (size_t i = 1; i < k; i++)
        cp = (cp << 6) | (p[i] & 0x3f);
    return cp;
}

/*
 * wcwidth() without the locale: 0 for combining marks and zero-width
 * characters, 2 for East Asian wide and full-width characters and the
 * emoji blocks, 1 for the rest. Tests run in the C locale, where the
 * libc's wcwidth knows no UTF-8, and the layout must not depend on it.
 */
int
console__cp_width(uint32_t cp)
{
    static const struct {
        uint32_t lo, hi;
    } zero[] = {{0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd},  {0x0610, 0x061a},
                {0x064b, 0x065f}, {0x0e31, 0x0e31}, {0x0e34, 0x0e3a},  {0x1ab0, 0x1aff},
                {0x1dc0, 0x1dff}, {0x200b, 0x200f}, {0x20d0, 0x20ff},  {0xfe00, 0xfe0f},
                {0xfe20, 0xfe2f}, {0xfeff, 0xfeff}, {0xe0100, 0xe01ef}},
      wide[] = {{0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x23e9, 0x23ec},
                {0x23f0, 0x23f0},   {0x23f3, 0x23f3},   {0x25fd, 0x25fe},   {0x2614, 0x2615},
                {0x2648, 0x2653},   {0x267f, 0x267f},   {0x2693, 0x2693},   {0x26a1, 0x26a1},
                {0x26aa, 0x26ab},   {0x26bd, 0x26be},   {0x26c4, 0x26c5},   {0x26ce, 0x26ce},
                {0x26d4, 0x26d4},   {0x26ea, 0x26ea},   {0x26f2, 0x26f3},   {0x26f5, 0x26f5},
                {0x26fa, 0x26fa},   {0x26fd, 0x26fd},   {0x2705, 0x2705},   {0x270a, 0x270b},
                {0x2728, 0x2728},   {0x274c, 0x274c},   {0x274e, 0x274e},   {0x2753, 0x2755},
                {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27b0, 0x27b0},   {0x27bf, 0x27bf},
                {0x2b1b, 0x2b1c},   {0x2b50, 0x2b50},   {0x2b55, 0x2b55},   {0x2e80, 0x303e},
                {0x3041, 0x33ff},   {0x3400, 0x4dbf},   {0x4e00, 0x9fff},   {0xa000, 0xa4cf},
                {0xa960, 0xa97f},   {0xac00, 0xd7a3},   {0xf900, 0xfaff},   {0xfe10, 0xfe19},
                {0xfe30, 0xfe6f},   {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x16fe0, 0x18cff},
                {0x1b000, 0x1b2ff}, {0x1f004, 0x1f004}, {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e},
                {0x1f191, 0x1f19a}, {0x1f200, 0x1f251}, {0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff},
                {0x1f7e0, 0x1f7eb}, {0x1f90c, 0x1f9ff}, {0x1fa70, 0x1faff}, {0x20000, 0x3fffd}};
    if (cp < 0x300)
        return 1;
    for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
        if (cp >= zero[i].lo && cp <= zero[i].hi)
            return 0;
    for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
        if (cp >= wide[i].lo && cp <= wide[i].hi)
            return 2;
    return 1;
}

/* The columns of the glyph at p (a control character shows as '.'). */
static int
glyph_width(const char *p, size_t n)
{
    unsigned char c = (unsigned char)p[0];
    if (c < 0x80)
        return 1;
    return console__cp_width(decode((const unsigned char *)p, n));
}

int
console__width(const char *text, size_t len)
{
    int w = 0;
    for (size_t i = 0; i < len; i += seqlen((unsigned char)text[i]))
        w += glyph_width(text + i, len - i);
    return w;
}

size_t
console__cut(const char *text, size_t len, int cols)
{
    size_t i = 0;
    int w = 0;
    while (i < len) {
        size_t n = seqlen((unsigned char)text[i]);
        if (i + n > len)
            n = len - i;
        int gw = glyph_width(text + i, len - i);
        if (w + gw > cols)
            break;
        w += gw;
        i += n;
    }
    return i;
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
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        size_t n = seqlen(c);
        if (i + n > len)
            n = len - i;
        int w = c < 0x20 || c == 0x7f ? 1 : glyph_width(text + i, len - i);
        /* A wide glyph that does not fit ends the line (as a terminal would
         * wrap it); a zero-width one joins the glyph before it. */
        if (l->used + w > l->width)
            break;
        if (c < 0x20 || c == 0x7f)
            buf_append(&l->text, ".", 1);
        else
            buf_append(&l->text, text + i, n);
        i += n;
        l->used += w;
        added += w;
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
            int start = l->used;
            console__put(l, style, ELLIPSIS, SIZE_MAX);
            size_t skip = 0;
            /* Drop glyphs from the start until the rest fits. */
            for (int rest = w; skip < len && rest > cols - 1;) {
                rest -= glyph_width(text + skip, len - skip);
                skip += seqlen((unsigned char)text[skip]);
            }
            console__put(l, style, text + skip, len - skip);
            console__pad_to(l, style, start + cols);
        } else {
            int start = l->used;
            console__put(l, style, text, console__cut(text, len, cols - 1));
            console__put(l, style, ELLIPSIS, SIZE_MAX);
            console__pad_to(l, style, start + cols);
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
