/*
 * One PEM certificate into struct tls_certinfo, field for field as 8.1.1's
 * certs.Cert (on pyca cryptography) gives it, so the web JSON and the
 * Detail tab match 8.1.1's for the same flow.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls/certinfo.h"
#include "util/xmalloc.h"

/* cryptography's _NAMEOID_TO_NAME: these OIDs get a short name in
 * rfc4514_string(), every other one its dotted form. */
static const struct {
    int nid;
    const char *name;
} short_names[] = {
    {NID_commonName, "CN"},
    {NID_localityName, "L"},
    {NID_stateOrProvinceName, "ST"},
    {NID_organizationName, "O"},
    {NID_organizationalUnitName, "OU"},
    {NID_countryName, "C"},
    {NID_streetAddress, "STREET"},
    {NID_domainComponent, "DC"},
    {NID_userId, "UID"},
};

static char *
attr_name(const ASN1_OBJECT *obj)
{
    int nid = OBJ_obj2nid(obj);
    for (size_t i = 0; i < sizeof(short_names) / sizeof(short_names[0]); i++)
        if (nid != NID_undef && short_names[i].nid == nid)
            return xstrdup(short_names[i].name);
    char dotted[128];
    int n = OBJ_obj2txt(dotted, sizeof(dotted), obj, 1);
    return xstrdup(n > 0 && (size_t)n < sizeof(dotted) ? dotted : "");
}

/* A value as text: its UTF-8 form, or its bytes where the string type
 * cannot be converted (a malformed BMPString, say). */
static char *
attr_value(const ASN1_STRING *s)
{
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, s);
    if (n < 0)
        return xstrndup((const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
    char *v = xstrndup((const char *)utf8, (size_t)n);
    OPENSSL_free(utf8);
    return v;
}

static void
name_attrs(const X509_NAME *name, struct tls_certinfo_attr **out, size_t *n)
{
    int count = X509_NAME_entry_count(name);
    *n = 0;
    *out = xcalloc(count > 0 ? (size_t)count : 1, sizeof(**out));
    for (int i = 0; i < count; i++) {
        const X509_NAME_ENTRY *ent = X509_NAME_get_entry(name, i);
        (*out)[*n].name = attr_name(X509_NAME_ENTRY_get_object(ent));
        (*out)[*n].value = attr_value(X509_NAME_ENTRY_get_data(ent));
        (*n)++;
    }
}

static void
attrs_free(struct tls_certinfo_attr *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].name);
        free(a[i].value);
    }
    free(a);
}

/* keyinfo: cryptography names an EC curve by OpenSSL's short name, except
 * the two X9.62 primes it knows by their SEC names. */
static void
keyinfo(X509 *x, struct tls_certinfo *ci)
{
    EVP_PKEY *pk = X509_get0_pubkey(x);
    ci->keybits = -1;
    if (pk == NULL) {
        snprintf(ci->keytype, sizeof(ci->keytype), "unknown");
        return;
    }
    int id = EVP_PKEY_get_base_id(pk);
    switch (id) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
        snprintf(ci->keytype, sizeof(ci->keytype), "RSA");
        ci->keybits = EVP_PKEY_get_bits(pk);
        return;
    case EVP_PKEY_DSA:
        snprintf(ci->keytype, sizeof(ci->keytype), "DSA");
        ci->keybits = EVP_PKEY_get_bits(pk);
        return;
    case EVP_PKEY_EC: {
        char group[64] = "";
        size_t glen = 0;
        if (!EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group), &glen))
            snprintf(group, sizeof(group), "unknown");
        const char *name = group;
        if (strcmp(group, "prime256v1") == 0)
            name = "secp256r1";
        else if (strcmp(group, "prime192v1") == 0)
            name = "secp192r1";
        snprintf(ci->keytype, sizeof(ci->keytype), "EC (%s)", name);
        ci->keybits = EVP_PKEY_get_bits(pk);
        return;
    }
    case EVP_PKEY_ED25519:
        snprintf(ci->keytype, sizeof(ci->keytype), "Ed25519");
        return;
    case EVP_PKEY_ED448:
        snprintf(ci->keytype, sizeof(ci->keytype), "Ed448");
        return;
    default: {
        const char *sn = OBJ_nid2sn(id);
        snprintf(ci->keytype, sizeof(ci->keytype), "%s", sn ? sn : "unknown");
        int bits = EVP_PKEY_get_bits(pk);
        ci->keybits = bits > 0 ? bits : -1;
    }
    }
}

static int
epoch(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return -1;
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* str(ipaddress.IPv6Address): lowercase hextets without leading zeros, the
 * longest run of two or more zero hextets (the first of equals) as "::". */
static void
ipv6_text(const unsigned char *p, char *out, size_t outlen)
{
    unsigned h[8];
    for (int i = 0; i < 8; i++)
        h[i] = (unsigned)p[2 * i] << 8 | p[2 * i + 1];
    int best = -1, bestlen = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && h[j] == 0)
            j++;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j > i ? j : i + 1;
    }
    if (bestlen < 2)
        best = -1;
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < 8 && n < outlen; i++) {
        if (i == best) {
            n += (size_t)snprintf(out + n, outlen - n, i == 0 ? "::" : ":");
            i += bestlen - 1;
            continue;
        }
        n += (size_t)snprintf(out + n, outlen - n, "%x%s", h[i], i < 7 ? ":" : "");
    }
}

static void
altnames(X509 *x, struct tls_certinfo *ci)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int count = gens ? sk_GENERAL_NAME_num(gens) : 0;
    ci->altnames = xcalloc(count > 0 ? (size_t)count : 1, sizeof(*ci->altnames));
    /* DNS names first, then addresses, as certs.Cert.altnames lists them. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < count; i++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
            if (pass == 0 && g->type == GEN_DNS) {
                const ASN1_STRING *s = g->d.dNSName;
                ci->altnames[ci->naltnames++] =
                    xstrndup((const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
            } else if (pass == 1 && g->type == GEN_IPADD) {
                const ASN1_OCTET_STRING *s = g->d.iPAddress;
                const unsigned char *p = ASN1_STRING_get0_data(s);
                char text[48];
                if (ASN1_STRING_length(s) == 4)
                    snprintf(text, sizeof(text), "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
                else if (ASN1_STRING_length(s) == 16)
                    ipv6_text(p, text, sizeof(text));
                else
                    continue;
                ci->altnames[ci->naltnames++] = xstrdup(text);
            }
        }
    }
    GENERAL_NAMES_free(gens);
}

int
tls_certinfo_parse(struct tls_certinfo *out, const void *pem, size_t len, struct err *e)
{
    memset(out, 0, sizeof(*out));
    if (len > INT32_MAX)
        return err_set(e, MP_ERR_LIMIT, "certificate: too long");
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return err_set(e, MP_ERR_IO, "certificate: out of memory");
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (x == NULL)
        return err_set(e, MP_ERR_SYNTAX, "certificate: not a PEM certificate");
    if (epoch(X509_get0_notBefore(x), &out->notbefore) != 0 ||
        epoch(X509_get0_notAfter(x), &out->notafter) != 0) {
        X509_free(x);
        return err_set(e, MP_ERR_SYNTAX, "certificate: bad validity time");
    }
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *dec = bn ? BN_bn2dec(bn) : NULL;
    BN_free(bn);
    if (dec == NULL) {
        X509_free(x);
        return err_set(e, MP_ERR_SYNTAX, "certificate: bad serial number");
    }
    out->serial = xstrdup(dec);
    OPENSSL_free(dec);

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != 32) {
        free(out->serial);
        out->serial = NULL;
        X509_free(x);
        return err_set(e, MP_ERR_SYNTAX, "certificate: cannot encode it for its digest");
    }
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(out->sha256 + 2 * i, 3, "%02x", md[i]);

    keyinfo(x, out);
    name_attrs(X509_get_subject_name(x), &out->subject, &out->nsubject);
    name_attrs(X509_get_issuer_name(x), &out->issuer, &out->nissuer);
    altnames(x, out);
    X509_free(x);
    return 0;
}

void
tls_certinfo_clear(struct tls_certinfo *ci)
{
    free(ci->serial);
    attrs_free(ci->subject, ci->nsubject);
    attrs_free(ci->issuer, ci->nissuer);
    for (size_t i = 0; i < ci->naltnames; i++)
        free(ci->altnames[i]);
    free(ci->altnames);
    memset(ci, 0, sizeof(*ci));
}

void
tls_certinfo_sha256_spaced(const struct tls_certinfo *ci, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; ci->sha256[2 * i] && n + 3 < outlen; i++)
        n += (size_t)snprintf(out + n, outlen - n, "%s%.2s", i ? " " : "", ci->sha256 + 2 * i);
}
