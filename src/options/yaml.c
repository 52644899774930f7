/*
 * config.yaml: the options file mitmproxy reads from its conf dir at
 * start-up and that options.save / options.load write and read. What
 * mitmproxy writes (ruamel.yaml) and what users write by hand is a flat
 * mapping of option names to scalars or lists of scalars; that subset is
 * read here, YAML 1.2's rules for it (true/false, ~ and null, plain,
 * 'single' and "double" quoted scalars, block and flow sequences,
 * comments). Anything else is an error naming the line, as mitmproxy's
 * "Config error at line N".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options/internal.h"
#include "options/opt.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/num.h"
#include "util/path.h"
#include "util/xmalloc.h"

/* The longest config file read: far beyond any real one. */
#define YAML_MAX (4u << 20)

enum ykind { Y_NULL, Y_BOOL, Y_INT, Y_STR, Y_LIST };

struct yval {
    enum ykind kind;
    int b;
    long i;
    char *s;         /* Y_STR (owned) */
    struct strv list; /* Y_LIST: the items as text (null items refused) */
};

static void
yval_clear(struct yval *v)
{
    free(v->s);
    strv_clear(&v->list);
    memset(v, 0, sizeof(*v));
}

struct yparser {
    const char *s, *end;
    int line; /* 1-based, of s */
    struct err *e;
};

static int
fail(struct yparser *p, const char *why)
{
    return err_set(p->e, MP_ERR_SYNTAX, "Config error at line %d: %s", p->line, why);
}

/* The end of the current line (at its newline or the text's end). */
static const char *
eol(const struct yparser *p, const char *from)
{
    const char *nl = memchr(from, '\n', (size_t)(p->end - from));
    return nl ? nl : p->end;
}

static void
next_line(struct yparser *p)
{
    const char *e = eol(p, p->s);
    p->s = e < p->end ? e + 1 : e;
    p->line++;
}

static int
blank_or_comment(const char *a, const char *b)
{
    while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
        a++;
    return a == b || *a == '#';
}

/* A double-quoted scalar's escapes (YAML 1.2 5.7, the common ones). */
static int
dquoted(struct yparser *p, const char **at, const char *lim, struct buf *out)
{
    const char *q = *at + 1;
    while (q < lim && *q != '"') {
        if (*q != '\\') {
            buf_append(out, q++, 1);
            continue;
        }
        if (q + 1 >= lim)
            return fail(p, "unterminated escape in a quoted string");
        char c = q[1];
        static const char from[] = "0abtnvfre \"/\\N_";
        static const char *const to[] = {"\0", "\a", "\b", "\t", "\n", "\v", "\f", "\r", "\x1b",
                                         " ",  "\"", "/",  "\\", "\xc2\x85", "\xc2\xa0"};
        const char *k = strchr(from, c);
        if (k && c) {
            size_t i = (size_t)(k - from);
            buf_append(out, to[i], i == 0 ? 1 : strlen(to[i]));
            q += 2;
            continue;
        }
        int n = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
        if (n == 0 || q + 2 + n > lim)
            return fail(p, "unknown escape in a quoted string");
        unsigned long cp = 0;
        for (int j = 0; j < n; j++) {
            int d = hex_value((unsigned char)q[2 + j]);
            if (d < 0)
                return fail(p, "bad hex digit in an escape");
            cp = cp * 16 + (unsigned long)d;
        }
        /* UTF-8 of the code point. */
        uint8_t b[4];
        size_t bn;
        if (cp < 0x80) {
            b[0] = (uint8_t)cp;
            bn = 1;
        } else if (cp < 0x800) {
            b[0] = (uint8_t)(0xc0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3f));
            bn = 2;
        } else if (cp < 0x10000) {
            b[0] = (uint8_t)(0xe0 | cp >> 12), b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
            b[2] = (uint8_t)(0x80 | (cp & 0x3f));
            bn = 3;
        } else if (cp < 0x110000) {
            b[0] = (uint8_t)(0xf0 | cp >> 18), b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
            b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f)), b[3] = (uint8_t)(0x80 | (cp & 0x3f));
            bn = 4;
        } else {
            return fail(p, "escape out of Unicode's range");
        }
        buf_append(out, b, bn);
        q += 2 + n;
    }
    if (q >= lim)
        return fail(p, "unterminated quoted string");
    *at = q + 1;
    return 0;
}

static int
squoted(struct yparser *p, const char **at, const char *lim, struct buf *out)
{
    const char *q = *at + 1;
    for (;;) {
        if (q >= lim)
            return fail(p, "unterminated quoted string");
        if (*q == '\'') {
            if (q + 1 < lim && q[1] == '\'') {
                buf_append(out, "'", 1);
                q += 2;
                continue;
            }
            break;
        }
        buf_append(out, q++, 1);
    }
    *at = q + 1;
    return 0;
}

/*
 * One scalar at *at, ending before lim or, in a flow sequence (inflow),
 * before "," or "]". Plain scalars end at " #" (a comment).
 */
static int
scalar(struct yparser *p, const char **at, const char *lim, int inflow, struct yval *v)
{
    const char *q = *at;
    while (q < lim && (*q == ' ' || *q == '\t'))
        q++;
    struct buf b = BUF_INIT;
    int rc = 0, quoted = 0;
    if (q < lim && (*q == '"' || *q == '\'')) {
        quoted = 1;
        rc = *q == '"' ? dquoted(p, &q, lim, &b) : squoted(p, &q, lim, &b);
    } else {
        const char *start = q;
        while (q < lim && !(inflow && (*q == ',' || *q == ']')) &&
               !(*q == '#' && q > start && (q[-1] == ' ' || q[-1] == '\t')))
            q++;
        const char *t = q;
        while (t > start && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
            t--;
        buf_append(&b, start, (size_t)(t - start));
        if (b.len && strchr("[]{}&*!|>%@`", *start) && !inflow)
            rc = fail(p, "this kind of YAML value is not an option value");
    }
    *at = q;
    if (rc < 0) {
        buf_clear(&b);
        return rc;
    }
    char *text = buf_strdup(&b);
    buf_clear(&b);
    memset(v, 0, sizeof(*v));
    int64_t n;
    if (quoted) {
        v->kind = Y_STR;
        v->s = text;
        return 0;
    }
    /* YAML 1.2's core schema for plain scalars. */
    if (*text == '\0' || strcmp(text, "~") == 0 || strcmp(text, "null") == 0 ||
        strcmp(text, "Null") == 0 || strcmp(text, "NULL") == 0) {
        v->kind = Y_NULL;
    } else if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 ||
               strcmp(text, "TRUE") == 0) {
        v->kind = Y_BOOL;
        v->b = 1;
    } else if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0 ||
               strcmp(text, "FALSE") == 0) {
        v->kind = Y_BOOL;
    } else if (num_parse_cstr(text + (*text == '+'), INT64_MIN, INT64_MAX, &n) == 0) {
        v->kind = Y_INT;
        v->i = (long)n;
    } else {
        v->kind = Y_STR;
        v->s = text;
        return 0;
    }
    free(text);
    return 0;
}

/* "[a, 'b', c]" at *at; the list may not span lines. */
static int
flow_list(struct yparser *p, const char **at, const char *lim, struct yval *v)
{
    const char *q = *at + 1;
    memset(v, 0, sizeof(*v));
    v->kind = Y_LIST;
    for (;;) {
        while (q < lim && (*q == ' ' || *q == '\t'))
            q++;
        if (q < lim && *q == ']') {
            *at = q + 1;
            return 0;
        }
        struct yval item;
        int rc = scalar(p, &q, lim, 1, &item);
        if (rc < 0)
            return rc;
        if (item.kind == Y_NULL || item.kind == Y_LIST) {
            yval_clear(&item);
            return fail(p, "a list of options holds strings");
        }
        if (item.kind == Y_STR)
            strv_push(&v->list, item.s);
        else if (item.kind == Y_BOOL)
            strv_push(&v->list, item.b ? "true" : "false");
        else {
            char num[32];
            snprintf(num, sizeof(num), "%ld", item.i);
            strv_push(&v->list, num);
        }
        yval_clear(&item);
        while (q < lim && (*q == ' ' || *q == '\t'))
            q++;
        if (q < lim && *q == ',') {
            q++;
            continue;
        }
        if (q < lim && *q == ']') {
            *at = q + 1;
            return 0;
        }
        return fail(p, "unterminated [list] (lists must fit on one line)");
    }
}

/* Sets one option from a YAML value, with mitmproxy's type checks. */
static int
apply(struct options *o, const char *key, const struct yval *v, struct yparser *p)
{
    const struct opt_info *info = opt_find(key);
    if (info == NULL) {
        /* A script may add it later, as mitmproxy's update_defer allows. */
        struct buf b = BUF_INIT;
        buf_printf(&b, "%s", key);
        if (v->kind == Y_STR)
            buf_printf(&b, "=%s", v->s);
        else if (v->kind == Y_BOOL)
            buf_printf(&b, "=%s", v->b ? "true" : "false");
        else if (v->kind == Y_INT)
            buf_printf(&b, "=%ld", v->i);
        char *arg = buf_strdup(&b);
        buf_clear(&b);
        strv_push(&o->deferred_quiet, arg);
        free(arg);
        return 0;
    }
    static const char *const kinds[] = {"null", "bool", "int", "str", "list"};
    const char *want = NULL;
    switch (info->type) {
    case OPT_BOOL:
        if (v->kind != Y_BOOL)
            want = "bool";
        else
            *FIELD(o, info, int) = v->b;
        break;
    case OPT_INT:
        if (v->kind != Y_INT)
            want = "int";
        else
            *FIELD(o, info, long) = v->i;
        break;
    case OPT_STR:
    case OPT_OPTSTR:
        if (v->kind == Y_NULL && info->type == OPT_OPTSTR)
            return opt_set(o, key, NULL, p->e);
        if (info->value != OPT_VALUE_TEXT && (v->kind == Y_INT || v->kind == Y_BOOL)) {
            /* A script's number or boolean: checked as its text. */
            char txt[32];
            if (v->kind == Y_INT)
                snprintf(txt, sizeof(txt), "%ld", v->i);
            else
                snprintf(txt, sizeof(txt), "%s", v->b ? "true" : "false");
            return opt_set(o, key, txt, p->e);
        }
        if (v->kind != Y_STR)
            want = info->value != OPT_VALUE_TEXT ? opt_info_type_name(info)
                   : info->type == OPT_STR       ? "str"
                                                 : "str or null";
        else
            return opt_set(o, key, v->s, p->e);
        break;
    case OPT_SEQ: {
        if (v->kind == Y_NULL) {
            strv_clear(FIELD(o, info, struct strv));
            break;
        }
        if (v->kind != Y_LIST) {
            want = "list";
            break;
        }
        struct strv *sv = FIELD(o, info, struct strv);
        strv_clear(sv);
        for (size_t i = 0; i < v->list.n; i++)
            strv_push(sv, v->list.v[i]);
        break;
    }
    }
    if (want)
        return err_set(p->e, MP_ERR_INVAL, "Config error at line %d: %s expects a %s, not a %s",
                       p->line, key, want, kinds[v->kind]);
    return 0;
}

int
opt_load_yaml(struct options *o, const char *text, size_t len, struct err *e)
{
    struct yparser p = {text, text + len, 1, e};
    int rc = 0;
    while (rc == 0 && p.s < p.end) {
        const char *le = eol(&p, p.s);
        if (blank_or_comment(p.s, le) || (le - p.s >= 3 && memcmp(p.s, "---", 3) == 0)) {
            next_line(&p);
            continue;
        }
        if (*p.s == ' ' || *p.s == '\t')
            return fail(&p, "expected an option name at the start of the line");
        const char *colon = p.s;
        while (colon < le && *colon != ':')
            colon++;
        if (colon == le || (colon + 1 < le && colon[1] != ' ' && colon[1] != '\t' &&
                            colon[1] != '\r'))
            return fail(&p, "expected 'name: value'");
        char *key = xstrndup(p.s, (size_t)(colon - p.s));
        const char *q = colon + 1;
        while (q < le && (*q == ' ' || *q == '\t'))
            q++;
        struct yval v = {0};
        if (q < le && *q == '[') {
            rc = flow_list(&p, &q, le, &v);
            if (rc == 0 && !blank_or_comment(q, le))
                rc = fail(&p, "text after a list");
            if (rc == 0)
                next_line(&p);
        } else if (blank_or_comment(q, le)) {
            /* Nothing after the colon: null, or a block list below. */
            next_line(&p);
            v.kind = Y_NULL;
            while (p.s < p.end) {
                const char *ie = eol(&p, p.s);
                if (blank_or_comment(p.s, ie)) {
                    next_line(&p);
                    continue;
                }
                const char *d = p.s;
                while (d < ie && (*d == ' ' || *d == '\t'))
                    d++;
                if (d >= ie || *d != '-' || (d + 1 < ie && d[1] != ' ' && d[1] != '\t'))
                    break;
                if (v.kind == Y_NULL)
                    v.kind = Y_LIST;
                const char *at = d + 1;
                struct yval item;
                if ((rc = scalar(&p, &at, ie, 0, &item)) < 0)
                    break;
                if (item.kind == Y_NULL) {
                    rc = fail(&p, "an empty list item");
                    break;
                }
                if (item.kind == Y_STR)
                    strv_push(&v.list, item.s);
                else if (item.kind == Y_BOOL)
                    strv_push(&v.list, item.b ? "true" : "false");
                else {
                    char num[32];
                    snprintf(num, sizeof(num), "%ld", item.i);
                    strv_push(&v.list, num);
                }
                yval_clear(&item);
                next_line(&p);
            }
        } else {
            rc = scalar(&p, &q, le, 0, &v);
            if (rc == 0)
                next_line(&p);
        }
        if (rc == 0) {
            int line = p.line;
            p.line = line - 1; /* messages name the key's line */
            rc = apply(o, key, &v, &p);
            p.line = line;
        }
        yval_clear(&v);
        free(key);
    }
    return rc;
}

int
opt_load_config(struct options *o, const char *confdir, struct err *e)
{
    static const char *const names[] = {"config.yaml", "config.yml"};
    int rc = 0;
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        char *path = xmalloc(strlen(confdir) + strlen(names[i]) + 2);
        sprintf(path, "%s/%s", confdir, names[i]);
        rc = opt_load_file(o, path, e);
        free(path);
    }
    /* A sequence the command line sets again replaces the file's values. */
    memset(o->seq_set, 0, sizeof(o->seq_set));
    return rc;
}

int
opt_load_file(struct options *o, const char *path, struct err *e)
{
    char *full = path_expand_home(path);
    FILE *f = fopen(full, "rb");
    if (f == NULL) {
        int rc = errno == ENOENT ? 0 : err_set(e, MP_ERR_IO, "Error reading %s: %s", path,
                                                 strerror(errno));
        free(full);
        return rc;
    }
    struct buf b = BUF_INIT;
    char chunk[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > YAML_MAX) {
            rc = err_set(e, MP_ERR_LIMIT, "Error reading %s: larger than %u bytes", path,
                         YAML_MAX);
            break;
        }
        buf_append(&b, chunk, n);
    }
    if (rc == 0 && ferror(f))
        rc = err_set(e, MP_ERR_IO, "Error reading %s: %s", path, strerror(errno));
    fclose(f);
    free(full);
    if (rc == 0) {
        struct err sub = {0};
        rc = opt_load_yaml(o, (const char *)buf_ptr(&b), b.len, &sub);
        if (rc < 0)
            err_set(e, rc, "Error reading %s: %s", path, sub.msg);
    }
    buf_clear(&b);
    return rc;
}
