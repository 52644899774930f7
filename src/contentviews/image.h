/*
 * The image view's parsers: metadata from PNG, GIF, JPEG (with EXIF) and
 * ICO headers, read the way 8.1.1's Kaitai Struct parsers read them, so
 * that a file they reject (a truncated chunk, an enum value they do not
 * know) is rejected here too and falls back to Raw.
 */
#ifndef MP_CONTENTVIEWS_IMAGE_H
#define MP_CONTENTVIEWS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* A Kaitai stream: reads past the end set err and return zeros. */
struct cv__rd {
    const uint8_t *p;
    size_t n, pos;
    int err;
};

static inline struct cv__rd
cv__rd_new(const uint8_t *p, size_t n)
{
    return (struct cv__rd){p, n, 0, 0};
}

uint8_t cv__rd_u1(struct cv__rd *);
uint16_t cv__rd_u2(struct cv__rd *, int big_endian);
uint32_t cv__rd_u4(struct cv__rd *, int big_endian);
/* read_bytes(n): a pointer to the n bytes, or NULL (and err) past the end. */
const uint8_t *cv__rd_bytes(struct cv__rd *, uint64_t n);
/* read_bytes_term(0, include=False, consume=True, eos_error=True). */
const uint8_t *cv__rd_term(struct cv__rd *, size_t *len);
/* ensure_fixed_contents. */
void cv__rd_expect(struct cv__rd *, const void *p, size_t n);
static inline int
cv__rd_eof(const struct cv__rd *r)
{
    return r->pos >= r->n;
}

/* Key/value metadata in the order found; values are Python str. */
struct cv__meta {
    struct buf text;
    size_t *off; /* key off, key len, value off, value len per entry */
    size_t n, cap;
};

void cv__meta_add(struct cv__meta *, const char *key, size_t klen, const char *val, size_t vlen);
void cv__meta_addf(struct cv__meta *, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cv__meta_clear(struct cv__meta *);

/* Each returns 0, or -1 where 8.1.1's parser raises. */
int cv__image_png(const uint8_t *p, size_t n, struct cv__meta *);
int cv__image_gif(const uint8_t *p, size_t n, struct cv__meta *);
int cv__image_jpeg(const uint8_t *p, size_t n, struct cv__meta *);
int cv__image_ico(const uint8_t *p, size_t n, struct cv__meta *);

#endif
