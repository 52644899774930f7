/*
 * A client or server connection as mitmproxy models it
 * (mitmproxy.connection.Client / Server): addresses, state, TLS facts and
 * timestamps. The proxy core fills it; flows hold references to it, so it
 * outlives the socket. Refcounted: connection_new() returns one reference.
 *
 * Timestamps are float seconds since the epoch; 0 means None.
 */
#ifndef MP_FLOW_CONNECTION_H
#define MP_FLOW_CONNECTION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "util/uuid.h"

struct certchain; /* flow/certchain.h */
struct tns;       /* flow/tnetstring.h */

/* mitmproxy.connection.ConnectionState: a bit set. */
enum conn_state {
    CONN_CLOSED = 0,
    CONN_CAN_READ = 1,
    CONN_CAN_WRITE = 2,
    CONN_OPEN = 3,
};

enum conn_side { CONN_CLIENT, CONN_SERVER };

struct addr {
    char *host; /* owned; NULL means None */
    uint16_t port;
};

struct connection {
    atomic_int refs;
    enum conn_side side;
    char id[UUID_STR_LEN];
    enum conn_state state;
    /* client: address = peername, sockname. server: address = where we were
     * asked to go, peername = the IP we reached, sockname = our end. */
    struct addr address;
    struct addr peername;
    struct addr sockname;
    /* server: an upstream proxy the connection goes through (upstream mode's
     * CONNECT); host NULL = direct. address stays the final destination. */
    struct addr via;
    char *error; /* owned; NULL if none */
    int tls;
    int tls_established;
    char *sni;         /* owned; NULL = None */
    char *alpn;        /* owned; NULL = None (bytes in the file) */
    char *tls_version; /* owned; NULL = None */
    char *cipher;      /* owned; NULL = None */
    double timestamp_start;
    double timestamp_end;
    double timestamp_tcp_setup; /* server only */
    double timestamp_tls_setup;
    /* server: the certificate chain the server showed, as certificate_list
     * is written (one reference; shared with the other connections that saw
     * the same chain). NULL: none seen, or a loaded flow's, kept in extra. */
    struct certchain *certs;
    /* The ALPN protocols offered (alpn_offers), compact: each name after a
     * byte of its length, then a 0 byte. Owned; NULL: none offered, or a
     * loaded flow's, kept in extra. */
    char *alpn_offers;
    /* Fields this version does not model (certificate_list, alpn_offers,
     * cipher_list, tls_extensions, mitmcert, via, via2, ...): kept as loaded so
     * a flow file round-trips. Owned; NULL when there are none. */
    struct tns *extra;
    /* Proxy-internal (not stored): set by the driver, never by layers. */
    void *driver_data;
    /* Proxy-internal: offer only http/1.1 by ALPN on this server connection
     * (a WebSocket an HTTP/2 client opened goes to the server over HTTP/1.1). */
    int http1_only;
    /* Proxy-internal: the transport is UDP (mitmproxy's transport_protocol
     * "udp", which 8.1.1's flow files do not store): a DNS server's
     * upstream. Each send is one datagram, each EV_DATA one datagram. */
    int udp;
};

/* New connection with a fresh id and state CONN_CLOSED; one reference. */
struct connection *connection_new(enum conn_side);
struct connection *connection_ref(struct connection *);
void connection_unref(struct connection *);
/* The leaf of certificate_list as PEM (*len bytes, borrowed): from the
 * chain the proxy saw, or as a loaded flow holds it. NULL when there is
 * none, or a loaded one is not a string. */
const char *connection_leaf_pem(const struct connection *, size_t *len);
/* Sets alpn_offers to the n names (NUL-terminated, 1-255 bytes each;
 * longer ones are left out); none clears it. */
void connection_set_alpn_offers(struct connection *, const char *const *names, size_t n);
/* The i-th offered name (*len bytes, not NUL-terminated), or NULL past the end. */
const char *connection_alpn_offer(const struct connection *, size_t i, size_t *len);
/* "host:port" into out (IPv6 hosts in brackets). */
void addr_format(const struct addr *, char *out, size_t outlen);
void addr_set(struct addr *, const char *host, uint16_t port);
void addr_clear(struct addr *);

#endif
