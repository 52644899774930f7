#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/addon.h"
#include "addons/clientplayback.h"
#include "commands/commands.h"
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
    if (f->live)
        return "Can't replay live flow.";
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

/* Reads a flow file into the queue; the flows queued are added to ch (one
 * reference each) when ch is not NULL. */
struct queued {
    struct flow **v;
    size_t n, cap;
};

static void
queued_add(struct queued *q, struct flow *f)
{
    if (q == NULL)
        return;
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 16;
        q->v = xrealloc(q->v, q->cap * sizeof(*q->v));
    }
    q->v[q->n++] = f;
}

static int
load(struct playback *p, const char *path, struct queued *q, struct err *e)
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
        queued_add(q, f);
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
        int rc = load(p, o->client_replay.v[i], NULL, e);
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

/* The queued flows are shown again with the update hook, as mitmproxy does. */
static void
announce(struct playback *p, struct queued *q)
{
    addon_trigger_update(p->base.chain, q->v, q->n);
    free(q->v);
}

static int
cmd_replay(void *arg, struct cmds_call *c, struct err *e)
{
    (void)e;
    struct playback *p = arg;
    const struct cmds_flows *fl = &cmds_arg(c, 0)->flows;
    struct queued q = {0};
    for (size_t i = 0; i < fl->n; i++) {
        const char *why = check(fl->v[i]);
        if (why) {
            log_warnx("%s", why);
            continue;
        }
        enqueue(p, flow_ref(fl->v[i]));
        queued_add(&q, fl->v[i]);
    }
    announce(p, &q);
    kick(p);
    return 0;
}

static int
cmd_replay_file(void *arg, struct cmds_call *c, struct err *e)
{
    struct playback *p = arg;
    struct queued q = {0};
    int rc = load(p, cmds_arg(c, 0)->s, &q, e);
    announce(p, &q);
    kick(p);
    return rc;
}

static int
cmd_replay_stop(void *arg, struct cmds_call *c, struct err *e)
{
    (void)c;
    (void)e;
    struct playback *p = arg;
    struct queued q = {0};
    /* Flows not started yet go back to what they were; running ones finish. */
    for (size_t i = p->head; i < p->n; i++) {
        flow_revert(p->queue[i]);
        queued_add(&q, p->queue[i]);
    }
    p->head = p->n = 0;
    addon_trigger_update(p->base.chain, q.v, q.n);
    for (size_t i = 0; i < q.n; i++)
        flow_unref(q.v[i]);
    free(q.v);
    log_msg(LOG_ALERT, "Client replay queue cleared.");
    return 0;
}

static int
cmd_replay_count(void *arg, struct cmds_call *c, struct err *e)
{
    (void)e;
    cmds_return_int(c, (long)clientplayback_count(arg));
    return 0;
}

static int
playback_commands(struct addon *a, struct cmds *cmds, struct err *e)
{
    static const struct cmds_param flows_p[] = {{"flows", CMDS_FLOWS, 0, NULL}};
    static const struct cmds_param path_p[] = {{"path", CMDS_PATH, 0, NULL}};
    int rc = cmds_add(cmds, "replay.client",
                      "Add flows to the replay queue, skipping flows that can't be replayed.",
                      flows_p, 1, CMDS_NONE, cmd_replay, a, e);
    if (rc == 0)
        rc = cmds_add(cmds, "replay.client.count", "Approximate number of flows queued for replay.",
                      NULL, 0, CMDS_INT, cmd_replay_count, a, e);
    if (rc == 0)
        rc = cmds_add(cmds, "replay.client.file",
                      "Load flows from file, and add them to the replay queue.", path_p, 1,
                      CMDS_NONE, cmd_replay_file, a, e);
    if (rc == 0)
        rc = cmds_add(cmds, "replay.client.stop", "Clear the replay queue.", NULL, 0, CMDS_NONE,
                      cmd_replay_stop, a, e);
    return rc;
}

static const struct addon_ops playback_ops = {
    .name = "clientplayback",
    .configure = configure,
    .running = running,
    .free = playback_free,
    .commands = playback_commands,
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
