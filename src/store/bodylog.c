/*
 * The body log: every stored body (and every record too big to keep in
 * RAM) appended to one log with 64-bit offsets. The log is a list of
 * chunks; the newest up to the memory budget stay in RAM, older ones are
 * written to a temporary file at their own offsets and freed, so a body is
 * read back from wherever its offset falls.
 *
 * Why an append-only file and not SQLite: bodies are written once, in
 * order, and read back either one at a time (a UI opens a flow) or all in
 * order (a ~b filter). A log does both with one pwrite per chunk and
 * sequential preads through a window; SQLite would add a B-tree lookup
 * and a copy per body, a transaction per batch and a dependency, for
 * queries we never make. Removed flows leave dead bytes behind; view.clear
 * starts the log again.
 *
 * The file is unlinked (and its folder removed) as soon as it is open:
 * nothing is left behind, even after a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/internal.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* Small bodies are packed into chunks of this size. */
#define CHUNK_SIZE (1u << 20)
/* A reader's file window: sequential reads come in this size. */
#define WINDOW_SIZE (1u << 20)
/* A written chunk larger than this (a big body's own) is not kept as the spare. */
#define SPARE_MAX (8u << 20)

void
store__blog_init(struct bodylog *l, uint64_t budget, const char *tmpdir)
{
    memset(l, 0, sizeof(*l));
    l->budget = budget;
    l->fd = -1;
    l->tmpdir = xstrdup(tmpdir);
}

void
store__blog_clear(struct bodylog *l)
{
    for (size_t i = 0; i < l->nchunks; i++)
        free(l->chunks[i].data);
    free(l->chunks);
    free(l->spare);
    if (l->fd >= 0)
        close(l->fd);
    free(l->tmpdir);
    memset(l, 0, sizeof(*l));
    l->fd = -1;
}

/* The file, made on the first spill. */
static int
open_file(struct bodylog *l)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/mitmproxy-store.XXXXXX", l->tmpdir);
    if (mkdtemp(dir) == NULL)
        return -1;
    char path[4200];
    snprintf(path, sizeof(path), "%s/bodies", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int saved = errno;
    unlink(path);
    rmdir(dir);
    errno = saved;
    if (fd >= 0)
        l->fd = fd;
    return fd;
}

static int
write_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* Writes the oldest resident chunks to the file until RAM is in budget. */
static void
spill(struct bodylog *l)
{
    while (l->ram > l->budget && !l->failed && l->first_ram < l->nchunks) {
        struct blog_chunk *c = &l->chunks[l->first_ram];
        /* The chunk still being filled stays: it is the newest. */
        if (l->first_ram + 1 == l->nchunks && c->open)
            return;
        if ((l->fd < 0 && open_file(l) < 0) || write_all(l->fd, c->data, c->len, c->base) < 0) {
            /* A full disk must not lose bodies: keep them in RAM and say so once. */
            log_msg(LOG_WARN, "flow store: cannot write bodies to %s: %s; keeping them in memory",
                    l->tmpdir, strerror(errno));
            l->failed = 1;
            return;
        }
        l->ram -= c->cap;
        l->disk += c->len;
        if (c->cap <= SPARE_MAX && c->cap > l->spare_cap) {
            free(l->spare);
            l->spare = c->data;
            l->spare_cap = c->cap;
        } else {
            free(c->data);
        }
        c->data = NULL;
        c->open = 0;
        l->first_ram++;
    }
}

static struct blog_chunk *
new_chunk(struct bodylog *l, uint8_t *data, size_t len, size_t cap, int open)
{
    if (l->nchunks == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->chunks = xrealloc(l->chunks, l->cap * sizeof(*l->chunks));
    }
    if (l->nchunks > 0)
        l->chunks[l->nchunks - 1].open = 0;
    struct blog_chunk *c = &l->chunks[l->nchunks++];
    *c = (struct blog_chunk){l->end, data, len, cap, open};
    l->ram += cap;
    l->end += len;
    return c;
}

uint64_t
store__blog_append(struct bodylog *l, const void *p, size_t n)
{
    struct blog_chunk *c = l->nchunks ? &l->chunks[l->nchunks - 1] : NULL;
    uint64_t off;
    if (c && c->open && c->data && c->cap - c->len >= n) {
        off = c->base + c->len;
        memcpy(c->data + c->len, p, n);
        c->len += n;
        l->end += n;
    } else if (n >= CHUNK_SIZE / 2) {
        /* A big body is a chunk of its own, exactly its size. */
        off = l->end;
        new_chunk(l, xmemdup(p, n), n, n, 0);
    } else {
        off = l->end;
        c = new_chunk(l, xmalloc(CHUNK_SIZE), 0, CHUNK_SIZE, 1);
        memcpy(c->data, p, n);
        c->len = n;
        l->end += n;
    }
    spill(l);
    return off;
}

uint64_t
store__blog_adopt(struct bodylog *l, uint8_t *data, size_t len)
{
    uint64_t base = l->end;
    if (len == 0) {
        free(data);
        return base;
    }
    new_chunk(l, data, len, len, 0);
    spill(l);
    return base;
}

uint8_t *
store__blog_take_spare(struct bodylog *l, size_t *cap)
{
    uint8_t *p = l->spare;
    *cap = p ? l->spare_cap : 0;
    l->spare = NULL;
    l->spare_cap = 0;
    return p;
}

void
store__blog_set_budget(struct bodylog *l, uint64_t budget)
{
    l->budget = budget;
    spill(l);
}

void
store__blog_seal(struct bodylog *l)
{
    struct blog_chunk *c = l->nchunks ? &l->chunks[l->nchunks - 1] : NULL;
    if (c && c->open && c->data) {
        if (c->len > 0) {
            c->data = xrealloc(c->data, c->len);
            l->ram -= c->cap - c->len;
            c->cap = c->len;
        }
        c->open = 0;
    }
    spill(l);
}

/* The chunk holding off (binary search by base). */
static const struct blog_chunk *
chunk_at(const struct bodylog *l, uint64_t off)
{
    size_t lo = 0, hi = l->nchunks;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->chunks[mid].base <= off)
            lo = mid;
        else
            hi = mid;
    }
    return &l->chunks[lo];
}

int
store__blog_read(const struct bodylog *l, uint64_t off, size_t n, struct blog_reader *r,
                 const uint8_t **out)
{
    return store__blog_read_from(l, off, off, n, r, out);
}

int
store__blog_read_from(const struct bodylog *l, uint64_t from, uint64_t off, size_t n,
                      struct blog_reader *r, const uint8_t **out)
{
    if (n == 0) {
        *out = (const uint8_t *)"";
        return 0;
    }
    if (off + n > l->end || l->nchunks == 0)
        return MP_ERR_IO;
    const struct blog_chunk *c = chunk_at(l, off);
    if (c->data) {
        *out = c->data + (off - c->base);
        return 0;
    }
    if (off >= r->base && off + n <= r->base + r->len) {
        *out = r->buf + (off - r->base);
        return 0;
    }
    /* Read ahead up to the window's size, but not into what is in RAM;
     * from a little before off when asked (the file is a prefix of the
     * log, so from is in it too). */
    uint64_t start = from <= off && off - from <= WINDOW_SIZE / 2 ? from : off;
    size_t skip = (size_t)(off - start);
    uint64_t disk_end = l->first_ram < l->nchunks ? l->chunks[l->first_ram].base : l->end;
    size_t want = n + skip > WINDOW_SIZE ? n + skip : WINDOW_SIZE;
    if (start + want > disk_end)
        want = (size_t)(disk_end - start);
    if (want < n + skip)
        return MP_ERR_IO;
    if (r->cap < want) {
        free(r->buf);
        r->buf = xmalloc(want);
        r->cap = want;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t k = pread(l->fd, r->buf + got, want - got, (off_t)(start + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    r->base = start;
    r->len = got;
    if (got < n + skip) {
        r->len = 0;
        return MP_ERR_IO;
    }
    *out = r->buf + skip;
    return 0;
}

void
store__blog_reader_clear(struct blog_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof(*r));
}
