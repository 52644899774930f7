/*
 * pathoc as a library: a perverse HTTP/1.1 client that sends the requests
 * its specs describe ("get:/:b@10:ir,@1") and prints what came back, as
 * pathoc did:
 *
 *   DD-MM-YY HH:MM:SS: >> 'GET':/p/200
 *   << 200 OK: 0 bytes
 *
 * src/tools/pathoc.c is a thin main() around pathoc_run(); the unit tests
 * call pathoc_run() with an in-memory output stream.
 */
#ifndef MP_PATHOD_CLIENT_H
#define MP_PATHOD_CLIENT_H

#include <stddef.h>
#include <stdio.h>

#include "util/err.h"

struct pathoc_config {
    const char *host;       /* where to connect (the proxy, with connect_to) */
    int port;               /* 0 = 443 with ssl, else 80 */
    const char *connect_to; /* "host:port": send CONNECT first (-c); NULL = none */

    int ssl;                /* TLS after connecting (and after CONNECT) (-s) */
    const char *sni;        /* SNI (-i); NULL = the CONNECT host, else host unless an IP */
    const char *ciphers;    /* OpenSSL cipher list; NULL = default */
    const char *clientcert; /* PEM with key and certificate (-C); NULL = none */
    int showssl;            /* print the cipher and peer certificate (-S) */

    int repeat;             /* connections to make, each playing every spec (-n); -1 = forever */
    double wait;            /* seconds between connections (-w) */
    int random;             /* play one randomly chosen spec argument per connection (-r) */
    int timeout;            /* seconds to wait for a response (-t); 0 = forever */
    int ignoretimeout;      /* a timeout is not reported (-T) */
    int oneshot;            /* stop after the first response not ignored (-o) */
    const int *ignorecodes; /* responses with these codes are not printed (-I) */
    size_t nignore;

    int explain;  /* print the resolved spec (-e) */
    int showreq;  /* print the request bytes (-q) */
    int showresp; /* print the response bytes (-r in the seeds' pathoc is random; we use -P) */
    int hexdump;  /* ... as hexdump (-x) */

    FILE *out;    /* where the log goes; NULL = stdout */
    FILE *errout; /* where failed connections are reported; NULL = stderr */
};

/*
 * Parses every spec (each argument may hold several requests and frames),
 * then makes cfg->repeat connections and plays the specs on each, printing
 * as pathoc did. Returns 0; MP_ERR_SYNTAX for a bad spec (nothing sent; e
 * holds "Error parsing request spec: ..." with the marked spec); MP_ERR_IO
 * when a connection, the CONNECT or the TLS handshake failed (e says why;
 * the remaining repetitions are still tried). Timeouts and broken responses
 * are printed, not errors: that is what fuzzing looks for.
 */
int pathoc_run(const struct pathoc_config *cfg, const char *const *specs, size_t nspecs,
               struct err *e);

/*
 * Parses a "host:port" string; port is left alone when absent. Returns 0 or
 * MP_ERR_INVAL. *host is malloc'd; the caller frees it.
 */
int pathoc_split_hostport(const char *s, char **host, int *port);

#endif
