/*
 * Multipart Form: the fields of a multipart/form-data body (name and
 * value, each name once with its first value) under a "Form data:" line.
 *
 * 8.1.1 hands this view the content type without its parameters, so the
 * boundary is never there and the body always falls back to Raw; that is
 * kept for identical output. A content type given with its boundary (as
 * cv_meta allows) is parsed as 8.1.1's multipart.decode would.
 */
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"
#include "util/xmalloc.h"

/* parse_content_type()'s "boundary" parameter (stripped, not unquoted). */
static int
boundary(const char *ct, struct buf *out)
{
    const char *semi = strchr(ct, ';');
    const char *slash = memchr(ct, '/', semi ? (size_t)(semi - ct) : strlen(ct));
    if (slash == NULL || semi == NULL)
        return -1;
    int found = -1;
    for (const char *c = semi + 1;;) {
        size_t n = strcspn(c, ";");
        const char *eq = memchr(c, '=', n);
        if (eq) {
            size_t ko, kl, vo, vl;
            cv__strip((const uint8_t *)c, (size_t)(eq - c), &ko, &kl);
            cv__strip((const uint8_t *)eq + 1, n - (size_t)(eq + 1 - c), &vo, &vl);
            if (kl == 8 && memcmp(c + ko, "boundary", 8) == 0) {
                /* A later parameter of the same name replaces the earlier. */
                buf_reset(out);
                buf_append(out, eq + 1 + vo, vl);
                found = 0;
            }
        }
        if (c[n] == '\0')
            break;
        c += n + 1;
    }
    if (found == 0)
        for (size_t i = 0; i < out->len; i++)
            if (buf_ptr(out)[i] >= 0x80)
                return -1; /* .encode("ascii") */
    return found;
}

/* bytes.splitlines(): at \n, \r and \r\n. Line i is lines[2i] .. lines[2i+1]. */
static size_t
split_lines(const uint8_t *p, size_t n, size_t **lines)
{
    size_t count = 0, cap = 0;
    *lines = NULL;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j] != '\n' && p[j] != '\r')
            j++;
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            *lines = xrealloc(*lines, cap * 2 * sizeof(**lines));
        }
        (*lines)[2 * count] = i;
        (*lines)[2 * count + 1] = j;
        count++;
        i = j < n && p[j] == '\r' && j + 1 < n && p[j + 1] == '\n' ? j + 2 : j + 1;
    }
    return count;
}

static int
word(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The first \bname="([^"]+)" in p[0..n). */
static int
field_name(const uint8_t *p, size_t n, struct slice *name)
{
    for (size_t i = 0; i + 6 <= n; i++) {
        if (memcmp(p + i, "name=\"", 6) != 0 || (i > 0 && word(p[i - 1])))
            continue;
        const uint8_t *q = memchr(p + i + 6, '"', n - i - 6);
        if (q && q > p + i + 6) {
            *name = slice_from(p + i + 6, (size_t)(q - (p + i + 6)));
            return 1;
        }
    }
    return 0;
}

/* One part between boundaries; -1 where 8.1.1 raises (no blank line). */
static int
part(const uint8_t *p, size_t n, struct buf *store, size_t **kv, size_t *count)
{
    size_t *ln;
    size_t nl = split_lines(p, n, &ln);
    int rc = 0;
    struct slice name;
    if (nl > 1 && !(ln[1] - ln[0] >= 2 && memcmp(p + ln[0], "--", 2) == 0) &&
        field_name(p + ln[2], ln[3] - ln[2], &name)) {
        size_t blank = 2;
        while (blank < nl && ln[2 * blank + 1] != ln[2 * blank])
            blank++;
        if (blank == nl) {
            rc = -1;
        } else {
            *kv = xrealloc(*kv, (*count + 1) * 4 * sizeof(**kv));
            size_t *e = *kv + 4 * (*count)++;
            e[0] = store->len;
            buf_append(store, name.p, name.len);
            e[1] = name.len;
            e[2] = store->len;
            /* The value's lines, joined with nothing between them. */
            for (size_t i = blank + 1; i < nl; i++)
                buf_append(store, p + ln[2 * i], ln[2 * i + 1] - ln[2 * i]);
            e[3] = store->len - e[2];
        }
    }
    free(ln);
    return rc;
}

int
cv__multipart_priority(struct cv_render *r)
{
    return r->body.len && r->ctype && strcmp(r->ctype, "multipart/form-data") == 0 ? 10 : 0;
}

int
cv__multipart_render(struct cv_render *r)
{
    if (r->state)
        return cv__queue_drain(r, r->state);
    struct buf sep = BUF_INIT;
    if (r->ctype == NULL || boundary(r->ctype, &sep) < 0) {
        buf_clear(&sep);
        return CV__FAIL;
    }
    struct buf delim = BUF_INIT, store = BUF_INIT;
    buf_append_str(&delim, "--");
    buf_append(&delim, buf_ptr(&sep), sep.len);
    buf_clear(&sep);
    const uint8_t *p = cv__data(r), *end = p + r->body.len;
    size_t *kv = NULL, count = 0;
    int rc = 0;
    /* bytes.split(b"--" + boundary) */
    for (const uint8_t *s = p; rc == 0;) {
        const uint8_t *hit = memmem(s, (size_t)(end - s), buf_ptr(&delim), delim.len);
        const uint8_t *e = hit ? hit : end;
        rc = part(s, (size_t)(e - s), &store, &kv, &count);
        if (hit == NULL)
            break;
        s = hit + delim.len;
    }
    buf_clear(&delim);
    if (rc < 0 || count == 0) {
        free(kv);
        buf_clear(&store);
        return CV__FAIL;
    }
    cv__set_desc(r, "Multipart form");
    /* MultiDict: each name once, with its first value. */
    struct cv__pair *pairs = xmalloc(count * sizeof(*pairs));
    const uint8_t *t = buf_ptr(&store);
    for (size_t i = 0; i < count; i++)
        pairs[i] = (struct cv__pair){slice_from(t + kv[4 * i], kv[4 * i + 1]),
                                     slice_from(t + kv[4 * i + 2], kv[4 * i + 3])};
    size_t np = cv__pairs_unique(pairs, count);
    struct cv_lines lines = CV_LINES_INIT;
    cv__line(&lines);
    cv__tok_plain(&lines, CV_STYLE_HIGHLIGHT, "Form data:\n", 11);
    cv__format_pairs(&lines, pairs, np, 1);
    free(pairs);
    free(kv);
    buf_clear(&store);
    return cv__queue_start(r, &lines);
}
