/*
 * Built-in addons that change traffic on the way through, after mitmproxy
 * 8.1.1's addons of the same names:
 *
 *   anticache     request: drops If-Modified-Since and If-None-Match
 *   anticomp      request: Accept-Encoding: identity
 *   stickycookie  response: remembers Set-Cookie per (domain, port, path);
 *                 request: sends them back as Cookie on matching requests
 *   stickyauth    request: remembers Authorization per host and adds it to
 *                 matching requests that have none
 *   proxyauth     http_connect / requestheaders: asks for and checks proxy
 *                 credentials (407, or 401 in reverse mode); socks5_auth:
 *                 checks a SOCKS5 client's credentials the same way
 *
 * Each constructor returns a new addon the caller owns (addon_chain_add
 * takes it). All read their options in configure; the sticky addons and
 * proxyauth keep state shared by all worker threads behind a mutex.
 */
#ifndef MP_ADDONS_TRAFFIC_H
#define MP_ADDONS_TRAFFIC_H

#include "addons/addon.h"

struct addon *addon_anticache_new(void);
struct addon *addon_anticomp_new(void);
struct addon *addon_stickycookie_new(void);
struct addon *addon_stickyauth_new(void);
struct addon *addon_proxyauth_new(void);

#endif
