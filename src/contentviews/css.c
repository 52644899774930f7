/*
 * CSS: 8.1.1's own beautifier, which only changes whitespace: a line per
 * declaration, "{" opening and "}" closing a block with a blank line after
 * it, four spaces inside a block, "a: b" and "a, b" spacing. Strings and
 * comments are left alone (their special characters are moved out of the
 * way first, as strutils.escape_special_areas does).
 *
 * 8.1.1 decodes the body with "surrogateescape": bytes that are not UTF-8
 * survive and are printed back as they were. PCRE2 wants valid UTF-8, so
 * such a byte travels as U+10FF00 + byte (a character no pattern here
 * singles out, as a lone surrogate is in Python) and is put back at the end.
 */
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/pyre.h"

#define STASH 0x10ff00

static const char areas[] = "'.*?(?<!\\\\)(?:\\\\\\\\)*'"
                            "|\".*?(?<!\\\\)(?:\\\\\\\\)*\""
                            "|/\\*[\\s\\S]*?\\*/"
                            "|//.*?$";

static const struct {
    const char *pattern, *repl;
} subs[] = {
    {"[" CV__S "]*;[" CV__S "]*", ";\n"},
    {"[" CV__S "]*\\{[" CV__S "]*", " {\n"},
    {"[" CV__S "]*\\}[" CV__S "]*", "\n}\n\n"},
    {"[" CV__S "]*:[" CV__S "]*(?=[^{]+\\})", ": "}, /* fix ":" spacing inside blocks */
    {"[" CV__S "]*,[" CV__S "]*", ", "},
    {"\n[ \t]+", "\n"},
    {"\n(?![}\n])(?=[^{]*\\})", "\n    "}, /* indent inside blocks */
};

/* The body as valid UTF-8, undecodable bytes stashed. */
static void
stash(struct buf *out, const uint8_t *p, size_t n)
{
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        size_t k = cv__utf8_next(p + i, n - i, &cp);
        if (k) {
            buf_append(out, p + i, k);
            i += k;
        } else {
            cv__append_cp(out, STASH + p[i]);
            i++;
        }
    }
}

static void
unstash(struct buf *text)
{
    const uint8_t *s = buf_ptr(text);
    size_t n = text->len;
    struct buf out = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        /* U+10FF00..U+10FFFF is F4 8F BC 80 .. F4 8F BF BF. */
        if (s[i] == 0xf4 && i + 3 < n && s[i + 1] == 0x8f && s[i + 2] >= 0xbc && s[i + 2] <= 0xbf) {
            uint8_t b = (uint8_t)(((s[i + 2] & 0x03) << 6) | (s[i + 3] & 0x3f));
            buf_append(&out, &b, 1);
            i += 3;
        } else {
            buf_append(&out, s + i, 1);
        }
    }
    buf_move(text, &out);
}

int
cv__css_priority(struct cv_render *r)
{
    return r->body.len && r->ctype && strcmp(r->ctype, "text/css") == 0 ? 10 : 0;
}

int
cv__css_render(struct cv_render *r)
{
    if (r->state)
        return cv__text_drain(r, r->state);
    struct buf all = BUF_INIT, text = BUF_INIT;
    stash(&all, cv__data(r), r->body.len);
    size_t off, len;
    cv__strip(buf_ptr(&all), all.len, &off, &len);
    buf_append(&text, buf_ptr(&all) + off, len);
    buf_clear(&all);
    int rc = cv__re_escape_areas(&text, areas, "{};:");
    for (size_t i = 0; rc == 0 && i < sizeof(subs) / sizeof(subs[0]); i++)
        rc = cv__re_sub(&text, subs[i].pattern, 0, subs[i].repl);
    if (rc < 0) {
        buf_clear(&text);
        return CV__FAIL;
    }
    cv__re_unescape_areas(&text);
    while (text.len && buf_ptr(&text)[text.len - 1] == '\n')
        text.len--;
    buf_append(&text, "\n", 1);
    unstash(&text);
    cv__set_desc(r, "CSS");
    return cv__text_start(r, &text);
}
