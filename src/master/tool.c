/*
 * What the proxy tools' main()s share around the master: the start
 * (mitmproxy's tools/main.py run() up to the master: the options
 * registered, the command line and config.yaml read, and the flags that
 * print and exit handled, with the same words and exit statuses in
 * mitmdump, mitmproxy and mitmweb), and the interactive tools' -r.
 */
#include <stdio.h>

#include "master/internal.h"
#include "master/master.h"
#include "options/cmdline.h"
#include "options/opt.h"
#include "util/log.h"

/* 8.1.1's Dumper (dumper_*, flow_detail) and its keepserving addon. */
#define DUMP_ONLY "dumper_default_contentview", "dumper_filter", "flow_detail", "keepserving"
const char *const master_dump_only_options[] = {DUMP_ONLY, NULL};
/* 8.1.1's TermLog, which mitmweb loads and the console replaces. */
const char *const master_dump_only_options_console[] = {DUMP_ONLY, "termlog_verbosity", NULL};

int
master_usage_error(const struct master_tool *t, const char *msg)
{
    fprintf(stderr, "usage: %s [options]%s\n%s: error: %s\n", t->name,
            t->filters ? " [filter]" : "", t->name, msg);
    return 2;
}

/* The options as the tool starts with them, before any setting. */
static struct options *
tool_defaults(const struct master_tool *t)
{
    struct options *o = opt_new();
    if (t->defaults)
        t->defaults(o);
    return o;
}

struct options *
master_parse_cmdline(const struct master_tool *t, int argc, char **argv, struct cmdline *cl,
                     int *status)
{
    struct err e = {0};
    *status = 0;
    for (size_t i = 0; t->register_options && t->register_options[i]; i++) {
        if (t->register_options[i](&e) < 0) {
            fprintf(stderr, "%s: error: %s\n", t->name, e.msg);
            *status = 1;
            return NULL;
        }
    }
    for (size_t i = 0; t->unlisted && t->unlisted[i]; i++)
        opt_unlist(t->unlisted[i]);
    struct options *opts = tool_defaults(t);
    if (cmdline_parse_config(opts, argc, argv, cl, &e) < 0) {
        *status = master_usage_error(t, e.msg);
    } else if (cl->help) {
        cmdline_usage(stdout, t->name);
    } else if (cl->version || cl->sysinfo) {
        /* 8.1.1's --version is its system information. */
        master_sysinfo(stdout, 1);
    } else if (cl->show_options) {
        /* As mitmproxy: the defaults, whatever this command line sets. */
        struct options *defaults = tool_defaults(t);
        opt_dump(defaults, stdout);
        opt_free(defaults);
    } else if (cl->filters.n && !t->filters) {
        *status = master_usage_error(t, "unrecognized arguments");
    } else {
        return opts;
    }
    opt_free(opts);
    return NULL;
}

/* The end of -r: a damaged file is an error in the event log. */
static void
read_logged(void *arg, int rc, const struct err *e)
{
    (void)arg;
    if (rc < 0)
        log_msg(LOG_ERROR, "%s", e->msg);
}

void
master_read_flows_logged(struct master *m)
{
    struct err e = {0};
    if (master__read_flows(m, read_logged, NULL, 1, &e) < 0)
        log_msg(LOG_ERROR, "%s", e.msg);
}
