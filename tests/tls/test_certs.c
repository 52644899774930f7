/*
 * Tests for custom certificates (`certs`). The files come from the openssl
 * command line, with EC keys because they are made in milliseconds; every
 * test builds its own directory since each runs in its own process.
 */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "../lib/test.h"
#include "options/opt.h"
#include "tls/certs.h"
#include "util/xmalloc.h"

static char dir[64];

static void
sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[2200];
    snprintf(full, sizeof full, "cd %s && (%s) >/dev/null 2>&1", dir, cmd);
    if (system(full) != 0)
        test_fail(__FILE__, __LINE__, "command failed: %s", cmd);
}

/* A self-signed EC certificate: key in <name>.key, certificate in <name>.crt. */
static void
selfsigned(const char *name, const char *cn, const char *san)
{
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
       " -subj '/CN=%s' -addext 'subjectAltName=%s' -days 2 -keyout %s.key -out %s.crt",
       cn, san, name, name);
}

/*
 * one.pem      cert (CN exact.example.com, SAN + IP 10.0.0.1) + key
 * wild.pem     CN *.example.com + key, key first
 * other.pem    CN other.test + key
 * chain.pem    leaf (CN chain.test) + intermediate + leaf key
 * nokey.pem    certificate only
 * keyonly.pem  key only
 * enc.pem      certificate + key encrypted with "secret"
 * mismatch.pem certificate of one.pem + key of other.pem
 * junk.pem     not PEM at all
 * bad.pem      a CERTIFICATE block that is not DER
 */
static void
make_files(void)
{
    strcpy(dir, "/tmp/mp-test-certs-XXXXXX");
    ASSERT(mkdtemp(dir) != NULL);
    selfsigned("one", "exact.example.com", "DNS:exact.example.com,DNS:Alt.Example.org,IP:10.0.0.1");
    sh("cat one.crt one.key > one.pem");
    selfsigned("wild", "*.example.com", "DNS:*.example.com");
    sh("cat wild.key wild.crt > wild.pem");
    selfsigned("other", "other.test", "DNS:other.test");
    sh("cat other.crt other.key > other.pem");
    selfsigned("root", "Test Root", "DNS:root.test");
    sh("printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=keyCertSign\\n' > ca.ext");
    sh("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
       " -subj '/CN=Test Intermediate' -keyout int.key -out int.csr");
    sh("openssl x509 -req -in int.csr -CA root.crt -CAkey root.key -CAcreateserial"
       " -extfile ca.ext -days 2 -out int.crt");
    sh("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
       " -subj '/CN=chain.test' -keyout leaf.key -out leaf.csr");
    sh("openssl x509 -req -in leaf.csr -CA int.crt -CAkey int.key -CAcreateserial"
       " -days 2 -out leaf.crt");
    sh("cat leaf.crt int.crt leaf.key > chain.pem");
    sh("cp one.crt nokey.pem && cp one.key keyonly.pem");
    sh("openssl pkey -in other.key -aes256 -passout pass:secret -out enc.key");
    sh("cat other.crt enc.key > enc.pem");
    sh("cat one.crt other.key > mismatch.pem");
    sh("echo hello > junk.pem");
    sh("printf -- '-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n' > bad.pem");
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

static void
cleanup(void)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Adds "<domain>=<dir>/<file>", or "<dir>/<file>" when domain is NULL. */
static void
spec(struct strv *v, const char *domain, const char *file)
{
    char s[256];
    if (domain)
        snprintf(s, sizeof s, "%s=%s/%s", domain, dir, file);
    else
        snprintf(s, sizeof s, "%s/%s", dir, file);
    strv_push(v, s);
}

/* Loads one raw spec and returns the error, which must name the spec. */
static struct err
load_err_raw(const char *raw, const char *pass)
{
    struct strv v = {0};
    strv_push(&v, raw);
    struct tls_certs *c = (struct tls_certs *)1;
    struct err e = {0};
    int rc = tls_certs_load(&c, &v, pass, &e);
    ASSERT(rc < 0);
    ASSERT_EQ(rc, e.code);
    ASSERT(c == NULL);
    ASSERT(strstr(e.msg, v.v[0]) != NULL);
    strv_clear(&v);
    return e;
}

static struct err
load_err(const char *domain, const char *file, const char *pass)
{
    char s[256];
    if (domain)
        snprintf(s, sizeof s, "%s=%s/%s", domain, dir, file);
    else
        snprintf(s, sizeof s, "%s/%s", dir, file);
    return load_err_raw(s, pass);
}

static const char *
cn_of(const struct ca_leaf *l)
{
    static char buf[128];
    if (l == NULL)
        return NULL;
    X509_NAME_get_text_by_NID(X509_get_subject_name(l->cert), NID_commonName, buf, sizeof buf);
    return buf;
}

TEST(certs_load_errors)
{
    make_files();
    struct err e = load_err(NULL, "missing.pem", NULL);
    ASSERT_EQ(e.code, MP_ERR_NOTFOUND);
    ASSERT(strstr(e.msg, "certs: ") == e.msg);
    ASSERT(strstr(e.msg, ": no such file") != NULL);
    e = load_err(NULL, "junk.pem", NULL);
    ASSERT(strstr(e.msg, ": no certificate found") != NULL);
    e = load_err("a.test", "keyonly.pem", NULL);
    ASSERT(strstr(e.msg, ": no certificate found") != NULL);
    e = load_err(NULL, "nokey.pem", NULL);
    ASSERT(strstr(e.msg, ": no private key") != NULL);
    e = load_err(NULL, "bad.pem", NULL);
    ASSERT_EQ(e.code, MP_ERR_CORRUPT);
    ASSERT(strstr(e.msg, ": bad certificate: ") != NULL);
    e = load_err(NULL, "mismatch.pem", NULL);
    ASSERT(strstr(e.msg, "does not match") != NULL);
    e = load_err_raw("", NULL);
    ASSERT_STREQ(e.msg, "certs: : empty path");
    e = load_err_raw("a.test=", NULL);
    ASSERT_STREQ(e.msg, "certs: a.test=: empty path");
    e = load_err_raw("=x.pem", NULL);
    ASSERT_STREQ(e.msg, "certs: =x.pem: empty domain");
    e = load_err_raw("/nonexistent/x.pem", NULL);
    ASSERT_STREQ(e.msg, "certs: /nonexistent/x.pem: no such file");
    e = load_err(NULL, "", NULL); /* the directory itself */
    ASSERT_EQ(e.code, MP_ERR_IO);

    /* The first bad spec fails the whole load, and nothing leaks. */
    struct strv v = {0};
    spec(&v, NULL, "one.pem");
    spec(&v, "x", "nokey.pem");
    struct tls_certs *c;
    ASSERT(tls_certs_load(&c, &v, NULL, &e) < 0);
    ASSERT(c == NULL);
    ASSERT(strstr(e.msg, "nokey.pem: no private key") != NULL);
    strv_clear(&v);
    cleanup();
}

TEST(certs_empty)
{
    struct tls_certs *c;
    struct err e = {0};
    ASSERT_EQ(tls_certs_load(&c, NULL, NULL, &e), 0);
    ASSERT(c != NULL);
    ASSERT_EQ(tls_certs_count(c), 0);
    ASSERT(tls_certs_find(c, "example.com") == NULL);
    ASSERT(tls_certs_find(c, NULL) == NULL);
    tls_certs_free(c);
    tls_certs_free(NULL);
}

TEST(certs_lookup)
{
    make_files();
    struct strv v = {0};
    spec(&v, "named.test", "one.pem");
    spec(&v, "*.example.com", "wild.pem");
    struct tls_certs *c;
    struct err e = {0};
    ASSERT_EQ(tls_certs_load(&c, &v, NULL, &e), 0);
    ASSERT_EQ(tls_certs_count(c), 2);

    /* The spec's domain, and the certificate's own CN and SANs. */
    ASSERT_STREQ(cn_of(tls_certs_find(c, "named.test")), "exact.example.com");
    ASSERT_STREQ(cn_of(tls_certs_find(c, "exact.example.com")), "exact.example.com");
    ASSERT_STREQ(cn_of(tls_certs_find(c, "alt.example.org")), "exact.example.com");
    ASSERT_STREQ(cn_of(tls_certs_find(c, "10.0.0.1")), "exact.example.com");
    /* Host names compare case-insensitively. */
    ASSERT_STREQ(cn_of(tls_certs_find(c, "EXACT.Example.COM")), "exact.example.com");
    ASSERT_STREQ(cn_of(tls_certs_find(c, "ALT.example.ORG")), "exact.example.com");

    /* Wildcards, as mitmproxy's asterisk_forms: any depth, not the apex. */
    ASSERT_STREQ(cn_of(tls_certs_find(c, "a.example.com")), "*.example.com");
    ASSERT_STREQ(cn_of(tls_certs_find(c, "A.Example.Com")), "*.example.com");
    ASSERT_STREQ(cn_of(tls_certs_find(c, "a.b.example.com")), "*.example.com");
    ASSERT(tls_certs_find(c, "example.com") == NULL);
    ASSERT(tls_certs_find(c, "xexample.com") == NULL);
    ASSERT(tls_certs_find(c, "example.com.evil") == NULL);

    /* No catch-all: no match is NULL. */
    ASSERT(tls_certs_find(c, "nothing.test") == NULL);
    ASSERT(tls_certs_find(c, "") == NULL);
    ASSERT(tls_certs_find(c, NULL) == NULL);
    ASSERT(tls_certs_find(c, ".") == NULL);
    tls_certs_free(c);
    strv_clear(&v);
    cleanup();
}

TEST(certs_catch_all_and_order)
{
    make_files();
    struct strv v = {0};
    spec(&v, NULL, "other.pem"); /* "*" */
    spec(&v, "*.example.com", "wild.pem");
    spec(&v, "EXACT.example.com", "chain.pem");
    struct tls_certs *c;
    struct err e = {0};
    ASSERT_EQ(tls_certs_load(&c, &v, NULL, &e), 0);
    ASSERT_STREQ(cn_of(tls_certs_find(c, "anything.test")), "other.test");
    ASSERT_STREQ(cn_of(tls_certs_find(c, NULL)), "other.test");
    ASSERT_STREQ(cn_of(tls_certs_find(c, "example.com")), "other.test");
    /* Exact beats wildcard beats "*". */
    ASSERT_STREQ(cn_of(tls_certs_find(c, "exact.example.com")), "chain.test");
    ASSERT_STREQ(cn_of(tls_certs_find(c, "b.example.com")), "*.example.com");
    /* A more specific wildcard beats a shorter one. */
    spec(&v, "*.b.example.com", "one.pem");
    tls_certs_free(c);
    ASSERT_EQ(tls_certs_load(&c, &v, NULL, &e), 0);
    ASSERT_STREQ(cn_of(tls_certs_find(c, "x.b.example.com")), "exact.example.com");
    ASSERT_STREQ(cn_of(tls_certs_find(c, "x.c.example.com")), "*.example.com");
    tls_certs_free(c);

    /* The later spec wins a name two specs claim. */
    strv_clear(&v);
    spec(&v, NULL, "one.pem");
    spec(&v, NULL, "other.pem");
    ASSERT_EQ(tls_certs_load(&c, &v, NULL, &e), 0);
    ASSERT_STREQ(cn_of(tls_certs_find(c, "zzz")), "other.test");
    ASSERT_STREQ(cn_of(tls_certs_find(c, "exact.example.com")), "exact.example.com");
    tls_certs_free(c);
    strv_clear(&v);
    cleanup();
}

TEST(certs_chain)
{
    make_files();
    struct strv v = {0};
    spec(&v, NULL, "chain.pem");
    spec(&v, "one.test", "one.pem");
    struct tls_certs *c;
    struct err e = {0};
    ASSERT_EQ(tls_certs_load(&c, &v, NULL, &e), 0);
    const struct ca_leaf *l = tls_certs_find(c, "chain.test");
    ASSERT(l != NULL && l->key != NULL);
    ASSERT_STREQ(cn_of(l), "chain.test");
    ASSERT(l->chain != NULL);
    STACK_OF(X509) *chain = l->chain;
    ASSERT_EQ(sk_X509_num(chain), 1);
    char buf[128];
    X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(chain, 0)), NID_commonName, buf,
                              sizeof buf);
    ASSERT_STREQ(buf, "Test Intermediate");
    ASSERT_EQ(X509_check_private_key(l->cert, l->key), 1);
    /* A file with only the leaf has no chain. */
    l = tls_certs_find(c, "one.test");
    ASSERT(l != NULL && l->chain == NULL);
    tls_certs_free(c);
    strv_clear(&v);
    cleanup();
}

TEST(certs_passphrase)
{
    make_files();
    struct err e = load_err(NULL, "enc.pem", NULL);
    ASSERT(strstr(e.msg, "encrypted") != NULL);
    ASSERT(strstr(e.msg, "cert_passphrase") != NULL);
    e = load_err(NULL, "enc.pem", "wrong");
    ASSERT(strstr(e.msg, "wrong cert_passphrase") != NULL);

    struct strv v = {0};
    spec(&v, "enc.test", "enc.pem");
    spec(&v, NULL, "one.pem"); /* an unencrypted key ignores the passphrase */
    struct tls_certs *c;
    ASSERT_EQ(tls_certs_load(&c, &v, "secret", &e), 0);
    const struct ca_leaf *l = tls_certs_find(c, "enc.test");
    ASSERT_STREQ(cn_of(l), "other.test");
    ASSERT_EQ(X509_check_private_key(l->cert, l->key), 1);
    ASSERT_STREQ(cn_of(tls_certs_find(c, "x")), "exact.example.com");
    tls_certs_free(c);
    strv_clear(&v);
    cleanup();
}

TEST(certs_home)
{
    make_files();
    setenv("HOME", dir, 1);
    struct strv v = {0};
    strv_push(&v, "h.test=~/one.pem");
    struct tls_certs *c;
    struct err e = {0};
    ASSERT_EQ(tls_certs_load(&c, &v, NULL, &e), 0);
    ASSERT_STREQ(cn_of(tls_certs_find(c, "h.test")), "exact.example.com");
    tls_certs_free(c);
    strv_clear(&v);
    cleanup();
}
