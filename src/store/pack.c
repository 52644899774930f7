/*
 * Compressing records. A record without bodies is 1-2 KB of connection
 * and header fields that are nearly the same from one flow to the next, and
 * zstd on one small record alone finds little to take. Given a dictionary
 * of earlier records (zstd's raw-content dictionaries: no training, the
 * bytes themselves), it finds almost all of it: 4-8 times smaller.
 *
 * A load makes a dictionary of its file's first records; compacted live
 * flows share one made of the first live flows. Ids stay small (a row has
 * one byte for it); when the table is full, new records use the live one.
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/xmalloc.h"

void
store__pack_init(struct packer *p)
{
    memset(p, 0, sizeof(*p));
    p->cctx = ZSTD_createCCtx();
    p->dctx = ZSTD_createDCtx();
}

void
store__pack_clear(struct packer *p)
{
    for (unsigned i = 1; i <= p->ndicts; i++) {
        ZSTD_freeCDict(p->dicts[i].c);
        ZSTD_freeDDict(p->dicts[i].d);
    }
    ZSTD_freeCCtx(p->cctx);
    ZSTD_freeDCtx(p->dctx);
    buf_clear(&p->samples);
    memset(p, 0, sizeof(*p));
}

unsigned
store__pack_add_dict(struct packer *p, const void *samples, size_t n)
{
    if (p->ndicts == PACK_MAX_DICTS || n == 0)
        return 0;
    struct pack_dict *d = &p->dicts[p->ndicts + 1];
    d->c = ZSTD_createCDict(samples, n, PACK_LEVEL);
    d->d = ZSTD_createDDict(samples, n);
    if (d->c == NULL || d->d == NULL) {
        ZSTD_freeCDict(d->c);
        ZSTD_freeDDict(d->d);
        memset(d, 0, sizeof(*d));
        return 0;
    }
    d->size = ZSTD_sizeof_CDict(d->c) + ZSTD_sizeof_DDict(d->d);
    p->bytes += d->size;
    return ++p->ndicts;
}

int
store__pack(ZSTD_CCtx *cctx, const struct pack_dict *d, const void *src, size_t n, struct buf *out)
{
    size_t bound = ZSTD_compressBound(n);
    buf_reserve(out, bound);
    uint8_t *dst = buf_ptr(out) + out->len;
    size_t r = d && d->c ? ZSTD_compress_usingCDict(cctx, dst, bound, src, n, d->c)
                         : ZSTD_compressCCtx(cctx, dst, bound, src, n, PACK_LEVEL);
    if (ZSTD_isError(r))
        return MP_ERR_CORRUPT;
    out->len += r;
    return 0;
}

int
store__pack_split(ZSTD_CCtx *cctx, const struct pack_dict *d, const struct buf *hdrs,
                  const struct buf *rest, struct buf *out, size_t *first)
{
    /*
     * One call on the two back to back, copied past the room the frame
     * may take in out: zstd's streaming calls on the two apart cost a
     * sixth more per record than the copy and one call (2.6 against
     * 3.1 us a record, load's dictionary), for the same frame. No end
     * between the two: ending the headers' block there made a record's
     * compression cost twice as much (a second block, its own literals
     * and tables), and ~h reads the plain part, not this frame.
     */
    size_t n = hdrs->len + rest->len;
    size_t bound = ZSTD_compressBound(n);
    buf_reserve(out, bound + n);
    uint8_t *dst = buf_ptr(out) + out->len;
    uint8_t *src = dst + bound;
    if (hdrs->len)
        memcpy(src, buf_ptr(hdrs), hdrs->len);
    if (rest->len)
        memcpy(src + hdrs->len, buf_ptr(rest), rest->len);
    size_t r = d && d->c ? ZSTD_compress_usingCDict(cctx, dst, bound, src, n, d->c)
                         : ZSTD_compressCCtx(cctx, dst, bound, src, n, PACK_LEVEL);
    if (ZSTD_isError(r))
        return MP_ERR_CORRUPT;
    *first = hdrs->len ? r : 0;
    out->len += r;
    return 0;
}

int
store__unpack_first(ZSTD_DCtx *dctx, const struct pack_dict *d, const void *src, size_t n,
                    size_t raw, struct buf *out)
{
    buf_reset(out);
    buf_reserve(out, raw + 1);
    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters);
    size_t r = ZSTD_DCtx_refDDict(dctx, d ? d->d : NULL);
    ZSTD_outBuffer ob = {buf_ptr(out), raw, 0};
    ZSTD_inBuffer ib = {src, n, 0};
    /* Until the output is full or nothing moves (input used up). */
    size_t before;
    do {
        before = ob.pos + ib.pos;
        if (!ZSTD_isError(r))
            r = ZSTD_decompressStream(dctx, &ob, &ib);
    } while (!ZSTD_isError(r) && ob.pos < raw && ob.pos + ib.pos > before);
    /* Nothing sticks to the context: a plain decompression comes next. */
    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters);
    if (ZSTD_isError(r) || ob.pos != raw)
        return MP_ERR_CORRUPT;
    out->len = raw;
    buf_ptr(out)[raw] = '\0';
    return 0;
}

int
store__unpack(ZSTD_DCtx *dctx, const struct pack_dict *d, const void *src, size_t n, size_t raw,
              struct buf *out)
{
    buf_reset(out);
    buf_reserve(out, raw + 1);
    uint8_t *dst = buf_ptr(out);
    size_t r = d && d->d ? ZSTD_decompress_usingDDict(dctx, dst, raw, src, n, d->d)
                         : ZSTD_decompressDCtx(dctx, dst, raw, src, n);
    if (ZSTD_isError(r) || r != raw)
        return MP_ERR_CORRUPT;
    out->len = raw;
    dst[raw] = '\0';
    return 0;
}
