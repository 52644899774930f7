/*
 * Client replay (-C FILE, --client-replay, the seeds' -c): the requests of
 * saved flows are sent again, one after another, each waiting for its
 * response, and the new flows go through the hooks (printed, saved) like
 * any other, marked is_replay = "request" (mitmproxy's ClientPlayback).
 *
 * The addon knows no sockets: the tool gives it a function that starts one
 * replay in the proxy core (server_replay) and one to call when the queue
 * is empty (mitmdump -n stops there).
 */
#ifndef MP_ADDONS_CLIENTPLAYBACK_H
#define MP_ADDONS_CLIENTPLAYBACK_H

struct addon;
struct flow;

typedef void (*playback_done_cb)(void *arg);
/* Starts replaying f (a reference is taken); done(done_arg) when it is over. */
typedef void (*playback_start_cb)(void *ctx, struct flow *f, playback_done_cb done,
                                  void *done_arg);

struct addon *addon_clientplayback_new(void);
/* Wires the addon to the proxy core; call before addon_chain_running(). */
void clientplayback_wire(struct addon *, playback_start_cb start, void *start_ctx,
                         playback_done_cb all_done, void *all_done_arg);
/* Flows still queued or in flight. */
unsigned clientplayback_count(const struct addon *);

#endif
