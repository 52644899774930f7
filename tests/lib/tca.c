#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tca.h"
#include "test.h"
#include "util/xmalloc.h"

static char *
join(const char *dir, const char *name)
{
    char *p = xmalloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static X509 *
make_ca(EVP_PKEY *key)
{
    X509 *x = X509_new();
    ASSERT(x != NULL);
    ASSERT(X509_set_version(x, X509_VERSION_3));
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"mitmproxy", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"mitmproxy", -1, -1,
                               0);
    ASSERT(X509_set_issuer_name(x, name));
    ASSERT(X509_set_pubkey(x, key));
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    ASSERT(ext && X509_add_ext(x, ext, -1));
    X509_EXTENSION_free(ext);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    ASSERT(ext && X509_add_ext(x, ext, -1));
    X509_EXTENSION_free(ext);
    ASSERT(X509_sign(x, key, EVP_sha256()) > 0);
    return x;
}

char *
tca_dir_new(void)
{
    char tmpl[] = "/tmp/mp-test-tca-XXXXXX";
    ASSERT(mkdtemp(tmpl) != NULL);
    char *dir = xstrdup(tmpl);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    ASSERT(key != NULL);
    X509 *ca = make_ca(key);
    char *path = join(dir, "mitmproxy-ca.pem");
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    ASSERT(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
    ASSERT(PEM_write_X509(f, ca));
    fclose(f);
    free(path);
    path = tca_cert_file(dir);
    f = fopen(path, "w");
    ASSERT(f != NULL);
    ASSERT(PEM_write_X509(f, ca));
    fclose(f);
    free(path);
    X509_free(ca);
    EVP_PKEY_free(key);
    return dir;
}

char *
tca_cert_file(const char *dir)
{
    return join(dir, "mitmproxy-ca-cert.pem");
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void
tca_dir_free(char *dir)
{
    if (dir == NULL)
        return;
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

const char tca_ec_pem[] = "-----BEGIN CERTIFICATE-----\n"
                          "MIICxjCCAk2gAwIBAgIUWvil/FCixpiMsEpKtxx7hsr0MsowCgYIKoZIzj0EAwIw\n"
                          "bDELMAkGA1UEBhMCREUxGDAWBgNVBAoMD0V4w4PCpG1wbGUgR21iSDEMMAoGA1UE\n"
                          "CwwDTGFiMRcwFQYDVQQDDA5lYy5leGFtcGxlLm9yZzEcMBoGCSqGSIb3DQEJARYN\n"
                          "YUBleGFtcGxlLm9yZzAeFw0yNjEyMDYxMDQ0NTdaFw0zNjEyMDMxMDQ0NTdaMGwx\n"
                          "CzAJBgNVBAYTAkRFMRgwFgYDVQQKDA9FeMODwqRtcGxlIEdtYkgxDDAKBgNVBAsM\n"
                          "A0xhYjEXMBUGA1UEAwwOZWMuZXhhbXBsZS5vcmcxHDAaBgkqhkiG9w0BCQEWDWFA\n"
                          "ZXhhbXBsZS5vcmcwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAAQS33YhsQSBe4pq/6qh\n"
                          "fTaV5+2RuaSpd1mtHV/xCCG/Ho8y7Ds9Ih+y301o3FaCCXuor6fco8/gUERrnq7g\n"
                          "TV1+giA0JjfUiiNgRLnCDSBxsiZUHESmIM/H9Wx2FMPi496jga8wgawwHQYDVR0O\n"
                          "BBYEFASwwlvMePH4ACSqhq1uiee1G/QJMB8GA1UdIwQYMBaAFASwwlvMePH4ACSq\n"
                          "hq1uiee1G/QJMA8GA1UdEwEB/wQFMAMBAf8wWQYDVR0RBFIwUIIOZWMuZXhhbXBs\n"
                          "ZS5vcmeHECABDbgAAAAAAAAAAAAAAAGCDSouZXhhbXBsZS5vcmeHEAAAAAAAAAAA\n"
                          "AAD//wECAwSHBAoAAAGBBXhAeS56MAoGCCqGSM49BAMCA2cAMGQCMEIIc0+sQPln\n"
                          "f69HhSkZX0m02FCCtEF1q4dOfeQrD+lQ/XL7ug3pyEHwHQWIRZAe0AIwRUagdtlV\n"
                          "5qzV6uR1/qmuBxdYSPiTCyg0W81i6Sl9FamjEWVNH1EeKNZULikHt9R+\n"
                          "-----END CERTIFICATE-----\n";
