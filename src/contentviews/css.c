/*
 * CSS: 8.1.1's own beautifier, which only changes whitespace: a line per
 * declaration, "{" opening and "}" closing a block with a blank line after
 * it, four spaces inside a block, "a: b" and "a, b" spacing. Strings and
 * comments are left alone (their special characters are moved out of the
 * way first, as strutils.escape_special_areas does). The passes run a
 * budget at a time.
 *
 * 8.1.1 decodes the body with "surrogateescape": bytes that are not UTF-8
 * survive and are printed back as they were. PCRE2 wants valid UTF-8, so
 * such a byte travels as U+10FF00 + byte (a character no pattern here
 * singles out, as a lone surrogate is in Python) and is put back at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/pyre.h"
#include "util/xmalloc.h"

#define STASH 0x10ff00

/* The body as valid UTF-8, undecodable bytes stashed. */
static size_t
stash(void *ctx, const uint8_t *in, size_t n, size_t pos, struct buf *out, size_t budget)
{
    size_t end = n - pos > budget ? pos + budget : n;
    uint32_t cp;
    while (pos < end) {
        size_t k = cv__utf8_next(in + pos, n - pos, &cp);
        if (k) {
            buf_append(out, in + pos, k);
            pos += k;
        } else {
            cv__append_cp(out, STASH + in[pos]);
            pos++;
        }
    }
    return pos;
}

/* data.strip(): the text between its leading and trailing whitespace. */
static size_t
strip(void *ctx, const uint8_t *in, size_t n, size_t pos, struct buf *out, size_t budget)
{
    size_t off, len;
    cv__strip(in, n, &off, &len);
    buf_append(out, in + off, len);
    return n;
}

static size_t
unstash(void *ctx, const uint8_t *in, size_t n, size_t pos, struct buf *out, size_t budget)
{
    size_t end = n - pos > budget ? pos + budget : n;
    while (pos < end) {
        /* U+10FF00..U+10FFFF is F4 8F BC 80 .. F4 8F BF BF. */
        const uint8_t *f = memchr(in + pos, 0xf4, end - pos);
        size_t stop = f ? (size_t)(f - in) : end;
        buf_append(out, in + pos, stop - pos);
        pos = stop;
        if (pos >= end)
            break;
        if (pos + 3 < n && in[pos + 1] == 0x8f && in[pos + 2] >= 0xbc && in[pos + 2] <= 0xbf) {
            uint8_t b = (uint8_t)(((in[pos + 2] & 0x03) << 6) | (in[pos + 3] & 0x3f));
            buf_append(out, &b, 1);
            pos += 4;
        } else {
            buf_append(out, in + pos, 1);
            pos++;
        }
    }
    return pos;
}

static const struct cv__pass passes[] = {
    {CV__PASS_FN, NULL, NULL, stash},
    {CV__PASS_FN, NULL, NULL, strip},
    {CV__PASS_ESCAPE,
     "'.*?(?<!\\\\)(?:\\\\\\\\)*'"
     "|\".*?(?<!\\\\)(?:\\\\\\\\)*\""
     "|/\\*[\\s\\S]*?\\*/"
     "|//.*?$",
     "{};:", NULL},
    {CV__PASS_SUB, "[" CV__S "]*;[" CV__S "]*", ";\n", NULL},
    {CV__PASS_SUB, "[" CV__S "]*\\{[" CV__S "]*", " {\n", NULL},
    {CV__PASS_SUB, "[" CV__S "]*\\}[" CV__S "]*", "\n}\n\n", NULL},
    /* ":" spacing inside blocks */
    {CV__PASS_SUB, "[" CV__S "]*:[" CV__S "]*(?=[^{]+\\})", ": ", NULL},
    {CV__PASS_SUB, "[" CV__S "]*,[" CV__S "]*", ", ", NULL},
    {CV__PASS_SUB, "\n[ \t]+", "\n", NULL},
    /* indentation inside blocks */
    {CV__PASS_SUB, "\n(?![}\n])(?=[^{]*\\})", "\n    ", NULL},
    {CV__PASS_FN, NULL, NULL, cv__pass_unescape},
    {CV__PASS_FN, NULL, NULL, unstash},
};

static void
pipeline_free(void *p)
{
    cv__pipeline_free(p);
    free(p);
}

int
cv__css_priority(struct cv_render *r)
{
    return r->body.len && r->ctype && strcmp(r->ctype, "text/css") == 0 ? 10 : 0;
}

int
cv__css_render(struct cv_render *r)
{
    if (r->state == NULL) {
        struct cv__pipeline *p = xmalloc(sizeof(*p));
        struct buf body = BUF_INIT;
        buf_append(&body, cv__data(r), r->body.len);
        cv__pipeline_init(p, passes, sizeof(passes) / sizeof(passes[0]), NULL, &body);
        cv__set_state(r, p, pipeline_free);
    }
    if (r->state_free != pipeline_free)
        return cv__text_drain(r, r->state);
    struct cv__pipeline *p = r->state;
    int rc = cv__pipeline_run(p, r);
    if (rc != CV__DONE)
        return rc;
    /* rstrip("\n") + "\n" */
    struct buf text = BUF_INIT;
    buf_move(&text, &p->in);
    while (text.len && buf_ptr(&text)[text.len - 1] == '\n')
        text.len--;
    buf_append(&text, "\n", 1);
    cv__set_desc(r, "CSS");
    return cv__text_start(r, &text);
}
