/*
 * JSON: the body pretty-printed as json.dumps(indent=4, sort_keys=True,
 * ensure_ascii=False) would, split into lines and styled chunk by chunk
 * the way 8.1.1's format_json does: a chunk that starts (after indent)
 * with a quote is a json_string, with a digit a json_number, with
 * true/null/false a json_boolean, anything else text, and the text before
 * a newline goes to the end of the previous line as its own token.
 *
 * The body is read first (it has to be valid JSON to be shown so), a
 * budget at a time; then lines are encoded as they are asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "contentviews/jsondoc.h"
#include "util/xmalloc.h"

/*
 * The encoder's chunks go straight into the caller's lines. The line being
 * built sits at the end of out, unregistered, from (tok, off) on; when a
 * call ends it is moved aside (cur), so that out only ever holds whole
 * lines, and put back at the start of the next call.
 */
struct jview {
    struct cv__jenc enc;
    struct cv_render *r;
    size_t tok, off;     /* where the line being built starts in r->out */
    struct cv_lines cur; /* that line between calls (tokens only) */
    int enc_done;
};

static void
jview_free(void *p)
{
    struct jview *s = p;
    cv__jenc_free(&s->enc);
    cv_lines_clear(&s->cur);
    free(s);
}

static enum cv_style
classify(const char *p, size_t n)
{
    /* re.match(r"\s*...") : the encoder's chunks start with spaces if
     * anything, but \s is Unicode whitespace. */
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        uint8_t c = (uint8_t)p[i];
        if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) {
            i++;
            continue;
        }
        if (c < 0x80)
            break;
        size_t k = cv__char_next((const uint8_t *)p + i, n - i, &cp);
        if (!cv__is_space(cp))
            break;
        i += k;
    }
    p += i, n -= i;
    if (n && p[0] == '"')
        return CV_STYLE_JSON_STRING;
    if (n && p[0] >= '0' && p[0] <= '9')
        return CV_STYLE_JSON_NUMBER;
    if ((n >= 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "null", 4) == 0)) ||
        (n >= 5 && memcmp(p, "false", 5) == 0))
        return CV_STYLE_JSON_BOOLEAN;
    return CV_STYLE_TEXT;
}

/* The line being built is complete: register it in out. */
static void
finish_line(struct jview *s)
{
    struct cv_lines *out = s->r->out;
    cv__line_at(out, s->tok, s->off);
    s->tok = out->ntok;
    s->off = out->text.len;
}

static void
on_chunk(void *arg, const char *p, size_t n, size_t nl)
{
    struct jview *s = arg;
    struct cv_lines *out = s->r->out;
    cv__spend(s->r, n + 1);
    if (nl != SIZE_MAX) {
        /* What precedes the newline is punctuation. */
        cv__tok_plain(out, CV_STYLE_TEXT, p, nl);
        finish_line(s);
        n -= nl + 1;
        p += nl + 1;
    }
    /* Only a string can hold what safe_to_print changes (DEL, a lone
     * surrogate): the encoder escaped every other control character. */
    enum cv_style style = classify(p, n);
    if (style == CV_STYLE_JSON_STRING)
        cv__tok(out, style, p, n);
    else
        cv__tok_plain(out, style, p, n);
}

/* The encoder pauses once the caller has its lines or the budget is spent. */
static int
enc_stop(void *arg)
{
    struct jview *s = arg;
    return !cv__room(s->r) || !cv__spend(s->r, 0);
}

/* Puts the unfinished line back at the end of out (the call begins). */
static void
restore(struct jview *s)
{
    struct cv_lines *out = s->r->out;
    s->tok = out->ntok;
    s->off = out->text.len;
    if (s->cur.ntok) {
        size_t off = 0;
        for (size_t k = 0; k < s->cur.ntok; k++) {
            cv__tok_plain(out, s->cur.tok[k].style, buf_ptr(&s->cur.text) + off, s->cur.tok[k].len);
            off += s->cur.tok[k].len;
        }
        cv_lines_reset(&s->cur);
    }
}

/* Moves the unfinished line out of out (the call ends). */
static void
stash(struct jview *s)
{
    struct cv_lines *out = s->r->out;
    size_t off = s->off;
    for (size_t k = s->tok; k < out->ntok; k++) {
        cv__tok_plain(&s->cur, out->tok[k].style, buf_ptr(&out->text) + off, out->tok[k].len);
        off += out->tok[k].len;
    }
    out->ntok = s->tok;
    out->text.len = s->off;
}

int
cv__json_priority(struct cv_render *r)
{
    if (r->body.len == 0 || r->ctype == NULL)
        return 0;
    const char *ct = r->ctype;
    size_t n = strlen(ct);
    if (strcmp(ct, "application/json") == 0 || strcmp(ct, "application/json-rpc") == 0)
        return 10;
    if (strncmp(ct, "application/", 12) == 0 && n >= 5 && strcmp(ct + n - 5, "+json") == 0)
        return 10;
    return 0;
}

int
cv__json_render(struct cv_render *r)
{
    struct jview *s = r->state;
    if (s == NULL) {
        struct cv__json *d;
        int rc = cv__json_get(r, cv__json_depth(r, 0), &d);
        if (rc != CV__DONE)
            return rc;
        cv__set_desc(r, "JSON");
        s = xcalloc(1, sizeof(*s));
        cv__jenc_init(&s->enc, d, 4, 1, 0);
        s->enc.chunk = on_chunk;
        s->enc.arg = s;
        cv__set_state(r, s, jview_free);
        /* Asked for everything: room for what a pretty document of this
         * size usually needs (about three times its bytes; a token per two
         * bytes; a line per eight), so the arrays are not copied as they grow. */
        if (r->stop_at == SIZE_MAX && r->body.len <= (64u << 20))
            cv__lines_reserve(r->out, r->body.len * 3, r->body.len / 2, r->body.len / 8);
    }
    s->r = r;
    restore(s);
    if (!s->enc_done && cv__jenc_run(&s->enc, enc_stop, s) == CV__DONE)
        s->enc_done = 1;
    if (s->enc_done && cv__room(r)) {
        finish_line(s); /* format_json's last "yield current_line" */
        return CV__DONE;
    }
    stash(s);
    return CV__MORE;
}
