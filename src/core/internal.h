/*
 * Shared between the files of core/ only (STYLE.md: module-internal names
 * carry a double underscore). Nothing outside core/ includes this.
 *
 *   server.c   struct server: loop, listener, signals, accept, stop
 *   driver.c   struct pconn: one proxied client; inbox, feeding, commands,
 *              hooks, wakeups, teardown
 *   sock.c     struct sock: one TCP handle; reads, writes, watermarks, close
 *   open.c     CMD_OPEN: server_connect hook, resolve, connect, timeout
 *   udp.c      the DNS mode's UDP: its listening socket, per-query clients,
 *              UDP connections to an upstream DNS server
 *
 * Lifetime: every libuv handle is embedded in one of our structs and that
 * struct is freed only in the handle's close callback. A pconn counts what
 * still points at it (socks, timers, hook calls, openers) in `holds` and is
 * freed when the count drops to zero after teardown, always from a close or
 * done callback, never from inside its own feed loop.
 */
#ifndef MP_CORE_INTERNAL_H
#define MP_CORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "addons/addon.h"
#include "core/server.h"
#include "proxy/event.h"
#include "util/buf.h"

struct connection;
struct context;
struct flow;
struct layer;
struct proxy_config;
struct opener;
struct tls_session;
struct pconn;
struct uhandle;
struct ulisten;
struct usock;

/* Bytes read per read call; one buffer per loop (see server.readbuf). */
#define CORE_READ_SIZE (256 * 1024)
/*
 * Write watermarks (smtpd IO_LOWAT). Above HIGH queued bytes on one
 * connection we stop reading the other connections of the same client, so a
 * slow reader throttles the fast writer through TCP instead of through our
 * memory; below LOW we read again.
 */
#define CORE_WRITE_HIGH (1024 * 1024)
#define CORE_WRITE_LOW (256 * 1024)
/*
 * How long CMD_OPEN may take (resolution plus TCP handshake). mitmproxy has
 * no limit of its own and inherits the kernel's (about two minutes); ten
 * seconds gives the client a 502 while it still waits.
 */
#define CORE_CONNECT_TIMEOUT_MS 10000
/*
 * mitmproxy's TimeoutWatchdog: a client with no events for ten minutes is
 * closed, unless a hook is outstanding (an intercepted flow may wait for a
 * person indefinitely). One sweep timer per server checks every pconn.
 */
#define CORE_IDLE_TIMEOUT_MS (10 * 60 * 1000)
#define CORE_IDLE_SWEEP_MS (30 * 1000)
/*
 * The watch of a client whose flow waits in interception with reading
 * paused (mitmproxy reads on and queues; we stop, for back-pressure): the
 * socket is still read, raw (before TLS, which the layers do), into a
 * stash the layers get first when reading resumes. So a FIN or a reset is
 * seen when it comes and the flow's holders are told then
 * (core__client_gone). At this many stashed bytes the watch stops reading,
 * as the pause did before: a client that sends more is not watched.
 */
#define CORE_STASH_MAX (64 * 1024)
/* Sends of a feed are corked into one write up to this size; a larger send
 * goes out as it is, without a copy. */
#define CORE_CORK_MAX (64 * 1024)

/* One listening socket and the configuration (mode) of what it accepts. */
struct listener {
    uv_tcp_t tcp; /* tcp.data = this listener; freed in its close callback */
    struct server *srv;
    const struct proxy_config *cfg; /* one reference (proxy_config_ref) */
    int port;                       /* the port actually bound */
    server_root_cb root_new;        /* an app listener's root layer; NULL: the proxy's */
    void *root_arg;
    struct ulisten *udp; /* a DNS mode's UDP socket on the same address; NULL = none */
};

/* Buckets of a DNS listener's table of queries in flight (a power of 2). */
#define CORE_UDP_BUCKETS 256

/* The UDP socket of a DNS listener (udp.c). */
struct ulisten {
    uv_udp_t udp; /* udp.data = this; freed in its close callback, once refs is 0 */
    struct server *srv;
    struct listener *l; /* borrowed; NULL once the listener closed this */
    int refs;           /* the listener, each pconn of a client, each send in flight */
    /* The bound address, the sockname of every client (named: it is known). */
    char host[64];
    uint16_t port;
    unsigned named : 1;
    /* The pconn of each query, by (client address, DNS id), so that a
     * datagram finds its query without a walk over every connection. */
    struct pconn *queries[CORE_UDP_BUCKETS];
};

/* A job for libuv's thread pool (server_queue_work). */
struct work {
    uv_work_t req; /* req.data = this work; freed after `after` ran */
    server_work_cb work;
    server_work_cb after;
    void *arg;
};

/* A function posted from another thread (server_post). */
struct post {
    server_post_cb fn;
    void *arg;
    struct post *next;
};

struct server {
    uv_loop_t loop;
    /* server_post(): the one structure shared across threads. mu guards
     * posts and async_closed; async wakes the loop. */
    uv_mutex_t mu;
    uv_async_t async;
    struct post *posts, **posts_tail;
    int async_closed;
    struct listener **listeners; /* owned array; one per proxy mode */
    size_t nlisteners;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    uv_timer_t stopper; /* runs the stop outside whatever callback asked for it */
    uv_timer_t sweeper; /* the idle timeout */
    const struct proxy_config *cfg;
    struct addon_chain *chain;
    struct pconn *pconns; /* every live pconn, doubly linked */
    struct uhandle *uhandles; /* watches and timers of the server's users */
    int stopping;
    int handles_closed;
    /* The read buffer every socket of this loop shares. EV_DATA borrows it for
     * the duration of one layer_feed call; a pconn already feeding copies the
     * bytes into its inbox, so the buffer is free again when read_cb returns. */
    char readbuf[CORE_READ_SIZE];
};

/* One TCP handle, client or server side. */
struct sock {
    uv_tcp_t tcp; /* tcp.data = this sock */
    struct pconn *pc;
    struct connection *conn; /* one reference once attached; NULL while connecting */
    struct sock *next;       /* pc->socks */
    struct sock *prev;
    size_t queued;      /* bytes handed to uv_write and not yet called back */
    /*
     * What the layers sent while its client was being fed, not written yet:
     * it goes out in one write when the feed ends (core__sock_flush_all),
     * so the answers to every stream of an HTTP/2 connection that one turn
     * produced share a write(2) instead of taking one each.
     */
    struct buf corked;
    unsigned connected : 1;
    unsigned reading : 1;      /* uv_read_start is in effect */
    unsigned eof : 1;          /* the peer's FIN (or an error) ended reading */
    unsigned congested : 1;    /* queued went over CORE_WRITE_HIGH */
    unsigned shutting : 1;     /* a uv_shutdown is in flight */
    unsigned shut : 1;         /* our FIN is sent or queued */
    unsigned close_pending : 1;/* uv_close once the shutdown completes */
    unsigned finished : 1;     /* conn is CLOSED; no more events for it */
    unsigned closing : 1;      /* uv_close was called */
    unsigned watching : 1;     /* reads go to the stash (core__sock_watch) */
    /*
     * What the watch read and the layers have not seen: the bytes, then
     * how reading ended after them (UV_EOF, another libuv error; 0 while it
     * has not). Owned; fed by core__sock_unstash.
     */
    struct buf stash;
    int stash_end;
    /*
     * Transport TLS to an upstream proxy (upstream:https://): what the
     * layers send is encrypted here and what arrives is decrypted before it
     * becomes EV_DATA, so the layers never know. Owned; NULL = plain TCP.
     */
    struct tls_session *tls;
    /*
     * A handshake of the opener (SOCKS5, TLS to the proxy) owns the socket
     * before it is attached: reads go to hs instead of the layers; n > 0 is
     * data, n < 0 a libuv error (UV_EOF for the peer's FIN).
     */
    void (*hs)(struct sock *, const char *p, ssize_t n);
    void *hs_arg;
};

/* One proxied client connection: mitmproxy's ConnectionHandler. */
struct pconn {
    struct server *srv;
    struct pconn *next; /* srv->pconns */
    struct pconn *prev;
    struct context *ctx;
    struct layer *root; /* NULL before EV_START and after teardown */
    struct connection *client;
    struct sock *csock; /* the client's socket */
    struct sock *socks; /* every socket, the client's first */
    struct opener *openers;
    struct wake *wakes;
    struct hjob *parked; /* hooks answered whose intercepted flows wait */
    /* Events that arrived while feeding: a ring of owned copies. */
    struct event *inbox;
    size_t ibhead;
    size_t iblen;
    size_t ibcap;
    int holds;       /* see the lifetime note at the top */
    int blocking;    /* outstanding blocking commands (and the connect hook) */
    int pausing;     /* ... of which reading waits for (the waiting layer's say) */
    int ncongested;  /* socks with congested set */
    uint64_t last_active; /* uv_now() of the last event fed */
    unsigned feeding : 1;
    unsigned vclient : 1;  /* client replay: the client has no socket */
    unsigned vclosed : 1;  /* ... and the layers have closed it */
    void (*replay_done)(void *arg); /* client replay: runs at teardown */
    void *replay_arg;
    unsigned app : 1;      /* accepted by an app listener: no proxy hooks or logs */
    unsigned dead : 1;     /* torn down: no more events, only closing */
    unsigned kill : 1;     /* server_stop asked for a hard teardown */
    unsigned client_left : 1; /* the holders of its waiting flows were told (core__client_gone) */
    /*
     * One query of a UDP client (udp.c): the client has no socket; what
     * the layers send it goes out of dgram's socket to dgram_peer, and
     * when they close it (vclosed) the pconn ends. dgram: one reference.
     */
    struct ulisten *dgram;
    uint16_t dgram_id;
    /* An IPv4 peer is a sockaddr_in in its first bytes; no other family
     * comes over UDP, and a sockaddr_storage would be 100 bytes more on
     * every connection. */
    struct sockaddr_in6 dgram_peer;
    struct pconn *dgram_next; /* the next query in its bucket of dgram->queries */
    struct usock *usocks; /* UDP connections to upstream servers */
    char peer[64];   /* the client's address, "ip:port", prefix of log lines */
};

/* A hook call in flight, with what it needs until done runs. */
struct hjob {
    struct hook_call call;
    struct hook_data data;
    struct pconn *pc;
    uint64_t id;  /* the CMD_HOOK answered with EV_DONE when blocking */
    int blocking; /* counted in pc->blocking until done */
    int pausing;  /* counted in pc->pausing until done */
    void (*then)(struct hjob *);
    void *arg;
    /* In pc->parked while its flow is intercepted (waiting for flow_resume). */
    struct hjob *next_parked;
    struct hjob *prev_parked;
};

/* driver.c */
/* Accepts a client on l; its connections get l->cfg (and so l's mode). */
void core__accept(struct listener *l);
void core__kill(struct pconn *);
void core__replay(struct server *, struct flow *, void (*done)(void *arg), void *arg);
void core__hold(struct pconn *);
void core__release(struct pconn *);
/* Feeds ev (borrowed) now, or queues a copy if the pconn is feeding. */
void core__feed(struct pconn *, const struct event *);
/* Call after anything changed outside a feed: reads, teardown. */
void core__settle(struct pconn *);
void core__update_reads(struct pconn *);
/* Closes clients idle for CORE_IDLE_TIMEOUT_MS. */
void core__sweep_idle(struct server *);
/* Runs hook through the addon chain; then(job) runs when it is done. */
void core__hook(struct pconn *, enum hook, struct connection *server, void (*then)(struct hjob *),
                void *arg);
/* The same with data the caller filled (data's references move to the job). */
void core__hook_data(struct pconn *, struct hook_data *data, void (*then)(struct hjob *),
                     void *arg);
void core__server_closed(struct pconn *, struct connection *server);
/* The client's FIN or reset was seen, or the layers closed it: flows of it
 * waiting in interception are marked and their holders told (update
 * hook). Once per client. */
void core__client_gone(struct pconn *);
/* "host:port", plus " (ip:port)" when the address we reached differs. */
void core__server_addr(const struct connection *server, char *out, size_t outlen);

/* sock.c */
struct sock *core__sock_new(struct pconn *);
void core__sock_attach(struct sock *, struct connection *);
/* Reads go to the layers (on) or stop; a watch ends either way. */
void core__sock_read(struct sock *, int on);
/* The layers may not read (a flow waits), but the socket is read into its
 * stash, up to CORE_STASH_MAX bytes and the end (CORE_STASH_MAX above). */
void core__sock_watch(struct sock *);
/* Whether the watch kept something the layers have not seen. */
int core__sock_stashed(const struct sock *);
/*
 * Feeds the layers what the watch kept: the bytes, then the end, as if
 * read now. Call it when reading resumes. end_only: only an end with no
 * bytes before it, which a flow that goes on learns at once whether or not
 * its layers read (so it ends with "Client disconnected.").
 */
void core__sock_unstash(struct sock *, int end_only);
/* Sends what a CMD_SEND carries (data is emptied); during a feed the bytes
 * are corked until core__sock_flush_all(). */
void core__sock_send(struct sock *, struct buf *data);
/* Writes what the sockets of pc corked during the feed that just ended. */
void core__sock_flush_all(struct pconn *);
/* Writes bytes as they are, now, bypassing transport TLS (handshakes). */
void core__sock_send_raw(struct sock *, struct buf *data);
void core__sock_half_close(struct sock *);
/* Marks conn CLOSED and closes the handle; hard drops unsent data (corked
 * bytes too), else it is written first. */
void core__sock_finish(struct sock *, int hard);
/* The connection is gone (error, timeout): EV_CLOSED, then a hard close.
 * what + uv_strerror(status) becomes conn->error when what is not NULL. */
void core__sock_fail(struct sock *, const char *what, int status);
/* Closes a handle that was never attached (failed connect). */
void core__sock_discard(struct sock *);
void core__sockaddr_host(const struct sockaddr *, char *host, size_t hostlen, uint16_t *port);

/* The first datagram of a new UDP query (id from peer) on ul: a pconn
 * for it, the client hooks, the DNS layer, then the datagram. */
void core__accept_datagram(struct ulisten *ul, const struct sockaddr *peer, uint16_t id,
                           const char *p, size_t n);

/* udp.c */
/* Binds l's UDP socket to sa (the TCP listener's address and port). */
int core__udp_listen(struct listener *l, const struct sockaddr *sa, struct err *e);
void core__udp_close_listener(struct listener *l);
/* Makes pc the query (peer, id) of ul: ul's datagrams from peer with that
 * id go to pc until pc is freed. pc takes a reference on ul. */
void core__udp_query_add(struct ulisten *ul, struct pconn *pc, const struct sockaddr *peer,
                         uint16_t id);
/* pc is freed: its query (if it is one) leaves ul's table and drops its
 * reference. */
void core__udp_query_end(struct pconn *pc);
/* A datagram to the client of pc (pc->dgram); data is emptied. */
void core__udp_reply(struct pconn *pc, struct buf *data);
/* CMD_OPEN of a UDP server connection: EV_DONE is fed before this returns
 * (queued, as in any feed). */
void core__udp_open(struct pconn *pc, struct connection *conn, uint64_t cmd_id);
void core__udp_send(struct connection *conn, struct buf *data);
void core__udp_close(struct connection *conn);
/* Closes every UDP connection of pc. */
void core__udp_teardown(struct pconn *pc);

/* open.c */
/* pausing: reading stops until the open is done (unless its layer reads on). */
void core__open(struct pconn *, struct connection *server, uint64_t cmd_id, int pausing);
void core__open_cancel(struct opener *);

#endif
