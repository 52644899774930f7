/*
 * The conf dir's certificate authority and the leaf certificates it signs.
 *
 * What we write matches mitmproxy 8.1.1's certs.py (create_store, create_ca,
 * dummy_cert), so that mitmproxy can use a directory made by us and the
 * other way round: the same file names, a traditional "RSA PRIVATE KEY" PEM
 * in mitmproxy-ca.pem, passwordless PKCS#12 files with the friendly name
 * "mitmproxy", and the same fixed DH group.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls/ca.h"
#include "tls/internal.h"
#include "util/path.h"
#include "util/xmalloc.h"

/* The cache bound: mitmproxy keeps 100; a browser session touches more hosts. */
#ifndef CA_CACHE_CAP
#define CA_CACHE_CAP 1000
#endif
#define CA_BUCKETS 2048 /* a power of two, about twice the cap */

#define DAY_SECS (24L * 60 * 60)
/* mitmproxy: CA_EXPIRY is ten years (issue 815: not longer), CERT_EXPIRY one. */
#define CA_EXPIRY_DAYS (10L * 365)
#define CERT_EXPIRY_DAYS 365L
/* Both start two days back, for clients whose clock is behind. */
#define BACKDATE_DAYS 2L

#define BASENAME "mitmproxy"
#define CA_PEM BASENAME "-ca.pem"
#define CA_P12 BASENAME "-ca.p12"
#define CERT_PEM BASENAME "-ca-cert.pem"
#define CERT_CER BASENAME "-ca-cert.cer"
#define CERT_P12 BASENAME "-ca-cert.p12"
#define DHPARAM_PEM BASENAME "-dhparam.pem"

/*
 * certs.py's DEFAULT_DHPARAM, byte for byte (it starts with a newline). It is
 * a well-known 2048-bit group; generating one at startup is far too slow.
 */
static const char default_dhparam[] =
    "\n"
    "-----BEGIN DH PARAMETERS-----\n"
    "MIICCAKCAgEAyT6LzpwVFS3gryIo29J5icvgxCnCebcdSe/NHMkD8dKJf8suFCg3\n"
    "O2+dguLakSVif/t6dhImxInJk230HmfC8q93hdcg/j8rLGJYDKu3ik6H//BAHKIv\n"
    "j5O9yjU3rXCfmVJQic2Nne39sg3CreAepEts2TvYHhVv3TEAzEqCtOuTjgDv0ntJ\n"
    "Gwpj+BJBRQGG9NvprX1YGJ7WOFBP/hWU7d6tgvE6Xa7T/u9QIKpYHMIkcN/l3ZFB\n"
    "chZEqVlyrcngtSXCROTPcDOQ6Q8QzhaBJS+Z6rcsd7X+haiQqvoFcmaJ08Ks6LQC\n"
    "ZIL2EtYJw8V8z7C0igVEBIADZBI6OTbuuhDwRw//zU1uq52Oc48CIZlGxTYG/Evq\n"
    "o9EWAXUYVzWkDSTeBH1r4z/qLPE2cnhtMxbFxuvK53jGB0emy2y1Ei6IhKshJ5qX\n"
    "IB/aE7SSHyQ3MDHHkCmQJCsOd4Mo26YX61NZ+n501XjqpCBQ2+DfZCBh8Va2wDyv\n"
    "A2Ryg9SUz8j0AXViRNMJgJrr446yro/FuJZwnQcO3WQnXeqSBnURqKjmqkeFP+d8\n"
    "6mk2tqJaY507lRNqtGlLnj7f5RNoBFJDCLBNurVgfvq9TCVWKDIFD4vZRjCrnl6I\n"
    "rD693XKIHUCWOjMh1if6omGXKHH40QuME2gNa50+YPn1iYDl88uDbbMCAQI=\n"
    "-----END DH PARAMETERS-----\n";

/* One cached leaf. The key is the name set: a presence byte and the CN, then
 * each SAN after a NUL, so (NULL, ...) and ("", ...) stay apart. */
struct leaf {
    struct leaf *prev, *next; /* LRU list, most recently used first */
    struct leaf *hnext;       /* hash bucket chain */
    uint64_t hash;
    char *key;
    size_t keylen;
    X509 *cert;
    EVP_PKEY *pkey; /* its key pair: ca->leaf_key or ca->key (borrowed) */
};

struct ca {
    int refs;
    char *dir;
    X509 *cert;
    EVP_PKEY *key;
    /* The key pair of every leaf: a P-256 key made at start-up (a leaf's
     * handshake then costs an ECDSA signature, about a twentieth of an
     * RSA-2048 one), or the CA's own key (mitmproxy's RSA leaves). Set
     * before the first leaf is made; read by signing threads. */
    EVP_PKEY *leaf_key;
    enum ca_leaf_key leaf_type;
    /* Every certificate of mitmproxy-ca.pem, CA first, when it holds more
     * than the CA (a chain to an outer root); else NULL. */
    STACK_OF(X509) * chain;
    struct leaf *buckets[CA_BUCKETS];
    struct leaf *head, *tail;
    size_t nleaves;
};

static char *
path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    char *p = xmalloc(dl + 1 + nl + 1);
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl + 1);
    return p;
}

/* mkdir -p, new components 0700: the directory holds a private key. */
static int
mkdir_p(const char *dir, struct err *e)
{
    char *p = xstrdup(dir);
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST) {
            rc = err_set(e, MP_ERR_IO, "cannot create conf dir %s: %s", p, strerror(errno));
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    if (rc == 0) {
        struct stat st;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
            rc = err_set(e, MP_ERR_IO, "conf dir %s is not a directory", dir);
    }
    return rc;
}

static int
read_file(const char *path, char **out, size_t *outlen, struct err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, MP_ERR_IO, "%s: %s", path, strerror(errno));
    size_t len = 0, cap = 4096;
    char *data = xmalloc(cap);
    for (;;) {
        if (len == cap)
            data = xrealloc(data, cap *= 2);
        ssize_t n = read(fd, data + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            free(data);
            return err_set(e, MP_ERR_IO, "%s: %s", path, strerror(saved));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    *out = data;
    *outlen = len;
    return 0;
}

/* Writes a whole file with the given mode, also when it exists already. */
static int
write_file(const char *path, const void *data, size_t len, mode_t mode, struct err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return err_set(e, MP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    if (fchmod(fd, mode) < 0)
        goto fail;
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        p += n;
        len -= (size_t)n;
    }
    if (close(fd) < 0)
        return err_set(e, MP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    return 0;
fail:;
    int saved = errno;
    close(fd);
    return err_set(e, MP_ERR_IO, "cannot write %s: %s", path, strerror(saved));
}

/* The contents of a memory BIO, copied out. */
static char *
bio_take(BIO *b, size_t *len)
{
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *out = xmalloc((size_t)n + 1);
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    *len = (size_t)n;
    return out;
}

/* Like cryptography's random_serial_number(): 159 random bits, positive. */
static int
set_random_serial(X509 *x)
{
    unsigned char raw[20];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -1;
    raw[0] &= 0x7f;
    raw[19] |= 1; /* never zero */
    BIGNUM *bn = BN_bin2bn(raw, sizeof(raw), NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : -1;
}

static int
set_validity(X509 *x, long days)
{
    if (X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_DAYS * DAY_SECS) == NULL)
        return -1;
    if (X509_gmtime_adj(X509_getm_notAfter(x), days * DAY_SECS) == NULL)
        return -1;
    return 0;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (ext == NULL)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* certs.py create_ca(): CN and O "mitmproxy", self-signed, SHA-256. */
static X509 *
make_ca_cert(EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_get_subject_name(x);
    X509V3_CTX ctx;
    if (x == NULL || !X509_set_version(x, X509_VERSION_3) || set_random_serial(x) < 0)
        goto fail;
    if (!X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                    (const unsigned char *)BASENAME, -1, -1, 0) ||
        !X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                                    (const unsigned char *)BASENAME, -1, -1, 0) ||
        !X509_set_issuer_name(x, name))
        goto fail;
    if (set_validity(x, CA_EXPIRY_DAYS) < 0 || !X509_set_pubkey(x, key))
        goto fail;
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    /* The same extensions, in the same order, as create_ca(). */
    if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
        add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") < 0 ||
        add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
        add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0)
        goto fail;
    if (X509_sign(x, key, EVP_sha256()) <= 0)
        goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

/* Serializes a passwordless PKCS#12 the way cryptography's
 * serialize_key_and_certificates(NoEncryption()) does: no bag encryption,
 * OpenSSL's default iteration and MAC settings. */
static char *
p12_bytes(EVP_PKEY *key, X509 *cert, size_t *len)
{
    PKCS12 *p12 = PKCS12_create(NULL, BASENAME, key, cert, NULL, -1, -1, 0, 0, 0);
    if (p12 == NULL)
        return NULL;
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (b && i2d_PKCS12_bio(b, p12) > 0)
        out = bio_take(b, len);
    BIO_free(b);
    PKCS12_free(p12);
    return out;
}

/*
 * Makes a new CA and writes every file. mitmproxy-ca.pem comes last, through
 * a temporary name, so that a failure half-way never leaves a partial
 * mitmproxy-ca.pem that the next start would (rightly) refuse to replace.
 */
static int
create_store(struct ca *ca, int key_size, struct err *e)
{
    if (key_size < 1024 || key_size > 16384)
        return err_set(e, MP_ERR_INVAL, "key_size %d: must be between 1024 and 16384", key_size);
    int rc = mkdir_p(ca->dir, e);
    if (rc < 0)
        return rc;

    ca->key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)key_size);
    if (ca->key == NULL)
        return err_set(e, MP_ERR_FATAL, "cannot generate a CA key: %s", tls__ossl_reason());
    ca->cert = make_ca_cert(ca->key);
    if (ca->cert == NULL)
        return err_set(e, MP_ERR_FATAL, "cannot make the CA certificate: %s", tls__ossl_reason());

    char *certpem = NULL, *keypem = NULL, *p12 = NULL, *certp12 = NULL;
    size_t certlen = 0, keylen = 0, p12len = 0, certp12len = 0;
    BIO *b = BIO_new(BIO_s_mem());
    if (b && PEM_write_bio_X509(b, ca->cert))
        certpem = bio_take(b, &certlen);
    BIO_free(b);
    /* TraditionalOpenSSL, as certs.py writes it: "BEGIN RSA PRIVATE KEY". */
    b = BIO_new(BIO_s_mem());
    if (b && PEM_write_bio_PrivateKey_traditional(b, ca->key, NULL, NULL, 0, NULL, NULL) &&
        PEM_write_bio_X509(b, ca->cert))
        keypem = bio_take(b, &keylen);
    BIO_free(b);
    p12 = p12_bytes(ca->key, ca->cert, &p12len);
    certp12 = p12_bytes(NULL, ca->cert, &certp12len);
    if (!certpem || !keypem || !p12 || !certp12) {
        rc = err_set(e, MP_ERR_FATAL, "cannot encode the CA: %s", tls__ossl_reason());
        goto out;
    }

    const struct {
        const char *name;
        const char *data;
        size_t len;
        mode_t mode;
    } files[] = {
        {CERT_PEM, certpem, certlen, 0644},
        {CERT_CER, certpem, certlen, 0644},
        {CERT_P12, certp12, certp12len, 0644},
        {CA_P12, p12, p12len, 0600},
        {DHPARAM_PEM, default_dhparam, sizeof(default_dhparam) - 1, 0644},
        {CA_PEM ".tmp", keypem, keylen, 0600},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && rc == 0; i++) {
        char *path = path_join(ca->dir, files[i].name);
        rc = write_file(path, files[i].data, files[i].len, files[i].mode, e);
        free(path);
    }
    if (rc == 0) {
        char *tmp = path_join(ca->dir, CA_PEM ".tmp");
        char *path = path_join(ca->dir, CA_PEM);
        if (rename(tmp, path) < 0) {
            rc = err_set(e, MP_ERR_IO, "cannot write %s: %s", path, strerror(errno));
            unlink(tmp);
        }
        free(tmp);
        free(path);
    }
out:
    free(certpem);
    if (keypem)
        OPENSSL_cleanse(keypem, keylen);
    free(keypem);
    if (p12)
        OPENSSL_cleanse(p12, p12len);
    free(p12);
    free(certp12);
    return rc;
}

/* Refuses to prompt on a terminal for an encrypted key's passphrase. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

/*
 * Reads mitmproxy-ca.pem the way CertStore.from_files() does: the private key
 * and the certificates may come in any order; the first certificate is the CA.
 */
static int
load_store(struct ca *ca, const char *path, struct err *e)
{
    char *data = NULL;
    size_t len = 0;
    int rc = read_file(path, &data, &len, e);
    if (rc < 0)
        return rc;

    ERR_clear_error();
    BIO *b = BIO_new_mem_buf(data, (int)len);
    ca->key = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
    BIO_free(b);
    if (ca->key == NULL && memmem(data, len, "PRIVATE KEY-----", 16) == NULL) {
        ERR_clear_error();
        rc = err_set(e, MP_ERR_CORRUPT, "%s: no PEM private key found (damaged file?)", path);
        goto out;
    }
    if (ca->key == NULL) {
        rc = err_set(e, MP_ERR_CORRUPT,
                     "%s: cannot read the CA private key (damaged or truncated?): %s", path,
                     tls__ossl_reason());
        goto out;
    }

    b = BIO_new_mem_buf(data, (int)len);
    STACK_OF(X509) *certs = sk_X509_new_null();
    X509 *x;
    while (b && certs && (x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) != NULL) {
        if (!sk_X509_push(certs, x)) {
            X509_free(x);
            break;
        }
    }
    BIO_free(b);
    /* The loop ends on "no start line" at the end of the file; but a
     * certificate that is there and damaged is an error. */
    unsigned long last = ERR_peek_last_error();
    int damaged = last && ERR_GET_REASON(last) != PEM_R_NO_START_LINE;
    if (certs == NULL || sk_X509_num(certs) == 0 || damaged) {
        if (damaged)
            rc = err_set(e, MP_ERR_CORRUPT, "%s: cannot read the CA certificate: %s", path,
                         tls__ossl_reason());
        else
            rc = err_set(e, MP_ERR_CORRUPT, "%s: no CA certificate found", path);
        sk_X509_pop_free(certs, X509_free);
        goto out;
    }
    ERR_clear_error();
    ca->cert = sk_X509_value(certs, 0);
    X509_up_ref(ca->cert);
    if (sk_X509_num(certs) > 1)
        ca->chain = certs;
    else
        sk_X509_pop_free(certs, X509_free);

    if (X509_check_private_key(ca->cert, ca->key) != 1) {
        rc = err_set(e, MP_ERR_CORRUPT, "%s: the private key does not match the CA certificate",
                     path);
        ERR_clear_error();
        goto out;
    }

    /* mitmproxy <= 0.10 made no dhparam file and mitmproxy adds it on load;
     * so do we, but a read-only conf dir is no reason to refuse the CA. */
    char *dh = path_join(ca->dir, DHPARAM_PEM);
    if (access(dh, F_OK) < 0 && errno == ENOENT)
        write_file(dh, default_dhparam, sizeof(default_dhparam) - 1, 0644, NULL);
    free(dh);
out:
    OPENSSL_cleanse(data, len);
    free(data);
    return rc;
}

struct ca *
ca_load_or_create(const char *confdir, int key_size, struct err *e)
{
    struct ca *ca = xcalloc(1, sizeof(*ca));
    ca->refs = 1;
    ca->dir = path_expand_home(confdir);
    char *path = path_join(ca->dir, CA_PEM);
    struct stat st;
    int rc;
    if (stat(path, &st) == 0)
        rc = load_store(ca, path, e);
    else if (errno == ENOENT)
        rc = create_store(ca, key_size, e);
    else
        rc = err_set(e, MP_ERR_IO, "%s: %s", path, strerror(errno));
    free(path);
    if (rc == 0)
        rc = ca_set_leaf_key(ca, CA_LEAF_ECDSA, e);
    if (rc < 0) {
        ca_free(ca);
        return NULL;
    }
    return ca;
}

static void
leaf_free(struct leaf *l)
{
    X509_free(l->cert);
    free(l->key);
    free(l);
}

/* Forgets every cached leaf: they carry the previous leaf key. */
static void
flush_leaves(struct ca *ca)
{
    for (struct leaf *l = ca->head, *next; l; l = next) {
        next = l->next;
        leaf_free(l);
    }
    ca->head = ca->tail = NULL;
    memset(ca->buckets, 0, sizeof(ca->buckets));
    ca->nleaves = 0;
}

int
ca_set_leaf_key(struct ca *ca, enum ca_leaf_key type, struct err *e)
{
    if (ca->leaf_key && ca->leaf_type == type)
        return 0;
    EVP_PKEY *key = ca->key;
    if (type == CA_LEAF_ECDSA) {
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        if (key == NULL)
            return err_set(e, MP_ERR_FATAL, "cannot generate the leaf key (P-256): %s",
                           tls__ossl_reason());
    }
    flush_leaves(ca);
    if (ca->leaf_key != ca->key)
        EVP_PKEY_free(ca->leaf_key);
    ca->leaf_key = key;
    ca->leaf_type = type;
    return 0;
}

int
ca_leaf_key_parse(const char *s)
{
    if (strcmp(s, "ecdsa") == 0)
        return CA_LEAF_ECDSA;
    if (strcmp(s, "rsa") == 0)
        return CA_LEAF_RSA;
    return -1;
}

enum ca_leaf_key
ca_leaf_key_type(const struct ca *ca)
{
    return ca->leaf_type;
}

void
ca_free(struct ca *ca)
{
    if (ca == NULL || --ca->refs > 0)
        return;
    for (struct leaf *l = ca->head, *next; l; l = next) {
        next = l->next;
        leaf_free(l);
    }
    sk_X509_pop_free(ca->chain, X509_free);
    X509_free(ca->cert);
    if (ca->leaf_key != ca->key)
        EVP_PKEY_free(ca->leaf_key);
    EVP_PKEY_free(ca->key);
    free(ca->dir);
    free(ca);
}

struct ca *
ca_ref(struct ca *ca)
{
    if (ca)
        ca->refs++;
    return ca;
}

const char *
ca_dir(const struct ca *ca)
{
    return ca->dir;
}

char *
ca_cert_pem(const struct ca *ca)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL;
    size_t len;
    if (b && PEM_write_bio_X509(b, ca->cert))
        out = bio_take(b, &len);
    BIO_free(b);
    return out;
}

/* FNV-1a: the keys are short host names, and the cache is not exposed to
 * names an attacker controls any more than the proxy's own traffic is. */
static uint64_t
hash_key(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The key of a leaf with the CA's key (rsa) or the leaf key (see struct leaf). */
static char *
make_key(int rsa, const char *cn, const char *const *sans, size_t nsans, size_t *len)
{
    size_t n = 1 + (cn ? strlen(cn) : 0);
    for (size_t i = 0; i < nsans; i++)
        n += 1 + strlen(sans[i]);
    char *k = xmalloc(n), *p = k;
    *p++ = rsa ? (cn ? 'C' : 'N') : (cn ? 'c' : 'n');
    if (cn) {
        memcpy(p, cn, strlen(cn));
        p += strlen(cn);
    }
    for (size_t i = 0; i < nsans; i++) {
        *p++ = '\0';
        memcpy(p, sans[i], strlen(sans[i]));
        p += strlen(sans[i]);
    }
    *len = n;
    return k;
}

static void
lru_unlink(struct ca *ca, struct leaf *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        ca->head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    else
        ca->tail = l->prev;
    l->prev = l->next = NULL;
}

static void
lru_push_front(struct ca *ca, struct leaf *l)
{
    l->prev = NULL;
    l->next = ca->head;
    if (ca->head)
        ca->head->prev = l;
    ca->head = l;
    if (ca->tail == NULL)
        ca->tail = l;
}

static void
evict_oldest(struct ca *ca)
{
    struct leaf *l = ca->tail;
    lru_unlink(ca, l);
    struct leaf **pp = &ca->buckets[l->hash & (CA_BUCKETS - 1)];
    while (*pp != l)
        pp = &(*pp)->hnext;
    *pp = l->hnext;
    ca->nleaves--;
    leaf_free(l);
}

/* The SAN list of dummy_cert(): an IP address entry for anything that parses
 * as one, else a DNS name. */
static GENERAL_NAMES *
make_sans(const char *const *sans, size_t nsans)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    if (gens == NULL)
        return NULL;
    for (size_t i = 0; i < nsans; i++) {
        unsigned char ip[16];
        int iplen = inet_pton(AF_INET, sans[i], ip) == 1    ? 4
                    : inet_pton(AF_INET6, sans[i], ip) == 1 ? 16
                                                            : 0;
        GENERAL_NAME *gen = GENERAL_NAME_new();
        ASN1_STRING *s = iplen ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
        int ok = gen && s;
        if (ok && iplen)
            ok = ASN1_OCTET_STRING_set(s, ip, iplen);
        else if (ok)
            ok = ASN1_STRING_set(s, sans[i], (int)strlen(sans[i]));
        if (!ok) {
            ASN1_STRING_free(s);
            GENERAL_NAME_free(gen);
            GENERAL_NAMES_free(gens);
            return NULL;
        }
        GENERAL_NAME_set0_value(gen, iplen ? GEN_IPADD : GEN_DNS, s);
        if (!sk_GENERAL_NAME_push(gens, gen)) {
            GENERAL_NAME_free(gen);
            GENERAL_NAMES_free(gens);
            return NULL;
        }
    }
    return gens;
}

/* certs.py dummy_cert(): issuer = CA subject, serverAuth, the SANs
 * (critical when the subject is empty, RFC 5280 4.2.1.6); the public key is
 * the leaf key's (mitmproxy's is the CA's, which CA_LEAF_RSA keeps). */
static X509 *
make_leaf(const struct ca *ca, EVP_PKEY *pkey, const char *cn, const char *const *sans,
          size_t nsans)
{
    X509 *x = X509_new();
    X509V3_CTX ctx;
    if (x == NULL || !X509_set_version(x, X509_VERSION_3) ||
        !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)))
        goto fail;
    X509V3_set_ctx(&ctx, ca->cert, x, NULL, NULL, 0);
    if (add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") < 0 || !X509_set_pubkey(x, pkey) ||
        set_validity(x, CERT_EXPIRY_DAYS) < 0)
        goto fail;
    /* 64 is X.520's upper bound for a CN; a longer one stays only a SAN.
     * A CN that OpenSSL will not encode (bad UTF-8) is left out likewise. */
    int has_cn = cn != NULL && strlen(cn) <= 64 &&
                 X509_NAME_add_entry_by_NID(X509_get_subject_name(x), NID_commonName, MBSTRING_UTF8,
                                            (const unsigned char *)cn, -1, -1, 0);
    if (!has_cn)
        ERR_clear_error();
    if (set_random_serial(x) < 0)
        goto fail;
    /* An empty subjectAltName is not allowed (RFC 5280 4.2.1.6), so a leaf
     * without names gets none, where mitmproxy would write an empty one. */
    if (nsans > 0) {
        GENERAL_NAMES *gens = make_sans(sans, nsans);
        int ok = gens && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, has_cn ? 0 : 1,
                                           X509V3_ADD_DEFAULT) == 1;
        GENERAL_NAMES_free(gens);
        if (!ok)
            goto fail;
    }
    if (X509_sign(x, ca->key, EVP_sha256()) <= 0)
        goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

/* The cached leaf of this key (moved to the front), or NULL. */
static struct leaf *
find(struct ca *ca, const char *key, size_t keylen, uint64_t h)
{
    struct leaf *l;
    for (l = ca->buckets[h & (CA_BUCKETS - 1)]; l; l = l->hnext)
        if (l->hash == h && l->keylen == keylen && memcmp(l->key, key, keylen) == 0)
            break;
    if (l) {
        lru_unlink(ca, l);
        lru_push_front(ca, l);
    }
    return l;
}

static void
fill(const struct ca *ca, const struct leaf *l, struct ca_leaf *out)
{
    out->cert = l->cert;
    out->key = l->pkey;
    out->chain = ca->chain;
}

/* Whether leaves of this kind carry the CA's key. */
static int
uses_ca_key(const struct ca *ca, int rsa)
{
    return rsa || ca->leaf_type == CA_LEAF_RSA;
}

static int
lookup(struct ca *ca, int rsa, const char *cn, const char *const *sans, size_t nsans,
       struct ca_leaf *out)
{
    size_t keylen;
    char *key = make_key(uses_ca_key(ca, rsa), cn, sans, nsans, &keylen);
    struct leaf *l = find(ca, key, keylen, hash_key(key, keylen));
    free(key);
    if (l == NULL)
        return 0;
    fill(ca, l, out);
    return 1;
}

static X509 *
sign(const struct ca *ca, int rsa, const char *cn, const char *const *sans, size_t nsans,
     struct err *e)
{
    X509 *x = make_leaf(ca, uses_ca_key(ca, rsa) ? ca->key : ca->leaf_key, cn, sans, nsans);
    if (x == NULL)
        err_set(e, MP_ERR_FATAL, "cannot sign a certificate for %s: %s",
                cn      ? cn
                : nsans ? sans[0]
                        : "(no name)",
                tls__ossl_reason());
    return x;
}

static void
put(struct ca *ca, int rsa, const char *cn, const char *const *sans, size_t nsans, X509 *cert,
    struct ca_leaf *out)
{
    size_t keylen;
    char *key = make_key(uses_ca_key(ca, rsa), cn, sans, nsans, &keylen);
    uint64_t h = hash_key(key, keylen);
    struct leaf *l = find(ca, key, keylen, h);
    if (l) {
        /* Signed twice meanwhile (two connections to a new host at once). */
        free(key);
        X509_free(cert);
        fill(ca, l, out);
        return;
    }
    if (ca->nleaves >= CA_CACHE_CAP)
        evict_oldest(ca);
    struct leaf **bucket = &ca->buckets[h & (CA_BUCKETS - 1)];
    l = xcalloc(1, sizeof(*l));
    l->hash = h;
    l->key = key;
    l->keylen = keylen;
    l->cert = cert;
    l->pkey = uses_ca_key(ca, rsa) ? ca->key : ca->leaf_key;
    l->hnext = *bucket;
    *bucket = l;
    lru_push_front(ca, l);
    ca->nleaves++;
    fill(ca, l, out);
}

static int
get(struct ca *ca, int rsa, const char *cn, const char *const *sans, size_t nsans,
    struct ca_leaf *out, struct err *e)
{
    if (lookup(ca, rsa, cn, sans, nsans, out))
        return 0;
    X509 *x = sign(ca, rsa, cn, sans, nsans, e);
    if (x == NULL)
        return e ? e->code : MP_ERR_FATAL;
    put(ca, rsa, cn, sans, nsans, x, out);
    return 0;
}

int
ca_leaf_lookup(struct ca *ca, const char *cn, const char *const *sans, size_t nsans,
               struct ca_leaf *out)
{
    return lookup(ca, 0, cn, sans, nsans, out);
}

void *
ca_leaf_sign(const struct ca *ca, const char *cn, const char *const *sans, size_t nsans,
             struct err *e)
{
    return sign(ca, 0, cn, sans, nsans, e);
}

void
ca_leaf_put(struct ca *ca, const char *cn, const char *const *sans, size_t nsans, void *cert,
            struct ca_leaf *out)
{
    put(ca, 0, cn, sans, nsans, cert, out);
}

int
ca_leaf_get(struct ca *ca, const char *cn, const char *const *sans, size_t nsans,
            struct ca_leaf *out, struct err *e)
{
    return get(ca, 0, cn, sans, nsans, out, e);
}

int
ca_leaf_get_rsa(struct ca *ca, const char *cn, const char *const *sans, size_t nsans,
                struct ca_leaf *out, struct err *e)
{
    return get(ca, 1, cn, sans, nsans, out, e);
}
