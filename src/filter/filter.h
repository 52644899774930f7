/*
 * mitmproxy's filter expression language (mitmproxy.flowfilter): "~m post &
 * ~d example\.com", "!(~s 200 | ~s 304)", bare words as URL regexes, and
 * so on. Compiled once (regexes through PCRE2 with JIT), then matched
 * against flows from any thread.
 *
 * Case: every regex operator ignores case, as current mitmproxy does;
 * with MITMPROXY_CASE_SENSITIVE_FILTERS=1 in the environment (read at
 * compile time) every one is case-sensitive.
 */
#ifndef MP_FILTER_FILTER_H
#define MP_FILTER_FILTER_H

#include "util/buf.h"
#include "util/err.h"

struct filt;
struct flow;

/*
 * Compiles expr. Returns NULL with e->msg naming what is wrong and where
 * ("filter: unknown operator '~x' at column 7", "filter: invalid regular
 * expression '(' in ~u: missing closing parenthesis", "filter: empty
 * expression"). The result is immutable; free with filt_free().
 */
struct filt *filt_compile(const char *expr, struct err *e);
void filt_free(struct filt *);
/* 1 if the flow matches, 0 if not. f is only read. */
int filt_match(const struct filt *, const struct flow *f);

/* Parts of a flow that an operator reads beyond what a list row shows. */
#define FILT_PART_BODIES 0x1  /* ~b ~bq ~bs: contents, WebSocket and TCP messages */
#define FILT_PART_HEADERS 0x2 /* ~h ~hq ~hs: every header */
#define FILT_PART_CONNS 0x4   /* ~src ~dst */
#define FILT_PART_META 0x8    /* ~meta */
/*
 * filt_match() on a flow whose parts in missing (FILT_PART_*) are not
 * there yet: 1 or 0 when the answer does not depend on them, -1 when it
 * does (and, or and not as in Kleene's three-valued logic). A store tries
 * this on what it holds in RAM before it reads and decompresses the rest:
 * "~m POST & ~b x" rules out every GET without a body read.
 */
int filt_match_partial(const struct filt *, const struct flow *f, unsigned missing);
/* The expression as mitmproxy prints the parsed tree (for the UIs and tests),
 * appended to out: e.g. {"and": [{"op": "~m", "regex": "post"}, ...]} in the
 * JSON shape of ../shared/fixtures/filters/public.json's "ast". */
void filt_ast_json(const struct filt *, struct buf *out);

#endif
