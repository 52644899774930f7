/*
 * Dates in HTTP fields (Date, Expires, Last-Modified, a cookie's expires),
 * read and written as mitmproxy does it: Python's email.utils.parsedate_tz
 * with mktime_tz, and formatdate(usegmt=True).
 *
 * The reader is as loose as Python's: RFC 1123 ("Sun, 06 Nov 1994
 * 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT"), asctime
 * ("Sun Nov  6 08:49:37 1994"), numeric zones, the US zone names, a
 * missing day name, two-digit years (69-99 are 19xx), "." between the
 * parts of the time. A date without a zone it knows is UTC (parsedate_tz
 * makes the unknown offset 0). Years must be 1-9999, as Python's calendar
 * needs.
 */
#ifndef MP_HTTP_DATE_H
#define MP_HTTP_DATE_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/*
 * Reads the date at p[0..n) into seconds since the epoch. Returns 0, or
 * MP_ERR_SYNTAX with e->msg naming the text when it is not a date.
 */
int http_date_parse(const char *p, size_t n, double *out, struct err *e);

/*
 * Appends t as "Sun, 06 Nov 1994 08:49:37 GMT" (the second Python's
 * datetime rounds t to). Returns 0, or MP_ERR_LIMIT (nothing appended) for
 * a time outside the years 1-9999.
 */
int http_date_format(double t, struct buf *out);

#endif
