/*
 * mitmweb's server (src/web/README.md is the API): an HTTP/1 and WebSocket
 * server on the master's loop that serves the embedded browser app and
 * current mitmproxy's API over the flow store, the command registry, the
 * options and the content views. It is one more addon of the master, and
 * each connection to it is a layer on an app listener of the master's
 * server (server_listen_app), so it is read and written by the same driver
 * as the proxy's connections.
 *
 *   web_register_options(&e);          web_* options, before the command line
 *   w = web_new(m, store);             after master_enable_store()
 *   master_add_addon(m, web_addon(w));
 *   master_configure(m, &e); master_listen(m, &e);
 *   web_start(w, &e);                  listens on web_host:web_port
 *   master_run(m);
 *   master_free(m); web_free(w);
 */
#ifndef MP_WEB_WEB_H
#define MP_WEB_WEB_H

#include "util/err.h"

struct addon;
struct master;
struct options;
struct store;
struct web;

/* Registers mitmweb's options (web_host, web_port, web_open_browser,
 * web_password, web_columns, web_theme, web_debug). Call before the
 * command line is parsed. */
int web_register_options(struct err *e);

/*
 * Gives o web_columns' default list (mitmproxy's tls, icon, path, method,
 * status, size, time): a registered option's default holds one value, so
 * the tool calls this on every fresh set of options (its own, the one
 * --options prints); a --set of web_columns then replaces the list.
 */
void web_options_defaults(struct options *o);

/* A server for the master and its store (both borrowed; they outlive its
 * connections). The access token is made here. */
struct web *web_new(struct master *m, struct store *s);
/*
 * The server as an addon: it follows option changes (web_password), sees
 * the log, and lets go of the store when the master is done. The chain
 * owns the addon, not the server: web_free() still frees the server.
 */
struct addon *web_addon(struct web *);
/*
 * Listens on web_host:web_port (after master_configure(), which makes the
 * master's server) and logs "Web server listening at URL". Errors name the
 * address (port in use, ...).
 */
int web_start(struct web *, struct err *e);
/* The URL to open: with ?token= unless web_password is set. Borrowed. */
const char *web_url(const struct web *);
/* The port it listens on (after web_start; web_port 0 picks one). */
int web_port(const struct web *);
/* After master_free(), which closes its connections. NULL is a no-op. */
void web_free(struct web *);

#endif
