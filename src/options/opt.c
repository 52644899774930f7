/*
 * The option registry: defaults, `--set` parsing, `--options` output. Every
 * table here is generated from OPT_MAP in opt.h so nothing can drift.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options/opt.h"
#include "util/buf.h"
#include "util/xmalloc.h"

static const struct opt_info registry[] = {
#define X(type, state, name, def, choices, help)                                                   \
    {#name, OPT_##type, choices, help, offsetof(struct options, name), OPT_STATE_##state},
    OPT_MAP(X)
#undef X
};

#define NOPTS (sizeof(registry) / sizeof(registry[0]))

const struct opt_info *
opt_registry(size_t *n)
{
    *n = NOPTS;
    return registry;
}

const struct opt_info *
opt_find(const char *name)
{
    /* The table is in name order (a unit test checks it), so bisect. */
    size_t lo = 0, hi = NOPTS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, registry[mid].name);
        if (c == 0)
            return &registry[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *
opt_type_name(enum opt_type t)
{
    switch (t) {
    case OPT_BOOL:
        return "bool";
    case OPT_INT:
        return "int";
    case OPT_STR:
        return "str";
    case OPT_OPTSTR:
        return "optional str";
    case OPT_SEQ:
        return "sequence of str";
    }
    return "?";
}

static char *
dupnull(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Field accessors by registry row. */
#define FIELD(o, info, T) ((T *)(void *)((char *)(o) + (info)->offset))
#define CFIELD(o, info, T) ((const T *)(const void *)((const char *)(o) + (info)->offset))

/* A sequence's default is empty or one value (mode's "regular"). */
static void
seq_default(struct strv *sv, const char *def)
{
    if (def)
        strv_push(sv, def);
}

struct options *
opt_new(void)
{
    struct options *o = xcalloc(1, sizeof(*o));
#define INIT_BOOL(name, def) o->name = (def);
#define INIT_INT(name, def) o->name = (def);
#define INIT_STR(name, def) o->name = xstrdup(def);
#define INIT_OPTSTR(name, def) o->name = dupnull(def);
#define INIT_SEQ(name, def) seq_default(&o->name, def);
#define X(type, state, name, def, choices, help) INIT_##type(name, def)
    OPT_MAP(X)
#undef X
#undef INIT_BOOL
#undef INIT_INT
#undef INIT_STR
#undef INIT_OPTSTR
#undef INIT_SEQ
    return o;
}

void
opt_free(struct options *o)
{
    if (o == NULL)
        return;
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt_info *info = &registry[i];
        switch (info->type) {
        case OPT_STR:
        case OPT_OPTSTR:
            free(*FIELD(o, info, char *));
            break;
        case OPT_SEQ:
            strv_clear(FIELD(o, info, struct strv));
            break;
        case OPT_BOOL:
        case OPT_INT:
            break;
        }
    }
    free(o);
}

struct options *
opt_copy(const struct options *src)
{
    struct options *o = xmalloc(sizeof(*o));
    memcpy(o, src, sizeof(*o));
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt_info *info = &registry[i];
        switch (info->type) {
        case OPT_STR:
        case OPT_OPTSTR: {
            char **p = FIELD(o, info, char *);
            *p = dupnull(*p);
            break;
        }
        case OPT_SEQ: {
            struct strv *dst = FIELD(o, info, struct strv);
            const struct strv *sv = CFIELD(src, info, struct strv);
            *dst = (struct strv){NULL, 0};
            for (size_t j = 0; j < sv->n; j++)
                strv_push(dst, sv->v[j]);
            break;
        }
        case OPT_BOOL:
        case OPT_INT:
            break;
        }
    }
    return o;
}

int
opt_changed(const struct opt_changes *updated, size_t index)
{
    if (updated == NULL)
        return 1;
    return index < OPT_COUNT && (updated->bits[index / 8] >> (index % 8)) & 1;
}

void
opt_changes_add(struct opt_changes *ch, size_t index)
{
    if (index < OPT_COUNT)
        ch->bits[index / 8] |= (unsigned char)(1u << (index % 8));
}

static int
same_value(const struct options *a, const struct options *b, const struct opt_info *info)
{
    switch (info->type) {
    case OPT_BOOL:
        return *CFIELD(a, info, int) == *CFIELD(b, info, int);
    case OPT_INT:
        return *CFIELD(a, info, long) == *CFIELD(b, info, long);
    case OPT_STR:
    case OPT_OPTSTR: {
        const char *x = *CFIELD(a, info, char *), *y = *CFIELD(b, info, char *);
        return x == y || (x && y && strcmp(x, y) == 0);
    }
    case OPT_SEQ: {
        const struct strv *x = CFIELD(a, info, struct strv), *y = CFIELD(b, info, struct strv);
        if (x->n != y->n)
            return 0;
        for (size_t i = 0; i < x->n; i++)
            if (strcmp(x->v[i], y->v[i]) != 0)
                return 0;
        return 1;
    }
    }
    return 0;
}

size_t
opt_diff(const struct options *a, const struct options *b, struct opt_changes *out)
{
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < NOPTS; i++) {
        if (!same_value(a, b, &registry[i])) {
            opt_changes_add(out, i);
            n++;
        }
    }
    return n;
}

void
strv_push(struct strv *sv, const char *s)
{
    sv->v = xrealloc(sv->v, (sv->n + 1) * sizeof(*sv->v));
    sv->v[sv->n++] = xstrdup(s);
}

void
strv_clear(struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

/* True if value is one of the "|"-separated choices. */
static int
in_choices(const char *choices, const char *value)
{
    size_t vlen = strlen(value);
    const char *p = choices;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == vlen && memcmp(p, value, len) == 0)
            return 1;
        if (bar == NULL)
            return 0;
        p = bar + 1;
    }
}

/* Writes "a|b|c" as "<a><sep><b>..." with each choice wrapped in quote. */
static void
list_choices(struct buf *b, const char *choices, const char *quote, const char *sep)
{
    const char *p = choices;
    for (int first = 1;; first = 0) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (!first)
            buf_append_str(b, sep);
        buf_append_str(b, quote);
        buf_append(b, p, len);
        buf_append_str(b, quote);
        if (bar == NULL)
            return;
        p = bar + 1;
    }
}

static int
parse_long(const char *s, long *out)
{
    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int
opt_set(struct options *o, const char *name, const char *value, struct err *e)
{
    const struct opt_info *info = opt_find(name);
    if (info == NULL)
        return err_set(e, MP_ERR_NOTFOUND, "unknown option '%s'", name);

    switch (info->type) {
    case OPT_BOOL: {
        int *p = FIELD(o, info, int);
        if (value == NULL || strcmp(value, "true") == 0)
            *p = 1;
        else if (strcmp(value, "false") == 0)
            *p = 0;
        else if (strcmp(value, "toggle") == 0)
            *p = !*p;
        else
            return err_set(e, MP_ERR_INVAL, "%s: invalid boolean '%s' (valid: true, false, toggle)",
                           name, value);
        return 0;
    }
    case OPT_INT: {
        if (value == NULL)
            return err_set(e, MP_ERR_INVAL, "%s: a value is required", name);
        long v;
        if (parse_long(value, &v) < 0)
            return err_set(e, MP_ERR_INVAL, "%s: invalid integer '%s'", name, value);
        *FIELD(o, info, long) = v;
        return 0;
    }
    case OPT_STR:
    case OPT_OPTSTR: {
        char **p = FIELD(o, info, char *);
        if (value == NULL) {
            if (info->type == OPT_STR)
                return err_set(e, MP_ERR_INVAL, "%s: a value is required", name);
            free(*p);
            *p = NULL;
            return 0;
        }
        if (info->choices && !in_choices(info->choices, value)) {
            struct buf b = BUF_INIT;
            list_choices(&b, info->choices, "", ", ");
            buf_append(&b, "", 1);
            err_set(e, MP_ERR_INVAL, "%s: invalid value '%s' (valid: %s)", name, value,
                    (const char *)buf_ptr(&b));
            buf_clear(&b);
            return MP_ERR_INVAL;
        }
        free(*p);
        *p = xstrdup(value);
        return 0;
    }
    case OPT_SEQ: {
        struct strv *sv = FIELD(o, info, struct strv);
        size_t idx = (size_t)(info - registry);
        if (!o->seq_set[idx]) {
            o->seq_set[idx] = 1;
            strv_clear(sv);
        }
        if (value == NULL)
            strv_clear(sv);
        else
            strv_push(sv, value);
        return 0;
    }
    }
    return err_set(e, MP_ERR_INVAL, "%s: bad option type", name);
}

int
opt_set_arg(struct options *o, const char *arg, struct err *e)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL)
        return opt_set(o, arg, NULL, e);
    char *name = xstrndup(arg, (size_t)(eq - arg));
    int rc = opt_set(o, name, eq + 1, e);
    free(name);
    return rc;
}

/*
 * Whether s can be written as a plain YAML scalar that reads back as the
 * same string. Conservative: anything unusual is quoted instead.
 */
static int
yaml_plain(const char *s)
{
    static const char *const special[] = {"true", "false", "yes", "no", "on",
                                          "off",  "null",  "~",   "y",  "n"};
    if (*s == '\0')
        return 0;
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
        if (strcasecmp(s, special[i]) == 0)
            return 0;
    if (isdigit((unsigned char)*s) || *s == '-' || *s == '+' || *s == '.') {
        /* Could read back as a number: quote it. */
        char *end;
        (void)strtod(s, &end);
        if (*end == '\0')
            return 0;
    }
    if (strchr("-?:,[]{}#&*!|>'\"%@`", *s) && !(*s == '-' && s[1] != ' ' && s[1] != '\0'))
        return 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            return 0;
        if (c == ':' && (p[1] == ' ' || p[1] == '\0'))
            return 0;
        if (c == '#' && p > s && p[-1] == ' ')
            return 0;
        /* Flow-style lists ("[a, b]") would split or nest on these. */
        if (strchr(",[]{}", c))
            return 0;
    }
    size_t n = strlen(s);
    return s[n - 1] != ' ';
}

static void
yaml_str(struct buf *b, const char *s)
{
    if (yaml_plain(s)) {
        buf_append_str(b, s);
        return;
    }
    buf_append(b, "'", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            buf_append(b, "'", 1);
        buf_append(b, p, 1);
    }
    buf_append(b, "'", 1);
}

static void
format_value(struct buf *b, const struct options *o, const struct opt_info *info)
{
    switch (info->type) {
    case OPT_BOOL:
        buf_append_str(b, *CFIELD(o, info, int) ? "true" : "false");
        break;
    case OPT_INT:
        buf_printf(b, "%ld", *CFIELD(o, info, long));
        break;
    case OPT_STR:
    case OPT_OPTSTR: {
        const char *s = *CFIELD(o, info, char *);
        if (s)
            yaml_str(b, s);
        break;
    }
    case OPT_SEQ: {
        const struct strv *sv = CFIELD(o, info, struct strv);
        buf_append(b, "[", 1);
        for (size_t i = 0; i < sv->n; i++) {
            if (i)
                buf_append_str(b, ", ");
            yaml_str(b, sv->v[i]);
        }
        buf_append(b, "]", 1);
        break;
    }
    }
}

void
opt_format_value(const struct options *o, const struct opt_info *info, char *out, size_t outlen)
{
    struct buf b = BUF_INIT;
    format_value(&b, o, info);
    if (outlen) {
        size_t n = b.len < outlen - 1 ? b.len : outlen - 1;
        if (n)
            memcpy(out, buf_ptr(&b), n);
        out[n] = '\0';
    }
    buf_clear(&b);
}

/*
 * Python's textwrap.wrap(text, 70), which `mitmdump --options` uses for the
 * help comments: greedy filling of chunks, where a chunk is a run of
 * whitespace or a word, and words also break after a hyphen between letters
 * ("not-modified" may wrap after "not-"). Whitespace at a line's start
 * (except the first) and end is dropped; inner runs are kept as they are.
 */
#define WRAP_WIDTH 70

struct chunk {
    const char *p;
    size_t len;
    int space;
};

static int
isletter(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static size_t
split_chunks(const char *s, struct chunk **out)
{
    size_t n = 0, cap = 16;
    struct chunk *v = xmalloc(cap * sizeof(*v));
    const char *p = s;
    while (*p) {
        const char *q = p;
        int space = isspace((unsigned char)*p) != 0;
        if (space) {
            while (*q && isspace((unsigned char)*q))
                q++;
        } else {
            while (*q && !isspace((unsigned char)*q)) {
                /* textwrap: "-" ends a chunk when two letters precede it and a
                 * letter (maybe after one more "-") follows. */
                if (*q == '-' && q - p >= 2 && isletter(q[-1]) && isletter(q[-2]) &&
                    (isletter(q[1]) || (q[1] == '-' && isletter(q[2])))) {
                    q++;
                    break;
                }
                q++;
            }
        }
        if (n == cap) {
            cap *= 2;
            v = xrealloc(v, cap * sizeof(*v));
        }
        v[n++] = (struct chunk){p, (size_t)(q - p), space};
        p = q;
    }
    *out = v;
    return n;
}

static void
wrap_comment(FILE *f, const char *text)
{
    struct chunk *c;
    size_t n = split_chunks(text, &c);
    size_t i = 0;
    int first = 1;
    while (i < n) {
        if (!first && c[i].space)
            i++;
        if (i >= n)
            break;
        size_t start = i, len = 0;
        while (i < n && len + c[i].len <= WRAP_WIDTH) {
            len += c[i].len;
            i++;
        }
        struct chunk cut = {NULL, 0, 0};
        if (i == start) {
            /* A word longer than the line: cut it (textwrap's break_long_words). */
            cut = (struct chunk){c[i].p, WRAP_WIDTH, 0};
            c[i].p += WRAP_WIDTH;
            c[i].len -= WRAP_WIDTH;
        }
        size_t end = i;
        if (end > start && c[end - 1].space)
            end--;
        fputs("# ", f);
        if (cut.p)
            fwrite(cut.p, 1, cut.len, f);
        for (size_t j = start; j < end; j++)
            fwrite(c[j].p, 1, c[j].len, f);
        fputc('\n', f);
        first = 0;
    }
    free(c);
}

void
opt_dump(const struct options *o, void *file)
{
    FILE *f = file;
    struct buf txt = BUF_INIT, val = BUF_INIT;
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt_info *info = &registry[i];
        buf_reset(&txt);
        buf_append_str(&txt, info->help);
        if (info->choices) {
            buf_append_str(&txt, " Valid values are ");
            list_choices(&txt, info->choices, "'", ", ");
            buf_append_str(&txt, ".");
        } else {
            buf_printf(&txt, " Type %s.", opt_type_name(info->type));
        }
        buf_append(&txt, "", 1);
        fputc('\n', f);
        wrap_comment(f, (const char *)buf_ptr(&txt));

        const struct strv *sv = CFIELD(o, info, struct strv);
        if (info->type == OPT_SEQ && sv->n > 0) {
            /* Block style, as ruamel.yaml writes a non-empty list. */
            fprintf(f, "%s:\n", info->name);
            for (size_t j = 0; j < sv->n; j++) {
                buf_reset(&val);
                yaml_str(&val, sv->v[j]);
                fprintf(f, "- %.*s\n", (int)val.len, (const char *)buf_ptr(&val));
            }
            continue;
        }
        buf_reset(&val);
        format_value(&val, o, info);
        if (val.len)
            fprintf(f, "%s: %.*s\n", info->name, (int)val.len, (const char *)buf_ptr(&val));
        else
            fprintf(f, "%s:\n", info->name);
    }
    buf_clear(&txt);
    buf_clear(&val);
}

int64_t
opt_parse_size(const char *s, struct err *e)
{
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return err_set(e, MP_ERR_INVAL, "invalid size '%s'", s), -1;
    uint64_t v = 0;
    while (isdigit((unsigned char)*p)) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > (uint64_t)INT64_MAX)
            return err_set(e, MP_ERR_LIMIT, "size too large '%s'", s), -1;
        p++;
    }
    int shift = 0;
    switch (tolower((unsigned char)*p)) {
    case 'k':
        shift = 10;
        break;
    case 'm':
        shift = 20;
        break;
    case 'g':
        shift = 30;
        break;
    case 't':
        shift = 40;
        break;
    default:
        break;
    }
    if (shift)
        p++;
    if (tolower((unsigned char)*p) == 'b')
        p++;
    if (*p != '\0')
        return err_set(e, MP_ERR_INVAL, "invalid size '%s'", s), -1;
    if (v > ((uint64_t)INT64_MAX >> shift))
        return err_set(e, MP_ERR_LIMIT, "size too large '%s'", s), -1;
    return (int64_t)(v << shift);
}
