/*
 * mitmdump -r: every flow of a flow file sent through the addon chain the
 * way mitmproxy's Master.load_flow does (eventsequence.iterate):
 * requestheaders, request, then responseheaders and response when the flow
 * has a response, then for a WebSocket websocket_start, one
 * websocket_message per message and websocket_end, else error when it has
 * one. TCP flows: tcp_start, one tcp_message per message, then tcp_error or
 * tcp_end. DNS flows: dns_request, then dns_response and dns_error as
 * present. A message hook sees the messages up to its own, as live.
 *
 * Hooks go out one at a time, each from the done of the one before: an
 * addon that defers a hook (ADDON_DEFER) holds back the rest of that flow
 * and every flow after it until it calls addon_resume().
 */
#ifndef MP_ADDONS_READFILE_H
#define MP_ADDONS_READFILE_H

#include "addons/addon.h"
#include "util/err.h"

struct flow;
struct filt;

/*
 * The end of a read: rc is the number of flows delivered, or a negative
 * MP_ERR_* with e naming the file and, for a damaged file, the byte offset
 * of the bad record (the flows before it were delivered). e is borrowed
 * for the call.
 */
typedef void (*readfile_done_cb)(void *arg, int rc, const struct err *e);

/*
 * Reads path and delivers the flows that match filter (option
 * readfile_filter; NULL loads all; borrowed until done runs). done (may be
 * NULL) runs once, before this returns when no addon deferred a hook, else
 * from the addon_resume() that lets the last hook through. Returns 0, or
 * MP_ERR_IO with e when path cannot be opened (done does not run then).
 */
int readfile_start(struct addon_chain *, const char *path, const struct filt *filter,
                   readfile_done_cb done, void *arg, struct err *e);

/*
 * readfile_start() for callers with no event loop to wait in (mitmdump -n
 * today): returns the number of flows delivered, or a negative MP_ERR_*
 * with e, as done would get it. If an addon defers a hook, the call returns
 * MP_ERR_UNSUPPORTED at once: that flow's hooks go on when the addon
 * resumes it, but no flow after it is read, since nothing here can wait.
 */
int readfile_run_filtered(struct addon_chain *, const char *path, const struct filt *filter,
                          struct err *e);
int readfile_run(struct addon_chain *, const char *path, struct err *e);

/*
 * readfile_start() for a loop that must keep answering while a large file
 * is read (the interactive tools' -r): flows go out in slices, and between
 * two slices the read hands the loop back. A slice ends after max_flows
 * flows or max_us microseconds, whichever comes first (0: no bound of that
 * kind; at least one flow goes out per slice), and only between flows.
 * Then later(ctx) runs, and the caller calls readfile_continue() from its
 * loop when it has answered what was waiting (a timer of 0 ms).
 */
struct readfile;
struct readfile_slices {
    unsigned max_flows;
    unsigned max_us;
    void (*later)(void *ctx);
    void *ctx;
};

/*
 * Starts a sliced read. *out is the read while it goes on (valid until done
 * runs, which frees it), or NULL when it was over before this returned.
 * Returns 0, or MP_ERR_IO with e as readfile_start().
 */
int readfile_start_sliced(struct addon_chain *, const char *path, const struct filt *filter,
                          const struct readfile_slices *slices, readfile_done_cb done, void *arg,
                          struct readfile **out, struct err *e);
/* Delivers the next slice; call once for each later(). */
void readfile_continue(struct readfile *);
/*
 * Stops a read that is still going (the tool quits): no further flow is
 * read and done never runs. Between slices the read is freed at once, so
 * the caller calls readfile_continue() no more; while an addon holds a
 * hook, the rest of that flow goes out when it resumes, then the read
 * frees itself. The filter is no longer used after this.
 */
void readfile_cancel(struct readfile *);

/* Sends one flow (a reference is taken) through the chain as the readers
 * do; a deferred hook holds back the rest of its hooks until resumed. */
void readfile_load_flow(struct addon_chain *, struct flow *f);

#endif
