/*
 * Shared between the HTTP layers' files only (STYLE.md: module-internal
 * names carry a double underscore). Nothing outside proxy/layers includes
 * this.
 *
 *   http_common.c   Host values and mitmproxy's error responses
 */
#ifndef MP_PROXY_LAYERS_HTTP_INTERNAL_H
#define MP_PROXY_LAYERS_HTTP_INTERNAL_H

#include <stdint.h>

#include "http/message.h"
#include "util/buf.h"

/* Appends host[:port] as a Host header or :authority says it: brackets for
 * IPv6, the port left out when it is the scheme's default. */
void http__format_hostport(struct buf *out, const char *scheme, const char *host, uint16_t port);

/*
 * mitmproxy's make_error_response: a small HTML page naming status and msg.
 * _h1 appends the whole HTTP/1.1 response (Server, Connection: close) to
 * out; _h2 returns a new response (the caller owns it) for an HTTP/2 stream.
 */
void http__error_response_h1(struct buf *out, int status, const char *msg);
struct http_response *http__error_response_h2(int status, const char *msg);

#endif
