/*
 * Helpers shared by the files of src/http/ and by nothing else.
 */
#ifndef MP_HTTP_INTERNAL_H
#define MP_HTTP_INTERNAL_H

#include <stddef.h>

#include "util/buf.h"

/* 80 for "http", 443 for "https", 0 for anything else. */
int http__default_port(const char *scheme);

/*
 * Splits "host[:port]" or "[v6]:port" at p[0..n). host points into p with
 * the brackets removed; *port is 0 when absent. With strict set the host
 * must be a plausible DNS name or IP literal and the port 1-65535; without
 * it only the shape is checked. Returns 0, or -1 when malformed.
 */
int http__split_authority(const char *p, size_t n, int strict, struct slice *host, int *port);

/* Appends host (bracketed when it holds a ':') and ":port" unless port is
 * the scheme's default or always_port is 0 and port is 0. */
void http__append_hostport(struct buf *out, const char *scheme, const char *host, int port,
                           int always_port);

#endif
