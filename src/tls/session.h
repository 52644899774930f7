/*
 * One TLS session over in-memory buffers: ciphertext in and out as bytes, the
 * plaintext in between, no sockets. The proxy's TLS layer drives one per
 * TLS connection, on either side.
 *
 *   feed ciphertext -> tls_session_feed()
 *   tls_session_handshake() until it returns 1
 *   plaintext       <- tls_session_read()       -> tls_session_write()
 *   ciphertext      <- tls_session_take_output() after every call
 */
#ifndef MP_TLS_SESSION_H
#define MP_TLS_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "tls/ca.h"
#include "util/buf.h"
#include "util/err.h"

struct tls_session;

/* TLS versions as mitmproxy names them in tls_version_*_min/max. */
enum tls_version { TLS_VER_UNBOUNDED, TLS_VER_SSL3, TLS_VER_TLS1, TLS_VER_TLS1_1, TLS_VER_TLS1_2, TLS_VER_TLS1_3 };

/* Parses "UNBOUNDED", "SSL3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3"; -1 if unknown. */
int tls_version_parse(const char *);

/* We are the client, towards an upstream server. */
struct tls_client_opts {
    const char *sni;                /* NULL: send none */
    const char *const *alpn;        /* protocols to offer, in order; may be NULL */
    size_t nalpn;
    int verify;                     /* check the chain and the host name (sni or host) */
    const char *verify_host;        /* name or IP to check against; NULL: sni */
    const char *ca_file;            /* extra trusted CAs (PEM file); NULL: none */
    const char *ca_dir;             /* extra trusted CA dir (hashed); NULL: none */
    enum tls_version min_version, max_version;
    const char *client_cert_file;   /* PEM with key + cert to present; NULL: none */
    const char *ciphers;            /* OpenSSL cipher list (up to TLS 1.2); NULL: defaults */
    /* The server's address: with sni, the key of the session cache that lets
     * the next connection to it resume. NULL: no resumption. */
    const char *server_host;
    int server_port;
};

/* We are the server, towards the client, with a certificate from the CA. */
struct tls_server_opts {
    const struct ca_leaf *leaf;     /* borrowed; outlives the session */
    const char *const *alpn;        /* protocols we accept, in preference order */
    size_t nalpn;
    enum tls_version min_version, max_version;
    const char *ciphers;            /* as in tls_client_opts */
};

/*
 * Both return a new session (one reference) or NULL with e set. Sessions
 * are counted because a hook's data may hold one while its layer does (the
 * tlsconfig addon hands one over); the count is not atomic: a session
 * belongs to one thread. tls_session_free() drops a reference (NULL is a
 * no-op) and frees the session with the last.
 */
struct tls_session *tls_session_new_client(const struct tls_client_opts *, struct err *e);
struct tls_session *tls_session_new_server(const struct tls_server_opts *, struct err *e);
struct tls_session *tls_session_ref(struct tls_session *);
void tls_session_free(struct tls_session *);

/*
 * Whether a ciphers_client list leaves an ECDSA certificate no TLS 1.2
 * suite (say, "ECDHE-RSA-AES128-GCM-SHA256"): then the leaf must be RSA
 * (ca_leaf_get_rsa()). 0 for NULL, "" or a list OpenSSL refuses.
 */
int tls_ciphers_want_rsa(const char *ciphers);

/* Ciphertext from the peer. */
void tls_session_feed(struct tls_session *, const uint8_t *p, size_t n);
/* Moves ciphertext for the peer into out (appends; into an empty out
 * without a copy). */
void tls_session_take_output(struct tls_session *, struct buf *out);
/* Bytes of buffer storage the session keeps outside OpenSSL: ciphertext
 * fed but not read yet, and output not taken. 0 once both are drained, so
 * an idle connection holds none. */
size_t tls_session_buffered(const struct tls_session *);

/*
 * Advances the handshake: 1 when complete, 0 when more input is needed,
 * or MP_ERR_PROTOCOL with e->msg a reason a user can act on, e.g.
 * "certificate verify failed: self-signed certificate (CN=localhost)" or
 * "the client rejected our certificate (alert: unknown ca)".
 */
int tls_session_handshake(struct tls_session *, struct err *e);

/* Decrypted application data into out (appends). Returns 1 once the peer
 * has sent close_notify (no more data will come), 0 otherwise, or
 * MP_ERR_PROTOCOL on a TLS error. */
int tls_session_read(struct tls_session *, struct buf *out, struct err *e);
/* Encrypts plaintext (the output shows up in take_output). */
int tls_session_write(struct tls_session *, const uint8_t *p, size_t n, struct err *e);
/* Queues a close_notify alert. */
void tls_session_close_notify(struct tls_session *);

/* Facts after the handshake (borrowed strings, NULL when unknown). */
const char *tls_session_alpn(const struct tls_session *);
const char *tls_session_version(const struct tls_session *); /* "TLSv1.3" */
const char *tls_session_cipher(const struct tls_session *);
/* 1 when the completed handshake resumed a session (no certificates went
 * either way), else 0. */
int tls_session_resumed(const struct tls_session *);

/* The peer certificate's subject CN (or NULL) and subjectAltNames (DNS
 * names and IPs as text), for upstream certificate sniffing. Borrowed;
 * valid until the session is freed. */
const char *tls_session_peer_cn(const struct tls_session *);
size_t tls_session_peer_sans(const struct tls_session *, const char *const **sans);

/* The i-th certificate the peer sent (leaf first) as PEM, appended to out:
 * 0, or -1 when there is no such certificate. For flow files' certificate_list. */
int tls_session_peer_cert_pem(const struct tls_session *, size_t i, struct buf *out);
/* The same certificate's DER bytes, appended to out: 0, or -1 when there is
 * no such certificate. */
int tls_session_peer_cert_der(const struct tls_session *, size_t i, struct buf *out);

/*
 * Key logging in NSS format (SSLKEYLOGFILE, MITMPROXY_SSLKEYLOGFILE): lines
 * for both sides go to the file named by path (appended, created 0600).
 * Called once at start-up; NULL turns it off.
 */
int tls_keylog_open(const char *path, struct err *e);

#endif
