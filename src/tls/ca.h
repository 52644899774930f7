/*
 * The certificate authority of mitmproxy's conf dir, and the leaf
 * certificates it signs for interception.
 *
 * Files (created on first use, the same names and formats as mitmproxy's,
 * so either tool can use a directory the other made):
 *   mitmproxy-ca.pem        CA private key (traditional "RSA PRIVATE KEY" PEM, as
 *                           mitmproxy 8.1.1 writes it) + CA certificate (PEM), 0600
 *   mitmproxy-ca-cert.pem   CA certificate (PEM)
 *   mitmproxy-ca-cert.cer   the same PEM (Android wants .cer)
 *   mitmproxy-ca-cert.p12   CA certificate only, PKCS#12 (Windows)
 *   mitmproxy-ca.p12        CA key + certificate, PKCS#12, 0600
 *   mitmproxy-dhparam.pem   DH parameters (a fixed, well-known group)
 *
 * Leaf certificates share one key pair, so a new name costs one signature
 * and no key generation: by default an ECDSA P-256 key made at start-up
 * (and never written anywhere), whose handshake signature costs a fraction
 * of an RSA one; or, as mitmproxy does, the CA's own RSA key (for clients
 * that cannot take ECDSA). Either way the CA signs them, with SHA-256.
 * Leaves are kept in an LRU cache keyed by their name set.
 *
 * Private keys stay behind this interface (STYLE.md 3.7): callers get
 * opaque handles for a TLS context, never the key bytes.
 */
#ifndef MP_TLS_CA_H
#define MP_TLS_CA_H

#include <stddef.h>

#include "util/err.h"

struct ca;

/* An issued leaf: certificate and key as OpenSSL objects (X509 *, EVP_PKEY *),
 * typed void * here so that callers need not include OpenSSL headers. Owned
 * by the CA's LRU cache: valid until the next ca_leaf_get() or ca_leaf_put()
 * may evict it, so a caller that keeps it takes its own references
 * (SSL_use_cert_and_key does). */
struct ca_leaf {
    void *cert; /* X509 * */
    void *key;  /* EVP_PKEY * */
    void *chain; /* STACK_OF(X509) * of extra certificates to send (may be NULL) */
};

/*
 * Loads the CA from confdir (a leading "~" is expanded), creating the
 * directory and every file above when mitmproxy-ca.pem does not exist.
 * key_size is the RSA key size for a new CA (option key_size, 2048).
 * A damaged or unreadable mitmproxy-ca.pem is an error naming the file and
 * the reason; it is never replaced. Returns NULL on error.
 */
struct ca *ca_load_or_create(const char *confdir, int key_size, struct err *e);
/* The CA is shared by the configurations built from one set of options:
 * ca_load_or_create() returns one reference, ca_ref() adds one and
 * ca_free() drops one (the last frees it). Loop thread only. */
struct ca *ca_ref(struct ca *);
void ca_free(struct ca *);

/* The leaves' key pair (see above). */
enum ca_leaf_key { CA_LEAF_ECDSA, CA_LEAF_RSA };
/* Names as the key_type option spells them: "ecdsa", "rsa"; -1 if unknown. */
int ca_leaf_key_parse(const char *);

/*
 * Chooses the leaves' key pair (ca_load_or_create() chose CA_LEAF_ECDSA):
 * CA_LEAF_RSA uses the CA's key, CA_LEAF_ECDSA a new P-256 key. A change
 * forgets the cached leaves. Call before the CA serves (signing threads read
 * the key); 0, or an error with e set.
 */
int ca_set_leaf_key(struct ca *, enum ca_leaf_key, struct err *e);
enum ca_leaf_key ca_leaf_key_type(const struct ca *);

/* The conf dir, "~" expanded (borrowed). */
const char *ca_dir(const struct ca *);

/*
 * A leaf for the given names: cn becomes the subject CN (left out if NULL
 * or longer than 64 bytes); every name in sans becomes a subjectAltName, as
 * an IP address when it parses as one, else as a DNS name. Signed by the
 * CA with SHA-256, valid from two days ago for one year (mitmproxy's
 * choice, to survive clients with a skewed clock). Cached by (cn, sans).
 * Returns 0, or an error with e set.
 */
int ca_leaf_get(struct ca *, const char *cn, const char *const *sans, size_t nsans,
                struct ca_leaf *out, struct err *e);

/*
 * ca_leaf_get() in three steps, so that the signature (a millisecond of
 * CPU) can run off the loop while the cache stays on it (DESIGN.md,
 * Threads):
 *
 *   ca_leaf_lookup()  the cached leaf for these names: 1 and out filled, or
 *                     0 (a miss). Loop thread only: it reorders the LRU.
 *   ca_leaf_sign()    a new certificate for these names (X509 *, one
 *                     reference for the caller), or NULL with e set. Safe
 *                     from any thread: it reads the CA's key and
 *                     certificate and nothing else of ca.
 *   ca_leaf_put()     caches a certificate from ca_leaf_sign() (the cache
 *                     takes the reference; when the names are cached
 *                     already, that leaf wins and cert is dropped) and fills
 *                     out. Loop thread only.
 */
int ca_leaf_lookup(struct ca *, const char *cn, const char *const *sans, size_t nsans,
                   struct ca_leaf *out);
void *ca_leaf_sign(const struct ca *, const char *cn, const char *const *sans, size_t nsans,
                   struct err *e);
void ca_leaf_put(struct ca *, const char *cn, const char *const *sans, size_t nsans, void *cert,
                 struct ca_leaf *out);

/*
 * ca_leaf_get() for a leaf with the CA's own key (mitmproxy's leaf), also
 * when the CA makes ECDSA leaves: for a configuration whose cipher list
 * leaves ECDSA no TLS 1.2 suite (see tls_ciphers_want_rsa()). Cached apart
 * from the ECDSA leaf of the same names; signed on the caller's thread.
 */
int ca_leaf_get_rsa(struct ca *, const char *cn, const char *const *sans, size_t nsans,
                    struct ca_leaf *out, struct err *e);

/* The CA certificate as PEM text (malloc'd, caller frees), for mitm.it. */
char *ca_cert_pem(const struct ca *);

#endif
