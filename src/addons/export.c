/*
 * The export addon (mitmproxy's addons/export.py): a flow as curl, httpie,
 * raw, ... (export/export.h) returned, written to a file or copied to the
 * clipboard.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/export.h"
#include "commands/commands.h"
#include "export/export.h"
#include "options/opt.h"
#include "util/log.h"
#include "util/xmalloc.h"

struct exporter {
    struct addon base;
    struct export_opts opts;
};

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct exporter *x = (struct exporter *)a;
    x->opts.preserve_original_ip = o->export_preserve_original_ip;
    return 0;
}

/* The format's bytes for the flow (export_flow's errors, or an unknown
 * format's). */
static int
export_raw(struct exporter *x, struct cmds_call *c, struct buf *out, struct err *e)
{
    const char *name = cmds_arg(c, 0)->s;
    int fmt = export_format_find(name);
    if (fmt < 0)
        return err_set(e, MP_ERR_INVAL, "No such export format: %s", name);
    return export_flow((enum export_format)fmt, cmds_arg(c, 1)->flow, &x->opts, out, e);
}

/* export_str(): the bytes as text, invalid UTF-8 as \xHH. */
static int
export_text(struct exporter *x, struct cmds_call *c, struct buf *out, struct err *e)
{
    struct buf raw = BUF_INIT;
    int rc = export_raw(x, c, &raw, e);
    if (rc == 0)
        export_as_text(buf_ptr(&raw), raw.len, out);
    buf_clear(&raw);
    return rc;
}

static int
cmd_export(void *arg, struct cmds_call *c, struct err *e)
{
    struct buf out = BUF_INIT;
    int rc = export_text(arg, c, &out, e);
    if (rc == 0) {
        char *s = buf_strdup(&out);
        cmds_return_str(c, s);
        free(s);
    }
    buf_clear(&out);
    return rc;
}

static int
cmd_file(void *arg, struct cmds_call *c, struct err *e)
{
    struct buf out = BUF_INIT;
    int rc = export_raw(arg, c, &out, e);
    if (rc == 0) {
        const char *path = cmds_arg(c, 2)->s;
        FILE *f = fopen(path, "wb");
        int ok = f && fwrite(buf_ptr(&out), 1, out.len, f) == out.len;
        if (f && fclose(f) != 0)
            ok = 0;
        /* Python's OSError, which mitmproxy logs. */
        if (!ok)
            log_msg(LOG_ERROR, "[Errno %d] %s: '%s'", errno, strerror(errno), path);
    }
    buf_clear(&out);
    return rc;
}

static int
cmd_clip(void *arg, struct cmds_call *c, struct err *e)
{
    struct buf out = BUF_INIT;
    int rc = export_text(arg, c, &out, e);
    if (rc == 0)
        rc = export_clipboard_copy(buf_ptr(&out), out.len, e);
    buf_clear(&out);
    return rc;
}

static int
cmd_formats(void *arg, struct cmds_call *c, struct err *e)
{
    struct strv sv = {0};
    for (int i = 0; i < EXPORT__COUNT; i++)
        strv_push(&sv, export_format_name((enum export_format)i));
    cmds_return_strs(c, &sv);
    return 0;
}

static const struct cmds_param p_export[] = {{"format", CMDS_STR, 0, NULL},
                                             {"f", CMDS_FLOW, 0, NULL}};
static const struct cmds_param p_file[] = {
    {"format", CMDS_STR, 0, NULL}, {"flow", CMDS_FLOW, 0, NULL}, {"path", CMDS_PATH, 0, NULL}};

/* mitmproxy's names, parameters and docstrings. */
static const struct {
    const char *name, *help;
    const struct cmds_param *params;
    size_t nparams;
    enum cmds_type ret;
    cmds_fn fn;
} COMMANDS[] = {
    {"export", "Export a flow and return the result.", p_export, 2, CMDS_STR, cmd_export},
    {"export.clip", "Export a flow to the system clipboard.", p_export, 2, CMDS_NONE, cmd_clip},
    {"export.file", "Export a flow to path.", p_file, 3, CMDS_NONE, cmd_file},
    {"export.formats", "Return a list of the supported export formats.", NULL, 0, CMDS_STRS,
     cmd_formats},
};

static int
exporter_commands(struct addon *a, struct cmds *cmds, struct err *e)
{
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++) {
        int rc = cmds_add(cmds, COMMANDS[i].name, COMMANDS[i].help, COMMANDS[i].params,
                          COMMANDS[i].nparams, COMMANDS[i].ret, COMMANDS[i].fn, a, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void
exporter_free(struct addon *a)
{
    free(a);
}

static const struct addon_ops exporter_ops = {
    .name = "export",
    .configure = configure,
    .free = exporter_free,
    .commands = exporter_commands,
};

struct addon *
addon_export_new(void)
{
    struct exporter *x = xcalloc(1, sizeof(*x));
    x->base.ops = &exporter_ops;
    return &x->base;
}
