/*
 * The file of a multipart/form-data upload (RFC 7578), as the app's "Open"
 * and mitmweb's own app send a flow file or HAR: the first part's content,
 * byte for byte. http/forms.c's form_parse_multipart() is mitmproxy's
 * multipart.decode(), which joins a field's lines without their line
 * breaks: right for a form's text fields, ruinous for a binary file.
 */
#include <string.h>

#include "http/forms.h"
#include "util/buf.h"
#include "web/internal.h"

/* The first "\r\n" at or after p[i], or n. */
static size_t
line_end(const uint8_t *p, size_t n, size_t i)
{
    const uint8_t *cr = i < n ? memmem(p + i, n - i, "\r\n", 2) : NULL;
    return cr ? (size_t)(cr - p) : n;
}

int
web__upload_file(const char *ct, size_t ctlen, const uint8_t *p, size_t n, const uint8_t **file,
                 size_t *len)
{
    struct buf boundary = BUF_INIT, delim = BUF_INIT;
    if (form_boundary(ct, ctlen, &boundary) < 0) {
        buf_clear(&boundary);
        return -1;
    }
    /* form_boundary() keeps the quotes of boundary="...": the delimiter
     * is what they enclose. */
    const uint8_t *bp = buf_ptr(&boundary);
    size_t bn = boundary.len;
    if (bn >= 2 && bp[0] == '"' && bp[bn - 1] == '"') {
        bp++;
        bn -= 2;
    }
    buf_append_str(&delim, "\r\n--");
    buf_append(&delim, bp, bn);
    buf_clear(&boundary);
    const uint8_t *d = buf_ptr(&delim);
    int rc = -1;
    if (bn == 0)
        goto out;
    size_t dn = delim.len, start;
    /* The first delimiter opens the body or follows a line break (a
     * preamble before it is ignored). */
    if (n >= dn - 2 && memcmp(p, d + 2, dn - 2) == 0)
        start = dn - 2;
    else {
        const uint8_t *at = memmem(p, n, d, dn);
        if (at == NULL)
            goto out;
        start = (size_t)(at - p) + dn;
    }
    /* The rest of the delimiter's line (transport padding), then the
     * part's headers up to the empty line. */
    size_t i = line_end(p, n, start);
    if (i == n)
        goto out;
    i += 2;
    while (i < n) {
        size_t e = line_end(p, n, i);
        if (e == n)
            goto out;
        if (e == i) {
            i += 2;
            break;
        }
        i = e + 2;
    }
    const uint8_t *close = memmem(p + i, n - i, d, dn);
    if (close == NULL)
        goto out;
    *file = p + i;
    *len = (size_t)(close - (p + i));
    rc = 0;
out:
    buf_clear(&delim);
    return rc;
}
