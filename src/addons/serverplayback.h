/*
 * The server playback addon (mitmproxy/addons/serverplayback.py of 8.1.1):
 * answers requests with responses recorded in flow files (-S FILE) instead
 * of asking the server.
 *
 * A request matches a recorded one when a loose key of the two is equal:
 * scheme, method, path, query parameters (less server_replay_ignore_params),
 * body (or its form fields less server_replay_ignore_payload_params, or
 * nothing with server_replay_ignore_content), host and port (unless
 * ignored) and the headers named in server_replay_use_headers. Other
 * headers never count, so a different User-Agent still matches.
 *
 * Several recorded flows with one key are served in recorded order, each
 * once, unless server_replay_nopop. A request without a match goes to the
 * server, or is killed with server_replay_kill_extra while recorded flows
 * are left. Served responses are refreshed (server_replay_refresh):
 * their dates keep the distance to "now" they had to the recording.
 */
#ifndef MP_ADDONS_SERVERPLAYBACK_H
#define MP_ADDONS_SERVERPLAYBACK_H

#include <stddef.h>

#include "addons/addon.h"

struct flow;
struct http_response;

/* A new server playback addon; configure() reads the server_replay* options
 * and loads the files once (mitmproxy loads them on the first configure
 * that names any). It answers in the request hook. */
struct addon *addon_serverplayback_new(void);

/*
 * Replaces the recorded flows with the HTTP flows of flows[0..n) (others
 * are skipped), keyed with the matching options of the last configure
 * (mitmproxy's replay.server command). The addon takes a reference on
 * each flow it keeps.
 */
void serverplayback_load(struct addon *, struct flow *const *flows, size_t n);
/* How many recorded flows are left to serve (replay.server.count). */
size_t serverplayback_count(const struct addon *);
/*
 * For mitmdump without keepserving (mitmproxy's KeepServing addon, which
 * polls replay.server.count every 0.1 s and shuts down at 0): drained(arg)
 * runs once, in the request hook that served the last recorded flow
 * (before that response is sent, so stop a moment later) or in running()
 * when the files held nothing to serve. Never with server_replay_nopop.
 */
typedef void (*serverplayback_drained_cb)(void *arg);
void serverplayback_wire(struct addon *, serverplayback_drained_cb drained, void *arg);
/* Forgets every recorded flow (replay.server.stop). */
void serverplayback_clear(struct addon *);

/*
 * mitmproxy's Response.refresh(now): shifts the Date, Expires and
 * Last-Modified headers and the expires attribute of every Set-Cookie by
 * now - r->timestamp_start, so they keep their distance to the present.
 * Values that are not dates are left alone; a Set-Cookie with an
 * unparsable expires loses that attribute, as in mitmproxy.
 */
void serverplayback_refresh(struct http_response *r, double now);

#endif
