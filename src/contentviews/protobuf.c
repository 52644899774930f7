/*
 * Protocol Buffer: 8.1.1's first protobuf view, kept as it is. Fields are
 * read as its Kaitai parser reads them (varints of up to eight significant
 * groups, wire types 0-5) and printed "tag: value", or "tag {" for a
 * length-delimited value that parses as a message itself (its fields
 * follow two spaces deeper). A closing "}" is written when the next field
 * is shallower, so an empty message is left open, as 8.1.1 leaves it. A
 * value that is neither a message nor UTF-8 makes the body fall back to
 * Raw. Auto never picks this view: gRPC/Protocol Buffer rates protobuf
 * bodies higher.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "util/xmalloc.h"

struct pair {
    int wire;
    uint64_t tag;
    uint64_t value;      /* varint, fixed32, fixed64 */
    const uint8_t *body; /* len_delimited */
    size_t len;
    int level;
};

struct pairs {
    struct pair *v;
    size_t n, cap;
};

/* VlqBase128Le: groups until one without the high bit; the first eight count. */
static int
vlq(const uint8_t *p, size_t n, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0;; i++) {
        if (*pos >= n)
            return -1;
        uint8_t b = p[(*pos)++];
        if (i < 8)
            v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80))
            break;
    }
    *out = v;
    return 0;
}

/* GoogleProtobuf(data).pairs appended to out (reversed when asked); -1 on error. */
static int
parse(const uint8_t *p, size_t n, int level, struct pairs *out)
{
    size_t pos = 0, first = out->n;
    while (pos < n) {
        uint64_t key;
        struct pair pr = {.level = level};
        if (vlq(p, n, &pos, &key) < 0)
            goto fail;
        pr.wire = (int)(key & 7);
        pr.tag = key >> 3;
        switch (pr.wire) {
        case 0:
            if (vlq(p, n, &pos, &pr.value) < 0)
                goto fail;
            break;
        case 1:
        case 5: {
            size_t k = pr.wire == 1 ? 8 : 4;
            if (n - pos < k)
                goto fail;
            for (size_t i = 0; i < k; i++)
                pr.value |= (uint64_t)p[pos + i] << (8 * i);
            pos += k;
            break;
        }
        case 2: {
            uint64_t len;
            if (vlq(p, n, &pos, &len) < 0 || len > n - pos)
                goto fail;
            pr.body = p + pos;
            pr.len = (size_t)len;
            pos += (size_t)len;
            break;
        }
        case 3:
        case 4:
            break;
        default:
            goto fail;
        }
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 32;
            out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
        }
        out->v[out->n++] = pr;
    }
    /* Pushed in reverse, so that the stack pops them in order. */
    for (size_t a = first, b = out->n; a + 1 < b; a++, b--) {
        struct pair t = out->v[a];
        out->v[a] = out->v[b - 1];
        out->v[b - 1] = t;
    }
    return 0;
fail:
    out->n = first;
    return -1;
}

static void
spaces(struct buf *out, int n)
{
    for (int i = 0; i < n; i++)
        buf_append(out, " ", 1);
}

/* 8.1.1's format_pbuf(): the stack walk, as it is. */
static int
format(const uint8_t *data, size_t n, struct buf *out)
{
    struct pairs st = {0};
    if (parse(data, n, 0, &st) < 0) {
        free(st.v);
        return -1;
    }
    /* Bodies are parsed again at every level; past this much work the
     * input is hostile and 8.1.1 would take hours: give up instead. */
    uint64_t work = 0, limit = (uint64_t)n * 64 + (1u << 20);
    int rc = 0;
    while (st.n > 0 && rc == 0) {
        struct pair pr = st.v[--st.n];
        int level = pr.level;
        if (pr.wire == 3 || pr.wire == 4) {
            /* A group: an empty body parses as an empty message. */
            spaces(out, level);
            if (pr.wire == 3)
                buf_printf(out, "%llu {\n", (unsigned long long)pr.tag);
            else
                buf_append_str(out, "}\n");
        } else if (pr.wire == 2 && (work += pr.len) <= limit &&
                   parse(pr.body, pr.len, level + 2, &st) == 0) {
            spaces(out, level);
            buf_printf(out, "%llu {\n", (unsigned long long)pr.tag);
        } else if (pr.wire == 2) {
            if (work > limit || !cv__utf8_valid(pr.body, pr.len)) {
                rc = -1; /* str(body, "utf-8") raises */
                break;
            }
            spaces(out, level);
            buf_printf(out, "%llu: ", (unsigned long long)pr.tag);
            buf_append(out, pr.body, pr.len);
            buf_append(out, "\n", 1);
        } else {
            spaces(out, level);
            buf_printf(out, "%llu: %llu\n", (unsigned long long)pr.tag,
                       (unsigned long long)pr.value);
        }
        int prev = st.n ? st.v[st.n - 1].level : 0;
        for (int i = 1; prev < level && i <= (level - prev) / 2; i++) {
            spaces(out, level - i * 2);
            buf_append_str(out, "}\n");
        }
    }
    free(st.v);
    return rc;
}

int
cv__protobuf_priority(struct cv_render *r)
{
    const char *ct = r->ctype;
    return r->body.len && ct &&
                   (strcmp(ct, "application/x-protobuf") == 0 ||
                    strcmp(ct, "application/x-protobuffer") == 0)
               ? 10
               : 0;
}

int
cv__protobuf_render(struct cv_render *r)
{
    if (r->state)
        return cv__text_drain(r, r->state);
    struct buf out = BUF_INIT;
    if (format(cv__data(r), r->body.len, &out) < 0 || out.len == 0) {
        buf_clear(&out);
        return CV__FAIL;
    }
    cv__set_desc(r, "Protobuf");
    return cv__text_start(r, &out);
}
