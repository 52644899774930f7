/*
 * A conf dir with a CA for tests that intercept TLS. mitmproxy's CA is RSA
 * (seconds of key generation under the sanitizers); this one is ECDSA P-256,
 * which ca_load_or_create() reads the same way, so forging leaves and the
 * handshakes after it take milliseconds.
 */
#ifndef MP_TESTS_TCA_H
#define MP_TESTS_TCA_H

/* A new temporary conf dir holding mitmproxy-ca.pem (key + certificate) and
 * mitmproxy-ca-cert.pem; caller frees with tca_dir_free(), which removes it. */
char *tca_dir_new(void);
/* The CA certificate's file in dir (malloc'd), for clients to trust. */
char *tca_cert_file(const char *dir);
void tca_dir_free(char *dir);

/* A certificate to read, not to trust: openssl req -x509 -newkey ec
 * (secp384r1) -subj '/C=DE/O=.../OU=Lab/CN=ec.example.org/emailAddress=
 * a@example.org' with DNS, IPv6, IPv4-mapped, IPv4 and email altnames. PEM. */
extern const char tca_ec_pem[];

#endif
