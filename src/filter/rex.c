/*
 * mitmproxy's filters use Python's re; we use PCRE2, whose syntax is nearly
 * a superset. Before compiling, a pattern is walked once to translate the
 * few constructs that mean different things (\Z, \v, {,n}, Python-only
 * inline flags) and to refuse what Python refuses but PCRE2 would accept
 * (unknown escapes, verbs, recursion, global flags not at the start), so a
 * filter that mitmproxy rejects is rejected here too.
 *
 * Patterns and subjects are bytes (no UTF mode): like Python's bytes
 * patterns, case folding and \w, \d, \s are ASCII only.
 */
#include <stdio.h>
#include <string.h>

#include "filter/internal.h"

static int
is_flag(char c)
{
    return c && strchr("aiLmsux", c) != NULL;
}

static int
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Translates Python syntax at s[0..n) into out; -1 with a message if
 * Python would refuse the pattern. */
static int
translate(const char *s, size_t n, struct buf *out, char *errbuf, size_t errlen)
{
    int in_class = 0, at_start = 1;
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '\\') {
            if (i + 1 >= n) {
                snprintf(errbuf, errlen, "bad escape (end of pattern)");
                return -1;
            }
            char d = s[i + 1];
            int letter = (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z');
            const char *ok = in_class ? "abdDfnrsStvwWx" : "abBdDfnrsStvwWxAZ";
            if (letter && !strchr(ok, d)) {
                snprintf(errbuf, errlen, "bad escape \\%c at position %zu", d, i);
                return -1;
            }
            if (d == 'x' && (i + 3 >= n || !is_hex(s[i + 2]) || !is_hex(s[i + 3]))) {
                snprintf(errbuf, errlen, "incomplete escape \\x at position %zu", i);
                return -1;
            }
            if (d == 'Z')
                buf_append_str(out, "\\z");
            else if (d == 'v')
                buf_append_str(out, "\\x0b");
            else
                buf_append(out, s + i, 2);
            i += 2;
            at_start = 0;
            continue;
        }
        if (in_class) {
            if (c == ']') {
                in_class = 0;
                buf_append(out, "]", 1);
            } else if (c == '[') {
                /* Python has no POSIX classes: "[" is a plain char here. */
                buf_append_str(out, "\\[");
            } else {
                buf_append(out, &c, 1);
            }
            i++;
            continue;
        }
        if (c == '[') {
            in_class = 1;
            buf_append(out, "[", 1);
            i++;
            if (i < n && s[i] == '^')
                buf_append(out, &s[i++], 1);
            /* A "]" first in a class is a literal in both dialects. */
            if (i < n && s[i] == ']') {
                buf_append_str(out, "\\]");
                i++;
            }
            at_start = 0;
            continue;
        }
        if (c == '(' && i + 1 < n && s[i + 1] == '*') {
            snprintf(errbuf, errlen, "nothing to repeat at position %zu", i + 1);
            return -1;
        }
        if (c == '(' && i + 1 < n && s[i + 1] == '?') {
            size_t j = i + 2;
            if (j < n && is_flag(s[j])) {
                size_t k = j;
                while (k < n && is_flag(s[k]))
                    k++;
                if (k < n && s[k] == ')') {
                    if (!at_start) {
                        snprintf(errbuf, errlen,
                                 "global flags not at the start of the expression at position "
                                 "%zu",
                                 i);
                        return -1;
                    }
                    /* Keep the flags PCRE2 knows; a, L and u only pick
                     * Python's character model, which bytes fix anyway. */
                    struct buf f = BUF_INIT;
                    for (size_t m = j; m < k; m++)
                        if (strchr("imsx", s[m]))
                            buf_append(&f, &s[m], 1);
                    if (f.len) {
                        buf_append_str(out, "(?");
                        buf_append(out, buf_ptr(&f), f.len);
                        buf_append(out, ")", 1);
                    }
                    buf_clear(&f);
                    i = k + 1;
                    continue;
                }
            } else if (j >= n || !strchr("P=!<:#(>-", s[j])) {
                snprintf(errbuf, errlen, "unknown extension ?%c at position %zu",
                         j < n ? s[j] : ' ', i + 1);
                return -1;
            }
        }
        if (c == '{' && i + 1 < n && s[i + 1] == ',') {
            size_t k = i + 2;
            while (k < n && s[k] >= '0' && s[k] <= '9')
                k++;
            if (k > i + 2 && k < n && s[k] == '}') {
                /* Python's {,n} is {0,n}; PCRE2 would read it literally. */
                buf_append_str(out, "{0");
                i++;
                at_start = 0;
                continue;
            }
        }
        buf_append(out, &c, 1);
        i++;
        at_start = 0;
    }
    return 0;
}

pcre2_code *
filt__rex_compile(const char *pattern, size_t len, int rexflags, int icase, char *errbuf,
                  size_t errlen)
{
    struct buf t = BUF_INIT;
    if (translate(pattern, len, &t, errbuf, errlen) < 0) {
        buf_clear(&t);
        return NULL;
    }
    uint32_t opts = PCRE2_NEVER_UTF | PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C;
    if (icase)
        opts |= PCRE2_CASELESS;
    if (rexflags & FREX_MULTILINE)
        opts |= PCRE2_MULTILINE;
    if (rexflags & FREX_DOTALL)
        opts |= PCRE2_DOTALL;
    /* Python's "." and "$" know only "\n" as a line end. */
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)buf_ptr(&t), t.len, opts, &ec, &eo, cc);
    pcre2_compile_context_free(cc);
    buf_clear(&t);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        snprintf(errbuf, errlen, "%s", (const char *)msg);
        return NULL;
    }
    /* JIT is an optimisation; the interpreter is the fallback. */
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

int
filt__rex_search(const pcre2_code *re, const void *p, size_t n)
{
    static const char empty[1];
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)(p ? p : empty), n, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}
