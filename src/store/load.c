/*
 * view.flows.load in the background. mitmproxy 8.1.1 reads a flow file
 * flow by flow on its loop (about 2,000 flows a second). Here a pipeline
 * of queued work does it:
 *
 *   read   (a worker, one at a time)  the next 4 MiB of the file, cut into
 *          records by their length prefixes; the first block also yields
 *          the compression dictionary of this file (its first records);
 *   parse  (any worker, several at once)  each record checked and read
 *          into a row by record.c (ffile_deserialize() for what it leaves),
 *          its record compressed, its bodies gathered, a new id given
 *          (or, STORE_LOAD_KEEP_IDS, the file's own kept);
 *   add    (the loop)  the batches in file order: strings interned, bodies
 *          handed to the log whole, rows added, the view merged once per
 *          batch with ADD events.
 *
 * At most WINDOW blocks are between read and add, so memory stays bounded
 * however large the file. A damaged record ends the load with the error
 * ffile_read() would give for it; the flows before it stay.
 *
 * Other formats (HAR) have a reader of their own, chosen by the first
 * byte: it runs as one queued job and hands flows over in batches.
 *
 * Cancelling (view.clear, shutdown) sets a flag; work under way finishes,
 * and its after() only frees. A load is freed by its last job.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "store/internal.h"
#include "util/log.h"
#include "util/path.h"
#include "util/uuid.h"
#include "util/xmalloc.h"

#define BLOCK_SIZE (4u << 20)
#define WINDOW 4
#define FLOW_BATCH 1024

struct load {
    struct store *s; /* NULL once over or cancelled (the loop's) */
    atomic_int stopped; /* the same, for the workers */
    void (*post)(void *, void (*)(void *), void *); /* NULL: no workers */
    void *post_ctx;
    int keep_ids; /* STORE_LOAD_KEEP_IDS (set before any job runs) */
    struct load *next;
    int refs; /* the store's and each job's; loop thread only */
    int fd;
    FILE *fp; /* another format's reader reads this */
    char *name;
    store_load_cb done;
    void *arg;
    size_t added;
    /* Reading: the read job's own (one at a time). */
    uint64_t offset;
    struct buf carry;
    /* The loop's. */
    uint64_t seq_read, seq_add;
    unsigned inflight;
    int read_waiting, ended;
    struct batch *ready; /* parsed, waiting for their turn, by seq */
    struct err err;      /* the first error; err.code 0 if none */
    /* The file's dictionary: the workers' copy, and the store's id for it. */
    ZSTD_CDict *cdict;
    struct buf samples;
    unsigned dict;
    /* Buffers of blocks and batches that are done, for the next ones (the
     * loop's). Fresh memory costs a page fault per 4 KiB touched, on a VM
     * about 12 us: more than reading and parsing what fills it. */
    struct buf spare_data[WINDOW + 1];
    unsigned nspare_data;
    struct spare_rows {
        struct brow *rows;
        size_t cap;
        struct buf rests;
        ZSTD_CCtx *cctx; /* a compressor's memory is a few hundred KiB too */
    } spare_rows[WINDOW + 1];
    unsigned nspare_rows;
    /* Another format. */
    store_reader_fn reader;
    int reader_rc;
    struct err reader_err;
};

/* One block of the file, cut into records. */
struct block {
    struct load *L;
    uint64_t seq;
    uint64_t base; /* file offset of data[0] */
    struct buf data;
    size_t *rec; /* record starts, and one past the last record's end */
    size_t nrec, caprec;
    int eof;
    int err; /* after the records: the file is damaged at the next one */
    char why[200];
};

/* A block's buffer larger than this (a record larger than a block was in
 * it) is not kept for the next block. */
#define SPARE_MAX (4 * BLOCK_SIZE)

struct brow {
    char id[UUID_STR_LEN];
    struct rec_fields f; /* strings point into the batch's tables */
    uint32_t str[S__COUNT], hset[2];
    size_t rest_off, rest_len, rest_raw, hdr_raw, hdr_len, plain_len;
    size_t body_off[2];
};

struct batch {
    struct load *L;
    uint64_t seq;
    struct batch *next;
    struct block *blk; /* parse_work's input, until it has run */
    struct brow *rows;
    size_t n, caprows;
    struct buf data;           /* the block's buffer once parsed, to be used again */
    struct intern strs, hsets; /* the batch's own, merged into the store's */
    struct buf rests;          /* compressed records, back to back */
    ZSTD_CCtx *cctx;           /* parse_work's, made there if none was spare */
    /* The bodies, back to back: they become a chunk of the log, which
     * frees with free(). They are parts of the block's records, so the
     * block's length is room enough, taken at once (not a struct buf:
     * that maps large buffers, and grows by copies and page faults);
     * or the log's spare, a chunk it wrote, grown if it is too small. */
    uint8_t *bodies;
    size_t nbodies, capbodies;
    int err;
    struct err e;
    int eof;
};

static void queue_read(struct load *L);
static void finish(struct load *L);

static void
unref(struct load *L)
{
    if (--L->refs > 0)
        return;
    if (L->fd >= 0)
        close(L->fd);
    if (L->fp)
        fclose(L->fp);
    buf_clear(&L->carry);
    buf_clear(&L->samples);
    for (unsigned i = 0; i < L->nspare_data; i++)
        buf_clear(&L->spare_data[i]);
    for (unsigned i = 0; i < L->nspare_rows; i++) {
        free(L->spare_rows[i].rows);
        buf_clear(&L->spare_rows[i].rests);
        ZSTD_freeCCtx(L->spare_rows[i].cctx);
    }
    ZSTD_freeCDict(L->cdict);
    free(L->name);
    free(L);
}

/* ---- read --------------------------------------------------------------- */

static void block_fail(struct block *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
block_fail(struct block *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    b->err = MP_ERR_CORRUPT;
    vsnprintf(b->why, sizeof(b->why), fmt, ap);
    va_end(ap);
}

static int
read_more(struct block *b, int fd, uint64_t *off, size_t want)
{
    buf_reserve(&b->data, want);
    size_t got = 0;
    while (got < want) {
        ssize_t k = pread(fd, buf_ptr(&b->data) + b->data.len, want - got, (off_t)*off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            b->err = MP_ERR_IO;
            snprintf(b->why, sizeof(b->why), "read error");
            return -1;
        }
        if (k == 0) {
            b->eof = 1;
            break;
        }
        b->data.len += (size_t)k;
        *off += (uint64_t)k;
        got += (size_t)k;
    }
    return 0;
}

static void
add_rec(struct block *b, size_t at)
{
    if (b->nrec + 1 >= b->caprec) {
        b->caprec = b->caprec ? b->caprec * 2 : 1024;
        b->rec = xrealloc(b->rec, b->caprec * sizeof(*b->rec));
    }
    b->rec[b->nrec++] = at;
}

/* Cuts the block into whole records; what is left over is carried. */
static void
cut(struct block *b)
{
    struct load *L = b->L;
    size_t pos = 0;
    for (;;) {
        const uint8_t *p = buf_ptr(&b->data) + pos;
        size_t left = b->data.len - pos;
        if (left == 0)
            break;
        size_t i = 0;
        uint64_t n = 0;
        while (i < left && p[i] >= '0' && p[i] <= '9' && i <= TNS_MAX_LEN_DIGITS) {
            n = n * 10 + (uint64_t)(p[i] - '0');
            i++;
        }
        if (i > TNS_MAX_LEN_DIGITS) {
            block_fail(b, "length prefix too long");
            break;
        }
        if (i == left && !b->eof) {
            buf_set(&L->carry, p, left);
            b->data.len = pos;
            break;
        }
        if (i == left) {
            block_fail(b, "file ends in the length prefix");
            break;
        }
        if (i == 0 || p[i] != ':') {
            block_fail(b, "not a tnetstring (bad length prefix)");
            break;
        }
        uint64_t whole = i + 1 + n + 1;
        if (whole <= left) {
            add_rec(b, pos);
            pos += (size_t)whole;
            continue;
        }
        if (b->eof) {
            uint64_t present = left - i - 1;
            if (present < n)
                block_fail(b,
                           "file ends inside the record: %" PRIu64 " of its %" PRIu64
                           " payload bytes present, %" PRIu64 " bytes missing (file cut short?)",
                           present, n, n + 1 - present);
            else
                block_fail(b,
                           "file ends inside the record: its %" PRIu64
                           " payload bytes are present, the type byte after them is missing "
                           "(file cut short?)",
                           n);
            break;
        }
        if (b->nrec > 0) {
            buf_set(&L->carry, p, left);
            b->data.len = pos;
            break;
        }
        /* A record larger than the block, alone in it: read on, as much as
         * really arrives (a bogus length must not allocate what it claims). */
        uint64_t more = whole - left;
        if (read_more(b, L->fd, &L->offset, more > BLOCK_SIZE ? BLOCK_SIZE : (size_t)more) < 0)
            break;
    }
    /* rec[nrec] is where the last record ends (or the damaged one starts). */
    add_rec(b, pos);
    b->nrec--;
}

static void
read_work(void *arg)
{
    struct block *b = arg;
    struct load *L = b->L;
    b->base = L->offset - L->carry.len;
    /* b->data may be an earlier block's buffer: reset, its pages stay. */
    buf_reset(&b->data);
    buf_append(&b->data, buf_ptr(&L->carry), L->carry.len);
    buf_reset(&L->carry);
    if (read_more(b, L->fd, &L->offset, BLOCK_SIZE) == 0)
        cut(b);
    else
        add_rec(b, 0), b->nrec--;
    /* The first block gives the dictionary: this file's first records. */
    if (b->seq == 0 && b->nrec > 0) {
        struct buf rest = BUF_INIT;
        for (size_t k = 0; k < b->nrec && L->samples.len < PACK_DICT_SIZE; k++) {
            struct rec_fields f;
            store__rec_fields_init(&f);
            buf_reset(&rest);
            if (store__rec_scan(buf_ptr(&b->data) + b->rec[k], b->rec[k + 1] - b->rec[k], NULL,
                                &f, &rest, NULL) == 0)
                buf_append(&L->samples, buf_ptr(&rest), rest.len);
            store__rec_fields_clear(&f);
        }
        buf_clear(&rest);
        if (L->samples.len)
            L->cdict = ZSTD_createCDict(buf_ptr(&L->samples), L->samples.len, PACK_LEVEL);
    }
}

static void parse_work(void *arg);
static void parse_after(void *arg);

static void block_free(struct block *b);

static void
batch_free(struct batch *bt)
{
    if (bt == NULL)
        return;
    if (bt->blk)
        block_free(bt->blk);
    for (size_t i = 0; i < bt->n; i++)
        store__rec_fields_clear(&bt->rows[i].f);
    free(bt->rows);
    buf_clear(&bt->data);
    store__intern_clear(&bt->strs);
    store__intern_clear(&bt->hsets);
    buf_clear(&bt->rests);
    ZSTD_freeCCtx(bt->cctx);
    free(bt->bodies);
    free(bt);
}

static void
block_free(struct block *b)
{
    if (b == NULL)
        return;
    buf_clear(&b->data);
    free(b->rec);
    free(b);
}

static void
read_after(void *arg)
{
    struct block *b = arg;
    struct load *L = b->L;
    if (L->s == NULL) {
        block_free(b);
        unref(L);
        return;
    }
    if (b->seq == 0 && L->cdict) {
        L->dict = store__pack_add_dict(&L->s->pack, buf_ptr(&L->samples), L->samples.len);
        if (L->dict == 0) {
            /* The store's table is full: no dictionary it could read back. */
            ZSTD_freeCDict(L->cdict);
            L->cdict = NULL;
        }
    }
    L->seq_read++;
    if (b->err || b->eof)
        L->ended = 1;
    /* The block goes on to be parsed (an empty one too: it carries the
     * end or the error to its turn). The read job's reference goes with it. */
    L->inflight++;
    struct batch *bt = xcalloc(1, sizeof(*bt));
    bt->L = L;
    bt->seq = b->seq;
    bt->blk = b;
    if (L->nspare_rows > 0) {
        struct spare_rows *sp = &L->spare_rows[--L->nspare_rows];
        bt->rows = sp->rows;
        bt->caprows = sp->cap;
        buf_move(&bt->rests, &sp->rests);
        bt->cctx = sp->cctx;
        sp->rows = NULL;
        sp->cctx = NULL;
    }
    bt->bodies = store__blog_take_spare(&L->s->log, &bt->capbodies);
    store__pool_queue(L->s->pool, parse_work, parse_after, bt);
    if (!L->ended) {
        if (L->inflight < WINDOW)
            queue_read(L);
        else
            L->read_waiting = 1;
    }
}

static void
queue_read(struct load *L)
{
    struct block *b = xcalloc(1, sizeof(*b));
    b->L = L;
    b->seq = L->seq_read;
    if (L->nspare_data > 0)
        buf_move(&b->data, &L->spare_data[--L->nspare_data]);
    L->refs++;
    L->read_waiting = 0;
    store__pool_queue(L->s->pool, read_work, read_after, b);
}

/* ---- parse -------------------------------------------------------------- */

/* Appends a body to the batch's; returns its offset there. */
static size_t
put_body(struct batch *bt, const void *p, size_t n)
{
    size_t off = bt->nbodies;
    /* A migrated record (another version) might decode to more. */
    if (n > bt->capbodies - off) {
        bt->capbodies = off + n > 2 * bt->capbodies ? off + n : 2 * bt->capbodies;
        bt->bodies = xrealloc(bt->bodies, bt->capbodies);
    }
    if (n) {
        memcpy(bt->bodies + off, p, n);
        bt->nbodies += n;
    }
    return off;
}

/* The record read the slow way: ffile_deserialize() decides. */
static int
slow_record(struct batch *bt, struct brow *br, const uint8_t *p, size_t n, struct buf *rest,
            struct err *e)
{
    struct flow *f;
    size_t used;
    int rc = ffile_deserialize(p, n, &used, &f, e);
    if (rc == MP_ERR_INCOMPLETE)
        rc = err_set(e, MP_ERR_CORRUPT, "%s", e->msg);
    if (rc < 0)
        return rc;
    if (bt->L->keep_ids)
        memcpy(br->id, f->id, UUID_STR_LEN);
    else
        memcpy(f->id, br->id, UUID_STR_LEN);
    store__rec_from_flow(f, &br->f);
    store__plain_from_flow(f, &br->f.plain);
    /* The fields point into f: copy what must outlive it. */
    for (size_t i = 0; i < S__COUNT; i++)
        br->str[i] = store__intern(&bt->strs, br->f.str[i].p, br->f.str[i].len);
    struct buf saved[2] = {BUF_INIT, BUF_INIT};
    for (int i = 0; i < 2; i++) {
        struct buf *c = i == 0 ? (f->request ? &f->request->content : NULL)
                               : (f->response ? &f->response->content : NULL);
        if (c) {
            br->body_off[i] = put_body(bt, buf_ptr(c), c->len);
            br->f.body[i] = slice_from(NULL, c->len);
            saved[i] = *c;
            *c = (struct buf)BUF_INIT;
        }
    }
    ffile_serialize(rest, f);
    if (f->request)
        f->request->content = saved[0];
    if (f->response)
        f->response->content = saved[1];
    flow_unref(f);
    return 1;
}

/* Records up to this size are fetched ahead whole. */
#define PREFETCH_MAX (16u << 10)

/*
 * Asks for the cache lines of p[0..n) ahead of use. A block is read into
 * memory by another job, most of it out of this core's caches by now, and
 * the scan jumps from a value's length to its end: the hardware's
 * prefetcher does not follow that, and each jump waited for memory (a
 * tenth of a load's CPU went to the first touch of a record's bytes).
 */
static void
prefetch(const uint8_t *p, size_t n)
{
    if (n > PREFETCH_MAX)
        n = PREFETCH_MAX;
    for (size_t i = 0; i < n; i += 64)
        __builtin_prefetch(p + i);
}

/* The record's own id for the row; -1 when it cannot be one (too long
 * for a flow: ffile_deserialize() refuses it). */
static int
keep_id(struct brow *br)
{
    if (br->f.id.len >= UUID_STR_LEN)
        return -1;
    memcpy(br->id, br->f.id.p, br->f.id.len);
    br->id[br->f.id.len] = '\0';
    return 0;
}

static void
parse_work(void *arg)
{
    struct batch *bt = arg;
    struct block *b = bt->blk;
    struct load *L = bt->L;
    bt->blk = NULL;
    store__intern_init(&bt->strs, 0);
    store__intern_init(&bt->hsets, 1);
    size_t nrows = b->nrec ? b->nrec : 1;
    if (bt->caprows < nrows) {
        free(bt->rows);
        bt->rows = xmalloc(nrows * sizeof(*bt->rows));
        bt->caprows = nrows;
    }
    memset(bt->rows, 0, nrows * sizeof(*bt->rows));
    if (bt->bodies == NULL) {
        bt->capbodies = b->data.len ? b->data.len : 1;
        bt->bodies = xmalloc(bt->capbodies);
        /* Bodies are most of a block: nearly all of it gets written. */
        store__populate(bt->bodies, bt->capbodies);
    }
    if (bt->cctx == NULL)
        bt->cctx = ZSTD_createCCtx();
    ZSTD_CCtx *cctx = bt->cctx;
    struct pack_dict d = {L->cdict, NULL, 0};
    struct buf rest = BUF_INIT, hdrs = BUF_INIT, whole = BUF_INIT;
    if (b->nrec > 0)
        prefetch(buf_ptr(&b->data) + b->rec[0], b->rec[1] - b->rec[0]);
    for (size_t k = 0; k < b->nrec && !bt->err; k++) {
        const uint8_t *p = buf_ptr(&b->data) + b->rec[k];
        size_t n = b->rec[k + 1] - b->rec[k];
        /* The next record comes in while this one is read (rec[nrec] is the end). */
        if (k + 1 < b->nrec)
            prefetch(buf_ptr(&b->data) + b->rec[k + 1], b->rec[k + 2] - b->rec[k + 1]);
        struct brow *br = &bt->rows[bt->n];
        store__rec_fields_init(&br->f);
        if (!L->keep_ids)
            uuid_new(br->id);
        buf_reset(&rest);
        buf_reset(&hdrs);
        int rc = store__rec_scan(p, n, L->keep_ids ? NULL : br->id, &br->f, &rest, &hdrs);
        if (rc == 0 && L->keep_ids && keep_id(br) < 0)
            rc = MP_ERR_UNSUPPORTED; /* the slow path names what is wrong with it */
        struct err e = {0};
        if (rc == 0) {
            for (size_t i = 0; i < S__COUNT; i++)
                br->str[i] = store__intern(&bt->strs, br->f.str[i].p, br->f.str[i].len);
            for (int i = 0; i < 2; i++) {
                br->body_off[i] = put_body(bt, br->f.body[i].p, br->f.body[i].len);
            }
        } else {
            store__rec_fields_clear(&br->f);
            store__rec_fields_init(&br->f);
            buf_reset(&rest);
            buf_reset(&hdrs);
            buf_reset(&whole);
            if ((rc = slow_record(bt, br, p, n, &whole, &e)) < 0) {
                store__rec_fields_clear(&br->f);
                bt->err = rc;
                err_set(&bt->e, rc, "%s: %s flow record at byte %" PRIu64 ": %s", L->name,
                        rc == MP_ERR_UNSUPPORTED ? "unreadable" : "corrupt", b->base + b->rec[k],
                        e.msg);
                break;
            }
            if (br->f.type != FLOW_HTTP ||
                store__rec_split(buf_ptr(&whole), whole.len, &rest, &hdrs) < 0) {
                buf_reset(&hdrs);
                buf_move(&rest, &whole);
            }
        }
        for (int i = 0; i < 2; i++)
            br->hset[i] = store__intern(&bt->hsets, buf_ptr(&br->f.hset[i]), br->f.hset[i].len);
        /* The plain part, then the headers frame and the rest as one zstd
         * frame (a frame each would pay a compressor's start-up twice). */
        br->rest_off = bt->rests.len;
        br->plain_len = br->f.plain.len;
        buf_append(&bt->rests, buf_ptr(&br->f.plain), br->f.plain.len);
        buf_clear(&br->f.plain);
        br->hdr_raw = hdrs.len;
        br->rest_raw = hdrs.len + rest.len;
        store__pack_split(cctx, L->cdict ? &d : NULL, &hdrs, &rest, &bt->rests, &br->hdr_len);
        br->rest_len = bt->rests.len - br->rest_off;
        bt->n++;
    }
    if (!bt->err && b->err) {
        bt->err = b->err;
        err_set(&bt->e, b->err, "%s: corrupt flow record at byte %" PRIu64 ": %s", L->name,
                b->base + b->rec[b->nrec], b->why);
    }
    bt->eof = b->eof;
    buf_clear(&rest);
    buf_clear(&hdrs);
    buf_clear(&whole);
    buf_move(&bt->data, &b->data);
    block_free(b);
}

/* ---- add ---------------------------------------------------------------- */

/* A batch that is done: its block's buffer, rows and record buffer are
 * kept for the next ones, the rest freed. */
static void
recycle(struct load *L, struct batch *bt)
{
    if (L->nspare_data <= WINDOW && bt->data.cap > 0 && bt->data.cap <= SPARE_MAX)
        buf_move(&L->spare_data[L->nspare_data++], &bt->data);
    if (L->nspare_rows <= WINDOW && bt->rows) {
        for (size_t i = 0; i < bt->n; i++)
            store__rec_fields_clear(&bt->rows[i].f);
        bt->n = 0;
        struct spare_rows *sp = &L->spare_rows[L->nspare_rows++];
        sp->rows = bt->rows;
        sp->cap = bt->caprows;
        bt->rows = NULL;
        buf_reset(&bt->rests);
        buf_move(&sp->rests, &bt->rests);
        sp->cctx = bt->cctx;
        bt->cctx = NULL;
    }
    batch_free(bt);
}

static void
add_batch(struct load *L, struct batch *bt)
{
    struct store *s = L->s;
    uint32_t *smap = xmalloc(bt->strs.n * sizeof(*smap));
    uint32_t *hmap = xmalloc(bt->hsets.n * sizeof(*hmap));
    memset(smap, 0xff, bt->strs.n * sizeof(*smap));
    memset(hmap, 0xff, bt->hsets.n * sizeof(*hmap));
    uint64_t base = 0;
    if (bt->nbodies) {
        base = store__blog_adopt(&s->log, xrealloc(bt->bodies, bt->nbodies), bt->nbodies);
        bt->bodies = NULL;
    }
    uint32_t *slots = xmalloc((bt->n ? bt->n : 1) * sizeof(*slots));
    size_t nshow = 0;
    for (size_t k = 0; k < bt->n; k++) {
        struct brow *br = &bt->rows[k];
        /* A kept id already there: the first flow stays, as store_add() does. */
        if (L->keep_ids && store__find(s, br->id) >= 0)
            continue;
        uint32_t str[S__COUNT], hset[2];
        for (size_t i = 0; i < S__COUNT; i++) {
            uint32_t l = br->str[i];
            if (smap[l] == UINT32_MAX)
                smap[l] = store__intern(&s->strs, store__str(&bt->strs, l),
                                        store__strlen(&bt->strs, l));
            else
                store__intern_ref(&s->strs, smap[l]);
            str[i] = smap[l];
        }
        for (size_t i = 0; i < 2; i++) {
            uint32_t l = br->hset[i];
            if (hmap[l] == UINT32_MAX)
                hmap[l] = store__intern(&s->hsets, store__str(&bt->hsets, l),
                                        store__strlen(&bt->hsets, l));
            else
                store__intern_ref(&s->hsets, hmap[l]);
            hset[i] = hmap[l];
        }
        br->f.id = slice_cstr(br->id);
        uint32_t slot = store__row_new_ids(s, &br->f, str, hset);
        struct row *r = &s->rows[slot];
        r->dict = (uint8_t)(L->cdict ? L->dict : 0);
        r->rest_len = (uint32_t)br->rest_len;
        r->rest_raw = (uint32_t)br->rest_raw;
        r->hdr_raw = (uint32_t)br->hdr_raw;
        r->hdr_len = (uint32_t)br->hdr_len;
        r->plain_len = (uint32_t)br->plain_len;
        const uint8_t *z = buf_ptr(&bt->rests) + br->rest_off;
        if (!store__rest_in_ram(br->rest_len, br->plain_len)) {
            r->rest_off = store__blog_append(&s->log, z, br->rest_len);
            r->flags |= RF_REST_LOG;
        } else {
            r->rest = store__slab_put(&s->slabs, z, br->rest_len);
        }
        for (int i = 0; i < 2; i++) {
            r->body_len[i] = (uint32_t)br->f.body[i].len;
            r->body_off[i] = base + br->body_off[i];
        }
        slots[nshow++] = slot;
    }
    free(smap);
    free(hmap);
    L->added += nshow;
    if (s->filt)
        nshow = store__keep_matching(s, s->filt, s->need, slots, nshow);
    store__view_insert_many(s, slots, nshow);
    free(slots);
}

static void
parse_after(void *arg)
{
    struct batch *bt = arg;
    struct load *L = bt->L;
    if (L->s == NULL) {
        batch_free(bt);
        unref(L);
        return;
    }
    /* In file order: wait for the earlier ones. */
    struct batch **pp = &L->ready;
    while (*pp && (*pp)->seq < bt->seq)
        pp = &(*pp)->next;
    bt->next = *pp;
    *pp = bt;
    /* An event handler may clear the store (and cancel this) meanwhile. */
    L->refs++;
    while (L->s && L->ready && L->ready->seq == L->seq_add) {
        struct batch *x = L->ready;
        L->ready = x->next;
        L->seq_add++;
        L->inflight--;
        if (!L->err.code) {
            add_batch(L, x);
            if (x->err)
                L->err = x->e;
        }
        if (x->err || x->eof)
            L->ended = 1;
        recycle(L, x);
        unref(L);
    }
    if (L->s) {
        if (L->read_waiting && !L->ended && L->inflight < WINDOW)
            queue_read(L);
        if (L->ended && L->inflight == 0)
            finish(L);
    }
    unref(L);
}

/* ---- other formats ------------------------------------------------------ */

struct fbatch {
    struct load *L;
    struct flow **v;
    size_t n;
};

static void
add_flows(struct store *s, struct flow **v, size_t n)
{
    uint32_t *slots = xmalloc((n ? n : 1) * sizeof(*slots));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        /* mitmproxy's load gives every flow a new id. */
        uuid_new(v[i]->id);
        v[i]->live = 0;
        slots[k++] = store__ingest(s, v[i]);
        flow_unref(v[i]);
    }
    if (s->filt)
        k = store__keep_matching(s, s->filt, s->need, slots, k);
    store__view_insert_many(s, slots, k);
    free(slots);
}

/* On the loop. The reader job's reference keeps L: its after comes last. */
static void
fbatch_after(void *arg)
{
    struct fbatch *fb = arg;
    struct load *L = fb->L;
    if (L->s) {
        add_flows(L->s, fb->v, fb->n);
        L->added += fb->n;
    } else {
        for (size_t i = 0; i < fb->n; i++)
            flow_unref(fb->v[i]);
    }
    free(fb->v);
    free(fb);
}

/* Called by the reader, on its worker; hands a full batch to the loop. */
static int
emit(void *ctx, struct flow *f)
{
    struct fbatch **cur = ctx;
    struct fbatch *fb = *cur;
    struct load *L = fb->L;
    if (atomic_load(&L->stopped)) {
        flow_unref(f);
        return -1;
    }
    fb->v[fb->n++] = f;
    if (fb->n == FLOW_BATCH) {
        *cur = xcalloc(1, sizeof(**cur));
        (*cur)->L = L;
        (*cur)->v = xcalloc(FLOW_BATCH, sizeof(struct flow *));
        if (L->post)
            L->post(L->post_ctx, fbatch_after, fb);
        else
            fbatch_after(fb);
    }
    return 0;
}

struct reader_job {
    struct load *L;
    struct fbatch *cur;
};

static void
reader_work(void *arg)
{
    struct reader_job *j = arg;
    struct load *L = j->L;
    j->cur = xcalloc(1, sizeof(*j->cur));
    j->cur->L = L;
    j->cur->v = xcalloc(FLOW_BATCH, sizeof(struct flow *));
    L->reader_rc = L->reader(L->fp, L->name, emit, &j->cur, &L->reader_err);
}

static void
reader_after(void *arg)
{
    struct reader_job *j = arg;
    struct load *L = j->L;
    if (j->cur)
        fbatch_after(j->cur);
    free(j);
    if (L->s) {
        if (L->reader_rc < 0 && L->reader_err.code == 0)
            err_set(&L->reader_err, L->reader_rc, "%s: unreadable", L->name);
        if (L->reader_rc < 0)
            L->err = L->reader_err;
        finish(L);
    }
    unref(L);
}

/* ---- start and end ------------------------------------------------------ */

static void
finish(struct load *L)
{
    struct store *s = L->s;
    for (struct load **pp = &s->loads; *pp; pp = &(*pp)->next) {
        if (*pp == L) {
            *pp = L->next;
            break;
        }
    }
    L->s = NULL;
    atomic_store(&L->stopped, 1);
    if (L->done)
        L->done(L->arg, L->err.code ? L->err.code : 0, L->added, L->err.code ? &L->err : NULL);
    unref(L);
}

void
store__loads_cancel(struct store *s)
{
    while (s->loads) {
        struct load *L = s->loads;
        s->loads = L->next;
        L->s = NULL;
        atomic_store(&L->stopped, 1);
        /* Parsed batches waiting for their turn are dropped with their refs. */
        while (L->ready) {
            struct batch *x = L->ready;
            L->ready = x->next;
            batch_free(x);
            L->refs--;
        }
        if (L->done)
            L->done(L->arg, 0, L->added, NULL);
        unref(L);
    }
}

int
store_load(struct store *s, const char *path, store_load_cb done, void *arg, struct err *e)
{
    return store_load_flags(s, path, 0, done, arg, e);
}

int
store_load_flags(struct store *s, const char *path, unsigned flags, store_load_cb done, void *arg,
                 struct err *e)
{
    char *full = path_expand_home(path);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    free(full);
    if (fd < 0)
        return err_set(e, MP_ERR_IO, "%s", strerror(errno));
    struct load *L = xcalloc(1, sizeof(*L));
    L->s = s;
    L->refs = 1;
    L->fd = fd;
    L->name = xstrdup(path);
    L->done = done;
    L->arg = arg;
    L->keep_ids = (flags & STORE_LOAD_KEEP_IDS) != 0;
    if (store__pool_width(s->pool) > 1 && s->cfg.post) {
        L->post = s->cfg.post;
        L->post_ctx = s->cfg.post_ctx;
    }
    L->next = s->loads;
    s->loads = L;
    /* The first byte that is not white space says what the file is. */
    uint8_t head[64];
    ssize_t n = pread(fd, head, sizeof(head), 0);
    unsigned char first = 0;
    for (ssize_t i = 0; i < n; i++) {
        if (head[i] != ' ' && head[i] != '\t' && head[i] != '\r' && head[i] != '\n') {
            first = head[i];
            break;
        }
    }
    if (n > 0 && s->readers[first]) {
        L->reader = s->readers[first];
        L->fp = fdopen(fd, "rb");
        L->fd = -1;
        struct reader_job *j = xcalloc(1, sizeof(*j));
        j->L = L;
        L->refs++;
        store__pool_queue(s->pool, reader_work, reader_after, j);
        return 0;
    }
    queue_read(L);
    return 0;
}
