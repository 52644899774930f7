/*
 * Python re -> PCRE2. See pyre.h. The walk follows CPython's sre_parse.py
 * (3.11) closely enough to accept and refuse the same patterns; where both
 * dialects refuse a pattern, PCRE2 is left to say why.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "util/pyre.h"
#include "util/xmalloc.h"

/* One open parenthesis: its capture number (0: none) and the verbose mode
 * to return to when it closes (scoped (?x:...) changes it). */
struct frame {
    unsigned group;
    int verbose;
};

/* A named group: its name at s[off..off+len) and number. */
struct name {
    size_t off, len;
    unsigned group;
};

struct tr {
    const char *s;
    size_t n, i;
    struct buf *out;
    size_t *map; /* map[k]: the position in s that output byte k came from */
    size_t nmap, capmap;
    int verbose;
    int at_start;   /* nothing but global flags so far: they may still come */
    int keep_start; /* the item just read was global flags or a comment */
    unsigned groups;
    unsigned char *closed; /* closed[g] for 1 <= g <= groups */
    size_t capclosed;
    struct frame *stack;
    size_t depth, capstack;
    struct name *names;
    size_t nnames;
    size_t errpos;
    struct err *e;
};

static void
emit(struct tr *t, const char *p, size_t n, size_t from)
{
    buf_append(t->out, p, n);
    if (t->capmap < t->nmap + n) {
        t->capmap = (t->nmap + n) * 2;
        t->map = xrealloc(t->map, t->capmap * sizeof(*t->map));
    }
    for (size_t k = 0; k < n; k++)
        t->map[t->nmap++] = from;
}

static void
emit_str(struct tr *t, const char *s, size_t from)
{
    emit(t, s, strlen(s), from);
}

static void
emit_byte(struct tr *t, unsigned v, size_t from)
{
    char x[8];
    snprintf(x, sizeof(x), "\\x%02x", v & 0xff);
    emit_str(t, x, from);
}

static int fail(struct tr *t, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct tr *t, size_t at, const char *fmt, ...)
{
    t->errpos = at;
    if (t->e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->e->msg, sizeof(t->e->msg), fmt, ap);
        va_end(ap);
        t->e->code = MP_ERR_SYNTAX;
    }
    return MP_ERR_SYNTAX;
}

static int
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int
is_octal(int c)
{
    return c >= '0' && c <= '7';
}

static int
is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* sre_parse's WHITESPACE, skipped in verbose mode. */
static int
is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The byte at i, or -1 past the end. */
static int
at(const struct tr *t, size_t i)
{
    return i < t->n ? (unsigned char)t->s[i] : -1;
}

static void
push(struct tr *t, unsigned group)
{
    if (t->depth == t->capstack) {
        t->capstack = t->capstack ? t->capstack * 2 : 8;
        t->stack = xrealloc(t->stack, t->capstack * sizeof(*t->stack));
    }
    t->stack[t->depth++] = (struct frame){group, t->verbose};
}

static unsigned
open_group(struct tr *t)
{
    unsigned g = ++t->groups;
    if (g >= t->capclosed) {
        t->capclosed = (g + 1) * 2;
        t->closed = xrealloc(t->closed, t->capclosed);
    }
    t->closed[g] = 0;
    push(t, g);
    return g;
}

/* A reference to group g, checked as sre_parse checks it. */
static int
group_ref(struct tr *t, unsigned g, size_t from)
{
    if (g == 0 || g > t->groups)
        return fail(t, from, "invalid group reference %u", g);
    if (!t->closed[g])
        return fail(t, from, "cannot refer to an open group");
    char x[24];
    snprintf(x, sizeof(x), "\\g{%u}", g);
    emit_str(t, x, from);
    return 0;
}

/* Up to two more octal digits after the one at i; returns the value and
 * moves i past them (sre_parse's octal escapes). */
static unsigned
octal_tail(struct tr *t, size_t *i, unsigned v)
{
    for (int k = 0; k < 2 && is_octal(at(t, *i)); k++)
        v = v * 8 + (unsigned)(t->s[(*i)++] - '0');
    return v;
}

/* A backslash escape at t->i, inside a character class or not. */
static int
escape(struct tr *t, int in_class)
{
    size_t start = t->i;
    int c = at(t, start + 1);
    if (c < 0)
        return fail(t, start, "bad escape (end of pattern)");
    t->i = start + 2;
    switch (c) {
    case 'x': {
        int hi = hex_value(at(t, t->i)), lo = hi < 0 ? -1 : hex_value(at(t, t->i + 1));
        if (lo < 0) {
            size_t k = t->i + (hi >= 0);
            return fail(t, start, "incomplete escape \\x%.*s", (int)(k - t->i), t->s + t->i);
        }
        emit_byte(t, (unsigned)(hi * 16 + lo), start);
        t->i += 2;
        return 0;
    }
    case 'v':
        /* PCRE2's \v is any vertical space; Python's is VT. */
        emit_byte(t, 0x0b, start);
        return 0;
    case 'b':
        /* In a class Python's \b is backspace, as in PCRE2. */
        if (in_class)
            emit_byte(t, 0x08, start);
        else
            emit_str(t, "\\b", start);
        return 0;
    case 'Z':
        /* Python's \Z is the very end; PCRE2's would allow a final newline. */
        if (in_class)
            break;
        emit_str(t, "\\z", start);
        return 0;
    case 'B':
        /* Python's \B never matches in an empty subject. */
        if (in_class)
            break;
        emit_str(t, "(?!\\A\\z)\\B", start);
        return 0;
    case 'A':
        if (in_class)
            break;
        emit(t, t->s + start, 2, start);
        return 0;
    case 'a':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'd':
    case 'D':
    case 's':
    case 'S':
    case 'w':
    case 'W':
        emit(t, t->s + start, 2, start);
        return 0;
    }
    if (is_alpha(c))
        return fail(t, start, "bad escape \\%c", c);
    if (c == '0') {
        emit_byte(t, octal_tail(t, &t->i, 0), start);
        return 0;
    }
    if (in_class && is_octal(c)) {
        unsigned v = octal_tail(t, &t->i, (unsigned)(c - '0'));
        if (v > 0377)
            return fail(t, start, "octal escape value \\%.*s outside of range 0-0o377",
                        (int)(t->i - start - 1), t->s + start + 1);
        emit_byte(t, v, start);
        return 0;
    }
    if (is_digit(c)) {
        if (in_class)
            return fail(t, start, "bad escape \\%c", c);
        /* An octal escape or a group reference (sre_parse says "sigh"). */
        unsigned g = (unsigned)(c - '0');
        if (is_digit(at(t, t->i))) {
            int d = at(t, t->i);
            if (is_octal(c) && is_octal(d) && is_octal(at(t, t->i + 1))) {
                unsigned v = (unsigned)((c - '0') * 64 + (d - '0') * 8 + (at(t, t->i + 1) - '0'));
                if (v > 0377)
                    return fail(t, start, "octal escape value \\%.3s outside of range 0-0o377",
                                t->s + start + 1);
                emit_byte(t, v, start);
                t->i += 2;
                return 0;
            }
            g = g * 10 + (unsigned)(d - '0');
            t->i++;
        }
        return group_ref(t, g, start);
    }
    /* Any other character stands for itself, in both dialects. */
    emit(t, t->s + start, 2, start);
    return 0;
}

/* A character class from its "[" at t->i to the closing "]". Python has no
 * POSIX classes, so a "[" inside is a plain character. An unterminated
 * class is left for PCRE2 to report. */
static int
char_class(struct tr *t)
{
    emit(t, "[", 1, t->i++);
    if (at(t, t->i) == '^')
        emit(t, "^", 1, t->i++);
    /* A "]" first in a class is a literal in both dialects. */
    if (at(t, t->i) == ']')
        emit(t, "\\]", 2, t->i++);
    while (t->i < t->n) {
        int c = at(t, t->i);
        if (c == '\\') {
            int rc = escape(t, 1);
            if (rc < 0)
                return rc;
            continue;
        }
        if (c == ']') {
            emit(t, "]", 1, t->i++);
            return 0;
        }
        if (c == '[')
            emit(t, "\\[", 2, t->i);
        else
            emit(t, t->s + t->i, 1, t->i);
        t->i++;
    }
    return 0;
}

static int
flag_letter(int c)
{
    return c > 0 && strchr("aiLmsux", c) != NULL;
}

/*
 * Inline flags after "(?" at t->i: "(?imsx)" (global, only at the start of
 * the pattern) or "(?imsx-imsx:...)" (scoped). a, L and u only pick
 * Python's character model, which bytes fix anyway, and verbose mode is
 * done here, so PCRE2 gets only i, m and s.
 */
static int
inline_flags(struct tr *t, size_t open)
{
    char on[8] = "", off[8] = "";
    size_t non = 0, noff = 0;
    int verbose_on = 0, verbose_off = 0, types = 0;
    int c = at(t, t->i);
    while (c != '-' && c != ':' && c != ')') {
        if (!flag_letter(c))
            return fail(t, t->i, c < 0 || !is_alpha(c) ? "missing -, : or )" : "unknown flag");
        if (c == 'a' || c == 'L' || c == 'u')
            types |= c == 'a' ? 1 : c == 'L' ? 2 : 4;
        if (types & (types - 1))
            return fail(t, t->i, "bad inline flags: flags 'a', 'u' and 'L' are incompatible");
        if (c == 'x')
            verbose_on = 1;
        else if (strchr("ims", c) && !strchr(on, c))
            on[non++] = (char)c;
        c = at(t, ++t->i);
    }
    if (c == ')') {
        if (!t->at_start)
            return fail(t, open, "global flags not at the start of the expression");
        if (non) {
            emit(t, "(?", 2, open);
            emit(t, on, non, open);
            emit(t, ")", 1, open);
        }
        if (verbose_on)
            t->verbose = 1;
        t->keep_start = 1;
        t->i++;
        return 0;
    }
    if (c == '-') {
        c = at(t, ++t->i);
        if (!flag_letter(c))
            return fail(t, t->i, c < 0 || !is_alpha(c) ? "missing flag" : "unknown flag");
        while (c != ':') {
            if (!flag_letter(c))
                return fail(t, t->i, c < 0 || !is_alpha(c) ? "missing :" : "unknown flag");
            if (c == 'a' || c == 'L' || c == 'u')
                return fail(t, t->i, "bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
            if (c == 'x')
                verbose_off = 1;
            else if (!strchr(off, c))
                off[noff++] = (char)c;
            c = at(t, ++t->i);
        }
    }
    for (size_t k = 0; k < noff; k++)
        if (strchr(on, off[k]) || (verbose_on && verbose_off))
            return fail(t, t->i, "bad inline flags: flag turned on and off");
    if (verbose_on && verbose_off)
        return fail(t, t->i, "bad inline flags: flag turned on and off");
    t->i++; /* the ":" */
    push(t, 0);
    emit(t, "(?", 2, open);
    emit(t, on, non, open);
    if (noff) {
        emit(t, "-", 1, open);
        emit(t, off, noff, open);
    }
    emit(t, ":", 1, open);
    if (verbose_on)
        t->verbose = 1;
    if (verbose_off)
        t->verbose = 0;
    return 0;
}

/* The name of a group at t->i up to the byte term; returns its length. */
static size_t
name_len(const struct tr *t, int term)
{
    size_t k = t->i;
    while (k < t->n && t->s[k] != term)
        k++;
    return k - t->i;
}

static const struct name *
find_name(const struct tr *t, const char *s, size_t n)
{
    for (size_t k = 0; k < t->nnames; k++)
        if (t->names[k].len == n && memcmp(t->s + t->names[k].off, s, n) == 0)
            return &t->names[k];
    return NULL;
}

/* "(" at t->i: a group, or one of Python's "(?" extensions. */
static int
group(struct tr *t)
{
    size_t open = t->i;
    if (at(t, open + 1) == '*')
        return fail(t, open + 1, "nothing to repeat"); /* PCRE2's (*VERB) */
    if (at(t, open + 1) != '?') {
        t->i++;
        open_group(t);
        emit(t, "(", 1, open);
        return 0;
    }
    t->i = open + 2;
    int c = at(t, t->i);
    switch (c) {
    case ':':
    case '=':
    case '!':
    case '>':
        push(t, 0);
        emit(t, t->s + open, 3, open);
        t->i++;
        return 0;
    case '<':
        if (at(t, t->i + 1) != '=' && at(t, t->i + 1) != '!')
            return fail(t, open + 1, "unknown extension ?<%c",
                        at(t, t->i + 1) < 0 ? ' ' : at(t, t->i + 1));
        push(t, 0);
        emit(t, t->s + open, 4, open);
        t->i += 2;
        return 0;
    case '#': {
        /* A comment: skipped whole, escapes and all. */
        const char *close = memchr(t->s + t->i, ')', t->n - t->i);
        if (close == NULL)
            return fail(t, open, "missing ), unterminated comment");
        t->i = (size_t)(close - t->s) + 1;
        t->keep_start = 1;
        return 0;
    }
    case 'P': {
        int d = at(t, t->i + 1);
        if (d == '<') {
            /* (?P<name>...): PCRE2 checks the name. */
            t->i += 2;
            size_t len = name_len(t, '>');
            unsigned g = open_group(t);
            t->names = xrealloc(t->names, (t->nnames + 1) * sizeof(*t->names));
            t->names[t->nnames++] = (struct name){t->i, len, g};
            /* The name and its ">" go out as they are, whatever bytes they hold. */
            t->i += len + (t->i + len < t->n);
            emit(t, t->s + open, t->i - open, open);
            return 0;
        }
        if (d == '=') {
            t->i += 2;
            size_t len = name_len(t, ')');
            const struct name *nm = find_name(t, t->s + t->i, len);
            if (t->i + len >= t->n)
                return fail(t, t->i, "missing ), unterminated name");
            if (nm == NULL)
                return fail(t, t->i, "unknown group name '%.*s'", (int)len, t->s + t->i);
            if (!t->closed[nm->group])
                return fail(t, t->i, "cannot refer to an open group");
            t->i += len + 1;
            emit(t, t->s + open, t->i - open, open);
            return 0;
        }
        return fail(t, open + 1, d < 0 ? "unexpected end of pattern" : "unknown extension ?P%c", d);
    }
    case '(': {
        /* (?(id-or-name)yes|no): a group number or a name, nothing else
         * (PCRE2 would also take R, DEFINE and assertions). */
        t->i++;
        size_t len = name_len(t, ')');
        if (t->i + len >= t->n)
            return fail(t, t->i, "missing ), unterminated name");
        const char *nm = t->s + t->i;
        int digits = len > 0, word = len > 0 && !is_digit(nm[0]);
        for (size_t k = 0; k < len; k++) {
            digits &= is_digit(nm[k]);
            word &= is_alpha(nm[k]) || is_digit(nm[k]) || nm[k] == '_';
        }
        if (word) {
            if (find_name(t, nm, len) == NULL)
                return fail(t, t->i, "unknown group name '%.*s'", (int)len, nm);
            emit(t, "(?(<", 4, open);
            emit(t, nm, len, t->i);
            emit(t, ">)", 2, t->i + len);
        } else if (digits) {
            emit(t, "(?(", 3, open);
            emit(t, nm, len, t->i);
            emit(t, ")", 1, t->i + len);
        } else {
            return fail(t, t->i, "bad character in group name '%.*s'", (int)len, nm);
        }
        push(t, 0);
        t->i += len + 1;
        return 0;
    }
    }
    if (c == '-' || flag_letter(c))
        return inline_flags(t, open);
    if (c < 0)
        return fail(t, t->i, "unexpected end of pattern");
    return fail(t, open + 1, "unknown extension ?%c", c);
}

/*
 * "{" at t->i. Python reads {m}, {m,}, {,n}, {m,n} and {,} as repeats and
 * any other "{" as a literal; PCRE2 10.42 reads {,n} and {,} literally.
 */
static void
brace(struct tr *t)
{
    size_t k = t->i + 1, lo = k;
    while (is_digit(at(t, k)))
        k++;
    size_t lo_end = k, hi = k, hi_end = k;
    int comma = at(t, k) == ',';
    if (comma) {
        hi = ++k;
        while (is_digit(at(t, k)))
            k++;
        hi_end = k;
    }
    if (at(t, k) != '}' || (!comma && lo_end == lo)) {
        emit(t, "\\{", 2, t->i++);
        return;
    }
    emit(t, "{", 1, t->i);
    if (lo_end == lo)
        emit(t, "0", 1, t->i);
    else
        emit(t, t->s + lo, lo_end - lo, lo);
    if (comma) {
        emit(t, ",", 1, lo_end);
        emit(t, t->s + hi, hi_end - hi, hi);
    }
    emit(t, "}", 1, k);
    t->i = k + 1;
}

static int
walk(struct tr *t)
{
    while (t->i < t->n) {
        int c = at(t, t->i);
        if (t->verbose && is_ws(c)) {
            t->i++;
            continue;
        }
        if (t->verbose && c == '#') {
            while (t->i < t->n && t->s[t->i] != '\n')
                t->i++;
            continue;
        }
        int rc = 0;
        t->keep_start = 0;
        switch (c) {
        case '\\':
            rc = escape(t, 0);
            break;
        case '[':
            rc = char_class(t);
            break;
        case '(':
            rc = group(t);
            break;
        case ')':
            if (t->depth) {
                struct frame f = t->stack[--t->depth];
                if (f.group)
                    t->closed[f.group] = 1;
                t->verbose = f.verbose;
            }
            emit(t, ")", 1, t->i++);
            break;
        case '{':
            brace(t);
            break;
        default:
            emit(t, t->s + t->i, 1, t->i);
            t->i++;
            break;
        }
        if (rc < 0)
            return rc;
        /* Global flags and comments add nothing to match, so more global
         * flags may follow them. */
        if (!t->keep_start)
            t->at_start = 0;
    }
    return 0;
}

static void
tr_clear(struct tr *t)
{
    free(t->map);
    free(t->closed);
    free(t->stack);
    free(t->names);
}

int
pyre_translate(const char *p, size_t n, unsigned flags, struct buf *out, size_t *pos, struct err *e)
{
    struct tr t = {
        .s = p, .n = n, .out = out, .verbose = (flags & PYRE_VERBOSE) != 0, .at_start = 1, .e = e};
    int rc = walk(&t);
    if (rc < 0 && pos)
        *pos = t.errpos;
    tr_clear(&t);
    return rc;
}

pcre2_code *
pyre_compile(const char *p, size_t n, unsigned flags, size_t *pos, struct err *e)
{
    static const char empty[1];
    struct buf out = BUF_INIT;
    struct tr t = {.s = p ? p : empty,
                   .n = n,
                   .out = &out,
                   .verbose = (flags & PYRE_VERBOSE) != 0,
                   .at_start = 1,
                   .e = e};
    if (walk(&t) < 0) {
        if (pos)
            *pos = t.errpos;
        tr_clear(&t);
        buf_clear(&out);
        return NULL;
    }
    /* ALT_CIRCUMFLEX: Python's multiline "^" also matches after a final "\n". */
    uint32_t opts =
        PCRE2_NEVER_UTF | PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C | PCRE2_ALT_CIRCUMFLEX;
    if (flags & PYRE_IGNORECASE)
        opts |= PCRE2_CASELESS;
    if (flags & PYRE_MULTILINE)
        opts |= PCRE2_MULTILINE;
    if (flags & PYRE_DOTALL)
        opts |= PCRE2_DOTALL;
    /* Python's ".", "^" and "$" know only "\n" as a line end. */
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)buf_ptr(&out), out.len, opts, &ec, &eo, cc);
    pcre2_compile_context_free(cc);
    if (re == NULL) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof(msg));
        err_set(e, MP_ERR_SYNTAX, "%s", (const char *)msg);
        if (pos)
            *pos = eo < t.nmap ? t.map[eo] : n;
    } else {
        /* JIT is an optimisation; the interpreter is the fallback. */
        pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    }
    tr_clear(&t);
    buf_clear(&out);
    return re;
}

static int
run(const pcre2_code *re, const void *s, size_t n, uint32_t opts)
{
    static const char empty[1];
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)(s ? s : empty), n, 0, opts, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

int
pyre_search(const pcre2_code *re, const void *s, size_t n)
{
    return run(re, s, n, 0);
}

int
pyre_match(const pcre2_code *re, const void *s, size_t n)
{
    return run(re, s, n, PCRE2_ANCHORED);
}
