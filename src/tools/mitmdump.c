/*
 * mitmdump: the proxy without a user interface, printing flows as they
 * pass (tcpdump for HTTP). main() only wires options, addons and the
 * server together; everything it calls lives in the modules below.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "addons/addon.h"
#include "addons/block.h"
#include "addons/blocklist.h"
#include "addons/map_local.h"
#include "addons/map_remote.h"
#include "addons/modify_body.h"
#include "addons/modify_headers.h"
#include "addons/clientplayback.h"
#include "addons/dumper.h"
#include "addons/onboarding.h"
#include "addons/readfile.h"
#include "addons/save.h"
#include "addons/serverplayback.h"
#include "addons/tlsconfig.h"
#include "addons/traffic.h"
#include "core/server.h"
#include "filter/filter.h"
#include "flow/flowfile.h"
#include "options/cmdline.h"
#include "options/opt.h"
#include "proxy/context.h"
#include "tls/session.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/version.h"
#include "util/xmalloc.h"

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

static void
print_version(void)
{
    struct utsname u;
    uname(&u);
    printf("Mitmproxy: %s (mitmproxy-c, behaves as mitmproxy %s)\n", MP_VERSION,
           MP_COMPAT_MITMPROXY);
    printf("Flow format: %d\n", FFILE_WRITE_VERSION);
    printf("OpenSSL:   %s\n", OpenSSL_version(OPENSSL_VERSION));
    printf("Platform:  %s-%s-%s\n", u.sysname, u.release, u.machine);
}

/* Client replay goes through the proxy core. */
static void
start_replay(void *srv, struct flow *f, playback_done_cb done, void *arg)
{
    server_replay(srv, f, done, arg);
}

/* Certificates are signed in the loop's thread pool. */
static void
queue_work(void *srv, tlsconfig_work_cb work, tlsconfig_work_cb after, void *arg)
{
    server_queue_work(srv, work, after, arg);
}

/* With -n (no proxy server), mitmdump ends when the replay queue is through. */
static void
replay_finished(void *srv)
{
    if (srv)
        server_stop(srv);
}

/* The last recorded response is being served: stop once it has gone out
 * (mitmproxy polls the final flow every 0.1 s for the same purpose). */
static void
server_replay_drained(void *srv)
{
    server_stop_after(srv, 500);
}

/*
 * One line per listener. A single mode keeps mitmproxy 8.1.1's wording;
 * several name their kind as mitmproxy 9 does ("SOCKS v5 proxy listening
 * at *:1080.").
 */
static void
announce(const struct proxy_mode *m, const char *host, int port, int several)
{
    char where[300];
    if (*host == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
        snprintf(where, sizeof(where), "*:%d", port);
    else if (strchr(host, ':'))
        snprintf(where, sizeof(where), "[%s]:%d", host, port);
    else
        snprintf(where, sizeof(where), "%s:%d", host, port);
    if (several)
        log_info("%s listening at %s.", proxy_mode_description(m), where);
    else
        log_info("Proxy server listening at %s", where);
}

static int
usage_error(const char *msg)
{
    fprintf(stderr, "usage: mitmdump [options] [filter]\nmitmdump: error: %s\n", msg);
    return 2;
}

int
main(int argc, char **argv)
{
    struct options *opts = opt_new();
    struct cmdline cl = {0};
    struct err e = {0};
    int status = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (cmdline_parse(opts, argc, argv, &cl, &e) < 0) {
        status = usage_error(e.msg);
        goto out;
    }
    if (cl.help) {
        cmdline_usage(stdout, "mitmdump");
        goto out;
    }
    if (cl.version) {
        print_version();
        goto out;
    }
    if (cl.show_options) {
        opt_dump(opts, stdout);
        goto out;
    }
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
        status = usage_error(e.msg);
        goto out;
    }
    free(filter_expr);
    log_set_level(log_level_parse(opts->termlog_verbosity));
    log_set_sink(dumper_log_sink, stdout);
    if (filter_shown) {
        log_msg(LOG_INFO, "Only processing flows that match \"%s\"", filter_shown);
        free(filter_shown);
    }

    /* The proxy core runs for the server and for client replay (-C also with -n). */
    int need_core = opts->server || opts->client_replay.n > 0;
    struct proxy_config cfg = {0};
    if (need_core && proxy_config_init(&cfg, opts, &e) < 0) {
        status = usage_error(e.msg);
        goto out;
    }
    warn_unimplemented(opts);
    if (need_core && proxy_config_load_ca(&cfg, &e) < 0) {
        fprintf(stderr, "mitmdump: error: %s\n", e.msg);
        proxy_config_clear(&cfg);
        status = 2;
        goto out;
    }
    /* Key logging as mitmproxy: MITMPROXY_SSLKEYLOGFILE, else SSLKEYLOGFILE. */
    const char *keylog = getenv("MITMPROXY_SSLKEYLOGFILE");
    if (keylog == NULL || *keylog == '\0')
        keylog = getenv("SSLKEYLOGFILE");
    if (keylog && *keylog && tls_keylog_open(keylog, &e) < 0) {
        fprintf(stderr, "mitmdump: error: %s\n", e.msg);
        proxy_config_clear(&cfg);
        status = 2;
        goto out;
    }

    /* mitmproxy 8.1.1's default_addons() order. */
    struct addon_chain *chain = addon_chain_new();
    addon_chain_add(chain, addon_block_new());
    addon_chain_add(chain, addon_blocklist_new());
    addon_chain_add(chain, addon_anticache_new());
    addon_chain_add(chain, addon_anticomp_new());
    struct addon *playback = addon_clientplayback_new();
    addon_chain_add(chain, playback);
    addon_chain_add(chain, addon_onboarding_new());
    addon_chain_add(chain, addon_proxyauth_new());
    struct addon *serverplayback = addon_serverplayback_new();
    addon_chain_add(chain, serverplayback);
    addon_chain_add(chain, addon_map_remote_new());
    addon_chain_add(chain, addon_map_local_new());
    addon_chain_add(chain, addon_modify_body_new());
    addon_chain_add(chain, addon_modify_headers_new());
    addon_chain_add(chain, addon_stickyauth_new());
    addon_chain_add(chain, addon_stickycookie_new());
    addon_chain_add(chain, addon_save_new());
    struct addon *tlsconfig = addon_tlsconfig_new();
    addon_chain_add(chain, tlsconfig);
    addon_chain_add(chain, addon_dumper_new(stdout));
    if (addon_chain_configure(chain, opts, &e) < 0) {
        fprintf(stderr, "mitmdump: error: %s\n", e.msg);
        addon_chain_free(chain);
        proxy_config_clear(&cfg);
        status = 2;
        goto out;
    }

    /* One configuration per listener: the same but for the mode. */
    struct proxy_config *lcfgs = NULL;
    if (need_core) {
        lcfgs = xcalloc(cfg.nmodes, sizeof(*lcfgs));
        for (size_t i = 0; i < cfg.nmodes; i++)
            proxy_config_for_mode(&cfg, i, &lcfgs[i]);
    }
    struct server *srv = NULL;
    if (need_core) {
        srv = server_new(&cfg, chain);
        tlsconfig_wire(tlsconfig, queue_work, srv);
        clientplayback_wire(playback, start_replay, srv, opts->server ? NULL : replay_finished,
                            opts->keepserving ? NULL : srv);
        /* mitmproxy exits once every recorded response was served, unless keepserving. */
        if (opts->server_replay.n && !opts->keepserving)
            serverplayback_wire(serverplayback, server_replay_drained, srv);
    }
    if (opts->server) {
        for (size_t i = 0; i < cfg.nmodes; i++) {
            const struct proxy_mode *m = &cfg.modes[i];
            if (server_listen_cfg(srv, &lcfgs[i], proxy_mode_listen_host(m, opts),
                                  proxy_mode_listen_port(m, opts), &e) < 0) {
                fprintf(stderr, "mitmdump: error starting proxy server: %s\n", e.msg);
                server_free(srv);
                addon_chain_done(chain);
                addon_chain_free(chain);
                free(lcfgs);
                proxy_config_clear(&cfg);
                status = 1;
                goto out;
            }
        }
    }
    addon_chain_running(chain);
    if (opts->rfile) {
        struct filt *rf = NULL;
        int rc;
        if (opts->readfile_filter && *opts->readfile_filter &&
            (rf = filt_compile(opts->readfile_filter, &e)) == NULL) {
            fprintf(stderr, "mitmdump: error: readfile_filter: %s\n", e.msg);
            status = 2;
        } else if ((rc = readfile_run_filtered(chain, opts->rfile, rf, &e)) < 0) {
            fprintf(stderr, "mitmdump: error: %s\n", e.msg);
            /* A file that cannot be opened is a start-up error (2, as for
             * -C and -S); a damaged one is found while running (1). */
            status = rc == MP_ERR_IO ? 2 : 1;
            /* A server still serves; without one, stop here. */
        }
        filt_free(rf);
    }
    if (srv && !opts->server && (opts->keepserving || clientplayback_count(playback) == 0)) {
        /* -n: nothing to wait for (or keepserving: until Ctrl-C). */
        if (!opts->keepserving) {
            server_free(srv);
            srv = NULL;
        }
    }
    if (srv && !opts->server) {
        if (server_run(srv) < 0 && status == 0)
            status = 1;
        server_free(srv);
        srv = NULL;
    }
    if (srv) {
        for (size_t i = 0; i < cfg.nmodes; i++)
            announce(&cfg.modes[i], proxy_mode_listen_host(&cfg.modes[i], opts),
                     server_listener_port(srv, i), cfg.nmodes > 1);
        if (server_run(srv) < 0 && status == 0)
            status = 1;
        server_free(srv);
    }
    addon_chain_done(chain);
    addon_chain_free(chain);
    free(lcfgs);
    proxy_config_clear(&cfg);
out:
    cmdline_clear(&cl);
    opt_free(opts);
    return status;
}
