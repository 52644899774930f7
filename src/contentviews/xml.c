/*
 * XML/HTML: 8.1.1's own prettifier, which only moves whitespace. The text
 * is cut into tags and the text between them; each token goes on a line
 * of its own, indented two spaces per open element (at most 17 deep, and
 * never for xml, doctype and html), except that <a>text</a> and <a></a>
 * stay on one line. A token spanning lines is dedented and re-indented as
 * Python's textwrap does. Void elements, comments, CDATA and "/>" tags
 * open nothing.
 *
 * The body must be UTF-8 (8.1.1 decodes it with an error handler that
 * cannot decode, so anything else falls back to Raw): it is checked first,
 * a budget at a time, then tokens are formatted as lines are asked for,
 * five at a time in view (each token's layout depends on two either side).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contentviews/internal.h"
#include "util/xmalloc.h"

#define INDENT 2
#define MAX_OPEN 16 /* ElementStack pushes nothing once more than 16 are open */

enum { TOK_TEXT, TOK_TAG };

struct token {
    int type;
    size_t off, len; /* the token's text in the body */
    /* TOK_TAG: the name (Tag.tag, compared ignoring case) in the body;
     * tag_len 0 is "<empty>", a tag without a name */
    size_t tag_off, tag_len;
    int closing, self_closing;
};

static const char *const void_elements[] = {"area", "base",  "br",     "col",    "embed",
                                            "hr",   "img",   "input",  "keygen", "link",
                                            "meta", "param", "source", "track",  "wbr"};

static int
is_tag_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

static int
starts(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && memcmp(p, s, k) == 0;
}

static int
ends(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    return n >= k && memcmp(p + n - k, s, k) == 0;
}

/*
 * The first match of [a-zA-Z0-9._:\-]+(?!=): the longest run of name
 * characters at the earliest position, one shorter if "=" follows it (a
 * run of one followed by "=" does not match at all).
 */
static void
tag_name(const uint8_t *p, size_t n, size_t *off, size_t *len)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_tag_char(p[i]))
            continue;
        size_t j = i;
        while (j < n && is_tag_char(p[j]))
            j++;
        if (j < n && p[j] == '=')
            j--;
        if (j == i)
            continue; /* "a=": try from the next position */
        *off = i, *len = j - i;
        return;
    }
    *off = 0, *len = 0;
}

static int
same_tag(const uint8_t *data, const struct token *a, const struct token *b)
{
    return a->tag_len == b->tag_len &&
           strncasecmp((const char *)data + a->tag_off, (const char *)data + b->tag_off,
                       a->tag_len) == 0;
}

static int
tag_is(const uint8_t *data, size_t off, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && strncasecmp((const char *)data + off, list[i], len) == 0)
            return 1;
    return 0;
}

/* Fills in a token's tag fields from its text. */
static void
set_tag(struct token *k, const uint8_t *data)
{
    const uint8_t *p = data + k->off;
    size_t len = k->len;
    tag_name(p, len, &k->tag_off, &k->tag_len);
    k->tag_off += k->off;
    int comment = starts(p, len, "<!--"), cdata = starts(p, len, "<![CDATA[");
    k->closing = starts(p, len, "</");
    k->self_closing = comment || cdata || ends(p, len, "/>") ||
                      tag_is(data, k->tag_off, k->tag_len, void_elements,
                             sizeof(void_elements) / sizeof(*void_elements));
}

/* A tag is done at ">", a comment at "-->", CDATA at "]]>". */
static int
tag_done(const uint8_t *p, size_t n)
{
    if (starts(p, n, "<!--"))
        return ends(p, n, "-->");
    if (starts(p, n, "<![CDATA["))
        return ends(p, n, "]]>");
    return ends(p, n, ">");
}

static int
has_text(const uint8_t *p, size_t n)
{
    size_t off, len;
    cv__strip(p, n, &off, &len);
    return len > 0;
}

/*
 * 8.1.1's tokenize(), one token per call: texts that strip to nothing are
 * dropped, a tag runs to its ">" (a comment to "-->", CDATA to "]]>"), an
 * unfinished one to the end. Returns 0 at the end of p.
 */
static int
next_token(const uint8_t *p, size_t n, size_t *pos, struct token *k)
{
    size_t i = *pos;
    while (i < n) {
        if (p[i] != '<') {
            const uint8_t *lt = memchr(p + i, '<', n - i);
            size_t end = lt ? (size_t)(lt - p) : n;
            size_t start = i;
            i = end;
            if (has_text(p + start, end - start)) {
                *k = (struct token){.type = TOK_TEXT, .off = start, .len = end - start};
                *pos = i;
                return 1;
            }
            continue;
        }
        size_t start = i;
        for (;;) {
            const uint8_t *gt = memchr(p + i, '>', n - i);
            i = gt ? (size_t)(gt - p) + 1 : n;
            if (tag_done(p + start, i - start) || i >= n)
                break;
        }
        *k = (struct token){.type = TOK_TAG, .off = start, .len = i - start};
        set_tag(k, p);
        *pos = i;
        return 1;
    }
    *pos = i;
    return 0;
}

static int
opening(const struct token *t)
{
    return t && t->type == TOK_TAG && !t->closing && !t->self_closing;
}

static int
closing(const struct token *t)
{
    return t && t->type == TOK_TAG && t->closing;
}

static int
inline_text(const struct token *a, const struct token *b, const struct token *c,
            const uint8_t *data)
{
    return a && b && c && opening(a) && b->type == TOK_TEXT &&
           memchr(data + b->off, '\n', b->len) == NULL && closing(c) && same_tag(data, a, c);
}

static int
is_inline(const struct token *w[5], const uint8_t *data)
{
    const struct token *p2 = w[0], *p1 = w[1], *t = w[2], *n1 = w[3], *n2 = w[4];
    if (t->type == TOK_TEXT)
        return inline_text(p1, t, n1, data);
    if (inline_text(p2, p1, t, data) || inline_text(t, n1, n2, data))
        return 1;
    if (n1 && n1->type == TOK_TAG && opening(t) && closing(n1) && same_tag(data, t, n1))
        return 1; /* <div></div>, the start tag */
    if (p1 && p1->type == TOK_TAG && opening(p1) && closing(t) && same_tag(data, p1, t))
        return 1; /* the end tag */
    return 0;
}

/* ElementStack: the open tags (their names in the body) and the
 * indentation they make. */
struct stack {
    size_t off[MAX_OPEN + 1], len[MAX_OPEN + 1];
    size_t n;
    size_t indent; /* spaces */
};

static const char *const no_indent[] = {"xml", "doctype", "html"};

static int
indents(const uint8_t *data, size_t off, size_t len)
{
    return !tag_is(data, off, len, no_indent, 3);
}

static void
push_tag(struct stack *s, const uint8_t *data, const struct token *t)
{
    if (s->n > MAX_OPEN)
        return;
    s->off[s->n] = t->tag_off, s->len[s->n] = t->tag_len;
    s->n++;
    if (indents(data, t->tag_off, t->tag_len))
        s->indent += INDENT;
}

static void
pop_tag(struct stack *s, const uint8_t *data, const struct token *t)
{
    size_t i = s->n;
    while (i > 0 && !(s->len[i - 1] == t->tag_len &&
                      strncasecmp((const char *)data + s->off[i - 1],
                                  (const char *)data + t->tag_off, t->tag_len) == 0))
        i--;
    if (i == 0)
        return; /* no start tag: the indentation stays */
    size_t remove = 0;
    while (s->n >= i) {
        if (indents(data, s->off[s->n - 1], s->len[s->n - 1]))
            remove += INDENT;
        s->n--;
    }
    /* Python's indent[:-0] is "": popping only html (or xml, doctype)
     * loses the whole indentation. */
    s->indent = remove == 0 || remove > s->indent ? 0 : s->indent - remove;
}

/* A line of text (between "\n"s) holding only spaces and tabs. */
static int
blank_line(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t')
            return 0;
    return 1;
}

/*
 * indent_text(): textwrap.dedent(" " * 32 + data).strip(), then
 * textwrap.indent() with prefix (at most 32 spaces).
 */
static void
indent_text(struct buf *out, const uint8_t *data, size_t n, size_t prefix, struct buf *scratch)
{
    if (prefix > 32)
        prefix = 32;
    /* One line (no character str.splitlines() breaks at): the dedent takes
     * its leading spaces and tabs, and strip() the rest. */
    size_t f = 0;
    while (f < n && data[f] != '\n' && data[f] != '\r' && data[f] != 0x0b && data[f] != 0x0c &&
           !(data[f] >= 0x1c && data[f] <= 0x1e) && data[f] != 0xc2 && data[f] != 0xe2)
        f++;
    if (f == n) {
        size_t off, len;
        cv__strip(data, n, &off, &len);
        if (len > 0) {
            static const char spaces[] = "                                ";
            buf_append(out, spaces, prefix);
            buf_append(out, data + off, len);
        }
        return;
    }
    struct buf t = BUF_INIT, d = BUF_INIT;
    buf_move(&t, scratch); /* reuse its storage */
    buf_reset(&t);
    for (int k = 0; k < 32; k++)
        buf_append(&t, " ", 1);
    buf_append(&t, data, n);

    /* dedent: blank lines emptied, then the common margin of the others
     * (tabs and spaces compared as they are) removed. */
    const uint8_t *p = buf_ptr(&t);
    size_t len = t.len, margin = 0;
    const uint8_t *mp = NULL;
    int have_margin = 0;
    for (size_t i = 0; i <= len;) {
        const uint8_t *nl = memchr(p + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - p) : len;
        if (!blank_line(p + i, e - i) && e > i) {
            size_t k = i;
            while (k < e && (p[k] == ' ' || p[k] == '\t'))
                k++;
            size_t ind = k - i;
            if (!have_margin) {
                mp = p + i, margin = ind, have_margin = 1;
            } else {
                size_t c = 0;
                while (c < margin && c < ind && mp[c] == p[i + c])
                    c++;
                margin = c;
            }
        }
        if (!nl)
            break;
        i = e + 1;
    }
    for (size_t i = 0; i <= len;) {
        const uint8_t *nl = memchr(p + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - p) : len;
        if (!blank_line(p + i, e - i)) {
            size_t skip =
                e - i >= margin && (margin == 0 || memcmp(p + i, mp, margin) == 0) ? margin : 0;
            buf_append(&d, p + i + skip, e - i - skip);
        }
        if (!nl)
            break;
        buf_append(&d, "\n", 1);
        i = e + 1;
    }

    size_t off, slen;
    cv__strip(buf_ptr(&d), d.len, &off, &slen);
    const uint8_t *s = buf_ptr(&d) + off;
    for (size_t j = 0; j < slen;) {
        size_t brk;
        size_t ln = cv__line_len(s + j, slen - j, &brk);
        if (has_text(s + j, ln + brk))
            for (size_t k = 0; k < prefix; k++)
                buf_append(out, " ", 1);
        buf_append(out, s + j, ln + brk);
        j += ln + brk;
    }
    buf_move(scratch, &t);
    buf_clear(&d);
}

/* The render's state. */
struct xml {
    size_t vpos;         /* how far the body is checked */
    int html;            /* "html" is in it (the description) */
    size_t tpos;         /* the tokenizer's position */
    int eof;             /* no token left */
    struct token win[5]; /* token k in win[k % 5] */
    size_t have;         /* tokens read */
    size_t next;         /* the token to format next */
    struct stack st;
    struct buf pending; /* formatted text not yet cut into lines */
    struct buf scratch; /* indent_text's */
};

static void
xml_free(void *p)
{
    struct xml *x = p;
    buf_clear(&x->pending);
    buf_clear(&x->scratch);
    free(x);
}

/* format_xml() for token k, appended to out. */
static void
format_token(struct xml *x, const uint8_t *data, size_t k, struct buf *out)
{
    const struct token *w[5];
    for (int j = 0; j < 5; j++) {
        size_t t = k + (size_t)j; /* t - 2 is the token in view */
        w[j] = t >= 2 && t - 2 < x->have ? &x->win[(t - 2) % 5] : NULL;
    }
    const struct token *tok = w[2];
    const uint8_t *p = data + tok->off;
    if (tok->type == TOK_TAG) {
        if (opening(tok)) {
            indent_text(out, p, tok->len, x->st.indent, &x->scratch);
            if (!is_inline(w, data))
                buf_append(out, "\n", 1);
            push_tag(&x->st, data, tok);
        } else if (tok->closing) {
            pop_tag(&x->st, data, tok);
            if (is_inline(w, data))
                buf_append(out, p, tok->len);
            else
                indent_text(out, p, tok->len, x->st.indent, &x->scratch);
            buf_append(out, "\n", 1);
        } else {
            indent_text(out, p, tok->len, x->st.indent, &x->scratch);
            buf_append(out, "\n", 1);
        }
    } else if (is_inline(w, data)) {
        size_t off, len;
        cv__strip(p, tok->len, &off, &len);
        buf_append(out, p + off, len);
    } else {
        indent_text(out, p, tok->len, x->st.indent, &x->scratch);
        buf_append(out, "\n", 1);
    }
}

/* Hands out the complete lines of pending (all of it at the end). */
static int
drain(struct cv_render *r, struct xml *x, int end)
{
    const uint8_t *p = buf_ptr(&x->pending);
    size_t n = x->pending.len, i = 0;
    while (i < n && cv__room(r)) {
        size_t brk, len = cv__line_len(p + i, n - i, &brk);
        /* A line is complete at its break, but a CR at the very end may
         * yet be the first half of a CRLF. */
        if (!end && (brk == 0 || (brk == 1 && p[i + len] == '\r' && i + len + 1 == n)))
            break;
        cv__line(r->out);
        cv__tok(r->out, CV_STYLE_TEXT, p + i, len);
        i += len + brk;
    }
    buf_consume(&x->pending, i);
    return x->pending.len == 0 || !end ? CV__DONE : CV__MORE;
}

int
cv__xml_priority(struct cv_render *r)
{
    if (r->body.len == 0)
        return 0;
    if (r->ctype && (strcmp(r->ctype, "text/xml") == 0 || strcmp(r->ctype, "text/html") == 0))
        return 10;
    /* strutils.is_xml: the first byte that is not tab, LF or space is "<". */
    const uint8_t *p = cv__data(r);
    for (size_t i = 0; i < r->body.len; i++)
        if (p[i] != 9 && p[i] != 10 && p[i] != 32)
            return p[i] == '<' ? 4 : 0;
    return 0;
}

int
cv__xml_render(struct cv_render *r)
{
    const uint8_t *p = cv__data(r);
    size_t n = r->body.len;
    struct xml *x = r->state;
    if (x == NULL) {
        x = xcalloc(1, sizeof(*x));
        cv__set_state(r, x, xml_free);
    }
    /* The whole body must decode as UTF-8 before a line is shown; the
     * description says HTML if "html" is in data.lower() (no character
     * but ASCII lower-cases to those letters). */
    while (x->vpos < n) {
        if (!cv__spend(r, 0))
            return CV__MORE;
        size_t chunk = r->budget < 65536 ? r->budget : 65536;
        size_t end = n - x->vpos > chunk ? x->vpos + chunk : n;
        uint32_t cp;
        for (size_t i = x->vpos; i < end;) {
            if (!x->html && (p[i] | 0x20) == 'h' && n - i >= 4 &&
                strncasecmp((const char *)p + i, "html", 4) == 0)
                x->html = 1;
            if (p[i] < 0x80) {
                i++;
                continue;
            }
            size_t k = cv__utf8_next(p + i, n - i, &cp);
            if (k == 0)
                return CV__FAIL;
            i += k;
            end = i > end ? i : end;
        }
        cv__spend(r, end - x->vpos);
        x->vpos = end;
    }
    if (!r->have_desc)
        cv__set_desc(r, x->html ? "HTML" : "XML");
    for (;;) {
        drain(r, x, 0);
        if (!cv__room(r) || !cv__spend(r, 0))
            return CV__MORE;
        /* Token next needs the two after it read. */
        while (!x->eof && x->have < x->next + 3) {
            if (next_token(p, n, &x->tpos, &x->win[x->have % 5]))
                x->have++;
            else
                x->eof = 1;
        }
        if (x->next >= x->have)
            return drain(r, x, 1);
        format_token(x, p, x->next, &x->pending);
        cv__spend(r, x->win[x->next % 5].len + 1);
        x->next++;
    }
}
