/*
 * mitmdump -r: replays the hook sequence of each stored flow through the
 * addon chain (mitmproxy's eventsequence.iterate + Master.load_flow).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/readfile.h"
#include "filter/filter.h"
#include "flow/tnetstring.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "util/xmalloc.h"

/* One hook in flight; heap-allocated so a deferring addon may keep it. */
struct rcall {
    struct hook_call call;
    struct hook_data data;
};

static void
rcall_done(struct hook_call *call, void *arg)
{
    struct rcall *rc = arg;
    hook_data_clear(&rc->data);
    free(rc);
}

static void
fire(struct addon_chain *c, enum hook h, struct flow *f)
{
    struct rcall *rc = xcalloc(1, sizeof(*rc));
    hook_data_init(&rc->data, h, f, f->client_conn, h == HOOK_TCP_START ? f->server_conn : NULL);
    addon_dispatch(c, &rc->call, &rc->data, rcall_done, rc);
}

void
readfile_load_flow(struct addon_chain *c, struct flow *f)
{
    switch (f->type) {
    case FLOW_HTTP:
        fire(c, HOOK_REQUESTHEADERS, f);
        fire(c, HOOK_REQUEST, f);
        if (f->response) {
            fire(c, HOOK_RESPONSEHEADERS, f);
            fire(c, HOOK_RESPONSE, f);
        }
        /* Websocket messages are kept as loaded (f->websocket); the
         * per-message hooks come with the WebSocket layer. */
        if (f->websocket) {
            fire(c, HOOK_WEBSOCKET_START, f);
            fire(c, HOOK_WEBSOCKET_END, f);
        }
        if (f->error)
            fire(c, HOOK_ERROR, f);
        break;
    case FLOW_TCP: {
        /* mitmproxy replays the messages by growing the list one at a time,
         * so the hook for message i sees messages 0..i. Shortening the count
         * shows the same thing without copying the messages. */
        size_t n = f->nmessages;
        fire(c, HOOK_TCP_START, f);
        for (size_t i = 0; i < n; i++) {
            f->nmessages = i + 1;
            fire(c, HOOK_TCP_MESSAGE, f);
        }
        f->nmessages = n;
        fire(c, f->error ? HOOK_TCP_ERROR : HOOK_TCP_END, f);
        break;
    }
    case FLOW_DNS: {
        /* As mitmproxy's eventsequence: request, then response or error. The
         * DNS messages themselves are kept as loaded in f->extra. */
        const struct tns *resp = f->extra ? tns_dict_get(f->extra, "response") : NULL;
        fire(c, HOOK_DNS_REQUEST, f);
        if (resp && resp->type != TNS_NULL)
            fire(c, HOOK_DNS_RESPONSE, f);
        if (f->error)
            fire(c, HOOK_DNS_ERROR, f);
        break;
    }
    }
}

int
readfile_run(struct addon_chain *c, const char *path, struct err *e)
{
    return readfile_run_filtered(c, path, NULL, e);
}

int
readfile_run_filtered(struct addon_chain *c, const char *path, const struct filt *filter,
                      struct err *e)
{
    struct ffile_reader *r = ffile_reader_open(path, e);
    if (r == NULL)
        return MP_ERR_IO;
    int count = 0, rc;
    struct flow *f;
    while ((rc = ffile_read(r, &f, e)) == 1) {
        /* readfile_filter: flows that do not match are not loaded at all. */
        if (filter == NULL || filt_match(filter, f)) {
            readfile_load_flow(c, f);
            count++;
        }
        flow_unref(f);
    }
    ffile_reader_free(r);
    return rc < 0 ? rc : count;
}
