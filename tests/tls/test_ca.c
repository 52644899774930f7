/*
 * Tests for the conf dir CA. Generating an RSA key is the slow part, so only
 * ca_create and ca_leaf make a CA of their own; ca_mitmproxy_interop lets
 * mitmproxy 8.1.1 make one, and the error tests never get that far.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../lib/tca.h"
#include "../lib/test.h"
#include "tls/ca.h"
#include "tls/session.h"
#include "util/xmalloc.h"

static const char *const ca_files[] = {
    "mitmproxy-ca.pem",      "mitmproxy-ca-cert.pem", "mitmproxy-ca-cert.cer",
    "mitmproxy-ca-cert.p12", "mitmproxy-ca.p12",      "mitmproxy-dhparam.pem",
};

static char *
tmpdir(void)
{
    char tmpl[] = "/tmp/mp-test-ca-XXXXXX";
    char *d = mkdtemp(tmpl);
    ASSERT(d != NULL);
    return xstrdup(d);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

static void
rm_rf(char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static char *
join(const char *a, const char *b)
{
    char *p = xmalloc(strlen(a) + strlen(b) + 2);
    sprintf(p, "%s/%s", a, b);
    return p;
}

/* The whole file, NUL-terminated, or NULL if it cannot be read. */
static char *
slurp(const char *dir, const char *name, size_t *len)
{
    char *path = join(dir, name);
    FILE *f = fopen(path, "rb");
    free(path);
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *data = xmalloc(cap + 1);
    n = fread(data, 1, cap, f);
    fclose(f);
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

static void
spit(const char *dir, const char *name, const char *data)
{
    char *path = join(dir, name);
    FILE *f = fopen(path, "wb");
    ASSERT(f != NULL);
    fputs(data, f);
    fclose(f);
    free(path);
}

static int
file_mode(const char *dir, const char *name)
{
    char *path = join(dir, name);
    struct stat st;
    int rc = stat(path, &st);
    free(path);
    return rc < 0 ? -1 : (int)(st.st_mode & 07777);
}

static X509 *
pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    ASSERT(x != NULL);
    return x;
}

static char *
name_text(const X509_NAME *name, int nid)
{
    static char buf[256];
    if (X509_NAME_get_text_by_NID(name, nid, buf, sizeof(buf)) < 0)
        return NULL;
    return buf;
}

/* X509_verify_cert() with a store that holds only ca, and the names checked. */
static void
assert_verifies(X509 *leaf, X509 *ca, const char *host, const char *ip)
{
    X509_STORE *store = X509_STORE_new();
    ASSERT(X509_STORE_add_cert(store, ca) == 1);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    ASSERT(X509_STORE_CTX_init(ctx, store, leaf, NULL) == 1);
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
    if (host)
        X509_VERIFY_PARAM_set1_host(param, host, 0);
    if (ip)
        X509_VERIFY_PARAM_set1_ip_asc(param, ip);
    int ok = X509_verify_cert(ctx);
    if (ok != 1)
        test_fail(__FILE__, __LINE__, "verify failed: %s",
                  X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
}

/* Seconds from now to t (negative when t is in the past). */
static long
secs_from_now(const ASN1_TIME *t)
{
    int days, secs;
    ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
    ASSERT(ASN1_TIME_diff(&days, &secs, now, t) == 1);
    ASN1_TIME_free(now);
    return days * 86400L + secs;
}

static bool
have_mitmproxy(void)
{
    return access("/usr/bin/python3", X_OK) == 0 &&
           access("/usr/lib/python3/dist-packages/mitmproxy/certs.py", R_OK) == 0;
}

/*
 * mitmproxy 8.1.1 and Python's cryptography read the directory we made: the
 * key PEM, both PKCS#12 files with their friendly names, and CertStore
 * loads it and signs a leaf that verifies against our CA.
 */
static const char py_check[] =
    "import sys\n"
    "from cryptography import x509\n"
    "from cryptography.hazmat.primitives import serialization\n"
    "from cryptography.hazmat.primitives.asymmetric import padding\n"
    "from cryptography.hazmat.primitives.serialization import pkcs12\n"
    "from mitmproxy.certs import CertStore\n"
    "d = sys.argv[1]\n"
    "raw = open(d + '/mitmproxy-ca.pem', 'rb').read()\n"
    "assert raw.startswith(b'-----BEGIN RSA PRIVATE KEY-----\\n'), raw[:40]\n"
    "key = serialization.load_pem_private_key(raw, None)\n"
    "pem = open(d + '/mitmproxy-ca-cert.pem', 'rb').read()\n"
    "ca = x509.load_pem_x509_certificate(pem)\n"
    "assert key.public_key().public_numbers() == ca.public_key().public_numbers()\n"
    "p = pkcs12.load_pkcs12(open(d + '/mitmproxy-ca.p12', 'rb').read(), None)\n"
    "assert p.key is not None and p.cert.certificate == ca\n"
    "assert p.cert.friendly_name == b'mitmproxy', p.cert.friendly_name\n"
    "p = pkcs12.load_pkcs12(open(d + '/mitmproxy-ca-cert.p12', 'rb').read(), None)\n"
    "assert p.key is None and p.cert is None and len(p.additional_certs) == 1\n"
    "assert p.additional_certs[0].certificate == ca\n"
    "assert p.additional_certs[0].friendly_name == b'mitmproxy'\n"
    "s = CertStore.from_store(d, 'mitmproxy', 2048)\n"
    "assert s.default_ca.to_pem() == pem\n"
    "e = s.get_cert('example.com', ['example.com'])\n"
    "c = e.cert._cert\n"
    "ca.public_key().verify(c.signature, c.tbs_certificate_bytes, padding.PKCS1v15(),\n"
    "                       c.signature_hash_algorithm)\n"
    "assert e.chain_file is None\n"
    "print('python interop ok')\n";

TEST(ca_create)
{
    char *tmp = tmpdir();
    char *dir = join(tmp, "a/conf");
    struct err e = {0};
    struct ca *ca = ca_load_or_create(dir, 2048, &e);
    if (ca == NULL)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    ASSERT_STREQ(ca_dir(ca), dir);
    ASSERT_EQ(file_mode(dir, "."), 0700);
    for (size_t i = 0; i < sizeof(ca_files) / sizeof(ca_files[0]); i++)
        ASSERT(file_mode(dir, ca_files[i]) >= 0);
    ASSERT_EQ(file_mode(dir, "mitmproxy-ca.pem"), 0600);
    ASSERT_EQ(file_mode(dir, "mitmproxy-ca.p12"), 0600);
    ASSERT_EQ(file_mode(dir, "mitmproxy-ca.pem.tmp"), -1);

    /* mitmproxy-ca.pem: the traditional RSA key, then the certificate. */
    char *capem = slurp(dir, "mitmproxy-ca.pem", NULL);
    char *certpem = slurp(dir, "mitmproxy-ca-cert.pem", NULL);
    char *cer = slurp(dir, "mitmproxy-ca-cert.cer", NULL);
    char *pem = ca_cert_pem(ca);
    ASSERT(strncmp(capem, "-----BEGIN RSA PRIVATE KEY-----\n", 32) == 0);
    ASSERT(strstr(capem, "-----END RSA PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\n"));
    ASSERT(strlen(capem) > strlen(certpem));
    ASSERT_STREQ(capem + strlen(capem) - strlen(certpem), certpem);
    ASSERT_STREQ(cer, certpem);
    ASSERT_STREQ(pem, certpem);

    char *dh = slurp(dir, "mitmproxy-dhparam.pem", NULL);
    ASSERT(strncmp(dh, "\n-----BEGIN DH PARAMETERS-----\nMIICCAKCAgEAyT6Lzpw", 49) == 0);
    ASSERT_EQ(strlen(dh), 770);

    /* The CA: self-signed, CA:TRUE (critical), CN and O mitmproxy, 10 years. */
    X509 *x = pem_cert(certpem);
    ASSERT_EQ(X509_check_issued(x, x), X509_V_OK);
    ASSERT_EQ(X509_verify(x, X509_get0_pubkey(x)), 1);
    ASSERT(X509_check_ca(x) >= 1);
    int crit = -1;
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
    ASSERT(bc != NULL && bc->ca && crit == 1);
    BASIC_CONSTRAINTS_free(bc);
    ASSERT(X509_get_key_usage(x) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    ASSERT(X509_get_extended_key_usage(x) == XKU_SSL_SERVER);
    ASSERT(X509_get0_subject_key_id(x) != NULL);
    ASSERT_STREQ(name_text(X509_get_subject_name(x), NID_commonName), "mitmproxy");
    ASSERT_STREQ(name_text(X509_get_subject_name(x), NID_organizationName), "mitmproxy");
    ASSERT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 2048);
    long nb = secs_from_now(X509_get0_notBefore(x)), na = secs_from_now(X509_get0_notAfter(x));
    ASSERT(nb <= -2 * 86400 + 5 && nb >= -2 * 86400 - 60);
    ASSERT(na >= 3650 * 86400L - 60 && na <= 3650 * 86400L + 5);

    /* The PKCS#12 files, passwordless, friendly name "mitmproxy". */
    size_t p12len;
    char *p12raw = slurp(dir, "mitmproxy-ca.p12", &p12len);
    const unsigned char *pp = (const unsigned char *)p12raw;
    PKCS12 *p12 = d2i_PKCS12(NULL, &pp, (long)p12len);
    ASSERT(p12 != NULL);
    EVP_PKEY *pkey = NULL;
    X509 *pcert = NULL;
    ASSERT(PKCS12_parse(p12, NULL, &pkey, &pcert, NULL) == 1);
    ASSERT(pkey != NULL && X509_cmp(pcert, x) == 0);
    ASSERT_STREQ((const char *)X509_alias_get0(pcert, NULL), "mitmproxy");
    EVP_PKEY_free(pkey);
    X509_free(pcert);
    PKCS12_free(p12);
    free(p12raw);

    /* Loading again uses the same CA and rewrites nothing. */
    ca_free(ca);
    ca = ca_load_or_create(dir, 2048, &e);
    ASSERT(ca != NULL);
    char *pem2 = ca_cert_pem(ca);
    ASSERT_STREQ(pem2, pem);
    char *capem2 = slurp(dir, "mitmproxy-ca.pem", NULL);
    ASSERT_STREQ(capem2, capem);
    ca_free(ca);

    /* mitmproxy itself uses the directory. */
    if (have_mitmproxy()) {
        spit(tmp, "check.py", py_check);
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/check.py %s", tmp, dir);
        ASSERT_EQ(system(cmd), 0);
    } else {
        fprintf(stderr, "mitmproxy 8.1.1 not installed: python interop skipped\n");
    }

    X509_free(x);
    free(capem);
    free(capem2);
    free(certpem);
    free(cer);
    free(pem);
    free(pem2);
    free(dh);
    free(dir);
    rm_rf(tmp);
}

static ASN1_INTEGER *
leaf_serial(struct ca *ca, const char *cn, const char *const *sans, size_t n)
{
    struct ca_leaf leaf;
    struct err e = {0};
    ASSERT_EQ(ca_leaf_get(ca, cn, sans, n, &leaf, &e), 0);
    return ASN1_INTEGER_dup(X509_get0_serialNumber(leaf.cert));
}

TEST(ca_leaf)
{
    char *dir = tmpdir();
    struct err e = {0};
    struct ca *ca = ca_load_or_create(dir, 2048, &e);
    ASSERT(ca != NULL);
    char *pem = ca_cert_pem(ca);
    X509 *cax = pem_cert(pem);

    const char *sans[] = {"example.com", "*.example.org", "10.1.2.3", "::1"};
    struct ca_leaf leaf;
    ASSERT_EQ(ca_leaf_get(ca, "example.com", sans, 4, &leaf, &e), 0);
    X509 *x = leaf.cert;
    ASSERT(leaf.key != NULL && leaf.chain == NULL);
    ASSERT_EQ(X509_check_private_key(x, leaf.key), 1);
    /* The leaf has a P-256 key of its own; the CA's RSA key signs it. */
    ASSERT_EQ(EVP_PKEY_get_base_id(leaf.key), EVP_PKEY_EC);
    ASSERT(EVP_PKEY_eq(X509_get0_pubkey(x), X509_get0_pubkey(cax)) != 1);
    assert_verifies(x, cax, "example.com", NULL);
    assert_verifies(x, cax, "www.example.org", NULL);
    assert_verifies(x, cax, NULL, "10.1.2.3");
    assert_verifies(x, cax, NULL, "::1");
    ASSERT_EQ(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(cax)), 0);
    ASSERT_STREQ(name_text(X509_get_subject_name(x), NID_commonName), "example.com");
    ASSERT(name_text(X509_get_subject_name(x), NID_organizationName) == NULL);
    ASSERT_EQ(X509_get_version(x), X509_VERSION_3);
    ASSERT_EQ(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
    ASSERT_EQ(X509_check_ca(x), 0);
    ASSERT(X509_get_extended_key_usage(x) == XKU_SSL_SERVER);
    long nb = secs_from_now(X509_get0_notBefore(x)), na = secs_from_now(X509_get0_notAfter(x));
    ASSERT(nb <= -2 * 86400 + 5 && nb >= -2 * 86400 - 60);
    ASSERT(na >= 365 * 86400L - 60 && na <= 365 * 86400L + 5);

    int crit = -1;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    ASSERT(gens != NULL);
    ASSERT_EQ(crit, 0);
    ASSERT_EQ(sk_GENERAL_NAME_num(gens), 4);
    static const unsigned char ip4[] = {10, 1, 2, 3};
    static const unsigned char ip6[16] = {[15] = 1};
    for (int i = 0; i < 4; i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        ASSERT_EQ(g->type, i < 2 ? GEN_DNS : GEN_IPADD);
        const ASN1_STRING *s = i < 2 ? g->d.dNSName : g->d.iPAddress;
        const void *want = i < 2 ? (const void *)sans[i] : i == 2 ? ip4 : ip6;
        size_t wlen = i < 2 ? strlen(sans[i]) : i == 2 ? 4 : 16;
        ASSERT_MEMEQ(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), want, wlen);
    }
    GENERAL_NAMES_free(gens);

    /* The cache: the same names give the same object, others a new one. */
    struct ca_leaf again;
    ASSERT_EQ(ca_leaf_get(ca, "example.com", sans, 4, &again, &e), 0);
    ASSERT(again.cert == x);
    ASSERT_EQ(ca_leaf_get(ca, "example.com", sans, 3, &again, &e), 0);
    ASSERT(again.cert != x);
    ASSERT_EQ(ca_leaf_get(ca, NULL, sans, 4, &again, &e), 0);
    ASSERT(again.cert != x);
    X509 *nocn = again.cert;
    ASSERT_EQ(ca_leaf_get(ca, "", sans, 4, &again, &e), 0);
    ASSERT(again.cert != x && again.cert != nocn);

    /* A CN over 64 bytes stays out of the subject; the SAN, then critical,
     * carries the name. 64 bytes is still a CN. */
    char longname[70];
    memset(longname, 'a', sizeof(longname) - 5);
    strcpy(longname + sizeof(longname) - 5, ".com");
    const char *lsans[] = {longname};
    ASSERT_EQ(ca_leaf_get(ca, longname, lsans, 1, &leaf, &e), 0);
    ASSERT(name_text(X509_get_subject_name(leaf.cert), NID_commonName) == NULL);
    gens = X509_get_ext_d2i(leaf.cert, NID_subject_alt_name, &crit, NULL);
    ASSERT(gens != NULL && sk_GENERAL_NAME_num(gens) == 1);
    ASSERT_EQ(crit, 1);
    GENERAL_NAMES_free(gens);
    assert_verifies(leaf.cert, cax, longname, NULL);
    longname[64] = '\0';
    ASSERT_EQ(ca_leaf_get(ca, longname, NULL, 0, &leaf, &e), 0);
    ASSERT_STREQ(name_text(X509_get_subject_name(leaf.cert), NID_commonName), longname);
    ASSERT(X509_get_ext_d2i(leaf.cert, NID_subject_alt_name, NULL, NULL) == NULL);

    /* LRU: 1000 leaves fit; touching "a" makes "b" the oldest, which the
     * 1001st evicts. A re-made leaf has a new random serial. */
    ca_free(ca);
    ca = ca_load_or_create(dir, 2048, &e);
    ASSERT(ca != NULL);
    const char *a[] = {"a.test"}, *b[] = {"b.test"};
    ASN1_INTEGER *sa = leaf_serial(ca, "a.test", a, 1);
    ASN1_INTEGER *sb = leaf_serial(ca, "b.test", b, 1);
    char name[32];
    for (int i = 0; i < 998; i++) {
        snprintf(name, sizeof(name), "h%d.test", i);
        ASN1_INTEGER_free(leaf_serial(ca, name, NULL, 0));
    }
    ASN1_INTEGER *s = leaf_serial(ca, "a.test", a, 1);
    ASSERT_EQ(ASN1_INTEGER_cmp(s, sa), 0);
    ASN1_INTEGER_free(s);
    ASN1_INTEGER_free(leaf_serial(ca, "new.test", NULL, 0));
    s = leaf_serial(ca, "a.test", a, 1);
    ASSERT_EQ(ASN1_INTEGER_cmp(s, sa), 0);
    ASN1_INTEGER_free(s);
    s = leaf_serial(ca, "b.test", b, 1);
    ASSERT_NE(ASN1_INTEGER_cmp(s, sb), 0);
    ASN1_INTEGER_free(s);
    ASN1_INTEGER_free(sa);
    ASN1_INTEGER_free(sb);

    ca_free(ca);
    X509_free(cax);
    free(pem);
    rm_rf(dir);
}

/* A damaged file is an error that names it, and it is left as it was. */
static void
assert_damaged(const char *dir, const char *content, const char *reason)
{
    spit(dir, "mitmproxy-ca.pem", content);
    struct err e = {0};
    struct ca *ca = ca_load_or_create(dir, 2048, &e);
    ASSERT(ca == NULL);
    ASSERT(e.code < 0);
    if (strstr(e.msg, dir) == NULL || strstr(e.msg, "mitmproxy-ca.pem") == NULL ||
        (reason && strstr(e.msg, reason) == NULL))
        test_fail(__FILE__, __LINE__, "message: %s", e.msg);
    char *after = slurp(dir, "mitmproxy-ca.pem", NULL);
    ASSERT_STREQ(after, content);
    free(after);
    ASSERT_EQ(file_mode(dir, "mitmproxy-ca-cert.pem"), -1);
}

TEST(ca_damaged)
{
    char *dir = tmpdir();
    assert_damaged(dir, "", "private key");
    assert_damaged(dir, "garbage\x01\x02 not a pem file\n", "private key");
    assert_damaged(dir, "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAwx\n", "private key");

    /* A key without its certificate, and a certificate cut short. */
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    ASSERT(key != NULL);
    BIO *b = BIO_new(BIO_s_mem());
    ASSERT(PEM_write_bio_PrivateKey_traditional(b, key, NULL, NULL, 0, NULL, NULL) == 1);
    char *kp;
    long kn = BIO_get_mem_data(b, &kp);
    char *keypem = xstrndup(kp, (size_t)kn);
    BIO_free(b);
    EVP_PKEY_free(key);
    assert_damaged(dir, keypem, "no CA certificate");
    char *cut = xmalloc(strlen(keypem) + 100);
    sprintf(cut, "%s-----BEGIN CERTIFICATE-----\nMIIDNTCCAh2gAwIBAgIUZPtHfYQQ\n", keypem);
    assert_damaged(dir, cut, "certificate");
    free(cut);
    free(keypem);

    /* Unreadable (only meaningful when not root, who reads anything). */
    if (geteuid() != 0) {
        spit(dir, "mitmproxy-ca.pem", "x");
        char *path = join(dir, "mitmproxy-ca.pem");
        chmod(path, 0);
        struct err e = {0};
        ASSERT(ca_load_or_create(dir, 2048, &e) == NULL);
        ASSERT(strstr(e.msg, path) && strstr(e.msg, "Permission denied"));
        free(path);
    }

    /* "~" is the home directory. */
    char *home = xstrdup(getenv("HOME") ? getenv("HOME") : "");
    setenv("HOME", dir, 1);
    struct err e = {0};
    ASSERT(ca_load_or_create("~", 2048, &e) == NULL);
    ASSERT(strncmp(e.msg, dir, strlen(dir)) == 0);
    setenv("HOME", home, 1);
    free(home);
    rm_rf(dir);
}

TEST(ca_unwritable_dir)
{
    char *dir = tmpdir();
    spit(dir, "file", "not a directory");
    char *conf = join(dir, "file/conf");
    struct err e = {0};
    ASSERT(ca_load_or_create(conf, 2048, &e) == NULL);
    ASSERT(e.code < 0);
    if (strstr(e.msg, "file") == NULL || strstr(e.msg, dir) == NULL)
        test_fail(__FILE__, __LINE__, "message: %s", e.msg);
    ASSERT_EQ(ca_load_or_create(dir, 100, &e) == NULL, 1);
    ASSERT(strstr(e.msg, "key_size") != NULL);
    free(conf);
    rm_rf(dir);
}

/* A directory made by mitmproxy 8.1.1 loads as is, with its certificate. */
TEST(ca_mitmproxy_interop)
{
    if (access("/usr/bin/mitmdump", X_OK) != 0) {
        fprintf(stderr, "/usr/bin/mitmdump not installed: skipped\n");
        return;
    }
    char *tmp = tmpdir();
    char *dir = join(tmp, "conf");
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "timeout 60 /usr/bin/mitmdump --set confdir=%s -n -r /dev/null >/dev/null 2>&1", dir);
    ASSERT_EQ(system(cmd), 0);
    char *capem = slurp(dir, "mitmproxy-ca.pem", NULL);
    char *certpem = slurp(dir, "mitmproxy-ca-cert.pem", NULL);
    ASSERT(capem != NULL && certpem != NULL);

    struct err e = {0};
    struct ca *ca = ca_load_or_create(dir, 2048, &e);
    if (ca == NULL)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    char *pem = ca_cert_pem(ca);
    ASSERT_STREQ(pem, certpem);
    char *capem2 = slurp(dir, "mitmproxy-ca.pem", NULL);
    ASSERT_STREQ(capem2, capem);

    const char *sans[] = {"mitm.example", "192.0.2.7"};
    struct ca_leaf leaf;
    ASSERT_EQ(ca_leaf_get(ca, "mitm.example", sans, 2, &leaf, &e), 0);
    X509 *cax = pem_cert(certpem);
    assert_verifies(leaf.cert, cax, "mitm.example", "192.0.2.7");
    ASSERT_EQ(X509_check_private_key(leaf.cert, leaf.key), 1);

    X509_free(cax);
    ca_free(ca);
    free(pem);
    free(capem);
    free(capem2);
    free(certpem);
    free(dir);
    rm_rf(tmp);
}

/* Signing off the loop: ca_leaf_sign() on threads, the cache on this one. */
struct signer {
    pthread_t thread;
    const struct ca *ca;
    const char *name;
    void *cert;
};

static void *
sign_main(void *arg)
{
    struct signer *s = arg;
    const char *sans[] = {s->name};
    struct err e = {0};
    s->cert = ca_leaf_sign(s->ca, s->name, sans, 1, &e);
    return NULL;
}

TEST(ca_leaf_signed_on_threads)
{
    char *dir = tca_dir_new();
    struct err e = {0};
    struct ca *ca = ca_load_or_create(dir, 2048, &e);
    ASSERT(ca != NULL);
    char *pem = ca_cert_pem(ca);
    X509 *cax = pem_cert(pem);
    struct signer s[4] = {
        {.name = "a.test"}, {.name = "b.test"}, {.name = "a.test"}, {.name = "c.test"}};
    for (int i = 0; i < 4; i++) {
        s[i].ca = ca;
        ASSERT_EQ(pthread_create(&s[i].thread, NULL, sign_main, &s[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(pthread_join(s[i].thread, NULL), 0);
        ASSERT(s[i].cert != NULL);
        assert_verifies(s[i].cert, cax, s[i].name, NULL);
    }
    const char *a[] = {"a.test"}, *b[] = {"b.test"};
    struct ca_leaf leaf, again;
    ASSERT_EQ(ca_leaf_lookup(ca, "a.test", a, 1, &leaf), 0);
    /* The cache takes the certificate; a second one for the same names
     * (signed meanwhile) gives way to the first. */
    ca_leaf_put(ca, "a.test", a, 1, s[0].cert, &leaf);
    ASSERT(leaf.cert == s[0].cert && leaf.key != NULL);
    ca_leaf_put(ca, "a.test", a, 1, s[2].cert, &again);
    ASSERT(again.cert == s[0].cert);
    ca_leaf_put(ca, "b.test", b, 1, s[1].cert, &leaf);
    ASSERT_EQ(ca_leaf_lookup(ca, "a.test", a, 1, &leaf), 1);
    ASSERT(leaf.cert == s[0].cert);
    ASSERT_EQ(ca_leaf_get(ca, "b.test", b, 1, &leaf, &e), 0);
    ASSERT(leaf.cert == s[1].cert);
    ASSERT_EQ(ca_leaf_lookup(ca, "c.test", NULL, 0, &leaf), 0);
    X509_free(s[3].cert); /* never put: the caller's to free */
    X509_free(cax);
    free(pem);
    ca_free(ca);
    tca_dir_free(dir);
}

/* A handshake with leaf as the server's certificate, the client trusting
 * only the conf dir's CA file; returns the server's key type as the
 * client saw it. */
static int
handshake_with(const char *dir, const struct ca_leaf *leaf, const char *host)
{
    char *cafile = join(dir, "mitmproxy-ca-cert.pem");
    struct tls_client_opts co = {
        .sni = host, .verify = 1, .ca_file = cafile, .min_version = TLS_VER_TLS1_2};
    struct tls_server_opts so = {.leaf = leaf, .min_version = TLS_VER_TLS1_2};
    struct err ce = {0}, se = {0}, e = {0};
    struct tls_session *c = tls_session_new_client(&co, &e);
    struct tls_session *s = tls_session_new_server(&so, &e);
    ASSERT(c && s);
    struct buf c2s = BUF_INIT, s2c = BUF_INIT;
    int rc = 0, rs = 0;
    for (int i = 0; i < 100 && (rc == 0 || rs == 0); i++) {
        if (rc == 0)
            rc = tls_session_handshake(c, &ce);
        tls_session_take_output(c, &c2s);
        tls_session_feed(s, buf_ptr(&c2s), c2s.len);
        buf_consume(&c2s, c2s.len);
        if (rs == 0)
            rs = tls_session_handshake(s, &se);
        tls_session_take_output(s, &s2c);
        tls_session_feed(c, buf_ptr(&s2c), s2c.len);
        buf_consume(&s2c, s2c.len);
    }
    if (rc != 1 || rs != 1)
        test_fail(__FILE__, __LINE__, "handshake: client %d \"%s\", server %d \"%s\"", rc, ce.msg,
                  rs, se.msg);
    struct buf pem = BUF_INIT;
    ASSERT_EQ(tls_session_peer_cert_pem(c, 0, &pem), 0);
    buf_append(&pem, "", 1);
    X509 *x = pem_cert((const char *)buf_ptr(&pem));
    int type = EVP_PKEY_get_base_id(X509_get0_pubkey(x));
    X509_free(x);
    buf_clear(&pem);
    buf_clear(&c2s);
    buf_clear(&s2c);
    tls_session_free(c);
    tls_session_free(s);
    free(cafile);
    return type;
}

/* Leaves are ECDSA P-256 by default, RSA with the CA's key on request; a
 * change of key forgets the cached leaves, and clients accept both. */
TEST(ca_leaf_key_types)
{
    ASSERT_EQ(ca_leaf_key_parse("ecdsa"), CA_LEAF_ECDSA);
    ASSERT_EQ(ca_leaf_key_parse("rsa"), CA_LEAF_RSA);
    ASSERT_EQ(ca_leaf_key_parse("RSA"), -1);
    ASSERT_EQ(ca_leaf_key_parse(""), -1);

    char *dir = tmpdir();
    struct err e = {0};
    struct ca *ca = ca_load_or_create(dir, 2048, &e);
    ASSERT(ca != NULL);
    ASSERT_EQ(ca_leaf_key_type(ca), CA_LEAF_ECDSA);
    char *pem = ca_cert_pem(ca);
    X509 *cax = pem_cert(pem);
    const char *sans[] = {"example.com"};

    struct ca_leaf ec, ec2, rsa;
    ASSERT_EQ(ca_leaf_get(ca, "example.com", sans, 1, &ec, &e), 0);
    ASSERT_EQ(EVP_PKEY_get_base_id(ec.key), EVP_PKEY_EC);
    ASSERT_STREQ(EVP_PKEY_get0_type_name(ec.key), "EC");
    char group[32] = "";
    ASSERT(EVP_PKEY_get_group_name(ec.key, group, sizeof(group), NULL));
    ASSERT_STREQ(group, "prime256v1");
    ASSERT_EQ(X509_check_private_key(ec.cert, ec.key), 1);
    ASSERT_EQ(X509_get_signature_nid(ec.cert), NID_sha256WithRSAEncryption);
    assert_verifies(ec.cert, cax, "example.com", NULL);
    ASSERT_EQ(handshake_with(dir, &ec, "example.com"), EVP_PKEY_EC);
    /* One key for every leaf, as mitmproxy has one for all of its. */
    const char *other[] = {"other.test"};
    ASSERT_EQ(ca_leaf_get(ca, "other.test", other, 1, &ec2, &e), 0);
    ASSERT(ec2.key == ec.key);
    ASN1_INTEGER *ec_serial = ASN1_INTEGER_dup(X509_get0_serialNumber(ec.cert));

    /* An RSA leaf on request (a cipher list without ECDSA suites), cached
     * apart from the ECDSA one of the same names. */
    struct ca_leaf r1, r2;
    ASSERT_EQ(ca_leaf_get_rsa(ca, "example.com", sans, 1, &r1, &e), 0);
    ASSERT_EQ(EVP_PKEY_get_base_id(r1.key), EVP_PKEY_RSA);
    ASSERT_EQ(EVP_PKEY_eq(X509_get0_pubkey(r1.cert), X509_get0_pubkey(cax)), 1);
    assert_verifies(r1.cert, cax, "example.com", NULL);
    ASSERT_EQ(handshake_with(dir, &r1, "example.com"), EVP_PKEY_RSA);
    ASSERT_EQ(ca_leaf_get_rsa(ca, "example.com", sans, 1, &r2, &e), 0);
    ASSERT(r2.cert == r1.cert);
    ASSERT_EQ(ca_leaf_lookup(ca, "example.com", sans, 1, &ec2), 1);
    ASSERT(ec2.cert == ec.cert && ec2.key == ec.key);

    /* RSA leaves: the CA's key, as mitmproxy makes them. */
    ASSERT_EQ(ca_set_leaf_key(ca, CA_LEAF_RSA, &e), 0);
    ASSERT_EQ(ca_leaf_key_type(ca), CA_LEAF_RSA);
    ASSERT_EQ(ca_leaf_get(ca, "example.com", sans, 1, &rsa, &e), 0);
    ASSERT_EQ(EVP_PKEY_get_base_id(rsa.key), EVP_PKEY_RSA);
    ASSERT_EQ(EVP_PKEY_eq(X509_get0_pubkey(rsa.cert), X509_get0_pubkey(cax)), 1);
    ASSERT_EQ(X509_check_private_key(rsa.cert, rsa.key), 1);
    ASSERT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(rsa.cert), ec_serial), 0);
    assert_verifies(rsa.cert, cax, "example.com", NULL);
    ASSERT_EQ(handshake_with(dir, &rsa, "example.com"), EVP_PKEY_RSA);
    /* Setting the same type again keeps the cache. */
    ASSERT_EQ(ca_set_leaf_key(ca, CA_LEAF_RSA, &e), 0);
    struct ca_leaf again;
    ASSERT_EQ(ca_leaf_lookup(ca, "example.com", sans, 1, &again), 1);
    ASSERT(again.cert == rsa.cert);

    /* And back: a new P-256 key, new leaves. */
    ASSERT_EQ(ca_set_leaf_key(ca, CA_LEAF_ECDSA, &e), 0);
    ASSERT_EQ(ca_leaf_lookup(ca, "example.com", sans, 1, &again), 0);
    ASSERT_EQ(ca_leaf_get(ca, "example.com", sans, 1, &again, &e), 0);
    ASSERT_EQ(EVP_PKEY_get_base_id(again.key), EVP_PKEY_EC);
    ASSERT_EQ(handshake_with(dir, &again, "example.com"), EVP_PKEY_EC);

    ASN1_INTEGER_free(ec_serial);
    X509_free(cax);
    free(pem);
    ca_free(ca);
    rm_rf(dir);
}
