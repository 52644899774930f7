/*
 * A row and its struct flow. While the proxy works on a flow, or somebody
 * has opened it (a UI, a command), the row holds the struct flow and
 * follows it. Once only the row holds it, the sweep compacts it: the
 * record without bodies is compressed and kept (an HTTP record's headers
 * first), behind its plain part (the text ~h and ~b search, plain.c),
 * the bodies go to the log,
 * and the struct flow goes. store__flow() makes it again on demand: the
 * record decompressed and read by ffile_deserialize(), the bodies read
 * back, marked and comment from the row (which store_set_marked() changes
 * without reading the record).
 */
#include <stdlib.h>
#include <string.h>

#include "flow/flowfile.h"
#include "store/internal.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* Compacted live flows make their dictionary of this much of themselves. */
#define LIVE_SAMPLES (PACK_DICT_SIZE / 2)
/* More opened flows than this and the sweep goes on by itself. */
#define SWEEP_POST 1024

void
store__hold(struct store *s, uint32_t slot, struct flow *f)
{
    s->rows[slot].flow = flow_ref(f);
    if (s->ncached == s->capcached) {
        s->capcached = s->capcached ? s->capcached * 2 : 64;
        s->cached = xrealloc(s->cached, s->capcached * sizeof(*s->cached));
    }
    s->cached[s->ncached++] = slot;
}

void
store__drop_flow(struct store *s, uint32_t slot)
{
    /* Its place in cached goes stale; the sweep drops it. */
    struct row *r = &s->rows[slot];
    flow_unref(r->flow);
    r->flow = NULL;
}

void
store__row_request(const struct store *s, const struct row *r, struct http_request *out)
{
    const struct intern *t = &s->strs;
    *out = (struct http_request){
        .host = (char *)store__str(t, r->str[S_HOST]),
        .port = r->port,
        .method = (char *)store__str(t, r->str[S_METHOD]),
        .scheme = (char *)store__str(t, r->str[S_SCHEME]),
        .authority = (char *)store__str(t, r->str[S_AUTHORITY]),
        .path = (char *)store__str(t, r->str[S_PATH]),
        .http_version = (char *)store__str(t, r->str[S_VERSION]),
        .headers = *s->hsets.v[r->hset[0]].hdrs,
        .content_none = !!(r->flags & RF_RQ_NONE),
        .timestamp_start = r->ts[0],
        .timestamp_end = r->ts[1],
    };
}

/* The record's first n stored bytes (its plain part, then its zstd
 * frame), from RAM or the log. */
static int
record_bytes(const struct store *s, const struct row *r, size_t n, struct blog_reader *rd,
             const uint8_t **out)
{
    if (r->plain_len > r->rest_len)
        return MP_ERR_CORRUPT;
    if (!(r->flags & RF_REST_LOG)) {
        *out = r->rest;
        return r->rest ? 0 : MP_ERR_NOTFOUND;
    }
    return store__blog_read(&s->log, r->rest_off, n, rd, out);
}

int
store__record_plain(const struct store *s, const struct row *r, struct blog_reader *rd,
                    const uint8_t **out)
{
    return record_bytes(s, r, r->plain_len, rd, out);
}

int
store__record_raw(const struct store *s, const struct row *r, ZSTD_DCtx *dctx,
                  struct blog_reader *rd, struct buf *out)
{
    const uint8_t *z;
    int rc = record_bytes(s, r, r->rest_len, rd, &z);
    if (rc == 0)
        rc = store__unpack(dctx, r->dict ? &s->pack.dicts[r->dict] : NULL, z + r->plain_len,
                           r->rest_len - r->plain_len, r->rest_raw, out);
    if (rc == 0 && r->hdr_raw > r->rest_raw)
        rc = MP_ERR_CORRUPT;
    return rc;
}

int
store__record_headers(const struct store *s, const struct row *r, ZSTD_DCtx *dctx,
                      struct blog_reader *rd, struct buf *out)
{
    const uint8_t *z;
    int rc = record_bytes(s, r, (size_t)r->plain_len + r->hdr_len, rd, &z);
    if (rc == 0 && (r->hdr_len > r->rest_len - r->plain_len || r->hdr_raw > r->rest_raw))
        rc = MP_ERR_CORRUPT;
    if (rc == 0)
        rc = store__unpack_first(dctx, r->dict ? &s->pack.dicts[r->dict] : NULL,
                                 z + r->plain_len, r->hdr_len, r->hdr_raw, out);
    return rc;
}

int
store__record(const struct store *s, const struct row *r, ZSTD_DCtx *dctx, struct blog_reader *rd,
              struct buf *out)
{
    int rc = store__record_raw(s, r, dctx, rd, out);
    if (rc < 0 || r->hdr_raw == 0)
        return rc;
    /* The headers back in their place. */
    struct buf both = BUF_INIT;
    buf_move(&both, out);
    const uint8_t *p = buf_ptr(&both);
    rc = store__rec_join(p + r->hdr_raw, both.len - r->hdr_raw, p, r->hdr_raw, out);
    buf_clear(&both);
    return rc;
}

/* The row's record on the loop's thread. */
static int
record(struct store *s, const struct row *r, struct buf *out)
{
    return store__record(s, r, s->pack.dctx, &s->rd, out);
}

static void
set_str(char **field, const char *s)
{
    if (*field && strcmp(*field, s) == 0)
        return;
    free(*field);
    *field = xstrdup(s);
}

struct flow *
store__read_flow(const struct store *s, const struct row *r, ZSTD_DCtx *dctx,
                 struct blog_reader *rd, struct buf *raw, struct err *e)
{
    char id[UUID_STR_LEN];
    store__row_id(s, r, id);
    struct flow *f = NULL;
    size_t used;
    struct err de = {0};
    int rc;
    if (store__record(s, r, dctx, rd, raw) < 0) {
        err_set(e, MP_ERR_IO, "flow %s: its stored record cannot be read back", id);
        return NULL;
    }
    if ((rc = ffile_deserialize(buf_ptr(raw), raw->len, &used, &f, &de)) < 0) {
        err_set(e, rc, "flow %s: %s", id, de.msg);
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        struct buf *content = NULL;
        if (i == 0 && f->request)
            content = &f->request->content;
        if (i == 1 && f->response)
            content = &f->response->content;
        const uint8_t *p;
        if (content == NULL || r->body_len[i] == 0)
            continue;
        if (store__blog_read(&s->log, r->body_off[i], r->body_len[i], rd, &p) < 0) {
            err_set(e, MP_ERR_IO, "flow %s: its %s body cannot be read back", id,
                    i == 0 ? "request" : "response");
            flow_unref(f);
            return NULL;
        }
        buf_set(content, p, r->body_len[i]);
    }
    set_str(&f->marked, store__str(&s->strs, r->str[S_MARKED]));
    set_str(&f->comment, store__str(&s->strs, r->str[S_COMMENT]));
    return f;
}

struct flow *
store__flow(struct store *s, uint32_t slot, struct err *e)
{
    struct row *r = &s->rows[slot];
    if (r->flow)
        return r->flow;
    struct buf raw = BUF_INIT;
    struct err le = {0};
    struct flow *f = store__read_flow(s, r, s->pack.dctx, &s->rd, &raw, e ? e : &le);
    buf_clear(&raw);
    if (f == NULL) {
        if (e == NULL)
            log_msg(LOG_WARN, "flow store: %s", le.msg);
        return NULL;
    }
    store__hold(s, slot, f);
    flow_unref(f);
    return f;
}

int
store__row_refresh(struct store *s, uint32_t slot)
{
    struct row *r = &s->rows[slot];
    if (r->flow == NULL)
        return 0;
    store__touched(s, slot);
    struct row before = *r;
    struct rec_fields rf;
    store__rec_fields_init(&rf);
    store__rec_from_flow(r->flow, &rf);
    store__row_set(s, r, &rf);
    store__rec_fields_clear(&rf);
    r = &s->rows[slot];
    return memcmp(before.str, r->str, sizeof(r->str)) != 0 ||
           memcmp(before.hset, r->hset, sizeof(r->hset)) != 0 || before.flags != r->flags ||
           before.created != r->created || memcmp(before.ts, r->ts, sizeof(r->ts)) != 0 ||
           before.size != r->size || before.port != r->port || before.status != r->status ||
           before.replay != r->replay;
}

/* The record of f without its bodies, as the store keeps it. */
static void
serialize_bare(struct flow *f, struct buf *out)
{
    struct buf saved[2] = {BUF_INIT, BUF_INIT};
    if (f->request) {
        saved[0] = f->request->content;
        f->request->content = (struct buf)BUF_INIT;
    }
    if (f->response) {
        saved[1] = f->response->content;
        f->response->content = (struct buf)BUF_INIT;
    }
    ffile_serialize(out, f);
    if (f->request)
        f->request->content = saved[0];
    if (f->response)
        f->response->content = saved[1];
}

/* Whether the body stored for the row equals b. */
static int
same_body(struct store *s, const struct row *r, int which, const struct buf *b)
{
    if (r->body_len[which] != b->len)
        return 0;
    if (b->len == 0)
        return 1;
    const uint8_t *p;
    return store__blog_read(&s->log, r->body_off[which], b->len, &s->rd, &p) == 0 &&
           memcmp(p, buf_ptr(b), b->len) == 0;
}

/* The record (its plain part, then compressed) into the row: RAM if
 * small, the log if not. */
static void
put_record(struct store *s, struct row *r, const struct buf *raw, const struct buf *plain)
{
    struct packer *pk = &s->pack;
    if (pk->live == 0 && pk->ndicts < PACK_MAX_DICTS) {
        buf_append(&pk->samples, buf_ptr(raw), raw->len);
        if (pk->samples.len >= LIVE_SAMPLES) {
            pk->live = store__pack_add_dict(pk, buf_ptr(&pk->samples), pk->samples.len);
            buf_clear(&pk->samples);
        }
    }
    /* An HTTP record's headers go first, in a frame of their own (for ~h). */
    struct buf hdrs = BUF_INIT, rest = BUF_INIT;
    if (r->type != FLOW_HTTP || store__rec_split(buf_ptr(raw), raw->len, &rest, &hdrs) < 0) {
        buf_reset(&hdrs);
        buf_set(&rest, buf_ptr(raw), raw->len);
    }
    struct buf z = BUF_INIT;
    unsigned d = pk->live;
    size_t hlen;
    buf_append(&z, buf_ptr(plain), plain->len);
    if (store__pack_split(pk->cctx, d ? &pk->dicts[d] : NULL, &hdrs, &rest, &z, &hlen) < 0) {
        /* zstd does not fail on memory it has; keep the record as it is. */
        d = 0;
        z.len = plain->len;
        store__pack_split(pk->cctx, NULL, &hdrs, &rest, &z, &hlen);
    }
    store__slab_free(&s->slabs, r->rest);
    r->rest = NULL;
    r->flags &= (uint16_t)~RF_REST_LOG;
    r->dict = (uint8_t)d;
    r->rest_len = (uint32_t)z.len;
    r->rest_raw = (uint32_t)(hdrs.len + rest.len);
    r->hdr_raw = (uint32_t)hdrs.len;
    r->hdr_len = (uint32_t)hlen;
    r->plain_len = (uint32_t)plain->len;
    buf_clear(&hdrs);
    buf_clear(&rest);
    if (!store__rest_in_ram(z.len, plain->len)) {
        r->rest_off = store__blog_append(&s->log, buf_ptr(&z), z.len);
        r->flags |= RF_REST_LOG;
    } else {
        r->rest = store__slab_put(&s->slabs, buf_ptr(&z), z.len);
    }
    buf_clear(&z);
}

/* The row's flow goes: its record and bodies are kept, unless unchanged. */
static void
compact(struct store *s, uint32_t slot)
{
    struct row *r = &s->rows[slot];
    struct flow *f = r->flow;
    struct buf raw = BUF_INIT, old = BUF_INIT;
    serialize_bare(f, &raw);
    int have = r->rest || (r->flags & RF_REST_LOG);
    if (!have || record(s, r, &old) < 0 || old.len != raw.len ||
        memcmp(buf_ptr(&old), buf_ptr(&raw), raw.len) != 0) {
        struct buf plain = BUF_INIT;
        store__plain_from_flow(f, &plain);
        put_record(s, r, &raw, &plain);
        buf_clear(&plain);
    }
    for (int i = 0; i < 2; i++) {
        const struct buf *b = NULL;
        if (i == 0 && f->request && !f->request->content_none)
            b = &f->request->content;
        if (i == 1 && f->response && !f->response->content_none)
            b = &f->response->content;
        if (b == NULL || b->len == 0) {
            r->body_len[i] = 0;
            continue;
        }
        if (have && same_body(s, r, i, b))
            continue;
        r->body_off[i] = store__blog_append(&s->log, buf_ptr(b), b->len);
        r->body_len[i] = (uint32_t)b->len;
    }
    buf_clear(&raw);
    buf_clear(&old);
    store__drop_flow(s, slot);
}

uint32_t
store__ingest(struct store *s, struct flow *f)
{
    struct rec_fields rf;
    store__rec_fields_init(&rf);
    store__rec_from_flow(f, &rf);
    uint32_t slot = store__row_new(s, &rf);
    store__rec_fields_clear(&rf);
    s->rows[slot].flow = flow_ref(f);
    compact(s, slot);
    return slot;
}

void
store__row_hold_strings(struct store *s, const struct row *r, int hold)
{
    for (size_t i = 0; i < S__COUNT; i++)
        if (r->str[i] != 0)
            hold ? store__intern_ref(&s->strs, r->str[i])
                 : store__intern_unref(&s->strs, r->str[i]);
    for (size_t i = 0; i < 2; i++)
        if (r->hset[i] != 0)
            hold ? store__intern_ref(&s->hsets, r->hset[i])
                 : store__intern_unref(&s->hsets, r->hset[i]);
}

/*
 * Whatever changed in the row's flow without an update: the list follows
 * it now (View.update()), the row moved if its key changed. It is found
 * in the view by its old key, and only when something changed: most rows
 * swept have not, and finding a row costs a bisection.
 */
static void
refresh(struct store *s, uint32_t slot)
{
    struct row old = s->rows[slot];
    int hold = store__order_reads_strings(s->order);
    if (hold)
        store__row_hold_strings(s, &old, 1);
    if (store__row_refresh(s, slot)) {
        int shown = !!(old.flags & RF_SHOWN);
        store__reconsider(s, slot, shown ? store__view_pos_by(s, slot, &old) : 0,
                          shown && store__order_cmp(s, s->order, &old, &s->rows[slot]) != 0);
    }
    if (hold)
        store__row_hold_strings(s, &old, 0);
}

static void sweep_later(void *arg);

void
store__sweep(struct store *s, size_t n)
{
    if (s->busy)
        return;
    size_t scans = n * 4;
    while (s->ncached > 0 && n > 0 && scans-- > 0) {
        if (s->sweep_pos >= s->ncached)
            s->sweep_pos = 0;
        uint32_t slot = s->cached[s->sweep_pos];
        struct row *r = &s->rows[slot];
        if ((r->flags & RF_DEAD) || r->flow == NULL) {
            s->cached[s->sweep_pos] = s->cached[--s->ncached];
            continue;
        }
        if (flow_shared(r->flow)) {
            s->sweep_pos++;
            continue;
        }
        refresh(s, slot);
        compact(s, slot);
        s->cached[s->sweep_pos] = s->cached[--s->ncached];
        n--;
    }
    if (s->ncached > SWEEP_POST && !s->sweep_posted && s->cfg.post) {
        s->sweep_posted = 1;
        s->cfg.post(s->cfg.post_ctx, sweep_later, s);
    }
}

/* Opened flows no longer held are compacted a batch at a time, the loop
 * free to do other work in between. */
static void
sweep_later(void *arg)
{
    struct store *s = arg;
    s->sweep_posted = 0;
    size_t before = s->ncached;
    store__sweep(s, 256);
    /* Nothing came free: the rest are held; the next operation looks again. */
    if (s->ncached == before && s->sweep_posted) {
        s->sweep_posted = 0;
    }
}
