/*
 * JavaScript: 8.1.1's own beautifier: a line after each "{", ";" and "}",
 * two spaces of indentation per open "{". Strings, template literals,
 * comments, regular expression literals and the head of for(...) loops
 * are left alone (their "{};" and newlines are moved out of the way first,
 * as strutils.escape_special_areas does). The body is decoded as UTF-8
 * with U+FFFD for what does not decode.
 */
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/pyre.h"

/* NO_ESCAPE: not after a backslash, then pairs of backslashes. */
#define NO_ESCAPE "(?<!\\\\)(?:\\\\\\\\)*"

static const char areas[] =
    /* a regex literal: after something that cannot end an operand */
    "(?<=[^\\w" CV__S ")])[" CV__S "]*/(?:[^\\n/]|" NO_ESCAPE "\\\\/)+?/"
    "(?=[gimsuy]{0,6}[" CV__S "]*(?:[;,).\\n]|$))"
    "|'(?:.|(?<=\\\\)\\n)*?" NO_ESCAPE "'"
    "|\"(?:.|(?<=\\\\)\\n)*?" NO_ESCAPE "\""
    "|`[\\s\\S]*?" NO_ESCAPE "`"
    "|/\\*[\\s\\S]*?\\*/"
    "|//.*?$"
    "|for\\(.*?\\)";

static const struct {
    const char *pattern, *repl;
} subs[] = {
    {"[" CV__S "]*\\{[" CV__S "]*(?!\\};)", " {\n"},
    {"[" CV__S "]*;[" CV__S "]*", ";\n"},
    {"(?<!\\{)[" CV__S "]*\\}(;)?[" CV__S "]*", "\n}$1\n"},
};

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
    if (r->state)
        return cv__text_drain(r, r->state);
    struct buf text = BUF_INIT;
    cv__utf8_replace(&text, cv__data(r), r->body.len);
    int rc = cv__re_escape_areas(&text, areas, "{};\n");
    for (size_t i = 0; rc == 0 && i < sizeof(subs) / sizeof(subs[0]); i++)
        rc = cv__re_sub(&text, subs[i].pattern, 0, subs[i].repl);
    if (rc < 0) {
        buf_clear(&text);
        return CV__FAIL;
    }
    /* Indentation, line by line (str.splitlines(True)). */
    struct buf out = BUF_INIT;
    const uint8_t *s = buf_ptr(&text);
    long level = 0;
    for (size_t i = 0; i < text.len;) {
        size_t brk;
        size_t n = cv__line_len(s + i, text.len - i, &brk);
        size_t whole = n + brk;
        int opens = brk == 1 && s[i + n] == '\n' && n > 0 && s[i + n - 1] == '{';
        if (!opens && n > 0 && s[i] == '}')
            level--;
        for (long k = 0; k < 2 * level; k++)
            buf_append(&out, " ", 1);
        buf_append(&out, s + i, whole);
        if (opens)
            level++;
        i += whole;
    }
    buf_clear(&text);
    cv__re_unescape_areas(&out);
    cv__set_desc(r, "JavaScript");
    return cv__text_start(r, &out);
}
