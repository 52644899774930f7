/*
 * The map_remote addon (mitmproxy/addons/mapremote.py of 8.1.1):
 * "[/flow-filter]/url-regex/replacement" rules rewrite the pretty URL of
 * matching requests in the request hook with re.sub; when the URL changed,
 * scheme, host, port and path are set from it and a Host header present
 * is replaced with the new host.
 */
#ifndef MP_ADDONS_MAP_REMOTE_H
#define MP_ADDONS_MAP_REMOTE_H

#include "addons/addon.h"
#include "http/message.h"
#include "util/err.h"

/* A new map_remote addon; it reads the map_remote option in configure. */
struct addon *addon_map_remote_new(void);

/*
 * Sets req's scheme, host, port and path from url as mitmproxy's
 * Request.url setter does (a Host header present becomes the host; a
 * non-empty authority becomes host[:port]). Fails, leaving req as it was,
 * when url has no host or a bad port.
 */
int map_remote_set_url(struct http_request *req, const char *url, struct err *e);

#endif
