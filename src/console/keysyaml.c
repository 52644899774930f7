/*
 * keys.yaml, the key bindings file of 8.1.1's console (keymap.py's
 * KeymapConfig): a list of mappings with key, cmd, ctx and help. The YAML
 * read here is what that file holds: block sequences of block mappings,
 * plain, 'single' and "double" quoted scalars, | and > block scalars for
 * long commands, flow lists ([flowlist, flowview]) or block lists for
 * ctx, and comments. Anything else is an error naming the line. The file
 * is the user's, but it is parsed as if hostile: no input crashes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "util/xmalloc.h"

/* A line without its comment and trailing blanks: [p, p + n). */
struct line {
    const char *p;
    size_t n;
    int indent;
    int no; /* 1-based */
};

static size_t
strip_comment(const char *p, size_t n)
{
    char q = 0;
    for (size_t i = 0; i < n; i++) {
        if (q) {
            if (p[i] == q)
                q = 0;
        } else if (p[i] == '\'' || p[i] == '"') {
            /* A quote starts a quoted scalar only at a token's start. */
            if (i == 0 || p[i - 1] == ' ' || p[i - 1] == '[' || p[i - 1] == ',')
                q = p[i];
        } else if (p[i] == '#' && (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t')) {
            n = i;
            break;
        }
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    return n;
}

static int
fail(struct err *e, int line, const char *what)
{
    return err_set(e, MP_ERR_SYNTAX, "Key binding config error at line %d: %s", line, what);
}

/* A scalar: plain, or quoted with YAML's escapes. Appended to out. */
static int
scalar(const char *p, size_t n, struct buf *out, int line, struct err *e)
{
    if (n && (p[0] == '\'' || p[0] == '"')) {
        char q = p[0];
        if (n < 2 || p[n - 1] != q)
            return fail(e, line, "an unterminated quoted scalar");
        for (size_t i = 1; i + 1 < n; i++) {
            if (q == '\'' && p[i] == '\'') {
                if (i + 2 < n && p[i + 1] == '\'') {
                    buf_append_str(out, "'");
                    i++;
                    continue;
                }
                return fail(e, line, "a stray quote");
            }
            if (q == '"' && p[i] == '\\' && i + 2 < n) {
                char c = p[++i];
                const char *map = c == 'n'    ? "\n"
                                  : c == 't'  ? "\t"
                                  : c == '\\' ? "\\"
                                  : c == '"'  ? "\""
                                              : NULL;
                if (map == NULL)
                    return fail(e, line, "an unknown escape in a double-quoted scalar");
                buf_append_str(out, map);
                continue;
            }
            if (q == '"' && p[i] == '"')
                return fail(e, line, "a stray quote");
            buf_append(out, p + i, 1);
        }
        return 0;
    }
    buf_append(out, p, n);
    return 0;
}

static void
trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

/* [a, 'b c'] into sv. */
static int
flow_list(const char *p, size_t n, struct strv *sv, int line, struct err *e)
{
    if (n < 2 || p[n - 1] != ']')
        return fail(e, line, "an unterminated list");
    p++;
    n -= 2;
    trim(&p, &n);
    struct buf item = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; n && i <= n && rc == 0;) {
        size_t j = i;
        char q = 0;
        while (j < n && (q || p[j] != ',')) {
            if (!q && (p[j] == '\'' || p[j] == '"'))
                q = p[j];
            else if (q && p[j] == q)
                q = 0;
            j++;
        }
        const char *t = p + i;
        size_t tn = j - i;
        trim(&t, &tn);
        buf_reset(&item);
        if (tn == 0 || (rc = scalar(t, tn, &item, line, e)) < 0) {
            if (rc == 0)
                rc = fail(e, line, "an empty list item");
            break;
        }
        char *s = buf_strdup(&item);
        strv_push(sv, s);
        free(s);
        i = j + 1;
    }
    buf_clear(&item);
    return rc;
}

enum attr { A_KEY, A_CMD, A_CTX, A_HELP };
static const char *const attr_names[] = {"key", "cmd", "ctx", "help"};

struct entry {
    char *v[4]; /* key, cmd, -, help */
    int set[4];
    int ctx_is_list;
    struct strv ctx;
};

static void
entry_clear(struct entry *en)
{
    for (int i = 0; i < 4; i++)
        free(en->v[i]);
    strv_clear(&en->ctx);
    memset(en, 0, sizeof(*en));
}

/* Validates and moves an entry into out (keymap.py's parse checks). */
static int
finish(struct entry *en, struct keyspec **out, size_t *n, size_t *cap, int line, struct err *e)
{
    if (!en->set[A_KEY] || !en->set[A_CMD])
        return err_set(e, MP_ERR_SYNTAX,
                       "Missing required key attributes: %s (the entry at line %d)",
                       !en->set[A_KEY] ? "key" : "cmd", line);
    if (en->set[A_CTX] && !en->ctx_is_list)
        return err_set(e, MP_ERR_SYNTAX, "Invalid type for ctx (the entry at line %d)", line);
    for (int i = 0; i < 4; i++)
        if (i != A_CTX && en->set[i] && en->v[i] == NULL)
            return err_set(e, MP_ERR_SYNTAX, "Invalid type for %s (the entry at line %d)",
                           attr_names[i], line);
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        *out = xrealloc(*out, *cap * sizeof(**out));
    }
    struct keyspec *k = &(*out)[(*n)++];
    k->key = en->v[A_KEY];
    k->cmd = en->v[A_CMD];
    k->help = en->v[A_HELP];
    k->ctx = en->ctx;
    free(en->v[A_CTX]);
    memset(en, 0, sizeof(*en));
    return 0;
}

void
console__keyspecs_free(struct keyspec *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].cmd);
        free(v[i].help);
        strv_clear(&v[i].ctx);
    }
    free(v);
}

long
console__keys_parse(const char *text, size_t len, struct keyspec **out, struct err *e)
{
    /* The lines, comments stripped. */
    struct line *lines = NULL;
    size_t nl = 0, capl = 0;
    for (size_t i = 0, no = 1; i < len; no++) {
        const char *nlp = memchr(text + i, '\n', len - i);
        size_t end = nlp ? (size_t)(nlp - text) : len;
        if (nl == capl) {
            capl = capl ? 2 * capl : 64;
            lines = xrealloc(lines, capl * sizeof(*lines));
        }
        struct line l = {text + i, end - i, 0, (int)no};
        while (l.n && l.p[0] == ' ') {
            l.p++;
            l.n--;
            l.indent++;
        }
        l.n = strip_comment(l.p, l.n);
        lines[nl++] = l;
        i = end + 1;
    }
    struct keyspec *specs = NULL;
    size_t n = 0, cap = 0;
    struct entry en = {0};
    int in_entry = 0, entry_line = 0, top = -1, rc = 0;
    struct buf val = BUF_INIT;
    for (size_t li = 0; li < nl && rc == 0; li++) {
        struct line *l = &lines[li];
        if (l->n == 0)
            continue;
        if (l->p[0] == '\t') {
            rc = fail(e, l->no, "a tab in the indentation");
            break;
        }
        const char *p = l->p;
        size_t pn = l->n;
        int indent = l->indent;
        if (top < 0 && pn == 2 && memcmp(p, "[]", 2) == 0)
            break; /* an empty list */
        if (p[0] == '-' && (pn == 1 || p[1] == ' ') && (top < 0 || indent == top)) {
            if (in_entry && (rc = finish(&en, &specs, &n, &cap, entry_line, e)) < 0)
                break;
            top = indent;
            in_entry = 1;
            entry_line = l->no;
            p++;
            pn--;
            indent++;
            while (pn && *p == ' ') {
                p++;
                pn--;
                indent++;
            }
            if (pn == 0)
                continue;
        } else if (!in_entry || indent <= top) {
            rc = fail(e, l->no, "Invalid keybinding config - expected a list of keys");
            break;
        }
        /* name: value */
        const char *colon = NULL;
        for (size_t i = 0; i < pn; i++)
            if (p[i] == ':' && (i + 1 == pn || p[i + 1] == ' ')) {
                colon = p + i;
                break;
            }
        if (colon == NULL) {
            rc = fail(e, l->no, "expected \"name: value\"");
            break;
        }
        const char *name = p, *v = colon + 1;
        size_t namen = (size_t)(colon - p), vn = pn - namen - 1;
        trim(&name, &namen);
        trim(&v, &vn);
        int a = -1;
        for (int k = 0; k < 4; k++)
            if (strlen(attr_names[k]) == namen && memcmp(attr_names[k], name, namen) == 0)
                a = k;
        if (a < 0) {
            rc = err_set(e, MP_ERR_SYNTAX, "Unknown key attributes: {'%.*s'} (line %d)",
                         (int)(namen > 64 ? 64 : namen), name, l->no);
            break;
        }
        if (en.set[a]) {
            rc = fail(e, l->no, "an attribute given twice");
            break;
        }
        en.set[a] = 1;
        buf_reset(&val);
        if (vn && (v[0] == '|' || v[0] == '>') && vn <= 2) {
            /* A block scalar: the lines indented more than this one. */
            int fold = v[0] == '>';
            while (li + 1 < nl && (lines[li + 1].n == 0 || lines[li + 1].indent > indent)) {
                li++;
                if (val.len)
                    buf_append_str(&val, fold ? " " : "\n");
                buf_append(&val, lines[li].p, lines[li].n);
            }
        } else if (vn && v[0] == '[') {
            if (a != A_CTX) {
                rc = err_set(e, MP_ERR_SYNTAX, "Invalid type for %s (line %d)", attr_names[a],
                             l->no);
                break;
            }
            if ((rc = flow_list(v, vn, &en.ctx, l->no, e)) < 0)
                break;
            en.ctx_is_list = 1;
            continue;
        } else if (vn == 0) {
            /* A block list follows (ctx), or the value is null. */
            if (a == A_CTX) {
                en.ctx_is_list = 1;
                /* Its items may sit under the name or further in, never
                 * at the entries' own indentation. */
                while (li + 1 < nl && (lines[li + 1].n == 0 ||
                                       (lines[li + 1].p[0] == '-' && lines[li + 1].indent > top &&
                                        lines[li + 1].indent >= indent))) {
                    struct line *it = &lines[++li];
                    if (it->n == 0)
                        continue;
                    const char *t = it->p + 1;
                    size_t tn = it->n - 1;
                    trim(&t, &tn);
                    buf_reset(&val);
                    if (tn == 0 || (rc = scalar(t, tn, &val, it->no, e)) < 0) {
                        if (rc == 0)
                            rc = fail(e, it->no, "an empty list item");
                        break;
                    }
                    char *s = buf_strdup(&val);
                    strv_push(&en.ctx, s);
                    free(s);
                }
            }
            continue;
        } else if ((rc = scalar(v, vn, &val, l->no, e)) < 0) {
            break;
        }
        if (a == A_CTX) {
            rc = err_set(e, MP_ERR_SYNTAX, "Invalid type for ctx (line %d)", l->no);
            break;
        }
        en.v[a] = buf_strdup(&val);
    }
    if (rc == 0 && in_entry)
        rc = finish(&en, &specs, &n, &cap, entry_line, e);
    entry_clear(&en);
    buf_clear(&val);
    free(lines);
    if (rc < 0) {
        console__keyspecs_free(specs, n);
        *out = NULL;
        return rc;
    }
    *out = specs;
    return (long)n;
}
