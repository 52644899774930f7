/*
 * Spec parsing and Python-compatible substitution. Patterns are Python's
 * (util/pyre translates them for PCRE2); what PCRE2 does not do is Python's
 * replacement templates and empty-match rules, so those are written out
 * here.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/spec.h"
#include "options/opt.h"
#include "filter/filter.h"
#include "util/hex.h"
#include "util/path.h"
#include "util/num.h"
#include "util/pyre.h"
#include "util/xmalloc.h"

/* Files named by "@path" are replacement bodies; refuse anything absurd. */
#define REPL_FILE_MAX (256u * 1024 * 1024)

struct spec_re {
    pcre2_code *code;
    pcre2_match_data *md;
    int groups;
};

int
spec_parse(const char *option, struct spec *s, struct err *e)
{
    memset(s, 0, sizeof(*s));
    if (option[0] == '\0')
        return err_set(e, MP_ERR_SYNTAX, "Invalid number of parameters (2 or 3 are expected)");
    char sep = option[0];
    const char *rem = option + 1;
    /* str.split(sep, 2): at most three parts, the last one keeps later separators. */
    const char *parts[3];
    size_t lens[3], n = 0;
    const char *p = rem;
    while (n < 2) {
        const char *q = strchr(p, sep);
        if (q == NULL)
            break;
        parts[n] = p;
        lens[n++] = (size_t)(q - p);
        p = q + 1;
    }
    parts[n] = p;
    lens[n++] = strlen(p);
    if (n < 2)
        return err_set(e, MP_ERR_SYNTAX, "Invalid number of parameters (2 or 3 are expected)");
    size_t i = 0;
    if (n == 3) {
        char *expr = xstrndup(parts[0], lens[0]);
        struct err fe = {0};
        s->filter = filt_compile(expr, &fe);
        free(expr);
        if (s->filter == NULL)
            return err_set(e, MP_ERR_SYNTAX, "%s", fe.msg[0] ? fe.msg : "invalid filter");
        i = 1;
    }
    s->subject = xstrndup(parts[i], lens[i]);
    s->replacement = xstrndup(parts[i + 1], lens[i + 1]);
    return 0;
}

void
spec_clear(struct spec *s)
{
    if (s->filter)
        filt_free(s->filter);
    free(s->subject);
    free(s->replacement);
    memset(s, 0, sizeof(*s));
}

int
spec_matches(const struct spec *s, const struct flow *f)
{
    return s->filter == NULL || filt_match(s->filter, f);
}

static int
octal(int c)
{
    return c >= '0' && c <= '7';
}

int
spec_unescape(const char *s, struct buf *out, struct err *e)
{
    struct buf tmp = BUF_INIT;
    for (size_t i = 0; s[i];) {
        unsigned char c = (unsigned char)s[i];
        if (c != '\\' || s[i + 1] == '\0') {
            buf_append(&tmp, &c, 1);
            i++;
            continue;
        }
        char d = s[i + 1];
        const char *simple = strchr("\\'\"abfnrtv", d);
        if (simple && d) {
            static const char vals[] = "\\'\"\a\b\f\n\r\t\v";
            buf_append(&tmp, &vals[simple - "\\'\"abfnrtv"], 1);
            i += 2;
        } else if (d == '\n') {
            i += 2;
        } else if (octal(d)) {
            unsigned v = 0;
            size_t j = i + 1;
            for (int k = 0; k < 3 && octal(s[j]); k++, j++)
                v = v * 8 + (unsigned)(s[j] - '0');
            unsigned char b = (unsigned char)(v & 0xff);
            buf_append(&tmp, &b, 1);
            i = j;
        } else if (d == 'x') {
            int hi = hex_value((unsigned char)s[i + 2]);
            int lo = hi < 0 ? -1 : hex_value((unsigned char)s[i + 3]);
            if (lo < 0) {
                buf_clear(&tmp);
                return err_set(e, MP_ERR_SYNTAX, "invalid \\x escape at position %zu", i);
            }
            unsigned char b = (unsigned char)(hi * 16 + lo);
            buf_append(&tmp, &b, 1);
            i += 4;
        } else {
            buf_append(&tmp, "\\", 1);
            i++;
        }
    }
    buf_append(out, buf_ptr(&tmp), tmp.len);
    buf_clear(&tmp);
    return 0;
}

int
spec_read_replacement(const char *repl, struct buf *out, struct err *e)
{
    if (repl[0] != '@')
        return spec_unescape(repl, out, e);
    char *path = path_expand_home(repl + 1);
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        int rc = err_set(e, MP_ERR_IO, "Invalid file path: %s (%s)", repl + 1, strerror(errno));
        free(path);
        return rc;
    }
    struct buf tmp = BUF_INIT;
    char chunk[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (tmp.len + n > REPL_FILE_MAX) {
            rc = err_set(e, MP_ERR_LIMIT, "%s: file larger than %u bytes", path, REPL_FILE_MAX);
            break;
        }
        buf_append(&tmp, chunk, n);
    }
    if (rc == 0 && ferror(fp))
        rc = err_set(e, MP_ERR_IO, "Invalid file path: %s (%s)", repl + 1, strerror(errno));
    fclose(fp);
    free(path);
    if (rc == 0)
        buf_append(out, buf_ptr(&tmp), tmp.len);
    buf_clear(&tmp);
    return rc;
}

struct spec_re *
spec_re_compile(const uint8_t *pattern, size_t n, unsigned flags, struct err *e)
{
    struct err re_err = {0};
    size_t off = 0;
    pcre2_code *re = pyre_compile((const char *)pattern, n, flags, &off, &re_err);
    if (re == NULL) {
        return err_set(e, MP_ERR_SYNTAX, "Invalid regular expression '%.*s' (%s at position %zu)",
                       (int)(n > 100 ? 100 : n), (const char *)pattern, re_err.msg, off),
               NULL;
    }
    struct spec_re *r = xcalloc(1, sizeof(*r));
    r->code = re;
    r->md = pcre2_match_data_create_from_pattern(re, NULL);
    uint32_t groups = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
    r->groups = (int)groups;
    return r;
}

void
spec_re_free(struct spec_re *r)
{
    if (r == NULL)
        return;
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->code);
    free(r);
}

int
spec_re_groups(const struct spec_re *r)
{
    return r->groups;
}

int
spec_re_search(const struct spec_re *r, const uint8_t *s, size_t n)
{
    return pcre2_match(r->code, s, n, 0, 0, r->md, NULL) >= 0;
}

int
spec_re_first(const struct spec_re *r, const uint8_t *s, size_t n, int group, size_t *start,
              size_t *end)
{
    if (pcre2_match(r->code, s, n, 0, 0, r->md, NULL) < 0)
        return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
    if (group > r->groups || ov[2 * group] == PCRE2_UNSET) {
        *start = *end = 0;
        return 1;
    }
    *start = ov[2 * group];
    *end = ov[2 * group + 1];
    return 1;
}

/* Appends group g of the current match (nothing for an unmatched group). */
static void
put_group(const struct spec_re *r, const uint8_t *s, int g, struct buf *out)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
    if (ov[2 * g] == PCRE2_UNSET)
        return;
    buf_append(out, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
}

/*
 * Expands the template (Python's sre_parse.parse_template and expand).
 * With s == NULL it only checks the template, as Python does before it
 * looks for any match.
 */
static int
expand(const struct spec_re *r, const uint8_t *t, size_t tn, const uint8_t *s, struct buf *out,
       struct err *e)
{
    static const char esc_from[] = "abfnrtv\\";
    static const char esc_to[] = "\a\b\f\n\r\t\v\\";
    for (size_t i = 0; i < tn;) {
        if (t[i] != '\\') {
            size_t j = i;
            while (j < tn && t[j] != '\\')
                j++;
            if (s)
                buf_append(out, t + i, j - i);
            i = j;
            continue;
        }
        if (i + 1 >= tn)
            return err_set(e, MP_ERR_SYNTAX, "bad escape (end of pattern) at position %zu", i);
        uint8_t c = t[i + 1];
        int g = -1;
        if (c == 'g') {
            if (i + 2 >= tn || t[i + 2] != '<')
                return err_set(e, MP_ERR_SYNTAX, "missing < at position %zu", i + 2);
            const uint8_t *close = memchr(t + i + 3, '>', tn - i - 3);
            if (close == NULL)
                return err_set(e, MP_ERR_SYNTAX, "missing >, unterminated name at position %zu",
                               i + 3);
            size_t nlen = (size_t)(close - (t + i + 3));
            char name[64];
            if (nlen == 0 || nlen >= sizeof(name))
                return err_set(e, MP_ERR_SYNTAX, "bad character in group name at position %zu",
                               i + 3);
            memcpy(name, t + i + 3, nlen);
            name[nlen] = '\0';
            if (strspn(name, "0123456789") == nlen) {
                /* Python checks the number against the pattern's groups;
                 * a number past them (or past any int) is refused whole. */
                int64_t v;
                if (num_parse(name, nlen, 0, r->groups, &v) < 0)
                    return err_set(e, MP_ERR_SYNTAX, "invalid group reference %s", name);
                g = (int)v;
            } else {
                g = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)name);
                if (g < 0)
                    return err_set(e, MP_ERR_SYNTAX, "unknown group name '%s'", name);
            }
            i += 3 + nlen + 1;
        } else if (c == '0') {
            /* \0 plus up to two more octal digits. */
            unsigned v = 0;
            size_t j = i + 2;
            for (int k = 0; k < 2 && j < tn && octal(t[j]); k++, j++)
                v = v * 8 + (unsigned)(t[j] - '0');
            uint8_t b = (uint8_t)v;
            if (s)
                buf_append(out, &b, 1);
            i = j;
            continue;
        } else if (c >= '1' && c <= '9') {
            size_t j = i + 2;
            if (j < tn && isdigit(t[j])) {
                if (octal(c) && octal(t[j]) && j + 1 < tn && octal(t[j + 1])) {
                    unsigned v = (unsigned)((c - '0') * 64 + (t[j] - '0') * 8 + (t[j + 1] - '0'));
                    if (v > 0377)
                        return err_set(e, MP_ERR_SYNTAX,
                                       "octal escape value \\%c%c%c outside of range 0-0o377", c,
                                       t[j], t[j + 1]);
                    uint8_t b = (uint8_t)v;
                    if (s)
                        buf_append(out, &b, 1);
                    i = j + 2;
                    continue;
                }
                g = (c - '0') * 10 + (t[j] - '0');
                i = j + 1;
            } else {
                g = c - '0';
                i = j;
            }
        } else {
            const char *k = c ? strchr(esc_from, c) : NULL;
            if (k) {
                if (s)
                    buf_append(out, &esc_to[k - esc_from], 1);
            } else if (isalpha(c)) {
                return err_set(e, MP_ERR_SYNTAX, "bad escape \\%c at position %zu", c, i);
            } else if (s) {
                buf_append(out, t + i, 2);
            }
            i += 2;
            continue;
        }
        if (g > r->groups)
            return err_set(e, MP_ERR_SYNTAX, "invalid group reference %d", g);
        if (s)
            put_group(r, s, g, out);
    }
    return 0;
}

int
spec_re_check_template(const struct spec_re *r, const uint8_t *repl, size_t repl_len,
                       struct err *e)
{
    return expand(r, repl, repl_len, NULL, NULL, e);
}

int
spec_re_sub(const struct spec_re *r, const uint8_t *repl, size_t repl_len, const uint8_t *s,
            size_t n, struct buf *out, size_t *count, struct err *e)
{
    int rc = spec_re_check_template(r, repl, repl_len, e);
    if (rc < 0)
        return rc;
    struct buf tmp = BUF_INIT;
    size_t pos = 0, copied = 0, subs = 0;
    uint32_t opts = 0;
    while (pos <= n) {
        int m = pcre2_match(r->code, s, n, pos, opts, r->md, NULL);
        if (m < 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
        size_t ms = ov[0], me = ov[1];
        buf_append(&tmp, s + copied, ms - copied);
        expand(r, repl, repl_len, s, &tmp, NULL);
        subs++;
        copied = me;
        pos = me;
        /* After an empty match the next one must not be empty at the same spot
         * (Python 3.7+: it may be non-empty there, or anywhere later). */
        opts = ms == me ? PCRE2_NOTEMPTY_ATSTART : 0;
        if (ms == me && pos == n)
            break;
    }
    buf_append(&tmp, s + copied, n - copied);
    buf_append(out, buf_ptr(&tmp), tmp.len);
    buf_clear(&tmp);
    if (count)
        *count = subs;
    return 0;
}

void
spec_rules_free(void *rules, size_t n, size_t rule_size, spec_rule_clear_cb clear)
{
    for (size_t i = 0; i < n; i++)
        clear((char *)rules + i * rule_size);
    free(rules);
}

int
spec_rules_parse(const struct strv *values, const char *option, size_t rule_size,
                 spec_rule_parse_cb parse, spec_rule_clear_cb clear, void **rules,
                 struct err *e)
{
    char *v = xcalloc(values->n ? values->n : 1, rule_size);
    for (size_t i = 0; i < values->n; i++) {
        struct err pe = {0};
        if (parse(values->v[i], v + i * rule_size, &pe) < 0) {
            spec_rules_free(v, i, rule_size, clear);
            return err_set(e, MP_ERR_INVAL, "Cannot parse %s option %s: %s", option,
                           values->v[i], pe.msg);
        }
    }
    *rules = v;
    return 0;
}
