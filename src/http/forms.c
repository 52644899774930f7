/* Forms. See forms.h. */
#include <stdlib.h>
#include <string.h>

#include "http/forms.h"
#include "http/url.h"
#include "util/xmalloc.h"

void
form_clear(struct form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].value);
    }
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

void
form_add(struct form *f, const void *name, size_t name_len, const void *value, size_t value_len)
{
    f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
    f->v[f->n++] = (struct form_field){slice_strdup(slice_from(name, name_len)), name_len,
                                       slice_strdup(slice_from(value, value_len)), value_len};
}

void
form_parse_urlencoded(const char *p, size_t n, struct form *out)
{
    struct buf name = BUF_INIT, value = BUF_INIT;
    for (size_t i = 0; i < n;) {
        const char *amp = memchr(p + i, '&', n - i);
        size_t len = amp ? (size_t)(amp - (p + i)) : n - i;
        if (len > 0) {
            const char *item = p + i;
            const char *eq = memchr(item, '=', len);
            size_t nl = eq ? (size_t)(eq - item) : len;
            buf_reset(&name);
            buf_reset(&value);
            http_unquote(&name, item, nl, 1);
            if (eq)
                http_unquote(&value, eq + 1, len - nl - 1, 1);
            form_add(out, buf_ptr(&name), name.len, buf_ptr(&value), value.len);
        }
        i += len + 1;
    }
    buf_clear(&name);
    buf_clear(&value);
}

/* quote_plus(b, safe=extra): letters, digits, "_.-~" and extra stay, a
 * space is "+" when plus is set, anything else %XX. */
static void
quote(struct buf *out, const char *p, size_t n, const char *extra, int plus)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            (c && strchr("_.-~", c)) || (c && strchr(extra, c))) {
            buf_append(out, &p[i], 1);
        } else if (c == ' ' && plus) {
            buf_append(out, "+", 1);
        } else {
            char x[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_append(out, x, 3);
        }
    }
}

/* url.encode(similar_to=...): whether some item of similar has no "=". */
static int
keeps_bare_names(const char *s, size_t n)
{
    for (size_t i = 0; i <= n;) {
        const char *amp = s ? memchr(s + i, '&', n - i) : NULL;
        size_t len = amp ? (size_t)(amp - (s + i)) : n - i;
        if (memchr(s + i, '=', len) == NULL)
            return 1;
        i += len + 1;
    }
    return 0;
}

void
form_write_urlencoded(struct buf *out, const struct form *f, const char *similar,
                      size_t similar_len)
{
    int bare = similar && similar_len && keeps_bare_names(similar, similar_len);
    for (size_t i = 0; i < f->n; i++) {
        if (i)
            buf_append(out, "&", 1);
        quote(out, f->v[i].name, f->v[i].name_len, "", 1);
        /* encoded.replace("=&", "&") and the final "=" dropped. */
        if (bare && f->v[i].value_len == 0)
            continue;
        buf_append(out, "=", 1);
        quote(out, f->v[i].value, f->v[i].value_len, "", 1);
    }
}

static int
is_space(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

int
form_boundary(const char *ct, size_t n, struct buf *out)
{
    /* parse_content_type: "type/subtype" before the first ";", then
     * "k=v" clauses, later keys replacing earlier ones. */
    const char *semi = memchr(ct, ';', n);
    size_t head = semi ? (size_t)(semi - ct) : n;
    if (memchr(ct, '/', head) == NULL)
        return MP_ERR_NOTFOUND;
    const char *v = NULL, *ve = NULL;
    for (size_t i = head; semi && i < n;) {
        size_t start = i + 1;
        const char *next = memchr(ct + start, ';', n - start);
        size_t end = next ? (size_t)(next - ct) : n;
        const char *eq = memchr(ct + start, '=', end - start);
        if (eq) {
            const char *k = ct + start, *ke = eq, *vs = eq + 1, *vend = ct + end;
            while (k < ke && is_space((unsigned char)*k))
                k++;
            while (ke > k && is_space((unsigned char)ke[-1]))
                ke--;
            while (vs < vend && is_space((unsigned char)*vs))
                vs++;
            while (vend > vs && is_space((unsigned char)vend[-1]))
                vend--;
            if (ke - k == 8 && memcmp(k, "boundary", 8) == 0) {
                v = vs;
                ve = vend;
            }
        }
        i = end;
    }
    if (v == NULL)
        return MP_ERR_NOTFOUND;
    /* .encode("ascii") */
    for (const char *c = v; c < ve; c++)
        if ((unsigned char)*c >= 0x80)
            return MP_ERR_NOTFOUND;
    buf_append(out, v, (size_t)(ve - v));
    return 0;
}

struct line {
    const uint8_t *p;
    size_t n;
};

/* bytes.splitlines(): "\n", "\r\n" and "\r" end a line. */
static size_t
splitlines(const uint8_t *p, size_t n, struct line **out)
{
    size_t count = 0, cap = 0;
    struct line *v = NULL;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j] != '\n' && p[j] != '\r')
            j++;
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            v = xrealloc(v, cap * sizeof(*v));
        }
        v[count++] = (struct line){p + i, j - i};
        if (j + 1 < n && p[j] == '\r' && p[j + 1] == '\n')
            j++;
        i = j + 1;
    }
    *out = v;
    return count;
}

static int
word_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* re.search(rb'\bname="([^"]+)"', line) */
static int
part_name(struct line l, struct line *name)
{
    for (size_t i = 0; i + 6 <= l.n; i++) {
        if (memcmp(l.p + i, "name=\"", 6) != 0 || (i > 0 && word_char(l.p[i - 1])))
            continue;
        size_t j = i + 6;
        while (j < l.n && l.p[j] != '"')
            j++;
        if (j < l.n && j > i + 6) {
            *name = (struct line){l.p + i + 6, j - i - 6};
            return 1;
        }
    }
    return 0;
}

int
form_parse_multipart(const char *ct, size_t ctlen, const uint8_t *p, size_t n, struct form *out,
                     struct err *e)
{
    struct buf delim = BUF_INIT;
    buf_append_str(&delim, "--");
    if (form_boundary(ct, ctlen, &delim) < 0) {
        buf_clear(&delim);
        return 0;
    }
    /* content.split(b"--" + boundary): every piece whose first line does
     * not start with "--" and whose second names a field is one, its value
     * the lines after the first empty one, joined without separators. */
    struct form got = {0};
    struct buf value = BUF_INIT;
    int rc = 0;
    size_t piece = 0;
    for (size_t i = 0;; piece++) {
        const uint8_t *next = memmem(p + i, n - i, buf_ptr(&delim), delim.len);
        size_t end = next ? (size_t)(next - p) : n;
        struct line *lines;
        size_t nl = splitlines(p + i, end - i, &lines);
        struct line name;
        if (nl > 1 && !(lines[0].n >= 2 && memcmp(lines[0].p, "--", 2) == 0) &&
            part_name(lines[1], &name)) {
            size_t blank = 2;
            while (blank < nl && lines[blank].n != 0)
                blank++;
            if (blank == nl) {
                free(lines);
                rc = err_set(e, MP_ERR_SYNTAX,
                             "multipart: part %zu (\"%.*s\") has no empty line after its headers",
                             piece, (int)(name.n > 40 ? 40 : name.n), (const char *)name.p);
                break;
            }
            buf_reset(&value);
            for (size_t k = blank + 1; k < nl; k++)
                buf_append(&value, lines[k].p, lines[k].n);
            form_add(&got, name.p, name.n, buf_ptr(&value), value.len);
        }
        free(lines);
        if (next == NULL)
            break;
        i = end + delim.len;
    }
    if (rc == 0) {
        for (size_t k = 0; k < got.n; k++)
            form_add(out, got.v[k].name, got.v[k].name_len, got.v[k].value, got.v[k].value_len);
    }
    form_clear(&got);
    buf_clear(&value);
    buf_clear(&delim);
    return rc;
}

int
form_write_multipart(struct buf *out, const char *ct, size_t ctlen, const struct form *f,
                     struct err *e)
{
    struct buf raw = BUF_INIT, b = BUF_INIT;
    if (form_boundary(ct, ctlen, &raw) < 0) {
        buf_clear(&raw);
        return err_set(e, MP_ERR_NOTFOUND, "multipart: no boundary in the Content-Type");
    }
    quote(&b, (const char *)buf_ptr(&raw), raw.len, "/", 0);
    buf_clear(&raw);
    struct buf body = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < f->n; i++) {
        const struct form_field *fl = &f->v[i];
        if (fl->name_len) {
            buf_append_str(&body, "--");
            buf_append_slice(&body, buf_slice(&b));
            buf_append_str(&body, "\r\nContent-Disposition: form-data; name=\"");
            buf_append(&body, fl->name, fl->name_len);
            /* mimetypes.guess_type(str(key)) sees "b'name'" for mitmproxy's
             * bytes keys and never guesses: always the default. */
            buf_append_str(&body, "\"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
            buf_append(&body, fl->value, fl->value_len);
            buf_append_str(&body, "\r\n");
        }
        buf_append_str(&body, "\r\n");
        /* re.search(b"^--boundary$", value): the whole value, or with a
         * final newline. */
        size_t vl = fl->value_len;
        if (vl && fl->value[vl - 1] == '\n')
            vl--;
        if (vl == b.len + 2 && memcmp(fl->value, "--", 2) == 0 &&
            memcmp(fl->value + 2, buf_ptr(&b), b.len) == 0) {
            rc = err_set(e, MP_ERR_INVAL, "multipart: boundary found in the value of part %zu", i);
            break;
        }
    }
    if (rc == 0) {
        buf_append_slice(out, buf_slice(&body));
        buf_append_str(out, "--");
        buf_append_slice(out, buf_slice(&b));
        buf_append_str(out, "--\r\n");
    }
    buf_clear(&body);
    buf_clear(&b);
    return rc;
}
