/*
 * The parser: a hand-written recursive descent over pathod's grammar
 * (pathod used pyparsing in its language package). Like pathod, the ':' between
 * features is optional, keywords such as `ws`, `r`, method names and
 * opcode names ignore case, and everything else is case-sensitive.
 *
 * Errors name the first offending offset and draw a caret under it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pathod/internal.h"
#include "util/hex.h"
#include "util/xmalloc.h"

struct parser {
    const char *s;
    size_t len;
    size_t pos;
    struct err *e;
    int failed;
};

static int fail(struct parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Shows up to 60 characters around off, non-printables as '?', and a caret under off. */
static int
fail(struct parser *p, size_t off, const char *fmt, ...)
{
    if (p->failed)
        return -1;
    p->failed = 1;
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    size_t start = off > 30 ? off - 30 : 0;
    size_t end = start + 60 < p->len ? start + 60 : p->len;
    char win[64];
    size_t k = 0;
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)p->s[i];
        win[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    win[k] = '\0';
    err_set(p->e, MP_ERR_SYNTAX, "parse error at offset %zu: %s\n  %s\n  %*s^", off, what, win,
            (int)(off - start), "");
    return -1;
}

static int
peek(const struct parser *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int
at_end(const struct parser *p)
{
    return p->pos >= p->len;
}

/* Case-insensitive keyword match at the cursor; consumes it on success. */
static int
keyword(struct parser *p, const char *kw)
{
    size_t n = strlen(kw);
    if (p->len - p->pos >= n && strncasecmp(p->s + p->pos, kw, n) == 0) {
        p->pos += n;
        return 1;
    }
    return 0;
}

static int
literal(struct parser *p, const char *kw)
{
    size_t n = strlen(kw);
    if (p->len - p->pos >= n && memcmp(p->s + p->pos, kw, n) == 0) {
        p->pos += n;
        return 1;
    }
    return 0;
}

static int
parse_int(struct parser *p, uint64_t *out)
{
    size_t start = p->pos;
    uint64_t v = 0;
    if (!isdigit(peek(p)))
        return fail(p, p->pos, "expected an integer");
    while (isdigit(peek(p))) {
        unsigned d = (unsigned)(p->s[p->pos] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return fail(p, start, "integer too large");
        v = v * 10 + d;
        p->pos++;
    }
    *out = v;
    return 0;
}

/* Python's escape_decode over s[a..b), the escapes of a bytes literal. */
static int
unescape(struct parser *p, size_t a, size_t b, struct buf *out)
{
    for (size_t i = a; i < b; i++) {
        char c = p->s[i];
        if (c != '\\' || i + 1 >= b) {
            if (c == '\\')
                return fail(p, i, "trailing backslash");
            buf_append(out, &c, 1);
            continue;
        }
        char n = p->s[++i];
        uint8_t x;
        switch (n) {
        case '\\':
        case '\'':
        case '"':
            buf_append(out, &n, 1);
            break;
        case 'n':
            buf_append_str(out, "\n");
            break;
        case 'r':
            buf_append_str(out, "\r");
            break;
        case 't':
            buf_append_str(out, "\t");
            break;
        case 'a':
            buf_append_str(out, "\a");
            break;
        case 'b':
            buf_append_str(out, "\b");
            break;
        case 'f':
            buf_append_str(out, "\f");
            break;
        case 'v':
            buf_append_str(out, "\v");
            break;
        case '\n':
            break;
        case 'x': {
            int h1 = i + 1 < b ? hex_value((unsigned char)p->s[i + 1]) : -1;
            int h2 = i + 2 < b ? hex_value((unsigned char)p->s[i + 2]) : -1;
            if (h1 < 0 || h2 < 0)
                return fail(p, i - 1, "invalid \\x escape");
            x = (uint8_t)(h1 * 16 + h2);
            buf_append(out, &x, 1);
            i += 2;
            break;
        }
        default:
            if (n >= '0' && n <= '7') {
                unsigned v = (unsigned)(n - '0');
                for (int k = 0; k < 2 && i + 1 < b && p->s[i + 1] >= '0' && p->s[i + 1] <= '7'; k++)
                    v = v * 8 + (unsigned)(p->s[++i] - '0');
                x = (uint8_t)v;
                buf_append(out, &x, 1);
            } else {
                buf_append(out, "\\", 1);
                buf_append(out, &n, 1);
            }
        }
    }
    return 0;
}

/* A quoted literal at the cursor ('...' or "..."), escapes applied. */
static int
parse_quoted(struct parser *p, struct pval *v)
{
    size_t start = p->pos;
    char q = p->s[p->pos++];
    size_t a = p->pos;
    while (!at_end(p) && p->s[p->pos] != q) {
        if (p->s[p->pos] == '\\' && p->pos + 1 < p->len)
            p->pos++;
        p->pos++;
    }
    if (at_end(p))
        return fail(p, start, "unterminated string");
    size_t b = p->pos++;
    pval_free(v);
    v->kind = PV_LIT;
    return unescape(p, a, b, &v->lit);
}

static int
naked_char(int c)
{
    return c > 0x20 && c < 0x7f && !strchr(",:@'\"", c);
}

static int
parse_naked(struct parser *p, struct pval *v)
{
    size_t a = p->pos;
    while (naked_char(peek(p)))
        p->pos++;
    if (p->pos == a)
        return fail(p, a, "expected a value");
    pval_free(v);
    v->kind = PV_LIT;
    v->naked = 1;
    return unescape(p, a, p->pos, &v->lit);
}

static int
parse_generator(struct parser *p, struct pval *v)
{
    p->pos++; /* '@' */
    pval_free(v);
    v->kind = PV_GEN;
    v->unit = 'b';
    v->dtype = GEN_BYTES;
    if (parse_int(p, &v->usize) < 0)
        return -1;
    int c = peek(p);
    if (c >= 0 && strchr("bkmgt", c)) {
        v->unit = (char)c;
        p->pos++;
    }
    /*
     * A petabyte per value keeps every sum of lengths far from overflowing
     * and is still more than anyone can send.
     */
    uint64_t mult = 1ull << (10 * (strchr("bkmgt", v->unit) - "bkmgt"));
    if (v->usize > (1ull << 50) / mult)
        return fail(p, p->pos - 1, "generated size too large");
    if (peek(p) != ',')
        return 0;
    /* The longest data type name wins: ascii_letters before ascii. */
    int best = -1;
    size_t bestlen = 0;
    for (int i = 0; i < GEN_NTYPES; i++) {
        size_t n = strlen(pathod_gen_types[i].name);
        if (p->len - p->pos - 1 >= n &&
            memcmp(p->s + p->pos + 1, pathod_gen_types[i].name, n) == 0 && n > bestlen) {
            best = i;
            bestlen = n;
        }
    }
    if (best < 0)
        return 0; /* the comma belongs to whatever follows, as in pathod */
    p->pos += 1 + bestlen;
    v->dtype = best;
    /* Our extension: ",s<hex>" fixes the seed, so printed specs stay reproducible. */
    if (p->pos + 2 < p->len && p->s[p->pos] == ',' && p->s[p->pos + 1] == 's' &&
        hex_value((unsigned char)p->s[p->pos + 2]) >= 0) {
        p->pos += 2;
        size_t a = p->pos;
        uint64_t seed = 0;
        while (hex_value(peek(p)) >= 0) {
            if (p->pos - a >= 16)
                return fail(p, a, "seed longer than 16 hex digits");
            seed = seed * 16 + (uint64_t)hex_value(peek(p));
            p->pos++;
        }
        v->seed = seed;
        v->seeded = 1;
    }
    return 0;
}

static int
parse_value(struct parser *p, struct pval *v, int allow_naked)
{
    int c = peek(p);
    if (c == '@')
        return parse_generator(p, v);
    if (c == '<') {
        p->pos++;
        c = peek(p);
        int rc = c == '\'' || c == '"' ? parse_quoted(p, v) : parse_naked(p, v);
        if (rc < 0)
            return rc;
        v->kind = PV_FILE;
        v->naked = 0;
        return 0;
    }
    if (c == '\'' || c == '"')
        return parse_quoted(p, v);
    if (allow_naked && naked_char(c))
        return parse_naked(p, v);
    return fail(p, p->pos, "expected a value");
}

static int
parse_offset(struct parser *p, struct ptok *t)
{
    int c = peek(p);
    if (c == 'r' || c == 'a') {
        t->off_kind = (char)c;
        p->pos++;
        return 0;
    }
    if (!isdigit(c))
        return fail(p, p->pos, "expected an offset (integer, r or a)");
    t->off_kind = 'n';
    return parse_int(p, &t->off);
}

static int
expect_comma(struct parser *p)
{
    if (peek(p) != ',')
        return fail(p, p->pos, "expected ','");
    p->pos++;
    return 0;
}

/* Actions shared by every message kind: p, d, i. Returns 1 if one matched. */
static int
parse_action(struct parser *p, struct pmsg *m)
{
    int c = peek(p);
    if (c == 'p') {
        p->pos++;
        struct ptok *t = pmsg_add(m, T_PAUSE);
        if (parse_offset(p, t) < 0 || expect_comma(p) < 0)
            return -1;
        if (peek(p) == 'f') {
            p->pos++;
            t->secs = -1;
            return 1;
        }
        uint64_t s;
        if (parse_int(p, &s) < 0)
            return -1;
        if (s > INT64_MAX)
            return fail(p, p->pos - 1, "pause too long");
        t->secs = (int64_t)s;
        return 1;
    }
    if (c == 'd') {
        p->pos++;
        return parse_offset(p, pmsg_add(m, T_DISC)) < 0 ? -1 : 1;
    }
    if (c == 'i') {
        p->pos++;
        struct ptok *t = pmsg_add(m, T_INJECT);
        if (parse_offset(p, t) < 0 || expect_comma(p) < 0 || parse_value(p, &t->val, 0) < 0)
            return -1;
        return 1;
    }
    return 0;
}

static int
parse_header(struct parser *p, struct pmsg *m)
{
    p->pos++;
    struct ptok *t = pmsg_add(m, T_HEADER);
    t->hkind = 'h';
    if (parse_value(p, &t->key, 0) < 0)
        return -1;
    if (peek(p) != '=')
        return fail(p, p->pos, "expected '='");
    p->pos++;
    return parse_value(p, &t->val, 0);
}

static int
parse_shortcut(struct parser *p, struct pmsg *m, char hkind)
{
    p->pos++;
    struct ptok *t = pmsg_add(m, T_HEADER);
    t->hkind = hkind;
    if (hkind == 'u') {
        /* Full names first, then pathod's one-letter shortcuts. */
        static const char letters[] = "albcfgiphs";
        for (int i = 0; i < 10; i++) {
            if (keyword(p, pathod_ua_names[i])) {
                t->ua = i;
                return 0;
            }
        }
        int c = tolower(peek(p));
        const char *l = c > 0 ? strchr(letters, c) : NULL;
        if (l && *l) {
            p->pos++;
            t->ua = (int)(l - letters);
            return 0;
        }
        return parse_value(p, &t->val, 0);
    }
    return parse_value(p, &t->val, 1);
}

static int
parse_value_tok(struct parser *p, struct pmsg *m, enum ptok_type type, int naked)
{
    p->pos++;
    return parse_value(p, &pmsg_add(m, type)->val, naked);
}

static int
parse_response_atom(struct parser *p, struct pmsg *m)
{
    int rc = parse_action(p, m);
    if (rc)
        return rc < 0 ? -1 : 0;
    switch (peek(p)) {
    case 'h':
        return parse_header(p, m);
    case 'c':
    case 'l':
        return parse_shortcut(p, m, (char)peek(p));
    case 'r':
    case 'R':
        p->pos++;
        pmsg_add(m, T_RAW);
        return 0;
    case 'm':
        return parse_value_tok(p, m, T_REASON, 1);
    case 'b':
        return parse_value_tok(p, m, T_BODY, 1);
    default:
        return fail(p, p->pos, "unknown response feature");
    }
}

static int
parse_request_atom(struct parser *p, struct pmsg *m)
{
    int rc = parse_action(p, m);
    if (rc)
        return rc < 0 ? -1 : 0;
    struct ptok *t;
    switch (peek(p)) {
    case 'h':
        return parse_header(p, m);
    case 'c':
    case 'u':
        return parse_shortcut(p, m, (char)peek(p));
    case 'r':
    case 'R':
        p->pos++;
        pmsg_add(m, T_RAW);
        return 0;
    case 's': {
        p->pos++;
        size_t at = p->pos;
        if (peek(p) != '\'' && peek(p) != '"')
            return fail(p, p->pos, "expected a quoted response spec");
        t = pmsg_add(m, T_NESTED);
        if (parse_quoted(p, &t->val) < 0)
            return -1;
        struct err ne;
        t->nested = pathod_parse_msg(PATHOD_RESPONSE, (const char *)buf_ptr(&t->val.lit),
                                     t->val.lit.len, &ne);
        if (!t->nested) {
            char *nl = strchr(ne.msg, '\n');
            return fail(p, at, "invalid embedded response: %.*s",
                        nl ? (int)(nl - ne.msg) : (int)strlen(ne.msg), ne.msg);
        }
        return 0;
    }
    case 'b':
        return parse_value_tok(p, m, T_BODY, 1);
    case 'x':
        p->pos++;
        return parse_int(p, &pmsg_add(m, T_TIMES)->num);
    default:
        return fail(p, p->pos, "unknown request feature");
    }
}

static int
parse_bool(struct parser *p, struct pmsg *m)
{
    static const struct {
        const char *name;
        enum ptok_type type;
    } flags[] = {
        {"fin", T_FIN}, {"rsv1", T_RSV1}, {"rsv2", T_RSV2}, {"rsv3", T_RSV3}, {"mask", T_MASK}};
    size_t save = p->pos;
    int on = 1;
    if (peek(p) == '-') {
        on = 0;
        p->pos++;
    }
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (literal(p, flags[i].name)) {
            pmsg_add(m, flags[i].type)->on = on;
            return 1;
        }
    }
    p->pos = save;
    return 0;
}

static int
parse_frame_atom(struct parser *p, struct pmsg *m)
{
    int rc = parse_action(p, m);
    if (rc)
        return rc < 0 ? -1 : 0;
    if (parse_bool(p, m))
        return 0;
    if (keyword(p, "knone")) {
        pmsg_add(m, T_KNONE);
        return 0;
    }
    struct ptok *t;
    size_t at = p->pos;
    switch (peek(p)) {
    case 'c':
        p->pos++;
        t = pmsg_add(m, T_OPCODE);
        for (int i = 0; i < 6; i++) {
            if (keyword(p, pathod_opcode_names[i])) {
                t->name = i;
                t->num = (uint64_t)pathod_opcode_values[i];
                return 0;
            }
        }
        if (parse_int(p, &t->num) < 0)
            return -1;
        if (t->num > 15)
            return fail(p, at + 1, "opcode can't exceed 15");
        return 0;
    case 'l':
        p->pos++;
        return parse_int(p, &pmsg_add(m, T_LENGTH)->num);
    case 'k':
        p->pos++;
        t = pmsg_add(m, T_KEY);
        if (parse_value(p, &t->val, 1) < 0)
            return -1;
        if (t->val.kind != PV_FILE && pval_len(&t->val) != 4)
            return fail(p, at + 1, "invalid key length: %llu bytes, should be 4",
                        (unsigned long long)pval_len(&t->val));
        return 0;
    case 'x':
        p->pos++;
        return parse_int(p, &pmsg_add(m, T_TIMES)->num);
    case 'b':
        return parse_value_tok(p, m, T_BODY, 1);
    case 'r':
        return parse_value_tok(p, m, T_RAWBODY, 1);
    default:
        return fail(p, p->pos, "unknown frame feature");
    }
}

/* pathod's unique_name: the clause kinds a message may hold once. */
static const char *
unique_name(enum ptok_type t)
{
    switch (t) {
    case T_WS:
        return "ws";
    case T_CODE:
        return "statuscode";
    case T_METHOD:
        return "method";
    case T_PATH:
        return "path";
    case T_RAW:
        return "raw";
    case T_REASON:
        return "reason";
    case T_BODY:
    case T_RAWBODY:
        return "body";
    case T_NESTED:
        return "nestedresponse";
    case T_TIMES:
        return "times";
    case T_DISC:
        return "disconnectat";
    case T_OPCODE:
        return "opcode";
    case T_LENGTH:
        return "length";
    case T_FIN:
        return "fin";
    case T_RSV1:
        return "rsv1";
    case T_RSV2:
        return "rsv2";
    case T_RSV3:
        return "rsv3";
    case T_MASK:
        return "mask";
    case T_KEY:
    case T_KNONE:
        return "key";
    default:
        return NULL;
    }
}

static int
check_unique(struct parser *p, struct pmsg *m, size_t at)
{
    const struct ptok *last = &m->t[m->n - 1];
    const char *u = unique_name(last->type);
    if (!u)
        return 0;
    for (size_t i = 0; i + 1 < m->n; i++) {
        const char *o = unique_name(m->t[i].type);
        if (o && strcmp(o, u) == 0)
            return fail(p, at, "message has multiple %s clauses, but should only have one", u);
    }
    return 0;
}

/* Method: a standard name (any case) or a quoted/generated value. */
static int
parse_method(struct parser *p, struct pmsg *m)
{
    struct ptok *t = pmsg_add(m, T_METHOD);
    for (int i = 0; i < 8; i++) {
        if (keyword(p, pathod_methods[i])) {
            t->method = i;
            return 0;
        }
    }
    int c = peek(p);
    if (c == '\'' || c == '"' || c == '@' || c == '<')
        return parse_value(p, &t->val, 0);
    return fail(p, p->pos, "expected a method");
}

static int
parse_code(struct parser *p, struct pmsg *m)
{
    size_t at = p->pos;
    struct ptok *t = pmsg_add(m, T_CODE);
    if (parse_int(p, &t->num) < 0)
        return -1;
    if (t->num > 999999999)
        return fail(p, at, "response code too large");
    return 0;
}

static void
opt_sep(struct parser *p)
{
    if (peek(p) == ':')
        p->pos++;
}

static int
parse_head(struct parser *p, struct pmsg *m)
{
    size_t save = p->pos;
    switch (m->kind) {
    case PATHOD_RESPONSE:
        if (keyword(p, "ws")) {
            pmsg_add(m, T_WS);
            save = p->pos;
            opt_sep(p);
            if (isdigit(peek(p)))
                return parse_code(p, m);
            p->pos = save;
            return 0;
        }
        if (!isdigit(peek(p)))
            return fail(p, p->pos, "expected a response code or ws");
        return parse_code(p, m);
    case PATHOD_REQUEST:
        if (keyword(p, "ws")) {
            pmsg_add(m, T_WS);
            save = p->pos;
            opt_sep(p);
            int c = peek(p);
            /* A method may follow; otherwise this is already the path. */
            if (c == '\'' || c == '"' || c == '@' || c == '<' || isalpha(c)) {
                size_t n = m->n;
                struct parser q = *p;
                struct err ignore;
                q.e = &ignore;
                if (parse_method(&q, m) == 0) {
                    p->pos = q.pos;
                    goto path;
                }
                while (m->n > n)
                    pval_free(&m->t[--m->n].val);
            }
            p->pos = save;
        } else if (parse_method(p, m) < 0) {
            return -1;
        }
    path:
        opt_sep(p);
        return parse_value(p, &pmsg_add(m, T_PATH)->val, 1);
    case PATHOD_FRAME:
        if (!keyword(p, "wf"))
            return fail(p, p->pos, "expected wf");
        pmsg_add(m, T_WF);
        return 0;
    }
    return -1;
}

static struct pmsg *
parse_one(struct parser *p, enum pathod_kind kind, int stop_at_space)
{
    struct pmsg *m = pmsg_new(kind);
    if (parse_head(p, m) < 0)
        goto bad;
    for (;;) {
        if (at_end(p) || (stop_at_space && isspace(peek(p))))
            break;
        opt_sep(p);
        if (at_end(p) || (stop_at_space && isspace(peek(p)))) {
            if (kind == PATHOD_FRAME && p->s[p->pos - 1] == ':' && m->n == 1)
                break; /* "wf:" alone is a frame with defaults */
            fail(p, p->pos, "expected a feature after ':'");
            goto bad;
        }
        size_t at = p->pos;
        int rc = kind == PATHOD_RESPONSE  ? parse_response_atom(p, m)
                 : kind == PATHOD_REQUEST ? parse_request_atom(p, m)
                                          : parse_frame_atom(p, m);
        if (rc < 0 || check_unique(p, m, at) < 0)
            goto bad;
    }
    return m;
bad:
    pmsg_free(m);
    return NULL;
}

struct pmsg *
pathod_parse_msg(enum pathod_kind kind, const char *s, size_t len, struct err *e)
{
    struct parser p = {s, len, 0, e, 0};
    err_clear(e);
    return parse_one(&p, kind, 0);
}

/* Lists of messages separated by whitespace, for pathoc and pathod. */
static int
parse_list(const char *spec, int pathoc, struct pathod_list *out, struct err *e)
{
    struct parser p = {spec, strlen(spec), 0, e, 0};
    out->items = NULL;
    out->n = 0;
    err_clear(e);
    size_t cap = 0;
    for (;;) {
        while (isspace(peek(&p)))
            p.pos++;
        if (at_end(&p))
            break;
        enum pathod_kind kind = pathoc ? PATHOD_REQUEST : PATHOD_RESPONSE;
        if (p.len - p.pos >= 2 && strncasecmp(p.s + p.pos, "wf", 2) == 0)
            kind = PATHOD_FRAME;
        struct pmsg *m = parse_one(&p, kind, 1);
        if (!m) {
            pathod_list_free(out);
            return e ? e->code : MP_ERR_SYNTAX;
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 4;
            out->items = xrealloc(out->items, cap * sizeof(*out->items));
        }
        struct pathod_item *it = &out->items[out->n++];
        memset(it, 0, sizeof(*it));
        it->kind = kind;
        if (kind == PATHOD_FRAME)
            it->frame = (struct pathod_frame *)m;
        else if (kind == PATHOD_REQUEST)
            it->req = (struct pathod_request *)m;
        else
            it->resp = (struct pathod_response *)m;
        if (!pathoc)
            break;
    }
    while (isspace(peek(&p)))
        p.pos++;
    if (out->n == 0 || !at_end(&p)) {
        fail(&p, p.pos, out->n == 0 ? "empty spec" : "expected end of spec");
        pathod_list_free(out);
        return MP_ERR_SYNTAX;
    }
    return 0;
}

int
pathod_pathoc_parse(const char *spec, struct pathod_list *out, struct err *e)
{
    return parse_list(spec, 1, out, e);
}

int
pathod_pathod_parse(const char *spec, struct pathod_list *out, struct err *e)
{
    return parse_list(spec, 0, out, e);
}
