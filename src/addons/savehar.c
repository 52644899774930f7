/*
 * The savehar addon (current mitmproxy's addons/savehar.py): save.har
 * writes flows as HAR (export/har.h), and with the hardump option every
 * finished HTTP flow is kept and written when mitmproxy is done, as
 * mitmproxy does: once, at exit, not at each response.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "addons/export.h"
#include "commands/commands.h"
#include "export/har.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "util/log.h"
#include "util/num.h"
#include "util/path.h"
#include "util/xmalloc.h"

struct savehar {
    struct addon base;
    const struct opt_info *opt_hardump;
    char *path;          /* owned; hardump, NULL when unset */
    struct filt *filt;   /* save_stream_filter; NULL keeps every flow */
    struct flow **flows; /* one reference each, in the order they finished */
    size_t n, cap;
};

static void
drop_flows(struct savehar *x)
{
    for (size_t i = 0; i < x->n; i++)
        flow_unref(x->flows[i]);
    x->n = 0;
}

/* export_har(): the HAR of v[0..n) to path, zlib-compressed for ".zhar". */
static int
save_har(struct flow *const *v, size_t n, const char *path, struct err *e)
{
    struct buf har = BUF_INIT;
    size_t skipped;
    har_write(&har, v, n, &skipped);
    if (skipped)
        log_info("Skipped %zu flows that weren't HTTP flows.", skipped);
    size_t plen = strlen(path);
    if (plen >= 5 && strcmp(path + plen - 5, ".zhar") == 0) {
        uLongf zlen = compressBound(har.len);
        struct buf z = BUF_INIT;
        buf_reserve(&z, zlen);
        if (compress2((Bytef *)z.data, &zlen, buf_ptr(&har), har.len, 9) != Z_OK) {
            buf_clear(&z);
            buf_clear(&har);
            return err_set(e, MP_ERR_IO, "%s: cannot compress the HAR file", path);
        }
        z.len = zlen;
        buf_clear(&har);
        har = z;
    }
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf_ptr(&har), 1, har.len, f) == har.len;
    if (f && fclose(f) != 0)
        ok = 0;
    int rc = 0;
    if (!ok) {
        rc = err_set(e, MP_ERR_IO, "[Errno %d] %s: '%s'", errno, strerror(errno), path);
    } else {
        char size[NUM_SIZE_LEN];
        num_pretty_size(size, har.len);
        log_msg(LOG_ALERT, "HAR file saved (%s bytes).", size);
    }
    buf_clear(&har);
    return rc;
}

static int
cmd_save_har(void *arg, struct cmds_call *c, struct err *e)
{
    const struct cmds_flows *fl = &cmds_arg(c, 0)->flows;
    return save_har(fl->v, fl->n, cmds_arg(c, 1)->s, e);
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct savehar *x = (struct savehar *)a;
    if (OPT_CHANGED(updated, save_stream_filter)) {
        struct filt *nf = NULL;
        if (o->save_stream_filter && *o->save_stream_filter) {
            struct err fe = {0};
            if ((nf = filt_compile(o->save_stream_filter, &fe)) == NULL)
                return err_set(e, MP_ERR_SYNTAX, "save_stream_filter: %s", fe.msg);
        }
        filt_free(x->filt);
        x->filt = nf;
    }
    if (opt_changed(updated, x->opt_hardump->index)) {
        const char *p = opt_get_str(o, x->opt_hardump);
        free(x->path);
        x->path = p && *p ? xstrdup(p) : NULL;
        /* Unset, it forgets what it kept. */
        if (x->path == NULL)
            drop_flows(x);
    }
    return 0;
}

static void
keep(struct savehar *x, struct flow *f)
{
    if (x->path == NULL || f->type != FLOW_HTTP || f->request == NULL)
        return;
    if (x->filt && !filt_match(x->filt, f))
        return;
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 16;
        x->flows = xrealloc(x->flows, x->cap * sizeof(*x->flows));
    }
    x->flows[x->n++] = flow_ref(f);
}

/* response and error: a WebSocket is kept at its end instead. */
static enum addon_result
on_response(struct addon *a, struct hook_call *call)
{
    struct flow *f = call->data->flow;
    if (f && f->websocket == NULL)
        keep((struct savehar *)a, f);
    return ADDON_CONTINUE;
}

static enum addon_result
on_websocket_end(struct addon *a, struct hook_call *call)
{
    if (call->data->flow)
        keep((struct savehar *)a, call->data->flow);
    return ADDON_CONTINUE;
}

static void
done(struct addon *a)
{
    struct savehar *x = (struct savehar *)a;
    if (x->path == NULL)
        return;
    struct err e = {0};
    if (strcmp(x->path, "-") == 0) {
        struct buf har = BUF_INIT;
        har_write(&har, x->flows, x->n, NULL);
        buf_append(&har, "\n", 1);
        fwrite(buf_ptr(&har), 1, har.len, stdout);
        fflush(stdout);
        buf_clear(&har);
    } else {
        char *path = path_expand_home(x->path);
        if (save_har(x->flows, x->n, path, &e) < 0)
            log_msg(LOG_ERROR, "hardump: %s", e.msg);
        free(path);
    }
}

static void
savehar_free(struct addon *a)
{
    struct savehar *x = (struct savehar *)a;
    drop_flows(x);
    free(x->flows);
    free(x->path);
    filt_free(x->filt);
    free(x);
}

static int
savehar_commands(struct addon *a, struct cmds *cmds, struct err *e)
{
    static const struct cmds_param p[] = {{"flows", CMDS_FLOWS, 0, NULL},
                                          {"path", CMDS_PATH, 0, NULL}};
    return cmds_add(cmds, "save.har", "Export flows to an HAR (HTTP Archive) file.", p, 2,
                    CMDS_NONE, cmd_save_har, a, e);
}

/* hardump writes every flow that finishes, loaded ones too. */
static int
acts_on_loaded(struct addon *a)
{
    const struct savehar *x = (const struct savehar *)a;
    return x->path != NULL;
}

static const struct addon_ops savehar_ops = {
    .name = "savehar",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .done = done,
    .free = savehar_free,
    .commands = savehar_commands,
    .hooks =
        {
            [HOOK_RESPONSE] = on_response,
            [HOOK_ERROR] = on_response,
            [HOOK_WEBSOCKET_END] = on_websocket_end,
        },
};

struct addon *
addon_savehar_new(void)
{
    struct savehar *x = xcalloc(1, sizeof(*x));
    x->base.ops = &savehar_ops;
    struct err e = {0};
    /* Current mitmproxy's name, type, default and help. */
    if (opt_register("hardump", OPT_STR, "", NULL,
                     "Save a HAR file with all flows on exit. You may select particular flows "
                     "by setting save_stream_filter. For mitmdump, enabling this option will "
                     "mean that flows are kept in memory.",
                     &e) < 0)
        fatalx("cannot register the hardump option: %s", e.msg);
    x->opt_hardump = opt_find("hardump");
    return &x->base;
}
