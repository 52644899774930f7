#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/addon.h"
#include "addons/clientplayback.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "options/opt.h"
#include "util/log.h"
#include "util/xmalloc.h"

struct playback {
    struct addon base;
    struct flow **queue; /* owned references, replayed in order */
    size_t n, head, cap;
    int inflight;
    int concurrent; /* client_replay_concurrency == -1: all at once */
    int running;
    playback_start_cb start;
    void *start_ctx;
    playback_done_cb all_done;
    void *all_done_arg;
};

/* mitmproxy's ClientPlayback.check(): why a flow cannot be replayed, or NULL. */
static const char *
check(const struct flow *f)
{
    if (f->type != FLOW_HTTP)
        return "Can only replay HTTP flows.";
    if (f->request == NULL)
        return "Can't replay flow with missing request.";
    if (f->request->content_none)
        return "Can't replay flow with missing content.";
    if (f->websocket)
        return "Can't replay WebSocket flows.";
    if (f->intercepted)
        return "Can't replay intercepted flow.";
    return NULL;
}

static void
enqueue(struct playback *p, struct flow *f)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->queue = xrealloc(p->queue, p->cap * sizeof(*p->queue));
    }
    /* Prepared as mitmproxy does: the state as loaded is kept as the backup
     * (written with the flow, so the original can be restored), then the
     * flow becomes a replay of the request, nothing else kept. */
    flow_backup(f);
    f->is_replay = "request";
    http_response_free(f->response);
    f->response = NULL;
    flow_clear_error(f);
    p->queue[p->n++] = f;
}

static int
load(struct playback *p, const char *path, struct err *e)
{
    struct ffile_reader *r = ffile_reader_open(path, e);
    if (r == NULL)
        return MP_ERR_IO;
    struct flow *f;
    int rc;
    while ((rc = ffile_read(r, &f, e)) == 1) {
        const char *why = check(f);
        if (why) {
            log_warnx("%s", why);
            flow_unref(f);
            continue;
        }
        enqueue(p, f);
    }
    ffile_reader_free(r);
    return rc < 0 ? rc : 0;
}

static void kick(struct playback *p);

static void
one_done(void *arg)
{
    struct playback *p = arg;
    p->inflight--;
    kick(p);
}

/* Starts what may start; reports when everything is through. */
static void
kick(struct playback *p)
{
    if (!p->running || p->start == NULL)
        return;
    while (p->head < p->n && (p->inflight == 0 || p->concurrent)) {
        struct flow *f = p->queue[p->head];
        p->queue[p->head++] = NULL;
        p->inflight++;
        p->start(p->start_ctx, f, one_done, p);
        flow_unref(f); /* the replay holds its own reference */
    }
    if (p->head == p->n && p->inflight == 0 && p->all_done) {
        playback_done_cb cb = p->all_done;
        p->all_done = NULL;
        cb(p->all_done_arg);
    }
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct playback *p = (struct playback *)a;
    if (o->client_replay_concurrency != 1 && o->client_replay_concurrency != -1)
        return err_set(e, MP_ERR_INVAL,
                       "Currently the only valid client_replay_concurrency values are -1 and 1.");
    p->concurrent = o->client_replay_concurrency == -1;
    /* As clientplayback.py: files are read when client_replay is set (again),
     * and their flows join the queue; other option changes leave it alone. */
    if (!OPT_CHANGED(updated, client_replay))
        return 0;
    for (size_t i = 0; i < o->client_replay.n; i++) {
        int rc = load(p, o->client_replay.v[i], e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void
running(struct addon *a)
{
    struct playback *p = (struct playback *)a;
    p->running = 1;
    kick(p);
}

static void
playback_free(struct addon *a)
{
    struct playback *p = (struct playback *)a;
    for (size_t i = p->head; i < p->n; i++)
        flow_unref(p->queue[i]);
    free(p->queue);
    free(p);
}

static const struct addon_ops playback_ops = {
    .name = "clientplayback",
    .configure = configure,
    .running = running,
    .free = playback_free,
};

struct addon *
addon_clientplayback_new(void)
{
    struct playback *p = xcalloc(1, sizeof(*p));
    p->base.ops = &playback_ops;
    return &p->base;
}

void
clientplayback_wire(struct addon *a, playback_start_cb start, void *start_ctx,
                    playback_done_cb all_done, void *all_done_arg)
{
    struct playback *p = (struct playback *)a;
    p->start = start;
    p->start_ctx = start_ctx;
    p->all_done = all_done;
    p->all_done_arg = all_done_arg;
}

unsigned
clientplayback_count(const struct addon *a)
{
    const struct playback *p = (const struct playback *)a;
    return (unsigned)(p->n - p->head) + (unsigned)p->inflight;
}
