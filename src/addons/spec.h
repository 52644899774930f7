/*
 * The "[/flow-filter]/subject/replacement" option syntax shared by
 * modify_body, modify_headers, map_remote and map_local (mitmproxy's
 * utils/spec.py and addons/modifyheaders.py). The first character is the
 * separator; the rest splits on it at most twice, so the replacement may
 * contain the separator. With two parts there is no filter.
 *
 * Also here: Python's escape decoding (the options hold "\n", "\x00" and
 * such as text) and re.sub with Python's replacement-template rules, on
 * PCRE2, so every rewriting addon substitutes the way mitmproxy does.
 */
#ifndef MP_ADDONS_SPEC_H
#define MP_ADDONS_SPEC_H

#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct filt;
struct flow;
struct strv;

struct spec {
    struct filt *filter; /* owned; NULL matches every flow */
    char *subject;       /* owned text between the separators (not unescaped) */
    char *replacement;   /* owned text after the last separator */
};

/* Splits option into s. Errors: fewer than two parts ("Invalid number of
 * parameters (2 or 3 are expected)"), or the filter's own message for a
 * bad filter. On error s is left zeroed. */
int spec_parse(const char *option, struct spec *s, struct err *e);
void spec_clear(struct spec *);
/* 1 if the spec's filter matches f (always 1 without a filter). */
int spec_matches(const struct spec *, const struct flow *f);

/*
 * Python's codecs.escape_decode (mitmproxy's escaped_str_to_bytes): \n \t
 * \r \a \b \f \v \\ \' \" \xhh \ooo and backslash-newline are decoded, other
 * backslashes are kept. Appends to out; fails on a short \x escape.
 */
int spec_unescape(const char *s, struct buf *out, struct err *e);
/*
 * The replacement bytes as modifyheaders.py's read_replacement gives them:
 * "@path" is the whole file at path ("~" expanded), anything else is
 * spec_unescape()d. Appends to out.
 */
int spec_read_replacement(const char *repl, struct buf *out, struct err *e);

/* A compiled Python regex (util/pyre.h); flags are PYRE_* (PYRE_DOTALL, ...). */
struct spec_re;
struct spec_re *spec_re_compile(const uint8_t *pattern, size_t n, unsigned flags, struct err *e);
void spec_re_free(struct spec_re *);
/* 1 if the regex matches anywhere in s (re.search). */
int spec_re_search(const struct spec_re *, const uint8_t *s, size_t n);
/*
 * re.sub(pattern, repl, s): every match replaced using Python's template
 * rules (\1..\99, \g<n>, \g<name>, \n and the other escapes, unmatched
 * groups empty); empty matches next to a previous match are replaced as
 * Python 3.7+ does. Appends the result to out; *count receives the number
 * of replacements (may be NULL). Errors: a bad group reference in repl.
 */
int spec_re_sub(const struct spec_re *, const uint8_t *repl, size_t repl_len, const uint8_t *s,
                size_t n, struct buf *out, size_t *count, struct err *e);
/* Checks repl as re.sub would before it looks for a match: a bad escape or
 * a reference to a group the pattern does not have is an error naming it. */
int spec_re_check_template(const struct spec_re *, const uint8_t *repl, size_t repl_len,
                           struct err *e);
/* The span of group (0: the whole match) in the first match, for map_local.
 * Returns 1 with *start and *end set (both 0 for an unmatched group), or 0. */
int spec_re_first(const struct spec_re *, const uint8_t *s, size_t n, int group, size_t *start,
                  size_t *end);
/* Number of capture groups. */
int spec_re_groups(const struct spec_re *);

/*
 * The rules of one sequence option (modify_body, modify_headers,
 * map_remote, map_local): every value parsed by parse into an array of
 * rule_size-byte rules, all or nothing. parse gets a zeroed rule and
 * leaves it complete, or released on error; clear releases a complete
 * one. Errors read "Cannot parse OPTION option VALUE: why", as mitmproxy's.
 * On success *rules (owned; spec_rules_free()) holds values->n rules.
 */
typedef int (*spec_rule_parse_cb)(const char *value, void *rule, struct err *e);
typedef void (*spec_rule_clear_cb)(void *rule);
int spec_rules_parse(const struct strv *values, const char *option, size_t rule_size,
                     spec_rule_parse_cb parse, spec_rule_clear_cb clear, void **rules,
                     struct err *e);
void spec_rules_free(void *rules, size_t n, size_t rule_size, spec_rule_clear_cb clear);

#endif
