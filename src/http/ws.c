/*
 * WebSocket framing (RFC 6455). A frame is parsed only once all of it has
 * arrived: the proxy needs whole messages for the websocket_message hook
 * anyway, and it keeps the parser free of partial-frame state.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "http/ws.h"
#include "util/xmalloc.h"

static int
is_control(int opcode)
{
    return opcode >= 0x8;
}

static int
known_opcode(int opcode)
{
    return opcode <= WS_BINARY || (opcode >= WS_CLOSE && opcode <= WS_PONG);
}

void
ws_mask(uint8_t *p, size_t n, const uint8_t key[4], uint64_t offset)
{
    for (size_t i = 0; i < n; i++)
        p[i] ^= key[(offset + i) & 3];
}

ssize_t
ws_frame_parse(const uint8_t *p, size_t n, int from_client, int allow_rsv1, uint64_t max_payload,
               struct ws_frame *f, struct buf *payload, struct err *e)
{
    if (n < 2)
        return MP_ERR_INCOMPLETE;
    memset(f, 0, sizeof(*f));
    f->fin = p[0] >> 7;
    f->rsv = (p[0] >> 4) & 7;
    f->opcode = p[0] & 0x0f;
    f->masked = p[1] >> 7;
    if (!known_opcode(f->opcode))
        return err_set(e, MP_ERR_PROTOCOL, "reserved opcode 0x%x", f->opcode);
    if (f->rsv & ~(allow_rsv1 ? 4 : 0))
        return err_set(e, MP_ERR_PROTOCOL, "reserved bits set (0x%x)", f->rsv);
    if (is_control(f->opcode) && (f->rsv & 4))
        return err_set(e, MP_ERR_PROTOCOL, "compressed control frame");
    if (f->masked != from_client)
        return err_set(e, MP_ERR_PROTOCOL,
                       from_client ? "client frame is not masked" : "server frame is masked");
    size_t pos = 2;
    uint64_t len = p[1] & 0x7f;
    if (len == 126) {
        if (n < 4)
            return MP_ERR_INCOMPLETE;
        len = (uint64_t)p[2] << 8 | p[3];
        pos = 4;
        if (len < 126)
            return err_set(e, MP_ERR_PROTOCOL, "non-minimal 16-bit length %u", (unsigned)len);
    } else if (len == 127) {
        if (n < 10)
            return MP_ERR_INCOMPLETE;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | p[2 + i];
        pos = 10;
        if (len >> 63)
            return err_set(e, MP_ERR_PROTOCOL, "64-bit length with the top bit set");
        if (len <= 0xffff)
            return err_set(e, MP_ERR_PROTOCOL, "non-minimal 64-bit length");
    }
    if (is_control(f->opcode)) {
        if (!f->fin)
            return err_set(e, MP_ERR_PROTOCOL, "fragmented control frame");
        if (len > WS_MAX_CONTROL)
            return err_set(e, MP_ERR_PROTOCOL, "control frame payload of %llu bytes",
                           (unsigned long long)len);
    }
    if (max_payload && len > max_payload)
        return err_set(e, MP_ERR_LIMIT, "frame payload of %llu bytes exceeds the limit",
                       (unsigned long long)len);
    f->len = len;
    if (f->masked) {
        if (n - pos < 4)
            return MP_ERR_INCOMPLETE;
        memcpy(f->key, p + pos, 4);
        pos += 4;
    }
    if (n - pos < len)
        return MP_ERR_INCOMPLETE;
    size_t start = payload->len;
    buf_append(payload, p + pos, (size_t)len);
    if (f->masked)
        ws_mask(buf_ptr(payload) + start, (size_t)len, f->key, 0);
    return (ssize_t)(pos + len);
}

void
ws_frame_write(struct buf *out, int fin, int rsv1, int opcode, const uint8_t *key, const void *p,
               size_t n)
{
    uint8_t h[14];
    size_t hn = 2;
    h[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 0x0f));
    uint8_t m = key ? 0x80 : 0;
    if (n < 126) {
        h[1] = (uint8_t)(m | n);
    } else if (n <= 0xffff) {
        h[1] = m | 126;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hn = 4;
    } else {
        h[1] = m | 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        hn = 10;
    }
    if (key) {
        memcpy(h + hn, key, 4);
        hn += 4;
    }
    buf_append(out, h, hn);
    size_t start = out->len;
    buf_append(out, p, n);
    if (key)
        ws_mask(buf_ptr(out) + start, n, key, 0);
}

void
ws_reader_init(struct ws_reader *r, int from_client, int allow_rsv1, uint64_t max_message)
{
    memset(r, 0, sizeof(*r));
    r->from_client = from_client;
    r->allow_rsv1 = allow_rsv1;
    r->max_message = max_message;
}

void
ws_reader_clear(struct ws_reader *r)
{
    buf_clear(&r->in);
    buf_clear(&r->msg);
    r->msg_opcode = 0;
}

void
ws_reader_feed(struct ws_reader *r, const void *p, size_t n)
{
    buf_append(&r->in, p, n);
}

int
ws_reader_next(struct ws_reader *r, int *opcode, int *compressed, struct buf *payload,
               struct err *e)
{
    for (;;) {
        struct ws_frame f;
        struct buf pl = BUF_INIT;
        ssize_t used = ws_frame_parse(buf_ptr(&r->in), r->in.len, r->from_client, r->allow_rsv1,
                                      r->max_message, &f, &pl, e);
        if (used == MP_ERR_INCOMPLETE)
            return 0;
        if (used < 0)
            return (int)used;
        buf_consume(&r->in, (size_t)used);
        if (is_control(f.opcode)) {
            *opcode = f.opcode;
            *compressed = 0;
            buf_move(payload, &pl);
            return 1;
        }
        if (f.opcode == WS_CONTINUATION) {
            if (!r->msg_opcode) {
                buf_clear(&pl);
                return err_set(e, MP_ERR_PROTOCOL, "continuation frame without a message");
            }
            if (f.rsv & 4) {
                buf_clear(&pl);
                return err_set(e, MP_ERR_PROTOCOL, "RSV1 set on a continuation frame");
            }
        } else {
            if (r->msg_opcode) {
                buf_clear(&pl);
                return err_set(e, MP_ERR_PROTOCOL, "new message inside a fragmented one");
            }
            r->msg_opcode = f.opcode;
            r->msg_compressed = (f.rsv & 4) != 0;
        }
        buf_append(&r->msg, buf_ptr(&pl), pl.len);
        buf_clear(&pl);
        if (r->max_message && r->msg.len > r->max_message)
            return err_set(e, MP_ERR_LIMIT, "message exceeds the limit");
        if (!f.fin)
            continue;
        *opcode = r->msg_opcode;
        *compressed = r->msg_compressed;
        buf_move(payload, &r->msg);
        r->msg_opcode = 0;
        r->msg_compressed = 0;
        return 1;
    }
}

int
ws_close_parse(const uint8_t *p, size_t n, int *code, const uint8_t **reason, size_t *reason_len)
{
    if (n == 0) {
        *code = 1005;
        *reason = p;
        *reason_len = 0;
        return 0;
    }
    if (n == 1)
        return MP_ERR_PROTOCOL;
    *code = p[0] << 8 | p[1];
    *reason = p + 2;
    *reason_len = n - 2;
    return 0;
}

/* --- permessage-deflate (RFC 7692) --- */

static int
param_bits(const char *v, size_t n, int dflt)
{
    if (n == 0)
        return dflt;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '"')
            continue;
        if (v[i] < '0' || v[i] > '9')
            return dflt;
        bits = bits * 10 + (v[i] - '0');
        if (bits > 15)
            return dflt;
    }
    return bits < 9 ? 9 : bits;
}

int
ws_deflate_params(const char *header, int *client_bits, int *client_no_takeover, int *server_bits,
                  int *server_no_takeover)
{
    *client_bits = *server_bits = 15;
    *client_no_takeover = *server_no_takeover = 0;
    /* Only the first extension in the list that is permessage-deflate counts;
     * a server accepts at most one. */
    const char *p = header;
    while (*p) {
        const char *ext_end = strchr(p, ',');
        if (ext_end == NULL)
            ext_end = p + strlen(p);
        int found = 0;
        const char *q = p;
        for (int first = 1; q < ext_end; first = 0) {
            while (q < ext_end && (*q == ' ' || *q == '\t'))
                q++;
            /* (written so that GCC at -O2 sees the length cannot wrap) */
            size_t rem = ext_end > q ? (size_t)(ext_end - q) : 0;
            const char *end = rem ? memchr(q, ';', rem) : NULL;
            if (end == NULL)
                end = ext_end;
            const char *tend = end;
            while (tend > q && (tend[-1] == ' ' || tend[-1] == '\t'))
                tend--;
            size_t tn = (size_t)(tend - q);
            const char *eq = memchr(q, '=', tn);
            size_t kn = eq ? (size_t)(eq - q) : tn;
            while (kn && (q[kn - 1] == ' ' || q[kn - 1] == '\t'))
                kn--;
            const char *v = eq ? eq + 1 : tend;
            while (v < tend && (*v == ' ' || *v == '\t'))
                v++;
            size_t vn = (size_t)(tend - v);
#define KEY_IS(s) (kn == sizeof(s) - 1 && strncasecmp(q, s, kn) == 0)
            if (first) {
                found = KEY_IS("permessage-deflate");
                if (!found)
                    break;
            } else if (KEY_IS("client_no_context_takeover")) {
                *client_no_takeover = 1;
            } else if (KEY_IS("server_no_context_takeover")) {
                *server_no_takeover = 1;
            } else if (KEY_IS("client_max_window_bits")) {
                *client_bits = param_bits(v, vn, 15);
            } else if (KEY_IS("server_max_window_bits")) {
                *server_bits = param_bits(v, vn, 15);
            }
#undef KEY_IS
            q = end < ext_end ? end + 1 : ext_end;
        }
        if (found)
            return 1;
        p = *ext_end ? ext_end + 1 : ext_end;
    }
    return 0;
}

void
ws_deflate_init(struct ws_deflate *d, int window_bits, int no_takeover)
{
    memset(d, 0, sizeof(*d));
    d->window_bits = window_bits < 9 ? 9 : window_bits > 15 ? 15 : window_bits;
    d->no_takeover = no_takeover;
}

void
ws_deflate_clear(struct ws_deflate *d)
{
    if (d->inf) {
        inflateEnd(d->inf);
        free(d->inf);
    }
    if (d->def) {
        deflateEnd(d->def);
        free(d->def);
    }
    d->inf = d->def = NULL;
}

int
ws_inflate_message(struct ws_deflate *d, const uint8_t *p, size_t n, uint64_t max, struct buf *out,
                   struct err *e)
{
    static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
    if (d->inf == NULL) {
        d->inf = xcalloc(1, sizeof(*d->inf));
        /* A window of 15 bits reads data compressed with any smaller one. */
        if (inflateInit2(d->inf, -15) != Z_OK) {
            free(d->inf);
            d->inf = NULL;
            return err_set(e, MP_ERR_PROTOCOL, "cannot set up inflate");
        }
    }
    size_t start = out->len;
    for (int part = 0; part < 2; part++) {
        d->inf->next_in = (Bytef *)(part ? tail : p);
        d->inf->avail_in = (uInt)(part ? sizeof(tail) : n);
        do {
            buf_reserve(out, 16384);
            d->inf->next_out = buf_ptr(out) + out->len;
            d->inf->avail_out = 16384;
            int rc = inflate(d->inf, Z_SYNC_FLUSH);
            out->len += 16384 - d->inf->avail_out;
            if (max && out->len - start > max)
                return err_set(e, MP_ERR_LIMIT, "decompressed message exceeds the limit");
            if (rc == Z_STREAM_END) {
                /* A final block ends the stream; what follows starts afresh. */
                inflateReset(d->inf);
            } else if (rc == Z_BUF_ERROR) {
                break; /* no input left to make progress with */
            } else if (rc != Z_OK) {
                return err_set(e, MP_ERR_PROTOCOL, "invalid compressed message");
            }
        } while (d->inf->avail_in > 0 || d->inf->avail_out == 0);
    }
    if (d->no_takeover)
        inflateReset(d->inf);
    return 0;
}

void
ws_deflate_message(struct ws_deflate *d, const uint8_t *p, size_t n, struct buf *out)
{
    if (d->def == NULL) {
        d->def = xcalloc(1, sizeof(*d->def));
        if (deflateInit2(d->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -d->window_bits, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            abort(); /* only fails on bad parameters or no memory */
    }
    size_t start = out->len;
    d->def->next_in = (Bytef *)p;
    d->def->avail_in = (uInt)n;
    do {
        buf_reserve(out, 16384);
        d->def->next_out = buf_ptr(out) + out->len;
        d->def->avail_out = 16384;
        deflate(d->def, Z_SYNC_FLUSH);
        out->len += 16384 - d->def->avail_out;
    } while (d->def->avail_out == 0);
    /* RFC 7692 7.2.1: the empty stored block's 00 00 ff ff is left off. */
    if (out->len - start >= 4 && memcmp(buf_ptr(out) + out->len - 4, "\x00\x00\xff\xff", 4) == 0)
        out->len -= 4;
    if (d->no_takeover)
        deflateReset(d->def);
}
