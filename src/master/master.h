/*
 * The master: what mitmdump, mitmproxy and mitmweb share (mitmproxy's
 * Master and its default addons). It owns the options, the addon chain in
 * mitmproxy's order, the CA, one proxy configuration per --mode, the proxy
 * server with its listeners, and the wiring of client and server replay;
 * it changes options while serving. A tool makes one, adds its own addons
 * (mitmdump's dumper, a UI), and runs it:
 *
 *   opts = master_parse_cmdline(&tool, argc, argv, &cl, &status);
 *                                  options registered, command line read
 *   m = master_new(opts);          the built-in addons, options taken
 *   master_add_addon(m, dumper);   the tool's addons, after the built-ins
 *   master_configure(m, &e);       every addon configured; CA and configs
 *   master_listen(m, &e);          one listener per mode (unless -n)
 *   master_read_flows(m, cb, &e);  -r, through the chain (done(cb) maybe later)
 *   master_run(m);                 until the server stops (Ctrl-C, -n done)
 *   master_free(m);
 *
 * Everything here runs on the loop's thread; another thread reaches the
 * master through master_post().
 */
#ifndef MP_MASTER_MASTER_H
#define MP_MASTER_MASTER_H

#include <stddef.h>
#include <stdio.h>

#include "util/err.h"

struct addon;
struct addon_chain;
struct cmds;
struct flow;
struct master;
struct options;
struct server;

/*
 * Registers the options of ours that mitmproxy lacks (opt_register_ours;
 * `--options` leaves them out): key_type, the key of forged leaves, "ecdsa"
 * (default) or "rsa". Call once, before the command line is read, so that
 * --set and config.yaml reach them. 0, or an error with e set.
 */
int master_register_options(struct err *e);

/* What sets one proxy tool's start apart (master_parse_cmdline()). */
struct cmdline;
struct master_tool {
    const char *name; /* "mitmdump": in the usage line and every error */
    int filters;      /* positional filter words are the tool's (mitmdump's); else an error */
    /* The options to register before the command line is read, in order
     * (master_register_options among them where the tool has key_type);
     * NULL-ended, or NULL. */
    int (*const *register_options)(struct err *e);
    /* Defaults that registering cannot give (a list's values), applied to
     * the options read and to those --options shows; NULL if none. */
    void (*defaults)(struct options *);
    /* Options of the shared table that this tool's mitmproxy does not have
     * (8.1.1 registers them in addons only mitmdump loads, such as its
     * dumper): left out of --options, still read and set. NULL-ended, or
     * NULL. */
    const char *const *unlisted;
};
/* mitmdump's own options, which mitmweb lists none of but termlog_verbosity. */
extern const char *const master_dump_only_options[];
/* The same for mitmproxy, whose console has its own log: termlog_verbosity too. */
extern const char *const master_dump_only_options_console[];
/*
 * The start of mitmdump's, mitmproxy's and mitmweb's main(): registers the
 * tool's options, reads config.yaml and the command line (cl, zeroed by the
 * caller, who clears it) into new options, and handles the flags that print
 * and exit: --help, --version and --sysinfo (master_sysinfo()), --options.
 * Returns the options (the caller's), with *status 0, for the tool to go
 * on; or NULL with *status the exit status: 0 when something was printed,
 * 2 for a bad command line (master_usage_error()), 1 when an option cannot
 * be registered.
 */
struct options *master_parse_cmdline(const struct master_tool *, int argc, char **argv,
                                     struct cmdline *cl, int *status);
/* Prints "usage: NAME [options]..." and the error to stderr; returns 2, the
 * exit status of a bad command line. */
int master_usage_error(const struct master_tool *, const char *msg);

/* A master with mitmproxy 8.1.1's default addons; it takes opts. */
struct master *master_new(struct options *opts);
void master_free(struct master *);
/* Appends an addon (the master owns it) after those already there. Add
 * them all before master_collect_commands() or master_configure(). */
void master_add_addon(struct master *, struct addon *);
/*
 * With the scripts option set (-s), loads the script loader (mitmproxy's
 * ScriptLoader, an embedded CPython in a plugin next to the tool) into the
 * chain where mitmproxy has it; the scripts themselves load when it is
 * configured. Without scripts it does nothing, and Python never starts.
 * Call before master_collect_commands() and master_configure(). Errors:
 * the plugin or our Python package cannot be found or started.
 */
int master_load_scripts(struct master *, struct err *e);
/*
 * mitmproxy's script.run: runs the script at path once over the flows
 * (borrowed) through the script plugin, which is opened (and Python
 * started) if no -s script did it (script_run_once() in script/script.h).
 * MP_ERR_NOTFOUND when the plugin is not there or path is no file.
 */
int master_script_run(struct master *, const char *path, struct flow *const *flows, size_t n,
                      struct err *e);
/*
 * Prints --sysinfo to f: our version, the flow format, the Python the
 * script plugin would run (only when scripts is set and the plugin loads:
 * mitmdump and mitmproxy; pathod and pathoc have no scripts), OpenSSL and
 * the platform.
 */
void master_sysinfo(FILE *f, int scripts);
/*
 * Fills the command registry: the core commands (set, flow.*, options.*)
 * and every addon's. master_configure() does it if nobody has; a tool
 * calls it first to print them (--commands).
 */
int master_collect_commands(struct master *, struct err *e);
/* The command registry (mitmproxy's master.commands); borrowed. */
struct cmds *master_commands(struct master *);

/*
 * Start-up, before anything listens: loads the CA when the proxy core runs
 * (a server, or client replay), builds the proxy configurations (errors
 * name the bad option), opens the TLS key log ($MITMPROXY_SSLKEYLOGFILE,
 * else $SSLKEYLOGFILE) and configures every addon with every option.
 */
int master_configure(struct master *, struct err *e);
/* Opens one listener per mode (nothing with server=false). */
int master_listen(struct master *, struct err *e);
/*
 * Calls running() on the addons, then starts reading the rfile option's
 * flows through the chain (readfile_filter applied). done(arg, rc, e) runs
 * once when the read is over: rc is the number of flows read, or a negative
 * MP_ERR_* with e naming the file and the damaged record. That is before
 * this returns unless an addon holds a hook (a script awaiting something),
 * then from the loop (master_run). Returns 0, or a negative MP_ERR_* (and
 * done does not run): MP_ERR_IO when the file cannot be opened,
 * MP_ERR_SYNTAX for a bad readfile_filter.
 */
typedef void (*master_read_cb)(void *arg, int rc, const struct err *e);
int master_read_flows(struct master *, master_read_cb done, void *arg, struct err *e);
/* master_read_flows() as the interactive tools want it: read a slice at a
 * time between the loop's events, so that the UI shows the first flows at
 * once and answers during a long read; any error, a file that cannot be
 * opened or a damaged record, is an error in the event log. */
void master_read_flows_logged(struct master *);
/* Logs each listener's address as mitmproxy does ("Proxy server listening
 * at *:8080", or one line per mode when there are several). */
void master_announce(struct master *);
/*
 * Runs the loop: until Ctrl-C, SIGTERM or master_shutdown(); with
 * server=false (-n), until client replay and reading -r are through (at
 * once when nothing is left, unless keepserving). Then done() on every
 * addon.
 */
int master_run(struct master *);
/* Asks the loop to stop (mitmproxy's ctx.master.shutdown()). */
void master_shutdown(struct master *);

/*
 * Changes options while serving (mitmproxy's `set` command and
 * options.update): settings are "name=value" or "name" (the --set forms).
 * Every addon whose options changed is configured again; if one refuses,
 * the options and every addon go back to what they were (mitmproxy's
 * rollback) and e says why. New connections get a configuration built
 * from the new options; open ones keep theirs. A change of mode or listen
 * address closes the listeners and opens new ones.
 */
int master_set(struct master *, const char *const *settings, size_t n, struct err *e);
/* The same with a whole new set of options (options.load, options.reset),
 * which the master takes whatever the outcome. */
int master_update(struct master *, struct options *next, struct err *e);

/*
 * The flow store for the interactive tools (mitmproxy's View, which the
 * console and web masters add; mitmdump streams and has none, so its
 * memory stays flat). Registers the store's options (view_filter,
 * view_order, view_order_reversed, console_focus_follow,
 * store_memory_budget) and adds the store after the addons already there;
 * master_collect_commands() then takes its view.* commands and flow-spec
 * resolver. Call before master_collect_commands() and master_configure().
 * The master owns the store (borrowed by the caller); NULL with e if an
 * option cannot be registered.
 */
struct store;
struct store *master_enable_store(struct master *, struct err *e);

/* The current options (borrowed; replaced by master_set). */
const struct options *master_options(const struct master *);
struct addon_chain *master_chain(struct master *);
/* NULL before master_listen() when no proxy core runs. */
struct server *master_server(struct master *);
/* server_post() on the master's loop (any thread). */
void master_post(struct master *, void (*fn)(void *arg), void *arg);

#endif
