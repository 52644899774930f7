/*
 * WBXML: an ActiveSync WBXML body ([MS-ASWBXML] code pages, UTF-8, no
 * string table, no attributes) decoded to XML and pretty-printed as
 * Python's minidom toprettyxml(indent="    ") writes it: a lone text child
 * stays on its element's line, CDATA is never indented or followed by a
 * newline. Strings are read byte by byte as Latin-1, as 8.1.1's decoder
 * reads them.
 *
 * 8.1.1 waits forever on a body that ends inside a string or after a
 * SWITCH_PAGE (it reads from a queue that never fills); such a body falls
 * back to Raw here.
 */
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/tables.h"
#include "util/xmalloc.h"

enum { N_DOC, N_ELEM, N_TEXT, N_CDATA };

struct node {
    int type;
    const char *name; /* N_ELEM: from the code page */
    size_t off, len;  /* N_TEXT, N_CDATA: text (UTF-8) in the tree's text */
    size_t parent;
    size_t first, last, next; /* children, siblings; 0 = none (0 is the document) */
    size_t nchildren;
};

struct tree {
    struct node *v;
    size_t n, cap;
    struct buf text;
};

static size_t
add(struct tree *t, size_t parent, int type)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
    }
    size_t i = t->n++;
    memset(&t->v[i], 0, sizeof(t->v[i]));
    t->v[i].type = type;
    t->v[i].parent = parent;
    if (i == 0)
        return 0;
    struct node *p = &t->v[parent];
    if (p->nchildren++ == 0)
        p->first = i;
    else
        t->v[p->last].next = i;
    p->last = i;
    return i;
}

struct queue {
    const uint8_t *p;
    size_t n, pos;
};

/* dequeueMultibyteInt(): -1 for None (the queue ran dry), -2 for too big to matter. */
static long long
mbint(struct queue *q)
{
    unsigned long long v = 0;
    int big = 0;
    for (;;) {
        if (q->pos >= q->n)
            return -1;
        uint8_t b = q->p[q->pos++];
        if (v > (1ull << 40))
            big = 1;
        v = v << 7 | (b & 0x7f);
        if (!(b & 0x80))
            return big ? -2 : (long long)v;
    }
}

/* Bytes as Latin-1 characters. */
static void
latin1(struct buf *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cv__append_cp(out, p[i]);
}

/* A NUL-terminated string; -1 where 8.1.1 would wait forever. */
static int
cstring(struct queue *q, struct buf *out)
{
    const uint8_t *z = memchr(q->p + q->pos, 0, q->n - q->pos);
    if (z == NULL)
        return -1;
    size_t len = (size_t)(z - (q->p + q->pos));
    latin1(out, q->p + q->pos, len);
    q->pos += len + 1;
    return 0;
}

static int
unused_token(uint8_t b)
{
    static const uint8_t t[] = {0x02, 0x04, 0x40, 0x41, 0x42, 0x43, 0x44, 0x80,
                                0x81, 0x82, 0x83, 0x84, 0xc0, 0xc1, 0xc2, 0xc4};
    return memchr(t, b, sizeof(t)) != NULL;
}

/* ASWBXML.loadBytes(); -1 where it raises (or hangs). */
static int
load(const uint8_t *p, size_t n, struct tree *t)
{
    struct queue q = {p, n, 0};
    if (n == 0)
        return -1;
    q.pos++;   /* version */
    mbint(&q); /* public identifier */
    if (mbint(&q) != 0x6a || mbint(&q) != 0)
        return -1; /* UTF-8 only, no string table */
    size_t cur = add(t, 0, N_DOC);
    int page = 0, root = 0;
    while (q.pos < q.n) {
        uint8_t b = q.p[q.pos++];
        if (b == 0x00) { /* SWITCH_PAGE */
            if (q.pos >= q.n)
                return -1;
            uint8_t np = q.p[q.pos++];
            if (np >= cv__wbxml_pages_n)
                return -1;
            page = np;
        } else if (b == 0x01) { /* END */
            if (t->v[cur].type == N_DOC)
                return -1;
            cur = t->v[cur].parent;
        } else if (b == 0xc3 || b == 0x03) { /* OPAQUE, STR_I */
            int opaque = b == 0xc3;
            long long len = opaque ? mbint(&q) : -1;
            size_t start = t->text.len;
            if (len == -1) {
                if (cstring(&q, &t->text) < 0)
                    return -1;
            } else {
                /* A length past the end stops there. */
                size_t k =
                    len == -2 || (unsigned long long)len > q.n - q.pos ? q.n - q.pos : (size_t)len;
                latin1(&t->text, q.p + q.pos, k);
                q.pos += k;
            }
            if (t->v[cur].type == N_DOC)
                return -1; /* a document holds no text */
            size_t i = add(t, cur, opaque ? N_CDATA : N_TEXT);
            t->v[i].off = start;
            t->v[i].len = t->text.len - start;
        } else if (unused_token(b) || (b & 0x80)) {
            return -1; /* unknown global token, or attributes */
        } else {
            const char *tag = cv__wbxml_pages[page].tag[b & 0x3f];
            if (tag == NULL)
                return -1; /* "UNKNOWN_TAG_{0,2:X}".format() raises */
            if (t->v[cur].type == N_DOC && root++)
                return -1; /* a second document element */
            size_t i = add(t, cur, N_ELEM);
            t->v[i].name = tag;
            if (b & 0x40)
                cur = i;
        }
    }
    return 0;
}

/* minidom's _write_data: & < " > escaped. */
static void
write_data(struct buf *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case '&':
            buf_append_str(out, "&amp;");
            break;
        case '<':
            buf_append_str(out, "&lt;");
            break;
        case '"':
            buf_append_str(out, "&quot;");
            break;
        case '>':
            buf_append_str(out, "&gt;");
            break;
        default:
            buf_append(out, p + i, 1);
        }
    }
}

static void
indent(struct buf *out, int level)
{
    for (int i = 0; i < level; i++)
        buf_append_str(out, "    ");
}

/* Node.writexml() with addindent "    " and newl "\n"; -1 for CDATA holding "]]>". */
static int
write_node(struct buf *out, const struct tree *t, size_t i, int level, int pretty)
{
    const struct node *nd = &t->v[i];
    const uint8_t *text = buf_ptr(&t->text) + nd->off;
    if (nd->type == N_TEXT) {
        if (pretty)
            indent(out, level);
        write_data(out, text, nd->len);
        if (pretty)
            buf_append(out, "\n", 1);
        return 0;
    }
    if (nd->type == N_CDATA) {
        if (memmem(text, nd->len, "]]>", 3))
            return -1;
        buf_append_str(out, "<![CDATA[");
        buf_append(out, text, nd->len);
        buf_append_str(out, "]]>");
        return 0;
    }
    indent(out, level);
    buf_printf(out, "<%s", nd->name);
    if (nd->nchildren == 0) {
        buf_append_str(out, "/>\n");
        return 0;
    }
    buf_append(out, ">", 1);
    const struct node *c = &t->v[nd->first];
    if (nd->nchildren == 1 && (c->type == N_TEXT || c->type == N_CDATA)) {
        if (write_node(out, t, nd->first, 0, 0) < 0)
            return -1;
    } else {
        buf_append(out, "\n", 1);
        for (size_t k = nd->first; k; k = t->v[k].next)
            if (write_node(out, t, k, level + 1, 1) < 0)
                return -1;
        indent(out, level);
    }
    buf_printf(out, "</%s>\n", nd->name);
    return 0;
}

int
cv__wbxml_priority(struct cv_render *r)
{
    const char *ct = r->ctype;
    return r->body.len && ct &&
                   (strcmp(ct, "application/vnd.wap.wbxml") == 0 ||
                    strcmp(ct, "application/vnd.ms-sync.wbxml") == 0)
               ? 10
               : 0;
}

int
cv__wbxml_render(struct cv_render *r)
{
    if (r->state)
        return cv__text_drain(r, r->state);
    struct tree t = {0};
    struct buf out = BUF_INIT;
    int rc = load(cv__data(r), r->body.len, &t);
    if (rc == 0) {
        buf_append_str(&out, "<?xml version=\"1.0\" ?>\n");
        for (size_t k = t.v[0].first; rc == 0 && k; k = t.v[k].next)
            rc = write_node(&out, &t, k, 0, 1);
    }
    free(t.v);
    buf_clear(&t.text);
    if (rc < 0) {
        buf_clear(&out);
        return CV__FAIL;
    }
    cv__set_desc(r, "WBXML");
    return cv__text_start(r, &out);
}
