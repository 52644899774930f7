/*
 * The real server for tests that drive it over sockets: options, config
 * and an addon chain as mitmdump builds them, a listener on 127.0.0.1:0,
 * and server_run() in a thread of its own while the test's thread plays
 * the clients.
 */
#ifndef MP_TESTS_TPROXY_H
#define MP_TESTS_TPROXY_H

#include <pthread.h>

#include "addons/addon.h"
#include "core/server.h"
#include "options/opt.h"
#include "proxy/context.h"

struct tproxy {
    struct options *opts;
    struct proxy_config cfg;
    struct addon_chain *chain;
    struct server *srv;
    pthread_t thread;
    int port; /* the first listener's */
    int rc;   /* server_run()'s, once the thread is joined */
};

/*
 * The server with one addon (static: the chain does not free it) in mode
 * (a --mode value, NULL for regular), listening and running. A test that
 * needs more options or addons makes them itself between tproxy_init()
 * and tproxy_run().
 */
void tproxy_start(struct tproxy *, const char *mode, struct addon *);

/* Options with --mode mode (NULL: regular); logs only errors. */
void tproxy_init(struct tproxy *, const char *mode);
/* p->srv listens on 127.0.0.1:0; p->port is its port. */
void tproxy_listen(struct tproxy *);
/* server_run(p->srv) in a new thread. */
void tproxy_run(struct tproxy *);

/*
 * server_stop() is not thread safe, so the test stops the server the way a
 * user does: SIGTERM, which server_run() watches with a uv_signal. The
 * runner gives each test its own process, so the signal hits only us. It
 * must be sent only once server_run() has started its signal watchers (any
 * answered request proves that), or the default action kills the test.
 * Frees everything tproxy_start() made.
 */
void tproxy_stop(struct tproxy *);

#endif
