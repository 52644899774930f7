/*
 * What the files of src/contentviews/ share and nothing else sees: the
 * render in progress that every view works on, the line and token
 * builders, and the pieces of Python's text model that 8.1.1's output
 * depends on (str.splitlines, str.strip, repr, float repr, the UTF-8
 * decoder's error handling).
 *
 * Text inside this module is UTF-8 as Python's str would encode it, with
 * two extensions so that every Python str has a spelling: a lone surrogate
 * (a JSON "\ud800" escape) is encoded like any code point (ED A0 80), and a
 * byte that a "surrogateescape" decode would have turned into U+DC80..DCFF
 * is kept as that byte. cv__tok() turns both into what 8.1.1 prints.
 */
#ifndef MP_CONTENTVIEWS_INTERNAL_H
#define MP_CONTENTVIEWS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "contentviews/cv.h"
#include "http/forms.h"
#include "util/buf.h"

/* What a view's render or priority function returns. */
enum {
    CV__DONE = 0,    /* every line is out */
    CV__MORE = 1,    /* stopped on the line limit or the budget: call again */
    CV__FAIL = -1,   /* cannot show this body (8.1.1: None or an exception): fall back to Raw */
    CV__PENDING = -2 /* a priority that needs more of the budget (the body is being parsed) */
};

struct cv__json;

/* A text handed out line by line, split as str.splitlines() splits it. */
struct cv__text {
    struct buf text;
    size_t pos;
};

/* Lines rendered ahead by a one-shot view, handed out as asked for. */
struct cv__queue {
    struct cv_lines lines;
    size_t pos;
};

struct cv_render {
    enum cv_view requested;
    enum cv_view view;   /* the view rendering: Auto's choice, or Raw after a fallback */
    int done;            /* every line is out */
    struct buf body;     /* owned, unless borrowed: the bytes every view reads */
    int borrowed;        /* body points into a message the caller keeps */
    char *ctype;         /* owned "type/subtype", or NULL */
    char *query;         /* owned query string of a request's URL; NULL for other bodies */
    char *grpc_encoding; /* owned grpc-encoding header value, or NULL */
    char *error;         /* owned: why the view fell back */
    char desc_prefix[64];
    char desc[128];
    int have_desc;
    /* The view's own state; freed with state_free when the view changes. */
    void *state;
    void (*state_free)(void *);
    /* 8.1.1 caches parse_json (lru_cache(1)): GraphQL's priority and the JSON
     * and GraphQL views share one parse of the body. */
    struct cv__json *json;
    /* One cv_render_step() call. */
    struct cv_lines *out;
    size_t stop_at; /* out->n at which the caller's line limit is reached */
    size_t budget;  /* bytes of work left in this call */
    int missing;    /* content=None: one "content missing" line */
    /* An external view (extern.c), asked while cv_render_new() ran: the
     * one requested, or Auto's best with its priority; -1 if none. */
    int ext_view;
    int ext_priority;
    struct cv_lines ext_lines; /* owned: its lines until the first step takes them */
    char *ext_desc;            /* owned: its description; NULL when it failed */
};

/* Each view's two functions, named after its file: a priority in tenths
 * (8.1.1's render_priority times ten), CV__FAIL when 8.1.1's raises, or
 * CV__PENDING; and the render. A render may return CV__FAIL only before its
 * first line. */
#define X(id, name, file)                                                                          \
    int cv__##file##_priority(struct cv_render *);                                                 \
    int cv__##file##_render(struct cv_render *);
CV_VIEW_MAP(X)
#undef X

static inline const uint8_t *
cv__data(const struct cv_render *r)
{
    return buf_ptr(&r->body);
}

/* True while the caller wants more lines in this call. */
static inline int
cv__room(const struct cv_render *r)
{
    return r->out->n < r->stop_at;
}

/* ---- external views (extern.c) ---- */

/* The name of external view v, or NULL (not one, or removed). */
const char *cv__ext_name(int v);
/* The external view named name (ignoring case), or -1. */
int cv__ext_find(const char *name);
/* Asks the external views what cv_render_new() needs of them while m is
 * valid: the requested one's lines, or for Auto the best one's. */
void cv__ext_prepare(struct cv_render *, const struct cv_meta *m);
/* External view v's rating of r's body in tenths (0 for no view). */
int cv__ext_priority(struct cv_render *, int v, const struct cv_meta *m);
/* The render function of every external view. */
int cv__ext_render(struct cv_render *);
void cv__ext_free(struct cv_render *);

/* The priority of view v for the render's body. */
int cv__priority(struct cv_render *, enum cv_view v);
/* Runs the render's current view (r->view). */
int cv__render_view(struct cv_render *);
/* json.loads() meets Python's recursion limit at a nesting depth that
 * depends on the frames below it; measured in mitmdump 8.1.1 -r, that is
 * 968 for a view chosen by name, 966 through Auto, 965 in a priority. */
int cv__json_depth(const struct cv_render *, int in_priority);

/* True while this call may do more work; charges n bytes of it. */
static inline int
cv__spend(struct cv_render *r, size_t n)
{
    if (r->budget == 0)
        return 0;
    r->budget = n >= r->budget ? 0 : r->budget - n;
    return 1;
}
void cv__set_desc(struct cv_render *, const char *desc);
/* Makes the render's state s, freed with fn when the view changes or ends. */
void cv__set_state(struct cv_render *, void *s, void (*fn)(void *));

/* ---- lines and tokens (lines.c) ---- */

/* Starts a new (empty) line. */
void cv__line(struct cv_lines *);
/* Makes room for this much more text, tokens and lines (a view that
 * knows it is about to write a lot saves the copies of growing). */
void cv__lines_reserve(struct cv_lines *, size_t text, size_t tokens, size_t lines);
/* Registers a line whose tokens were appended from token tok and text
 * offset off on (a line built before it was known to be complete). */
void cv__line_at(struct cv_lines *, size_t tok, size_t off);
/* buf_append with the room check inline, for the paths that append a
 * few bytes a million times. */
static inline void
cv__put(struct buf *b, const void *p, size_t n)
{
    if (n && b->cap - b->off - b->len >= n) {
        memcpy(b->data + b->off + b->len, p, n);
        b->len += n;
    } else if (n) {
        buf_append(b, p, n);
    }
}

/* Makes room for one more token. */
void cv__tok_grow(struct cv_lines *);

/* Records tokens for text appended past CV_TOK_MAX bytes. */
void cv__tok_long(struct cv_lines *, enum cv_style, size_t start);

/* Records a token whose text was just appended from text offset start. */
static inline void
cv__tok_end(struct cv_lines *l, enum cv_style style, size_t start)
{
    size_t n = l->text.len - start;
    if (n > CV_TOK_MAX) {
        cv__tok_long(l, style, start);
        return;
    }
    if (l->ntok == l->captok)
        cv__tok_grow(l);
    l->tok[l->ntok++] = (struct cv_tok){(uint32_t)style, (uint32_t)n};
}

/* Appends text known to hold nothing to make safe (no control character,
 * no encoded surrogate) as it is. */
static inline void
cv__tok_plain(struct cv_lines *l, enum cv_style style, const void *p, size_t n)
{
    size_t start = l->text.len;
    cv__put(&l->text, p, n);
    cv__tok_end(l, style, start);
}

/* Appends a token holding Python str text: control characters but tab, CR
 * and LF become "." (safe_to_print), a lone surrogate U+DC80..DCFF becomes
 * its byte and any other lone surrogate U+FFFD. */
void cv__tok(struct cv_lines *, enum cv_style, const void *p, size_t n);
/* Appends a token holding Python bytes: decoded as UTF-8 with U+FFFD for
 * what does not decode, then as cv__tok(). */
void cv__tok_bytes(struct cv_lines *, enum cv_style, const void *p, size_t n);
/* Appends every token of lines[i] (already safe) to out as a new line. */
void cv__copy_line(struct cv_lines *out, const struct cv_lines *in, size_t i);

/* Hands out t's lines as [("text", line)] (base.format_text) while the
 * caller has room; CV__DONE once the text is used up. */
int cv__text_drain(struct cv_render *, struct cv__text *);
/* Makes a text (moved from text) the render's state and drains it. */
int cv__text_start(struct cv_render *, struct buf *text);
int cv__queue_drain(struct cv_render *, struct cv__queue *);
/* Makes lines (moved) the render's state and drains them. */
int cv__queue_start(struct cv_render *, struct cv_lines *lines);

/*
 * base.format_pairs: "key:" left-justified to the widest key (at most 30)
 * plus two, as a "header" token, then the value as a "text" token. Keys and
 * values are Python str unless bytes is set (then widths count bytes and
 * the text is decoded with U+FFFD, as 8.1.1 does for multipart forms).
 */
struct cv__pair {
    struct slice k, v;
};
void cv__format_pairs(struct cv_lines *, const struct cv__pair *, size_t n, int bytes);
/* MultiDict(pairs).items(): each key once, with its first value, in the
 * order keys first appear. Compacts v in place; returns the new count. */
size_t cv__pairs_unique(struct cv__pair *v, size_t n);

/*
 * The fields of a form (http/forms.h: parse_qsl's and multipart.decode's
 * reading) as pairs that borrow its names and values. Returns an owned
 * array of f->n pairs.
 */
struct cv__pair *cv__form_pairs(const struct form *f);
/* Hands out pairs as format_pairs lines (a queue in the render's state). */
int cv__pairs_start(struct cv_render *, const struct cv__pair *, size_t n, int bytes);

/* ---- Python text (pytext.c) ---- */

/* Length of the valid UTF-8 sequence at p (1-4) with its code point in *cp,
 * or 0 when p starts no valid sequence (Python's strict decoder: no
 * overlongs, no surrogates, nothing above U+10FFFF). n > 0. */
size_t cv__utf8_next(const uint8_t *p, size_t n, uint32_t *cp);
/* Like cv__utf8_next, but for this module's text: an encoded surrogate is
 * a code point, and a byte that starts nothing is one character with *cp
 * 0xDC00 + byte (surrogateescape). Always returns at least 1. */
size_t cv__char_next(const uint8_t *p, size_t n, uint32_t *cp);
/* The length of the maximal ill-formed subpart at p, which Python's
 * "replace" handler turns into one U+FFFD (p starts no valid sequence). */
size_t cv__utf8_bad_len(const uint8_t *p, size_t n);
/* True if p[0..n) decodes as strict UTF-8. */
int cv__utf8_valid(const uint8_t *p, size_t n);
/* Appends p[0..n) decoded as UTF-8 with errors="replace". (A decode with
 * "surrogateescape" needs no function: it is the bytes themselves in this
 * module's spelling.) */
void cv__utf8_replace(struct buf *out, const uint8_t *p, size_t n);
/* Appends one code point as UTF-8 (a surrogate as three bytes). */
void cv__append_cp(struct buf *out, uint32_t cp);
/* Characters in text (len() of the str). */
size_t cv__pylen(const uint8_t *p, size_t n);
/* str.isspace() for one code point. */
int cv__is_space(uint32_t cp);
/* str.strip(): the stripped part of p[0..n) as an offset and length. */
void cv__strip(const uint8_t *p, size_t n, size_t *off, size_t *len);
/* str.splitlines(): the line at p is p[0..return) and its line break is
 * *brk bytes long (0 at the end of the text). */
size_t cv__line_len(const uint8_t *p, size_t n, size_t *brk);
/*
 * strutils.bytes_to_escaped_str(p, keep_spacing): Python's bytes repr
 * without quotes, quotes not escaped, tab/CR/LF kept if keep_spacing. Its
 * regex keeps only one of the escaped backslashes right before a quote
 * (or a kept tab, CR, LF); *run counts the backslashes last appended
 * (0 to start), so the text can be escaped in pieces, and
 * cv__escape_unrun() applies the loss where the caller drops such a
 * character (a line break).
 */
void cv__escape_bytes(struct buf *out, const uint8_t *p, size_t n, int keep_spacing, size_t *run);
void cv__escape_unrun(struct buf *out, size_t *run);

/* ---- Python repr (pyrepr.c) ---- */

/* str.isprintable() for one code point (Unicode 14, as Python 3.11). */
int cv__is_printable(uint32_t cp);
/* repr() of a str given in this module's spelling. */
void cv__repr_str(struct buf *out, const uint8_t *p, size_t n);
/* repr() of bytes: b'..' */
void cv__repr_bytes(struct buf *out, const uint8_t *p, size_t n);
/* repr() of a float (the shortest text that reads back the same). */
void cv__repr_float(struct buf *out, double v);
/* repr(float(p[0..n))) for a decimal literal, without the conversions when
 * the literal's digits are the answer; -1 (nothing appended) otherwise. */
int cv__repr_float_text(struct buf *out, const char *p, size_t n);
/* The decimal digits of an unsigned little-endian base-2^32 number
 * (varints longer than 64 bits: Python's ints have no limit). */
void cv__decimal(struct buf *out, const uint32_t *limbs, size_t n);

#endif
