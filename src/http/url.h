/*
 * URL helpers shared by the addons that look into paths and query strings
 * (map_local, server replay, onboarding, the dumper's query view) and by
 * pathod.
 */
#ifndef MP_HTTP_URL_H
#define MP_HTTP_URL_H

#include <stddef.h>

#include "util/buf.h"

/*
 * Appends p[0..n) to out percent-decoded as Python's urllib.parse.unquote
 * does on bytes: "%XX" is a byte, a "%" without two hex digits stays as it
 * is; with plus set, "+" is a space too (unquote_plus, for query strings
 * and forms). The result may hold any byte, NUL included.
 */
void http_unquote(struct buf *out, const char *p, size_t n, int plus);

#endif
