/*
 * URL helpers shared by the HTTP codec, the addons that look into URLs
 * (map_local, map_remote, server replay, onboarding, the dumper's query
 * view), the proxy modes' server specs and pathod: percent-decoding, and
 * the one reader and writer of "host:port".
 */
#ifndef MP_HTTP_URL_H
#define MP_HTTP_URL_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/*
 * Appends p[0..n) to out percent-decoded as Python's urllib.parse.unquote
 * does on bytes: "%XX" is a byte, a "%" without two hex digits stays as it
 * is; with plus set, "+" is a space too (unquote_plus, for query strings
 * and forms). The result may hold any byte, NUL included.
 */
void http_unquote(struct buf *out, const char *p, size_t n, int plus);

/* 80 for "http", 443 for "https", 0 for any other scheme. */
int http_default_port(const char *scheme);

/* http_hostport_parse() flags. */
#define HTTP_HOSTPORT_STRICT 1u     /* the host must look like a DNS name or an IP literal */
#define HTTP_HOSTPORT_EMPTY_PORT 2u /* "host:" has no port, as urlsplit() reads it */
#define HTTP_HOSTPORT_BARE_IPV6 4u  /* "::1" (two ':' or more, no brackets) is a host */

/*
 * Splits the authority "host", "host:port", "[v6]" or "[v6]:port" at
 * p[0..n) (a request target, a Host header, a server spec, a URL's netloc
 * after any userinfo). *host points into p without the brackets; *port is
 * -1 when there is none. The port is digits (leading zeros allowed) up to
 * 65535, and not 0 with HTTP_HOSTPORT_STRICT. Without
 * HTTP_HOSTPORT_BARE_IPV6 a host ends at its first ':', so "a:b:80" has
 * the port "b:80". Returns 0, or with e->msg naming the text:
 * MP_ERR_SYNTAX for a "[" without "]", something but ":port" after "]",
 * or (strict) a character no host has; MP_ERR_NOTFOUND for an empty host;
 * MP_ERR_INVAL for a port that is not a number 0-65535.
 */
int http_hostport_parse(const char *p, size_t n, unsigned flags, struct slice *host, int *port,
                        struct err *e);

/*
 * Appends host (bracketed when it holds a ':') and ":port", unless port is
 * the scheme's default and always_port is 0 (url.hostport, and the
 * authority form with always_port).
 */
void http_hostport_write(struct buf *out, const char *scheme, const char *host, int port,
                         int always_port);

#endif
