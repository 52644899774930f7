/*
 * JavaScript: 8.1.1's own beautifier: a line after each "{", ";" and "}",
 * two spaces of indentation per open "{". Strings, template literals,
 * comments, regular expression literals and the head of for(...) loops
 * are left alone (their "{};" and newlines are moved out of the way first,
 * as strutils.escape_special_areas does). The body is decoded as UTF-8
 * with U+FFFD for what does not decode. The passes run a budget at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/pyre.h"
#include "util/xmalloc.h"

/* NO_ESCAPE: not after a backslash, then pairs of backslashes. */
#define NO_ESCAPE "(?<!\\\\)(?:\\\\\\\\)*"

struct js {
    struct cv__pipeline p;
    long level; /* the indentation pass's open "{" (may go below zero) */
};

static size_t
decode(void *ctx, const uint8_t *in, size_t n, size_t pos, struct buf *out, size_t budget)
{
    size_t end = n - pos > budget ? pos + budget : n;
    uint32_t cp;
    while (pos < end) {
        size_t k = cv__utf8_next(in + pos, n - pos, &cp);
        if (k) {
            buf_append(out, in + pos, k);
            pos += k;
        } else {
            buf_append_str(out, "\xef\xbf\xbd");
            pos += cv__utf8_bad_len(in + pos, n - pos);
        }
    }
    return pos;
}

/* Indentation, line by line (str.splitlines(True)). */
static size_t
indent(void *ctx, const uint8_t *s, size_t n, size_t pos, struct buf *out, size_t budget)
{
    struct js *js = ctx;
    size_t end = n - pos > budget ? pos + budget : n;
    while (pos < end) {
        size_t brk;
        size_t len = cv__line_len(s + pos, n - pos, &brk);
        int opens = brk == 1 && s[pos + len] == '\n' && len > 0 && s[pos + len - 1] == '{';
        if (!opens && len > 0 && s[pos] == '}')
            js->level--;
        for (long k = 0; k < 2 * js->level; k++)
            buf_append(out, " ", 1);
        buf_append(out, s + pos, len + brk);
        if (opens)
            js->level++;
        pos += len + brk;
    }
    return pos;
}

static const struct cv__pass passes[] = {
    {CV__PASS_FN, NULL, NULL, decode},
    {CV__PASS_ESCAPE,
     /* a regex literal: after something that cannot end an operand */
     "(?<=[^\\w" CV__S ")])[" CV__S "]*/(?:[^\\n/]|" NO_ESCAPE "\\\\/)+?/"
     "(?=[gimsuy]{0,6}[" CV__S "]*(?:[;,).\\n]|$))"
     "|'(?:.|(?<=\\\\)\\n)*?" NO_ESCAPE "'"
     "|\"(?:.|(?<=\\\\)\\n)*?" NO_ESCAPE "\""
     "|`[\\s\\S]*?" NO_ESCAPE "`"
     "|/\\*[\\s\\S]*?\\*/"
     "|//.*?$"
     "|for\\(.*?\\)",
     "{};\n", NULL},
    {CV__PASS_SUB, "[" CV__S "]*\\{[" CV__S "]*(?!\\};)", " {\n", NULL},
    {CV__PASS_SUB, "[" CV__S "]*;[" CV__S "]*", ";\n", NULL},
    {CV__PASS_SUB, "(?<!\\{)[" CV__S "]*\\}(;)?[" CV__S "]*", "\n}$1\n", NULL},
    {CV__PASS_FN, NULL, NULL, indent},
    {CV__PASS_FN, NULL, NULL, cv__pass_unescape},
};

static void
js_free(void *p)
{
    cv__pipeline_free(&((struct js *)p)->p);
    free(p);
}

int
cv__js_priority(struct cv_render *r)
{
    const char *ct = r->ctype;
    return r->body.len && ct &&
                   (strcmp(ct, "application/x-javascript") == 0 ||
                    strcmp(ct, "application/javascript") == 0 || strcmp(ct, "text/javascript") == 0)
               ? 10
               : 0;
}

int
cv__js_render(struct cv_render *r)
{
    if (r->state == NULL) {
        struct js *js = xcalloc(1, sizeof(*js));
        struct buf body = BUF_INIT;
        buf_append(&body, cv__data(r), r->body.len);
        cv__pipeline_init(&js->p, passes, sizeof(passes) / sizeof(passes[0]), js, &body);
        cv__set_state(r, js, js_free);
    }
    if (r->state_free != js_free)
        return cv__text_drain(r, r->state);
    struct js *js = r->state;
    int rc = cv__pipeline_run(&js->p, r);
    if (rc != CV__DONE)
        return rc;
    struct buf text = BUF_INIT;
    buf_move(&text, &js->p.in);
    cv__set_desc(r, "JavaScript");
    return cv__text_start(r, &text);
}
