/*
 * mitmdump -r: every flow of a flow file sent through the addon chain the
 * way mitmproxy's Master.load_flow does: requestheaders, request, then
 * responseheaders and response when the flow has a response, then error
 * when it has one (TCP flows: tcp_start, then tcp_error or tcp_end).
 *
 * -r expects synchronous addons for now: readfile does not wait for a
 * deferred hook. A deferred call stays valid (it is heap-allocated and
 * frees itself when its addon resumes it), but the next hooks are sent
 * without waiting for it.
 */
#ifndef MP_ADDONS_READFILE_H
#define MP_ADDONS_READFILE_H

#include "addons/addon.h"
#include "util/err.h"

struct flow;

/*
 * Reads path and delivers each flow. Returns the number of flows delivered,
 * or a negative MP_ERR_* with e naming the file and, for a damaged file,
 * the byte offset of the bad record; the flows before it are delivered
 * first.
 */
int readfile_run(struct addon_chain *, const char *path, struct err *e);
struct filt;
/* The same, loading only the flows that match filter (option readfile_filter;
 * NULL loads all); returns the number loaded. */
int readfile_run_filtered(struct addon_chain *, const char *path, const struct filt *filter,
                          struct err *e);

/* Sends one flow through the chain as readfile_run() does. */
void readfile_load_flow(struct addon_chain *, struct flow *f);

#endif
