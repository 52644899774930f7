/*
 * pathod as a library: a pathological HTTP/1.1 server that answers every
 * request with the response its spec asks for (the craft anchor /p/SPEC,
 * -a REGEX=SPEC anchors), and keeps a log of what it was asked and what it
 * served. src/tools/pathod.c is a thin main() around this; the unit tests
 * drive it in-process.
 *
 * pathod is a test tool, so its I/O is simple and blocking: one accept
 * thread, one thread per connection, OpenSSL directly on the socket. It
 * does not use src/core, which is the proxy's event-driven driver.
 *
 * The blocking connection type (struct pathod_io, io.h) is shared with
 * pathoc (client.c): both read and write plain or TLS sockets with the same
 * hexdump and timeout handling.
 */
#ifndef MP_PATHOD_SERVER_H
#define MP_PATHOD_SERVER_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "http/headers.h"
#include "pathod/io.h"
#include "util/buf.h"
#include "util/err.h"

#define PATHOD_DEFAULT_PORT 9999
#define PATHOD_DEFAULT_ANCHOR "/p/"
#define PATHOD_DEFAULT_CN "pathod.net"
/* The server keeps at most this many log entries, newest first (pathod's LOGBUF). */
#define PATHOD_LOG_MAX 500

struct pathod_anchor {
    const char *pattern; /* PCRE2 regex matched at the start of the path */
    const char *spec;    /* response spec served when it matches */
};

/*
 * Everything borrowed here is copied by pathod_server_start(), so the
 * config may go away once the server runs.
 */
struct pathod_config {
    const char *address;     /* listen address; NULL = 127.0.0.1 */
    int port;                /* 0 = a free port, see pathod_server_port() */
    const char *craftanchor; /* NULL = "/p/" */
    const char *staticdir;   /* NULL = file values refused */
    const struct pathod_anchor *anchors;
    size_t nanchors;
    uint64_t sizelimit; /* largest response served; 0 = no limit */
    int nocraft;        /* refuse crafting through the craft anchor (anchors still work) */
    int nohang;         /* refuse specs with pauses */
    int noapi;          /* no /api/ endpoints */
    int timeout;        /* seconds a connection may stay idle; 0 = forever */
    size_t max_request; /* request body bytes accepted; 0 = 1 MiB (heads: 64 KiB) */

    /* TLS. */
    int ssl;                 /* TLS on every connection (-s) */
    int plain_connect;       /* CONNECT tunnels stay plain (-C) */
    const char *cert;        /* PEM file with key and certificate; NULL = generated */
    const char *confdir;     /* CA dir for generated certificates; NULL = ~/.mitmproxy */
    const char *cn;          /* CN of the generated certificate; NULL = pathod.net */
    const char *const *sans; /* extra subjectAltNames */
    size_t nsans;
    const char *ciphers; /* OpenSSL cipher list; NULL = default */

    /* The text log (pathod's stdout); NULL = none. Lines carry a timestamp. */
    FILE *logfp;
    int explain; /* log the resolved spec of each response */
    int logreq;  /* log the request bytes */
    int logresp; /* log the response bytes */
    int hexdump; /* ... as hexdump instead of escaped text */
};

struct pathod_server;

/*
 * Validates the config (anchor regexes and specs, cert file), binds, listens
 * and starts serving on a thread of its own. Returns NULL with e set on
 * error. The caller stops and frees it with pathod_server_stop(). SIGPIPE
 * is set to be ignored: OpenSSL writes to sockets a client may have closed.
 */
struct pathod_server *pathod_server_start(const struct pathod_config *, struct err *e);
/* The port actually bound. */
int pathod_server_port(const struct pathod_server *);
/* Closes every connection (pauses are interrupted), joins the threads, frees. NULL is a no-op. */
void pathod_server_stop(struct pathod_server *);

/* One log entry; what pathod's /api/log shows. */
struct pathod_log_entry {
    unsigned id;
    char *type; /* "crafted", "error", "timeout", "inbound" (a WebSocket frame) */
    char *msg;  /* error text; NULL otherwise */
    /* The request, for "crafted": */
    char *method;
    char *path;
    char *http_version;
    struct hdrs headers;
    char *sni;            /* NULL without TLS or SNI */
    char *cipher;         /* NULL without TLS */
    char *remote_address; /* "host:port" */
    /* The response, for "crafted": */
    int code;           /* status code served */
    char *spec;         /* the resolved spec served */
    uint64_t bytes;     /* bytes written */
    int disconnect;     /* the spec closed the connection */
    int error_response; /* an 800 answer of pathod's own */
    /* An "inbound" WebSocket frame: */
    int opcode;
    struct buf payload;
};

/*
 * A copy of the log, newest first: *out is a new array of n entries the
 * caller frees with pathod_log_free(). Returns n.
 */
size_t pathod_server_log(struct pathod_server *, struct pathod_log_entry **out);
void pathod_log_free(struct pathod_log_entry *, size_t n);
void pathod_server_log_clear(struct pathod_server *);
/* The log as /api/log serves it: {"log": [...]}. Appended to out. */
void pathod_server_log_json(struct pathod_server *, struct buf *out);

#endif
