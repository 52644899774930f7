/*
 * gRPC/Protocol Buffer: 8.1.1's flattened protobuf view. Every field is a
 * row of four columns: its decoding in brackets, its name (always empty:
 * no parser rules are configured), its tag path ("1.2.3") and its value; a
 * length-delimited field that parses as a message gets a row of its own
 * and its fields follow, else it is a UTF-8 string (newlines as \n) or
 * bytes (Python's repr). Columns are padded to the widest cell (at most
 * 100) plus two. A gRPC body (application/grpc) is a series of
 * length-prefixed messages, each decompressed per grpc-encoding when
 * flagged, each with a headline and a table of its own.
 *
 * Varints have no length limit here, as Python's ints have none, so values
 * and tags are printed from big numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "http/encoding.h"
#include "util/xmalloc.h"

#define MAX_COL 100
/* 8.1.1 decodes nested messages recursively; at this depth (measured in
 * mitmdump 8.1.1 -r) Python's recursion limit makes it take the value for
 * a string or bytes instead of a message. */
#define MAX_DEPTH 958

/* The table being built: cells of four columns, text in one buffer. */
struct table {
    struct buf text;
    size_t *cell; /* offset, length: 8 per row */
    size_t rows, cap;
};

static void
add_row(struct table *t, const char *c1, const struct buf *tag, const struct buf *val)
{
    if (t->rows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->cell = xrealloc(t->cell, t->cap * 8 * sizeof(*t->cell));
    }
    size_t *c = t->cell + 8 * t->rows++;
    c[0] = t->text.len;
    buf_append_str(&t->text, c1);
    c[1] = t->text.len - c[0];
    c[2] = t->text.len, c[3] = 0; /* the name */
    c[4] = t->text.len;
    buf_append(&t->text, buf_ptr(tag), tag->len);
    c[5] = tag->len;
    c[6] = t->text.len;
    buf_append(&t->text, buf_ptr(val), val->len);
    c[7] = val->len;
}

/* A base-128 varint of any length at p[*pos..n): its groups. */
static int
varint(const uint8_t *p, size_t n, size_t *pos, const uint8_t **g, size_t *ng)
{
    size_t start = *pos;
    while (*pos < n) {
        if (!(p[(*pos)++] & 0x80)) {
            *g = p + start;
            *ng = *pos - start;
            return 0;
        }
    }
    return -1; /* "varint exceeds bounds of provided data" */
}

/* The number the groups make, as little-endian 32-bit limbs, shifted right. */
static size_t
limbs(const uint8_t *g, size_t ng, unsigned shift, uint32_t **out)
{
    size_t bits = ng * 7, nl = bits / 32 + 2;
    uint32_t *l = xcalloc(nl, sizeof(*l));
    for (size_t i = 0; i < ng; i++) {
        uint64_t v = g[i] & 0x7f;
        size_t at = i * 7;
        l[at / 32] |= (uint32_t)(v << (at % 32));
        if (at % 32 > 25)
            l[at / 32 + 1] |= (uint32_t)(v >> (32 - at % 32));
    }
    for (unsigned s = 0; s < shift; s++) {
        for (size_t i = 0; i < nl; i++)
            l[i] = l[i] >> 1 | (i + 1 < nl ? l[i + 1] << 31 : 0);
    }
    *out = l;
    return nl;
}

static void
decimal(struct buf *out, const uint8_t *g, size_t ng, unsigned shift)
{
    uint32_t *l;
    size_t nl = limbs(g, ng, shift, &l);
    cv__decimal(out, l, nl);
    free(l);
}

static size_t
bit_length(const uint8_t *g, size_t ng)
{
    for (size_t i = ng; i-- > 0;) {
        uint8_t v = g[i] & 0x7f;
        if (v) {
            size_t b = 0;
            while (v >> b)
                b++;
            return i * 7 + b;
        }
    }
    return 0;
}

/*
 * ProtoParser.read_fields(data) and each field's rows, depth first. tag is
 * the parent's tag path. Returns -1 where 8.1.1 raises: only for the
 * message at the top; a nested one that does not parse is a string or
 * bytes instead.
 */
static int
fields(struct table *t, const uint8_t *p, size_t n, const struct buf *parent, int depth,
       int validate_only)
{
    /* read_fields reads every field before any is decoded. */
    size_t pos = 0;
    while (pos < n) {
        const uint8_t *g = NULL;
        size_t ng = 0;
        if (varint(p, n, &pos, &g, &ng) < 0)
            return -1;
        int wt = g[0] & 7;
        if (wt == 0) {
            if (varint(p, n, &pos, &g, &ng) < 0)
                return -1;
        } else if (wt == 1 || wt == 5) {
            size_t k = wt == 1 ? 8 : 4;
            if (n - pos < k)
                return -1;
            pos += k;
        } else if (wt == 2) {
            if (varint(p, n, &pos, &g, &ng) < 0)
                return -1;
            /* A length longer than what is left (whatever its size). */
            if (bit_length(g, ng) > 63)
                return -1;
            uint32_t *l;
            limbs(g, ng, 0, &l);
            uint64_t len = (uint64_t)l[0] | (uint64_t)l[1] << 32;
            free(l);
            if (len > n - pos)
                return -1;
            pos += (size_t)len;
        } else {
            return -1; /* groups are "deprecated", 6 and 7 are no wire types */
        }
    }
    if (validate_only)
        return 0;

    struct buf tag = BUF_INIT, val = BUF_INIT;
    pos = 0;
    while (pos < n) {
        const uint8_t *kg = NULL, *g = NULL;
        size_t nkg = 0, ng = 0;
        varint(p, n, &pos, &kg, &nkg);
        int wt = kg[0] & 7;
        buf_reset(&tag);
        if (parent) {
            buf_append(&tag, buf_ptr(parent), parent->len);
            buf_append(&tag, ".", 1);
        }
        decimal(&tag, kg, nkg, 3);
        buf_reset(&val);
        if (wt == 0) {
            varint(p, n, &pos, &g, &ng);
            decimal(&val, g, ng, 0);
            add_row(t, bit_length(g, ng) > 32 ? "[uint64]" : "[uint32]", &tag, &val);
        } else if (wt == 1 || wt == 5) {
            size_t k = wt == 1 ? 8 : 4;
            uint64_t v = 0;
            for (size_t i = 0; i < k; i++)
                v |= (uint64_t)p[pos + i] << (8 * i);
            pos += k;
            buf_printf(&val, "%llu", (unsigned long long)v);
            add_row(t, wt == 1 ? "[fixed64]" : "[fixed32]", &tag, &val);
        } else {
            varint(p, n, &pos, &g, &ng);
            uint32_t *l;
            limbs(g, ng, 0, &l);
            size_t len = (size_t)((uint64_t)l[0] | (uint64_t)l[1] << 32);
            free(l);
            const uint8_t *body = p + pos;
            pos += len;
            /* message, else string (valid UTF-8), else bytes */
            if (depth < MAX_DEPTH && fields(t, body, len, NULL, depth + 1, 1) == 0) {
                add_row(t, "[message]", &tag, &val);
                fields(t, body, len, &tag, depth + 1, 0);
            } else if (cv__utf8_valid(body, len)) {
                for (size_t i = 0; i < len; i++) {
                    if (body[i] == '\n')
                        buf_append_str(&val, "\\n");
                    else
                        buf_append(&val, body + i, 1);
                }
                add_row(t, "[string]", &tag, &val);
            } else {
                cv__repr_bytes(&val, body, len);
                add_row(t, "[bytes]", &tag, &val);
            }
        }
    }
    buf_clear(&tag);
    buf_clear(&val);
    return 0;
}

/* format_table(): each cell left-justified to its column's width plus two. */
static void
table_lines(struct cv_lines *out, const struct table *t)
{
    size_t width[4] = {0};
    const uint8_t *s = buf_ptr(&t->text);
    for (size_t r = 0; r < t->rows; r++) {
        for (int c = 0; c < 4; c++) {
            const size_t *cell = t->cell + 8 * r + 2 * c;
            size_t w = cv__pylen(s + cell[0], cell[1]);
            width[c] = w > width[c] ? w : width[c];
        }
    }
    struct buf cellbuf = BUF_INIT;
    for (size_t r = 0; r < t->rows; r++) {
        cv__line(out);
        for (int c = 0; c < 4; c++) {
            const size_t *cell = t->cell + 8 * r + 2 * c;
            size_t w = width[c] < MAX_COL ? width[c] : MAX_COL;
            buf_reset(&cellbuf);
            buf_append(&cellbuf, s + cell[0], cell[1]);
            for (size_t k = cv__pylen(s + cell[0], cell[1]); k < w + 2; k++)
                buf_append(&cellbuf, " ", 1);
            cv__tok(out, CV_STYLE_TEXT, buf_ptr(&cellbuf), cellbuf.len);
        }
    }
    buf_clear(&cellbuf);
}

static void
table_clear(struct table *t)
{
    buf_clear(&t->text);
    free(t->cell);
    memset(t, 0, sizeof(*t));
}

/* format_pbuf(): a message's table; -1 if it is not one. */
static int
pbuf(struct cv_lines *out, const uint8_t *p, size_t n)
{
    struct table t = {0};
    if (fields(&t, p, n, NULL, 0, 1) < 0)
        return -1;
    fields(&t, p, n, NULL, 0, 0);
    table_lines(out, &t);
    table_clear(&t);
    return 0;
}

/* format_grpc(): each length-prefixed message with its headline. */
static int
grpc(struct cv_lines *out, const uint8_t *p, size_t n, const char *encoding)
{
    while (n > 0) {
        if (n < 5)
            return -1;
        int compressed = p[0] != 0;
        int32_t len =
            (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]);
        if (len < 0 || (size_t)len > n - 5)
            return -1;
        struct buf msg = BUF_INIT;
        if (compressed && len > 0 && strcmp(encoding, "identity") != 0) {
            struct err e;
            if (enc_decode(encoding, p + 5, (size_t)len, &msg, 0, &e) < 0) {
                buf_clear(&msg);
                return -1;
            }
        } else {
            buf_append(&msg, p + 5, (size_t)len);
        }
        char head[64];
        /* The count never moves in 8.1.1: every headline says "message 0". */
        snprintf(head, sizeof(head), "gRPC message 0 (compressed %s)",
                 compressed ? encoding : "False");
        cv__line(out);
        cv__tok_plain(out, CV_STYLE_TEXT, head, strlen(head));
        int rc = pbuf(out, buf_ptr(&msg), msg.len);
        buf_clear(&msg);
        if (rc < 0)
            return -1;
        p += 5 + len;
        n -= 5 + (size_t)len;
    }
    return 0;
}

int
cv__grpc_priority(struct cv_render *r)
{
    const char *ct = r->ctype;
    if (!r->body.len || ct == NULL)
        return 0;
    if (strcmp(ct, "application/grpc") == 0)
        return 10;
    if (strcmp(ct, "application/x-protobuf") == 0 || strcmp(ct, "application/x-protobuffer") == 0 ||
        strcmp(ct, "application/grpc-proto") == 0)
        return 15;
    return 0;
}

int
cv__grpc_render(struct cv_render *r)
{
    if (r->state)
        return cv__queue_drain(r, r->state);
    struct cv_lines lines = CV_LINES_INIT;
    int rc;
    if (r->ctype && strcmp(r->ctype, "application/grpc") == 0) {
        /* grpc-encoding if it is one 8.1.1 accepts, else gzip. */
        const char *enc = r->grpc_encoding;
        if (!enc || (strcmp(enc, "gzip") && strcmp(enc, "identity") && strcmp(enc, "deflate")))
            enc = "gzip";
        rc = grpc(&lines, cv__data(r), r->body.len, enc);
        cv__set_desc(r, "gRPC");
    } else {
        rc = pbuf(&lines, cv__data(r), r->body.len);
        cv__set_desc(r, "Protobuf (flattened)");
    }
    if (rc < 0) {
        cv_lines_clear(&lines);
        return CV__FAIL;
    }
    return cv__queue_start(r, &lines);
}
