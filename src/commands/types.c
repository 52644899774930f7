/*
 * mitmproxy's command types (types.py): a string argument parsed into the
 * value its parameter's type says, with the same refusals.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "commands/internal.h"
#include "flow/flow.h"
#include "util/emoji.h"
#include "util/hex.h"
#include "util/num.h"
#include "util/path.h"
#include "util/xmalloc.h"

const char *
cmds_type_name(enum cmds_type t)
{
    switch (t) {
#define X(name, str)                                                                               \
    case CMDS_##name:                                                                              \
        return str;
        CMDS_TYPE_MAP(X)
#undef X
    }
    return "?";
}

void
cmds_value_clear(struct cmds_value *v)
{
    free(v->s);
    strv_clear(&v->strs);
    if (v->flow)
        flow_unref(v->flow);
    cmds__flows_clear(&v->flows);
    for (size_t i = 0; i < v->data.rows * v->data.cols; i++)
        buf_clear(&v->data.cells[i]);
    free(v->data.cells);
    memset(v, 0, sizeof(*v));
}

void
cmds__flows_clear(struct cmds_flows *f)
{
    for (size_t i = 0; i < f->n; i++)
        flow_unref(f->v[i]);
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

static void
put_utf8(struct buf *out, unsigned long cp)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xc0 | cp >> 6);
        b[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xe0 | cp >> 12);
        b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        b[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (uint8_t)(0xf0 | cp >> 18);
        b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
        b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        b[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_append(out, b, n);
}

/* n hex digits at p as a number, or -1. */
static long
hexn(const char *p, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++) {
        int d = hex_value((unsigned char)p[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/*
 * The str type's escapes (Python string literal escapes): \\ \' \" \a \b \f
 * \n \r \t \v, \ooo, \xhh, \uhhhh, \Uhhhhhhhh. Anything else after a
 * backslash stays as it is, as in mitmproxy. bytes: \x and octal give raw
 * bytes rather than code points.
 */
static int
unescape(const char *s, int bytes, struct buf *out, struct err *e)
{
    static const char from[] = "\\'\"abfnrtv";
    static const char to[] = "\\'\"\a\b\f\n\r\t\v";
    for (const char *p = s; *p;) {
        if (*p != '\\' || p[1] == '\0') {
            buf_append(out, p++, 1);
            continue;
        }
        const char *k = strchr(from, p[1]);
        if (k) {
            buf_append(out, &to[k - from], 1);
            p += 2;
        } else if (p[1] >= '0' && p[1] <= '7') {
            unsigned long v = 0;
            int i = 1;
            for (; i <= 3 && p[i] >= '0' && p[i] <= '7'; i++)
                v = v * 8 + (unsigned long)(p[i] - '0');
            if (bytes) {
                uint8_t b = (uint8_t)v;
                buf_append(out, &b, 1);
            } else {
                put_utf8(out, v);
            }
            p += i;
        } else if (p[1] == 'x' || (!bytes && (p[1] == 'u' || p[1] == 'U'))) {
            int n = p[1] == 'x' ? 2 : p[1] == 'u' ? 4 : 8;
            long v = (long)strnlen(p + 2, (size_t)n) == n ? hexn(p + 2, n) : -1;
            if (v < 0 || v > 0x10ffff)
                return err_set(e, MP_ERR_SYNTAX, "Invalid str: truncated \\%c escape", p[1]);
            if (bytes) {
                uint8_t b = (uint8_t)v;
                buf_append(out, &b, 1);
            } else {
                put_utf8(out, (unsigned long)v);
            }
            p += 2 + n;
        } else {
            buf_append(out, p, 2);
            p += 2;
        }
    }
    return 0;
}

static int
parse_flows(struct cmds *c, const char *s, struct cmds_flows *out, struct err *e)
{
    if (c->resolve == NULL)
        return err_set(e, MP_ERR_UNSUPPORTED, "Invalid flow specification: no flows here");
    return c->resolve(c->resolve_arg, s, out, e);
}

int
cmds__parse(struct cmds *c, const struct cmds_param *p, const char *s, struct cmds_value *v,
            struct err *e)
{
    memset(v, 0, sizeof(*v));
    v->type = p->type;
    struct buf b = BUF_INIT;
    int rc = 0;
    switch (p->type) {
    case CMDS_NONE:
    case CMDS_UNKNOWN:
    case CMDS_ARG:
        v->s = xstrdup(s);
        return 0;
    case CMDS_STR:
    case CMDS_BYTES:
        rc = unescape(s, p->type == CMDS_BYTES, &b, e);
        v->len = b.len;
        v->s = buf_strdup(&b);
        buf_clear(&b);
        return rc;
    case CMDS_INT: {
        int64_t n;
        const char *t = s + (*s == '+');
        if (num_parse_cstr(t, -2147483647L - 1, 2147483647L, &n) < 0)
            return err_set(e, MP_ERR_SYNTAX, "invalid literal for int() with base 10: '%s'", s);
        v->i = (long)n;
        return 0;
    }
    case CMDS_BOOL:
        if (strcmp(s, "true") == 0)
            v->b = 1;
        else if (strcmp(s, "false") != 0)
            return err_set(e, MP_ERR_SYNTAX, "Booleans are 'true' or 'false', got %s", s);
        return 0;
    case CMDS_PATH:
        v->s = path_expand_home(s);
        return 0;
    case CMDS_CMD:
        if (!cmds_has(c, s))
            return err_set(e, MP_ERR_NOTFOUND, "Unknown command: %s", s);
        v->s = xstrdup(s);
        return 0;
    case CMDS_STRS:
    case CMDS_CUTSPEC: {
        /* "a, b" -> ["a", "b"] (str[] strips each; cut[] keeps them). */
        const char *q = s;
        for (;;) {
            const char *comma = strchr(q, ',');
            size_t n = comma ? (size_t)(comma - q) : strlen(q);
            const char *a = q;
            if (p->type == CMDS_STRS) {
                while (n && isspace((unsigned char)*a))
                    a++, n--;
                while (n && isspace((unsigned char)a[n - 1]))
                    n--;
            }
            char *item = xstrndup(a, n);
            strv_push(&v->strs, item);
            free(item);
            if (!comma)
                break;
            q = comma + 1;
        }
        return 0;
    }
    case CMDS_FLOW: {
        struct cmds_flows f = {0};
        if ((rc = parse_flows(c, s, &f, e)) < 0)
            return rc;
        if (f.n != 1) {
            rc = err_set(e, MP_ERR_INVAL,
                         "Command requires one flow, specification matched %zu.", f.n);
            cmds__flows_clear(&f);
            return rc;
        }
        v->flow = f.v[0];
        free(f.v);
        return 0;
    }
    case CMDS_FLOWS:
        return parse_flows(c, s, &v->flows, e);
    case CMDS_DATA:
        return err_set(e, MP_ERR_INVAL, "data cannot be passed as argument");
    case CMDS_CHOICE: {
        struct cmds_value opts = {0};
        struct err ce = {0};
        if (p->choices_cmd == NULL || cmds_call(c, p->choices_cmd, NULL, 0, &opts, &ce) < 0)
            return err_set(e, MP_ERR_INVAL, "Invalid choice.");
        int ok = 0;
        for (size_t i = 0; i < opts.strs.n; i++)
            ok |= strcmp(opts.strs.v[i], s) == 0;
        cmds_value_clear(&opts);
        v->type = CMDS_CHOICE;
        if (!ok)
            return err_set(e, MP_ERR_INVAL, "Invalid choice.");
        v->s = xstrdup(s);
        return 0;
    }
    case CMDS_MARKER:
        /* "true" is the default marker, "false" unmarks; anything else must
         * be a marker name the flow lists can show (":grapes:", "x"). */
        if (strcmp(s, "true") == 0)
            v->s = xstrdup(":default:");
        else if (strcmp(s, "false") == 0)
            v->s = xstrdup("");
        else if (emoji_glyph(s) == NULL)
            return err_set(e, MP_ERR_INVAL, "Invalid choice.");
        else
            v->s = xstrdup(s);
        return 0;
    }
    return err_set(e, MP_ERR_INVAL, "Unsupported argument type");
}
