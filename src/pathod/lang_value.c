/*
 * Values of the spec language: literals, generators and files, how they
 * are read lazily, how they print, and the randomness behind them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "pathod/internal.h"
#include "util/xmalloc.h"

/* Python's string module constants, which pathod used as alphabets. */
const struct pgen_type pathod_gen_types[GEN_NTYPES] = {
    {"ascii_letters", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 52},
    {"ascii_lowercase", "abcdefghijklmnopqrstuvwxyz", 26},
    {"ascii_uppercase", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 26},
    {"digits", "0123456789", 10},
    {"hexdigits", "0123456789abcdefABCDEF", 22},
    {"octdigits", "01234567", 8},
    {"punctuation", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", 32},
    {"whitespace", " \t\n\r\x0b\x0c", 6},
    {"ascii",
     "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
     "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r\x0b\x0c",
     100},
    {"bytes", NULL, 256},
};

/*
 * Random numbers for choices (offsets, seeds, keys) come from getrandom in
 * 512-byte gulps, as in util/uuid.c: a spec with many random parts costs
 * one system call, not one per part.
 */
static _Thread_local uint64_t pool[64];
static _Thread_local size_t pool_left;

uint64_t
pathod_rand64(void)
{
    if (pool_left == 0) {
        if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool)) {
            /* Test data, not secrets: a clock-seeded fallback will do. */
            static _Thread_local uint64_t ctr;
            for (size_t i = 0; i < 64; i++)
                pool[i] = ((uint64_t)time(NULL) + ++ctr) * 0x9E3779B97F4A7C15ull;
        }
        pool_left = 64;
    }
    return pool[--pool_left];
}

uint64_t
pathod_rand_below(uint64_t n)
{
    return n ? pathod_rand64() % n : 0;
}

/* splitmix64: tiny, fast, and good enough to make data look random. */
static uint64_t
mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void
pval_init(struct pval *v)
{
    memset(v, 0, sizeof(*v));
    v->fd = -1;
}

void
pval_free(struct pval *v)
{
    buf_clear(&v->lit);
    if (v->fd >= 0)
        close(v->fd);
    pval_init(v);
}

void
pval_set_lit(struct pval *v, const void *p, size_t n)
{
    pval_free(v);
    v->kind = PV_LIT;
    buf_set(&v->lit, p, n);
}

static uint64_t
unit_mult(char unit)
{
    switch (unit) {
    case 'k':
        return 1ull << 10;
    case 'm':
        return 1ull << 20;
    case 'g':
        return 1ull << 30;
    case 't':
        return 1ull << 40;
    default:
        return 1;
    }
}

uint64_t
pval_len(const struct pval *v)
{
    switch (v->kind) {
    case PV_LIT:
        return v->lit.len;
    case PV_GEN:
        return v->usize * unit_mult(v->unit);
    case PV_FILE:
        return v->fd >= 0 ? v->flen : 0;
    default:
        return 0;
    }
}

void
preader_init(struct preader *r, const struct pval *v)
{
    memset(r, 0, sizeof(*r));
    r->v = v;
    r->state = v->seed;
}

ssize_t
preader_read(struct preader *r, uint8_t *dst, size_t n)
{
    const struct pval *v = r->v;
    uint64_t left = pval_len(v) - r->pos;
    if (n > left)
        n = (size_t)left;
    if (n == 0)
        return 0;
    switch (v->kind) {
    case PV_LIT:
        memcpy(dst, buf_ptr(&v->lit) + r->pos, n);
        break;
    case PV_GEN: {
        const struct pgen_type *gt = &pathod_gen_types[v->dtype];
        for (size_t i = 0; i < n; i++) {
            if (r->npend == 0) {
                uint64_t x = mix(&r->state);
                memcpy(r->pend, &x, 8);
                r->npend = 8;
            }
            uint8_t b = r->pend[--r->npend];
            dst[i] = gt->alpha ? (uint8_t)gt->alpha[b % gt->n] : b;
        }
        break;
    }
    case PV_FILE: {
        size_t got = 0;
        while (got < n) {
            ssize_t k = pread(v->fd, dst + got, n - got, (off_t)(r->pos + got));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return MP_ERR_IO;
            got += (size_t)k;
        }
        break;
    }
    default:
        return 0;
    }
    r->pos += n;
    return (ssize_t)n;
}

void
pval_append(const struct pval *v, struct buf *out, size_t max)
{
    struct preader r;
    preader_init(&r, v);
    uint64_t n = pval_len(v);
    if (n > max)
        n = max;
    if (n == 0)
        return;
    buf_reserve(out, (size_t)n);
    ssize_t k = preader_read(&r, out->data + out->off + out->len, (size_t)n);
    if (k > 0)
        out->len += (size_t)k;
}

/*
 * Files are looked up under the static directory only, as pathod did: the
 * joined path is normalised lexically and must stay below the directory,
 * and the real path (symlinks followed) must too, so a link cannot lead
 * out of it either.
 */
static int
open_file(struct pval *v, const struct pathod_settings *s, struct err *e)
{
    char *path = slice_strdup(buf_slice(&v->lit));
    int rc = 0, fd = -1;
    struct stat st;
    if (strlen(path) != v->lit.len) {
        rc = err_set(e, MP_ERR_INVAL, "file path contains a NUL byte");
        goto out;
    }
    if (s && s->unconstrained_files) {
        char *full = NULL;
        if (path[0] != '/' && s->staticdir && asprintf(&full, "%s/%s", s->staticdir, path) < 0)
            full = NULL;
        fd = open(full ? full : path, O_RDONLY | O_CLOEXEC);
        free(full);
        goto opened;
    }
    if (!s || !s->staticdir) {
        rc = err_set(e, MP_ERR_INVAL, "file access disabled: %s", path);
        goto out;
    }
    char root[PATH_MAX], full[PATH_MAX];
    if (!realpath(s->staticdir, root)) {
        rc = err_set(e, MP_ERR_IO, "static directory %s: %s", s->staticdir, strerror(errno));
        goto out;
    }
    /*
     * Lexical check first, so "../x" is refused even when it exists: no
     * absolute or home-relative paths, and ".." never climbs above the root.
     */
    int depth = 0;
    for (const char *p = path; *p && depth >= 0;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            depth--;
        else if (n > 0 && !(n == 1 && p[0] == '.'))
            depth++;
        p += n + (p[n] == '/');
    }
    if (depth < 0 || path[0] == '/' || path[0] == '~') {
        rc = err_set(e, MP_ERR_INVAL, "file access outside of the static directory: %s", path);
        goto out;
    }
    char joined[PATH_MAX * 2];
    snprintf(joined, sizeof(joined), "%s/%s", root, path);
    if (!realpath(joined, full)) {
        rc = err_set(e, MP_ERR_IO, "file not readable: %s", path);
        goto out;
    }
    size_t rl = strlen(root);
    if (strncmp(full, root, rl) != 0 || (full[rl] != '/' && full[rl] != '\0' && rl > 1)) {
        rc = err_set(e, MP_ERR_INVAL, "file access outside of the static directory: %s", path);
        goto out;
    }
    fd = open(full, O_RDONLY | O_CLOEXEC);
opened:
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        rc = err_set(e, MP_ERR_IO, "file not readable: %s", path);
        goto out;
    }
    if (v->fd >= 0)
        close(v->fd);
    v->fd = fd;
    v->flen = (uint64_t)st.st_size;
out:
    free(path);
    return rc;
}

int
pval_resolve(struct pval *v, const struct pathod_settings *s, struct err *e)
{
    switch (v->kind) {
    case PV_GEN:
        if (!v->seeded) {
            v->seed = pathod_rand64();
            v->seeded = 1;
        }
        if (pval_len(v) <= PATHOD_FREEZE_MAX) {
            struct buf b = BUF_INIT;
            pval_append(v, &b, PATHOD_FREEZE_MAX);
            pval_free(v);
            v->kind = PV_LIT;
            buf_move(&v->lit, &b);
        }
        return 0;
    case PV_FILE:
        return open_file(v, s, e);
    default:
        return 0;
    }
}

/* Python's bytes repr escapes, except that ' becomes \x27 (pathod's form). */
void
pathod_escape(struct buf *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        switch (c) {
        case '\\':
            buf_append_str(out, "\\\\");
            break;
        case '\n':
            buf_append_str(out, "\\n");
            break;
        case '\r':
            buf_append_str(out, "\\r");
            break;
        case '\t':
            buf_append_str(out, "\\t");
            break;
        case '\'':
            buf_append_str(out, "\\x27");
            break;
        default:
            if (c >= 0x20 && c < 0x7f)
                buf_append(out, &c, 1);
            else
                buf_printf(out, "\\x%02x", c);
        }
    }
}

/* A bare word must survive re-parsing as the same bare word. */
static int
naked_ok(const struct buf *b)
{
    const uint8_t *p = buf_ptr(b);
    if (b->len == 0 || p[0] == '<' || p[0] == '-')
        return 0;
    for (size_t i = 0; i < b->len; i++) {
        uint8_t c = p[i];
        if (c <= 0x20 || c >= 0x7f || strchr(",:@'\"\\", c))
            return 0;
    }
    return 1;
}

void
pval_spec(const struct pval *v, struct buf *out)
{
    switch (v->kind) {
    case PV_LIT:
        if (v->naked && naked_ok(&v->lit)) {
            buf_append(out, buf_ptr(&v->lit), v->lit.len);
        } else {
            buf_append_str(out, "'");
            pathod_escape(out, buf_ptr(&v->lit), v->lit.len);
            buf_append_str(out, "'");
        }
        break;
    case PV_GEN:
        buf_printf(out, "@%llu", (unsigned long long)v->usize);
        if (v->unit != 'b')
            buf_append(out, &v->unit, 1);
        if (v->seeded)
            buf_printf(out, ",%s,s%llx", pathod_gen_types[v->dtype].name,
                       (unsigned long long)v->seed);
        else if (v->dtype != GEN_BYTES)
            buf_printf(out, ",%s", pathod_gen_types[v->dtype].name);
        break;
    case PV_FILE:
        buf_append_str(out, "<'");
        pathod_escape(out, buf_ptr(&v->lit), v->lit.len);
        buf_append_str(out, "'");
        break;
    default:
        break;
    }
}

void
pathod_ws_accept(const char *key, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha1(), NULL);
    EVP_DigestUpdate(c, key, strlen(key));
    EVP_DigestUpdate(c, guid, sizeof(guid) - 1);
    EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    EVP_EncodeBlock((unsigned char *)out, md, 20);
    out[28] = '\0';
}
