/*
 * Tests for the certificate summary: values pinned from 8.1.1's
 * cert_to_json (mitmproxy.tools.web.app) on the same certificates, one
 * from a fixture flow file's certificate_list, one EC certificate with
 * every kind of name.
 */
#include <string.h>

#include "../lib/tca.h"
#include "../lib/test.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "tls/certinfo.h"


/* The leaf PEM of the first flow in https-connect.mitm, as read from the file. */
static struct tns *
fixture_leaf(struct flow **fp)
{
    struct err e = {0};
    struct ffile_reader *r = ffile_reader_open(test_fixture("flows/https-connect.mitm"), &e);
    ASSERT(r != NULL);
    ASSERT_EQ(ffile_read(r, fp, &e), 1);
    ffile_reader_free(r);
    struct tns *l = tns_dict_get((*fp)->server_conn->extra, "certificate_list");
    ASSERT(l && l->type == TNS_LIST && l->u.list.n == 1);
    return l->u.list.v[0];
}

TEST(certinfo_fixture_rsa)
{
    struct flow *f;
    struct tns *pem = fixture_leaf(&f);
    struct tls_certinfo ci;
    struct err e = {0};
    ASSERT_EQ(tls_certinfo_parse(&ci, pem->u.str.p, pem->u.str.len, &e), 0);
    ASSERT_STREQ(ci.keytype, "RSA");
    ASSERT_EQ(ci.keybits, 2048);
    ASSERT_STREQ(ci.sha256, "0ebf5d83a08a4053ca629de6e3c7577aed54c496dc921e12e6fb222524217e4b");
    ASSERT_EQ(ci.notbefore, 1795465151);
    ASSERT_EQ(ci.notafter, 2110825151);
    ASSERT_STREQ(ci.serial, "220729961779662935669251190046790574067154290351");
    ASSERT_EQ(ci.nsubject, 1);
    ASSERT_STREQ(ci.subject[0].name, "CN");
    ASSERT_STREQ(ci.subject[0].value, "localhost");
    ASSERT_EQ(ci.nissuer, 1);
    ASSERT_STREQ(ci.issuer[0].name, "CN");
    ASSERT_STREQ(ci.issuer[0].value, "localhost");
    ASSERT_EQ(ci.naltnames, 2);
    ASSERT_STREQ(ci.altnames[0], "localhost");
    ASSERT_STREQ(ci.altnames[1], "127.0.0.1");
    char spaced[96];
    tls_certinfo_sha256_spaced(&ci, spaced, sizeof(spaced));
    ASSERT_STREQ(spaced, "0e bf 5d 83 a0 8a 40 53 ca 62 9d e6 e3 c7 57 7a ed 54 c4 96 dc 92 1e 12 "
                         "e6 fb 22 25 24 21 7e 4b");
    tls_certinfo_clear(&ci);
    flow_unref(f);
}

TEST(certinfo_ec_names)
{
    struct tls_certinfo ci;
    struct err e = {0};
    ASSERT_EQ(tls_certinfo_parse(&ci, tca_ec_pem, strlen(tca_ec_pem), &e), 0);
    ASSERT_STREQ(ci.keytype, "EC (secp384r1)");
    ASSERT_EQ(ci.keybits, 384);
    ASSERT_STREQ(ci.sha256, "8debc49094bd23405377c43013bb6b683213edeb8011ce9e523a5170ab87b050");
    ASSERT_EQ(ci.notbefore, 1796553897);
    ASSERT_EQ(ci.notafter, 2111913897);
    ASSERT_STREQ(ci.serial, "519354213568899775994472453106917629439929234122");
    static const char *const want[][2] = {
        {"C", "DE"},
        {"O", "Ex\xc3\x83\xc2\xa4mple GmbH"},
        {"OU", "Lab"},
        {"CN", "ec.example.org"},
        {"1.2.840.113549.1.9.1", "a@example.org"},
    };
    ASSERT_EQ(ci.nsubject, 5);
    ASSERT_EQ(ci.nissuer, 5);
    for (size_t i = 0; i < 5; i++) {
        ASSERT_STREQ(ci.subject[i].name, want[i][0]);
        ASSERT_STREQ(ci.subject[i].value, want[i][1]);
        ASSERT_STREQ(ci.issuer[i].name, want[i][0]);
        ASSERT_STREQ(ci.issuer[i].value, want[i][1]);
    }
    /* DNS names first, then addresses; the email name is not listed. */
    static const char *const alt[] = {"ec.example.org", "*.example.org", "2001:db8::1",
                                      "::ffff:102:304", "10.0.0.1"};
    ASSERT_EQ(ci.naltnames, 5);
    for (size_t i = 0; i < 5; i++)
        ASSERT_STREQ(ci.altnames[i], alt[i]);
    tls_certinfo_clear(&ci);
}

TEST(certinfo_bad_input)
{
    static const char *const bad[] = {
        "",
        "hello",
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nMIICxjCCAk2gAwIBAgIUWvil\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tls_certinfo ci;
        struct err e = {0};
        ASSERT_EQ(tls_certinfo_parse(&ci, bad[i], strlen(bad[i]), &e), MP_ERR_SYNTAX);
        ASSERT_STREQ(e.msg, "certificate: not a PEM certificate");
        tls_certinfo_clear(&ci); /* clearing an unfilled one is harmless */
    }
    /* The PEM cut short anywhere is an error, never a crash. */
    for (size_t n = 0; n < strlen(tca_ec_pem); n += 7) {
        struct tls_certinfo ci;
        ASSERT(tls_certinfo_parse(&ci, tca_ec_pem, n, NULL) < 0);
    }
}
