/*
 * mitmdump: the proxy without a user interface, printing flows as they
 * pass (tcpdump for HTTP). main() turns the command line into options and
 * runs a master (master/master.h) with the dumper as its one addon of its
 * own; everything it calls lives in the modules below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/dumper.h"
#include "commands/commands.h"
#include "core/server.h"
#include "filter/filter.h"
#include "master/master.h"
#include "options/cmdline.h"
#include "options/opt.h"
#include "util/buf.h"
#include "util/log.h"

static void
warn_unimplemented(const struct options *opts)
{
    struct options *defaults = opt_new();
    size_t n;
    const struct opt_info *reg = opt_registry(&n);
    for (size_t i = 0; i < n; i++) {
        if (!reg[i].planned)
            continue;
        char a[512], b[512];
        opt_format_value(opts, &reg[i], a, sizeof(a));
        opt_format_value(defaults, &reg[i], b, sizeof(b));
        if (strcmp(a, b) != 0)
            log_warnx("option %s is not implemented yet in this version and has no effect",
                      reg[i].name);
    }
    opt_free(defaults);
}

/* The end of -r: a damaged file is reported (its earlier flows were shown). */
static void
read_done(void *arg, int rc, const struct err *e)
{
    int *status = arg;
    if (rc < 0) {
        fprintf(stderr, "mitmdump: error: %s\n", e->msg);
        *status = 1;
    }
}

/* Our own options exist before the command line is read. */
static int (*const register_options[])(struct err *) = {master_register_options, NULL};
static const struct master_tool tool = {
    .name = "mitmdump",
    .filters = 1,
    .register_options = register_options,
};

int
main(int argc, char **argv)
{
    struct cmdline cl = {0};
    struct err e = {0};
    int status = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    struct options *opts = master_parse_cmdline(&tool, argc, argv, &cl, &status);
    if (opts == NULL)
        goto out;
    /* As 8.1.1's main.py: the positional filter words, joined by spaces,
     * limit what is read, shown and saved. A bad filter is reported when the
     * addons are configured below. */
    struct buf fexpr = BUF_INIT, fshown = BUF_INIT;
    for (size_t i = 0; i < cl.filters.n; i++) {
        buf_append_str(&fexpr, i ? " " : "");
        buf_append_str(&fexpr, cl.filters.v[i]);
        buf_append_str(&fshown, i ? " & " : "");
        buf_append_str(&fshown, cl.filters.v[i]);
    }
    char *filter_expr = cl.filters.n ? buf_strdup(&fexpr) : NULL;
    char *filter_shown = cl.filters.n ? buf_strdup(&fshown) : NULL;
    buf_clear(&fexpr);
    buf_clear(&fshown);
    /* Checked here, so the message names the argument the user typed rather
     * than the three options it sets. */
    struct filt *check = filter_expr ? filt_compile(filter_expr, &e) : NULL;
    if (filter_expr && check == NULL) {
        const char *why = strncmp(e.msg, "filter: ", 8) == 0 ? e.msg + 8 : e.msg;
        fprintf(stderr, "mitmdump: error: invalid filter expression '%s': %s\n", filter_expr,
                why);
        free(filter_expr);
        free(filter_shown);
        status = 2;
        goto out;
    }
    filt_free(check);
    if (filter_expr && (opt_set(opts, "save_stream_filter", filter_expr, &e) < 0 ||
                        opt_set(opts, "readfile_filter", filter_expr, &e) < 0 ||
                        opt_set(opts, "dumper_filter", filter_expr, &e) < 0)) {
        free(filter_expr);
        free(filter_shown);
        status = master_usage_error(&tool, e.msg);
        goto out;
    }
    free(filter_expr);
    log_set_level(log_level_parse(opts->termlog_verbosity));
    log_set_sink(dumper_log_sink, stdout);
    if (filter_shown) {
        log_msg(LOG_INFO, "Only processing flows that match \"%s\"", filter_shown);
        free(filter_shown);
    }

    warn_unimplemented(opts);
    /* The master takes the options; nothing below frees them. */
    struct master *m = master_new(opts);
    opts = NULL;
    master_add_addon(m, addon_dumper_new(stdout));
    int rc;
    if (master_load_scripts(m, &e) < 0) {
        fprintf(stderr, "mitmdump: error: %s\n", e.msg);
        status = 1;
    } else if (cl.show_commands) {
        /* As mitmproxy: every addon's commands, before anything starts. */
        if (master_collect_commands(m, &e) < 0) {
            fprintf(stderr, "mitmdump: error: %s\n", e.msg);
            status = 1;
        } else {
            cmds_dump(master_commands(m), stdout);
        }
    } else if (master_configure(m, &e) < 0) {
        fprintf(stderr, "mitmdump: error: %s\n", e.msg);
        status = 2;
    } else if (master_listen(m, &e) < 0) {
        fprintf(stderr, "mitmdump: error starting proxy server: %s\n", e.msg);
        status = 1;
    } else {
        /* A file that cannot be opened (or a bad readfile_filter) is a
         * start-up error (2, as for -C and -S); a damaged one is found
         * while reading (1, see read_done). A server still serves. */
        if ((rc = master_read_flows(m, read_done, &status, &e)) < 0) {
            fprintf(stderr, "mitmdump: error: %s\n", e.msg);
            status = 2;
        }
        master_announce(m);
        if (master_run(m) != 0 && status == 0)
            status = 1;
    }
    master_free(m);
out:
    cmdline_clear(&cl);
    opt_free(opts);
    server_library_shutdown();
    return status;
}
