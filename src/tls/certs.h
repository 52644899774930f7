/*
 * Custom certificates: the `certs` option ("[domain=]path", repeatable) and
 * `cert_passphrase`, as mitmproxy 8.1.1 handles them (tlsconfig.py and
 * CertStore.add_cert_file in certs.py).
 *
 * Each file is PEM: the leaf certificate first, then any intermediates
 * (sent to the client as the chain), and the leaf's private key anywhere in
 * the file, encrypted or not. mitmproxy falls back to the conf dir CA's key
 * when the file has none; that only works for a certificate made for that
 * key, so we refuse such a file instead ("no private key").
 *
 * A file is registered under the spec's domain ("*" if none was given), and
 * also, as mitmproxy does, under its subject CN and every subjectAltName
 * (DNS names, and IP addresses in text form). When two files claim a name,
 * the later spec wins. Names compare case-insensitively.
 */
#ifndef MP_TLS_CERTS_H
#define MP_TLS_CERTS_H

#include "options/opt.h"
#include "tls/ca.h"
#include "util/err.h"

struct tls_certs;

/*
 * Loads every "[domain=]path" spec (a leading "~" in path is expanded).
 * passphrase (may be NULL) decrypts encrypted keys; unencrypted keys load
 * with or without it. On success *out is a new set the caller frees with
 * tls_certs_free() (an empty set when specs is NULL or empty). On error
 * *out is NULL and e names the spec and the reason, e.g.
 * "certs: /x.pem: no such file", "certs: a.pem: no certificate found".
 */
int tls_certs_load(struct tls_certs **out, const struct strv *specs, const char *passphrase,
                   struct err *e);

/*
 * The custom certificate for a host name (SNI or CONNECT host), or NULL.
 * The candidates are mitmproxy's asterisk_forms, in order: the host itself,
 * then "*." + each proper suffix from the longest ("a.b.example.com" tries
 * "*.b.example.com", "*.example.com", "*.com"), and finally the catch-all
 * "*". So "*.example.com" matches at any depth below example.com but not
 * example.com itself. host may be NULL or empty: then only "*" is tried.
 * The result is borrowed from the set and lives as long as it; cert, key
 * and chain are X509 *, EVP_PKEY * and STACK_OF(X509) * (chain NULL when
 * the file holds only the leaf).
 */
const struct ca_leaf *tls_certs_find(const struct tls_certs *, const char *host);

/* Number of files loaded (for logs). */
size_t tls_certs_count(const struct tls_certs *);

void tls_certs_free(struct tls_certs *);

#endif
