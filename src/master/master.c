/*
 * The master (mitmproxy's master.py, addons/__init__.py default_addons()
 * and addons/proxyserver.py): options, the addon chain, the proxy server
 * and its configurations, and option changes while serving.
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addons/addon.h"
#include "addons/block.h"
#include "addons/blocklist.h"
#include "addons/clientplayback.h"
#include "addons/dns_resolver.h"
#include "addons/export.h"
#include "addons/map_local.h"
#include "addons/map_remote.h"
#include "addons/modify_body.h"
#include "addons/modify_headers.h"
#include "addons/onboarding.h"
#include "addons/readfile.h"
#include "addons/save.h"
#include "addons/serverplayback.h"
#include "addons/tlsconfig.h"
#include "addons/traffic.h"
#include "commands/commands.h"
#include "core/server.h"
#include "export/har.h"
#include "filter/filter.h"
#include "master/internal.h"
#include "master/master.h"
#include "options/cmdline.h"
#include "options/opt.h"
#include "proxy/context.h"
#include "store/store.h"
#include "tls/ca.h"
#include "tls/certs.h"
#include "tls/session.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xmalloc.h"

struct master {
    struct options *opts; /* owned; replaced whole by master_set */
    struct addon_chain *chain;
    struct addon *clientplayback; /* in chain */
    struct addon *serverplayback; /* in chain */
    struct addon *dns_resolver;   /* in chain */
    struct addon *tlsconfig;      /* in chain */
    struct addon *scripts;        /* in chain; NULL until master_load_scripts() */
    struct store *store;          /* in chain; NULL until master_enable_store() */
    struct cmds *cmds;            /* owned: every addon's commands and the core's */
    int commands_collected;
    struct server *srv;           /* the loop; created by master_configure */
    struct ca *ca;                /* one reference; NULL when no proxy core runs */
    /* One configuration per --mode, one reference each; cfgs[0] also
     * serves client replay. */
    const struct proxy_config **cfgs;
    size_t ncfgs;
    int core;      /* the proxy core runs: a server, or client replay */
    int listening; /* master_listen() opened the listeners */
    /* -r under way: the filter it reads with (owned) and whom to tell. */
    int reading;
    struct filt *read_filter;
    master_read_cb read_done;
    void *read_arg;
    /* A read in slices (the interactive tools): NULL when it reads in one
     * go or is over; the timer brings the next slice after the loop's
     * events. */
    struct readfile *read;
    struct server_timer *read_timer;
    /* -r by the store's own load: READ_STORE_MAY after the first slice,
     * READ_STORE_DID once it took over (master__read_by_store(), whose
     * values these are). */
    enum { READ_HOOKS, READ_STORE_MAY, READ_STORE_DID } read_store;
    char *read_path; /* READ_STORE_MAY: the file, as -r named it (owned) */
};

int
master_register_options(struct err *e)
{
    int rc = opt_register_ours(
        "key_type", OPT_STR, "ecdsa", "ecdsa|rsa",
        "The key of the certificates forged for interception. ecdsa: a P-256 key made at "
        "start-up, for fast handshakes; rsa: the CA's RSA key, as mitmproxy does, for clients "
        "that cannot use ECDSA. The CA is RSA either way.",
        e);
    return rc < 0 ? rc : 0;
}

/* The key_type option (ECDSA when it is not registered, as in unit tests). */
static enum ca_leaf_key
leaf_key(const struct options *o)
{
    const struct opt_info *info = opt_find("key_type");
    int t = info ? ca_leaf_key_parse(opt_get_str(o, info)) : CA_LEAF_ECDSA;
    return t < 0 ? CA_LEAF_ECDSA : (enum ca_leaf_key)t;
}

/* The conf dir's CA, with the leaf key the options ask for; NULL with e set. */
static struct ca *
load_ca(const struct options *o, struct err *e)
{
    struct ca *ca = ca_load_or_create(o->confdir, (int)o->key_size, e);
    if (ca && ca_set_leaf_key(ca, leaf_key(o), e) < 0) {
        ca_free(ca);
        ca = NULL;
    }
    return ca;
}

/* mitmproxy 8.1.1's default_addons(), the ones this version has, in order. */
struct master *
master_new(struct options *opts)
{
    struct master *m = xcalloc(1, sizeof(*m));
    m->opts = opts;
    m->chain = addon_chain_new();
    m->cmds = cmds_new();
    addon_chain_add(m->chain, addon_block_new());
    addon_chain_add(m->chain, addon_blocklist_new());
    addon_chain_add(m->chain, addon_anticache_new());
    addon_chain_add(m->chain, addon_anticomp_new());
    m->clientplayback = addon_clientplayback_new();
    addon_chain_add(m->chain, m->clientplayback);
    addon_chain_add(m->chain, addon_cut_new());
    addon_chain_add(m->chain, addon_export_new());
    addon_chain_add(m->chain, addon_onboarding_new());
    addon_chain_add(m->chain, addon_proxyauth_new());
    m->dns_resolver = addon_dns_resolver_new();
    addon_chain_add(m->chain, m->dns_resolver);
    m->serverplayback = addon_serverplayback_new();
    addon_chain_add(m->chain, m->serverplayback);
    addon_chain_add(m->chain, addon_map_remote_new());
    addon_chain_add(m->chain, addon_map_local_new());
    addon_chain_add(m->chain, addon_modify_body_new());
    addon_chain_add(m->chain, addon_modify_headers_new());
    addon_chain_add(m->chain, addon_stickyauth_new());
    addon_chain_add(m->chain, addon_stickycookie_new());
    addon_chain_add(m->chain, addon_save_new());
    m->tlsconfig = addon_tlsconfig_new();
    addon_chain_add(m->chain, m->tlsconfig);
    return m;
}

void
master_add_addon(struct master *m, struct addon *a)
{
    addon_chain_add(m->chain, a);
}

int
master_load_scripts(struct master *m, struct err *e)
{
    if (m->opts->scripts.n == 0 || m->scripts)
        return 0;
    char pydir[PATH_MAX];
    master__script_new_cb fn = master__script_plugin(pydir, sizeof(pydir), e);
    if (fn == NULL)
        return e && e->code ? e->code : MP_ERR_NOTFOUND;
    struct addon *a = fn(m, pydir, e);
    if (a == NULL)
        return e && e->code ? e->code : MP_ERR_INVAL;
    /* Where mitmproxy's default_addons() has ScriptLoader: after proxyauth,
     * so scripts see authenticated flows, and before server replay, the
     * rewriting addons and save, so -w writes what the scripts changed. */
    size_t at = addon_chain_len(m->chain);
    for (size_t i = 0; i < addon_chain_len(m->chain); i++) {
        if (addon_chain_get(m->chain, i) == m->serverplayback) {
            at = i;
            break;
        }
    }
    addon_chain_insert(m->chain, at, a);
    m->scripts = a;
    return 0;
}

int
master_collect_commands(struct master *m, struct err *e)
{
    if (m->commands_collected)
        return 0;
    int rc = master__core_commands(m, m->cmds, e);
    if (rc == 0)
        rc = master__inject_commands(m, m->cmds, e);
    if (rc == 0)
        rc = addon_chain_commands(m->chain, m->cmds, e);
    m->commands_collected = rc == 0;
    return rc;
}

int
master__reading(const struct master *m)
{
    return m->reading;
}

struct cmds *
master_commands(struct master *m)
{
    return m->cmds;
}

static void
drop_configs(const struct proxy_config **cfgs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        proxy_config_unref(cfgs[i]);
    free(cfgs);
}

/* One configuration per mode of opts, sharing ca. */
static int
build_configs(const struct options *opts, struct ca *ca, const struct proxy_config ***out,
              size_t *nout, struct err *e)
{
    const struct proxy_config *first = proxy_config_new(opts, ca, 0, e);
    if (first == NULL)
        return e && e->code ? e->code : MP_ERR_INVAL;
    size_t n = first->nmodes;
    const struct proxy_config **v = xcalloc(n, sizeof(*v));
    v[0] = first;
    for (size_t i = 1; i < n; i++) {
        if ((v[i] = proxy_config_new(opts, ca, i, e)) == NULL) {
            drop_configs(v, i);
            return e && e->code ? e->code : MP_ERR_INVAL;
        }
    }
    *out = v;
    *nout = n;
    return 0;
}

/* Certificates are signed in the loop's thread pool. */
static void
queue_work(void *srv, tlsconfig_work_cb work, tlsconfig_work_cb after, void *arg)
{
    server_queue_work(srv, work, after, arg);
}

/* Client replay goes through the proxy core. */
static void
start_replay(void *srv, struct flow *f, playback_done_cb done, void *arg)
{
    server_replay(srv, f, done, arg);
}

/* With -n (no proxy server), the master ends when the replay queue is through. */
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

static int
apply_deferred(struct master *m, struct err *e)
{
    struct options *next = opt_copy(m->opts);
    int rc = opt_apply_deferred(next, e);
    if (rc == 0 && next->deferred.n)
        rc = cmdline_unknown_options(next, e);
    struct opt_changes ch;
    if (rc == 0 && opt_diff(m->opts, next, &ch) > 0)
        rc = addon_chain_update(m->chain, next, &ch, e);
    if (rc < 0) {
        opt_free(next);
        return rc;
    }
    opt_free(m->opts);
    m->opts = next;
    return 0;
}

/*
 * mitmproxy's intercept addon sets intercept_active from its configure:
 * a new filter turns interception on, an empty one turns it off. Options
 * here are set before the addons hear of them, so the master applies that
 * rule to next whenever intercept changed (and intercept_active did not).
 */
static void
intercept_rule(const struct options *before, struct options *next)
{
    const struct opt_info *f = opt_find("intercept"), *a = opt_find("intercept_active");
    if (f == NULL || a == NULL)
        return;
    struct opt_changes ch;
    if (before) {
        opt_diff(before, next, &ch);
        if (!opt_changed(&ch, f->index) || opt_changed(&ch, a->index))
            return;
    }
    const char *expr = opt_get_str(next, f);
    if (before || (expr && *expr))
        opt_set(next, "intercept_active", expr && *expr ? "true" : "false", NULL);
}

int
master_configure(struct master *m, struct err *e)
{
    const struct options *o = m->opts;
    int rc;
    if ((rc = master_collect_commands(m, e)) < 0)
        return rc;
    /* The proxy core runs for the server and for client replay (-C also with -n). */
    m->core = o->server || o->client_replay.n > 0;
    /* Options first, so a bad one is named before any file is made; with
     * -n too, as mitmproxy's addons check theirs whether or not a server
     * runs. The core reads the certs files (build_configs()); without it
     * they are read here, for the same check. */
    struct proxy_config probe;
    rc = proxy_config_init(&probe, o, e);
    if (rc == 0 && !m->core)
        rc = tls_certs_load(&probe.certs, &o->certs, o->cert_passphrase, e);
    proxy_config_clear(&probe);
    if (rc < 0)
        return rc;
    if (m->core) {
        if ((m->ca = load_ca(o, e)) == NULL)
            return e && e->code ? e->code : MP_ERR_IO;
        if ((rc = build_configs(o, m->ca, &m->cfgs, &m->ncfgs, e)) < 0)
            return rc;
    }
    intercept_rule(NULL, m->opts);
    /* Key logging as mitmproxy: MITMPROXY_SSLKEYLOGFILE, else SSLKEYLOGFILE. */
    const char *keylog = getenv("MITMPROXY_SSLKEYLOGFILE");
    if (keylog == NULL || *keylog == '\0')
        keylog = getenv("SSLKEYLOGFILE");
    if (m->core && keylog && *keylog && (rc = tls_keylog_open(keylog, e)) < 0)
        return rc;
    if ((rc = addon_chain_configure(m->chain, o, e)) < 0)
        return rc;
    /* --set of options that did not exist on the command line: scripts
     * register theirs while they are configured (loaded); the rest is an
     * error, as in mitmproxy. */
    if (o->deferred.n && (rc = apply_deferred(m, e)) < 0)
        return rc;
    o = m->opts; /* apply_deferred() replaced them */
    m->srv = server_new(m->core ? m->cfgs[0] : NULL, m->chain);
    tlsconfig_wire(m->tlsconfig, queue_work, m->srv);
    dns_resolver_wire(m->dns_resolver, queue_work, m->srv);
    if (m->core) {
        clientplayback_wire(m->clientplayback, start_replay, m->srv,
                            o->server ? NULL : replay_finished, o->keepserving ? NULL : m->srv);
        /* mitmproxy exits once every recorded response was served, unless keepserving. */
        if (o->server_replay.n && !o->keepserving)
            serverplayback_wire(m->serverplayback, server_replay_drained, m->srv);
    }
    return 0;
}

static int
open_listeners(struct master *m, struct err *e)
{
    for (size_t i = 0; i < m->ncfgs; i++) {
        const struct proxy_mode *mode = &m->cfgs[i]->mode;
        int rc = server_listen_cfg(m->srv, m->cfgs[i], proxy_mode_listen_host(mode, m->opts),
                                   proxy_mode_listen_port(mode, m->opts), e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int
master_listen(struct master *m, struct err *e)
{
    if (!m->opts->server || m->srv == NULL)
        return 0;
    int rc = open_listeners(m, e);
    if (rc == 0)
        m->listening = 1;
    return rc;
}

/* -r names a file; --set rfile= names none, as in mitmproxy. */
static int
rfile_given(const struct options *o)
{
    return o->rfile && *o->rfile;
}

/*
 * With -n the master has nothing left to do once the -r file and the
 * replays it was given are through. Given none of them it runs until
 * stopped, as mitmproxy's keepserving addon does: a script's own tasks
 * and timers are then the work.
 */
static int
idle(const struct master *m)
{
    const struct options *o = m->opts;
    int finite = rfile_given(o) || o->client_replay.n || o->server_replay.n;
    return !o->server && !o->keepserving && finite && !m->reading &&
           (!m->core || clientplayback_count(m->clientplayback) == 0);
}

/* The read is over (or was never sliced): the timer has nothing to bring. */
static void
drop_read_timer(struct master *m)
{
    server_timer_free(m->read_timer);
    m->read_timer = NULL;
    m->read = NULL;
}

static void
read_done(void *arg, int rc, const struct err *e)
{
    struct master *m = arg;
    drop_read_timer(m);
    free(m->read_path);
    m->read_path = NULL;
    m->reading = 0;
    filt_free(m->read_filter);
    m->read_filter = NULL;
    if (m->read_done)
        m->read_done(m->read_arg, rc, e);
    if (idle(m) && m->srv)
        server_stop(m->srv);
}

/*
 * The next slice, after the loop has polled: a post wakes the loop's poll,
 * where waiting I/O (keys, requests) is handled with it, and arms the
 * timer, which runs the slice at the top of the next iteration. The timer
 * alone would not do: libuv 1.44 runs a timer started from its own
 * callback with 0 ms again in the same pass, and the post alone neither:
 * what a post posts runs at once too.
 */
static void
read_arm(void *arg)
{
    struct master *m = arg;
    if (m->read_timer) /* NULL: the read was cancelled meanwhile */
        server_timer_start(m->read_timer, 0, 0);
}

static void
read_later(void *arg)
{
    struct master *m = arg;
    server_post(m->srv, read_arm, m);
}

static void
store_read_done(void *arg, int rc, size_t nflows, const struct err *e)
{
    read_done(arg, rc < 0 ? rc : nflows > INT_MAX ? INT_MAX : (int)nflows, e);
}

/* A flow file smaller than this stays with the hooks: they read it in a
 * few tens of milliseconds, and the store's load would first have to
 * hand it to its workers and back. About 2,000 typical flows; one block
 * of the load. */
#define READ_STORE_MIN_BYTES (4u << 20)

/* Whether path opens and is a flow file (tnetstrings: a digit first, as
 * the store's load tells formats apart) of at least READ_STORE_MIN_BYTES. */
static int
large_flow_file(const char *path)
{
    char *full = path_expand_home(path);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    free(full);
    if (fd < 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < READ_STORE_MIN_BYTES) {
        close(fd);
        return 0;
    }
    char head[64];
    ssize_t n = read(fd, head, sizeof(head));
    close(fd);
    for (ssize_t i = 0; i < n; i++)
        if (!isspace((unsigned char)head[i]))
            return isdigit((unsigned char)head[i]) != 0;
    return 0;
}

/*
 * Whether the store's own load may read the rest of -r: no addon but the
 * store would see a loaded flow (addon_chain_loaded_observer()), so the
 * hooks of each flow only add it to the store, which its load does in
 * parallel and without making a struct flow of every record. Only with
 * no readfile_filter (the load reads everything).
 */
static int
store_may_read(struct master *m)
{
    return m->store && m->read_filter == NULL &&
           addon_chain_loaded_observer(m->chain, store_addon(m->store)) == NULL;
}

/*
 * The first slice went through the hooks; the store's load reads the
 * file again from its start with the file's ids, so the flows the hooks
 * added are skipped (store_add() would skip them too) and the rest come
 * in file order: the store the hooks would have made. Errors past the
 * first slice come from the load, with the flow reader's words.
 */
static void
read_rest_by_store(struct master *m)
{
    readfile_cancel(m->read); /* between slices: freed now, done never runs */
    m->read = NULL;
    m->read_store = READ_STORE_DID;
    struct err e = {0};
    int rc = store_load_flags(m->store, m->read_path, STORE_LOAD_KEEP_IDS, store_read_done, m, &e);
    if (rc < 0) {
        struct err le = {0};
        err_set(&le, rc, "cannot read flows from '%s': %s", m->read_path, e.msg);
        read_done(m, rc, &le);
    }
}

int
master__read_by_store(const struct master *m)
{
    return (int)m->read_store;
}

static void
read_slice(void *arg)
{
    struct master *m = arg;
    if (m->read == NULL)
        return;
    /* Asked again: an option set meanwhile may have made an addon act. */
    if (m->read_store == READ_STORE_MAY && store_may_read(m)) {
        read_rest_by_store(m);
        return;
    }
    m->read_store = READ_HOOKS;
    readfile_continue(m->read);
}

/* A slice's length: one frame of a UI (60 Hz), so a key waits no longer. */
#define READ_SLICE_US 8000

int
master__read_flows(struct master *m, master_read_cb done, void *arg, int sliced, struct err *e)
{
    addon_chain_running(m->chain);
    const struct options *o = m->opts;
    if (!rfile_given(o))
        return 0;
    if (o->readfile_filter && *o->readfile_filter &&
        (m->read_filter = filt_compile(o->readfile_filter, e)) == NULL) {
        char why[sizeof(e->msg)];
        snprintf(why, sizeof(why), "%s", e->msg);
        return err_set(e, MP_ERR_SYNTAX, "readfile_filter: %s", why);
    }
    m->read_done = done;
    m->read_arg = arg;
    m->reading = 1;
    int rc;
    /* -r without the hooks, when they would do nothing but fill the
     * store: the first slice still goes through them, so the first flows
     * show at once, and the store's load reads the rest (read_slice()).
     * Small files and HAR files (small ones, as browsers export) keep
     * the hooks. */
    m->read_store = READ_HOOKS;
    if (sliced && m->srv && store_may_read(m) && large_flow_file(o->rfile)) {
        m->read_store = READ_STORE_MAY;
        m->read_path = xstrdup(o->rfile);
    }
    if (sliced && m->srv) {
        m->read_timer = server_timer_new(m->srv, read_slice, m);
        struct readfile_slices sl = {.max_us = READ_SLICE_US, .later = read_later, .ctx = m};
        struct readfile *rf = NULL;
        rc = readfile_start_sliced(m->chain, o->rfile, m->read_filter, &sl, read_done, m, &rf, e);
        /* read_done ran (and dropped the timer) if it is over already. */
        if (rf)
            m->read = rf;
        else if (rc < 0)
            drop_read_timer(m);
    } else {
        rc = readfile_start(m->chain, o->rfile, m->read_filter, read_done, m, e);
    }
    if (rc < 0) {
        m->reading = 0;
        filt_free(m->read_filter);
        m->read_filter = NULL;
        free(m->read_path);
        m->read_path = NULL;
    }
    return rc;
}

int
master_read_flows(struct master *m, master_read_cb done, void *arg, struct err *e)
{
    return master__read_flows(m, done, arg, 0, e);
}

/*
 * One line per listener. A single mode keeps mitmproxy 8.1.1's wording;
 * several name their kind as mitmproxy 9 does ("SOCKS v5 proxy listening
 * at *:1080.").
 */
static void
announce(const struct proxy_mode *mode, const char *host, int port, int several)
{
    char where[300];
    if (*host == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
        snprintf(where, sizeof(where), "*:%d", port);
    else if (strchr(host, ':'))
        snprintf(where, sizeof(where), "[%s]:%d", host, port);
    else
        snprintf(where, sizeof(where), "%s:%d", host, port);
    if (mode->kind == PROXY_MODE_DNS && !several)
        log_info("DNS server listening at %s", where); /* 8.1.1's words for dns_server */
    else if (several)
        log_info("%s listening at %s.", proxy_mode_description(mode), where);
    else
        log_info("Proxy server listening at %s", where);
}

void
master_announce(struct master *m)
{
    if (!m->listening)
        return;
    /* 8.1.1's dns_server adds a DNS server to the proxy: its line is 8.1.1's
     * "DNS server listening at ...", and the proxy's stays as it was. */
    int several = m->ncfgs - (m->opts->dns_server ? 1 : 0) > 1;
    for (size_t i = 0; i < m->ncfgs; i++) {
        const struct proxy_mode *mode = &m->cfgs[i]->mode;
        announce(mode, proxy_mode_listen_host(mode, m->opts), server_listener_port(m->srv, i),
                 several);
    }
}

int
master_run(struct master *m)
{
    int rc = 0;
    /* -n: nothing to wait for once -r and client replay are through, if
     * either was given (see idle()). */
    if (m->srv && !idle(m) && server_run(m->srv) < 0)
        rc = 1;
    /* Quit in the middle of a read: no flow after this one reaches the
     * addons, which are done now. */
    if (m->read) {
        readfile_cancel(m->read);
        drop_read_timer(m);
        m->reading = 0;
    }
    addon_chain_done(m->chain);
    return rc;
}

void
master_shutdown(struct master *m)
{
    if (m->srv)
        server_stop(m->srv);
}

void
master_free(struct master *m)
{
    if (m == NULL)
        return;
    if (m->read) {
        readfile_cancel(m->read);
        drop_read_timer(m);
    }
    free(m->read_path);
    /* Connections (and their configurations) are gone once the server is. */
    server_free(m->srv);
    filt_free(m->read_filter);
    addon_chain_free(m->chain);
    cmds_free(m->cmds);
    drop_configs(m->cfgs, m->ncfgs);
    ca_free(m->ca);
    opt_free(m->opts);
    free(m);
}

/* Options that need the listeners opened again (mitmproxy's proxyserver
 * restarts its servers for these). */
static int
listeners_changed(const struct opt_changes *ch)
{
    return OPT_CHANGED(ch, mode) || OPT_CHANGED(ch, listen_host) || OPT_CHANGED(ch, listen_port) ||
           OPT_CHANGED(ch, server) || OPT_CHANGED(ch, dns_server) || OPT_CHANGED(ch, dns_mode) ||
           OPT_CHANGED(ch, dns_listen_host) || OPT_CHANGED(ch, dns_listen_port);
}

/* Options the CA depends on. */
static int
ca_changed(const struct opt_changes *ch)
{
    const struct opt_info *kt = opt_find("key_type");
    return OPT_CHANGED(ch, confdir) || OPT_CHANGED(ch, key_size) ||
           (kt && opt_changed(ch, kt->index));
}

int
master_set(struct master *m, const char *const *settings, size_t n, struct err *e)
{
    struct options *next = opt_copy(m->opts);
    for (size_t i = 0; i < n; i++) {
        int rc = opt_set_arg(next, settings[i], e);
        if (rc < 0) {
            opt_free(next);
            return rc;
        }
    }
    return master_update(m, next, e);
}

int
master_update(struct master *m, struct options *next, struct err *e)
{
    int rc = 0;
    intercept_rule(m->opts, next);
    struct opt_changes ch;
    if (opt_diff(m->opts, next, &ch) == 0) {
        opt_free(next);
        return 0;
    }
    /* The new proxy configurations first: a bad value changes nothing. */
    struct ca *ca = m->ca ? ca_ref(m->ca) : NULL;
    const struct proxy_config **cfgs = NULL;
    size_t ncfgs = 0;
    if (m->core && ca_changed(&ch)) {
        ca_free(ca);
        if ((ca = load_ca(next, e)) == NULL)
            rc = e && e->code ? e->code : MP_ERR_IO;
    }
    if (rc == 0 && m->core)
        rc = build_configs(next, ca, &cfgs, &ncfgs, e);
    if (rc == 0 && (rc = addon_chain_update(m->chain, next, &ch, e)) < 0) {
        /* Roll back: every addon gets the old values again. */
        addon_chain_update(m->chain, m->opts, &ch, NULL);
    }
    if (rc < 0) {
        drop_configs(cfgs, ncfgs);
        ca_free(ca);
        opt_free(next);
        return rc;
    }
    struct options *old = m->opts;
    m->opts = next;
    if (m->core) {
        ca_free(m->ca);
        m->ca = ca;
        drop_configs(m->cfgs, m->ncfgs);
        m->cfgs = cfgs;
        m->ncfgs = ncfgs;
        server_set_replay_config(m->srv, cfgs[0]);
        if (m->listening && listeners_changed(&ch)) {
            server_close_listeners(m->srv);
            m->listening = 0;
            if (next->server) {
                struct err le = {0};
                if (open_listeners(m, &le) < 0)
                    log_msg(LOG_ERROR, "%s", le.msg);
                else
                    m->listening = 1;
                master_announce(m);
            }
        } else if (m->listening) {
            for (size_t i = 0; i < ncfgs && i < server_listeners(m->srv); i++)
                server_set_listener_config(m->srv, i, cfgs[i]);
        }
    }
    opt_free(old);
    return 0;
}

/* The store's workers hand their results to the loop. */
static void
store_post(void *ctx, void (*fn)(void *), void *arg)
{
    master_post(ctx, fn, arg);
}

struct store *
master_enable_store(struct master *m, struct err *e)
{
    if (store_register_options(e) < 0)
        return NULL;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct store_config cfg = {
        .threads = cpus < 1 ? 1 : cpus > 8 ? 8 : (unsigned)cpus,
        .post = store_post,
        .post_ctx = m,
    };
    struct store *s = store_new(&cfg);
    /* view.flows.load reads HAR files too, as -r does ('{', or a UTF-8 BOM). */
    store_set_reader(s, '{', har_read_each);
    store_set_reader(s, 0xef, har_read_each);
    master_add_addon(m, store_addon(s));
    m->store = s;
    return s;
}

const struct options *
master_options(const struct master *m)
{
    return m->opts;
}

struct addon_chain *
master_chain(struct master *m)
{
    return m->chain;
}

struct server *
master_server(struct master *m)
{
    return m->srv;
}

void
master_post(struct master *m, void (*fn)(void *arg), void *arg)
{
    server_post(m->srv, fn, arg);
}
