/*
 * The grammar, as mitmproxy builds it with pyparsing:
 *
 *   filter  = expr+                   (juxtaposed expressions are and-ed)
 *   expr    = and ("|" and)*
 *   and     = not ("&" not)*
 *   not     = "!" not | base
 *   base    = atom | "(" expr ")"
 *   atom    = "~" name [regex | digits] | regex     (a bare regex is ~u)
 *   regex   = word | "..." | '...'
 *
 * pyparsing backtracks: an operator that is not followed by an operand is
 * not an operator ("a &" is "a" and the bare word "&"), and "!" or "&" at the
 * start of an operand begin a bare word. The recursive descent below tries
 * each alternative from a saved position in the same order to agree with
 * it. An operator name must end at whitespace or the end ("~s)" is an
 * error), as pyparsing's WordEnd demands. A regex that does not compile
 * stops the parse at once, as the ValueError in mitmproxy's parse action
 * does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/internal.h"
#include "util/json.h"
#include "util/xmalloc.h"

struct parser {
    const char *s;
    size_t n;
    size_t pos;
    int icase;
    /* The furthest position a token failed at and why: the error to show. */
    size_t far;
    char why[160];
    int have_why;
    /* A regex did not compile: the whole parse fails with rexerr. */
    int fatal;
    char rexerr[256];
};

static void
fail(struct parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
fail(struct parser *p, size_t at, const char *fmt, ...)
{
    if (p->have_why && at < p->far)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->why, sizeof(p->why), fmt, ap);
    va_end(ap);
    p->far = at;
    p->have_why = 1;
}

static void
skip_ws(struct parser *p)
{
    while (p->pos < p->n && filt__is_ws((unsigned char)p->s[p->pos]))
        p->pos++;
}

static struct filt_node *
node_new(enum filt_kind kind)
{
    struct filt_node *nd = xcalloc(1, sizeof(*nd));
    nd->kind = kind;
    return nd;
}

static void
add_kid(struct filt_node *nd, struct filt_node *kid)
{
    nd->kids = xrealloc(nd->kids, (nd->nkids + 1) * sizeof(*nd->kids));
    nd->kids[nd->nkids++] = kid;
}

void
filt__node_free(struct filt_node *nd)
{
    if (!nd)
        return;
    for (size_t i = 0; i < nd->nkids; i++)
        filt__node_free(nd->kids[i]);
    free(nd->kids);
    free(nd->regex);
    free(nd->num);
    pcre2_code_free(nd->re);
    free(nd);
}

/* A regex argument at p->pos (after whitespace): 1, or 0 if there is none,
 * or -1 if a quoted string does not end. */
static int
regex_token(struct parser *p, struct buf *out)
{
    skip_ws(p);
    const char *s = p->s + p->pos;
    size_t left = p->n - p->pos;
    if (left == 0)
        return 0;
    if (s[0] == '"' || s[0] == '\'') {
        size_t used = filt__scan_quoted(s, left, out);
        if (used == 0) {
            fail(p, p->pos, "unterminated quoted string");
            return -1;
        }
        p->pos += used;
        return 1;
    }
    size_t w = filt__scan_word(s, left);
    if (w == 0)
        return 0;
    buf_append(out, s, w);
    p->pos += w;
    return 1;
}

static struct filt_node *
op_node(struct parser *p, const struct filt_opinfo *op, struct buf *rex)
{
    struct filt_node *nd = node_new(FN_OP);
    nd->op = op;
    if (op->arg != FARG_REGEX)
        return nd;
    nd->regex = buf_strdup(rex);
    char msg[120];
    nd->re = filt__rex_compile(nd->regex, rex->len, op->rexflags, p->icase, msg, sizeof(msg));
    if (!nd->re) {
        snprintf(p->rexerr, sizeof(p->rexerr), "invalid regular expression '%.40s' in ~%.10s: %s",
                 nd->regex, op->name, msg);
        p->fatal = 1;
        filt__node_free(nd);
        return NULL;
    }
    return nd;
}

static struct filt_node *
atom(struct parser *p)
{
    skip_ws(p);
    size_t start = p->pos;
    if (start >= p->n) {
        fail(p, start, "expected a filter expression");
        return NULL;
    }
    struct buf rex = BUF_INIT;
    struct filt_node *nd = NULL;
    if (p->s[start] == '~') {
        size_t i = start + 1;
        /* The name runs to whitespace or the end (pyparsing's WordEnd over
         * printable ASCII); report the letters part when it is bad. */
        size_t e = i;
        while (e < p->n && (unsigned char)p->s[e] > 32 && (unsigned char)p->s[e] < 127)
            e++;
        size_t l = i;
        while (l < e && ((p->s[l] >= 'a' && p->s[l] <= 'z') || (p->s[l] >= 'A' && p->s[l] <= 'Z')))
            l++;
        const struct filt_opinfo *op = filt__op_lookup(p->s + i, e - i);
        if (!op) {
            const struct filt_opinfo *prefix = filt__op_lookup(p->s + i, l - i);
            if (l == i)
                fail(p, start, "expected an operator name after '~'");
            else if (prefix && l < e)
                fail(p, l, "unexpected '%c' after ~%s (an operator ends at a space)", p->s[l],
                     prefix->name);
            else
                fail(p, start, "unknown operator '~%.*s'", (int)(e - i), p->s + i);
            return NULL;
        }
        p->pos = e;
        if (op->arg == FARG_REGEX) {
            int rc = regex_token(p, &rex);
            if (rc <= 0) {
                if (rc == 0)
                    fail(p, p->pos, "~%s needs a regular expression", op->name);
                p->pos = start;
                buf_clear(&rex);
                return NULL;
            }
        } else if (op->arg == FARG_INT) {
            skip_ws(p);
            size_t d = p->pos;
            while (d < p->n && p->s[d] >= '0' && p->s[d] <= '9')
                d++;
            if (d == p->pos) {
                fail(p, p->pos, "~%s needs a number", op->name);
                p->pos = start;
                return NULL;
            }
            nd = op_node(p, op, NULL);
            size_t z = p->pos;
            while (z + 1 < d && p->s[z] == '0')
                z++;
            nd->num = xmalloc(d - z + 1);
            memcpy(nd->num, p->s + z, d - z);
            nd->num[d - z] = 0;
            nd->code = d - z <= 6 ? strtol(nd->num, NULL, 10) : -1;
            p->pos = d;
            return nd;
        }
        nd = op_node(p, op, &rex);
        buf_clear(&rex);
        return nd;
    }
    int rc = regex_token(p, &rex);
    if (rc <= 0) {
        if (rc == 0)
            fail(p, start, "expected a filter expression");
        p->pos = start;
        return NULL;
    }
    nd = op_node(p, filt__op_lookup("u", 1), &rex);
    buf_clear(&rex);
    return nd;
}

static struct filt_node *expr(struct parser *p);

static struct filt_node *
base(struct parser *p)
{
    size_t save = p->pos;
    struct filt_node *nd = atom(p);
    if (nd || p->fatal)
        return nd;
    p->pos = save;
    skip_ws(p);
    if (p->pos >= p->n || p->s[p->pos] != '(') {
        p->pos = save;
        return NULL;
    }
    p->pos++;
    nd = expr(p);
    if (!nd) {
        p->pos = save;
        return NULL;
    }
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == ')') {
        p->pos++;
        return nd;
    }
    fail(p, p->pos, "missing ')'");
    filt__node_free(nd);
    p->pos = save;
    return NULL;
}

static struct filt_node *
not_expr(struct parser *p)
{
    size_t save = p->pos;
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == '!') {
        p->pos++;
        struct filt_node *kid = not_expr(p);
        if (kid) {
            struct filt_node *nd = node_new(FN_NOT);
            add_kid(nd, kid);
            return nd;
        }
        if (p->fatal)
            return NULL;
        p->pos = save;
    }
    return base(p);
}

/* One precedence level of a left-associative binary operator. */
static struct filt_node *
binary(struct parser *p, char opch, enum filt_kind kind, struct filt_node *(*sub)(struct parser *))
{
    struct filt_node *first = sub(p);
    if (!first)
        return NULL;
    struct filt_node *nd = NULL;
    for (;;) {
        size_t save = p->pos;
        skip_ws(p);
        if (p->pos >= p->n || p->s[p->pos] != opch) {
            p->pos = save;
            break;
        }
        p->pos++;
        struct filt_node *next = sub(p);
        if (!next) {
            p->pos = save;
            if (p->fatal) {
                filt__node_free(nd ? nd : first);
                return NULL;
            }
            break;
        }
        if (!nd) {
            nd = node_new(kind);
            add_kid(nd, first);
        }
        add_kid(nd, next);
    }
    return nd ? nd : first;
}

static struct filt_node *
and_expr(struct parser *p)
{
    return binary(p, '&', FN_AND, not_expr);
}

static struct filt_node *
expr(struct parser *p)
{
    return binary(p, '|', FN_OR, and_expr);
}

static int
case_sensitive(void)
{
    const char *v = getenv("MITMPROXY_CASE_SENSITIVE_FILTERS");
    return v && strcmp(v, "1") == 0;
}

struct filt *
filt_compile(const char *s, struct err *e)
{
    if (!s || !*s) {
        err_set(e, MP_ERR_SYNTAX, "filter: empty expression");
        return NULL;
    }
    struct parser p = {.s = s, .n = strlen(s), .icase = !case_sensitive()};
    /* Juxtaposed expressions are and-ed; one alone is itself. */
    struct filt_node *seq = node_new(FN_AND), *root = NULL;
    struct filt_node *nd;
    while ((nd = expr(&p)) != NULL)
        add_kid(seq, nd);
    if (seq->nkids == 1) {
        root = seq->kids[0];
        seq->nkids = 0;
        filt__node_free(seq);
    } else if (seq->nkids > 1) {
        root = seq;
    } else {
        filt__node_free(seq);
    }
    if (!p.fatal && root) {
        skip_ws(&p);
        if (p.pos == p.n) {
            struct filt *f = xmalloc(sizeof(*f));
            f->root = root;
            return f;
        }
        /* A token that failed right here already says why ("unknown
         * operator '~zz'"); "unexpected '~'" would say less. */
        if (!(p.have_why && p.far == p.pos))
            fail(&p, p.pos, "unexpected '%c'", p.s[p.pos]);
    }
    filt__node_free(root);
    if (p.fatal)
        err_set(e, MP_ERR_SYNTAX, "filter: %s", p.rexerr);
    else if (p.have_why && p.far >= p.n)
        err_set(e, MP_ERR_SYNTAX, "filter: %s at the end (column %zu)", p.why, p.far + 1);
    else if (p.have_why)
        err_set(e, MP_ERR_SYNTAX, "filter: %s at column %zu", p.why, p.far + 1);
    else
        err_set(e, MP_ERR_SYNTAX, "filter: invalid expression");
    return NULL;
}

void
filt_free(struct filt *f)
{
    if (!f)
        return;
    filt__node_free(f->root);
    free(f);
}

int
filt_match(const struct filt *f, const struct flow *fl)
{
    return filt__eval(f->root, fl, NULL, 0);
}

int
filt_match_text(const struct filt *f, const struct flow *fl, const struct filt_text *t)
{
    return filt__eval(f->root, fl, t, 0);
}

int
filt_match_partial(const struct filt *f, const struct flow *fl, unsigned missing)
{
    return filt__eval(f->root, fl, NULL, missing);
}

static void
ast(const struct filt_node *nd, struct json *w)
{
    json_object_begin(w);
    switch (nd->kind) {
    case FN_AND:
    case FN_OR:
        json_key(w, nd->kind == FN_AND ? "and" : "or");
        json_array_begin(w);
        for (size_t i = 0; i < nd->nkids; i++)
            ast(nd->kids[i], w);
        json_array_end(w);
        break;
    case FN_NOT:
        json_key(w, "not");
        ast(nd->kids[0], w);
        break;
    case FN_OP: {
        char name[16];
        snprintf(name, sizeof(name), "~%s", nd->op->name);
        json_key(w, "op");
        json_string(w, name);
        if (nd->op->arg == FARG_REGEX) {
            json_key(w, "regex");
            json_string(w, nd->regex);
        } else if (nd->op->arg == FARG_INT) {
            json_key(w, "num");
            json_raw(w, nd->num);
        }
        break;
    }
    }
    json_object_end(w);
}

void
filt_ast_json(const struct filt *f, struct buf *out)
{
    struct json w;
    json_init(&w, out, 0);
    ast(f->root, &w);
    json_clear(&w);
}
