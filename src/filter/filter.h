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
/* The expression as mitmproxy prints the parsed tree (for the UIs and tests),
 * appended to out: e.g. {"and": [{"op": "~m", "regex": "post"}, ...]} in the
 * JSON shape of ../shared/fixtures/filters/public.json's "ast". */
void filt_ast_json(const struct filt *, struct buf *out);

#endif
