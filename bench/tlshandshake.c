/*
 * OpenSSL's own CPU for the two TLS 1.3 handshakes of one intercepted
 * connection, with nothing of ours around it: a client and a server SSL in
 * one process, memory BIOs between them, an ECDSA P-256 certificate and
 * X25519 (what the proxy's leaves and OpenSSL's defaults give). It puts a
 * floor under bench/tlsload.py's "CPU per new connection" and measures the
 * knobs of src/tls/session.c one by one, natively (callgrind emulates no
 * SHA-NI, so it misjudges the hash of a suite).
 *
 *   tlshandshake SUITES TICKETS N [RESUME]
 *
 * SUITES is a TLS 1.3 suite list for both sides (the server prefers its
 * order), TICKETS the server's SSL_CTX_set_num_tickets(), N the measured
 * handshakes (after 20 unmeasured), RESUME 1 to offer the last ticket.
 * Prints one line: CPU time of the process per handshake pair and of the
 * server side alone, in microseconds. The machine's load moves these
 * figures; bench/tlshandshake.sh interleaves runs and reports quantiles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

static double
cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A self-signed P-256 certificate: the server's leaf. */
static void
make_leaf(EVP_PKEY **key, X509 **cert)
{
    *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (*key == NULL || x == NULL)
        exit(1);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, *key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"bench", -1, -1, 0);
    X509_set_issuer_name(x, n);
    if (!X509_sign(x, *key, EVP_sha256()))
        exit(1);
    *cert = x;
}

static void
shuttle(BIO *from, BIO *to)
{
    char b[32768];
    int n;
    while ((n = BIO_read(from, b, sizeof(b))) > 0)
        BIO_write(to, b, n);
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: tlshandshake SUITES TICKETS N [RESUME]\n");
        return 2;
    }
    const char *suites = argv[1];
    int tickets = atoi(argv[2]), n = atoi(argv[3]), resume = argc > 4 && atoi(argv[4]);
    EVP_PKEY *key;
    X509 *cert;
    make_leaf(&key, &cert);
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method()), *cctx = SSL_CTX_new(TLS_client_method());
    if (sctx == NULL || cctx == NULL || !SSL_CTX_use_certificate(sctx, cert) ||
        !SSL_CTX_use_PrivateKey(sctx, key) || !SSL_CTX_set_ciphersuites(sctx, suites) ||
        !SSL_CTX_set_ciphersuites(cctx, suites))
        return 1;
    SSL_CTX_set_options(sctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_num_tickets(sctx, (size_t)tickets);
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);
    SSL_SESSION *sess = NULL;
    const char *cipher = "";
    int reused = 0;
    double t0 = 0, server = 0;
    for (int i = -20; i < n; i++) {
        if (i == 0)
            t0 = cpu_now();
        SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
        BIO *c2s = BIO_new(BIO_s_mem()), *s2c = BIO_new(BIO_s_mem());
        BIO *cin = BIO_new(BIO_s_mem()), *sin = BIO_new(BIO_s_mem());
        SSL_set_bio(c, cin, c2s);
        SSL_set_bio(s, sin, s2c);
        SSL_set_connect_state(c);
        SSL_set_accept_state(s);
        if (resume && sess)
            SSL_set_session(c, sess);
        int rc = 0, rs = 0;
        for (int k = 0; k < 20 && (rc != 1 || rs != 1); k++) {
            if (rc != 1)
                rc = SSL_do_handshake(c);
            shuttle(c2s, sin);
            if (rs != 1) {
                double a = cpu_now();
                rs = SSL_do_handshake(s);
                if (i >= 0)
                    server += cpu_now() - a;
            }
            shuttle(s2c, cin);
        }
        char x;
        SSL_read(c, &x, 1); /* takes the tickets in */
        if (rc != 1 || rs != 1) {
            fprintf(stderr, "tlshandshake: handshake failed\n");
            return 1;
        }
        cipher = SSL_get_cipher_name(s);
        reused += i >= 0 && SSL_session_reused(c);
        /* A clean close, or OpenSSL marks the session spent. */
        SSL_shutdown(c);
        if (resume) {
            SSL_SESSION_free(sess);
            sess = SSL_get1_session(c);
        }
        SSL_free(c);
        SSL_free(s);
    }
    double t = cpu_now() - t0;
    printf("suites=%s tickets=%d resume=%d: %.1f us/pair server %.1f us (%s, %d of %d resumed)\n",
           suites, tickets, resume, t / n * 1e6, server / n * 1e6, cipher, reused, n);
    SSL_SESSION_free(sess);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    X509_free(cert);
    EVP_PKEY_free(key);
    return 0;
}
