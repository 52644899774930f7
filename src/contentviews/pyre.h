/*
 * The CSS and JavaScript views are Python programs made of regular
 * expression passes over the whole text (re.sub, and strutils' escaping
 * of "special areas": strings, comments, regex literals) and a few plain
 * passes. A pipeline runs such passes in order, a budget of bytes at a
 * time, so that a 100 MB stylesheet is beautified over many loop turns
 * instead of in one.
 *
 * Patterns are PCRE2 with Python's meaning spelt out where the two differ
 * (CV__S for \s; "^" matches after a final newline, as in Python). Text
 * must be valid UTF-8 for the regex passes (the views make it so first).
 */
#ifndef MP_CONTENTVIEWS_PYRE_H
#define MP_CONTENTVIEWS_PYRE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct cv_render;

/* Python's \s in a str pattern: PCRE2's Unicode \s lacks \x1c-\x1f and U+0085. */
#define CV__S "\\s\\x{1c}-\\x{1f}\\x{85}"

enum cv__pass_kind {
    CV__PASS_SUB,    /* re.sub(pattern, arg, text); arg may hold $1 ("" when unset) */
    CV__PASS_ESCAPE, /* escape_special_areas: in each match of pattern (MULTILINE), every
                        byte of arg becomes chr(ord(c) + 0xE000) */
    CV__PASS_FN,     /* fn transforms the text a piece at a time */
};

/*
 * A plain pass: appends to out what in[pos..) becomes, stopping after about
 * budget bytes of in but always at a character's end, and returns the new
 * position (n when the pass is done; more than pos if budget > 0).
 */
typedef size_t (*cv__pass_fn)(void *ctx, const uint8_t *in, size_t n, size_t pos, struct buf *out,
                              size_t budget);

struct cv__pass {
    enum cv__pass_kind kind;
    const char *pattern;
    const char *arg;
    cv__pass_fn fn;
};

struct cv__pipeline {
    const struct cv__pass *passes;
    size_t npasses;
    void *ctx;      /* handed to fn */
    size_t i;       /* the pass running */
    struct buf in;  /* its input: the text so far */
    struct buf out; /* its output so far */
    size_t pos;     /* how far in it has got */
    size_t copied;  /* regex passes: in[0..copied) is in out */
    void *re, *md;  /* regex passes: the compiled pattern and match data */
};

/* Starts the passes on text (moved in). */
void cv__pipeline_init(struct cv__pipeline *, const struct cv__pass *, size_t npasses, void *ctx,
                       struct buf *text);
/*
 * Runs the passes on, charging the render's budget. Returns CV__MORE when
 * the budget ran out, CV__DONE with the result in p->in, or CV__FAIL when
 * a match hit PCRE2's backtracking limit (where Python would go on for a
 * very long time).
 */
int cv__pipeline_run(struct cv__pipeline *, struct cv_render *r);
void cv__pipeline_free(struct cv__pipeline *);

/* Plain passes the views share. */
/* unescape_special_areas: U+E000..U+E0FF back to U+0000..U+00FF. */
size_t cv__pass_unescape(void *ctx, const uint8_t *in, size_t n, size_t pos, struct buf *out,
                         size_t budget);

#endif
