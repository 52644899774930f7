/*
 * Certificate chains kept once each: the same DER bytes give the same
 * chain, its PEM is byte for byte OpenSSL's, and a flow file written from a
 * shared chain reads back as the certificate_list a loaded flow keeps.
 */
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "../lib/test.h"
#include "flow/certchain.h"
#include "flow/connection.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "flow/internal.h"
#include "flow/tnetstring.h"

/* PEM_write_bio() of "CERTIFICATE" is what PEM_write_bio_X509() writes. */
static void
openssl_pem(const uint8_t *der, size_t n, struct buf *out)
{
    BIO *b = BIO_new(BIO_s_mem());
    ASSERT(b != NULL);
    ASSERT(PEM_write_bio(b, "CERTIFICATE", "", der, (long)n) > 0);
    char *p;
    long len = BIO_get_mem_data(b, &p);
    buf_append(out, p, (size_t)len);
    BIO_free(b);
}

TEST(certchain_pem_is_openssls)
{
    /* Every length up to three lines and a bit: both paddings, whole lines. */
    uint8_t der[200];
    for (size_t i = 0; i < sizeof(der); i++)
        der[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 1; n <= sizeof(der); n++) {
        const uint8_t *p[] = {der};
        size_t len[] = {n};
        struct certchain *c = certchain_get(p, len, 1);
        struct buf want = BUF_INIT;
        openssl_pem(der, n, &want);
        size_t got_len = 0;
        const char *got = certchain_pem(c, 0, &got_len);
        ASSERT(got != NULL);
        ASSERT_MEMEQ(got, got_len, buf_ptr(&want), want.len);
        ASSERT_EQ(got[got_len], '\0');
        buf_clear(&want);
        certchain_unref(c);
    }
    ASSERT_EQ(certchain_count(), 0);
}

TEST(certchain_same_bytes_same_chain)
{
    static const uint8_t leaf[] = "leaf certificate bytes", ca[] = "intermediate bytes",
                         other[] = "leaf certificate bytez";
    const uint8_t *p[] = {leaf, ca};
    size_t len[] = {sizeof(leaf), sizeof(ca)};
    ASSERT(certchain_get(p, len, 0) == NULL);
    struct certchain *a = certchain_get(p, len, 2);
    struct certchain *b = certchain_get(p, len, 2);
    ASSERT(a == b);
    ASSERT_EQ(certchain_len(a), 2);
    ASSERT_EQ(certchain_count(), 1);

    /* A byte, a length or a certificate less makes another chain. */
    const uint8_t *q[] = {other, ca};
    struct certchain *c = certchain_get(q, len, 2);
    struct certchain *d = certchain_get(p, len, 1);
    size_t shorter[] = {sizeof(leaf) - 1, sizeof(ca)};
    struct certchain *e = certchain_get(p, shorter, 2);
    ASSERT(c != a && d != a && e != a && c != d && d != e && c != e);
    ASSERT_EQ(certchain_len(d), 1);
    ASSERT_EQ(certchain_count(), 4);
    size_t n = 0;
    ASSERT(certchain_pem(d, 1, &n) == NULL);

    /* The last reference takes it out: the same bytes then make a new one. */
    certchain_unref(b);
    ASSERT_EQ(certchain_count(), 4);
    struct certchain *r = certchain_ref(a);
    certchain_unref(a);
    certchain_unref(r);
    certchain_unref(c);
    certchain_unref(d);
    certchain_unref(e);
    certchain_unref(NULL);
    ASSERT_EQ(certchain_count(), 0);
}

TEST(certchain_many_chains_grow_the_table)
{
    struct certchain *c[100];
    uint32_t v[100];
    for (uint32_t i = 0; i < 100; i++) {
        v[i] = i * 2654435761u;
        const uint8_t *p[] = {(const uint8_t *)&v[i]};
        size_t len[] = {sizeof(v[i])};
        c[i] = certchain_get(p, len, 1);
    }
    ASSERT_EQ(certchain_count(), 100);
    for (uint32_t i = 0; i < 100; i++) {
        const uint8_t *p[] = {(const uint8_t *)&v[i]};
        size_t len[] = {sizeof(v[i])};
        struct certchain *again = certchain_get(p, len, 1);
        ASSERT(again == c[i]);
        certchain_unref(again);
    }
    for (int i = 99; i >= 0; i--)
        certchain_unref(c[i]);
    ASSERT_EQ(certchain_count(), 0);
}

/* A shared chain is written as the list of PEM bytes a loaded flow keeps in
 * extra, and a copy of the connection shares it. */
TEST(certchain_written_as_certificate_list)
{
    static const uint8_t leaf[] = "a leaf", ca[] = "its issuer";
    const uint8_t *p[] = {leaf, ca};
    size_t len[] = {sizeof(leaf), sizeof(ca)};
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    sc->certs = certchain_get(p, len, 2);
    struct flow *f = flow_new_tcp(cc, sc);
    struct buf out = BUF_INIT;
    ffile_serialize(&out, f);

    struct flow *g = NULL;
    size_t used = 0;
    struct err e = {0};
    if (ffile_deserialize(buf_ptr(&out), out.len, &used, &g, &e) != 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    ASSERT(g->server_conn->certs == NULL);
    const struct tns *l = tns_dict_get(g->server_conn->extra, "certificate_list");
    ASSERT(l != NULL && l->type == TNS_LIST);
    ASSERT_EQ(l->u.list.n, 2);
    for (size_t i = 0; i < 2; i++) {
        size_t n = 0;
        const char *pem = certchain_pem(sc->certs, i, &n);
        ASSERT_EQ(l->u.list.v[i]->type, TNS_BYTES);
        ASSERT_MEMEQ(l->u.list.v[i]->u.str.p, l->u.list.v[i]->u.str.len, pem, n);
    }
    /* The leaf reads the same from either. */
    size_t n1 = 0, n2 = 0;
    const char *a = connection_leaf_pem(sc, &n1), *b = connection_leaf_pem(g->server_conn, &n2);
    ASSERT(a != NULL && b != NULL);
    ASSERT_MEMEQ(a, n1, b, n2);
    ASSERT(connection_leaf_pem(cc, &n1) == NULL);

    /* Written again from the loaded flow: the same bytes. */
    struct buf again = BUF_INIT;
    ffile_serialize(&again, g);
    ASSERT_MEMEQ(buf_ptr(&again), again.len, buf_ptr(&out), out.len);

    struct connection *copy = connection_copy(sc);
    ASSERT(copy->certs == sc->certs);
    connection_unref(copy);
    buf_clear(&out);
    buf_clear(&again);
    flow_unref(f);
    flow_unref(g);
    connection_unref(cc);
    connection_unref(sc);
    ASSERT_EQ(certchain_count(), 0);
}
