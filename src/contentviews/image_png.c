/*
 * PNG metadata as 8.1.1 reads it: the IHDR size, gamma, pixel aspect and
 * the text chunks (tEXt, iTXt, zTXt). Every chunk the Kaitai parser knows
 * is parsed in full, so a short or malformed one is an error as there.
 */
#include <string.h>
#include <zlib.h>

#include "contentviews/image.h"
#include "contentviews/internal.h"

/* zlib.decompress(); bombs past this size count as errors. */
#define MAX_INFLATE (64u << 20)

static int
inflate_all(const uint8_t *p, size_t n, struct buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK)
        return -1;
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
    int rc;
    do {
        buf_reserve(out, 16384);
        z.next_out = out->data + out->off + out->len;
        z.avail_out = 16384;
        rc = inflate(&z, Z_NO_FLUSH);
        out->len += 16384 - z.avail_out;
        if (out->len > MAX_INFLATE)
            rc = Z_DATA_ERROR;
    } while (rc == Z_OK);
    inflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

/* Appends latin-1 bytes as UTF-8. */
static void
latin1(struct buf *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cv__append_cp(out, p[i]);
}

static int
ascii(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 0x80)
            return 0;
    return 1;
}

/* A chunk's body, parsed as its type says; 0 or -1. */
static int
chunk(const uint8_t *type, const uint8_t *b, size_t len, int color_type, struct cv__meta *m)
{
    struct cv__rd r = cv__rd_new(b, len);
    size_t kl, ll, tl;
    if (memcmp(type, "iTXt", 4) == 0) {
        const uint8_t *key = cv__rd_term(&r, &kl);
        cv__rd_u1(&r);
        cv__rd_u1(&r);
        const uint8_t *lang = cv__rd_term(&r, &ll);
        const uint8_t *tkey = cv__rd_term(&r, &tl);
        if (r.err || !cv__utf8_valid(key, kl) || !ascii(lang, ll) || !cv__utf8_valid(tkey, tl))
            return -1;
        const uint8_t *text = b + r.pos;
        size_t n = len - r.pos;
        if (!cv__utf8_valid(text, n))
            return -1;
        cv__meta_add(m, (const char *)key, kl, (const char *)text, n);
    } else if (memcmp(type, "gAMA", 4) == 0) {
        uint32_t g = cv__rd_u4(&r, 1);
        if (r.err)
            return -1;
        struct buf v = BUF_INIT;
        cv__repr_float(&v, g / 100000.0);
        cv__meta_add(m, "gamma", 5, (const char *)buf_ptr(&v), v.len);
        buf_clear(&v);
    } else if (memcmp(type, "tIME", 4) == 0) {
        cv__rd_bytes(&r, 7);
    } else if (memcmp(type, "PLTE", 4) == 0) {
        if (len % 3)
            return -1;
    } else if (memcmp(type, "bKGD", 4) == 0) {
        if (color_type == 0 || color_type == 4)
            cv__rd_bytes(&r, 2);
        else if (color_type == 3)
            cv__rd_bytes(&r, 1);
        else
            cv__rd_bytes(&r, 6);
    } else if (memcmp(type, "pHYs", 4) == 0) {
        uint32_t x = cv__rd_u4(&r, 1), y = cv__rd_u4(&r, 1);
        uint8_t unit = cv__rd_u1(&r);
        if (r.err || unit > 1)
            return -1;
        cv__meta_addf(m, "aspect", "%u x %u", x, y);
    } else if (memcmp(type, "tEXt", 4) == 0) {
        const uint8_t *key = cv__rd_term(&r, &kl);
        if (r.err)
            return -1;
        struct buf k = BUF_INIT, v = BUF_INIT;
        latin1(&k, key, kl);
        latin1(&v, b + r.pos, len - r.pos);
        cv__meta_add(m, (const char *)buf_ptr(&k), k.len, (const char *)buf_ptr(&v), v.len);
        buf_clear(&k);
        buf_clear(&v);
    } else if (memcmp(type, "cHRM", 4) == 0) {
        cv__rd_bytes(&r, 32);
    } else if (memcmp(type, "sRGB", 4) == 0) {
        if (cv__rd_u1(&r) > 3)
            return -1;
    } else if (memcmp(type, "zTXt", 4) == 0) {
        const uint8_t *key = cv__rd_term(&r, &kl);
        cv__rd_u1(&r);
        if (r.err || !cv__utf8_valid(key, kl))
            return -1;
        struct buf z = BUF_INIT, v = BUF_INIT;
        int rc = inflate_all(b + r.pos, len - r.pos, &z);
        if (rc == 0) {
            latin1(&v, buf_ptr(&z), z.len);
            cv__meta_add(m, (const char *)key, kl, (const char *)buf_ptr(&v), v.len);
        }
        buf_clear(&z);
        buf_clear(&v);
        return rc;
    }
    return r.err ? -1 : 0;
}

int
cv__image_png(const uint8_t *p, size_t n, struct cv__meta *m)
{
    struct cv__rd r = cv__rd_new(p, n);
    cv__rd_expect(&r, "\x89PNG\r\n\x1a\n", 8);
    cv__rd_expect(&r, "\0\0\0\x0dIHDR", 8);
    uint32_t w = cv__rd_u4(&r, 1), h = cv__rd_u4(&r, 1);
    cv__rd_u1(&r);
    uint8_t color = cv__rd_u1(&r);
    cv__rd_bytes(&r, 3 + 4); /* compression, filter, interlace; crc */
    if (r.err || !(color == 0 || color == 2 || color == 3 || color == 4 || color == 6))
        return -1;
    cv__meta_addf(m, "Format", "Portable network graphics");
    cv__meta_addf(m, "Size", "%u x %u px", w, h);
    for (;;) {
        uint32_t len = cv__rd_u4(&r, 1);
        const uint8_t *t = cv__rd_bytes(&r, 4);
        const uint8_t *body = cv__rd_bytes(&r, len);
        cv__rd_bytes(&r, 4); /* crc */
        if (r.err || !cv__utf8_valid(t, 4) || chunk(t, body, len, color, m) < 0)
            return -1;
        if (memcmp(t, "IEND", 4) == 0 || cv__rd_eof(&r))
            return 0;
    }
}
