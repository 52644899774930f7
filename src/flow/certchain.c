/*
 * Certificate chains kept once each (certchain.h). A chained hash table,
 * keyed by the DER bytes, holds every chain some connection refers to; the
 * last reference takes the chain out of it. Entries are compared byte for
 * byte, so two chains that only share a hash never share an entry.
 *
 * One allocation per chain: the record, then its certificates' DER bytes,
 * then their PEM texts.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "flow/certchain.h"
#include "util/xmalloc.h"

struct cert {
    const uint8_t *der; /* into the chain's allocation */
    size_t der_len;
    const char *pem; /* the same, NUL-terminated */
    size_t pem_len;
};

struct certchain {
    atomic_int refs;
    uint64_t hash;
    struct certchain *next; /* in its bucket */
    size_t n;
    struct cert certs[];
};

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----\n";
static const char pem_end[] = "-----END CERTIFICATE-----\n";
enum { PEM_LINE = 48 }; /* DER bytes per line of 64 base64 characters */

/* The table, guarded by lock: a chain's refs drop to 0 only under it, so
 * certchain_get() never hands out one that is being freed. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct certchain **buckets; /* nbuckets of them, a power of 2 */
static size_t nbuckets, count;

/* A word at a time: a chain is a few KB, hashed for every handshake, and
 * a match is confirmed with memcmp anyway. */
static uint64_t
hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
    const uint64_t k = 0x9e3779b97f4a7c15u;
    h ^= n * k;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    if (n)
        memcpy(&w, p, n);
    h = (h ^ w) * k;
    return h ^ (h >> 32);
}

static size_t
pem_size(size_t der_len)
{
    size_t lines = (der_len + PEM_LINE - 1) / PEM_LINE;
    return sizeof(pem_begin) - 1 + (der_len + 2) / 3 * 4 + lines + sizeof(pem_end) - 1;
}

/* Writes der as PEM to out (pem_size(n) bytes); returns the end. */
static char *
pem_write(char *out, const uint8_t *der, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    memcpy(out, pem_begin, sizeof(pem_begin) - 1);
    out += sizeof(pem_begin) - 1;
    for (size_t off = 0; off < n; off += PEM_LINE) {
        size_t end = n - off < PEM_LINE ? n : off + PEM_LINE;
        size_t i = off;
        for (; i + 3 <= end; i += 3) {
            uint32_t v = (uint32_t)der[i] << 16 | (uint32_t)der[i + 1] << 8 | der[i + 2];
            *out++ = b64[v >> 18];
            *out++ = b64[v >> 12 & 63];
            *out++ = b64[v >> 6 & 63];
            *out++ = b64[v & 63];
        }
        if (i < end) {
            uint32_t v = (uint32_t)der[i] << 16 | (i + 1 < end ? (uint32_t)der[i + 1] << 8 : 0);
            *out++ = b64[v >> 18];
            *out++ = b64[v >> 12 & 63];
            *out++ = i + 1 < end ? b64[v >> 6 & 63] : '=';
            *out++ = '=';
        }
        *out++ = '\n';
    }
    memcpy(out, pem_end, sizeof(pem_end) - 1);
    return out + sizeof(pem_end) - 1;
}

static int
same(const struct certchain *c, uint64_t h, const uint8_t *const der[], const size_t len[],
     size_t n)
{
    if (c->hash != h || c->n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (c->certs[i].der_len != len[i] ||
            (len[i] && memcmp(c->certs[i].der, der[i], len[i]) != 0))
            return 0;
    return 1;
}

static struct certchain *
make(uint64_t h, const uint8_t *const der[], const size_t len[], size_t n)
{
    size_t size = sizeof(struct certchain) + n * sizeof(struct cert);
    for (size_t i = 0; i < n; i++)
        size += len[i] + pem_size(len[i]) + 1;
    struct certchain *c = xmalloc(size);
    atomic_init(&c->refs, 1);
    c->hash = h;
    c->next = NULL;
    c->n = n;
    uint8_t *p = (uint8_t *)&c->certs[n];
    for (size_t i = 0; i < n; i++) {
        if (len[i])
            memcpy(p, der[i], len[i]);
        c->certs[i].der = p;
        c->certs[i].der_len = len[i];
        p += len[i];
    }
    for (size_t i = 0; i < n; i++) {
        char *pem = (char *)p;
        char *end = pem_write(pem, der[i], len[i]);
        *end = '\0';
        c->certs[i].pem = pem;
        c->certs[i].pem_len = (size_t)(end - pem);
        p = (uint8_t *)end + 1;
    }
    return c;
}

/* Room for one more entry (under lock): the table doubles past one a bucket. */
static void
table_grow(void)
{
    if (count < nbuckets)
        return;
    size_t nn = nbuckets ? nbuckets * 2 : 16;
    struct certchain **nb = xcalloc(nn, sizeof(*nb));
    for (size_t i = 0; i < nbuckets; i++) {
        for (struct certchain *c = buckets[i], *next; c; c = next) {
            next = c->next;
            c->next = nb[c->hash & (nn - 1)];
            nb[c->hash & (nn - 1)] = c;
        }
    }
    free(buckets);
    buckets = nb;
    nbuckets = nn;
}

struct certchain *
certchain_get(const uint8_t *const der[], const size_t len[], size_t n)
{
    if (n == 0)
        return NULL;
    uint64_t h = n;
    for (size_t i = 0; i < n; i++)
        h = hash_bytes(h, der[i], len[i]);
    pthread_mutex_lock(&lock);
    struct certchain *c = nbuckets ? buckets[h & (nbuckets - 1)] : NULL;
    while (c && !same(c, h, der, len, n))
        c = c->next;
    if (c) {
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    } else {
        table_grow();
        c = make(h, der, len, n);
        c->next = buckets[h & (nbuckets - 1)];
        buckets[h & (nbuckets - 1)] = c;
        count++;
    }
    pthread_mutex_unlock(&lock);
    return c;
}

struct certchain *
certchain_ref(struct certchain *c)
{
    /* The caller holds a reference, so refs cannot be dropping to 0 now. */
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void
certchain_unref(struct certchain *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&lock);
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1) {
        pthread_mutex_unlock(&lock);
        return;
    }
    struct certchain **pp = &buckets[c->hash & (nbuckets - 1)];
    while (*pp != c)
        pp = &(*pp)->next;
    *pp = c->next;
    if (--count == 0) {
        /* Nothing kept: the table goes too (and leak checks see nothing). */
        free(buckets);
        buckets = NULL;
        nbuckets = 0;
    }
    pthread_mutex_unlock(&lock);
    free(c);
}

size_t
certchain_len(const struct certchain *c)
{
    return c ? c->n : 0;
}

const char *
certchain_pem(const struct certchain *c, size_t i, size_t *len)
{
    if (c == NULL || i >= c->n)
        return NULL;
    *len = c->certs[i].pem_len;
    return c->certs[i].pem;
}

size_t
certchain_count(void)
{
    pthread_mutex_lock(&lock);
    size_t n = count;
    pthread_mutex_unlock(&lock);
    return n;
}
