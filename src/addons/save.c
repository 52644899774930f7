/*
 * mitmdump -w: stream finished flows into a flow file. Writes go straight
 * to the descriptor (no stdio buffer), so each flow is on disk, or at
 * least in the kernel, once its hook returns: a crash loses nothing that
 * was already reported as done.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addons/save.h"
#include "commands/commands.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "options/opt.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xmalloc.h"

struct save {
    struct addon base;
    char *spec; /* save_stream_file as configured; NULL when off */
    char *path; /* the file actually opened */
    int fd;     /* -1 when off */
    /* Flows seen at request/tcp_start and not yet written: one reference each. */
    struct flow **active;
    size_t nactive, cap;
    struct filt *filt; /* save_stream_filter compiled; NULL saves every flow */
    struct buf rec;    /* the record being written, kept for the next one */
};

static int
active_has(const struct save *s, const struct flow *f)
{
    for (size_t i = 0; i < s->nactive; i++)
        if (s->active[i] == f)
            return 1;
    return 0;
}

static void
active_add(struct save *s, struct flow *f)
{
    if (active_has(s, f))
        return;
    if (s->nactive == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->active = xrealloc(s->active, s->cap * sizeof(*s->active));
    }
    s->active[s->nactive++] = flow_ref(f);
}

static void
active_remove(struct save *s, struct flow *f)
{
    for (size_t i = 0; i < s->nactive; i++) {
        if (s->active[i] == f) {
            flow_unref(f);
            s->active[i] = s->active[--s->nactive];
            return;
        }
    }
}

/* Records up to this size keep their buffer for the next one. */
#define KEEP_REC (1024 * 1024)

/*
 * Writes one record. On a failed write the file is cut back to where the
 * record started, so the file never ends in half a flow. That place is found
 * after the failure (the end minus what went out) rather than asked for
 * before each record, which cost an lseek() per flow.
 */
static int
write_flow(struct save *s, const struct flow *f)
{
    /* io.FilteredFlowWriter: flows the filter rejects are skipped. */
    if (s->filt && !filt_match(s->filt, f))
        return 0;
    struct buf *b = &s->rec;
    buf_reset(b);
    ffile_serialize(b, f);
    const uint8_t *p = buf_ptr(b);
    size_t left = b->len;
    int rc = 0;
    while (left > 0) {
        ssize_t n = write(s->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = n < 0 ? errno : ENOSPC;
            struct stat st;
            int regular = fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode);
            off_t end = regular ? lseek(s->fd, 0, SEEK_END) : -1;
            off_t start = end - (off_t)(b->len - left);
            if (regular && end >= 0 && ftruncate(s->fd, start) < 0)
                log_msg(LOG_ERROR,
                        "Error while writing to %s: %s (and cannot remove the "
                        "partial record: %s)",
                        s->path, strerror(saved), strerror(errno));
            else
                log_msg(LOG_ERROR, "Error while writing to %s: %s", s->path, strerror(saved));
            rc = MP_ERR_IO;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    if (b->cap > KEEP_REC)
        buf_clear(b);
    return rc;
}

static void
save_flow(struct save *s, struct flow *f)
{
    if (s->fd < 0)
        return;
    write_flow(s, f);
    active_remove(s, f);
}

/* Writes the flows that never finished and closes the file. */
static void
close_stream(struct save *s)
{
    if (s->fd >= 0) {
        for (size_t i = 0; i < s->nactive; i++)
            write_flow(s, s->active[i]);
        close(s->fd);
    }
    for (size_t i = 0; i < s->nactive; i++)
        flow_unref(s->active[i]);
    s->nactive = 0;
    s->fd = -1;
    free(s->path);
    free(s->spec);
    s->path = NULL;
    s->spec = NULL;
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct save *s = (struct save *)a;
    struct filt *nf = NULL;
    if (o->save_stream_filter && *o->save_stream_filter) {
        struct err fe = {0};
        if ((nf = filt_compile(o->save_stream_filter, &fe)) == NULL)
            return err_set(e, MP_ERR_SYNTAX, "save_stream_filter: %s", fe.msg);
    }
    filt_free(s->filt);
    s->filt = nf;
    const char *spec = o->save_stream_file;
    if (spec && *spec == '\0')
        spec = NULL;
    if ((spec == NULL && s->spec == NULL) || (spec && s->spec && strcmp(spec, s->spec) == 0))
        return 0;
    if (spec == NULL) {
        close_stream(s);
        return 0;
    }

    int append = spec[0] == '+';
    char *path = path_expand_home(append ? spec + 1 : spec);
    /* O_TRUNC takes effect only once the open has succeeded. */
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
    if (fd < 0) {
        int rc =
            err_set(e, MP_ERR_IO, "save_stream_file: cannot open '%s': %s", path, strerror(errno));
        free(path);
        return rc;
    }
    close_stream(s);
    s->fd = fd;
    s->path = path;
    s->spec = xstrdup(spec);
    return 0;
}

static enum addon_result
on_start(struct addon *a, struct hook_call *call)
{
    struct save *s = (struct save *)a;
    if (s->fd >= 0 && call->data->flow)
        active_add(s, call->data->flow);
    return ADDON_CONTINUE;
}

static enum addon_result
on_end(struct addon *a, struct hook_call *call)
{
    struct flow *f = call->data->flow;
    /* A websocket flow is written when the websocket ends, not at its 101
     * nor at an error (mitmproxy's save addon does the same). */
    enum hook h = call->data->hook;
    struct save *s = (struct save *)a;
    if (f == NULL || ((h == HOOK_RESPONSE || h == HOOK_ERROR) && f->websocket))
        return ADDON_CONTINUE;
    /*
     * An HTTP flow with a response and an error is written once (mitmproxy
     * writes it at both hooks). Read from a file it already has its error
     * at the response hook: wait for the error hook, which writes it whole.
     * Live, the error comes after a response hook we saw (the client left
     * while the response went out): the flow was written then, and the
     * error hook finds it no longer active.
     */
    if (h == HOOK_RESPONSE && f->error)
        return ADDON_CONTINUE;
    if (h == HOOK_ERROR && f->response && !active_has(s, f))
        return ADDON_CONTINUE;
    save_flow(s, f);
    return ADDON_CONTINUE;
}

static void
done(struct addon *a)
{
    close_stream((struct save *)a);
}

static void
save_free(struct addon *a)
{
    struct save *s = (struct save *)a;
    close_stream(s);
    filt_free(s->filt);
    buf_clear(&s->rec);
    free(s->active);
    free(s);
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* save.file: the flows written to path, or appended with "+path". */
static int
cmd_save_file(void *arg, struct cmds_call *c, struct err *e)
{
    (void)arg;
    const struct cmds_flows *fl = &cmds_arg(c, 0)->flows;
    const char *path = cmds_arg(c, 1)->s;
    int append = path[0] == '+';
    char *full = path_expand_home(path + append);
    int fd = open(full, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
    int rc = 0;
    if (fd < 0) {
        rc = err_set(e, MP_ERR_IO, "[Errno %d] %s: '%s'", errno, strerror(errno), full);
        free(full);
        return rc;
    }
    struct buf rec = BUF_INIT;
    for (size_t i = 0; i < fl->n && rc == 0; i++) {
        buf_reset(&rec);
        ffile_serialize(&rec, fl->v[i]);
        if (write_all(fd, buf_ptr(&rec), rec.len) < 0)
            rc = err_set(e, MP_ERR_IO, "[Errno %d] %s: '%s'", errno, strerror(errno), full);
    }
    if (close(fd) < 0 && rc == 0)
        rc = err_set(e, MP_ERR_IO, "[Errno %d] %s: '%s'", errno, strerror(errno), full);
    buf_clear(&rec);
    free(full);
    if (rc == 0)
        log_msg(LOG_ALERT, "Saved %zu flows.", fl->n);
    return rc;
}

static int
save_commands(struct addon *a, struct cmds *cmds, struct err *e)
{
    static const struct cmds_param p[] = {{"flows", CMDS_FLOWS, 0, NULL},
                                          {"path", CMDS_PATH, 0, NULL}};
    return cmds_add(cmds, "save.file",
                    "Save flows to a file. If the path starts with a +, flows are\n        "
                    "appended to the file, otherwise it is over-written.",
                    p, 2, CMDS_NONE, cmd_save_file, a, e);
}

/* save_stream_file writes every flow that goes through, loaded ones too. */
static int
acts_on_loaded(struct addon *a)
{
    const struct save *x = (const struct save *)a;
    return x->spec != NULL || x->fd >= 0;
}

static const struct addon_ops save_ops = {
    .name = "save",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .done = done,
    .free = save_free,
    .commands = save_commands,
    .hooks =
        {
            [HOOK_REQUEST] = on_start,
            [HOOK_TCP_START] = on_start,
            [HOOK_RESPONSE] = on_end,
            [HOOK_ERROR] = on_end,
            [HOOK_TCP_END] = on_end,
            [HOOK_TCP_ERROR] = on_end,
            [HOOK_WEBSOCKET_END] = on_end,
            [HOOK_DNS_REQUEST] = on_start,
            [HOOK_DNS_RESPONSE] = on_end,
            [HOOK_DNS_ERROR] = on_end,
        },
};

struct addon *
addon_save_new(void)
{
    struct save *s = xcalloc(1, sizeof(*s));
    s->base.ops = &save_ops;
    s->fd = -1;
    return &s->base;
}
