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

/*
 * Text a caller keeps ready for the operators that search it, so that they
 * need not build it from the flow's parts: a store of a million compacted
 * flows keeps it beside each row instead of decoding records per match.
 * It must be exactly what the flow's parts would give:
 *   headers    ~h ~hq ~hs: the request's and the response's headers as
 *              bytes(Headers), "name: value\r\n" per field (an absent
 *              message's slice is not read);
 *   messages   ~b ~bq ~bs beyond HTTP contents: a DNS flow's messages as
 *              Message.content gives them, a TCP flow's or a WebSocket's
 *              messages, each with its side.
 * A NULL filt_text, or have_* 0, reads the flow's own parts.
 */
struct filt_msgtext {
    struct slice text;
    int from_client; /* DNS: the request is the client's, the response not */
};

struct filt_text {
    int have_headers;
    struct slice headers[2]; /* request, response */
    int have_messages;
    const struct filt_msgtext *messages; /* borrowed, in the flow's order */
    size_t nmessages;
};

/* filt_match() with the text given (borrowed for the call). */
int filt_match_text(const struct filt *, const struct flow *f, const struct filt_text *t);
/* The expression as mitmproxy prints the parsed tree (for the UIs and tests),
 * appended to out: e.g. {"and": [{"op": "~m", "regex": "post"}, ...]} in the
 * JSON shape of ../shared/fixtures/filters/public.json's "ast". */
void filt_ast_json(const struct filt *, struct buf *out);

#endif
