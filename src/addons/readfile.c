/*
 * mitmdump -r: replays the hook sequence of each stored flow through the
 * addon chain (mitmproxy's eventsequence.iterate + Master.load_flow).
 *
 * One hook is out at a time: the next one goes out from the done of the
 * one before, and the next flow is read only when the last hook of the
 * current one is through. So a hook an addon defers holds back the rest of
 * its flow and every flow after it, as mitmproxy's readfile awaits
 * load_flow() for each flow. pump() is the loop; a done that runs inside
 * addon_dispatch() (no addon deferred) only clears `pending`, so a long
 * file never deepens the stack.
 *
 * A sliced read (the interactive tools) also leaves pump() between two
 * flows once its slice is used up, and goes on from readfile_continue(),
 * so that the loop answers keys and requests while a large file loads.
 *
 * A flow file's records are read and decoded on a thread of their own
 * (readahead.c), a bounded number of flows ahead; "read" above is taking
 * the next decoded flow, on the loop. A HAR file is read on the loop.
 */
#include <stdlib.h>
#include <string.h>

#include "addons/readahead.h"
#include "addons/readfile.h"
#include "export/har.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "util/clock.h"
#include "util/xmalloc.h"

struct readfile {
    struct addon_chain *chain;
    struct readahead *reader;    /* owned; NULL when delivering one given flow */
    struct har_reader *har;      /* owned; instead of reader for a HAR file */
    const struct filt *filter;   /* borrowed until done runs; NULL loads all */
    readfile_done_cb done;       /* NULL: nobody waits for the end */
    void *done_arg;
    int stop; /* read no further flow */

    /* Slices (readfile_start_sliced): later is NULL for a read in one go. */
    struct readfile_slices slices;
    unsigned slice_flows; /* flows read in this slice, matching or not */
    double slice_t0;      /* clock_mono_ms() */
    int yielded; /* waiting for readfile_continue() */

    struct flow *flow; /* whose hooks go out now; one reference; NULL between flows */
    enum hook last;    /* the hook of flow sent last; HOOK__COUNT before its first */
    /* eventsequence's message_queue: the flow's messages, taken out at
     * tcp_start or websocket_start and handed back one per message hook,
     * so that hook i sees messages 0..i. Owned; contents move back. */
    struct tcp_message *tcp_queue;
    struct ws_message *ws_queue;
    size_t queue_len, queue_next;

    struct hook_call call; /* the hook in flight */
    struct hook_data data;
    int pending; /* call is out and its done has not run */
    int pumping; /* pump() is on the stack */

    int count; /* flows delivered */
    int rc;    /* 0, or the read error in err */
    struct err err;
};

static void
take_tcp_queue(struct readfile *rf, struct flow *f)
{
    rf->tcp_queue = f->messages;
    rf->queue_len = f->nmessages;
    rf->queue_next = 0;
    f->messages = NULL;
    f->nmessages = f->capmessages = 0;
}

/* Hands the next queued TCP message back to the flow; 0 when none is left. */
static int
next_tcp_message(struct readfile *rf)
{
    if (rf->tcp_queue == NULL || rf->queue_next == rf->queue_len)
        return 0;
    struct tcp_message *m = &rf->tcp_queue[rf->queue_next++];
    struct tcp_message *n = flow_tcp_add_message(rf->flow, m->from_client, NULL, 0);
    buf_move(&n->content, &m->content);
    n->timestamp = m->timestamp;
    n->dropped = m->dropped;
    return 1;
}

static void
take_ws_queue(struct readfile *rf, struct websocket_data *ws)
{
    rf->ws_queue = ws->messages;
    rf->queue_len = ws->nmessages;
    rf->queue_next = 0;
    ws->messages = NULL;
    ws->nmessages = ws->capmessages = 0;
}

static int
next_ws_message(struct readfile *rf)
{
    if (rf->ws_queue == NULL || rf->queue_next == rf->queue_len)
        return 0;
    struct ws_message *m = &rf->ws_queue[rf->queue_next++];
    struct ws_message *n = flow_ws_add_message(rf->flow, m->type, m->from_client, NULL, 0);
    buf_move(&n->content, &m->content);
    n->timestamp = m->timestamp;
    n->dropped = m->dropped;
    n->injected = m->injected;
    return 1;
}

/* Frees what is left of a queue (all of it moved back, unless cut short). */
static void
drop_queues(struct readfile *rf)
{
    for (size_t i = rf->queue_next; i < rf->queue_len; i++) {
        if (rf->tcp_queue)
            buf_clear(&rf->tcp_queue[i].content);
        if (rf->ws_queue)
            buf_clear(&rf->ws_queue[i].content);
    }
    free(rf->tcp_queue);
    free(rf->ws_queue);
    rf->tcp_queue = NULL;
    rf->ws_queue = NULL;
    rf->queue_len = rf->queue_next = 0;
}

/*
 * eventsequence.iterate(), resumable: the hook after rf->last, or
 * HOOK__COUNT when the flow is through. Each condition is checked when it
 * is reached, as the generator does, so what an addon changed counts (a
 * response set in the request hook gets the response hooks).
 */
static enum hook
next_http(struct readfile *rf)
{
    struct flow *f = rf->flow;
    switch (rf->last) {
    case HOOK__COUNT:
        if (f->request)
            return HOOK_REQUESTHEADERS;
        __attribute__((fallthrough));
    case HOOK_REQUEST:
        if (f->response)
            return HOOK_RESPONSEHEADERS;
        __attribute__((fallthrough));
    case HOOK_RESPONSE:
        /* A WebSocket flow gets no error hook, even with an error. */
        if (f->websocket) {
            take_ws_queue(rf, f->websocket);
            return HOOK_WEBSOCKET_START;
        }
        return f->error ? HOOK_ERROR : HOOK__COUNT;
    case HOOK_REQUESTHEADERS:
        return HOOK_REQUEST;
    case HOOK_RESPONSEHEADERS:
        return HOOK_RESPONSE;
    case HOOK_WEBSOCKET_START:
    case HOOK_WEBSOCKET_MESSAGE:
        return next_ws_message(rf) ? HOOK_WEBSOCKET_MESSAGE : HOOK_WEBSOCKET_END;
    default:
        return HOOK__COUNT;
    }
}

static enum hook
next_tcp(struct readfile *rf)
{
    struct flow *f = rf->flow;
    switch (rf->last) {
    case HOOK__COUNT:
        return HOOK_TCP_START;
    case HOOK_TCP_START:
        /* Taken only now: tcp_start sees every message, as it always has
         * here (mitmproxy's sees none yet; websocket_start does as it). */
        take_tcp_queue(rf, f);
        __attribute__((fallthrough));
    case HOOK_TCP_MESSAGE:
        if (next_tcp_message(rf))
            return HOOK_TCP_MESSAGE;
        return f->error ? HOOK_TCP_ERROR : HOOK_TCP_END;
    default:
        return HOOK__COUNT;
    }
}

static enum hook
next_dns(struct readfile *rf)
{
    struct flow *f = rf->flow;
    switch (rf->last) {
    case HOOK__COUNT:
        return HOOK_DNS_REQUEST;
    case HOOK_DNS_REQUEST:
        if (f->dns_response)
            return HOOK_DNS_RESPONSE;
        __attribute__((fallthrough));
    case HOOK_DNS_RESPONSE:
        return f->error ? HOOK_DNS_ERROR : HOOK__COUNT;
    default:
        return HOOK__COUNT;
    }
}

static enum hook
next_hook(struct readfile *rf)
{
    switch (rf->flow->type) {
    case FLOW_HTTP:
        return next_http(rf);
    case FLOW_TCP:
        return next_tcp(rf);
    case FLOW_DNS:
        return next_dns(rf);
    }
    return HOOK__COUNT;
}

static void
slice_begin(struct readfile *rf)
{
    rf->slice_flows = 0;
    if (rf->slices.max_us)
        rf->slice_t0 = clock_mono_ms();
}

/* Whether a sliced read should hand the loop back before the next flow. */
static int
slice_over(struct readfile *rf)
{
    const struct readfile_slices *sl = &rf->slices;
    if (sl->later == NULL || rf->stop || rf->slice_flows == 0)
        return 0;
    if (sl->max_flows && rf->slice_flows >= sl->max_flows)
        return 1;
    if (sl->max_us == 0)
        return 0;
    return (clock_mono_ms() - rf->slice_t0) * 1e3 >= (double)sl->max_us;
}

enum next { NEXT_END, NEXT_FLOW, NEXT_LATER };

/* Reads up to the next flow to deliver: NEXT_END at the end or on an
 * error, NEXT_LATER when the slice is used up first. */
static enum next
next_flow(struct readfile *rf)
{
    if ((rf->reader == NULL && rf->har == NULL) || rf->stop)
        return NEXT_END;
    struct flow *f;
    int rc;
    for (;;) {
        /* Flows the filter skips count too: a filter that matches little
         * must not hold the loop for the whole file. */
        if (slice_over(rf))
            return NEXT_LATER;
        rc = rf->har ? har_reader_next(rf->har, &f, &rf->err)
                     : readahead_next(rf->reader, &f, &rf->err);
        if (rc != 1)
            break;
        rf->slice_flows++;
        /* readfile_filter: flows that do not match are not loaded at all. */
        if (rf->filter == NULL || filt_match(rf->filter, f)) {
            rf->flow = f;
            rf->last = HOOK__COUNT;
            rf->count++;
            return NEXT_FLOW;
        }
        flow_unref(f);
    }
    rf->rc = rc;
    return NEXT_END;
}

static void
end_flow(struct readfile *rf)
{
    drop_queues(rf);
    flow_unref(rf->flow);
    rf->flow = NULL;
}

static void
finish(struct readfile *rf)
{
    if (rf->done)
        rf->done(rf->done_arg, rf->rc < 0 ? rf->rc : rf->count, &rf->err);
    readahead_free(rf->reader);
    har_reader_free(rf->har);
    free(rf);
}

static void hook_done(struct hook_call *call, void *arg);

/* Sends hooks until one is deferred or the slice is over (returns 1) or
 * the read is through and rf is gone (returns 0). */
static int
pump(struct readfile *rf)
{
    if (rf->pumping)
        return 1; /* a done run inside addon_dispatch(): the loop below goes on */
    rf->pumping = 1;
    slice_begin(rf);
    while (!rf->pending) {
        if (rf->flow == NULL) {
            enum next n = next_flow(rf);
            if (n == NEXT_END) {
                finish(rf);
                return 0;
            }
            if (n == NEXT_LATER) {
                rf->yielded = 1;
                rf->pumping = 0;
                rf->slices.later(rf->slices.ctx);
                return 1;
            }
        }
        enum hook h = next_hook(rf);
        if (h == HOOK__COUNT) {
            end_flow(rf);
            continue;
        }
        struct flow *f = rf->flow;
        rf->last = h;
        rf->pending = 1;
        hook_data_init(&rf->data, h, f, f->client_conn,
                       h == HOOK_TCP_START ? f->server_conn : NULL);
        addon_dispatch(rf->chain, &rf->call, &rf->data, hook_done, rf);
    }
    rf->pumping = 0;
    return 1;
}

static void
hook_done(struct hook_call *call, void *arg)
{
    struct readfile *rf = arg;
    hook_data_clear(&rf->data);
    rf->pending = 0;
    pump(rf);
}

static struct readfile *
readfile_new(struct addon_chain *c, readfile_done_cb done, void *arg)
{
    struct readfile *rf = xcalloc(1, sizeof(*rf));
    rf->chain = c;
    rf->done = done;
    rf->done_arg = arg;
    return rf;
}

/* readfile_start(), handing out the read while it is still going (*out is
 * NULL when it finished before returning). */
static int
start(struct addon_chain *c, const char *path, const struct filt *filter,
      const struct readfile_slices *slices, readfile_done_cb done, void *arg, struct readfile **out,
      struct err *e)
{
    *out = NULL;
    /* A HAR file or a flow file, by the first byte, as mitmproxy's
     * FlowReader decides. A HAR file that cannot be read is a damaged
     * file: its error goes to done, as a flow file's would. */
    struct har_reader *har = NULL;
    struct ffile_reader *r = NULL;
    struct err herr = {0};
    int hrc = har_reader_open(path, &har, &herr);
    if (hrc == MP_ERR_IO)
        return err_set(e, hrc, "%s", herr.msg);
    if (hrc == 0 && (r = ffile_reader_open(path, e)) == NULL)
        return MP_ERR_IO;
    struct readfile *rf = readfile_new(c, done, arg);
    /* A flow file is read and decoded on a thread of its own, ahead of
     * the hooks (readahead.h); the loop only takes the flows. */
    rf->reader = r ? readahead_new(r) : NULL;
    rf->har = har;
    if (hrc < 0) {
        rf->rc = hrc;
        rf->err = herr;
        rf->stop = 1;
    }
    rf->filter = filter;
    if (slices)
        rf->slices = *slices;
    *out = pump(rf) ? rf : NULL;
    return 0;
}

int
readfile_start(struct addon_chain *c, const char *path, const struct filt *filter,
               readfile_done_cb done, void *arg, struct err *e)
{
    struct readfile *rf;
    return start(c, path, filter, NULL, done, arg, &rf, e);
}

int
readfile_start_sliced(struct addon_chain *c, const char *path, const struct filt *filter,
                      const struct readfile_slices *slices, readfile_done_cb done, void *arg,
                      struct readfile **out, struct err *e)
{
    return start(c, path, filter, slices, done, arg, out, e);
}

void
readfile_continue(struct readfile *rf)
{
    if (!rf->yielded)
        return;
    rf->yielded = 0;
    pump(rf);
}

void
readfile_cancel(struct readfile *rf)
{
    rf->done = NULL;
    rf->filter = NULL;
    rf->stop = 1;
    /* Between slices nothing else holds it; a held hook's resume ends it. */
    if (rf->yielded)
        finish(rf);
}

struct sync_read {
    int rc;
    struct err *e;
};

static void
sync_done(void *arg, int rc, const struct err *e)
{
    struct sync_read *s = arg;
    s->rc = rc;
    if (rc < 0 && s->e)
        *s->e = *e;
}

int
readfile_run_filtered(struct addon_chain *c, const char *path, const struct filt *filter,
                      struct err *e)
{
    struct sync_read s = {0, e};
    struct readfile *rf;
    int rc = start(c, path, filter, NULL, sync_done, &s, &rf, e);
    if (rc < 0 || rf == NULL)
        return rc < 0 ? rc : s.rc;
    /* Nobody here can wait: the deferred flow goes on when its addon
     * resumes it, and no flow after it is read. */
    rf->done = NULL;
    rf->filter = NULL;
    rf->stop = 1;
    return err_set(e, MP_ERR_UNSUPPORTED,
                   "%s: an addon deferred a hook of flow %d; reading on needs an event loop to "
                   "wait in (readfile_start)",
                   path, rf->count);
}

int
readfile_run(struct addon_chain *c, const char *path, struct err *e)
{
    return readfile_run_filtered(c, path, NULL, e);
}

void
readfile_load_flow(struct addon_chain *c, struct flow *f)
{
    struct readfile *rf = readfile_new(c, NULL, NULL);
    rf->flow = flow_ref(f);
    rf->last = HOOK__COUNT;
    rf->count = 1;
    pump(rf);
}
