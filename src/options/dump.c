/*
 * `--options` and the text form of option values: mitmdump 8.1.1's YAML
 * (ruamel.yaml's quoting) with the help wrapped as Python's textwrap does.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options/internal.h"
#include "options/opt.h"
#include "util/buf.h"
#include "util/textwrap.h"
#include "util/xmalloc.h"

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
        /* A number or boolean kept as text is written as YAML's own. */
        if (s && info->value != OPT_VALUE_TEXT)
            buf_append_str(b, s);
        else if (s)
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

/* One help line of --options: "# " and the line. */
static void
comment_line(void *arg, const char *p, size_t n)
{
    FILE *f = arg;
    fputs("# ", f);
    fwrite(p, 1, n, f);
    fputc('\n', f);
}

static int
by_name(const void *a, const void *b)
{
    return strcmp((*(const struct opt_info *const *)a)->name,
                  (*(const struct opt_info *const *)b)->name);
}

void
opt_dump(const struct options *o, void *file)
{
    FILE *f = file;
    struct buf txt = BUF_INIT, val = BUF_INIT;
    /* mitmproxy lists every option, a script's included, by name. */
    size_t n = opt_count();
    const struct opt_info **rows = xmalloc(n * sizeof(*rows));
    for (size_t i = 0; i < n; i++)
        rows[i] = opt_at(i);
    qsort(rows, n, sizeof(*rows), by_name);
    for (size_t i = 0; i < n; i++) {
        const struct opt_info *info = rows[i];
        if (info->unlisted)
            continue;
        buf_reset(&txt);
        buf_append_str(&txt, info->help);
        if (info->choices) {
            buf_append_str(&txt, " Valid values are ");
            opt__list_choices(&txt, info->choices, "'", ", ");
            buf_append_str(&txt, ".");
        } else {
            buf_printf(&txt, " Type %s.", opt_info_type_name(info));
        }
        buf_append(&txt, "", 1);
        fputc('\n', f);
        textwrap((const char *)buf_ptr(&txt), TEXTWRAP_WIDTH, comment_line, f);

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
    free(rows);
    buf_clear(&txt);
    buf_clear(&val);
}

/* Whether o's value of info is its default (an opt_new() struct's). */
static int
is_default(const struct options *o, const struct options *defaults, const struct opt_info *info)
{
    struct buf a = BUF_INIT, b = BUF_INIT;
    format_value(&a, o, info);
    format_value(&b, defaults, info);
    int same = a.len == b.len && memcmp(buf_ptr(&a), buf_ptr(&b), a.len) == 0;
    buf_clear(&a);
    buf_clear(&b);
    return same;
}

void
opt_save_yaml(const struct options *o, int defaults, void *file)
{
    FILE *f = file;
    struct options *def = opt_new();
    struct buf val = BUF_INIT;
    size_t n = opt_count();
    const struct opt_info **rows = xmalloc((n ? n : 1) * sizeof(*rows));
    for (size_t i = 0; i < n; i++)
        rows[i] = opt_at(i);
    qsort(rows, n, sizeof(*rows), by_name);
    for (size_t i = 0; i < n; i++) {
        const struct opt_info *info = rows[i];
        if (!defaults && is_default(o, def, info))
            continue;
        const struct strv *sv = CFIELD(o, info, struct strv);
        if (info->type == OPT_SEQ && sv->n > 0) {
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
    free(rows);
    buf_clear(&val);
    opt_free(def);
}
