/*
 * Custom certificates from the `certs` option. A set is small (a handful of
 * files, a few names each) and built once per options change, so names sit
 * in a flat array searched newest first: that gives mitmproxy's "the last
 * registration wins" without a hash table.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls/certs.h"
#include "tls/internal.h"
#include "util/path.h"
#include "util/xmalloc.h"

/* A file larger than this is not a certificate chain. */
#define MAX_FILE (1024 * 1024)

struct name {
    char *name;   /* lower case */
    size_t entry; /* index into tls_certs.entries */
};

struct tls_certs {
    struct ca_leaf *entries;
    size_t nentries;
    struct name *names;
    size_t nnames, capnames;
};

static char *
lower_dup(const char *s, size_t n)
{
    char *p = xstrndup(s, n);
    for (char *q = p; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    return p;
}

static void
add_name(struct tls_certs *c, const char *s, size_t n, size_t entry)
{
    if (c->nnames == c->capnames) {
        c->capnames = c->capnames ? c->capnames * 2 : 8;
        c->names = xrealloc(c->names, c->capnames * sizeof *c->names);
    }
    c->names[c->nnames].name = lower_dup(s, n);
    c->names[c->nnames].entry = entry;
    c->nnames++;
}

/* Registers the subject CN and every DNS and IP subjectAltName, as
 * CertStore.add_cert does. */
static void
add_cert_names(struct tls_certs *c, X509 *cert, size_t entry)
{
    X509_NAME *subj = X509_get_subject_name(cert);
    int i = subj ? X509_NAME_get_index_by_NID(subj, NID_commonName, -1) : -1;
    if (i >= 0) {
        ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
        unsigned char *utf8 = NULL;
        int n = ASN1_STRING_to_UTF8(&utf8, d);
        if (n > 0)
            add_name(c, (const char *)utf8, (size_t)n, entry);
        OPENSSL_free(utf8);
    }
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    for (int k = 0; sans && k < sk_GENERAL_NAME_num(sans); k++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, k);
        if (g->type == GEN_DNS) {
            const ASN1_IA5STRING *s = g->d.dNSName;
            add_name(c, (const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s),
                     entry);
        } else if (g->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *s = g->d.iPAddress;
            int len = ASN1_STRING_length(s);
            char text[INET6_ADDRSTRLEN];
            int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
            if (af && inet_ntop(af, ASN1_STRING_get0_data(s), text, sizeof text))
                add_name(c, text, strlen(text), entry);
        }
    }
    GENERAL_NAMES_free(sans);
    ERR_clear_error(); /* a missing extension or CN leaves nothing we need */
}

static int
read_file(const char *path, char **out, size_t *len, struct err *e, const char *spec)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return err_set(e, MP_ERR_NOTFOUND, "certs: %s: no such file", spec);
        return err_set(e, MP_ERR_IO, "certs: %s: %s", spec, strerror(errno));
    }
    char *data = xmalloc(MAX_FILE + 1);
    size_t n = fread(data, 1, MAX_FILE + 1, f);
    int bad = ferror(f);
    int saved = errno;
    fclose(f);
    if (bad) {
        free(data);
        return err_set(e, MP_ERR_IO, "certs: %s: %s", spec, strerror(saved));
    }
    if (n > MAX_FILE) {
        free(data);
        return err_set(e, MP_ERR_LIMIT, "certs: %s: file too large", spec);
    }
    *out = data;
    *len = n;
    return 0;
}

/* True when OpenSSL's last error only says that no (further) PEM block of
 * the wanted type was found. */
static bool
pem_none_left(void)
{
    unsigned long code = ERR_peek_last_error();
    return code == 0 ||
           (ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE);
}

/* Every certificate of the file, leaf first. */
static int
load_certs(const char *data, size_t len, X509 **leaf, STACK_OF(X509) * *chain, struct err *e,
           const char *spec)
{
    BIO *b = BIO_new_mem_buf(data, (int)len);
    if (b == NULL)
        return err_set(e, MP_ERR_FATAL, "certs: %s: %s", spec, tls__ossl_reason());
    *leaf = NULL;
    *chain = NULL;
    X509 *x;
    ERR_clear_error();
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (*leaf == NULL) {
            *leaf = x;
            continue;
        }
        if (*chain == NULL)
            *chain = sk_X509_new_null();
        if (*chain == NULL || !sk_X509_push(*chain, x))
            abort(); /* out of memory, as xmalloc would */
    }
    BIO_free(b);
    if (!pem_none_left()) {
        int rc = err_set(e, MP_ERR_CORRUPT, "certs: %s: bad certificate: %s", spec,
                         tls__ossl_reason());
        X509_free(*leaf);
        sk_X509_pop_free(*chain, X509_free);
        *leaf = NULL;
        *chain = NULL;
        return rc;
    }
    ERR_clear_error();
    if (*leaf == NULL)
        return err_set(e, MP_ERR_NOTFOUND, "certs: %s: no certificate found", spec);
    return 0;
}

struct pass {
    const char *pass;
    bool asked; /* the key is encrypted */
};

/* Hands OpenSSL the passphrase; without one it fails instead of prompting
 * on the terminal, which a proxy must never do. */
static int
pass_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    struct pass *p = u;
    p->asked = true;
    if (p->pass == NULL)
        return -1;
    size_t n = strlen(p->pass);
    if (n > (size_t)size)
        return -1;
    memcpy(buf, p->pass, n);
    return (int)n;
}

/* Whether any PEM block of the file is a private key ("PRIVATE KEY",
 * "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", ...). OpenSSL 3 reports a
 * missing key as a decoder failure, which reads like a damaged key, so we
 * look for one first. */
static bool
has_key_block(const char *data, size_t len)
{
    static const char suffix[] = "PRIVATE KEY";
    BIO *b = BIO_new_mem_buf(data, (int)len);
    bool found = false;
    char *name, *header;
    unsigned char *body;
    long blen;
    while (b != NULL && !found && PEM_read_bio(b, &name, &header, &body, &blen) == 1) {
        size_t n = strlen(name);
        found = n >= sizeof suffix - 1 && strcmp(name + n - (sizeof suffix - 1), suffix) == 0;
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_clear_free(body, (size_t)blen);
    }
    BIO_free(b);
    ERR_clear_error();
    return found;
}

static int
load_key(const char *data, size_t len, const char *passphrase, EVP_PKEY **key, struct err *e,
         const char *spec)
{
    *key = NULL;
    if (!has_key_block(data, len))
        return err_set(e, MP_ERR_NOTFOUND, "certs: %s: no private key", spec);
    BIO *b = BIO_new_mem_buf(data, (int)len);
    if (b == NULL)
        return err_set(e, MP_ERR_FATAL, "certs: %s: %s", spec, tls__ossl_reason());
    struct pass p = {passphrase, false};
    ERR_clear_error();
    *key = PEM_read_bio_PrivateKey(b, NULL, pass_cb, &p);
    BIO_free(b);
    if (*key != NULL) {
        ERR_clear_error();
        return 0;
    }
    if (p.asked && passphrase == NULL) {
        ERR_clear_error();
        return err_set(e, MP_ERR_INVAL,
                       "certs: %s: private key is encrypted and cert_passphrase is not set", spec);
    }
    if (p.asked) {
        ERR_clear_error();
        return err_set(e, MP_ERR_INVAL,
                       "certs: %s: cannot decrypt private key (wrong cert_passphrase?)", spec);
    }
    return err_set(e, MP_ERR_CORRUPT, "certs: %s: bad private key: %s", spec, tls__ossl_reason());
}

static int
load_one(struct tls_certs *c, const char *spec, const char *passphrase, struct err *e)
{
    const char *eq = strchr(spec, '=');
    const char *domain = "*", *path = spec;
    size_t dlen = 1;
    if (eq != NULL) {
        domain = spec;
        dlen = (size_t)(eq - spec);
        path = eq + 1;
        if (dlen == 0)
            return err_set(e, MP_ERR_INVAL, "certs: %s: empty domain", spec);
    }
    if (path[0] == '\0')
        return err_set(e, MP_ERR_INVAL, "certs: %s: empty path", spec);

    char *full = path_expand_home(path);
    char *data = NULL;
    size_t len = 0;
    int rc = read_file(full, &data, &len, e, spec);
    free(full);
    if (rc < 0)
        return rc;

    X509 *leaf = NULL;
    STACK_OF(X509) *chain = NULL;
    EVP_PKEY *key = NULL;
    rc = load_certs(data, len, &leaf, &chain, e, spec);
    if (rc == 0)
        rc = load_key(data, len, passphrase, &key, e, spec);
    OPENSSL_cleanse(data, len); /* it may hold an unencrypted key */
    free(data);
    if (rc == 0 && X509_check_private_key(leaf, key) != 1) {
        ERR_clear_error();
        rc =
            err_set(e, MP_ERR_INVAL, "certs: %s: private key does not match the certificate", spec);
    }
    if (rc < 0) {
        X509_free(leaf);
        sk_X509_pop_free(chain, X509_free);
        EVP_PKEY_free(key);
        return rc;
    }

    size_t idx = c->nentries++;
    c->entries = xrealloc(c->entries, c->nentries * sizeof *c->entries);
    c->entries[idx] = (struct ca_leaf){.cert = leaf, .key = key, .chain = chain};
    /* mitmproxy registers the certificate's own names before the spec's. */
    add_cert_names(c, leaf, idx);
    add_name(c, domain, dlen, idx);
    return 0;
}

int
tls_certs_load(struct tls_certs **out, const struct strv *specs, const char *passphrase,
               struct err *e)
{
    struct tls_certs *c = xcalloc(1, sizeof *c);
    *out = NULL;
    for (size_t i = 0; specs != NULL && i < specs->n; i++) {
        int rc = load_one(c, specs->v[i], passphrase, e);
        if (rc < 0) {
            tls_certs_free(c);
            return rc;
        }
    }
    *out = c;
    return 0;
}

static const struct ca_leaf *
lookup(const struct tls_certs *c, const char *name)
{
    for (size_t i = c->nnames; i-- > 0;)
        if (strcmp(c->names[i].name, name) == 0)
            return &c->entries[c->names[i].entry];
    return NULL;
}

const struct ca_leaf *
tls_certs_find(const struct tls_certs *c, const char *host)
{
    if (c == NULL || c->nnames == 0)
        return NULL;
    const struct ca_leaf *hit = NULL;
    if (host != NULL && host[0] != '\0') {
        size_t n = strlen(host);
        char *h = lower_dup(host, n);
        char *form = xmalloc(n + 2); /* "*." + a proper suffix, NUL */
        hit = lookup(c, h);
        for (const char *dot = strchr(h, '.'); hit == NULL && dot != NULL;
             dot = strchr(dot + 1, '.')) {
            form[0] = '*';
            memcpy(form + 1, dot, n - (size_t)(dot - h) + 1);
            hit = lookup(c, form);
        }
        free(form);
        free(h);
    }
    return hit ? hit : lookup(c, "*");
}

size_t
tls_certs_count(const struct tls_certs *c)
{
    return c ? c->nentries : 0;
}

void
tls_certs_free(struct tls_certs *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nentries; i++) {
        X509_free(c->entries[i].cert);
        EVP_PKEY_free(c->entries[i].key);
        sk_X509_pop_free(c->entries[i].chain, X509_free);
    }
    for (size_t i = 0; i < c->nnames; i++)
        free(c->names[i].name);
    free(c->entries);
    free(c->names);
    free(c);
}
