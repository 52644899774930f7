/*
 * The cut addon (mitmproxy's addons/cut.py): cells of flows by cut
 * specification (export/cut.h) returned as a table, saved to a file or
 * copied to the clipboard. One flow and one spec is the cell as it is
 * (a file gets its bytes; the clipboard bytes as their repr); anything
 * else is CSV of the cells as text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/export.h"
#include "commands/commands.h"
#include "export/cut.h"
#include "export/export.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xmalloc.h"

struct cutter {
    struct addon base;
};

static const struct cmds_flows *
flows_arg(struct cmds_call *c)
{
    return &cmds_arg(c, 0)->flows;
}

static const struct strv *
cuts_arg(struct cmds_call *c)
{
    return &cmds_arg(c, 1)->strs;
}

static int
cmd_cut(void *arg, struct cmds_call *c, struct err *e)
{
    const struct cmds_flows *fl = flows_arg(c);
    const struct strv *cuts = cuts_arg(c);
    struct cmds_value v = {.type = CMDS_DATA};
    v.data.rows = fl->n;
    v.data.cols = cuts->n;
    v.data.cells = xcalloc(fl->n * cuts->n + 1, sizeof(struct buf));
    int rc = 0;
    for (size_t i = 0; i < fl->n && rc == 0; i++)
        for (size_t j = 0; j < cuts->n && rc == 0; j++)
            rc = cut_extract(cuts->v[j], fl->v[i], &v.data.cells[i * cuts->n + j], NULL, e);
    if (rc == 0)
        cmds_return_value(c, &v);
    cmds_value_clear(&v);
    return rc;
}

/* The CSV of every flow's cells as text (extract_str). */
static int
csv(const struct cmds_flows *fl, const struct strv *cuts, struct buf *out, struct err *e)
{
    struct buf *row = xcalloc(cuts->n + 1, sizeof(*row));
    int rc = 0;
    for (size_t i = 0; i < fl->n && rc == 0; i++) {
        for (size_t j = 0; j < cuts->n && rc == 0; j++) {
            buf_reset(&row[j]);
            rc = cut_extract_str(cuts->v[j], fl->v[i], &row[j], e);
        }
        if (rc == 0)
            cut_csv_row(out, row, cuts->n);
    }
    for (size_t j = 0; j < cuts->n; j++)
        buf_clear(&row[j]);
    free(row);
    return rc;
}

static int
single(const struct cmds_flows *fl, const struct strv *cuts)
{
    return fl->n == 1 && cuts->n == 1;
}

static int
cmd_save(void *arg, struct cmds_call *c, struct err *e)
{
    const struct cmds_flows *fl = flows_arg(c);
    const struct strv *cuts = cuts_arg(c);
    /* "+path" appends; the path type expanded "~" only at the start. */
    const char *given = cmds_arg(c, 2)->s;
    int append = given[0] == '+';
    char *path = append ? path_expand_home(given + 1) : xstrdup(given);
    /* The cells first: a bad spec leaves the file alone. */
    struct buf out = BUF_INIT;
    int rc = single(fl, cuts) ? cut_extract(cuts->v[0], fl->v[0], &out, NULL, e)
                              : csv(fl, cuts, &out, e);
    if (rc == 0) {
        FILE *f = fopen(path, append ? "ab" : "wb");
        int ok = f != NULL;
        /* One cell appended to a file with content goes on a line of
         * its own. */
        if (ok && single(fl, cuts) && fseek(f, 0, SEEK_END) == 0 && ftell(f) > 0)
            ok = fputc('\n', f) != EOF;
        if (ok)
            ok = fwrite(buf_ptr(&out), 1, out.len, f) == out.len;
        if (f && fclose(f) != 0)
            ok = 0;
        if (!ok)
            log_msg(LOG_ERROR, "[Errno %d] %s: '%s'", errno, strerror(errno), path);
        else if (single(fl, cuts))
            log_msg(LOG_ALERT, "Saved single cut.");
        else
            log_msg(LOG_ALERT, "Saved %zu cuts over %zu flows as CSV.", cuts->n, fl->n);
    }
    buf_clear(&out);
    free(path);
    return rc;
}

static int
cmd_clip(void *arg, struct cmds_call *c, struct err *e)
{
    const struct cmds_flows *fl = flows_arg(c);
    const struct strv *cuts = cuts_arg(c);
    struct buf out = BUF_INIT;
    int rc =
        single(fl, cuts) ? cut_extract_str(cuts->v[0], fl->v[0], &out, e) : csv(fl, cuts, &out, e);
    if (rc == 0)
        rc = export_clipboard_copy(buf_ptr(&out), out.len, e);
    if (rc == 0 && single(fl, cuts))
        log_msg(LOG_ALERT, "Clipped single cut.");
    else if (rc == 0)
        log_msg(LOG_ALERT, "Clipped %zu cuts as CSV.", cuts->n);
    buf_clear(&out);
    return rc;
}

static const struct cmds_param p_cut[] = {
    {"flows", CMDS_FLOWS, 0, NULL}, {"cuts", CMDS_CUTSPEC, 0, NULL}, {"path", CMDS_PATH, 0, NULL}};

/*
 * mitmproxy's names, parameters and docstrings. A docstring keeps its line
 * breaks and indentation: textwrap counts them as mitmproxy's does, so the
 * help wraps where 8.1.1's does.
 */
static const struct {
    const char *name, *help;
    size_t nparams;
    enum cmds_type ret;
    cmds_fn fn;
} COMMANDS[] = {
    {"cut",
     "Cut data from a set of flows. Cut specifications are attribute paths\n"
     "        from the base of the flow object, with a few conveniences - \"port\"\n"
     "        and \"host\" retrieve parts of an address tuple, \".header[key]\"\n"
     "        retrieves a header value. Return values converted to strings or\n"
     "        bytes: SSL certificates are converted to PEM format, bools are \"true\"\n"
     "        or \"false\", \"bytes\" are preserved, and all other values are\n"
     "        converted to strings.",
     2, CMDS_DATA, cmd_cut},
    {"cut.clip",
     "Send cuts to the clipboard. If there are multiple flows or cuts, the\n"
     "        format is UTF-8 encoded CSV. If there is exactly one row and one\n"
     "        column, the data is written to file as-is, with raw bytes preserved.",
     2, CMDS_NONE, cmd_clip},
    {"cut.save",
     "Save cuts to file. If there are multiple flows or cuts, the format\n"
     "        is UTF-8 encoded CSV. If there is exactly one row and one column,\n"
     "        the data is written to file as-is, with raw bytes preserved. If the\n"
     "        path is prefixed with a \"+\", values are appended if there is an\n"
     "        existing file.",
     3, CMDS_NONE, cmd_save},
};

static int
cutter_commands(struct addon *a, struct cmds *cmds, struct err *e)
{
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++) {
        int rc = cmds_add(cmds, COMMANDS[i].name, COMMANDS[i].help, p_cut, COMMANDS[i].nparams,
                          COMMANDS[i].ret, COMMANDS[i].fn, a, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void
cutter_free(struct addon *a)
{
    free(a);
}

static const struct addon_ops cutter_ops = {
    .name = "cut",
    .free = cutter_free,
    .commands = cutter_commands,
};

struct addon *
addon_cut_new(void)
{
    struct cutter *x = xcalloc(1, sizeof(*x));
    x->base.ops = &cutter_ops;
    return &x->base;
}
