/*
 * Shared by the files of src/filter/ and nothing else: the parsed tree, the
 * operator table (lex.c), the Python-to-PCRE2 regex bridge (rex.c) and the
 * evaluator (eval.c).
 */
#ifndef MP_FILTER_INTERNAL_H
#define MP_FILTER_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

#include "filter/filter.h"
#include "util/buf.h"

/* Every operator of current mitmproxy. */
enum filt_op {
    FOP_A, FOP_ALL, FOP_B, FOP_BQ, FOP_BS, FOP_C, FOP_COMMENT, FOP_D, FOP_DNS, FOP_DST, FOP_E,
    FOP_H, FOP_HQ, FOP_HS, FOP_HTTP, FOP_M, FOP_MARKED, FOP_MARKER, FOP_META, FOP_Q, FOP_REPLAY,
    FOP_REPLAYQ, FOP_REPLAYS, FOP_S, FOP_SRC, FOP_T, FOP_TCP, FOP_TQ, FOP_TS, FOP_U, FOP_UDP,
    FOP_WEBSOCKET,
};

/* What follows an operator's name. */
enum filt_arg { FARG_NONE, FARG_REGEX, FARG_INT };

/* Regex flags besides case, as mitmproxy gives each operator. */
#define FREX_MULTILINE 1
#define FREX_DOTALL 2

struct filt_opinfo {
    const char *name; /* without the '~' */
    enum filt_op op;
    enum filt_arg arg;
    int rexflags;
};

/* The operator called name[0..n) (without '~'), or NULL. */
const struct filt_opinfo *filt__op_lookup(const char *name, size_t n);

enum filt_kind { FN_AND, FN_OR, FN_NOT, FN_OP };

struct filt_node {
    enum filt_kind kind;
    /* FN_AND / FN_OR: kids[0..nkids); FN_NOT: kids[0]. Owned. */
    struct filt_node **kids;
    size_t nkids;
    /* FN_OP */
    const struct filt_opinfo *op;
    char *regex;      /* owned pattern text after unquoting (FARG_REGEX) */
    pcre2_code *re;   /* owned compiled pattern */
    char *num;        /* owned decimal text without leading zeros (FARG_INT) */
    long code;        /* the number, or -1 if it cannot be a status code */
};

struct filt {
    struct filt_node *root;
};

void filt__node_free(struct filt_node *);

/* Whitespace as pyparsing skips it between tokens. */
static inline int
filt__is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Scans a quoted string starting at s[0] (the quote) of the n bytes at s,
 * the way pyparsing's QuotedString(q, escChar='\\') does. Returns the bytes
 * taken (0 if unterminated) and the unquoted text appended to out.
 */
size_t filt__scan_quoted(const char *s, size_t n, struct buf *out);
/* Length of the bare word at s (pyparsing's CharsNotIn("()~'\"" + ws)). */
size_t filt__scan_word(const char *s, size_t n);

/*
 * Compiles pattern (Python re syntax) for an operator: Python-only syntax
 * is translated and Python-rejected syntax refused. Returns NULL with a
 * message in errbuf on failure.
 */
pcre2_code *filt__rex_compile(const char *pattern, size_t len, int rexflags, int icase,
                              char *errbuf, size_t errlen);
/* 1 if re finds a match anywhere in p[0..n). */
int filt__rex_search(const pcre2_code *re, const void *p, size_t n);

/* 1, 0, or -1 when the answer depends on a part in missing (FILT_PART_*);
 * t (may be NULL) stands for the parts it has (filt_match_text). */
int filt__eval(const struct filt_node *, const struct flow *, const struct filt_text *t,
               unsigned missing);

#endif
