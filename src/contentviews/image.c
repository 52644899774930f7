/*
 * Image: what kind of image the body is (Python's imghdr, plus ICO) and
 * the metadata 8.1.1 reads from PNG, GIF, JPEG and ICO headers, as
 * key/value lines; other kinds show just their name. Auto picks it for
 * every image type but SVG, an empty body included ("unknown").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contentviews/image.h"
#include "contentviews/internal.h"
#include "util/xmalloc.h"

uint8_t
cv__rd_u1(struct cv__rd *r)
{
    const uint8_t *p = cv__rd_bytes(r, 1);
    return p ? p[0] : 0;
}

uint16_t
cv__rd_u2(struct cv__rd *r, int be)
{
    const uint8_t *p = cv__rd_bytes(r, 2);
    if (p == NULL)
        return 0;
    return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

uint32_t
cv__rd_u4(struct cv__rd *r, int be)
{
    const uint8_t *p = cv__rd_bytes(r, 4);
    if (p == NULL)
        return 0;
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

const uint8_t *
cv__rd_bytes(struct cv__rd *r, uint64_t n)
{
    if (r->err || r->pos > r->n || n > r->n - r->pos) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += (size_t)n;
    return p;
}

const uint8_t *
cv__rd_term(struct cv__rd *r, size_t *len)
{
    if (r->err || r->pos >= r->n) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *start = r->p + r->pos;
    const uint8_t *z = memchr(start, 0, r->n - r->pos);
    if (z == NULL) {
        r->err = 1;
        return NULL;
    }
    *len = (size_t)(z - start);
    r->pos += *len + 1;
    return start;
}

void
cv__rd_expect(struct cv__rd *r, const void *p, size_t n)
{
    const uint8_t *got = cv__rd_bytes(r, n);
    if (got && memcmp(got, p, n) != 0)
        r->err = 1;
}

void
cv__meta_add(struct cv__meta *m, const char *key, size_t klen, const char *val, size_t vlen)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->off = xrealloc(m->off, m->cap * 4 * sizeof(*m->off));
    }
    size_t *o = m->off + 4 * m->n++;
    o[0] = m->text.len;
    buf_append(&m->text, key, klen);
    o[1] = klen;
    o[2] = m->text.len;
    buf_append(&m->text, val, vlen);
    o[3] = vlen;
}

void
cv__meta_addf(struct cv__meta *m, const char *key, const char *fmt, ...)
{
    struct buf v = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&v, fmt, ap);
    va_end(ap);
    cv__meta_add(m, key, strlen(key), (const char *)buf_ptr(&v), v.len);
    buf_clear(&v);
}

void
cv__meta_clear(struct cv__meta *m)
{
    buf_clear(&m->text);
    free(m->off);
    memset(m, 0, sizeof(*m));
}

/* imghdr.what() with mitmproxy's ICO test after the others; NULL if none. */
static const char *
what(const uint8_t *h, size_t n)
{
    if ((n >= 10 && (memcmp(h + 6, "JFIF", 4) == 0 || memcmp(h + 6, "Exif", 4) == 0)) ||
        (n >= 4 && memcmp(h, "\xff\xd8\xff\xdb", 4) == 0))
        return "jpeg";
    if (n >= 8 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "png";
    if (n >= 6 && (memcmp(h, "GIF87a", 6) == 0 || memcmp(h, "GIF89a", 6) == 0))
        return "gif";
    if (n >= 2 && (memcmp(h, "MM", 2) == 0 || memcmp(h, "II", 2) == 0))
        return "tiff";
    if (n >= 2 && memcmp(h, "\x01\xda", 2) == 0)
        return "rgb";
    if (n >= 3 && h[0] == 'P' && memchr(" \t\n\r", h[2], 4) && h[2]) {
        if (h[1] == '1' || h[1] == '4')
            return "pbm";
        if (h[1] == '2' || h[1] == '5')
            return "pgm";
        if (h[1] == '3' || h[1] == '6')
            return "ppm";
    }
    if (n >= 4 && memcmp(h, "\x59\xa6\x6a\x95", 4) == 0)
        return "rast";
    if (n >= 8 && memcmp(h, "#define ", 8) == 0)
        return "xbm";
    if (n >= 2 && memcmp(h, "BM", 2) == 0)
        return "bmp";
    if (n >= 12 && memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WEBP", 4) == 0)
        return "webp";
    if (n >= 4 && memcmp(h, "\x76\x2f\x31\x01", 4) == 0)
        return "exr";
    if (n >= 4 && memcmp(h, "\x00\x00\x01\x00", 4) == 0)
        return "ico";
    return NULL;
}

int
cv__image_priority(struct cv_render *r)
{
    const char *ct = r->ctype;
    return ct && strncmp(ct, "image/", 6) == 0 && strcmp(ct, "image/svg+xml") != 0 ? 10 : 0;
}

int
cv__image_render(struct cv_render *r)
{
    if (r->state)
        return cv__queue_drain(r, r->state);
    const uint8_t *p = cv__data(r);
    size_t n = r->body.len;
    const char *type = what(p, n);
    struct cv__meta m = {0};
    int rc = 0;
    if (type == NULL)
        cv__meta_addf(&m, "Image Format", "unknown");
    else if (strcmp(type, "png") == 0)
        rc = cv__image_png(p, n, &m);
    else if (strcmp(type, "gif") == 0)
        rc = cv__image_gif(p, n, &m);
    else if (strcmp(type, "jpeg") == 0)
        rc = cv__image_jpeg(p, n, &m);
    else if (strcmp(type, "ico") == 0)
        rc = cv__image_ico(p, n, &m);
    else
        cv__meta_addf(&m, "Image Format", "%s", type);
    if (rc < 0) {
        cv__meta_clear(&m);
        return CV__FAIL;
    }
    char desc[32];
    if (type) {
        size_t i = 0;
        for (; type[i] && i < 16; i++)
            desc[i] = (char)(type[i] - 'a' + 'A');
        snprintf(desc + i, sizeof(desc) - i, " Image");
    } else {
        snprintf(desc, sizeof(desc), "Unknown Image");
    }
    cv__set_desc(r, desc);

    /* format_dict(MultiDict(metadata)): each key once, with its first value. */
    struct cv__pair *pairs = xmalloc((m.n ? m.n : 1) * sizeof(*pairs));
    const uint8_t *t = buf_ptr(&m.text);
    for (size_t i = 0; i < m.n; i++)
        pairs[i] = (struct cv__pair){slice_from(t + m.off[4 * i], m.off[4 * i + 1]),
                                     slice_from(t + m.off[4 * i + 2], m.off[4 * i + 3])};
    size_t np = cv__pairs_unique(pairs, m.n);
    rc = cv__pairs_start(r, pairs, np, 0);
    free(pairs);
    cv__meta_clear(&m);
    return rc;
}
