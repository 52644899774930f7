#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#include "util/buf.h"
#include "util/xmalloc.h"

/*
 * Storage. Small buffers come from malloc. From BUF_BIG bytes on, a buffer
 * is a mapping of its own, aligned to 2 MiB, advised for transparent huge
 * pages and grown with mremap(), which moves page tables instead of bytes.
 * That is for a body buffered whole (a 100 MiB download): written front to
 * back once, its cost is page faults, not bytes. A fault per 4 KiB costs
 * about 0.3 s per 100 MiB on a VM (more than copying the bytes ten times),
 * and growing it by realloc() and a copy would hold both blocks at once, so
 * its peak would be 1.3 times the body. Huge pages take a fault per 2 MiB,
 * and mremap() keeps the peak at the body's size. With THP off this is a
 * plain mapping; the advice does nothing.
 */
#define BUF_BIG (4u << 20) /* a multiple of HUGE_PAGE */
#define HUGE_PAGE (2u << 20)

static int
is_big(size_t cap)
{
    return cap >= BUF_BIG;
}

static _Noreturn void
map_failed(size_t n)
{
    fprintf(stderr, "fatal: out of memory mapping %zu bytes\n", n);
    abort();
}

/* A mapping of n bytes (a multiple of HUGE_PAGE) that starts on a HUGE_PAGE boundary. */
static uint8_t *
map_aligned(size_t n, int prot, int flags)
{
    size_t span = n + HUGE_PAGE;
    uint8_t *p = mmap(NULL, span, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    if (p == MAP_FAILED)
        map_failed(n);
    uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    if (p + span > a + n)
        munmap(a + n, (size_t)(p + span - (a + n)));
    return a;
}

static void
storage_free(uint8_t *p, size_t cap)
{
    if (p == NULL)
        return;
    if (is_big(cap))
        munmap(p, cap);
    else
        free(p);
}

/* Gives b cap > b->cap bytes of storage, keeping its valid bytes. */
static void
storage_grow(struct buf *b, size_t cap)
{
    if (!is_big(cap)) {
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
        return;
    }
    uint8_t *p;
    if (!is_big(b->cap)) {
        p = map_aligned(cap, PROT_READ | PROT_WRITE, 0);
#ifdef MADV_HUGEPAGE
        madvise(p, cap, MADV_HUGEPAGE);
#endif
        if (b->len)
            memcpy(p, b->data + b->off, b->len);
        b->off = 0;
        free(b->data);
    } else {
        /* Into a reserved aligned range: huge pages move whole, none is split. */
        uint8_t *to = map_aligned(cap, PROT_NONE, MAP_NORESERVE);
        p = mremap(b->data, b->cap, cap, MREMAP_MAYMOVE | MREMAP_FIXED, to);
        if (p == MAP_FAILED) {
            munmap(to, cap);
            map_failed(cap);
        }
    }
    b->data = p;
    b->cap = cap;
}

void
buf_init(struct buf *b)
{
    *b = (struct buf)BUF_INIT;
}

void
buf_clear(struct buf *b)
{
    storage_free(b->data, b->cap);
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
    storage_grow(b, cap);
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
