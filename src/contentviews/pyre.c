/*
 * Python's re.sub and strutils' special areas through PCRE2, a budget at a
 * time. Both engines backtrack with Perl's leftmost-first semantics, so
 * the same pattern finds the same matches; what PCRE2 needs told is
 * Python's idea of \s (CV__S), of "." (anything but "\n": NEWLINE_LF) and
 * of "^" (also after a final newline: ALT_CIRCUMFLEX).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/pyre.h"
#include "util/xmalloc.h"

static pcre2_code *
compile(const char *pattern, int multiline)
{
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_ALT_CIRCUMFLEX | PCRE2_NO_UTF_CHECK;
    if (multiline)
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

void
cv__pipeline_init(struct cv__pipeline *p, const struct cv__pass *passes, size_t npasses, void *ctx,
                  struct buf *text)
{
    memset(p, 0, sizeof(*p));
    p->passes = passes;
    p->npasses = npasses;
    p->ctx = ctx;
    buf_move(&p->in, text);
}

static void
end_regex(struct cv__pipeline *p)
{
    pcre2_match_data_free(p->md);
    pcre2_code_free(p->re);
    p->md = p->re = NULL;
}

void
cv__pipeline_free(struct cv__pipeline *p)
{
    end_regex(p);
    buf_clear(&p->in);
    buf_clear(&p->out);
}

/* The replacement of a match: literal text, and $1 for group 1. */
static void
replace(struct buf *out, const char *repl, const uint8_t *s, int groups, const PCRE2_SIZE *ov)
{
    for (const char *c = repl; *c; c++) {
        if (c[0] == '$' && c[1] == '1') {
            if (groups > 1 && ov[2] != PCRE2_UNSET)
                buf_append(out, s + ov[2], ov[3] - ov[2]);
            c++;
        } else {
            buf_append(out, c, 1);
        }
    }
}

/* One regex pass from p->pos on; 1 when done, 0 on budget, -1 on error. */
static int
regex_step(struct cv__pipeline *p, const struct cv__pass *pass, struct cv_render *r)
{
    if (p->re == NULL) {
        p->re = compile(pass->pattern, pass->kind == CV__PASS_ESCAPE);
        p->md = pcre2_match_data_create_from_pattern(p->re, NULL);
    }
    const uint8_t *s = buf_ptr(&p->in);
    size_t n = p->in.len;
    for (;;) {
        if (!cv__spend(r, 0))
            return 0;
        int m = p->pos > n ? PCRE2_ERROR_NOMATCH
                           : pcre2_match(p->re, s, n, p->pos, PCRE2_NO_UTF_CHECK, p->md, NULL);
        if (m == PCRE2_ERROR_NOMATCH)
            break;
        if (m < 0)
            return -1;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
        buf_append(&p->out, s + p->copied, ov[0] - p->copied);
        if (pass->kind == CV__PASS_SUB) {
            replace(&p->out, pass->arg, s, m, ov);
        } else {
            for (size_t i = ov[0]; i < ov[1]; i++) {
                if (s[i] && strchr(pass->arg, s[i]))
                    cv__append_cp(&p->out, 0xe000 + s[i]);
                else
                    buf_append(&p->out, s + i, 1);
            }
        }
        cv__spend(r, ov[1] - p->pos + 1);
        p->copied = ov[1];
        /* None of the patterns matches the empty string. */
        p->pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
    }
    buf_append(&p->out, s + p->copied, n - p->copied);
    cv__spend(r, n - p->pos);
    return 1;
}

int
cv__pipeline_run(struct cv__pipeline *p, struct cv_render *r)
{
    while (p->i < p->npasses) {
        const struct cv__pass *pass = &p->passes[p->i];
        int done;
        if (pass->kind == CV__PASS_FN) {
            while (p->pos < p->in.len && cv__spend(r, 0)) {
                size_t next =
                    pass->fn(p->ctx, buf_ptr(&p->in), p->in.len, p->pos, &p->out, r->budget);
                cv__spend(r, next - p->pos);
                p->pos = next;
            }
            done = p->pos >= p->in.len;
        } else {
            done = regex_step(p, pass, r);
            if (done < 0)
                return CV__FAIL;
        }
        if (!done)
            return CV__MORE;
        end_regex(p);
        buf_move(&p->in, &p->out);
        p->pos = p->copied = 0;
        p->i++;
    }
    return CV__DONE;
}

size_t
cv__pass_unescape(void *ctx, const uint8_t *in, size_t n, size_t pos, struct buf *out,
                  size_t budget)
{
    /* Every character in U+E000..U+E0FF (EE 80 80 .. EE 83 BF) goes back
     * down, whether escape_special_areas put it there or the text had it. */
    size_t end = n - pos > budget ? pos + budget : n;
    while (pos < end) {
        const uint8_t *e = memchr(in + pos, 0xee, end - pos);
        size_t stop = e ? (size_t)(e - in) : end;
        buf_append(out, in + pos, stop - pos);
        pos = stop;
        if (pos >= end)
            break;
        if (pos + 2 < n && in[pos + 1] >= 0x80 && in[pos + 1] <= 0x83 &&
            (in[pos + 2] & 0xc0) == 0x80) {
            cv__append_cp(out, (uint32_t)(in[pos + 1] & 0x3f) << 6 | (in[pos + 2] & 0x3f));
            pos += 3;
        } else {
            buf_append(out, in + pos, 1);
            pos++;
        }
    }
    return pos;
}
