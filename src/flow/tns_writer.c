/*
 * Writing tnetstrings in one pass, straight from whatever holds the data.
 *
 * A container's length precedes it, so it is not known when the container
 * starts. Measuring it first means a second walk (or, measured afresh at
 * each level as the encoder once did, O(size x depth) and every float
 * formatted once per ancestor); building a tree to measure means an
 * allocation per value. Instead an open container leaves a gap wide enough
 * for any length; closing it works out its length, counting what the gaps
 * inside it will give back, and tns_writer_finish() closes the gaps in one
 * pass over the bytes, front to back.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/tnetstring.h"
#include "util/xmalloc.h"

/* 20 digits (any size_t) and the colon. */
#define GAP 21
#define OPEN SIZE_MAX

void
tns_writer_init(struct tns_writer *w, struct buf *out)
{
    *w = (struct tns_writer){.out = out};
}

void
tns_writer_clear(struct tns_writer *w)
{
    free(w->holes);
    w->holes = NULL;
    w->nholes = w->cap = 0;
}

static size_t
udigits(uint64_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* Writes the digits of v at o; returns the end. */
static uint8_t *
put_u64(uint8_t *o, uint64_t v)
{
    size_t n = udigits(v);
    for (size_t i = n; i > 0; i--) {
        o[i - 1] = (uint8_t)('0' + v % 10);
        v /= 10;
    }
    return o + n;
}

/* Room for n more bytes; returns where they go (the caller adds n to len). */
static uint8_t *
room(struct tns_writer *w, size_t n)
{
    buf_reserve(w->out, n);
    return buf_ptr(w->out) + w->out->len;
}

size_t
tns_w_open(struct tns_writer *w)
{
    if (w->nholes == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 32;
        w->holes = xrealloc(w->holes, w->cap * sizeof(*w->holes));
    }
    w->holes[w->nholes] = (struct tns_hole){w->out->len, OPEN, w->shrink};
    room(w, GAP);
    w->out->len += GAP;
    return w->nholes++;
}

void
tns_w_close(struct tns_writer *w, size_t h, enum tns_type tag)
{
    struct tns_hole *hole = &w->holes[h];
    size_t raw = w->out->len - (hole->pos + GAP);
    /* The gaps closed inside this container will shrink it by this much. */
    size_t len = raw - (w->shrink - hole->shrink0);
    uint8_t *o = room(w, 1);
    *o = (uint8_t)tag;
    w->out->len++;
    hole->len = len;
    w->shrink += GAP - (udigits(len) + 1);
}

void
tns_w_str(struct tns_writer *w, const void *p, size_t n, enum tns_type tag)
{
    uint8_t *o = room(w, n + GAP + 1), *start = o;
    o = put_u64(o, n);
    *o++ = ':';
    if (n)
        memcpy(o, p, n);
    o += n;
    *o++ = (uint8_t)tag;
    w->out->len += (size_t)(o - start);
}

void
tns_w_int(struct tns_writer *w, int64_t v)
{
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    uint8_t *o = room(w, 2 * GAP), *start = o;
    o = put_u64(o, udigits(mag) + (v < 0));
    *o++ = ':';
    if (v < 0)
        *o++ = '-';
    o = put_u64(o, mag);
    *o++ = TNS_INT;
    w->out->len += (size_t)(o - start);
}

void
tns_w_float(struct tns_writer *w, double v)
{
    char tmp[32];
    tns_format_float(v, tmp);
    tns_w_str(w, tmp, strlen(tmp), TNS_FLOAT);
}

void
tns_w_bool(struct tns_writer *w, int v)
{
    tns_w_str(w, v ? "true" : "false", v ? 4 : 5, TNS_BOOL);
}

void
tns_w_null(struct tns_writer *w)
{
    tns_w_str(w, "", 0, TNS_NULL);
}

void
tns_w_tree(struct tns_writer *w, const struct tns *t)
{
    size_t h;
    switch (t->type) {
    case TNS_BYTES:
    case TNS_TEXT:
        tns_w_str(w, t->u.str.p, t->u.str.len, t->type);
        return;
    case TNS_INT:
        tns_w_int(w, t->u.i);
        return;
    case TNS_FLOAT:
        /* A loaded float keeps its text, so it is written back as it came. */
        if (t->u.f.text)
            tns_w_str(w, t->u.f.text, strlen(t->u.f.text), TNS_FLOAT);
        else
            tns_w_float(w, t->u.f.v);
        return;
    case TNS_BOOL:
        tns_w_bool(w, t->u.b);
        return;
    case TNS_NULL:
        tns_w_null(w);
        return;
    case TNS_LIST:
        h = tns_w_open(w);
        for (size_t i = 0; i < t->u.list.n; i++)
            tns_w_tree(w, t->u.list.v[i]);
        tns_w_close(w, h, TNS_LIST);
        return;
    case TNS_DICT:
        h = tns_w_open(w);
        for (size_t i = 0; i < t->u.dict.n; i++) {
            tns_w_str(w, t->u.dict.v[i].key, t->u.dict.v[i].key_len, TNS_TEXT);
            tns_w_tree(w, t->u.dict.v[i].val);
        }
        tns_w_close(w, h, TNS_DICT);
        return;
    }
}

void
tns_w_raw(struct tns_writer *w, const void *p, size_t n)
{
    uint8_t *o = room(w, n);
    if (n)
        memcpy(o, p, n);
    w->out->len += n;
}

void
tns_writer_finish(struct tns_writer *w)
{
    if (w->nholes == 0)
        return;
    /* Holes are in the order they were opened, which is their order in out. */
    uint8_t *base = buf_ptr(w->out);
    size_t r = w->holes[0].pos, o = r;
    for (size_t i = 0; i < w->nholes; i++) {
        const struct tns_hole *h = &w->holes[i];
        if (h->len == OPEN)
            abort(); /* a container left open: a bug, never a damaged file */
        memmove(base + o, base + r, h->pos - r);
        o += h->pos - r;
        uint8_t *end = put_u64(base + o, h->len);
        *end++ = ':';
        o = (size_t)(end - base);
        r = h->pos + GAP;
    }
    memmove(base + o, base + r, w->out->len - r);
    w->out->len = o + (w->out->len - r);
    w->nholes = 0;
    w->shrink = 0;
}

void
tns_encode(struct buf *out, const struct tns *t)
{
    struct tns_writer w;
    tns_writer_init(&w, out);
    tns_w_tree(&w, t);
    tns_writer_finish(&w);
    tns_writer_clear(&w);
}
