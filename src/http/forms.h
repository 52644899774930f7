/*
 * Query strings, urlencoded forms and multipart forms, read and written as
 * mitmproxy does (net/http/url.py's decode and encode, which are
 * urllib.parse.parse_qsl(keep_blank_values=True) and urlencode, and
 * net/http/multipart.py): server replay's matching now, and the UIs'
 * and scripts' form editors (Request.query, urlencoded_form,
 * multipart_form) later.
 *
 * Names and values are bytes: percent escapes decode to any byte, as
 * mitmproxy's surrogateescape keeps them, and are NUL-terminated for
 * convenience besides their length. The readers never fail on urlencoded
 * text and build what is proportional to their input; multipart reading
 * fails where mitmproxy's raises ValueError, and its callers treat that as
 * an empty form, as mitmproxy's do.
 */
#ifndef MP_HTTP_FORMS_H
#define MP_HTTP_FORMS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct form_field {
    char *name; /* owned */
    size_t name_len;
    char *value; /* owned */
    size_t value_len;
};

/* Fields in order, duplicates kept. Zeroed is empty. */
struct form {
    struct form_field *v; /* owned */
    size_t n;
};

void form_clear(struct form *);
/* Appends a copy of name and value. */
void form_add(struct form *, const void *name, size_t name_len, const void *value,
              size_t value_len);

/*
 * Appends the fields of a query string or urlencoded body p[0..n): split
 * at "&", empty items skipped, an item without "=" has the value "",
 * "+" and %XX decoded in names and values.
 */
void form_parse_urlencoded(const char *p, size_t n, struct form *out);
/*
 * Appends f urlencoded (urlencode: "+" for space, %XX for every byte but
 * letters, digits and "_.-~"). With similar (may be NULL) holding an item
 * without "=", empty values are written without "=", as url.encode()
 * keeps a query's style.
 */
void form_write_urlencoded(struct buf *out, const struct form *f, const char *similar,
                           size_t similar_len);

/*
 * The boundary parameter of a Content-Type ct[0..n), as
 * headers.parse_content_type and multipart.decode read it (the last one,
 * trimmed, quotes kept, ASCII only). Returns 0 with it appended to out,
 * or MP_ERR_NOTFOUND.
 */
int form_boundary(const char *ct, size_t n, struct buf *out);

/*
 * multipart.decode(): appends the named parts of body p[0..n) whose
 * Content-Type is ct[0..ctlen). A Content-Type without a boundary gives
 * no fields. Returns 0, or MP_ERR_SYNTAX (out unchanged) for a part
 * without the blank line after its headers.
 */
int form_parse_multipart(const char *ct, size_t ctlen, const uint8_t *p, size_t n, struct form *out,
                         struct err *e);
/*
 * multipart.encode(): appends f as a multipart body with the boundary of
 * ct[0..ctlen) (percent-quoted as mitmproxy quotes it). A field without a
 * name adds only an empty line. Returns 0, MP_ERR_NOTFOUND if ct has no
 * boundary, or MP_ERR_INVAL when a value is the boundary line itself.
 */
int form_write_multipart(struct buf *out, const char *ct, size_t ctlen, const struct form *f,
                         struct err *e);

#endif
