/*
 * Content encodings. Every decoder writes into a scratch buffer and only
 * appends it to the caller's buffer once the whole input decoded, so a
 * failure leaves the output as it was. Encoders use the levels of the
 * Python libraries mitmproxy calls (gzip 9, zlib 6, brotli 11, zstd 3), so
 * sizes come out close to what mitmproxy would produce.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include "http/encoding.h"
#include "util/xmalloc.h"

#define DEFAULT_MAX_OUT ((size_t)1 << 30)
#define CHUNK 65536

enum coding { C_IDENTITY, C_GZIP, C_DEFLATE, C_BR, C_ZSTD, C_UNKNOWN };

static enum coding
coding_of(const char *enc, size_t n)
{
    static const struct {
        const char *name;
        enum coding c;
    } names[] = {
        {"identity", C_IDENTITY}, {"gzip", C_GZIP}, {"deflate", C_DEFLATE}, {"br", C_BR},
        {"zstd", C_ZSTD},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i].name) == n && strncasecmp(enc, names[i].name, n) == 0)
            return names[i].c;
    return C_UNKNOWN;
}

static int
too_big(const char *enc, size_t max_out, struct err *e)
{
    return err_set(e, MP_ERR_LIMIT, "%s: decoded content exceeds %zu bytes", enc, max_out);
}

/*
 * Inflates with the given window bits (31: gzip, 15: zlib, -15: raw).
 * Concatenated gzip members are all decoded, as Python's GzipFile does.
 */
static int
inflate_all(const char *enc, int wbits, const uint8_t *in, size_t n, struct buf *tmp,
            size_t max_out, struct err *e)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, wbits) != Z_OK)
        return err_set(e, MP_ERR_FATAL, "%s: cannot initialise zlib", enc);
    z.next_in = (Bytef *)(uintptr_t)in;
    int rc = Z_OK;
    size_t left = n;
    for (;;) {
        /* zlib counts in uInt; feed huge inputs a piece at a time. */
        if (z.avail_in == 0 && left > 0) {
            z.avail_in = left > UINT32_MAX ? UINT32_MAX : (uInt)left;
            left -= z.avail_in;
        }
        buf_reserve(tmp, CHUNK);
        z.next_out = buf_ptr(tmp) + tmp->len;
        z.avail_out = CHUNK;
        rc = inflate(&z, Z_NO_FLUSH);
        tmp->len += CHUNK - z.avail_out;
        if (tmp->len > max_out) {
            inflateEnd(&z);
            return too_big(enc, max_out, e);
        }
        if (rc == Z_STREAM_END) {
            if (wbits > 15 && (z.avail_in > 0 || left > 0)) {
                inflateReset(&z);
                continue;
            }
            break;
        }
        if (rc == Z_BUF_ERROR && z.avail_in == 0 && left == 0) {
            inflateEnd(&z);
            return err_set(e, MP_ERR_CORRUPT, "%s: truncated data", enc);
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            const char *why = z.msg ? z.msg : "invalid data";
            err_set(e, MP_ERR_CORRUPT, "%s: %s", enc, why);
            inflateEnd(&z);
            return MP_ERR_CORRUPT;
        }
    }
    inflateEnd(&z);
    return 0;
}

static int
decode_br(const uint8_t *in, size_t n, struct buf *tmp, size_t max_out, struct err *e)
{
    BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (s == NULL)
        return err_set(e, MP_ERR_FATAL, "br: cannot create decoder");
    size_t avail_in = n;
    const uint8_t *next_in = in;
    int rc = 0;
    for (;;) {
        buf_reserve(tmp, CHUNK);
        size_t avail_out = CHUNK;
        uint8_t *next_out = buf_ptr(tmp) + tmp->len;
        BrotliDecoderResult r =
            BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, NULL);
        tmp->len += CHUNK - avail_out;
        if (tmp->len > max_out) {
            rc = too_big("br", max_out, e);
            break;
        }
        if (r == BROTLI_DECODER_RESULT_SUCCESS)
            break;
        if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
            continue;
        if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
            rc = err_set(e, MP_ERR_CORRUPT, "br: truncated data");
            break;
        }
        rc = err_set(e, MP_ERR_CORRUPT, "br: %s",
                     BrotliDecoderErrorString(BrotliDecoderGetErrorCode(s)));
        break;
    }
    BrotliDecoderDestroyInstance(s);
    return rc;
}

static int
decode_zstd(const uint8_t *in, size_t n, struct buf *tmp, size_t max_out, struct err *e)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (d == NULL)
        return err_set(e, MP_ERR_FATAL, "zstd: cannot create decoder");
    ZSTD_inBuffer ib = {in, n, 0};
    size_t last = 1;
    int rc = 0;
    /* Loop until all input is used and the last frame is complete (last == 0). */
    while (ib.pos < ib.size || last != 0) {
        buf_reserve(tmp, CHUNK);
        ZSTD_outBuffer ob = {buf_ptr(tmp) + tmp->len, CHUNK, 0};
        size_t before = ib.pos;
        last = ZSTD_decompressStream(d, &ob, &ib);
        tmp->len += ob.pos;
        if (ZSTD_isError(last)) {
            rc = err_set(e, MP_ERR_CORRUPT, "zstd: %s", ZSTD_getErrorName(last));
            break;
        }
        if (tmp->len > max_out) {
            rc = too_big("zstd", max_out, e);
            break;
        }
        if (last != 0 && ib.pos == ib.size && ob.pos < CHUNK && before == ib.pos) {
            rc = err_set(e, MP_ERR_CORRUPT, "zstd: truncated data");
            break;
        }
    }
    ZSTD_freeDCtx(d);
    return rc;
}

int
enc_decode(const char *enc, const uint8_t *in, size_t n, struct buf *out, size_t max_out,
           struct err *e)
{
    if (max_out == 0)
        max_out = DEFAULT_MAX_OUT;
    enum coding c = coding_of(enc, strlen(enc));
    if (c == C_UNKNOWN)
        return err_set(e, MP_ERR_UNSUPPORTED, "unknown content encoding '%s'", enc);
    /* The Python decoders return b"" for empty input rather than failing. */
    if (n == 0)
        return 0;
    if (c == C_IDENTITY) {
        if (n > max_out)
            return too_big(enc, max_out, e);
        buf_append(out, in, n);
        return 0;
    }
    struct buf tmp = BUF_INIT;
    int rc;
    switch (c) {
    case C_GZIP:
        rc = inflate_all("gzip", 16 + MAX_WBITS, in, n, &tmp, max_out, e);
        break;
    case C_DEFLATE:
        /* Servers disagree on what "deflate" means: try a zlib stream, then raw. */
        rc = inflate_all("deflate", MAX_WBITS, in, n, &tmp, max_out, e);
        if (rc == MP_ERR_CORRUPT) {
            buf_reset(&tmp);
            rc = inflate_all("deflate", -MAX_WBITS, in, n, &tmp, max_out, e);
        }
        break;
    case C_BR:
        rc = decode_br(in, n, &tmp, max_out, e);
        break;
    default:
        rc = decode_zstd(in, n, &tmp, max_out, e);
        break;
    }
    if (rc == 0)
        buf_append(out, buf_ptr(&tmp), tmp.len);
    buf_clear(&tmp);
    return rc;
}

static int
deflate_all(int wbits, int level, const uint8_t *in, size_t n, struct buf *out, struct err *e)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return err_set(e, MP_ERR_FATAL, "cannot initialise zlib");
    z.next_in = (Bytef *)(uintptr_t)in;
    size_t left = n;
    int rc;
    do {
        if (z.avail_in == 0 && left > 0) {
            z.avail_in = left > UINT32_MAX ? UINT32_MAX : (uInt)left;
            left -= z.avail_in;
        }
        buf_reserve(out, CHUNK);
        z.next_out = buf_ptr(out) + out->len;
        z.avail_out = CHUNK;
        rc = deflate(&z, left > 0 ? Z_NO_FLUSH : Z_FINISH);
        out->len += CHUNK - z.avail_out;
    } while (rc != Z_STREAM_END);
    deflateEnd(&z);
    return 0;
}

int
enc_encode(const char *enc, const uint8_t *in, size_t n, struct buf *out, struct err *e)
{
    enum coding c = coding_of(enc, strlen(enc));
    switch (c) {
    case C_IDENTITY:
        buf_append(out, in, n);
        return 0;
    case C_GZIP:
        return deflate_all(16 + MAX_WBITS, 9, in, n, out, e);
    case C_DEFLATE:
        return deflate_all(MAX_WBITS, 6, in, n, out, e);
    case C_BR: {
        size_t cap = BrotliEncoderMaxCompressedSize(n);
        if (cap == 0)
            cap = n + 1024;
        buf_reserve(out, cap);
        size_t got = cap;
        if (!BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW,
                                   BROTLI_MODE_GENERIC, n, in, &got, buf_ptr(out) + out->len))
            return err_set(e, MP_ERR_FATAL, "br: compression failed");
        out->len += got;
        return 0;
    }
    case C_ZSTD: {
        size_t cap = ZSTD_compressBound(n);
        buf_reserve(out, cap);
        size_t got = ZSTD_compress(buf_ptr(out) + out->len, cap, in, n, 3);
        if (ZSTD_isError(got))
            return err_set(e, MP_ERR_FATAL, "zstd: %s", ZSTD_getErrorName(got));
        out->len += got;
        return 0;
    }
    default:
        return err_set(e, MP_ERR_UNSUPPORTED, "unknown content encoding '%s'", enc);
    }
}

/* The codings of a Content-Encoding value, in the order they were applied. */
struct codings {
    char *names[8];
    size_t n;
};

static int
split_codings(const char *value, struct codings *cs, struct err *e)
{
    cs->n = 0;
    const char *p = value;
    while (*p) {
        p += strspn(p, " \t,");
        if (*p == '\0')
            break;
        size_t len = strcspn(p, ",");
        size_t trim = len;
        while (trim > 0 && (p[trim - 1] == ' ' || p[trim - 1] == '\t'))
            trim--;
        if (cs->n == sizeof(cs->names) / sizeof(cs->names[0])) {
            for (size_t i = 0; i < cs->n; i++)
                free(cs->names[i]);
            return err_set(e, MP_ERR_LIMIT, "too many content encodings in '%s'", value);
        }
        cs->names[cs->n++] = xstrndup(p, trim);
        p += len;
    }
    return 0;
}

static void
free_codings(struct codings *cs)
{
    for (size_t i = 0; i < cs->n; i++)
        free(cs->names[i]);
    cs->n = 0;
}

int
enc_decoded_content(const struct hdrs *headers, const struct buf *content, struct buf *out,
                    struct err *e)
{
    const struct hdr *h = hdrs_get(headers, "Content-Encoding");
    struct codings cs = {.n = 0};
    if (h != NULL && split_codings(h->value, &cs, e) < 0)
        return MP_ERR_LIMIT;
    if (cs.n == 0) {
        buf_append(out, buf_ptr(content), content->len);
        return 0;
    }
    struct buf cur = BUF_INIT, next = BUF_INIT;
    buf_append(&cur, buf_ptr(content), content->len);
    int rc = 0;
    /* The last coding listed was applied last, so it comes off first. */
    for (size_t i = cs.n; i-- > 0;) {
        rc = enc_decode(cs.names[i], buf_ptr(&cur), cur.len, &next, 0, e);
        if (rc < 0)
            break;
        buf_move(&cur, &next);
    }
    if (rc == 0)
        buf_append(out, buf_ptr(&cur), cur.len);
    buf_clear(&cur);
    buf_clear(&next);
    free_codings(&cs);
    return rc;
}

static void
fix_length(struct hdrs *headers, size_t len)
{
    /* RFC 9112 6.3: a Transfer-Encoding overrides Content-Length, so none is set then. */
    if (hdrs_get(headers, "Transfer-Encoding") != NULL)
        return;
    char num[32];
    snprintf(num, sizeof(num), "%zu", len);
    hdrs_set_cstr(headers, "Content-Length", num);
}

int
enc_set_content(struct hdrs *headers, struct buf *content, const uint8_t *p, size_t n,
                struct err *e)
{
    const struct hdr *h = hdrs_get(headers, "Content-Encoding");
    struct codings cs = {.n = 0};
    int rc = 0;
    if (h != NULL && split_codings(h->value, &cs, e) < 0)
        rc = MP_ERR_LIMIT;
    struct buf cur = BUF_INIT, next = BUF_INIT;
    buf_append(&cur, p, n);
    for (size_t i = 0; rc == 0 && i < cs.n; i++) {
        rc = enc_encode(cs.names[i], buf_ptr(&cur), cur.len, &next, e);
        if (rc == 0)
            buf_move(&cur, &next);
    }
    free_codings(&cs);
    if (rc < 0) {
        /* mitmproxy drops a Content-Encoding it cannot apply and stores the bytes as they are. */
        hdrs_remove(headers, "Content-Encoding");
        buf_set(&cur, p, n);
        rc = 0;
        err_clear(e);
    }
    buf_move(content, &cur);
    buf_clear(&next);
    fix_length(headers, content->len);
    return rc;
}
