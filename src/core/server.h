/*
 * The libuv driver's public face: the proxy server. core/ is the only
 * module that includes <uv.h>; everything below it is sans-io.
 *
 * One server runs one uv loop with one or more listeners. Each accepted connection gets a struct
 * connection, a struct context and the root layer (proxy_root_layer_new);
 * the driver feeds the layers events and carries out their commands.
 */
#ifndef MP_CORE_SERVER_H
#define MP_CORE_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct addon_chain;
struct proxy_config;
struct server;

/*
 * chain is borrowed and must outlive the server. cfg is what client replay
 * connections get: a reference is taken (one initialized in place, as in
 * tests, is borrowed and must outlive the server); it may be NULL when
 * nothing is replayed.
 */
struct server *server_new(const struct proxy_config *cfg, struct addon_chain *chain);
void server_free(struct server *);
/*
 * Ends libuv's thread pool: once, at the end of main(), after every server
 * is freed (no loop may queue work afterwards). The pool's threads sign leaf
 * certificates, and OpenSSL frees what it keeps per thread (error queue,
 * random generators) only when a thread ends. libuv would end them in a
 * destructor, after LeakSanitizer's check, which with a script loaded found
 * that state unreachable and reported it at every exit.
 */
void server_library_shutdown(void);
/* Binds and listens; host "" means all interfaces. port 0 picks a free one.
 * Connections accepted there get the server's cfg. */
int server_listen(struct server *, const char *host, int port, struct err *e);
/* The same with a configuration of its own (one listener per proxy mode,
 * see proxy_config_new()); a reference is taken. A server may listen any
 * number of times. */
int server_listen_cfg(struct server *, const struct proxy_config *cfg, const char *host, int port,
                      struct err *e);
/* Number of listeners. */
size_t server_listeners(const struct server *);
/*
 * Options changed while serving: connections accepted from now on by
 * listener i (or client replays, for server_set_replay_config) get cfg
 * (a reference is taken, the old one dropped); connections already open
 * keep the configuration they started with.
 */
void server_set_listener_config(struct server *, size_t i, const struct proxy_config *cfg);
void server_set_replay_config(struct server *, const struct proxy_config *cfg);
/* Closes every listener (open connections go on); server_listen_cfg() may
 * add new ones. For a change of mode or listen address while running. */
void server_close_listeners(struct server *);
/* The port the first listener bound (after port 0), or 0 without one. */
int server_port(const struct server *);
/* The same for the i-th listener, in the order they were added. */
int server_listener_port(const struct server *, size_t i);
/* Runs until server_stop() or SIGINT/SIGTERM; returns 0 on a clean stop. */
int server_run(struct server *);
/* Stops accepting and closes every connection; safe from any callback. */
void server_stop(struct server *);
/* The same after ms milliseconds, so what is being sent now can go out
 * (mitmdump -S stops this way once the last recorded response is served). */
void server_stop_after(struct server *, uint64_t ms);

/*
 * Runs fn(arg) on the loop's thread, soon, in the order posted. This is the
 * one way into the proxy from another thread (a thread-pool job, a Python
 * thread, a UI): everything else in core/, addons/ and proxy/ belongs to the
 * loop's thread and takes no locks (DESIGN.md, Threads). Safe from any
 * thread between server_new() and server_free(); what is still queued when
 * the loop stops runs in server_free(), so fn always runs exactly once.
 */
typedef void (*server_post_cb)(void *arg);
void server_post(struct server *, server_post_cb fn, void *arg);

/*
 * A file descriptor watched by the loop (a terminal's input, a pipe): cb
 * runs on the loop's thread with SERVER_READABLE and/or SERVER_WRITABLE
 * when fd is ready for what was asked. server_unwatch() stops it and frees
 * the watch (later, from the loop); fd stays the caller's.
 */
#define SERVER_READABLE 1
#define SERVER_WRITABLE 2
struct server_watch;
typedef void (*server_watch_cb)(void *arg, int events);
struct server_watch *server_watch_fd(struct server *, int fd, int events, server_watch_cb cb,
                                     void *arg, struct err *e);
void server_unwatch(struct server_watch *);

/*
 * A timer on the loop (a UI's refresh, a blinking cursor): cb runs on the
 * loop's thread ms after server_timer_start(), then every repeat_ms if that
 * is not 0. server_timer_free() stops it and frees it (later, from the loop).
 */
struct server_timer;
struct server_timer *server_timer_new(struct server *, void (*cb)(void *arg), void *arg);
void server_timer_start(struct server_timer *, uint64_t ms, uint64_t repeat_ms);
void server_timer_stop(struct server_timer *);
void server_timer_free(struct server_timer *);

struct context;
struct layer;
/*
 * A listener for something other than the proxy (the web UI's API): each
 * connection it accepts gets root_new(ctx, arg) as its root layer, with a
 * context whose configuration is NULL. No proxy hooks are raised and no
 * connection lines are logged for it. Returns the listener's index, as
 * server_listener_port() takes it, or a negative MP_ERR_*.
 */
typedef struct layer *(*server_root_cb)(struct context *, void *arg);
int server_listen_app(struct server *, const char *host, int port, server_root_cb root_new,
                      void *arg, struct err *e);

/*
 * Runs work(arg) on a thread of libuv's pool, then after(arg) on the loop's
 * thread (DESIGN.md, Threads): for CPU work that must not hold up every
 * other connection, such as signing a certificate. work may touch only
 * what arg gives it and nothing of the loop's; after runs exactly once,
 * also when the server stops meanwhile (server_free() waits for the
 * pool). Call on the loop's thread.
 */
typedef void (*server_work_cb)(void *arg);
void server_queue_work(struct server *, server_work_cb work, server_work_cb after, void *arg);

struct flow;
/*
 * Client replay: sends flow f's saved request again through the proxy
 * core, as if its client had sent it (hooks, upstream connection, TLS),
 * without a client socket. f (one reference taken) should have its
 * response and error cleared and is_replay set by the caller; done(arg)
 * runs when the exchange is over (response or error). Call on the loop's
 * thread, after server_new (a listening socket is not needed: -n).
 */
void server_replay(struct server *, struct flow *f, void (*done)(void *arg), void *arg);

/*
 * mitmproxy's inject_event (inject.websocket, inject.tcp): n bytes of p
 * become a message of the live WebSocket or TCP flow f, as if from the
 * client (from_client) or the server, of WebSocket opcode ws_type (0 for
 * TCP). The layer relaying f records it, runs its message hook and sends
 * it on. It is fed from the loop soon after, never from inside the
 * caller (a hook of another connection may be running). MP_ERR_NOTFOUND
 * ("Flow is not from a live connection.") when no connection proxies f
 * now. Call on the loop's thread.
 */
int server_inject(struct server *, struct flow *f, int from_client, int ws_type, const void *p,
                  size_t n, struct err *e);

#endif
