/*
 * json.dumps() with indent, as Python's pure-Python encoder produces it
 * (the C encoder is not used when indent is set): the same chunks in the
 * same order, because 8.1.1's JSON view styles each chunk by what it
 * starts with, and the chunk boundaries decide where its empty "text"
 * tokens fall. Resumable between chunks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/jsondoc.h"
#include "util/xmalloc.h"

struct cv__jenc_frame {
    size_t val;
    size_t k;     /* next child (or pair) */
    size_t items; /* OBJ: where its cv__json_items() start in the encoder's items */
    size_t nitems;
    int level; /* indent level of the container's children */
    int opened;
};

static const char hexd[] = "0123456789abcdef";

static void
put_u(struct buf *out, uint32_t v)
{
    char e[6] = {'\\', 'u', hexd[v >> 12 & 15], hexd[v >> 8 & 15], hexd[v >> 4 & 15], hexd[v & 15]};
    buf_append(out, e, 6);
}

void
cv__json_quote(struct buf *out, const uint8_t *p, size_t n, int ensure_ascii)
{
    cv__put(out, "\"", 1);
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        const char *esc = NULL;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        }
        if (esc) {
            cv__put(out, esc, 2);
            i++;
        } else if (c < 0x20 || (ensure_ascii && c == 0x7f)) {
            put_u(out, c);
            i++;
        } else if (c < 0x80 || !ensure_ascii) {
            size_t j = i + 1;
            while (j < n && p[j] >= 0x20 && p[j] != '"' && p[j] != '\\' &&
                   (!ensure_ascii || p[j] < 0x7f))
                j++;
            cv__put(out, p + i, j - i);
            i = j;
        } else {
            uint32_t cp;
            i += cv__char_next(p + i, n - i, &cp);
            if (cp >= 0x10000) {
                cp -= 0x10000;
                put_u(out, 0xd800 | cp >> 10);
                put_u(out, 0xdc00 | (cp & 0x3ff));
            } else {
                put_u(out, cp);
            }
        }
    }
    cv__put(out, "\"", 1);
}

static int
is_container(const struct cv__json *d, size_t i)
{
    enum cv__jt t = cv__json_type(d, i);
    return t == CV__J_ARR || t == CV__J_OBJ;
}

/* A scalar as the encoder writes it (float: _floatstr). */
static void
scalar(struct buf *out, const struct cv__json *d, size_t i, int ensure_ascii)
{
    const struct cv__jval *v = &d->v[i];
    switch (cv__json_type(d, i)) {
    case CV__J_NULL:
        cv__put(out, "null", 4);
        break;
    case CV__J_TRUE:
        cv__put(out, "true", 4);
        break;
    case CV__J_FALSE:
        cv__put(out, "false", 5);
        break;
    case CV__J_INT:
        cv__put(out, cv__json_str(d, i), v->n);
        break;
    case CV__J_FLOAT: {
        if ((v->type & CV__J_IN_BODY) &&
            cv__repr_float_text(out, (const char *)cv__json_str(d, i), v->n) == 0)
            break;
        double f = cv__json_float(d, i);
        if (isnan(f))
            buf_append_str(out, "NaN");
        else if (isinf(f))
            buf_append_str(out, f > 0 ? "Infinity" : "-Infinity");
        else
            cv__repr_float(out, f);
        break;
    }
    case CV__J_STR:
        cv__json_quote(out, cv__json_str(d, i), v->n, ensure_ascii);
        break;
    default:
        break;
    }
}

void
cv__jenc_init(struct cv__jenc *e, const struct cv__json *d, int indent, int sort_keys,
              int ensure_ascii)
{
    memset(e, 0, sizeof(*e));
    e->d = d;
    e->indent = indent;
    e->sort_keys = sort_keys;
    e->ensure_ascii = ensure_ascii;
    e->query_key = SIZE_MAX;
    e->nl = SIZE_MAX;
}

void
cv__jenc_free(struct cv__jenc *e)
{
    free(e->stack);
    free(e->items.v);
    buf_clear(&e->scratch);
}

/* Hands scratch to the sink as one chunk. */
static void
emit(struct cv__jenc *e, const struct buf *b)
{
    e->chunk(e->arg, (const char *)buf_ptr(b), b->len, e->nl);
    e->nl = SIZE_MAX;
}

static void
emit_str(struct cv__jenc *e, const char *s)
{
    e->chunk(e->arg, s, strlen(s), SIZE_MAX);
}

/* "\n" plus the indent of level into scratch (after what it holds). */
static void
newline_indent(struct cv__jenc *e, int level)
{
    static const char spaces[] =
        "\n                                                                ";
    size_t n = (size_t)level * (size_t)e->indent;
    e->nl = e->scratch.len;
    cv__put(&e->scratch, spaces, n < 64 ? n + 1 : 1);
    for (n = n < 64 ? 0 : n; n > 0;) {
        size_t k = n < 64 ? n : 64;
        cv__put(&e->scratch, spaces + 1, k);
        n -= k;
    }
}

static void
push(struct cv__jenc *e, size_t val, int level)
{
    if (e->depth == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->stack = xrealloc(e->stack, e->cap * sizeof(*e->stack));
    }
    /* items: where this frame's object items would start; popping any
     * frame gives back what was pushed above it. */
    e->stack[e->depth++] = (struct cv__jenc_frame){.val = val, .level = level, .items = e->items.n};
}

static void
pop(struct cv__jenc *e)
{
    e->items.n = e->stack[--e->depth].items;
}

int
cv__jenc_run(struct cv__jenc *e, int (*stop)(void *arg), void *arg)
{
    const struct cv__json *d = e->d;
    if (!e->started) {
        e->started = 1;
        if (!is_container(d, d->root)) {
            buf_reset(&e->scratch);
            scalar(&e->scratch, d, d->root, e->ensure_ascii);
            emit(e, &e->scratch);
            return CV__DONE;
        }
        push(e, d->root, 0);
    }
    while (e->depth > 0) {
        if (stop(arg))
            return CV__MORE;
        struct cv__jenc_frame *fr = &e->stack[e->depth - 1];
        const struct cv__jval *v = &d->v[fr->val];
        int arr = cv__json_type(d, fr->val) == CV__J_ARR;
        if (!fr->opened) {
            fr->opened = 1;
            if (v->n == 0) {
                emit_str(e, arr ? "[]" : "{}");
                pop(e);
                continue;
            }
            fr->level++;
            if (!arr) {
                fr->items = e->items.n;
                fr->nitems = cv__json_items(d, fr->val, e->sort_keys, &e->items);
                emit_str(e, "{");
                buf_reset(&e->scratch);
                newline_indent(e, fr->level);
                emit(e, &e->scratch);
            }
        }
        size_t count = arr ? v->n : fr->nitems;
        if (fr->k == count) {
            buf_reset(&e->scratch);
            newline_indent(e, fr->level - 1);
            emit(e, &e->scratch);
            emit_str(e, arr ? "]" : "}");
            pop(e);
            continue;
        }
        size_t k = fr->k++;
        int level = fr->level;
        size_t child;
        buf_reset(&e->scratch);
        if (arr) {
            /* A list yields its separator glued to a scalar item. */
            cv__put(&e->scratch, k == 0 ? "[" : ",", 1);
            newline_indent(e, level);
            child = d->kids[v->u.a + k];
        } else {
            if (k > 0) {
                cv__put(&e->scratch, ",", 1);
                newline_indent(e, level);
                emit(e, &e->scratch);
                buf_reset(&e->scratch);
            }
            const uint32_t *it = e->items.v + fr->items + 2 * k;
            size_t key = d->kids[it[0]];
            cv__json_quote(&e->scratch, cv__json_str(d, key), d->v[key].n, e->ensure_ascii);
            emit(e, &e->scratch);
            emit_str(e, ": ");
            buf_reset(&e->scratch);
            child = d->kids[it[1]];
            if (it[0] == e->query_key) {
                /* GraphQL's header shows the query as "...". */
                emit_str(e, "\"...\"");
                continue;
            }
        }
        if (is_container(d, child)) {
            if (arr)
                emit(e, &e->scratch);
            push(e, child, level);
        } else {
            scalar(&e->scratch, d, child, e->ensure_ascii);
            emit(e, &e->scratch);
        }
    }
    return CV__DONE;
}

/* ---- str() of a value (GraphQL prints a query that is not a string so) ---- */

static void
pyrepr(struct buf *out, const struct cv__json *d, size_t i)
{
    const struct cv__jval *v = &d->v[i];
    switch (cv__json_type(d, i)) {
    case CV__J_NULL:
        buf_append_str(out, "None");
        break;
    case CV__J_TRUE:
        buf_append_str(out, "True");
        break;
    case CV__J_FALSE:
        buf_append_str(out, "False");
        break;
    case CV__J_INT:
        buf_append(out, cv__json_str(d, i), v->n);
        break;
    case CV__J_FLOAT:
        if (!(v->type & CV__J_IN_BODY) ||
            cv__repr_float_text(out, (const char *)cv__json_str(d, i), v->n) < 0)
            cv__repr_float(out, cv__json_float(d, i));
        break;
    case CV__J_STR:
        cv__repr_str(out, cv__json_str(d, i), v->n);
        break;
    case CV__J_ARR:
        buf_append(out, "[", 1);
        for (size_t k = 0; k < v->n; k++) {
            if (k)
                buf_append_str(out, ", ");
            pyrepr(out, d, d->kids[v->u.a + k]);
        }
        buf_append(out, "]", 1);
        break;
    case CV__J_OBJ: {
        struct cv__u32s items = {0};
        size_t n = cv__json_items(d, i, 0, &items);
        buf_append(out, "{", 1);
        for (size_t k = 0; k < n; k++) {
            if (k)
                buf_append_str(out, ", ");
            pyrepr(out, d, d->kids[items.v[2 * k]]);
            buf_append_str(out, ": ");
            pyrepr(out, d, d->kids[items.v[2 * k + 1]]);
        }
        buf_append(out, "}", 1);
        free(items.v);
        break;
    }
    }
}

void
cv__json_pystr(struct buf *out, const struct cv__json *d, size_t i)
{
    if (cv__json_type(d, i) == CV__J_STR)
        buf_append(out, cv__json_str(d, i), d->v[i].n);
    else
        pyrepr(out, d, i);
}
