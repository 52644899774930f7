/*
 * The line and token builders every view writes through, and the two ways
 * a view hands out lines it rendered ahead (a text split into lines, or a
 * queue of finished lines).
 */
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "util/xmalloc.h"

void
cv_lines_init(struct cv_lines *l)
{
    memset(l, 0, sizeof(*l));
}

void
cv_lines_clear(struct cv_lines *l)
{
    buf_clear(&l->text);
    free(l->tok);
    free(l->line);
    cv_lines_init(l);
}

void
cv_lines_reset(struct cv_lines *l)
{
    buf_reset(&l->text);
    l->ntok = 0;
    l->n = 0;
}

void
cv_lines_get(const struct cv_lines *l, size_t i, struct cv_line *out)
{
    size_t end_tok = i + 1 < l->n ? l->line[i + 1].tok : l->ntok;
    size_t end_off = i + 1 < l->n ? l->line[i + 1].off : l->text.len;
    out->tok = l->tok + l->line[i].tok;
    out->ntok = end_tok - l->line[i].tok;
    out->text = (const char *)buf_ptr(&l->text) + l->line[i].off;
    out->len = end_off - l->line[i].off;
}

void
cv__lines_reserve(struct cv_lines *l, size_t text, size_t tokens, size_t lines)
{
    buf_reserve(&l->text, text);
    if (l->captok - l->ntok < tokens) {
        l->captok = l->ntok + tokens;
        l->tok = xrealloc(l->tok, l->captok * sizeof(*l->tok));
    }
    if (l->cap - l->n < lines) {
        l->cap = l->n + lines;
        l->line = xrealloc(l->line, l->cap * sizeof(*l->line));
    }
}

void
cv__line_at(struct cv_lines *l, size_t tok, size_t off)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->line = xrealloc(l->line, l->cap * sizeof(*l->line));
    }
    l->line[l->n++] = (struct cv_line_at){tok, off};
}

void
cv__line(struct cv_lines *l)
{
    cv__line_at(l, l->ntok, l->text.len);
}

void
cv__tok_grow(struct cv_lines *l)
{
    l->captok = l->captok ? l->captok * 2 : 64;
    l->tok = xrealloc(l->tok, l->captok * sizeof(*l->tok));
}

void
cv__tok_long(struct cv_lines *l, enum cv_style style, size_t start)
{
    for (size_t n = l->text.len - start; n > 0;) {
        size_t k = n < CV_TOK_MAX ? n : CV_TOK_MAX;
        if (l->ntok == l->captok)
            cv__tok_grow(l);
        l->tok[l->ntok++] = (struct cv_tok){(uint32_t)style, (uint32_t)k};
        n -= k;
    }
}

void
cv__tok(struct cv_lines *l, enum cv_style style, const void *p, size_t n)
{
    const uint8_t *s = p;
    size_t start = l->text.len;
    size_t i = 0;
    while (i < n) {
        /* Runs of ordinary bytes are copied at once. */
        size_t j = i;
        while (j < n && s[j] >= 0x20 && s[j] != 0x7f && s[j] != 0xed)
            j++;
        cv__put(&l->text, s + i, j - i);
        if (j == n)
            break;
        uint8_t c = s[j];
        if (c == 0xed && j + 2 < n && s[j + 1] >= 0xa0 && s[j + 1] <= 0xbf &&
            (s[j + 2] & 0xc0) == 0x80) {
            /* A lone surrogate. 8.1.1 writes its output with
             * surrogateescape: U+DC80..DCFF are the bytes they stand for,
             * any other fails there; we print U+FFFD instead. */
            uint32_t cp = 0xd000 | (uint32_t)(s[j + 1] & 0x3f) << 6 | (s[j + 2] & 0x3f);
            if (cp >= 0xdc80 && cp <= 0xdcff) {
                uint8_t b = (uint8_t)(cp - 0xdc00);
                buf_append(&l->text, &b, 1);
            } else {
                buf_append_str(&l->text, "\xef\xbf\xbd");
            }
            i = j + 3;
            continue;
        }
        if (c == '\t' || c == '\n' || c == '\r' || c >= 0x80)
            buf_append(&l->text, &c, 1);
        else
            buf_append(&l->text, ".", 1);
        i = j + 1;
    }
    cv__tok_end(l, style, start);
}

void
cv__tok_bytes(struct cv_lines *l, enum cv_style style, const void *p, size_t n)
{
    struct buf t = BUF_INIT;
    cv__utf8_replace(&t, p, n);
    cv__tok(l, style, buf_ptr(&t), t.len);
    buf_clear(&t);
}

void
cv__copy_line(struct cv_lines *out, const struct cv_lines *in, size_t i)
{
    struct cv_line ln;
    cv_lines_get(in, i, &ln);
    cv__line(out);
    size_t off = 0;
    for (size_t k = 0; k < ln.ntok; k++) {
        cv__tok_plain(out, ln.tok[k].style, ln.text + off, ln.tok[k].len);
        off += ln.tok[k].len;
    }
}

int
cv__text_drain(struct cv_render *r, struct cv__text *t)
{
    const uint8_t *p = buf_ptr(&t->text);
    while (t->pos < t->text.len) {
        if (!cv__room(r) || !cv__spend(r, 0))
            return CV__MORE;
        size_t brk;
        size_t n = cv__line_len(p + t->pos, t->text.len - t->pos, &brk);
        cv__line(r->out);
        cv__tok(r->out, CV_STYLE_TEXT, p + t->pos, n);
        cv__spend(r, n + brk);
        t->pos += n + brk;
    }
    return CV__DONE;
}

static void
text_free(void *p)
{
    struct cv__text *t = p;
    buf_clear(&t->text);
    free(t);
}

int
cv__text_start(struct cv_render *r, struct buf *text)
{
    struct cv__text *t = xcalloc(1, sizeof(*t));
    buf_move(&t->text, text);
    cv__set_state(r, t, text_free);
    return cv__text_drain(r, t);
}

int
cv__queue_drain(struct cv_render *r, struct cv__queue *q)
{
    while (q->pos < q->lines.n) {
        if (!cv__room(r) || !cv__spend(r, 0))
            return CV__MORE;
        cv__copy_line(r->out, &q->lines, q->pos);
        struct cv_line ln;
        cv_lines_get(&q->lines, q->pos, &ln);
        cv__spend(r, ln.len + 1);
        q->pos++;
    }
    return CV__DONE;
}

static void
queue_free(void *p)
{
    struct cv__queue *q = p;
    cv_lines_clear(&q->lines);
    free(q);
}

int
cv__queue_start(struct cv_render *r, struct cv_lines *lines)
{
    struct cv__queue *q = xcalloc(1, sizeof(*q));
    q->lines = *lines;
    cv_lines_init(lines);
    cv__set_state(r, q, queue_free);
    return cv__queue_drain(r, q);
}

void
cv__format_pairs(struct cv_lines *l, const struct cv__pair *v, size_t n, int bytes)
{
    size_t width = 0;
    for (size_t i = 0; i < n; i++) {
        size_t w = bytes ? v[i].k.len : cv__pylen(v[i].k.p, v[i].k.len);
        width = w > width ? w : width;
    }
    width = width < 30 ? width : 30; /* contentviews.base.KEY_MAX */
    struct buf key = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        buf_reset(&key);
        if (bytes)
            cv__utf8_replace(&key, v[i].k.p, v[i].k.len);
        else
            buf_append(&key, v[i].k.p, v[i].k.len);
        buf_append(&key, ":", 1);
        /* str.ljust pads by characters, bytes.ljust by bytes: the width is
         * counted before decoding, as 8.1.1 counts it. */
        size_t w = (bytes ? v[i].k.len : cv__pylen(v[i].k.p, v[i].k.len)) + 1;
        for (; w < width + 2; w++)
            buf_append(&key, " ", 1);
        cv__line(l);
        cv__tok(l, CV_STYLE_HEADER, buf_ptr(&key), key.len);
        if (bytes)
            cv__tok_bytes(l, CV_STYLE_TEXT, v[i].v.p, v[i].v.len);
        else
            cv__tok(l, CV_STYLE_TEXT, v[i].v.p, v[i].v.len);
    }
    buf_clear(&key);
}

struct ranked {
    struct slice k;
    size_t i;
};

static int
cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    size_t n = x->k.len < y->k.len ? x->k.len : y->k.len;
    int c = n ? memcmp(x->k.p, y->k.p, n) : 0;
    if (c == 0 && x->k.len != y->k.len)
        c = x->k.len < y->k.len ? -1 : 1;
    return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

size_t
cv__pairs_unique(struct cv__pair *v, size_t n)
{
    struct ranked *r = xmalloc((n ? n : 1) * sizeof(*r));
    uint8_t *keep = xcalloc(n ? n : 1, 1);
    for (size_t i = 0; i < n; i++)
        r[i] = (struct ranked){v[i].k, i};
    qsort(r, n, sizeof(*r), cmp_ranked);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || !slice_eq(r[i].k, r[i - 1].k))
            keep[r[i].i] = 1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            v[m++] = v[i];
    free(r);
    free(keep);
    return m;
}
