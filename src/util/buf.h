/*
 * Growable byte buffer and borrowed byte slice.
 *
 * A struct buf owns its storage. The valid bytes are data[off .. off + len);
 * off + len <= cap always holds. Consuming from the front only advances off,
 * so a parser can eat a buffer without moving bytes. buf_reserve() compacts
 * when it needs room and the consumed prefix is at least as large as the
 * valid bytes (else it grows): bytes moved never exceed bytes consumed, so
 * appending to a buffer eaten from the front stays linear. From 4 MiB on the
 * storage is a mapping of its own, grown without copying (see buf.c), so it
 * is only ever freed by buf_clear(). Allocation failure aborts (see
 * xmalloc), so the append functions cannot fail.
 */
#ifndef MP_UTIL_BUF_H
#define MP_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Borrowed bytes: whoever hands out a slice says how long it stays valid. */
struct slice {
    const uint8_t *p;
    size_t len;
};

struct buf {
    uint8_t *data; /* owned; NULL while cap == 0 */
    size_t off;    /* first valid byte */
    size_t len;    /* number of valid bytes */
    size_t cap;    /* bytes allocated at data */
};

#define BUF_INIT {NULL, 0, 0, 0}
#define SLICE_STR(s) ((struct slice){(const uint8_t *)(s), sizeof(s) - 1})

void buf_init(struct buf *);
/* Frees the storage; the buf is empty and reusable afterwards. */
void buf_clear(struct buf *);
/* Makes room for n more bytes after the valid ones (see above for when it moves them). */
void buf_reserve(struct buf *, size_t n);
void buf_append(struct buf *, const void *p, size_t n);
void buf_append_str(struct buf *, const char *s);
void buf_append_slice(struct buf *, struct slice);
void buf_printf(struct buf *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *, const char *fmt, va_list);
/* Drops n bytes from the front (n <= len). */
void buf_consume(struct buf *, size_t n);
/* Drops every byte but keeps the storage. */
void buf_reset(struct buf *);
/* Replaces the contents with a copy of p[0..n). */
void buf_set(struct buf *, const void *p, size_t n);
/* Moves src's storage into dst (dst is cleared first); src is left empty. */
void buf_move(struct buf *dst, struct buf *src);
/* Returns a NUL-terminated, malloc'd copy of the valid bytes; caller frees. */
char *buf_strdup(const struct buf *);

/* Never NULL, so an empty buffer can be passed to memchr and friends. */
static inline uint8_t *
buf_ptr(const struct buf *b)
{
    static uint8_t empty[1];
    return b->data ? b->data + b->off : empty;
}

static inline struct slice
buf_slice(const struct buf *b)
{
    return (struct slice){buf_ptr(b), b->len};
}

static inline struct slice
slice_from(const void *p, size_t n)
{
    return (struct slice){(const uint8_t *)p, n};
}

struct slice slice_cstr(const char *);
int slice_eq(struct slice, struct slice);
/* ASCII case-insensitive equality, for header names and tokens. */
int slice_eq_nocase(struct slice, struct slice);
int slice_eq_cstr_nocase(struct slice, const char *);
/* Returns a malloc'd NUL-terminated copy; caller frees. */
char *slice_strdup(struct slice);

#endif
