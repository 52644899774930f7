/*
 * The web server's life: its options (mitmproxy's WebAddon and WebAuth),
 * the token, the event log it keeps for /events and the sockets, its
 * place in the addon chain (option changes, the end of the run), and its
 * listener on the master's server.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/addon.h"
#include "core/server.h"
#include "master/master.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/xmalloc.h"
#include "web/internal.h"
#include "web/web.h"

static const struct {
    const char *name;
    enum opt_type type;
    const char *def, *choices, *help;
} options[] = {
    {"web_open_browser", OPT_BOOL, "true", NULL, "Start a browser."},
    {"web_debug", OPT_BOOL, "false", NULL, "Enable mitmweb debugging."},
    {"web_port", OPT_INT, "8081", NULL, "Web UI port."},
    {"web_host", OPT_STR, "127.0.0.1", NULL, "Web UI host."},
    {"web_columns", OPT_SEQ, NULL, NULL,
     "Columns to show in the flow list. Can be one of the following: icon, index, method, "
     "version, path, quickactions, size, status, time, timestamp, tls, comment"},
    {"web_theme", OPT_STR, "system", "system|dark|light",
     "Preferred color theme for the mitmweb user interface."},
    {"web_password", OPT_STR, "", NULL,
     "Password to protect the mitmweb user interface. Values starting with `$` are "
     "interpreted as a crypt(3) hash (bcrypt, sha512-crypt, ...), everything else is "
     "considered a plaintext password. If no password is provided, a random token is "
     "generated on startup. For automated calls, you can pass the password as token query "
     "parameter or as `Authorization: Bearer ...` header."},
    /* Accepted so 8.1.1's command lines and config files keep working;
     * configure() says that it does nothing yet. */
    {"web_static_viewer", OPT_OPTSTR, "", NULL, "The path to output a static viewer."},
};

int
web_register_options(struct err *e)
{
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        int rc = opt_register(options[i].name, options[i].type, options[i].def, options[i].choices,
                              options[i].help, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void
web_options_defaults(struct options *o)
{
    static const char *const columns[] = {"tls",    "icon", "path", "method",
                                          "status", "size", "time"};
    const struct opt_info *cols = opt_find("web_columns");
    if (cols == NULL)
        return;
    for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
        opt_set(o, "web_columns", columns[i], NULL);
    o->seq_set[cols->index] = 0;
}

/* ---- the event log ------------------------------------------------------- */

void
web__log(struct web *w, enum log_level level, const char *msg)
{
    pthread_mutex_lock(&w->lock);
    struct web_event *ev;
    if (w->nevents < WEB_EVENTS_SIZE) {
        ev = &w->events[(w->first + w->nevents++) % WEB_EVENTS_SIZE];
    } else {
        ev = &w->events[w->first];
        free(ev->msg);
        w->first = (w->first + 1) % WEB_EVENTS_SIZE;
    }
    ev->id = w->next_event++;
    ev->level = level;
    ev->msg = xstrdup(msg);
    pthread_mutex_unlock(&w->lock);
}

void
web__events_clear(struct web *w)
{
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < w->nevents; i++)
        free(w->events[(w->first + i) % WEB_EVENTS_SIZE].msg);
    w->nevents = 0;
    w->first = 0;
    w->events_reset++;
    pthread_mutex_unlock(&w->lock);
}

static void
log_sink(enum log_level level, const char *msg, void *arg)
{
    web__log(arg, level, msg);
}

/* ---- the addon ------------------------------------------------------------ */

struct web_addon {
    struct addon base; /* first */
    struct web *w;
};

static const char *
str_opt(const struct options *o, const char *name)
{
    const struct opt_info *info = opt_find(name);
    const char *s = info ? opt_get_str(o, info) : NULL;
    return s ? s : "";
}

static long
int_opt(const struct options *o, const char *name)
{
    const struct opt_info *info = opt_find(name);
    return info ? opt_get_int(o, info) : 0;
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct web *w = ((struct web_addon *)a)->w;
    if (updated == NULL || opt_changed_name(updated, "web_password")) {
        const char *pw = str_opt(o, "web_password");
        if (pw[0] == '$' && strncmp(pw, "$argon2", 7) == 0)
            return err_set(e, MP_ERR_INVAL,
                           "web_password: argon2 hashes are not supported by this version; "
                           "use a crypt(3) hash (bcrypt, sha512-crypt) or the password");
        if (*pw && pw[0] != '$' && updated == NULL)
            log_msg(LOG_WARN, "Using a plaintext password to protect the mitmweb user "
                              "interface. Consider using a hash for `web_password` instead.");
        free(w->password);
        w->password = *pw ? xstrdup(pw) : NULL;
    }
    if ((updated == NULL || opt_changed_name(updated, "web_static_viewer")) &&
        *str_opt(o, "web_static_viewer"))
        log_msg(LOG_WARN, "option web_static_viewer is not implemented yet in this version and "
                          "has no effect");
    if (updated)
        web__options_changed(w, o, updated);
    return 0;
}

static void
done(struct addon *a)
{
    struct web *w = ((struct web_addon *)a)->w;
    /* The store goes with the chain; no more of its events. */
    if (w->store_sub) {
        store_unsubscribe(w->store, w->store_sub);
        w->store_sub = 0;
    }
}

static void
addon_free(struct addon *a)
{
    struct web_addon *wa = (struct web_addon *)a;
    if (wa->w)
        wa->w->addon = NULL;
    free(wa);
}

static const struct addon_ops web_ops = {
    .name = "web",
    .configure = configure,
    .done = done,
    .free = addon_free,
};

/* ---- the server ------------------------------------------------------------- */

struct web *
web_new(struct master *m, struct store *s)
{
    struct web *w = xcalloc(1, sizeof(*w));
    w->master = m;
    w->store = s;
    w->log_sink = -1;
    w->listener = -1;
    w->next_event = 1;
    pthread_mutex_init(&w->lock, NULL);
    w->events = xcalloc(WEB_EVENTS_SIZE, sizeof(*w->events));
    web__random_hex(w->token, 16);
    char key[65];
    web__random_hex(key, 32);
    memcpy(w->key, key, sizeof(w->key));
    w->store_sub = store_subscribe(s, web__store_event, w);
    w->log_sink = log_add_sink(log_sink, w, -1);
    struct web_addon *a = xcalloc(1, sizeof(*a));
    a->base.ops = &web_ops;
    a->w = w;
    w->addon = &a->base;
    return w;
}

struct addon *
web_addon(struct web *w)
{
    return w->addon;
}

static int
is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

int
web_start(struct web *w, struct err *e)
{
    const struct options *o = master_options(w->master);
    const char *host = str_opt(o, "web_host");
    long port = int_opt(o, "web_port");
    struct server *srv = master_server(w->master);
    if (srv == NULL)
        return err_set(e, MP_ERR_INVAL, "web server: no loop to run on");
    w->loopback = is_loopback(host);
    struct err le = {0};
    int i = server_listen_app(srv, host, (int)port, web__conn_new, w, &le);
    if (i < 0) {
        err_set(e, i, "Web server failed to listen on %s:%ld with %s", *host ? host : "*", port,
                le.msg);
        if (strstr(le.msg, "in use"))
            snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg),
                     "\nTry specifying a different port by using `--set web_port=%ld`.", port + 2);
        return i;
    }
    w->listener = i;
    w->port = server_listener_port(srv, (size_t)i);
    snprintf(w->cookie_name, sizeof(w->cookie_name), "mitmproxy-auth-%d", w->port);
    struct buf url = BUF_INIT;
    if (strchr(host, ':'))
        buf_printf(&url, "http://[%s]:%d/", host, w->port);
    else
        buf_printf(&url, "http://%s:%d/", *host ? host : "127.0.0.1", w->port);
    if (w->password == NULL)
        buf_printf(&url, "?token=%s", w->token);
    free(w->url);
    w->url = buf_strdup(&url);
    buf_clear(&url);
    log_msg(LOG_INFO, "Web server listening at %s", w->url);
    return 0;
}

const char *
web_url(const struct web *w)
{
    return w->url;
}

int
web_port(const struct web *w)
{
    return w->port;
}

void
web_free(struct web *w)
{
    if (w == NULL)
        return;
    if (w->log_sink >= 0)
        log_remove_sink(w->log_sink);
    if (w->addon)
        ((struct web_addon *)w->addon)->w = NULL;
    while (w->nws)
        web__ws_free(w, w->ws[w->nws - 1]);
    free(w->ws);
    for (size_t i = 0; i < w->nevents; i++)
        free(w->events[(w->first + i) % WEB_EVENTS_SIZE].msg);
    free(w->events);
    pthread_mutex_destroy(&w->lock);
    free(w->password);
    free(w->url);
    free(w);
}
