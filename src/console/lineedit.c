/*
 * One line of text being typed: the ':' prompt and a grid editor's cell
 * both edit a buffer of UTF-8 with a cursor, with urwid Edit's keys
 * (arrows, home/end and their readline spellings, backspace, delete,
 * ctrl k). The cursor is a byte offset that never splits a character.
 */
#include <string.h>

#include "console/internal.h"

static int
is_char_key(const char *key)
{
    /* A printable character: one code point, no name ("enter", "ctrl a"). */
    size_t n = strlen(key);
    return n > 0 && console__width(key, n) == 1 && (unsigned char)key[0] >= 0x20;
}

static int
cont(const struct buf *p, size_t i)
{
    return (buf_ptr(p)[i] & 0xc0) == 0x80;
}

void
console__line_insert(struct buf *p, size_t *cursor, const char *t, size_t n)
{
    buf_reserve(p, n);
    char *d = (char *)buf_ptr(p);
    memmove(d + *cursor + n, d + *cursor, p->len - *cursor);
    memcpy(d + *cursor, t, n);
    p->len += n;
    *cursor += n;
}

int
console__line_key(struct buf *p, size_t *cursor, const char *key)
{
    if (strcmp(key, "backspace") == 0) {
        if (*cursor > 0) {
            size_t k = *cursor - 1;
            while (k > 0 && cont(p, k))
                k--;
            memmove((char *)buf_ptr(p) + k, buf_ptr(p) + *cursor, p->len - *cursor);
            p->len -= *cursor - k;
            *cursor = k;
        }
    } else if (strcmp(key, "delete") == 0) {
        if (*cursor < p->len) {
            size_t k = *cursor + 1;
            while (k < p->len && cont(p, k))
                k++;
            memmove((char *)buf_ptr(p) + *cursor, buf_ptr(p) + k, p->len - k);
            p->len -= k - *cursor;
        }
    } else if (strcmp(key, "left") == 0) {
        while (*cursor > 0 && cont(p, --*cursor))
            ;
    } else if (strcmp(key, "right") == 0) {
        while (*cursor < p->len && ++*cursor < p->len && cont(p, *cursor))
            ;
    } else if (strcmp(key, "home") == 0 || strcmp(key, "ctrl a") == 0) {
        *cursor = 0;
    } else if (strcmp(key, "end") == 0 || strcmp(key, "ctrl e") == 0) {
        *cursor = p->len;
    } else if (strcmp(key, "ctrl k") == 0) {
        p->len = *cursor;
    } else if (strcmp(key, "space") == 0) {
        console__line_insert(p, cursor, " ", 1);
    } else if (is_char_key(key)) {
        console__line_insert(p, cursor, key, strlen(key));
    } else {
        return 0;
    }
    return 1;
}
