/*
 * Cookie and Set-Cookie header values, read and written as mitmproxy's
 * net/http/cookies.py does: for stickycookie, server replay's refresh, and
 * later the console's cookie editor, the Python API's Request.cookies and
 * Response.cookies, and HAR export.
 *
 * Reading is deliberately loose, like mitmproxy's: it never fails, keeps
 * duplicates and malformed pairs, takes quoted values with backslash
 * escapes, and reads the comma-separated form of several cookies in one
 * Set-Cookie, where an "expires" value of three characters or fewer is
 * taken to continue past its comma ("Wed, 21 Oct ..."). What it builds is
 * proportional to the input, whose size the HTTP codecs limit. Writing
 * quotes a value that needs it (RFC 6265), except expires and path in
 * Set-Cookie.
 *
 * Names and values are bytes, NUL-terminated for convenience and with
 * their length (they may hold anything but what the header could not).
 */
#ifndef MP_HTTP_COOKIES_H
#define MP_HTTP_COOKIES_H

#include <stddef.h>

#include "util/buf.h"

struct cookie_pair {
    char *name; /* owned */
    size_t name_len;
    char *value; /* owned */
    size_t value_len;
};

struct cookie {
    struct cookie_pair kv;     /* the cookie's name and value */
    struct cookie_pair *attrs; /* owned; Set-Cookie attributes in order, names as sent */
    size_t nattrs;
};

/* A list of cookies in header order. Zeroed is empty. */
struct cookies {
    struct cookie *v; /* owned */
    size_t n;
};

void cookies_clear(struct cookies *);

/* Appends the name=value pairs of a Cookie header value p[0..n) to out
 * (cookies.parse_cookie_header). */
void cookies_parse(const char *p, size_t n, struct cookies *out);
/* Appends the cookies of one Set-Cookie header value p[0..n), each with
 * its attributes (cookies.parse_set_cookie_header). */
void cookies_parse_set(const char *p, size_t n, struct cookies *out);

/* Appends one name=value pair of a Cookie header to out, after "; " if out
 * is not empty, the value quoted if it needs it (format_cookie_header). */
void cookies_append(struct buf *out, const char *name, size_t name_len, const char *value,
                    size_t value_len);
/* Appends a Cookie header value for every cookie of cs (attributes are not
 * part of it). */
void cookies_format(struct buf *out, const struct cookies *cs);
/* Appends a Set-Cookie header value for cs: each cookie's pairs joined
 * with "; ", cookies joined with ", " (format_set_cookie_header). */
void cookies_format_set(struct buf *out, const struct cookies *cs);

/* The last attribute called name, compared without case (CookieAttrs), or NULL. */
const struct cookie_pair *cookie_attr(const struct cookie *, const char *name);
/* CookieAttrs.set_all(name, [value]): the first attribute called name
 * takes value and keeps its place, later ones go; appended if none. */
void cookie_attr_set(struct cookie *, const char *name, const char *value);
/* Removes every attribute called name. */
void cookie_attr_del(struct cookie *, const char *name);

/*
 * When the cookie expires (cookies.get_expiration_ts): its expires
 * attribute if it has one (no time if that is not a date), else now +
 * max-age if that is an integer. Returns 1 with *when set, or 0.
 */
int cookie_expiry(const struct cookie *, double now, double *when);
/* cookies.is_expired: 1 if the expiry is at or before now. */
int cookie_expired(const struct cookie *, double now);

#endif
