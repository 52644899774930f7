/*
 * TLS sessions paired in memory: a client session and a server session
 * shuttle ciphertext to each other through buffers, with test
 * certificates made here with OpenSSL (not by ca.c, so these tests do not
 * depend on it).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "../lib/test.h"
#include "tls/session.h"

/* A test CA and one leaf it signed, plus the CA as a PEM file. */
struct pki {
    EVP_PKEY *ca_key, *key;
    X509 *ca, *leaf;
    char ca_file[64];
    struct ca_leaf l;
};

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v;
    X509V3_set_ctx_nodb(&v);
    X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v, nid, value);
    ASSERT(ext != NULL);
    ASSERT(X509_add_ext(x, ext, -1));
    X509_EXTENSION_free(ext);
}

/* A certificate for key, signed by issuer (self-signed when issuer is NULL). */
static X509 *
make_cert(const char *cn, const char *sans, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
          int is_ca)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    add_ext(x, issuer ? issuer : x, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (is_ca)
        add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    if (sans)
        add_ext(x, issuer ? issuer : x, NID_subject_alt_name, sans);
    ASSERT(X509_sign(x, issuer ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static void
pki_init(struct pki *p, const char *cn, const char *sans)
{
    memset(p, 0, sizeof(*p));
    p->ca_key = EVP_EC_gen("P-256");
    p->key = EVP_EC_gen("P-256");
    ASSERT(p->ca_key && p->key);
    p->ca = make_cert("Test CA", NULL, p->ca_key, NULL, NULL, 1);
    p->leaf = make_cert(cn, sans, p->key, p->ca, p->ca_key, 0);
    strcpy(p->ca_file, "/tmp/mp-test-session-ca-XXXXXX");
    int fd = mkstemp(p->ca_file);
    ASSERT(fd >= 0);
    FILE *f = fdopen(fd, "w");
    ASSERT(PEM_write_X509(f, p->ca));
    fclose(f);
    p->l = (struct ca_leaf){p->leaf, p->key, NULL};
}

static void
pki_free(struct pki *p)
{
    unlink(p->ca_file);
    X509_free(p->leaf);
    X509_free(p->ca);
    EVP_PKEY_free(p->key);
    EVP_PKEY_free(p->ca_key);
}

/* Moves up to step bytes from b into s (all of them when step is 0). */
static void
move(struct buf *b, struct tls_session *s, size_t step)
{
    size_t n = step && step < b->len ? step : b->len;
    tls_session_feed(s, buf_ptr(b), n);
    buf_consume(b, n);
}

/*
 * Runs both handshakes until each has finished or failed and no bytes are
 * left in flight; rc and rs get the last results.
 */
static void
pair(struct tls_session *c, struct tls_session *s, size_t step, int *rc, int *rs, struct err *ce,
     struct err *se)
{
    struct buf c2s = BUF_INIT, s2c = BUF_INIT;
    *rc = *rs = 0;
    for (int i = 0; i < 100000; i++) {
        if (*rc == 0)
            *rc = tls_session_handshake(c, ce);
        tls_session_take_output(c, &c2s);
        if (*rs == 0)
            *rs = tls_session_handshake(s, se);
        tls_session_take_output(s, &s2c);
        if (c2s.len == 0 && s2c.len == 0)
            break;
        /* A finished side keeps bytes for its first read instead. */
        if (*rs == 0 || c2s.len)
            move(&c2s, s, step);
        if (*rc == 0 || s2c.len)
            move(&s2c, c, step);
    }
    buf_clear(&c2s);
    buf_clear(&s2c);
}

/* Sends msg from a to b and checks that b reads exactly msg. */
static void
transfer(struct tls_session *a, struct tls_session *b, const void *msg, size_t n, size_t step)
{
    struct err e = {0};
    struct buf wire = BUF_INIT, got = BUF_INIT;
    ASSERT_EQ(tls_session_write(a, msg, n, &e), 0);
    tls_session_take_output(a, &wire);
    while (wire.len) {
        move(&wire, b, step);
        ASSERT_EQ(tls_session_read(b, &got, &e), 0);
    }
    ASSERT_MEMEQ(buf_ptr(&got), got.len, msg, n);
    buf_clear(&wire);
    buf_clear(&got);
}

/* Sends close_notify from a; b's read reports it. */
static void
closes(struct tls_session *a, struct tls_session *b)
{
    struct err e = {0};
    struct buf wire = BUF_INIT, got = BUF_INIT;
    tls_session_close_notify(a);
    tls_session_take_output(a, &wire);
    ASSERT(wire.len > 0);
    move(&wire, b, 0);
    ASSERT_EQ(tls_session_read(b, &got, &e), 1);
    ASSERT_EQ(got.len, 0);
    buf_clear(&wire);
    buf_clear(&got);
}

static struct tls_client_opts
client_opts(void)
{
    return (struct tls_client_opts){.min_version = TLS_VER_TLS1_2};
}

static struct tls_server_opts
server_opts(const struct pki *p)
{
    return (struct tls_server_opts){.leaf = &p->l, .min_version = TLS_VER_TLS1_2};
}

/* Handshakes with the given options; both sides must succeed. */
static void
connect_ok(const struct tls_client_opts *co, const struct tls_server_opts *so, size_t step,
           struct tls_session **c, struct tls_session **s)
{
    struct err ce = {0}, se = {0}, e = {0};
    *c = tls_session_new_client(co, &e);
    ASSERT(*c != NULL);
    *s = tls_session_new_server(so, &e);
    ASSERT(*s != NULL);
    int rc, rs;
    pair(*c, *s, step, &rc, &rs, &ce, &se);
    if (rc != 1 || rs != 1)
        test_fail(__FILE__, __LINE__, "handshake: client %d \"%s\", server %d \"%s\"", rc, ce.msg,
                  rs, se.msg);
}

/* Handshakes that must fail on both sides; the messages go to ce and se. */
static void
connect_fail(const struct tls_client_opts *co, const struct tls_server_opts *so, struct err *ce,
             struct err *se)
{
    struct err e = {0};
    struct tls_session *c = tls_session_new_client(co, &e);
    struct tls_session *s = tls_session_new_server(so, &e);
    ASSERT(c && s);
    int rc, rs;
    pair(c, s, 0, &rc, &rs, ce, se);
    ASSERT_EQ(rc, MP_ERR_PROTOCOL);
    ASSERT_EQ(rs, MP_ERR_PROTOCOL);
    tls_session_free(c);
    tls_session_free(s);
}

TEST(tls_session_version_parse)
{
    ASSERT_EQ(tls_version_parse("UNBOUNDED"), TLS_VER_UNBOUNDED);
    ASSERT_EQ(tls_version_parse("SSL3"), TLS_VER_SSL3);
    ASSERT_EQ(tls_version_parse("TLS1_1"), TLS_VER_TLS1_1);
    ASSERT_EQ(tls_version_parse("TLS1_3"), TLS_VER_TLS1_3);
    ASSERT_EQ(tls_version_parse("TLS1_4"), -1);
    ASSERT_EQ(tls_version_parse("tls1_2"), -1);
}

TEST(tls_session_data_and_close)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_client_opts co = client_opts();
    struct tls_server_opts so = server_opts(&p);
    struct tls_session *c, *s;
    connect_ok(&co, &so, 0, &c, &s);
    ASSERT_STREQ(tls_session_version(c), "TLSv1.3");
    ASSERT_STREQ(tls_session_version(s), "TLSv1.3");
    ASSERT(tls_session_cipher(c) != NULL);
    ASSERT_STREQ(tls_session_cipher(c), tls_session_cipher(s));
    ASSERT_STREQ(tls_session_alpn(c), NULL);

    transfer(c, s, "GET / HTTP/1.1\r\n\r\n", 18, 0);
    transfer(s, c, "HTTP/1.1 204 No Content\r\n\r\n", 27, 0);
    /* Larger than one record (16 KiB), so read has to loop. */
    size_t big = 100000;
    uint8_t *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (uint8_t)(i * 7);
    transfer(s, c, data, big, 0);
    transfer(c, s, data, big, 0);
    free(data);

    closes(c, s);
    closes(s, c);
    tls_session_free(c);
    tls_session_free(s);
    pki_free(&p);
}

/*
 * The session's buffers are freed when drained: after a handshake and an
 * exchange, with everything read and taken, neither side keeps any, and
 * a record fed in two pieces still reads whole.
 */
TEST(tls_session_drained_holds_no_buffers)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_client_opts co = client_opts();
    struct tls_server_opts so = server_opts(&p);
    struct tls_session *c, *s;
    connect_ok(&co, &so, 0, &c, &s);
    transfer(c, s, "GET / HTTP/1.1\r\n\r\n", 18, 0);
    transfer(s, c, "HTTP/1.1 204 No Content\r\n\r\n", 27, 0);
    ASSERT_EQ(tls_session_buffered(c), 0);
    ASSERT_EQ(tls_session_buffered(s), 0);

    struct err e = {0};
    struct buf wire = BUF_INIT, got = BUF_INIT;
    ASSERT_EQ(tls_session_write(c, (const uint8_t *)"ping", 4, &e), 0);
    ASSERT(tls_session_buffered(c) > 0); /* output waits to be taken */
    tls_session_take_output(c, &wire);
    ASSERT_EQ(tls_session_buffered(c), 0); /* moved out, not copied */
    tls_session_feed(s, buf_ptr(&wire), wire.len - 1);
    ASSERT_EQ(tls_session_read(s, &got, &e), 0);
    ASSERT_EQ(got.len, 0);
    /* OpenSSL took the partial record into its own buffer. */
    ASSERT_EQ(tls_session_buffered(s), 0);
    tls_session_feed(s, buf_ptr(&wire) + wire.len - 1, 1);
    ASSERT_EQ(tls_session_read(s, &got, &e), 0);
    ASSERT_BUF_STR(&got, "ping");
    ASSERT_EQ(tls_session_buffered(s), 0);
    buf_clear(&wire);
    buf_clear(&got);
    tls_session_free(c);
    tls_session_free(s);
    pki_free(&p);
}

/*
 * Sessions of one thread share one BIO, pointed at each session as it is
 * called: two connections whose handshakes and records interleave byte by
 * byte each get their own bytes.
 */
TEST(tls_session_interleaved_sessions_keep_their_bytes)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_client_opts co = client_opts();
    struct tls_server_opts so = server_opts(&p);
    struct err e = {0}, ce[2] = {{0}}, se[2] = {{0}};
    struct tls_session *c[2], *s[2];
    struct buf c2s[2] = {BUF_INIT, BUF_INIT}, s2c[2] = {BUF_INIT, BUF_INIT};
    int rc[2] = {0, 0}, rs[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        c[k] = tls_session_new_client(&co, &e);
        s[k] = tls_session_new_server(&so, &e);
        ASSERT(c[k] && s[k]);
    }
    for (int i = 0; i < 100000 && (rc[0] != 1 || rs[0] != 1 || rc[1] != 1 || rs[1] != 1); i++) {
        for (int k = 0; k < 2; k++) {
            if (rc[k] == 0)
                rc[k] = tls_session_handshake(c[k], &ce[k]);
            tls_session_take_output(c[k], &c2s[k]);
            if (rs[k] == 0)
                rs[k] = tls_session_handshake(s[k], &se[k]);
            tls_session_take_output(s[k], &s2c[k]);
            ASSERT(rc[k] >= 0 && rs[k] >= 0);
            move(&c2s[k], s[k], 1);
            move(&s2c[k], c[k], 1);
        }
    }
    for (int k = 0; k < 2; k++) {
        ASSERT_EQ(rc[k], 1);
        ASSERT_EQ(rs[k], 1);
        /* The server's tickets, read as no data. */
        struct buf none = BUF_INIT;
        move(&s2c[k], c[k], 0);
        ASSERT_EQ(tls_session_read(c[k], &none, &e), 0);
        ASSERT_EQ(none.len, 0);
        buf_clear(&none);
        ASSERT_EQ(c2s[k].len, 0);
        buf_clear(&c2s[k]);
        buf_clear(&s2c[k]);
    }
    /* Records in flight on both connections at once. */
    struct buf w0 = BUF_INIT, w1 = BUF_INIT, g0 = BUF_INIT, g1 = BUF_INIT;
    ASSERT_EQ(tls_session_write(c[0], (const uint8_t *)"zero", 4, &e), 0);
    ASSERT_EQ(tls_session_write(c[1], (const uint8_t *)"one", 3, &e), 0);
    tls_session_take_output(c[0], &w0);
    tls_session_take_output(c[1], &w1);
    while (w0.len || w1.len) {
        move(&w1, s[1], 1);
        ASSERT_EQ(tls_session_read(s[1], &g1, &e), 0);
        move(&w0, s[0], 1);
        ASSERT_EQ(tls_session_read(s[0], &g0, &e), 0);
    }
    ASSERT_BUF_STR(&g0, "zero");
    ASSERT_BUF_STR(&g1, "one");
    buf_clear(&w0);
    buf_clear(&w1);
    buf_clear(&g0);
    buf_clear(&g1);
    for (int k = 0; k < 2; k++) {
        closes(c[k], s[k]);
        tls_session_free(c[k]);
        tls_session_free(s[k]);
    }
    pki_free(&p);
}

struct thread_pair {
    struct pki *p;
    int ok;
};

static void *
thread_pair_main(void *arg)
{
    struct thread_pair *tp = arg;
    struct tls_client_opts co = client_opts();
    struct tls_server_opts so = server_opts(tp->p);
    struct tls_session *c, *s;
    connect_ok(&co, &so, 0, &c, &s);
    transfer(c, s, "from a thread", 13, 0);
    tls_session_free(c);
    tls_session_free(s);
    tp->ok = 1;
    return NULL;
}

/*
 * Another thread's sessions use that thread's BIO, while this thread's
 * live on; the thread's BIO goes with the thread (a leak fails under ASan).
 */
TEST(tls_session_threads_have_their_own_bio)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_client_opts co = client_opts();
    struct tls_server_opts so = server_opts(&p);
    struct tls_session *c, *s;
    connect_ok(&co, &so, 0, &c, &s);
    struct thread_pair tp = {.p = &p};
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, thread_pair_main, &tp), 0);
    pthread_join(th, NULL);
    ASSERT(tp.ok);
    transfer(s, c, "still here", 10, 0);
    tls_session_free(c);
    tls_session_free(s);
    pki_free(&p);
}

TEST(tls_session_one_byte_at_a_time)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_client_opts co = client_opts();
    co.sni = "example.com";
    co.verify = 1;
    co.ca_file = p.ca_file;
    const char *alpn[] = {"h2", "http/1.1"};
    co.alpn = alpn;
    co.nalpn = 2;
    struct tls_server_opts so = server_opts(&p);
    so.alpn = alpn;
    so.nalpn = 2;
    struct tls_session *c, *s;
    connect_ok(&co, &so, 1, &c, &s);
    ASSERT_STREQ(tls_session_alpn(s), "h2");
    transfer(c, s, "hello", 5, 1);
    transfer(s, c, "world!", 6, 1);
    closes(c, s);
    tls_session_free(c);
    tls_session_free(s);
    pki_free(&p);
}

TEST(tls_session_alpn)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_client_opts co = client_opts();
    struct tls_server_opts so = server_opts(&p);
    struct tls_session *c, *s;

    /* The server's preference wins over the client's order. */
    const char *offer[] = {"http/1.1", "h2"};
    const char *accept[] = {"h2", "http/1.1"};
    co.alpn = offer;
    co.nalpn = 2;
    so.alpn = accept;
    so.nalpn = 2;
    connect_ok(&co, &so, 0, &c, &s);
    ASSERT_STREQ(tls_session_alpn(c), "h2");
    ASSERT_STREQ(tls_session_alpn(s), "h2");
    tls_session_free(c);
    tls_session_free(s);

    /* No overlap: no ALPN, and the handshake still succeeds. */
    const char *only_h2[] = {"h2"};
    const char *only_h1[] = {"http/1.1"};
    co.alpn = only_h2;
    co.nalpn = 1;
    so.alpn = only_h1;
    so.nalpn = 1;
    connect_ok(&co, &so, 0, &c, &s);
    ASSERT_STREQ(tls_session_alpn(c), NULL);
    ASSERT_STREQ(tls_session_alpn(s), NULL);
    tls_session_free(c);
    tls_session_free(s);

    /* A server session without protocols acknowledges none. */
    so.nalpn = 0;
    connect_ok(&co, &so, 0, &c, &s);
    ASSERT_STREQ(tls_session_alpn(c), NULL);
    tls_session_free(c);
    tls_session_free(s);

    /* Bad protocol names are refused up front. */
    struct err e = {0};
    const char *empty[] = {""};
    co.alpn = empty;
    ASSERT(tls_session_new_client(&co, &e) == NULL);
    ASSERT_EQ(e.code, MP_ERR_INVAL);
    pki_free(&p);
}

TEST(tls_session_sni)
{
    struct err e = {0};
    struct buf hello = BUF_INIT;
    struct tls_client_opts co = client_opts();
    co.sni = "sni.example.org";
    struct tls_session *c = tls_session_new_client(&co, &e);
    ASSERT_EQ(tls_session_handshake(c, &e), 0);
    tls_session_take_output(c, &hello);
    /* The ClientHello is plaintext, so the name is there to see. */
    ASSERT(memmem(buf_ptr(&hello), hello.len, "sni.example.org", 15) != NULL);
    tls_session_free(c);
    buf_clear(&hello);

    /* An IP address is no server name (RFC 6066), so none is sent. */
    co.sni = "192.0.2.77";
    c = tls_session_new_client(&co, &e);
    ASSERT_EQ(tls_session_handshake(c, &e), 0);
    tls_session_take_output(c, &hello);
    ASSERT(hello.len > 0);
    ASSERT(memmem(buf_ptr(&hello), hello.len, "192.0.2.77", 10) == NULL);
    tls_session_free(c);
    buf_clear(&hello);
}

TEST(tls_session_verify_ok)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com,DNS:*.example.net,IP:10.0.0.1");
    struct tls_client_opts co = client_opts();
    co.verify = 1;
    co.ca_file = p.ca_file;
    co.sni = "example.com";
    struct tls_server_opts so = server_opts(&p);
    struct tls_session *c, *s;
    connect_ok(&co, &so, 0, &c, &s);
    tls_session_free(c);
    tls_session_free(s);

    /* A wildcard, and verify_host taking precedence over SNI. */
    co.verify_host = "www.example.net";
    connect_ok(&co, &so, 0, &c, &s);
    tls_session_free(c);
    tls_session_free(s);

    /* An IP address is checked against the IP SANs. */
    co.sni = NULL;
    co.verify_host = "10.0.0.1";
    connect_ok(&co, &so, 0, &c, &s);
    tls_session_free(c);
    tls_session_free(s);
    pki_free(&p);
}

TEST(tls_session_verify_wrong_name)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com,IP:10.0.0.1");
    struct tls_client_opts co = client_opts();
    co.verify = 1;
    co.ca_file = p.ca_file;
    co.sni = "other.org";
    struct tls_server_opts so = server_opts(&p);
    struct err ce = {0}, se = {0};
    connect_fail(&co, &so, &ce, &se);
    ASSERT_STREQ(ce.msg, "certificate verify failed: hostname mismatch (CN=example.com, "
                         "expected other.org)");
    ASSERT(strstr(se.msg, "the client") != NULL);

    co.sni = NULL;
    co.verify_host = "10.0.0.2";
    connect_fail(&co, &so, &ce, &se);
    ASSERT_STREQ(ce.msg, "certificate verify failed: IP address mismatch (CN=example.com, "
                         "expected 10.0.0.2)");
    pki_free(&p);
}

TEST(tls_session_verify_untrusted)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_client_opts co = client_opts();
    co.verify = 1;
    co.sni = "example.com";
    struct tls_server_opts so = server_opts(&p);
    struct err ce = {0}, se = {0};
    connect_fail(&co, &so, &ce, &se);
    ASSERT_STREQ(
        ce.msg,
        "certificate verify failed: unable to get local issuer certificate (CN=example.com)");
    ASSERT_STREQ(se.msg, "the client rejected our certificate (alert: unknown ca)");
    pki_free(&p);

    /* Without verification the same certificate is fine. */
    pki_init(&p, "example.com", "DNS:example.com");
    co.verify = 0;
    struct tls_session *c, *s;
    connect_ok(&co, &so, 0, &c, &s);
    ASSERT_STREQ(tls_session_peer_cn(c), "example.com");
    tls_session_free(c);
    tls_session_free(s);
    pki_free(&p);
}

TEST(tls_session_verify_self_signed)
{
    struct pki p;
    pki_init(&p, "localhost", "DNS:localhost");
    X509_free(p.leaf);
    p.leaf = make_cert("localhost", "DNS:localhost", p.key, NULL, NULL, 0);
    p.l.cert = p.leaf;
    struct tls_client_opts co = client_opts();
    co.verify = 1;
    co.sni = "localhost";
    struct tls_server_opts so = server_opts(&p);
    struct err ce = {0}, se = {0};
    connect_fail(&co, &so, &ce, &se);
    ASSERT_STREQ(ce.msg, "certificate verify failed: self-signed certificate (CN=localhost)");
    pki_free(&p);
}

TEST(tls_session_versions)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_client_opts co = client_opts();
    co.max_version = TLS_VER_TLS1_2;
    struct tls_server_opts so = server_opts(&p);
    struct tls_session *c, *s;
    connect_ok(&co, &so, 0, &c, &s);
    ASSERT_STREQ(tls_session_version(c), "TLSv1.2");
    ASSERT_STREQ(tls_session_version(s), "TLSv1.2");
    transfer(c, s, "x", 1, 0);
    closes(c, s);
    tls_session_free(c);
    tls_session_free(s);

    so.min_version = TLS_VER_TLS1_3;
    struct err ce = {0}, se = {0};
    connect_fail(&co, &so, &ce, &se);
    ASSERT(strstr(ce.msg, "cannot agree on a TLS version") != NULL);
    ASSERT(strstr(ce.msg, "tls_version_server_min") != NULL);
    ASSERT(strstr(se.msg, "cannot agree on a TLS version") != NULL);
    ASSERT(strstr(se.msg, "tls_version_client_min") != NULL);

    /* Old versions are allowed when asked for. */
    so.min_version = TLS_VER_TLS1;
    co.min_version = TLS_VER_TLS1;
    co.max_version = TLS_VER_TLS1;
    connect_ok(&co, &so, 0, &c, &s);
    ASSERT_STREQ(tls_session_version(c), "TLSv1");
    tls_session_free(c);
    tls_session_free(s);
    pki_free(&p);
}

TEST(tls_session_peer_names)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com,DNS:*.example.com,IP:10.0.0.1,IP:2001:db8::1");
    struct tls_client_opts co = client_opts();
    struct tls_server_opts so = server_opts(&p);
    struct tls_session *c, *s;
    connect_ok(&co, &so, 0, &c, &s);
    ASSERT_STREQ(tls_session_peer_cn(c), "example.com");
    const char *const *sans;
    ASSERT_EQ(tls_session_peer_sans(c, &sans), 4);
    ASSERT_STREQ(sans[0], "example.com");
    ASSERT_STREQ(sans[1], "*.example.com");
    ASSERT_STREQ(sans[2], "10.0.0.1");
    ASSERT_STREQ(sans[3], "2001:db8::1");
    /* The client presented no certificate. */
    ASSERT_STREQ(tls_session_peer_cn(s), NULL);
    ASSERT_EQ(tls_session_peer_sans(s, &sans), 0);
    tls_session_free(c);
    tls_session_free(s);
    pki_free(&p);
}

/* x as PEM_write_bio_X509() writes it, appended to out. */
static void
reference_pem(X509 *x, struct buf *out)
{
    BIO *b = BIO_new(BIO_s_mem());
    ASSERT(b != NULL && PEM_write_bio_X509(b, x));
    char *p;
    long n = BIO_get_mem_data(b, &p);
    buf_append(out, p, (size_t)n);
    BIO_free(b);
}

/* The certificates the server sent, as PEM: the leaf, then its chain,
 * each byte for byte as OpenSSL's PEM writer gives it (64 characters a
 * line, the last one shorter), appended to what out holds. */
TEST(tls_session_peer_cert_pem_chain)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    STACK_OF(X509) *chain = sk_X509_new_null();
    ASSERT(chain && sk_X509_push(chain, p.ca));
    p.l.chain = chain;
    struct tls_client_opts co = client_opts();
    struct tls_server_opts so = server_opts(&p);
    struct tls_session *c, *s;
    connect_ok(&co, &so, 0, &c, &s);
    X509 *want[] = {p.leaf, p.ca};
    struct buf got = BUF_INIT, ref = BUF_INIT;
    for (size_t i = 0; i < 2; i++) {
        buf_append(&got, "x", 1); /* appends after what is there */
        ASSERT_EQ(tls_session_peer_cert_pem(c, i, &got), 0);
        buf_append(&ref, "x", 1);
        reference_pem(want[i], &ref);
        ASSERT_MEMEQ(buf_ptr(&got), got.len, buf_ptr(&ref), ref.len);
    }
    ASSERT_EQ(tls_session_peer_cert_pem(c, 2, &got), -1);
    ASSERT_EQ(got.len, ref.len);
    buf_clear(&got);
    buf_clear(&ref);
    tls_session_free(c);
    tls_session_free(s);
    sk_X509_free(chain);
    pki_free(&p);
}

static size_t
count_lines(const char *text, const char *prefix)
{
    size_t n = 0;
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        n += strncmp(l, prefix, strlen(prefix)) == 0;
    return n;
}

TEST(tls_session_keylog)
{
    char path[] = "/tmp/mp-test-keylog-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    unlink(path);
    struct err e = {0};
    ASSERT_EQ(tls_keylog_open(path, &e), 0);
    struct stat st;
    ASSERT_EQ(stat(path, &st), 0);
    ASSERT_EQ(st.st_mode & 0777, 0600);

    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_client_opts co = client_opts();
    struct tls_server_opts so = server_opts(&p);
    struct tls_session *c, *s;
    connect_ok(&co, &so, 0, &c, &s);
    tls_session_free(c);
    tls_session_free(s);
    co.max_version = TLS_VER_TLS1_2;
    connect_ok(&co, &so, 0, &c, &s);
    tls_session_free(c);
    tls_session_free(s);
    ASSERT_EQ(tls_keylog_open(NULL, &e), 0);

    FILE *f = fopen(path, "r");
    char text[8192];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    /* Both ends log, so every secret shows up twice. */
    ASSERT_EQ(count_lines(text, "CLIENT_HANDSHAKE_TRAFFIC_SECRET "), 2);
    ASSERT_EQ(count_lines(text, "SERVER_TRAFFIC_SECRET_0 "), 2);
    ASSERT_EQ(count_lines(text, "CLIENT_RANDOM "), 2);
    ASSERT(n > 0 && text[n - 1] == '\n');
    pki_free(&p);

    ASSERT(tls_keylog_open("/nonexistent/dir/keys", &e) == MP_ERR_IO);
    ASSERT(strstr(e.msg, "/nonexistent/dir/keys") != NULL);
}

TEST(tls_session_not_tls)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_server_opts so = server_opts(&p);
    struct err e = {0};
    struct tls_session *s = tls_session_new_server(&so, &e);
    const char *req = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    tls_session_feed(s, (const uint8_t *)req, strlen(req));
    ASSERT_EQ(tls_session_handshake(s, &e), MP_ERR_PROTOCOL);
    ASSERT_STREQ(e.msg, "the client does not speak TLS");
    tls_session_free(s);

    struct tls_client_opts co = client_opts();
    struct tls_session *c = tls_session_new_client(&co, &e);
    ASSERT_EQ(tls_session_handshake(c, &e), 0);
    const char *resp = "HTTP/1.1 400 Bad Request\r\n\r\n";
    tls_session_feed(c, (const uint8_t *)resp, strlen(resp));
    ASSERT_EQ(tls_session_handshake(c, &e), MP_ERR_PROTOCOL);
    ASSERT_STREQ(e.msg, "the server does not speak TLS");
    tls_session_free(c);
    pki_free(&p);
}

TEST(tls_session_bad_options)
{
    struct err e = {0};
    struct tls_server_opts so = {0};
    ASSERT(tls_session_new_server(&so, &e) == NULL);
    ASSERT_EQ(e.code, MP_ERR_INVAL);

    struct tls_client_opts co = client_opts();
    co.verify = 1;
    co.ca_file = "/nonexistent/ca.pem";
    ASSERT(tls_session_new_client(&co, &e) == NULL);
    ASSERT(strstr(e.msg, "/nonexistent/ca.pem") != NULL);

    co = client_opts();
    co.client_cert_file = "/nonexistent/client.pem";
    ASSERT(tls_session_new_client(&co, &e) == NULL);
    ASSERT(strstr(e.msg, "/nonexistent/client.pem") != NULL);

    /* Writing before the handshake is a caller's mistake, reported. */
    co = client_opts();
    struct tls_session *c = tls_session_new_client(&co, &e);
    ASSERT_EQ(tls_session_write(c, (const uint8_t *)"x", 1, &e), MP_ERR_INCOMPLETE);
    tls_session_close_notify(c);
    tls_session_free(c);
}

/*
 * One connection of a client that keeps sessions for server_host:port:
 * handshake, a request and an answer (which carries the TLS 1.3 ticket to
 * the client), then close. Returns whether the client resumed, after
 * checking that both sides agree and that the server's names are known
 * either way (upstream certificate sniffing needs them).
 */
static int
visit_ending(const struct tls_client_opts *co, const struct tls_server_opts *so, int clean)
{
    struct tls_session *c, *s;
    connect_ok(co, so, 0, &c, &s);
    transfer(c, s, "GET / HTTP/1.1\r\n\r\n", 18, 0);
    transfer(s, c, "HTTP/1.1 204 No Content\r\n\r\n", 27, 0);
    int resumed = tls_session_resumed(c);
    ASSERT_EQ(tls_session_resumed(s), resumed);
    ASSERT_STREQ(tls_session_peer_cn(c), "example.com");
    struct buf pem = BUF_INIT;
    ASSERT_EQ(tls_session_peer_cert_pem(c, 0, &pem), 0);
    buf_clear(&pem);
    if (clean)
        closes(c, s);
    tls_session_free(c);
    tls_session_free(s);
    return resumed;
}

static int
visit(const struct tls_client_opts *co, const struct tls_server_opts *so)
{
    return visit_ending(co, so, 1);
}

static void
resumes(enum tls_version max)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_client_opts co = client_opts();
    co.max_version = max;
    co.sni = "example.com";
    co.verify = 1;
    co.ca_file = p.ca_file;
    co.server_host = "203.0.113.7";
    co.server_port = 443;
    struct tls_server_opts so = server_opts(&p);
    ASSERT_EQ(visit(&co, &so), 0);
    ASSERT_EQ(visit(&co, &so), 1);
    ASSERT_EQ(visit(&co, &so), 1);

    /* Another port, another SNI or no cache key: a server of its own. */
    co.server_port = 8443;
    ASSERT_EQ(visit(&co, &so), 0);
    ASSERT_EQ(visit(&co, &so), 1);
    co.server_port = 443;
    co.sni = "www.example.com";
    co.verify_host = "example.com";
    ASSERT_EQ(visit(&co, &so), 0);
    co.sni = "example.com";
    co.verify_host = NULL;
    co.server_host = NULL;
    ASSERT_EQ(visit(&co, &so), 0);
    co.server_host = "203.0.113.7";
    ASSERT_EQ(visit(&co, &so), 1);

    /* A session made without verification is never offered where
     * verification is on (it would skip it), and the other way round. */
    co.verify = 0;
    ASSERT_EQ(visit(&co, &so), 0);
    ASSERT_EQ(visit(&co, &so), 1);
    co.verify = 1;
    ASSERT_EQ(visit(&co, &so), 1); /* the verified session, still there */

    /* Server contexts differ by versions; they share the ticket keys, so a
     * ticket one issued opens under the other. */
    so.max_version = max == TLS_VER_TLS1_2 ? TLS_VER_TLS1_2 : TLS_VER_TLS1_3;
    ASSERT_EQ(visit(&co, &so), 1);

    /* A connection torn down without our close_notify (the server closed
     * first, an error, a kill) leaves its server's session resumable:
     * OpenSSL marks the SSL's own session object spent when it is freed
     * that way, and the cache must not share that object. Twice, so that a
     * resumed connection torn down so is covered too. */
    co.server_port = 9443;
    ASSERT_EQ(visit_ending(&co, &so, 0), 0);
    ASSERT_EQ(visit_ending(&co, &so, 0), 1);
    ASSERT_EQ(visit_ending(&co, &so, 0), 1);
    ASSERT_EQ(visit(&co, &so), 1);
    pki_free(&p);
}

TEST(tls_session_resume_tls13) { resumes(TLS_VER_UNBOUNDED); }

TEST(tls_session_resume_tls12) { resumes(TLS_VER_TLS1_2); }

/* Which ciphers_client lists need an RSA leaf: those with no ECDSA suite. */
TEST(tls_session_ciphers_want_rsa)
{
    ASSERT_EQ(tls_ciphers_want_rsa("ECDHE-RSA-AES128-GCM-SHA256"), 1);
    ASSERT_EQ(tls_ciphers_want_rsa("ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA"), 1);
    ASSERT_EQ(tls_ciphers_want_rsa("ECDHE-ECDSA-AES128-GCM-SHA256"), 0);
    ASSERT_EQ(tls_ciphers_want_rsa("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA"), 0);
    ASSERT_EQ(tls_ciphers_want_rsa("HIGH"), 0);
    ASSERT_EQ(tls_ciphers_want_rsa("no-such-cipher"), 0);
    ASSERT_EQ(tls_ciphers_want_rsa(""), 0);
    ASSERT_EQ(tls_ciphers_want_rsa(NULL), 0);
}

/* Contexts made before a key log opens log to it once it is open, and stop
 * when it closes (the callback is set on them only meanwhile). */
TEST(tls_session_keylog_follows_open_and_close)
{
    char path[] = "/tmp/mp-test-keylog-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    unlink(path);
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_client_opts co = client_opts();
    struct tls_server_opts so = server_opts(&p);
    struct tls_session *c, *s;
    connect_ok(&co, &so, 0, &c, &s); /* the contexts exist now */
    tls_session_free(c);
    tls_session_free(s);

    struct err e = {0};
    ASSERT_EQ(tls_keylog_open(path, &e), 0);
    connect_ok(&co, &so, 0, &c, &s);
    tls_session_free(c);
    tls_session_free(s);
    ASSERT_EQ(tls_keylog_open(NULL, &e), 0);
    connect_ok(&co, &so, 0, &c, &s);
    tls_session_free(c);
    tls_session_free(s);

    FILE *f = fopen(path, "r");
    ASSERT(f != NULL);
    char text[8192];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    /* One connection's worth: both ends, once. */
    ASSERT_EQ(count_lines(text, "SERVER_TRAFFIC_SECRET_0 "), 2);
    pki_free(&p);
}

/*
 * A plain OpenSSL peer (not ours) against one of our sessions: what a
 * browser or an origin server sees. raw gets memory BIOs; the handshake
 * runs until both sides are done, then raw reads once so that the tickets
 * that follow our server's handshake reach it.
 */
static void
raw_pair(SSL *raw, struct tls_session *ours)
{
    BIO *rin = BIO_new(BIO_s_mem()), *rout = BIO_new(BIO_s_mem());
    ASSERT(rin && rout);
    SSL_set_bio(raw, rin, rout);
    struct err e = {0};
    struct buf wire = BUF_INIT;
    int rr = 0, ro = 0;
    for (int i = 0; i < 100 && (rr != 1 || ro != 1); i++) {
        if (rr != 1)
            rr = SSL_do_handshake(raw);
        char *p;
        long n = BIO_get_mem_data(rout, &p);
        if (n > 0) {
            tls_session_feed(ours, (const uint8_t *)p, (size_t)n);
            (void)BIO_reset(rout);
        }
        if (ro != 1)
            ro = tls_session_handshake(ours, &e);
        ASSERT(ro >= 0);
        tls_session_take_output(ours, &wire);
        if (wire.len) {
            ASSERT_EQ(BIO_write(rin, buf_ptr(&wire), (int)wire.len), (int)wire.len);
            buf_reset(&wire);
        }
    }
    ASSERT_EQ(rr, 1);
    ASSERT_EQ(ro, 1);
    char c;
    int r = SSL_read(raw, &c, 1);
    ASSERT(r <= 0);
    ASSERT_EQ(SSL_get_error(raw, r), SSL_ERROR_WANT_READ);
    buf_clear(&wire);
}

static int tickets;
static SSL_SESSION *last_ticket;

static int
on_ticket(SSL *ssl, SSL_SESSION *sess)
{
    tickets++;
    SSL_SESSION_free(last_ticket);
    last_ticket = sess;
    return 1; /* the reference is ours */
}

/*
 * Our server side sends one TLS 1.3 ticket per handshake, not OpenSSL's
 * two (each costs an encryption and a record), and that one ticket brings
 * the client back without a certificate. It also prefers AES-128-GCM,
 * whose key schedule hashes with SHA-256, over the AES-256-GCM that
 * OpenSSL's clients offer first.
 */
TEST(tls_session_server_one_ticket_resumes)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    struct tls_server_opts so = server_opts(&p);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    ASSERT(ctx != NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_ticket);
    tickets = 0;
    struct err e = {0};
    for (int visit = 0; visit < 3; visit++) {
        SSL *raw = SSL_new(ctx);
        ASSERT(raw != NULL);
        SSL_set_connect_state(raw);
        if (last_ticket)
            ASSERT_EQ(SSL_set_session(raw, last_ticket), 1);
        struct tls_session *s = tls_session_new_server(&so, &e);
        ASSERT(s != NULL);
        raw_pair(raw, s);
        ASSERT_EQ(tickets, visit + 1);
        ASSERT_EQ(tls_session_resumed(s), visit > 0);
        ASSERT_EQ(SSL_session_reused(raw), visit > 0);
        ASSERT_STREQ(tls_session_version(s), "TLSv1.3");
        ASSERT_STREQ(tls_session_cipher(s), "TLS_AES_128_GCM_SHA256");
        /* Without its close_notify OpenSSL would mark the ticket spent. */
        SSL_shutdown(raw);
        SSL_free(raw);
        tls_session_free(s);
    }
    SSL_SESSION_free(last_ticket);
    last_ticket = NULL;
    SSL_CTX_free(ctx);
    pki_free(&p);
}

/* Towards servers we offer AES-128-GCM first, so a server that follows the
 * client's order (nginx's default) picks it. */
TEST(tls_session_client_offers_aes128_first)
{
    struct pki p;
    pki_init(&p, "example.com", "DNS:example.com");
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    ASSERT(ctx != NULL);
    ASSERT_EQ(SSL_CTX_use_certificate(ctx, p.leaf), 1);
    ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx, p.key), 1);
    SSL *raw = SSL_new(ctx);
    ASSERT(raw != NULL);
    SSL_set_accept_state(raw);
    struct tls_client_opts co = client_opts();
    struct err e = {0};
    struct tls_session *c = tls_session_new_client(&co, &e);
    ASSERT(c != NULL);
    /* The client speaks first: its ClientHello goes out on the first call. */
    ASSERT_EQ(tls_session_handshake(c, &e), 0);
    raw_pair(raw, c);
    ASSERT_STREQ(SSL_get_cipher_name(raw), "TLS_AES_128_GCM_SHA256");
    ASSERT_STREQ(tls_session_cipher(c), "TLS_AES_128_GCM_SHA256");
    SSL_free(raw);
    tls_session_free(c);
    SSL_CTX_free(ctx);
    pki_free(&p);
}
