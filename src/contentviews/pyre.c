/*
 * Python's re.sub and re.split for the CSS and JavaScript beautifiers,
 * through PCRE2: both are backtracking engines with Perl's leftmost-first
 * semantics, so the same pattern finds the same matches. The patterns are
 * written in PCRE2 syntax with Python's meaning spelt out where the two
 * differ (see CV__S); "^" matches after a final newline, as in Python.
 *
 * A match that hits PCRE2's backtracking limit is an error, where Python
 * would keep going for a very long time: the view then falls back to Raw.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/pyre.h"
#include "util/xmalloc.h"

static pcre2_code *
compile(const char *pattern, uint32_t flags)
{
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_ALT_CIRCUMFLEX | PCRE2_NO_UTF_CHECK;
    if (flags & CV__RE_MULTILINE)
        opts |= PCRE2_MULTILINE;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &errcode, &erroff, cc);
    pcre2_compile_context_free(cc);
    /* The patterns are ours: one that does not compile is a bug. */
    if (re == NULL)
        abort();
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

int
cv__re_sub(struct buf *text, const char *pattern, uint32_t flags, const char *repl)
{
    pcre2_code *re = compile(pattern, flags);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    struct buf out = BUF_INIT;
    const uint8_t *s = buf_ptr(text);
    size_t n = text->len, pos = 0, copied = 0;
    int rc = 0;
    while (pos <= n) {
        int m = pcre2_match(re, s, n, pos, PCRE2_NO_UTF_CHECK, md, NULL);
        if (m == PCRE2_ERROR_NOMATCH)
            break;
        if (m < 0) {
            rc = -1;
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        buf_append(&out, s + copied, ov[0] - copied);
        /* The replacement: literal text, and $1 for group 1 ("" when the
         * group did not take part, as Python's re.sub does). */
        for (const char *c = repl; *c; c++) {
            if (c[0] == '$' && c[1] == '1') {
                if (m > 1 && ov[2] != PCRE2_UNSET)
                    buf_append(&out, s + ov[2], ov[3] - ov[2]);
                c++;
            } else {
                buf_append(&out, c, 1);
            }
        }
        copied = ov[1];
        /* None of our patterns matches the empty string. */
        pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
    }
    if (rc == 0) {
        buf_append(&out, s + copied, n - copied);
        buf_move(text, &out);
    }
    buf_clear(&out);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc;
}

/* chr(ord(c) + 0xE000): the character moved to the private use area. */
static void
append_moved(struct buf *out, uint8_t c)
{
    cv__append_cp(out, 0xe000 + c);
}

int
cv__re_escape_areas(struct buf *text, const char *areas, const char *chars)
{
    pcre2_code *re = compile(areas, CV__RE_MULTILINE);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    struct buf out = BUF_INIT;
    const uint8_t *s = buf_ptr(text);
    size_t n = text->len, pos = 0;
    int rc = 0;
    while (pos < n) {
        int m = pcre2_match(re, s, n, pos, PCRE2_NO_UTF_CHECK, md, NULL);
        if (m == PCRE2_ERROR_NOMATCH)
            break;
        if (m < 0) {
            rc = -1;
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        buf_append(&out, s + pos, ov[0] - pos);
        for (size_t i = ov[0]; i < ov[1]; i++) {
            if (strchr(chars, s[i]) && s[i])
                append_moved(&out, s[i]);
            else
                buf_append(&out, s + i, 1);
        }
        pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
    }
    if (rc == 0) {
        if (pos < n)
            buf_append(&out, s + pos, n - pos);
        buf_move(text, &out);
    }
    buf_clear(&out);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc;
}

void
cv__re_unescape_areas(struct buf *text)
{
    /* Every character in U+E000..U+E0FF (EE 80 80 .. EE 83 BF) goes back
     * down, whether escape_special_areas put it there or the text had it. */
    const uint8_t *s = buf_ptr(text);
    size_t n = text->len;
    if (memchr(s, 0xee, n) == NULL)
        return;
    struct buf out = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == 0xee && i + 2 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x83 &&
            (s[i + 2] & 0xc0) == 0x80) {
            uint32_t cp = ((uint32_t)(s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f));
            cv__append_cp(&out, cp);
            i += 2;
        } else {
            buf_append(&out, s + i, 1);
        }
    }
    buf_move(text, &out);
    buf_clear(&out);
}
