/*
 * Filters over stored flows, with filt_match() itself, so that results are
 * the filter engine's to the byte (tests/filter's vectors hold for the store
 * too). A compacted flow is not a struct flow, so for each row a borrowed
 * one is put together from what the operators of this filter read:
 *
 *   the row            type, marks, comment, error, replay, method, URL
 *                      parts, status code, response present (~m ~c ~q ~s
 *                      ~e ~marked ~marker ~comment ~replay ~http ~tcp ...);
 *   key headers        Host, Content-Type, Content-Encoding (~u ~d ~t ~a);
 *   bodies             read from the log in place (~b ~bq ~bs);
 *   the plain part     the text ~h and ~b search beyond bodies, stored
 *                      uncompressed in front of the record (plain.c):
 *                      every header, DNS, TCP and WebSocket messages;
 *   the record         decompressed and read in place for the rest:
 *                      addresses (~src ~dst), metadata (~meta), and
 *                      headers or messages a row has no plain text for;
 *   the whole flow     ffile_deserialize() for DNS flows and any operator
 *                      this file does not know.
 *
 * Nothing in the borrowed flow is owned: it is never referenced, freed or
 * written to, only read by filt_match(). Rows are matched in parallel,
 * each worker with its own scratch.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "store/internal.h"
#include "util/xmalloc.h"

/* ---- what a filter reads ------------------------------------------------ */

static unsigned
op_needs(const char *op, size_t n)
{
    static const struct {
        const char *name;
        unsigned need;
    } ops[] = {
        {"all", 0},           {"e", 0},        {"http", 0},      {"tcp", 0},
        {"dns", 0},           {"udp", 0},      {"websocket", 0}, {"marked", 0},
        {"replay", 0},        {"replayq", 0},  {"replays", 0},   {"q", NEED_DNS},
        {"s", NEED_DNS},             {"c", 0},        {"m", 0},         {"marker", 0},
        {"comment", 0},       {"u", NEED_KEYHDRS}, {"d", NEED_KEYHDRS},
        {"t", NEED_KEYHDRS},  {"tq", NEED_KEYHDRS}, {"ts", NEED_KEYHDRS},
        {"a", NEED_KEYHDRS},  {"b", NEED_KEYHDRS | NEED_BODIES},
        {"bq", NEED_KEYHDRS | NEED_BODIES}, {"bs", NEED_KEYHDRS | NEED_BODIES},
        {"h", NEED_HEADERS},  {"hq", NEED_HEADERS}, {"hs", NEED_HEADERS},
        {"src", NEED_CONNS},  {"dst", NEED_CONNS}, {"meta", NEED_META},
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strlen(ops[i].name) == n && memcmp(ops[i].name, op, n) == 0)
            return ops[i].need;
    return NEED_FULL;
}

unsigned
store__filter_needs(const struct filt *flt)
{
    /* Operators appear as {"op": "~name"...}: inside a JSON string a quote
     * is escaped, so this text can only be the tree's own. */
    struct buf b = BUF_INIT;
    filt_ast_json(flt, &b);
    buf_append(&b, "", 1);
    unsigned need = 0;
    const char *p = (const char *)buf_ptr(&b);
    static const char tag[] = "{\"op\": \"~";
    while ((p = strstr(p, tag)) != NULL) {
        p += sizeof(tag) - 1;
        size_t n = strcspn(p, "\"");
        unsigned op = op_needs(p, n);
        need |= op;
        if ((op & ~(unsigned)(NEED_KEYHDRS | NEED_DNS)) == 0)
            need |= NEED_CHEAP;
        p += n;
    }
    buf_clear(&b);
    return need;
}

/* Python's repr() of a str, as mitmproxy's message shows the expression. */
static void
py_repr(struct buf *out, const char *s)
{
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    buf_append(out, &q, 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == q || *p == '\\')
            buf_printf(out, "\\%c", *p);
        else if (*p == '\n')
            buf_append_str(out, "\\n");
        else if (*p == '\r')
            buf_append_str(out, "\\r");
        else if (*p == '\t')
            buf_append_str(out, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            buf_printf(out, "\\x%02x", *p);
        else
            buf_append(out, p, 1);
    }
    buf_append(out, &q, 1);
}

void
store__filter_error(const char *expr, struct err *e)
{
    /* flowfilter.parse(): ValueError("Empty filter expression") or
     * ValueError(f"Invalid filter expression: {s!r}"). */
    if (expr == NULL || *expr == '\0') {
        err_set(e, MP_ERR_SYNTAX, "Empty filter expression");
        return;
    }
    struct buf b = BUF_INIT;
    py_repr(&b, expr);
    buf_append(&b, "", 1);
    err_set(e, MP_ERR_SYNTAX, "Invalid filter expression: %s", (const char *)buf_ptr(&b));
    buf_clear(&b);
}

/* ---- a borrowed flow per row -------------------------------------------- */

/* {"request": {"questions": [{"name": ...}]}, "response": {}}, borrowed. */
/* A DNS flow's stand-in messages: the first question's name, and whether
 * there is a response, from the row. */
struct dns_stub {
    struct dns_message request, response;
    struct dns_question question;
};

struct scratch {
    ZSTD_DCtx *dctx;
    struct blog_reader rd[3]; /* request body, response body, record */
    struct buf raw;
    struct rec_view rv;
    struct flow f;
    struct http_request rq;
    struct http_response rs;
    struct flow_error err;
    struct connection cc, sc;
    struct websocket_data ws;
    struct dns_stub dns;
    struct plain plain;
};

static void
scratch_clear(struct scratch *x)
{
    ZSTD_freeDCtx(x->dctx);
    for (int i = 0; i < 3; i++)
        store__blog_reader_clear(&x->rd[i]);
    buf_clear(&x->raw);
    store__rec_view_clear(&x->rv);
    store__plain_clear(&x->plain);
    memset(x, 0, sizeof(*x));
}

/* The worker's decompression context, made when a row first needs its
 * record: rows the pre-check decides never do. */
static ZSTD_DCtx *
dctx(struct scratch *x)
{
    if (x->dctx == NULL)
        x->dctx = ZSTD_createDCtx();
    return x->dctx;
}

/* A body borrowed from the log (or nothing, if it cannot be read). */
static struct buf
body(const struct store *s, const struct row *r, int which, struct blog_reader *rd)
{
    const uint8_t *p;
    if (r->body_len[which] == 0 ||
        store__blog_read(&s->log, r->body_off[which], r->body_len[which], rd, &p) < 0)
        return (struct buf)BUF_INIT;
    return (struct buf){(uint8_t *)p, 0, r->body_len[which], r->body_len[which]};
}

/*
 * Both bodies of a row through one reader where they can be: a flow's
 * request body comes just before its response body in the log, so a
 * window read for the response from the request's offset on holds both,
 * and the rows of a part, neighbours in the log, are read in 1 MiB windows
 * one after the other: a reader per body would read every window twice.
 */
static void
bodies(const struct store *s, const struct row *r, struct scratch *x, struct buf *rq,
       struct buf *rs)
{
    uint64_t q = r->body_off[0], p = r->body_off[1];
    struct blog_reader *rd = &x->rd[0];
    const uint8_t *b;
    if (r->body_len[0] && r->body_len[1] && q <= p &&
        store__blog_read_from(&s->log, q, p, r->body_len[1], rd, &b) == 0) {
        *rs = (struct buf){(uint8_t *)b, 0, r->body_len[1], r->body_len[1]};
        uint64_t base = rd->base;
        size_t len = rd->len;
        *rq = body(s, r, 0, rd);
        if (rd->base == base && rd->len == len)
            return;
        /* The request was not in that window after all, and reading it
         * moved the window off the response. */
    } else {
        *rq = body(s, r, 0, rd);
    }
    /* The response through a reader of its own. */
    *rs = body(s, r, 1, &x->rd[1]);
}

/* The whole flow read back, matched, and dropped again. */
static int
match_full(const struct store *s, struct scratch *x, const struct filt *flt, const struct row *r)
{
    struct flow *f = store__read_flow(s, r, dctx(x), &x->rd[2], &x->raw, NULL);
    if (f == NULL)
        return 0;
    int m = filt_match(flt, f);
    flow_unref(f);
    return m;
}

/*
 * A DNS flow's messages are in its record. Of them ~q and ~s ask only
 * whether there is a response, and ~u the first question's name, which the
 * row has (RF_RESPONSE, RF_DNS_QNAME): those get stand-in messages. ~b
 * reads the messages decoded from the record (not the whole flow:
 * ffile_deserialize() costs ten times as much); ~src, ~dst, ~meta and what
 * this file does not know read the flow.
 */
static int
dns_full(const struct row *r, unsigned need)
{
    if (need & (NEED_CONNS | NEED_META))
        return 1;
    return (need & NEED_KEYHDRS) && !(r->flags & RF_DNS_QNAME);
}

static void
dns_stand_in(const struct store *s, struct scratch *x, const struct row *r, struct flow *f)
{
    struct dns_stub *d = &x->dns;
    memset(d, 0, sizeof(*d));
    d->request.query = 1;
    if (r->flags & RF_DNS_QNAME) {
        d->question.name = (char *)store__str(&s->strs, r->str[S_PATH]);
        d->request.questions = &d->question;
        d->request.nquestions = 1;
    }
    f->dns_request = &d->request;
    f->dns_response = r->flags & RF_RESPONSE ? &d->response : NULL;
}

/* The messages decoded from the record into f (owned: dns_message_free
 * each); -1 if they cannot be read. */
static int
dns_messages(const struct buf *raw, struct flow *f)
{
    struct tns *d = store__rec_dns(buf_ptr(raw), raw->len);
    struct err e = {0};
    int rc = d ? ffile_load_dns(d, f, &e) : -1;
    tns_free(d);
    if (rc < 0) {
        dns_message_free(f->dns_request);
        dns_message_free(f->dns_response);
        f->dns_request = f->dns_response = NULL;
        return -1;
    }
    return 0;
}

/* x->f as the row alone shows it: headers are the key ones (Host,
 * Content-Type, Content-Encoding); no contents, messages, connections or
 * metadata. f was zeroed. */
static void
row_flow(const struct store *s, struct scratch *x, const struct row *r)
{
    const struct intern *t = &s->strs;
    struct flow *f = &x->f;
    f->type = (enum flow_type)r->type;
    f->marked = (char *)store__str(t, r->str[S_MARKED]);
    f->comment = (char *)store__str(t, r->str[S_COMMENT]);
    f->is_replay = r->replay;
    f->error = r->flags & RF_ERROR ? &x->err : NULL;
    f->intercepted = !!(r->flags & RF_INTERCEPTED);
    f->timestamp_created = r->created;
    if (r->type == FLOW_HTTP && (r->flags & RF_REQUEST)) {
        store__row_request(s, r, &x->rq);
        f->request = &x->rq;
    }
    if (r->type == FLOW_HTTP && (r->flags & RF_RESPONSE)) {
        x->rs = (struct http_response){
            .http_version = (char *)store__str(t, r->str[S_RS_VERSION]),
            .status_code = r->status,
            .reason = (char *)store__str(t, r->str[S_REASON]),
            .headers = *s->hsets.v[r->hset[1]].hdrs,
            .content_none = !!(r->flags & RF_RS_NONE),
            .timestamp_start = r->ts[2],
            .timestamp_end = r->ts[3],
        };
        f->response = &x->rs;
    }
    if (r->flags & RF_WEBSOCKET) {
        memset(&x->ws, 0, sizeof(x->ws));
        f->websocket = &x->ws;
    }
}

/*
 * The cheap pre-check: the filter on the row alone (x->f from row_flow()),
 * the parts it lacks unknown (filt_match_partial). "~m POST & ~b x" rules
 * out a GET, and ~b a flow without bodies, before anything is read or
 * decompressed. 1 or 0, or -1 when the rest must be read. Rows with all
 * the parts the filter reads, or of whose operators one reads the row
 * alone, are worth it; for the others (one "~h json") it would only cost.
 */
static int
precheck(const struct scratch *x, const struct filt *flt, unsigned need, const struct row *r)
{
    if (r->type == FLOW_DNS)
        return -1;
    unsigned missing = 0;
    if ((need & NEED_BODIES) && (r->body_len[0] || r->body_len[1] || r->type == FLOW_TCP ||
                                 (r->flags & RF_WEBSOCKET)))
        missing |= FILT_PART_BODIES;
    if (need & NEED_HEADERS)
        missing |= FILT_PART_HEADERS;
    if (need & NEED_CONNS)
        missing |= FILT_PART_CONNS;
    if (need & NEED_META)
        missing |= FILT_PART_META;
    if (missing && !(need & NEED_CHEAP))
        return -1;
    return filt_match_partial(flt, &x->f, missing);
}

static int
match_row(const struct store *s, struct scratch *x, const struct filt *flt, unsigned need,
          const struct row *r)
{
    if (r->flow)
        return filt_match(flt, r->flow);
    if ((need & NEED_FULL) || (r->type == FLOW_DNS && dns_full(r, need)))
        return match_full(s, x, flt, r);
    /* The row's part of the flow, once: the pre-check reads it, and the
     * rest read from the record is added to it. */
    struct flow *f = &x->f;
    memset(f, 0, sizeof(*f));
    row_flow(s, x, r);
    int m = precheck(x, flt, need, r);
    if (m >= 0)
        return m;

    int messages = (need & NEED_BODIES) &&
                   (r->type == FLOW_TCP || r->type == FLOW_DNS || (r->flags & RF_WEBSOCKET));
    /* ~h ~hq ~hs read an HTTP request's headers, or nothing. */
    int headers = (need & NEED_HEADERS) && r->type == FLOW_HTTP && (r->flags & RF_REQUEST);
    /* The plain part has the text of both where the row has one: nothing
     * is decompressed or decoded for them. */
    const uint8_t *pp;
    x->plain.flags = 0;
    if ((messages || headers) && r->plain_len && store__record_plain(s, r, &x->rd[2], &pp) == 0)
        store__plain_read(pp, r->plain_len, &x->plain);
    const struct filt_text *text = x->plain.flags ? &x->plain.text : NULL;
    if (x->plain.flags & PLAIN_MESSAGES)
        messages = 0;
    if (x->plain.flags & PLAIN_HEADERS)
        headers = 0;
    int dns_bodies = messages && r->type == FLOW_DNS;
    messages = messages && r->type != FLOW_DNS;
    /* Headers come from their own frame where the row has one (the
     * record's first hdr_raw bytes), everything else from what follows
     * it: headers alone do not walk the rest. */
    int hframe = headers && r->hdr_raw;
    int rest = (need & (NEED_CONNS | NEED_META)) || messages || (headers && !r->hdr_raw);
    if (dns_bodies && (store__record(s, r, dctx(x), &x->rd[2], &x->raw) < 0 ||
                       dns_messages(&x->raw, f) < 0))
        return match_full(s, x, flt, r);
    /* Headers alone: only the frame's first blocks are decompressed. */
    if ((hframe && !rest &&
         (store__record_headers(s, r, dctx(x), &x->rd[2], &x->raw) < 0 ||
          store__rec_view_headers(buf_ptr(&x->raw), r->hdr_raw, &x->rv) < 0)) ||
        (rest &&
         (store__record_raw(s, r, dctx(x), &x->rd[2], &x->raw) < 0 ||
          store__rec_view(buf_ptr(&x->raw) + r->hdr_raw, x->raw.len - r->hdr_raw, &x->rv) < 0 ||
          (hframe && store__rec_view_headers(buf_ptr(&x->raw), r->hdr_raw, &x->rv) < 0)))) {
        dns_message_free(f->dns_request);
        dns_message_free(f->dns_response);
        return match_full(s, x, flt, r);
    }

    if (headers) {
        x->rq.headers = x->rv.headers[0];
        x->rs.headers = x->rv.headers[1];
    }
    if (need & NEED_BODIES)
        bodies(s, r, x, &x->rq.content, &x->rs.content);
    if ((r->flags & RF_WEBSOCKET) && messages) {
        x->ws.messages = x->rv.ws;
        x->ws.nmessages = x->rv.nws;
    }
    if (r->type == FLOW_TCP && messages) {
        f->messages = x->rv.tcp;
        f->nmessages = x->rv.ntcp;
    }
    if (need & NEED_CONNS) {
        memset(&x->cc, 0, sizeof(x->cc));
        memset(&x->sc, 0, sizeof(x->sc));
        x->cc.address = x->cc.peername = x->rv.client;
        x->sc.address = x->rv.server;
        f->client_conn = &x->cc;
        f->server_conn = &x->sc;
    }
    struct tns *meta = NULL;
    if ((need & NEED_META) && x->rv.metadata.len) {
        size_t used;
        if (tns_decode(x->rv.metadata.p, x->rv.metadata.len, &used, &meta, NULL) == 0 &&
            meta->type == TNS_DICT && meta->u.dict.n > 0)
            f->metadata = meta;
    }
    if (r->type == FLOW_DNS && !dns_bodies)
        dns_stand_in(s, x, r, f);
    m = filt_match_text(flt, f, text);
    tns_free(meta);
    if (dns_bodies) {
        dns_message_free(f->dns_request);
        dns_message_free(f->dns_response);
    }
    return m;
}

int
store__match_row(struct store *s, const struct filt *flt, unsigned need, uint32_t slot)
{
    struct scratch x = {0};
    int m = match_row(s, &x, flt, need, &s->rows[slot]);
    scratch_clear(&x);
    return m;
}

/*
 * Rows per part: at most PART_ROWS, so that the threads share the work
 * out evenly (a part of bodies on disk takes longer than one in RAM); at
 * least PART_MIN, so that taking a part costs nothing next to matching it;
 * in between, about eight parts per thread, so that a few thousand rows
 * (the rows a live list has to catch up with) are matched in parallel too.
 * A part's rows are neighbours in the table, and their bodies in the log:
 * each thread reads the log in windows (bodylog.c), not a flow at a time.
 */
#define PART_ROWS 4096
#define PART_MIN 64

struct many {
    const struct store *s;
    const struct filt *flt;
    unsigned need;
    const uint32_t *slots;
    size_t n, per_part;
    uint8_t *hits;
    struct scratch *x; /* one per worker */
};

static void
part(void *arg, size_t i, unsigned worker)
{
    struct many *m = arg;
    size_t lo = i * m->per_part, hi = lo + m->per_part < m->n ? lo + m->per_part : m->n;
    for (size_t k = lo; k < hi; k++)
        m->hits[k] = (uint8_t)match_row(m->s, &m->x[worker], m->flt, m->need,
                                        &m->s->rows[m->slots[k]]);
}

size_t
store__keep_matching(struct store *s, const struct filt *flt, unsigned need, uint32_t *slots,
                     size_t n)
{
    if (n == 0)
        return 0;
    unsigned width = store__pool_width(s->pool);
    uint8_t *hits = xmalloc(n);
    size_t per = n / ((size_t)width * 8);
    per = per < PART_MIN ? PART_MIN : per > PART_ROWS ? PART_ROWS : per;
    struct many m = {s, flt, need, slots, n, per, hits, xcalloc(width, sizeof(struct scratch))};
    store__pool_parallel(s->pool, (n + per - 1) / per, part, &m);
    for (unsigned i = 0; i < width; i++)
        scratch_clear(&m.x[i]);
    free(m.x);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (hits[i])
            slots[k++] = slots[i];
    free(hits);
    return k;
}
