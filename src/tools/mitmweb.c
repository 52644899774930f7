/*
 * mitmweb: the proxy with the browser UI. main() turns the command line
 * into options (mitmdump's flags, plus the web server's and the flow
 * store's options) and runs a master (master/master.h) with the intercept
 * addon, the flow store and the web server (web/web.h) as its own addons;
 * everything it calls lives in the modules below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addons/dumper.h"
#include "addons/intercept.h"
#include "commands/commands.h"
#include "core/server.h"
#include "master/master.h"
#include "options/cmdline.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/log.h"
#include "web/web.h"

/* mitmproxy's open_browser(): the first of these that exists, in the
 * background; nothing on a headless machine. */
static void
open_browser(const char *url)
{
    static const char *const browsers[] = {"x-www-browser", "xdg-open", "gnome-open",
                                           "google-chrome", "chromium", "chromium-browser",
                                           "firefox"};
    const char *path = getenv("PATH");
    if (getenv("DISPLAY") == NULL && getenv("WAYLAND_DISPLAY") == NULL)
        path = NULL;
    for (size_t i = 0; path && i < sizeof(browsers) / sizeof(browsers[0]); i++) {
        char *dirs = strdup(path), *save = NULL;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            char full[4096];
            snprintf(full, sizeof(full), "%s/%s", d, browsers[i]);
            if (access(full, X_OK) != 0)
                continue;
            free(dirs);
            /* Twice forked, so the browser is nobody's zombie. */
            pid_t pid = fork();
            if (pid == 0) {
                setsid();
                if (fork() == 0)
                    execl(full, full, url, (char *)NULL);
                _exit(0);
            }
            if (pid > 0)
                waitpid(pid, NULL, 0);
            return;
        }
        free(dirs);
    }
    log_msg(LOG_INFO, "No web browser found. Please open a browser and point it to %s", url);
}

/* The interactive tools' options exist before the command line is read,
 * so their flags, --set and config.yaml reach them; web_columns' default
 * list comes from the web server (a registered option's default holds one
 * value). */
static int (*const register_options[])(struct err *) = {
    master_register_options, store_register_options, web_register_options, NULL};
static const struct master_tool tool = {
    .name = "mitmweb",
    .register_options = register_options,
    .unlisted = master_dump_only_options,
    .defaults = web_options_defaults,
};

int
main(int argc, char **argv)
{
    struct options *opts = NULL;
    struct cmdline cl = {0};
    struct err e = {0};
    int status = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The intercept addon registers its own options, before the others. */
    struct addon *intercept = addon_intercept_new();
    opts = master_parse_cmdline(&tool, argc, argv, &cl, &status);
    if (opts == NULL)
        goto out;
    /* The UI runs until Ctrl-C, also with -n or after -r. */
    opt_set(opts, "keepserving", "true", NULL);
    log_set_level(log_level_parse(opts->termlog_verbosity));
    log_set_sink(dumper_log_sink, stdout);

    /* The master takes the options; nothing below frees them. */
    struct master *m = master_new(opts);
    opts = NULL;
    master_add_addon(m, intercept);
    intercept = NULL;
    struct store *store = master_enable_store(m, &e);
    struct web *w = store ? web_new(m, store) : NULL;
    if (w)
        master_add_addon(m, web_addon(w));
    if (store == NULL) {
        fprintf(stderr, "mitmweb: error: %s\n", e.msg);
        status = 1;
    } else if (master_load_scripts(m, &e) < 0) {
        fprintf(stderr, "mitmweb: error: %s\n", e.msg);
        status = 1;
    } else if (cl.show_commands) {
        if (master_collect_commands(m, &e) < 0) {
            fprintf(stderr, "mitmweb: error: %s\n", e.msg);
            status = 1;
        } else {
            cmds_dump(master_commands(m), stdout);
        }
    } else if (master_configure(m, &e) < 0) {
        fprintf(stderr, "mitmweb: error: %s\n", e.msg);
        status = 2;
    } else if (master_listen(m, &e) < 0) {
        fprintf(stderr, "mitmweb: error starting proxy server: %s\n", e.msg);
        status = 1;
    } else if (web_start(w, &e) < 0) {
        fprintf(stderr, "mitmweb: error: %s\n", e.msg);
        status = 1;
    } else {
        master_announce(m);
        const struct opt_info *ob = opt_find("web_open_browser");
        if (ob && opt_get_bool(master_options(m), ob))
            open_browser(web_url(w));
        master_read_flows_logged(m);
        if (master_run(m) != 0)
            status = 1;
    }
    master_free(m);
    web_free(w);
out:
    if (intercept)
        intercept->ops->free(intercept);
    cmdline_clear(&cl);
    opt_free(opts);
    server_library_shutdown();
    return status;
}
