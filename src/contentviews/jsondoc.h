/*
 * A JSON document as Python's json.loads() reads it, for the JSON and
 * GraphQL views: the same grammar (NaN, Infinity and -Infinity included,
 * no control characters in strings, "\ud800" kept as a lone surrogate,
 * integers of at most 4300 digits), parsed without recursion and a budget
 * at a time so that a 100 MB body does not block the loop.
 *
 * The document is a flat array of values; containers list their children
 * (objects: key and value, in the order written) in one shared array, so a
 * million values cost a handful of allocations.
 */
#ifndef MP_CONTENTVIEWS_JSONDOC_H
#define MP_CONTENTVIEWS_JSONDOC_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct cv_render;

enum cv__jt {
    CV__J_NULL,
    CV__J_TRUE,
    CV__J_FALSE,
    CV__J_INT,
    CV__J_FLOAT,
    CV__J_STR,
    CV__J_ARR,
    CV__J_OBJ
};

/* A STR or INT whose text is the body's own bytes (no escapes to undo). */
#define CV__J_IN_BODY 0x100u

struct cv__jval {
    uint32_t type; /* enum cv__jt, plus CV__J_IN_BODY */
    uint32_t n;    /* STR, INT: length of the text; ARR: children; OBJ: key-value pairs */
    union {
        uint64_t a; /* STR, INT, FLOAT as written: offset of the text; ARR, OBJ: first child */
        double f;   /* FLOAT: NaN, Infinity, -Infinity */
    } u;
};

/* A growable array of uint32_t (object items, see cv__json_items). */
struct cv__u32s {
    uint32_t *v;
    size_t n, cap;
};

struct cv__json {
    const uint8_t *body; /* borrowed from the render */
    size_t len;
    struct cv__jval *v; /* v[root] is the document */
    size_t nv, capv;
    uint32_t *kids; /* ARR: value indices; OBJ: key index, value index, ... */
    size_t nkids, capkids;
    struct buf text; /* strings with escapes, decoded */
    size_t root;
    int max_depth; /* deepest nesting of containers (Python's recursion) */
    int status;    /* 0 while parsing, 1 parsed, -1 not JSON */
    /* The parser between budgets. */
    size_t pos;
    int state;
    struct cv__jframe *stack;
    size_t depth, capstack;
    uint32_t *open; /* children of the containers still open */
    size_t nopen, capopen;
};

/*
 * The render's body parsed (once, cached in r->json). Returns CV__MORE while
 * the budget runs out before the end, CV__FAIL if the body is not JSON
 * (json.loads would raise ValueError), CV__DONE with *out set. A document
 * nested deeper than max_depth fails too: Python's recursion limit, which
 * 8.1.1 meets at a depth that depends on who calls (see json.c).
 */
int cv__json_get(struct cv_render *r, int max_depth, struct cv__json **out);
void cv__json_free(struct cv__json *);

static inline enum cv__jt
cv__json_type(const struct cv__json *d, size_t i)
{
    return (enum cv__jt)(d->v[i].type & 0xff);
}

/* The value of a FLOAT (NaN and the infinities are stored as such, other
 * floats as written). */
double cv__json_float(const struct cv__json *d, size_t i);

/* The text of a STR or INT value, or of a FLOAT as written (d->v[i].n bytes). */
static inline const uint8_t *
cv__json_str(const struct cv__json *d, size_t i)
{
    return (d->v[i].type & CV__J_IN_BODY ? d->body : buf_ptr(&d->text)) + d->v[i].u.a;
}

/*
 * An object's pairs as a Python dict holds them: one per key (the last
 * value wins), in the order keys first appeared, or sorted by key when
 * sorted is set (json's sort_keys). Appends 2 * m offsets in d->kids to
 * out, a key's then its value's, and returns m.
 */
size_t cv__json_items(const struct cv__json *d, size_t obj, int sorted, struct cv__u32s *out);
void cv__u32s_push(struct cv__u32s *, uint32_t);

/*
 * json.dumps() with indent (Python's pure encoder, chunk by chunk). The
 * encoder calls chunk() with each piece Python's _iterencode yields, so
 * the JSON view can style lines as 8.1.1's format_json does. It runs a
 * budget at a time; CV__MORE means call cv__jenc_run() again.
 */
struct cv__jenc {
    const struct cv__json *d;
    int indent;       /* spaces per level */
    int sort_keys;    /* sort_keys=True */
    int ensure_ascii; /* ensure_ascii=True */
    size_t query_key; /* GraphQL: the top-level "query" pair's kids offset, or SIZE_MAX */
    /* p[0..n) is the chunk; nl the offset of its newline, SIZE_MAX if none */
    void (*chunk)(void *arg, const char *p, size_t n, size_t nl);
    void *arg;
    /* Where the encoder is. */
    struct cv__jenc_frame *stack;
    size_t depth, cap;
    struct cv__u32s items; /* the open objects' items, a stack */
    int started;
    struct buf scratch;
    size_t nl; /* where scratch's newline is, or SIZE_MAX */
};

void cv__jenc_init(struct cv__jenc *, const struct cv__json *d, int indent, int sort_keys,
                   int ensure_ascii);
/* Runs until the document is out (CV__DONE) or stop() says so (CV__MORE). */
int cv__jenc_run(struct cv__jenc *, int (*stop)(void *arg), void *arg);
void cv__jenc_free(struct cv__jenc *);
/* Python's json string encoder, quotes included. */
void cv__json_quote(struct buf *out, const uint8_t *p, size_t n, int ensure_ascii);

/* str() of a parsed value: the text of a string, repr() of anything else
 * (Python's repr of list, dict, int, float, bool and None). */
void cv__json_pystr(struct buf *out, const struct cv__json *d, size_t i);

#endif
