/*
 * Shared between the files of src/store/ only:
 *
 *   intern.c   interned strings and header sets, refcounted
 *   bodylog.c  the append-only body log: RAM up to the budget, then a file
 *   pack.c     zstd with raw-content dictionaries of similar records
 *   plain.c    a record's plain part: the text ~h and ~b search
 *   record.c   version-17 records: validated, rows read out, bodies cut
 *   row.c      rows from struct flows; materializing and compacting
 *   store.c    the row table, id index, events, marks, settings
 *   order.c    order keys: comparing rows, sorting many
 *   view.c     the sorted view, focus
 *   vlist.c    the view's slots in blocks
 *   match.c    filters on rows and borrowed flow views, in parallel
 *   load.c     reading files in the background
 *   pool.c     the worker threads
 *   addon.c    hooks and options; commands.c: view.* and the resolver
 *
 * Everything but pool.c, the work functions of load.c and match.c, and
 * the pure functions of record.c and pack.c runs on the loop's thread.
 */
#ifndef MP_STORE_INTERNAL_H
#define MP_STORE_INTERNAL_H

#include <stdint.h>
#include <zstd.h>

#include "addons/addon.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "http/headers.h"
#include "store/store.h"
#include "util/buf.h"

/* ---- intern.c ---------------------------------------------------------- */

struct intern_entry {
    char *s;       /* owned, NUL-terminated (the bytes may hold NULs too) */
    uint32_t len;
    uint32_t refs; /* 0: free, next is the free list */
    uint32_t hash;
    uint32_t next; /* chain in the bucket, or the free list */
    struct hdrs *hdrs; /* header sets: the fields, pointing into s */
};

/*
 * A set of distinct strings with ids. Id 0 is "" and never goes. Header
 * sets are a table of their own: s holds the fields as
 * (u32 name length, name, u32 value length, value)*, and hdrs the same as
 * struct hdrs whose strings point into s (NUL-terminated in place).
 */
struct intern {
    struct intern_entry *v;
    uint32_t n, cap;
    uint32_t *buckets; /* heads (id + 1), nbuckets a power of two */
    uint32_t nbuckets;
    uint32_t free_head; /* id + 1 of a free entry, or 0 */
    uint32_t live;
    size_t bytes; /* of the strings, for store_memory() */
    int hdrsets;
};

void store__intern_init(struct intern *, int hdrsets);
void store__intern_clear(struct intern *);
/* The id of p[0..n), with one more reference. */
uint32_t store__intern(struct intern *, const void *p, size_t n);
void store__intern_ref(struct intern *, uint32_t id);
void store__intern_unref(struct intern *, uint32_t id);

static inline const char *
store__str(const struct intern *t, uint32_t id)
{
    return t->v[id].s;
}

static inline size_t
store__strlen(const struct intern *t, uint32_t id)
{
    return t->v[id].len;
}

/* Appends one field to a header-set key being built. */
void store__hset_add(struct buf *key, const void *name, size_t nn, const void *value, size_t vn);
/* Whether a header name is one a row keeps (Host, Content-Type, Content-Encoding). */
int store__key_header(const char *name, size_t n, int response);

/* ---- bodylog.c --------------------------------------------------------- */

struct blog_chunk {
    uint64_t base;
    uint8_t *data; /* owned; NULL once written to the file */
    size_t len, cap;
    int open; /* appends may go on in it */
};

struct bodylog {
    struct blog_chunk *chunks; /* by base; the written ones first */
    size_t nchunks, cap;
    size_t first_ram; /* index of the first chunk still in RAM */
    uint64_t end;     /* the log's length */
    uint64_t budget;
    size_t ram; /* bytes allocated for resident chunks */
    int fd;     /* the temporary file, -1 until needed */
    char *tmpdir;
    uint64_t disk; /* bytes written to it */
    int failed;    /* writing failed: everything stays in RAM */
    /* The last chunk written to the file, its memory kept for the next
     * store__blog_take_spare() (NULL if none): one chunk beyond the budget. */
    uint8_t *spare;
    size_t spare_cap;
};

/* A reader's window onto the file, one per thread. */
struct blog_reader {
    uint8_t *buf;
    size_t cap, len;
    uint64_t base;
};

void store__blog_init(struct bodylog *, uint64_t budget, const char *tmpdir);
void store__blog_clear(struct bodylog *);
/* Appends p[0..n); returns its offset. */
uint64_t store__blog_append(struct bodylog *, const void *p, size_t n);
/* Takes data (malloc'd, len bytes used) as the next chunk; returns its base. */
uint64_t store__blog_adopt(struct bodylog *, uint8_t *data, size_t len);
/* The memory of a chunk already written to the file (cap bytes, malloc'd;
 * the caller's), or NULL: a loader fills it instead of fresh memory, whose
 * pages each cost a fault. */
uint8_t *store__blog_take_spare(struct bodylog *, size_t *cap);
void store__blog_set_budget(struct bodylog *, uint64_t budget);
/* Closes the chunk being filled (shrunk to its length) so that it, too,
 * may move to the file when RAM is over budget. */
void store__blog_seal(struct bodylog *);
/*
 * The n bytes at off: a pointer into RAM, or into r's window after reading
 * them from the file (valid until the next read with r). Any thread, while
 * the loop does not change the log. 0, or MP_ERR_IO.
 */
int store__blog_read(const struct bodylog *, uint64_t off, size_t n, struct blog_reader *r,
                     const uint8_t **out);
/* The same, but a read from the file fills the window from `from` on
 * (from <= off, at most half a window before): a flow's request body,
 * before its response body, then comes with the same read. */
int store__blog_read_from(const struct bodylog *, uint64_t from, uint64_t off, size_t n,
                          struct blog_reader *r, const uint8_t **out);
void store__blog_reader_clear(struct blog_reader *);

/* ---- pack.c ------------------------------------------------------------ */

#define PACK_MAX_DICTS 255
#define PACK_DICT_SIZE (64u << 10)
/* zstd's fastest levels: against a dictionary of similar records -1
 * compresses twice as fast as 1, for about 230 bytes a record instead of
 * 180 (loading a million flows is mostly this). */
#define PACK_LEVEL -1

struct pack_dict {
    ZSTD_CDict *c;
    ZSTD_DDict *d;
    size_t size;
};

/* Dictionaries by id (0: none); built from sample records. */
struct packer {
    struct pack_dict dicts[PACK_MAX_DICTS + 1];
    unsigned ndicts;   /* ids 1..ndicts are in use */
    unsigned live;     /* the dictionary for compacted live flows, 0 until built */
    struct buf samples; /* records collected for it */
    ZSTD_CCtx *cctx;   /* the loop's */
    ZSTD_DCtx *dctx;
    size_t bytes;
};

void store__pack_init(struct packer *);
void store__pack_clear(struct packer *);
/* A dictionary made of the sample bytes; 0 when the table is full. */
unsigned store__pack_add_dict(struct packer *, const void *samples, size_t n);
/* Any thread: compresses src with dictionary d (NULL: none) into out (appended). */
int store__pack(ZSTD_CCtx *, const struct pack_dict *d, const void *src, size_t n,
                struct buf *out);
/*
 * Any thread: hdrs then rest as one frame (into out, appended); *first is
 * how much of the frame store__unpack_first() needs for hdrs (0 without
 * hdrs): the whole frame, since the headers' blocks are not ended apart.
 */
int store__pack_split(ZSTD_CCtx *, const struct pack_dict *d, const struct buf *hdrs,
                      const struct buf *rest, struct buf *out, size_t *first);
/* Any thread: the first raw bytes of such a frame, from its first n bytes. */
int store__unpack_first(ZSTD_DCtx *, const struct pack_dict *d, const void *src, size_t n,
                        size_t raw, struct buf *out);
/* Any thread: decompresses into out (replaced), which must come to raw bytes. */
int store__unpack(ZSTD_DCtx *, const struct pack_dict *d, const void *src, size_t n, size_t raw,
                  struct buf *out);

/* ---- plain.c ----------------------------------------------------------- */

#define PLAIN_HEADERS 0x01  /* every message's headers text is there */
#define PLAIN_MESSAGES 0x02 /* every DNS, TCP or WebSocket message's text is there */

/* Building a plain part into out (appended): open it, add entries (tag and
 * bytes, or an entry's start and its end after appending its bytes), then
 * set the flags of what it holds whole. */
size_t store__plain_open(struct buf *out);
void store__plain_set(struct buf *out, size_t at, unsigned flags);
void store__plain_add(struct buf *out, int tag, const void *p, size_t n);
size_t store__plain_entry(struct buf *out, int tag);
void store__plain_entry_end(struct buf *out, size_t start);
/* One header field as ~h reads it: "name: value\r\n". */
void store__plain_field(struct buf *out, const void *name, size_t nn, const void *value,
                        size_t vn);
/* A DNS flow's plain part: its messages' text. */
void store__plain_dns(struct buf *out, const struct dns_message *rq,
                      const struct dns_message *rs);
/* The plain part of a flow (appended). */
void store__plain_from_flow(const struct flow *, struct buf *out);

/* A plain part read: the text borrowed from it, for filt_match_text(). */
struct plain {
    unsigned flags; /* PLAIN_*; 0 when it could not be read */
    struct filt_text text;
    struct filt_msgtext *msgs; /* owned array, reused */
    size_t nmsgs, capmsgs;
};

/* Reads p[0..n) (an empty part holds nothing). 0, or MP_ERR_CORRUPT. */
int store__plain_read(const uint8_t *p, size_t n, struct plain *out);
void store__plain_clear(struct plain *);

/* ---- record.c ---------------------------------------------------------- */

/* Strings a row keeps, as intern ids. */
enum row_str {
    S_METHOD,
    S_SCHEME,
    S_HOST,
    S_AUTHORITY,
    S_PATH,
    S_VERSION,
    S_REASON,
    S_RS_VERSION,
    S_MARKED,
    S_COMMENT,
    S_CLIENT, /* TCP: client_conn's address's host (its port is the row's status) */
    S__COUNT
};

/*
 * What a record (or a struct flow) gives its row, before interning:
 * strings as slices into the record. Filled by store__rec_scan().
 */
struct rec_fields {
    enum flow_type type;
    struct slice id;
    struct slice str[S__COUNT];
    struct buf hset[2]; /* header-set keys, request and response (owned) */
    double created, ts[4];
    uint64_t size;
    struct slice body[2]; /* request, response content */
    uint16_t port, status;
    uint16_t flags; /* RF_* */
    const char *replay;
    char opcode[24]; /* a DNS op code: without a name "OPCODE(n)"; a live flow's any */
    /* DNS: the first question's type (dns_type_str) and the answers as
     * 8.1.1's flow list joins them, the row's S_VERSION and S_REASON. */
    char qtype[16];
    struct buf answers; /* owned */
    struct buf plain; /* store__rec_scan(): the record's plain part (owned) */
};

void store__rec_fields_init(struct rec_fields *);
void store__rec_fields_clear(struct rec_fields *);

/*
 * Reads a version-17 record: validates it as tns_decode() would, fills
 * out (its plain part too), and appends to rest the record without its request and response
 * content (an empty byte string in their place; None stays None), with
 * new_id instead of its id when new_id is given. With hdrs given, an HTTP
 * record's headers go to hdrs instead (see store__rec_split()). Returns 0,
 * or MP_ERR_UNSUPPORTED when the record is not one this fast path reads
 * (then ffile_deserialize() decides: another version, a field of an odd
 * type), or MP_ERR_CORRUPT when it is not even a tnetstring.
 */
int store__rec_scan(const uint8_t *p, size_t n, const char *new_id, struct rec_fields *out,
                    struct buf *rest, struct buf *hdrs);
/*
 * An HTTP record's headers in a frame of their own, so that ~h reads only
 * them: hdrs gets the request's and the response's headers values (each a
 * tnetstring, None where there is none), rest the record with "0:]" in
 * their place (both appended). store__rec_join() puts them back: the
 * record again, byte for byte. 0, or MP_ERR_CORRUPT for what is no dict
 * (or no headers frame).
 */
int store__rec_split(const uint8_t *p, size_t n, struct buf *rest, struct buf *hdrs);
int store__rec_join(const uint8_t *p, size_t n, const uint8_t *h, size_t hn, struct buf *out);
/* The same fields from a struct flow (for live flows). */
void store__rec_from_flow(const struct flow *, struct rec_fields *out);

/* A record's parts a filter may need beyond the row, borrowed from raw
 * (which the parse writes NULs into). */
struct rec_view {
    struct hdrs headers[2]; /* owned arrays, strings into raw */
    struct addr client, server;
    struct slice metadata; /* the metadata dict's tnetstring, or empty */
    struct ws_message *ws;
    size_t nws, capws;
    struct tcp_message *tcp;
    size_t ntcp, captcp;
};

/* Parses what a filter may read from a record without bodies (raw is
 * changed: strings get their NULs). 0, or MP_ERR_CORRUPT. */
int store__rec_view(uint8_t *raw, size_t n, struct rec_view *out);
/* The same for the headers alone, from a headers frame (the rest of out
 * is left as it is). */
int store__rec_view_headers(uint8_t *raw, size_t n, struct rec_view *out);
void store__rec_view_clear(struct rec_view *);
/* A DNS record's messages as flowfile.c leaves them in extra: a dict of
 * "request" and "response" decoded (owned), or NULL if raw is no dict. */
struct tns *store__rec_dns(const uint8_t *raw, size_t n);

/* ---- slab.c ------------------------------------------------------------ */

/* Makes the pages of [p, p+n) present now, in one call instead of a fault
 * each (a fault per 4 KiB costs about 12 us on a VM); a range that is not
 * whole pages keeps its partial ends as they are. Only for memory about to
 * be written: it is RSS from now on. */
void store__populate(void *p, size_t n);

/* The records rows keep in RAM, back to back in slabs (slab.c). */
struct slab;
struct slabs {
    struct slab *cur; /* being filled, or NULL */
    size_t bytes;     /* made present in the slabs mapped */
};
/* A copy of the n bytes (at most a record kept in RAM, see
 * store__rest_in_ram) in a slab; never NULL for such n, and never moves.
 * Freed by store__slab_free(). Loop thread only. */
uint8_t *store__slab_put(struct slabs *, const void *p, size_t n);
/* Frees a copy store__slab_put() made; NULL is nothing. */
void store__slab_free(struct slabs *, uint8_t *p);
/* Unmaps what is left once every copy is freed. */
void store__slabs_clear(struct slabs *);
/* The bytes the slabs hold present (records, dead ones, and at most a
 * step of the current slab not yet given out). */
size_t store__slabs_bytes(const struct slabs *);

/* ---- store.c / row.c --------------------------------------------------- */

/* A compressed record longer than this goes to the log (it carries
 * WebSocket or TCP messages): RAM per flow stays bounded. */
#define STORE_REST_RAM_MAX 640
/* A record's plain part longer than this goes to the log with it. */
#define STORE_PLAIN_RAM_MAX 768

/* Whether a record stored as rest_len bytes, plain_len of them its plain
 * part, stays in RAM. */
static inline int
store__rest_in_ram(size_t rest_len, size_t plain_len)
{
    return rest_len - plain_len <= STORE_REST_RAM_MAX && plain_len <= STORE_PLAIN_RAM_MAX;
}

#define RF_ID_TEXT 0x0001  /* the id is not a canonical UUID: id[0..4) is an intern id */
#define RF_ERROR 0x0002
#define RF_INTERCEPTED 0x0004
#define RF_REQUEST 0x0008 /* HTTP: a request is there */
#define RF_RESPONSE 0x0010
#define RF_WEBSOCKET 0x0020
#define RF_RQ_NONE 0x0040 /* request content is None */
#define RF_RS_NONE 0x0080
#define RF_REST_LOG 0x0100 /* the record is in the body log, not in RAM */
#define RF_LIVE 0x0200
#define RF_MODIFIED 0x0400
#define RF_SHOWN 0x0800 /* in the view */
#define RF_DNS_QNAME 0x1000 /* DNS: S_PATH is the first question's name, as ~u reads it */
#define RF_DOOMED 0x4000 /* about to be removed (view.clear_unmarked) */
#define RF_DEAD 0x8000   /* removed: a tombstone */
/* Flags a record or flow decides (the rest are the store's). */
#define RF_FROM_FLOW                                                                              \
    (RF_ERROR | RF_INTERCEPTED | RF_REQUEST | RF_RESPONSE | RF_WEBSOCKET | RF_RQ_NONE |            \
     RF_RS_NONE | RF_LIVE | RF_MODIFIED | RF_DNS_QNAME)

/* One flow in the store. */
struct row {
    uint8_t id[16]; /* a UUID's bytes, or (RF_ID_TEXT) an intern id */
    uint64_t seq;   /* store order */
    double created;
    /* HTTP: request start/end, response start/end; TCP: the client's
     * connection start, the last message; 0 = None */
    double ts[4];
    struct flow *flow; /* live or opened: one reference; NULL when compact */
    uint8_t *rest;     /* the compressed record without bodies (in s->slabs) */
    uint64_t rest_off; /* RF_REST_LOG: where it is in the log */
    uint64_t body_off[2];
    uint64_t size; /* the size order's key */
    /* The stored record: rest_len bytes, of them first its plain part
     * (plain_len bytes, plain.c), then a zstd frame of rest_raw bytes,
     * the first hdr_raw of them its headers frame and the rest the record
     * without them (see store__rec_split()); hdr_raw 0: the record whole.
     * The headers come back from the frame's first hdr_len bytes. */
    uint32_t rest_len, rest_raw;
    uint32_t hdr_raw, hdr_len;
    uint32_t body_len[2];
    uint32_t str[S__COUNT];
    uint32_t hset[2]; /* request and response header sets */
    uint32_t settings; /* index + 1 into the settings table, or 0 */
    uint16_t port;
    uint16_t status; /* HTTP: the response's; TCP: the client's port */
    uint16_t flags;
    uint8_t type; /* enum flow_type */
    uint8_t dict; /* the record's compression dictionary, 0 for none */
    uint32_t plain_len;
    /* Breaks ties of the view's order before seq: a row placed in the view
     * one at a time, or moved, gets the next number, so it goes after every
     * row with its key (8.1.1's bisect_right); a refilter or resort zeroes
     * them all, equal keys then in store order. */
    uint32_t vtie;
    const char *replay;
};

struct subscriber {
    store_event_cb cb;
    void *arg;
    int handle; /* 0: a free slot */
};

/* view.settings of one flow: key, value, key, value... (owned). */
struct flow_settings {
    char **kv;
    size_t n;
};

struct pool;
struct load;

/* ---- vlist.c ----------------------------------------------------------- */

/* Slots a block holds at most: what one insert or erase moves at most. */
#define VL_BLOCK 512

/* A sequence of row slots in blocks (vlist.c); zeroed is empty. */
struct vlist {
    uint32_t **blk; /* owned blocks of VL_BLOCK slots, each owned; none empty */
    uint32_t *cnt;  /* slots used in each block */
    size_t *fen;    /* Fenwick tree over cnt, fen[1..nblk] (owned) */
    size_t nblk, capblk;
    size_t len;
    size_t moved; /* slots moved by inserts, erases and splits so far (for tests) */
};

void store__vl_clear(struct vlist *);
uint32_t store__vl_at(const struct vlist *, size_t i);
/* Inserts slot at index i (<= len); erases the slot at index i (< len). */
void store__vl_insert(struct vlist *, size_t i, uint32_t slot);
void store__vl_erase(struct vlist *, size_t i);
/* The sequence becomes slots[0..n); copies it out into out[0..len). */
void store__vl_assign(struct vlist *, const uint32_t *slots, size_t n);
void store__vl_copy(const struct vlist *, uint32_t *out);
/* Every slot s becomes map[s]. */
void store__vl_remap(struct vlist *, const uint32_t *map);
/* <0: slot comes before what is looked for; >0: not; 0: it is the one. */
typedef int (*store__vl_cmp)(const void *ctx, uint32_t slot);
/* The first index whose slot does not come before what cmp looks for (or
 * the index of the one cmp recognises), by bisection over the blocks and
 * then in one block. */
size_t store__vl_search(const struct vlist *, store__vl_cmp cmp, const void *ctx);
/* The index of slot by a walk, or -1. */
long store__vl_find(const struct vlist *, uint32_t slot);

struct store {
    struct addon addon; /* first: the store is its own addon */
    struct store_config cfg;
    char *tmpdir;
    struct intern strs, hsets;
    struct row *rows; /* in store order; tombstones until compacted */
    size_t nrows, caprows, ndead;
    size_t rows_present; /* rows[0..rows_present) populated (store__populate) */
    struct slabs slabs;  /* the rows' records kept in RAM */
    uint64_t next_seq;
    uint32_t vtie_now; /* the last row.vtie given */
    uint32_t *idx; /* open addressing, slot + 1; 0 empty, UINT32_MAX deleted */
    size_t idxcap, idxused;
    /* The view: row slots sorted by (order key, row.vtie, seq); reversed
     * only in how indices are given out. */
    struct vlist view;
    enum store_order order;
    int reversed, show_marked, focus_follow;
    struct filt *filt;
    char *filter_expr;
    unsigned need; /* NEED_* of filt */
    uint32_t focus; /* slot + 1, or 0 */
    struct subscriber *subs;
    size_t nsubs;
    int next_handle;
    struct bodylog log;
    /* The loop's window onto the body file: flows opened one after the
     * other are near each other in it. Cleared with the log. */
    struct blog_reader rd;
    struct packer pack;
    uint32_t *cached; /* slots whose row holds a struct flow */
    size_t ncached, capcached, sweep_pos;
    int sweep_posted;
    struct flow_settings *settings;
    size_t nsettings, capsettings;
    uint32_t free_settings; /* index + 1 of a free entry, chained through n */
    struct pool *pool;
    struct load *loads; /* in flight */
    store_reader_fn readers[256];
    char focus_id[UUID_STR_LEN]; /* store_focus_id()'s */
    char info_id[UUID_STR_LEN];  /* store_info()'s */
    int busy; /* inside an event callback: no compaction of the table */
    struct select_cache *select_cache; /* select.c's lists; owned */
};

/* A row was added, changed or removed: store_select()'s kept lists take
 * it into account (every change to a row's fields calls this). */
void store__touched(struct store *, uint32_t slot);
/* Frees select.c's lists (store_free, store_clear, slots renumbered). */
void store__select_clear(struct store *);
/* How many lists store_select() made by matching every row (for tests). */
size_t store__select_builds(const struct store *);

/* The text of a row's id into out. */
void store__row_id(const struct store *, const struct row *, char out[UUID_STR_LEN]);
/* The slot of the flow with that id, or -1. */
long store__find(const struct store *, const char *id);
/*
 * Makes fields a row: the strings interned, the rest (already compressed
 * with dictionary dict) and bodies (offsets into the log) given. Takes no
 * reference on a flow. Returns the slot.
 */
uint32_t store__row_new(struct store *, const struct rec_fields *fields);
/* The same with strings already interned (their references are the row's). */
uint32_t store__row_new_ids(struct store *, const struct rec_fields *fields,
                            const uint32_t str[S__COUNT], const uint32_t hset[2]);
/* Replaces the row's fields (strings re-interned). */
void store__row_set(struct store *, struct row *, const struct rec_fields *fields);
/* Frees what the row holds and makes it a tombstone. */
void store__row_kill(struct store *, uint32_t slot);
void store__emit(struct store *, enum store_event ev, uint32_t slot, size_t index);

/* row.c */
/* Any thread: the row's record decompressed into out. */
int store__record(const struct store *, const struct row *, ZSTD_DCtx *dctx,
                  struct blog_reader *rd, struct buf *out);
/* The same as stored: with hdr_raw, the headers frame and then the
 * record without them (filters read either part where it is). */
int store__record_raw(const struct store *, const struct row *, ZSTD_DCtx *dctx,
                      struct blog_reader *rd, struct buf *out);
/* Its plain part, borrowed (from RAM, or rd's window). 0, or an error. */
int store__record_plain(const struct store *, const struct row *, struct blog_reader *rd,
                        const uint8_t **out);
/* Its headers frame alone (the row has one: hdr_raw is not 0). */
int store__record_headers(const struct store *, const struct row *, ZSTD_DCtx *dctx,
                          struct blog_reader *rd, struct buf *out);
/* Any thread: a new struct flow (one reference) read from the row's record
 * and bodies, or NULL with e. raw is scratch. */
struct flow *store__read_flow(const struct store *, const struct row *, ZSTD_DCtx *dctx,
                              struct blog_reader *rd, struct buf *raw, struct err *e);
/* The row's struct flow: its own, or materialized (cached, one reference
 * kept by the row). Borrowed; NULL with e when the record cannot be read. */
struct flow *store__flow(struct store *, uint32_t slot, struct err *e);
/* An HTTP row's request as the row alone has it: its strings borrowed from
 * the intern table, its key headers (Host, Content-Type,
 * Content-Encoding), no content. */
void store__row_request(const struct store *, const struct row *, struct http_request *out);
/* Holds f in the row (takes a reference) and remembers it for the sweep. */
void store__hold(struct store *, uint32_t slot, struct flow *f);
/* A new row for f compacted at once (f is not held): a loaded flow. */
uint32_t store__ingest(struct store *, struct flow *f);
/* Compacts rows whose flows nobody else holds, at most n of them. */
void store__sweep(struct store *, size_t n);
/* Drops the row's flow (and its place among the cached). */
void store__drop_flow(struct store *, uint32_t slot);
/* Refreshes the row from its struct flow; returns whether anything changed. */
int store__row_refresh(struct store *, uint32_t slot);
/* Where a changed row stands (mitmproxy's View.update()): shown, hidden or
 * moved by the filter and its key; old_pos is its view position before the
 * change (when shown). In store.c. */
void store__reconsider(struct store *, uint32_t slot, size_t old_pos, int key_changed);
/* Takes (hold 1) or gives back (0) a reference on each of a row's strings:
 * a copy of a row keeps its key readable while the row changes. */
void store__row_hold_strings(struct store *, const struct row *, int hold);

/* ---- order.c ----------------------------------------------------------- */

/* The order keys of rows a and b compared (<0, 0, >0), ties not broken. */
int store__order_cmp(const struct store *, enum store_order, const struct row *a,
                     const struct row *b);
/* Whether row a comes before row b in that order (seq breaks ties). */
int store__order_before(const struct store *, enum store_order, const struct row *a,
                        const struct row *b);
/* Whether that order's key reads a row's strings (method, url); time and
 * size read only numbers, so a copy of a row keeps those keys by itself. */
int store__order_reads_strings(enum store_order);
/* Sorts slots[0..n) by that order, ties in store order. */
void store__sort_slots(const struct store *, enum store_order, uint32_t *slots, size_t n);

/* ---- view.c ------------------------------------------------------------ */

/* Whether row a comes before row b in the current order (vtie, then seq
 * breaks ties). */
int store__before(const struct store *, const struct row *a, const struct row *b);
/* The position of a shown row in the internal (unreversed) view. */
size_t store__view_pos(const struct store *, uint32_t slot);
/* The same for a row whose key changed since it was placed: key is a copy
 * of the row as it was then (its strings still held). */
size_t store__view_pos_by(const struct store *, uint32_t slot, const struct row *key);
/* Where key goes in the view: the first position whose row does not come
 * before it, or the position of slot (UINT32_MAX: none) when the search
 * meets it. */
size_t store__view_search(const struct store *, const struct row *key, uint32_t slot);
/* The slot at a public index (< the view's length). */
uint32_t store__view_at(const struct store *, size_t pub);
/* Rows the view's searches have looked at so far, in every store (for tests). */
size_t store__view_steps(void);
/* Internal and public view indices. */
size_t store__pub(const struct store *, size_t internal, size_t len);
/* Inserts a row into the view (ADD, focus follow); removes one (REMOVE). */
void store__view_insert(struct store *, uint32_t slot);
/* Gives the row the next vtie: it goes after every row with its key. */
void store__view_tie(struct store *, struct row *);
void store__view_erase(struct store *, uint32_t slot);
/* Inserts many rows (slots in store order): one merge, ADD events in order. */
void store__view_insert_many(struct store *, uint32_t *slots, size_t n);
/* Rebuilds the view from the filter (REFRESH). */
void store__refilter(struct store *);
/* Sorts the view again after an order change. */
void store__resort(struct store *);
/* The focus' reactions to the view's events (mitmproxy's Focus). */
void store__focus_on_add(struct store *, uint32_t slot);
void store__focus_on_remove(struct store *, uint32_t slot, size_t pub_index);
void store__focus_on_refresh(struct store *);
void store__focus_set(struct store *, uint32_t slot_plus1);

/* ---- match.c ----------------------------------------------------------- */

#define NEED_KEYHDRS 0x01 /* Host, Content-Type, Content-Encoding */
#define NEED_BODIES 0x02
#define NEED_HEADERS 0x04 /* every header */
#define NEED_CONNS 0x08
#define NEED_META 0x10
#define NEED_FULL 0x20 /* an operator this file does not know */
#define NEED_DNS 0x40  /* reads a DNS flow's messages (~q, ~s: is there a response?) */
#define NEED_CHEAP 0x80 /* one operator at least reads only the row (outside DNS) */

/* What flt reads of a flow (from its tree as filt_ast_json() prints it). */
unsigned store__filter_needs(const struct filt *flt);
/* Whether the row matches (loop thread; cached flows are matched directly). */
int store__match_row(struct store *, const struct filt *, unsigned need, uint32_t slot);
/* Matches slots[0..n) in parallel and keeps those that match, in their
 * order, at the front; returns how many. */
size_t store__keep_matching(struct store *, const struct filt *, unsigned need, uint32_t *slots,
                            size_t n);
/* mitmproxy's message for a filter that does not parse. */
void store__filter_error(const char *expr, struct err *e);

/* ---- pool.c ------------------------------------------------------------ */

typedef void (*pool_fn)(void *arg);
typedef void (*pool_part_fn)(void *arg, size_t part, unsigned worker);

/* nthreads workers; post runs the after functions on the loop. */
struct pool *store__pool_new(unsigned nthreads, void (*post)(void *, void (*)(void *), void *),
                             void *post_ctx);
/* Waits for running jobs; queued ones are not started (their after runs). */
void store__pool_free(struct pool *);
/* Workers, plus the caller (worker ids 0..store__pool_width()-1). */
unsigned store__pool_width(const struct pool *);
/* work(arg) on a worker, then after(arg) on the loop (server_queue_work's
 * contract). Without threads or post, both run before this returns. */
void store__pool_queue(struct pool *, pool_fn work, pool_fn after, void *arg);
/* fn(arg, part, worker) for every part in [0, nparts), on the workers and
 * the caller; returns when all are done. */
void store__pool_parallel(struct pool *, size_t nparts, pool_part_fn fn, void *arg);

/* ---- load.c ------------------------------------------------------------ */

/* Stops every load (their done callbacks run with MP_ERR_CANCELLED). */
void store__loads_cancel(struct store *);

/* ---- addon.c ----------------------------------------------------------- */

extern const struct addon_ops store__addon_ops;

#endif
