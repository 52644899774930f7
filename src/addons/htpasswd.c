/*
 * htpasswd files. The whole file is read at configure time and kept as a
 * small array: htpasswd files hold a handful of users, and a linear search
 * costs nothing next to the hash it leads to.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "addons/htpasswd.h"
#include "util/buf.h"
#include "util/xmalloc.h"

/* No sane htpasswd file comes near this; a bigger file is a wrong path. */
#define HTPASSWD_MAX (4 * 1024 * 1024)

struct entry {
    char *user; /* owned */
    char *hash; /* owned */
};

struct htpasswd {
    struct entry *v;
    size_t n;
};

static const char itoa64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void
to64(char **p, unsigned long v, int n)
{
    while (n-- > 0) {
        *(*p)++ = itoa64[v & 0x3f];
        v >>= 6;
    }
}

static void
md5(const void *const *parts, const size_t *lens, size_t nparts, unsigned char out[16])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_md5(), NULL);
    for (size_t i = 0; i < nparts; i++)
        EVP_DigestUpdate(c, parts[i], lens[i]);
    EVP_DigestFinal_ex(c, out, NULL);
    EVP_MD_CTX_free(c);
}

int
htpasswd_md5crypt(const char *pass, const char *setting, char out[64])
{
    const char *magic;
    if (strncmp(setting, "$apr1$", 6) == 0)
        magic = "$apr1$";
    else if (strncmp(setting, "$1$", 3) == 0)
        magic = "$1$";
    else
        return MP_ERR_INVAL;
    size_t mlen = strlen(magic);
    const char *salt = setting + mlen;
    size_t slen = strcspn(salt, "$");
    if (slen > 8)
        slen = 8;
    size_t plen = strlen(pass);

    /* The "alternate" sum of password, salt, password. */
    unsigned char alt[16];
    md5((const void *[]){pass, salt, pass}, (size_t[]){plen, slen, plen}, 3, alt);

    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_md5(), NULL);
    EVP_DigestUpdate(c, pass, plen);
    EVP_DigestUpdate(c, magic, mlen);
    EVP_DigestUpdate(c, salt, slen);
    for (size_t i = plen; i > 0; i -= i > 16 ? 16 : i)
        EVP_DigestUpdate(c, alt, i > 16 ? 16 : i);
    /* The scheme's famous oddity: a NUL byte for each set bit, else the first character. */
    for (size_t i = plen; i; i >>= 1)
        EVP_DigestUpdate(c, (i & 1) ? "" : pass, 1);
    unsigned char fin[16];
    EVP_DigestFinal_ex(c, fin, NULL);

    /* A thousand rounds, only to make guessing slow. */
    for (int i = 0; i < 1000; i++) {
        EVP_DigestInit_ex(c, EVP_md5(), NULL);
        if (i & 1)
            EVP_DigestUpdate(c, pass, plen);
        else
            EVP_DigestUpdate(c, fin, 16);
        if (i % 3)
            EVP_DigestUpdate(c, salt, slen);
        if (i % 7)
            EVP_DigestUpdate(c, pass, plen);
        if (i & 1)
            EVP_DigestUpdate(c, fin, 16);
        else
            EVP_DigestUpdate(c, pass, plen);
        EVP_DigestFinal_ex(c, fin, NULL);
    }
    EVP_MD_CTX_free(c);

    char *p = out;
    memcpy(p, magic, mlen);
    p += mlen;
    memcpy(p, salt, slen);
    p += slen;
    *p++ = '$';
    to64(&p, ((unsigned long)fin[0] << 16) | ((unsigned long)fin[6] << 8) | fin[12], 4);
    to64(&p, ((unsigned long)fin[1] << 16) | ((unsigned long)fin[7] << 8) | fin[13], 4);
    to64(&p, ((unsigned long)fin[2] << 16) | ((unsigned long)fin[8] << 8) | fin[14], 4);
    to64(&p, ((unsigned long)fin[3] << 16) | ((unsigned long)fin[9] << 8) | fin[15], 4);
    to64(&p, ((unsigned long)fin[4] << 16) | ((unsigned long)fin[10] << 8) | fin[5], 4);
    to64(&p, fin[11], 2);
    *p = '\0';
    return 0;
}

/* Compares two strings without an early exit, so timing tells nothing. */
static int
same(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

static int
verify_sha(const char *hash, const char *pass)
{
    unsigned char d[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)pass, strlen(pass), d);
    char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    EVP_EncodeBlock((unsigned char *)b64, d, SHA_DIGEST_LENGTH);
    return same(hash + 5, b64);
}

static int
verify_crypt(const char *hash, const char *pass)
{
    /* struct crypt_data is tens of kilobytes: too big for a worker's stack. */
    struct crypt_data *cd = xcalloc(1, sizeof(*cd));
    const char *r = crypt_r(pass, hash, cd);
    /* Failure is NULL or a string starting with "*", which no hash equals. */
    int ok = r != NULL && r[0] != '*' && same(r, hash);
    free(cd);
    return ok;
}

int
htpasswd_verify(const char *hash, const char *pass)
{
    if (strncmp(hash, "$apr1$", 6) == 0) {
        char out[64];
        return htpasswd_md5crypt(pass, hash, out) == 0 && same(out, hash);
    }
    if (strncmp(hash, "{SHA}", 5) == 0)
        return verify_sha(hash, pass);
    /* bcrypt, sha256-crypt, sha512-crypt, md5-crypt: whatever the system crypt knows. */
    if (hash[0] == '$')
        return verify_crypt(hash, pass);
    return 0; /* plain text or DES: refused */
}

int
htpasswd_check(const struct htpasswd *h, const char *user, const char *pass)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->v[i].user, user) == 0)
            return htpasswd_verify(h->v[i].hash, pass);
    return 0;
}

void
htpasswd_free(struct htpasswd *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].user);
        free(h->v[i].hash);
    }
    free(h->v);
    free(h);
}

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Adds one line (without its newline); returns 0 or -1 if malformed. */
static int
add_line(struct htpasswd *h, const char *line, size_t n)
{
    size_t i = 0;
    while (i < n && is_space(line[i]))
        i++;
    if (i == n || line[i] == '#')
        return 0;
    while (n > 0 && is_space(line[n - 1]))
        n--;
    const char *colon = memchr(line, ':', n);
    if (colon == NULL || memchr(colon + 1, ':', n - (size_t)(colon + 1 - line)) != NULL)
        return -1;
    char *user = xstrndup(line, (size_t)(colon - line));
    for (size_t k = 0; k < h->n; k++) {
        if (strcmp(h->v[k].user, user) == 0) {
            free(user); /* passlib keeps the first entry of a user */
            return 0;
        }
    }
    h->v = xrealloc(h->v, (h->n + 1) * sizeof(*h->v));
    h->v[h->n].user = user;
    h->v[h->n].hash = xstrndup(colon + 1, n - (size_t)(colon + 1 - line));
    h->n++;
    return 0;
}

struct htpasswd *
htpasswd_load(const char *path, struct err *e)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        err_set(e, MP_ERR_IO, "Could not open htpasswd file: %s: %s", path, strerror(errno));
        return NULL;
    }
    struct buf b = BUF_INIT;
    char chunk[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (b.len + n > HTPASSWD_MAX) {
            rc = err_set(e, MP_ERR_LIMIT, "Could not open htpasswd file: %s: larger than %d bytes",
                         path, HTPASSWD_MAX);
            break;
        }
        buf_append(&b, chunk, n);
    }
    if (rc == 0 && ferror(fp))
        rc = err_set(e, MP_ERR_IO, "Could not open htpasswd file: %s: read error", path);
    fclose(fp);

    struct htpasswd *h = xcalloc(1, sizeof(*h));
    const char *p = (const char *)buf_ptr(&b), *end = p + b.len;
    for (int lineno = 1; rc == 0 && p < end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (memchr(p, '\0', len) != NULL || add_line(h, p, len) < 0)
            rc = err_set(e, MP_ERR_SYNTAX,
                         "Could not open htpasswd file: %s: malformed line %d (expected "
                         "user:hash)",
                         path, lineno);
        p += len + 1;
    }
    buf_clear(&b);
    if (rc < 0) {
        htpasswd_free(h);
        return NULL;
    }
    return h;
}
