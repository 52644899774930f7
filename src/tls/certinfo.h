/*
 * What 8.1.1 shows of a server's certificate (certs.Cert's keyinfo,
 * fingerprint, notbefore/notafter, serial, subject, issuer and altnames),
 * read from one PEM certificate as flows keep them in certificate_list.
 * The web JSON's `cert` (app.py cert_to_json) and the console's Detail tab
 * ("Server Certificate:") are written from it.
 *
 * The PEM comes from flow files as well as from the wire, so it is
 * untrusted: anything that is not a certificate is an error, never a crash.
 */
#ifndef MP_TLS_CERTINFO_H
#define MP_TLS_CERTINFO_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* One attribute of a distinguished name, as 8.1.1's _name_to_keyval gives
 * it: the RFC 4514 short name (CN, O, ...) or the OID in dotted form. */
struct tls_certinfo_attr {
    char *name;  /* owned */
    char *value; /* owned, UTF-8 */
};

struct tls_certinfo {
    /* keyinfo: "RSA", "DSA", "EC (secp256r1)", "Ed25519", ... and the key
     * size in bits, -1 for a type that has none (Ed25519, Ed448). */
    char keytype[80];
    int keybits;
    char sha256[65];                   /* lowercase hex of the DER's SHA-256 */
    int64_t notbefore;                 /* epoch seconds, UTC */
    int64_t notafter;                  /* epoch seconds, UTC */
    char *serial;                      /* owned; decimal, "-" first when negative */
    struct tls_certinfo_attr *subject; /* owned; in the certificate's order */
    size_t nsubject;
    struct tls_certinfo_attr *issuer; /* owned */
    size_t nissuer;
    /* subjectAltName: the DNS names, then the IP addresses as Python's
     * ipaddress writes them. Owned, each and the array. */
    char **altnames;
    size_t naltnames;
};

/*
 * Reads the first PEM certificate in pem[0..len) into *out, which the
 * caller clears with tls_certinfo_clear() on success. On error *out holds
 * nothing to free and e names what was wrong ("certificate: not PEM").
 */
int tls_certinfo_parse(struct tls_certinfo *out, const void *pem, size_t len, struct err *e);

void tls_certinfo_clear(struct tls_certinfo *);

/* "aa bb cc ...": the digest as 8.1.1's Detail tab writes it (hex(" ")),
 * into out of at least 96 bytes. */
void tls_certinfo_sha256_spaced(const struct tls_certinfo *, char *out, size_t outlen);

#endif
