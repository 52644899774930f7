#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xmalloc.h"

void
buf_init(struct buf *b)
{
    *b = (struct buf)BUF_INIT;
}

void
buf_clear(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void
buf_reserve(struct buf *b, size_t n)
{
    if (b->cap - b->off - b->len >= n)
        return;
    /*
     * Compact only when the consumed prefix is at least as large as what
     * remains. The move then costs no more than the bytes consumed since the
     * last one, so a buffer that is eaten from the front while it is appended
     * to (a send buffer after a partial send) costs O(1) per byte. Moving the
     * whole rest whenever the prefix was not empty was O(len) per append:
     * quadratic for a large body sent in small pieces.
     */
    if (b->off > 0 && b->off >= b->len) {
        if (b->len)
            memcpy(b->data, b->data + b->off, b->len); /* no overlap: off >= len */
        b->off = 0;
        if (b->cap - b->len >= n)
            return;
    }
    /* A prefix smaller than the rest is kept: at most half of what the buffer holds. */
    size_t need = b->off + b->len + n;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap * 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    buf_reserve(b, n);
    memcpy(b->data + b->off + b->len, p, n);
    b->len += n;
}

void
buf_append_str(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void
buf_append_slice(struct buf *b, struct slice s)
{
    buf_append(b, s.p, s.len);
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0)
        return;
    buf_reserve(b, (size_t)n + 1);
    vsnprintf((char *)b->data + b->off + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void
buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->off = 0;
        b->len = 0;
        return;
    }
    b->off += n;
    b->len -= n;
}

void
buf_reset(struct buf *b)
{
    b->off = 0;
    b->len = 0;
}

void
buf_set(struct buf *b, const void *p, size_t n)
{
    buf_reset(b);
    buf_append(b, p, n);
}

void
buf_move(struct buf *dst, struct buf *src)
{
    if (dst == src)
        return;
    buf_clear(dst);
    *dst = *src;
    buf_init(src);
}

char *
buf_strdup(const struct buf *b)
{
    char *s = xmalloc(b->len + 1);
    if (b->len)
        memcpy(s, buf_ptr(b), b->len);
    s[b->len] = '\0';
    return s;
}

struct slice
slice_cstr(const char *s)
{
    return (struct slice){(const uint8_t *)s, strlen(s)};
}

int
slice_eq(struct slice a, struct slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int
slice_eq_nocase(struct slice a, struct slice b)
{
    if (a.len != b.len)
        return 0;
    for (size_t i = 0; i < a.len; i++)
        if (lower(a.p[i]) != lower(b.p[i]))
            return 0;
    return 1;
}

int
slice_eq_cstr_nocase(struct slice a, const char *s)
{
    return slice_eq_nocase(a, slice_cstr(s));
}

char *
slice_strdup(struct slice s)
{
    char *p = xmalloc(s.len + 1);
    if (s.len)
        memcpy(p, s.p, s.len);
    p[s.len] = '\0';
    return p;
}
