/*
 * mitmproxy: the proxy with the console UI. main() turns the command line
 * into options (mitmdump's flags, plus the console's and the flow
 * store's options) and runs a master (master/master.h) with the intercept
 * addon, the flow store and the console (console/console.h) as its own
 * addons; everything it calls lives in the modules below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/intercept.h"
#include "commands/commands.h"
#include "core/server.h"
#include "console/console.h"
#include "master/master.h"
#include "options/cmdline.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

/* The interactive tools' options exist before the command line is read,
 * so their flags, --set and config.yaml reach them. */
static int (*const register_options[])(struct err *) = {
    master_register_options, store_register_options, console_register_options, NULL};
static const struct master_tool tool = {
    .name = "mitmproxy",
    .register_options = register_options,
    .unlisted = master_dump_only_options_console,
};

int
main(int argc, char **argv)
{
    double t0 = clock_mono_ms();
    double first_screen = 0;
    struct options *opts = NULL;
    struct cmdline cl = {0};
    struct err e = {0};
    int status = 0;

    /* The intercept addon registers its own options, before the others. */
    struct addon *intercept = addon_intercept_new();
    opts = master_parse_cmdline(&tool, argc, argv, &cl, &status);
    if (opts == NULL)
        goto out;
    /* The console runs until the user quits, also with -n after -r or a
     * replay is through (8.1.1's interactive tools always keep serving). */
    opt_set(opts, "keepserving", "true", NULL);

    /* The master takes the options; nothing below frees them. */
    struct master *m = master_new(opts);
    opts = NULL;
    master_add_addon(m, intercept);
    intercept = NULL;
    struct store *store = master_enable_store(m, &e);
    struct console *c = store ? console_new(m, store) : NULL;
    if (c)
        master_add_addon(m, console_addon(c));
    /* Start-up errors are printed once the terminal is given back. */
    const char *failed = NULL;
    if (store == NULL) {
        failed = "";
        status = 1;
    } else if (master_load_scripts(m, &e) < 0) {
        failed = "";
        status = 1;
    } else if (cl.show_commands) {
        if (master_collect_commands(m, &e) < 0) {
            failed = "";
            status = 1;
        } else {
            cmds_dump(master_commands(m), stdout);
        }
    } else if (console_open(c, &e) < 0) {
        failed = "";
        status = 1;
    } else if ((first_screen = clock_mono_ms() - t0), master_configure(m, &e) < 0) {
        failed = "";
        status = 2;
    } else if (master_listen(m, &e) < 0) {
        failed = "starting proxy server: ";
        status = 1;
    } else if (console_start(c, &e) < 0) {
        failed = "";
        status = 1;
    } else {
        log_debug("console: first screen %.1f ms after start, serving after %.1f ms", first_screen,
                  clock_mono_ms() - t0);
        master_announce(m);
        master_read_flows_logged(m);
        if (master_run(m) != 0)
            status = 1;
    }
    /* The terminal is given back before the store (and its flows) go. */
    console_free(c);
    if (failed)
        fprintf(stderr, "mitmproxy: error: %s%s\n", failed, e.msg);
    master_free(m);
out:
    if (intercept)
        intercept->ops->free(intercept);
    cmdline_clear(&cl);
    opt_free(opts);
    server_library_shutdown();
    return status;
}
