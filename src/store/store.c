/*
 * The store's table of rows (mitmproxy's View._store): rows in the order
 * flows arrived, found by id through an open-addressing index, and what
 * happens to one flow: added, updated, marked, commented, removed. The view
 * over them is view.c's; events go out from here.
 *
 * Removed rows stay as tombstones, so a slot never changes meaning while
 * anything holds it; the table is compacted when they outnumber the living.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "flow/flowfile.h"
#include "store/internal.h"
#include "util/xmalloc.h"

const char *
store_event_name(enum store_event ev)
{
    switch (ev) {
#define X(name, str)                                                                               \
    case STORE_##name:                                                                             \
        return str;
        STORE_EVENT_MAP(X)
#undef X
    }
    return "?";
}

/* ---- ids ---------------------------------------------------------------- */

static int
hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A lower-case canonical UUID as 16 bytes; 0 if id is anything else. */
static int
uuid_bytes(const char *id, size_t n, uint8_t out[16])
{
    if (n != 36)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (id[i] != '-')
                return 0;
            continue;
        }
        int hi = hexval(id[i]), lo = hexval(id[i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        out[k++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    return 1;
}

void
store__row_id(const struct store *s, const struct row *r, char out[UUID_STR_LEN])
{
    if (r->flags & RF_ID_TEXT) {
        uint32_t id;
        memcpy(&id, r->id, 4);
        memcpy(out, store__str(&s->strs, id), store__strlen(&s->strs, id) + 1);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r->id[i] >> 4];
        out[o++] = hex[r->id[i] & 15];
    }
    out[o] = '\0';
}

static uint64_t
mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static uint64_t
hash_text(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    return mix(h);
}

static uint64_t
hash_row(const struct store *s, const struct row *r)
{
    if (r->flags & RF_ID_TEXT) {
        uint32_t id;
        memcpy(&id, r->id, 4);
        return hash_text(store__str(&s->strs, id), store__strlen(&s->strs, id));
    }
    uint64_t a;
    memcpy(&a, r->id, 8);
    return mix(a);
}

#define IDX_EMPTY 0u
#define IDX_DELETED UINT32_MAX

static void idx_insert(struct store *s, uint32_t slot);

static void
idx_rebuild(struct store *s, size_t cap)
{
    free(s->idx);
    s->idxcap = cap;
    s->idx = xcalloc(cap, sizeof(*s->idx));
    /* Every page of it is written soon: at once, not a fault each. */
    store__populate(s->idx, cap * sizeof(*s->idx));
    s->idxused = 0;
    for (size_t i = 0; i < s->nrows; i++)
        if (!(s->rows[i].flags & RF_DEAD))
            idx_insert(s, (uint32_t)i);
}

static void
idx_insert(struct store *s, uint32_t slot)
{
    if ((s->idxused + 1) * 2 > s->idxcap) {
        size_t live = s->nrows - s->ndead;
        size_t cap = 1024;
        while (cap < (live + 1) * 4)
            cap *= 2;
        idx_rebuild(s, cap);
    }
    size_t m = s->idxcap - 1;
    for (size_t i = hash_row(s, &s->rows[slot]) & m;; i = (i + 1) & m) {
        if (s->idx[i] == IDX_EMPTY || s->idx[i] == IDX_DELETED) {
            if (s->idx[i] == IDX_EMPTY)
                s->idxused++;
            s->idx[i] = slot + 1;
            return;
        }
    }
}

/* The index entry of id (text and, for a UUID, its bytes), or NULL. */
static uint32_t *
idx_lookup(const struct store *s, const char *id)
{
    if (s->idxcap == 0)
        return NULL;
    size_t n = strlen(id);
    uint8_t b[16];
    int bin = uuid_bytes(id, n, b);
    uint64_t h;
    if (bin) {
        uint64_t a;
        memcpy(&a, b, 8);
        h = mix(a);
    } else {
        h = hash_text(id, n);
    }
    size_t m = s->idxcap - 1;
    for (size_t i = h & m;; i = (i + 1) & m) {
        uint32_t e = s->idx[i];
        if (e == IDX_EMPTY)
            return NULL;
        if (e == IDX_DELETED)
            continue;
        const struct row *r = &s->rows[e - 1];
        if (bin && !(r->flags & RF_ID_TEXT) && memcmp(r->id, b, 16) == 0)
            return &s->idx[i];
        if (!bin && (r->flags & RF_ID_TEXT)) {
            uint32_t t;
            memcpy(&t, r->id, 4);
            if (strcmp(store__str(&s->strs, t), id) == 0)
                return &s->idx[i];
        }
    }
}

long
store__find(const struct store *s, const char *id)
{
    uint32_t *e = id ? idx_lookup(s, id) : NULL;
    return e ? (long)*e - 1 : -1;
}

/* ---- rows --------------------------------------------------------------- */

static void
intern_strings(struct store *s, struct row *r, const struct rec_fields *f)
{
    for (size_t i = 0; i < S__COUNT; i++)
        r->str[i] = store__intern(&s->strs, f->str[i].p, f->str[i].len);
    for (size_t i = 0; i < 2; i++)
        r->hset[i] = store__intern(&s->hsets, buf_ptr(&f->hset[i]), f->hset[i].len);
}

static void
release_strings(struct store *s, const uint32_t str[S__COUNT], const uint32_t hset[2])
{
    for (size_t i = 0; i < S__COUNT; i++)
        store__intern_unref(&s->strs, str[i]);
    for (size_t i = 0; i < 2; i++)
        store__intern_unref(&s->hsets, hset[i]);
}

static void
set_fields(struct row *r, const struct rec_fields *f)
{
    r->type = (uint8_t)f->type;
    r->created = f->created;
    memcpy(r->ts, f->ts, sizeof(r->ts));
    r->size = f->size;
    r->port = f->port;
    r->status = f->status;
    r->replay = f->replay;
    r->flags = (uint16_t)((r->flags & ~RF_FROM_FLOW) | (f->flags & RF_FROM_FLOW));
}

/* Rows made present at a time ahead of use: a few MiB, so the table's
 * unused capacity (up to half of it after a doubling) costs no RSS. */
#define ROWS_AHEAD 16384

/* A new row with f's id and numbers; the caller sets its strings. */
static uint32_t
row_alloc(struct store *s, const struct rec_fields *f)
{
    if (s->nrows == s->caprows) {
        s->caprows = s->caprows ? s->caprows * 2 : 1024;
        s->rows = xrealloc(s->rows, s->caprows * sizeof(*s->rows));
        /* realloc() may have moved the table: what is present is not known. */
        s->rows_present = s->nrows;
    }
    if (s->nrows >= s->rows_present) {
        size_t to = s->nrows + ROWS_AHEAD < s->caprows ? s->nrows + ROWS_AHEAD : s->caprows;
        store__populate(&s->rows[s->nrows], (to - s->nrows) * sizeof(*s->rows));
        s->rows_present = to;
    }
    uint32_t slot = (uint32_t)s->nrows++;
    struct row *r = &s->rows[slot];
    memset(r, 0, sizeof(*r));
    char id[UUID_STR_LEN];
    size_t n = f->id.len < UUID_STR_LEN ? f->id.len : UUID_STR_LEN - 1;
    memcpy(id, f->id.p, n);
    id[n] = '\0';
    if (!uuid_bytes(id, n, r->id)) {
        uint32_t t = store__intern(&s->strs, id, n);
        memcpy(r->id, &t, 4);
        r->flags |= RF_ID_TEXT;
    }
    r->seq = s->next_seq++;
    set_fields(r, f);
    return slot;
}

uint32_t
store__row_new(struct store *s, const struct rec_fields *f)
{
    uint32_t slot = row_alloc(s, f);
    intern_strings(s, &s->rows[slot], f);
    idx_insert(s, slot);
    store__touched(s, slot);
    return slot;
}

uint32_t
store__row_new_ids(struct store *s, const struct rec_fields *f, const uint32_t str[S__COUNT],
                   const uint32_t hset[2])
{
    uint32_t slot = row_alloc(s, f);
    memcpy(s->rows[slot].str, str, sizeof(s->rows[slot].str));
    memcpy(s->rows[slot].hset, hset, sizeof(s->rows[slot].hset));
    idx_insert(s, slot);
    store__touched(s, slot);
    return slot;
}

void
store__row_set(struct store *s, struct row *r, const struct rec_fields *f)
{
    uint32_t str[S__COUNT], hset[2];
    memcpy(str, r->str, sizeof(str));
    memcpy(hset, r->hset, sizeof(hset));
    intern_strings(s, r, f);
    release_strings(s, str, hset);
    set_fields(r, f);
    store__touched(s, (uint32_t)(r - s->rows));
}

static void
settings_free(struct store *s, struct row *r)
{
    if (r->settings == 0)
        return;
    struct flow_settings *fs = &s->settings[r->settings - 1];
    for (size_t i = 0; i < fs->n; i++)
        free(fs->kv[i]);
    free(fs->kv);
    fs->kv = NULL;
    fs->n = s->free_settings;
    s->free_settings = r->settings;
    r->settings = 0;
}

void
store__row_kill(struct store *s, uint32_t slot)
{
    struct row *r = &s->rows[slot];
    char id[UUID_STR_LEN];
    store__touched(s, slot);
    store__row_id(s, r, id);
    uint32_t *e = idx_lookup(s, id);
    if (e)
        *e = IDX_DELETED;
    if (r->flow)
        store__drop_flow(s, slot);
    store__slab_free(&s->slabs, r->rest);
    r->rest = NULL;
    settings_free(s, r);
    release_strings(s, r->str, r->hset);
    if (r->flags & RF_ID_TEXT) {
        uint32_t t;
        memcpy(&t, r->id, 4);
        store__intern_unref(&s->strs, t);
    }
    memset(r->str, 0, sizeof(r->str));
    memset(r->hset, 0, sizeof(r->hset));
    r->flags = RF_DEAD;
    s->ndead++;
    if (s->focus == slot + 1)
        s->focus = 0;
}

/* Drops the tombstones when they are most of the table: slots change, so
 * whatever holds one (view, focus, cached flows) is renumbered. */
static void
compact_table(struct store *s)
{
    if (s->busy || s->ndead < 4096 || s->ndead * 2 < s->nrows)
        return;
    store__select_clear(s);
    uint32_t *map = xmalloc((s->nrows ? s->nrows : 1) * sizeof(*map));
    size_t o = 0;
    for (size_t i = 0; i < s->nrows; i++) {
        if (s->rows[i].flags & RF_DEAD) {
            map[i] = UINT32_MAX;
            continue;
        }
        map[i] = (uint32_t)o;
        if (o != i)
            s->rows[o] = s->rows[i];
        o++;
    }
    store__vl_remap(&s->view, map);
    size_t c = 0;
    for (size_t i = 0; i < s->ncached; i++)
        if (map[s->cached[i]] != UINT32_MAX)
            s->cached[c++] = map[s->cached[i]];
    s->ncached = c;
    s->sweep_pos = 0;
    s->focus = s->focus && map[s->focus - 1] != UINT32_MAX ? map[s->focus - 1] + 1 : 0;
    free(map);
    s->nrows = o;
    s->ndead = 0;
    idx_rebuild(s, s->idxcap);
}

/* ---- events ------------------------------------------------------------- */

void
store__emit(struct store *s, enum store_event ev, uint32_t slot, size_t index)
{
    if (s->nsubs == 0)
        return;
    char id[UUID_STR_LEN] = "";
    if (slot != UINT32_MAX)
        store__row_id(s, &s->rows[slot], id);
    s->busy++;
    for (size_t i = 0; i < s->nsubs; i++)
        if (s->subs[i].handle)
            s->subs[i].cb(s->subs[i].arg, ev, id, index);
    s->busy--;
}

int
store_subscribe(struct store *s, store_event_cb cb, void *arg)
{
    size_t i = 0;
    while (i < s->nsubs && s->subs[i].handle)
        i++;
    if (i == s->nsubs)
        s->subs = xrealloc(s->subs, ++s->nsubs * sizeof(*s->subs));
    s->subs[i] = (struct subscriber){cb, arg, ++s->next_handle};
    return s->subs[i].handle;
}

void
store_unsubscribe(struct store *s, int handle)
{
    for (size_t i = 0; i < s->nsubs; i++)
        if (s->subs[i].handle == handle)
            s->subs[i].handle = 0;
}

/* ---- life --------------------------------------------------------------- */

struct store *
store_new(const struct store_config *cfg)
{
    struct store *s = xcalloc(1, sizeof(*s));
    s->addon.ops = &store__addon_ops;
    if (cfg)
        s->cfg = *cfg;
    if (s->cfg.memory_budget == 0)
        s->cfg.memory_budget = STORE_DEFAULT_BUDGET;
    const char *tmp = s->cfg.tmpdir;
    if (tmp == NULL || *tmp == '\0')
        tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0')
        tmp = "/tmp";
    s->tmpdir = xstrdup(tmp);
    s->cfg.tmpdir = s->tmpdir;
    store__intern_init(&s->strs, 0);
    store__intern_init(&s->hsets, 1);
    store__blog_init(&s->log, s->cfg.memory_budget, s->tmpdir);
    store__pack_init(&s->pack);
    s->pool = store__pool_new(s->cfg.threads, s->cfg.post, s->cfg.post_ctx);
    return s;
}

static void
drop_rows(struct store *s)
{
    store__select_clear(s);
    for (size_t i = 0; i < s->nrows; i++)
        if (!(s->rows[i].flags & RF_DEAD))
            store__row_kill(s, (uint32_t)i);
    free(s->rows);
    s->rows = NULL;
    s->nrows = s->caprows = s->ndead = s->rows_present = 0;
    free(s->idx);
    s->idx = NULL;
    s->idxcap = s->idxused = 0;
    store__vl_clear(&s->view);
    s->ncached = s->sweep_pos = 0;
    s->focus = 0;
    for (size_t i = 0; i < s->nsettings; i++)
        free(s->settings[i].kv);
    free(s->settings);
    s->settings = NULL;
    s->nsettings = s->capsettings = 0;
    s->free_settings = 0;
}

void
store_free(struct store *s)
{
    if (s == NULL)
        return;
    store__loads_cancel(s);
    /* Workers first: nothing may run on the rows while they go. */
    store__pool_free(s->pool);
    s->pool = NULL;
    drop_rows(s);
    store__slabs_clear(&s->slabs);
    store__intern_clear(&s->strs);
    store__intern_clear(&s->hsets);
    store__blog_clear(&s->log);
    store__blog_reader_clear(&s->rd);
    store__pack_clear(&s->pack);
    filt_free(s->filt);
    free(s->filter_expr);
    store__vl_clear(&s->view);
    free(s->cached);
    free(s->subs);
    free(s->tmpdir);
    free(s);
}

void
store_clear(struct store *s)
{
    store__loads_cancel(s);
    drop_rows(s);
    /* Nothing refers to strings, bodies or dictionaries any more. */
    store__intern_clear(&s->strs);
    store__intern_clear(&s->hsets);
    store__intern_init(&s->strs, 0);
    store__intern_init(&s->hsets, 1);
    store__blog_clear(&s->log);
    store__blog_reader_clear(&s->rd);
    store__blog_init(&s->log, s->cfg.memory_budget, s->tmpdir);
    store__pack_clear(&s->pack);
    store__pack_init(&s->pack);
    store__focus_on_refresh(s);
    store__emit(s, STORE_REFRESH, UINT32_MAX, 0);
    store__emit(s, STORE_STORE_REFRESH, UINT32_MAX, 0);
}

void
store_clear_unmarked(struct store *s)
{
    /* The unmarked leave the view first (the focus finds its nearest
     * neighbour while their rows are whole), then the store. */
    for (size_t i = 0; i < s->nrows; i++) {
        struct row *r = &s->rows[i];
        if (!(r->flags & RF_DEAD) && r->str[S_MARKED] == 0)
            r->flags |= RF_DOOMED;
    }
    store__refilter(s);
    for (size_t i = 0; i < s->nrows; i++)
        if (s->rows[i].flags & RF_DOOMED)
            store__row_kill(s, (uint32_t)i);
    store__emit(s, STORE_STORE_REFRESH, UINT32_MAX, 0);
    compact_table(s);
}

/* ---- flows in ----------------------------------------------------------- */

static int
matches(struct store *s, uint32_t slot)
{
    return s->filt == NULL || store__match_row(s, s->filt, s->need, slot);
}

int
store_add(struct store *s, struct flow *f)
{
    if (store__find(s, f->id) >= 0)
        return 0;
    struct rec_fields rf;
    store__rec_fields_init(&rf);
    store__rec_from_flow(f, &rf);
    uint32_t slot = store__row_new(s, &rf);
    store__rec_fields_clear(&rf);
    store__hold(s, slot, f);
    if (matches(s, slot))
        store__view_insert(s, slot);
    store__sweep(s, 8);
    return 1;
}

void
store__reconsider(struct store *s, uint32_t slot, size_t old_pos, int key_changed)
{
    struct row *r = &s->rows[slot];
    if (!matches(s, slot)) {
        if (r->flags & RF_SHOWN)
            store__view_erase(s, slot);
        return;
    }
    if (!(r->flags & RF_SHOWN)) {
        store__view_insert(s, slot);
        return;
    }
    /* Still in order where it is? (OrderKey.refresh) A new key is a remove
     * and an add there: the row goes after every row with its key. */
    if (key_changed)
        store__view_tie(s, r);
    size_t pos = old_pos;
    const struct vlist *v = &s->view;
    int ok = (pos == 0 || store__before(s, &s->rows[store__vl_at(v, pos - 1)], r)) &&
             (pos + 1 >= v->len || store__before(s, r, &s->rows[store__vl_at(v, pos + 1)]));
    if (!ok) {
        store__vl_erase(&s->view, pos);
        pos = store__view_search(s, r, UINT32_MAX);
        store__vl_insert(&s->view, pos, slot);
        store__focus_on_refresh(s);
        store__emit(s, STORE_REFRESH, UINT32_MAX, 0);
    }
    store__emit(s, STORE_UPDATE, slot, store__pub(s, pos, s->view.len));
}

static void
update_slot(struct store *s, uint32_t slot)
{
    struct row old = s->rows[slot];
    size_t pos = old.flags & RF_SHOWN ? store__view_pos(s, slot) : 0;
    /* Its old key, readable while the row changes: strings only for an
     * order that reads them (decided once: an event may change the order). */
    int hold = store__order_reads_strings(s->order);
    if (hold)
        store__row_hold_strings(s, &old, 1);
    store__row_refresh(s, slot);
    store__reconsider(s, slot, pos,
                      (old.flags & RF_SHOWN) &&
                          store__order_cmp(s, s->order, &old, &s->rows[slot]) != 0);
    if (hold)
        store__row_hold_strings(s, &old, 0);
}

void
store_update(struct store *s, struct flow *f)
{
    long slot = store__find(s, f->id);
    if (slot < 0)
        return;
    struct row *r = &s->rows[slot];
    if (r->flow != f) {
        /* Whoever calls with this object holds the flow as it is now. */
        if (r->flow)
            store__drop_flow(s, (uint32_t)slot);
        store__hold(s, (uint32_t)slot, f);
    }
    update_slot(s, (uint32_t)slot);
    store__sweep(s, 8);
}

int
store_remove(struct store *s, const char *id)
{
    long slot = store__find(s, id);
    if (slot < 0)
        return MP_ERR_NOTFOUND;
    struct row *r = &s->rows[slot];
    if (r->flow && r->flow->live)
        flow_kill(r->flow);
    if (r->flags & RF_SHOWN)
        store__view_erase(s, (uint32_t)slot);
    store__emit(s, STORE_STORE_REMOVE, (uint32_t)slot, 0);
    store__row_kill(s, (uint32_t)slot);
    compact_table(s);
    return 0;
}

size_t
store_count(const struct store *s)
{
    return s->nrows - s->ndead;
}

size_t
store_view_len(const struct store *s)
{
    return s->view.len;
}

/* ---- marks, comments, settings ------------------------------------------ */

/* The row's marked or comment; a flow the row holds changes with it. A
 * stored record keeps its old text: the row's wins when it is read back. */
static int
set_text(struct store *s, const char *id, enum row_str which, const char *text)
{
    long slot = store__find(s, id);
    if (slot < 0)
        return MP_ERR_NOTFOUND;
    store__touched(s, (uint32_t)slot);
    struct row *r = &s->rows[slot];
    if (r->flow) {
        char **field = which == S_MARKED ? &r->flow->marked : &r->flow->comment;
        free(*field);
        *field = xstrdup(text);
        update_slot(s, (uint32_t)slot);
        return 0;
    }
    size_t pos = r->flags & RF_SHOWN ? store__view_pos(s, (uint32_t)slot) : 0;
    uint32_t old = r->str[which];
    r->str[which] = store__intern(&s->strs, text, strlen(text));
    store__intern_unref(&s->strs, old);
    store__reconsider(s, (uint32_t)slot, pos, 0);
    return 0;
}

int
store_set_marked(struct store *s, const char *id, const char *marker)
{
    return set_text(s, id, S_MARKED, marker ? marker : "");
}

int
store_set_comment(struct store *s, const char *id, const char *comment)
{
    return set_text(s, id, S_COMMENT, comment ? comment : "");
}

const char *
store_setting(struct store *s, const char *id, const char *key)
{
    long slot = store__find(s, id);
    if (slot < 0 || s->rows[slot].settings == 0)
        return NULL;
    const struct flow_settings *fs = &s->settings[s->rows[slot].settings - 1];
    for (size_t i = 0; i + 1 < fs->n; i += 2)
        if (strcmp(fs->kv[i], key) == 0)
            return fs->kv[i + 1];
    return NULL;
}

int
store_set_setting(struct store *s, const char *id, const char *key, const char *value)
{
    long slot = store__find(s, id);
    if (slot < 0)
        return MP_ERR_NOTFOUND;
    struct row *r = &s->rows[slot];
    if (r->settings == 0) {
        if (s->free_settings) {
            r->settings = s->free_settings;
            s->free_settings = (uint32_t)s->settings[r->settings - 1].n;
        } else {
            if (s->nsettings == s->capsettings) {
                s->capsettings = s->capsettings ? s->capsettings * 2 : 16;
                s->settings = xrealloc(s->settings, s->capsettings * sizeof(*s->settings));
            }
            r->settings = (uint32_t)++s->nsettings;
        }
        s->settings[r->settings - 1] = (struct flow_settings){NULL, 0};
    }
    struct flow_settings *fs = &s->settings[r->settings - 1];
    for (size_t i = 0; i + 1 < fs->n; i += 2) {
        if (strcmp(fs->kv[i], key) == 0) {
            free(fs->kv[i + 1]);
            fs->kv[i + 1] = xstrdup(value);
            return 0;
        }
    }
    fs->kv = xrealloc(fs->kv, (fs->n + 2) * sizeof(*fs->kv));
    fs->kv[fs->n++] = xstrdup(key);
    fs->kv[fs->n++] = xstrdup(value);
    return 0;
}

/* ---- reading ------------------------------------------------------------ */

static void
info(struct store *s, uint32_t slot, struct store_info *out)
{
    const struct row *r = &s->rows[slot];
    const struct intern *t = &s->strs;
    memset(out, 0, sizeof(*out));
    store__row_id(s, r, s->info_id);
    out->id = s->info_id;
    out->type = (enum flow_type)r->type;
    out->timestamp_created = r->created;
    out->has_request = !!(r->flags & RF_REQUEST);
    out->method = store__str(t, r->str[S_METHOD]);
    out->scheme = store__str(t, r->str[S_SCHEME]);
    out->host = store__str(t, r->str[S_HOST]);
    out->port = r->port;
    out->path = store__str(t, r->str[S_PATH]);
    out->http_version = store__str(t, r->str[S_VERSION]);
    out->has_response = !!(r->flags & RF_RESPONSE);
    out->status_code = r->status;
    out->reason = store__str(t, r->str[S_REASON]);
    out->response_http_version = store__str(t, r->str[S_RS_VERSION]);
    out->content_type = "";
    const struct hdrs *h = s->hsets.v[r->hset[1]].hdrs;
    const struct hdr *ct = hdrs_get(h, "content-type");
    if (ct)
        out->content_type = ct->value;
    if (r->flow && r->flow->request && !r->flow->request->content_none)
        out->request_size = r->flow->request->content.len;
    else
        out->request_size = r->body_len[0];
    if (r->flow && r->flow->response && !r->flow->response->content_none)
        out->response_size = r->flow->response->content.len;
    else
        out->response_size = r->body_len[1];
    out->size = r->size;
    out->response_content_none = !!(r->flags & RF_RS_NONE);
    out->client_host = store__str(t, r->str[S_CLIENT]);
    if (r->type == FLOW_TCP) {
        out->status_code = 0;
        out->client_port = r->status;
        out->client_timestamp_start = r->ts[0];
        out->last_message_timestamp = r->ts[1];
    } else {
        out->request_timestamp_start = r->ts[0];
        out->request_timestamp_end = r->ts[1];
        out->response_timestamp_start = r->ts[2];
        out->response_timestamp_end = r->ts[3];
    }
    out->marked = store__str(t, r->str[S_MARKED]);
    out->comment = store__str(t, r->str[S_COMMENT]);
    out->error = !!(r->flags & RF_ERROR);
    out->intercepted = !!(r->flags & RF_INTERCEPTED);
    /* A flow the proxy holds is a struct flow (never compacted). */
    out->client_gone = out->intercepted && r->flow && r->flow->live && r->flow->client_conn &&
                       r->flow->client_conn->timestamp_end != 0;
    out->is_replay = r->replay;
    out->websocket = !!(r->flags & RF_WEBSOCKET);
    out->live = !!(r->flags & RF_LIVE);
    out->modified = !!(r->flags & RF_MODIFIED);
}

int
store_view_info(struct store *s, size_t i, struct store_info *out)
{
    if (i >= s->view.len)
        return MP_ERR_NOTFOUND;
    info(s, store__view_at(s, i), out);
    return 0;
}

int
store_info(struct store *s, const char *id, struct store_info *out)
{
    long slot = store__find(s, id);
    if (slot < 0)
        return MP_ERR_NOTFOUND;
    info(s, (uint32_t)slot, out);
    return 0;
}

long
store_view_index(struct store *s, const char *id)
{
    long slot = store__find(s, id);
    if (slot < 0 || !(s->rows[slot].flags & RF_SHOWN))
        return -1;
    return (long)store__pub(s, store__view_pos(s, (uint32_t)slot), s->view.len);
}

struct flow *
store_get(struct store *s, const char *id, struct err *e)
{
    long slot = store__find(s, id);
    if (slot < 0)
        return NULL;
    struct flow *f = store__flow(s, (uint32_t)slot, e);
    return f ? flow_ref(f) : NULL;
}

struct flow *
store_view_flow(struct store *s, size_t i)
{
    if (i >= s->view.len)
        return NULL;
    struct flow *f = store__flow(s, store__view_at(s, i), NULL);
    return f ? flow_ref(f) : NULL;
}

void
store_set_reader(struct store *s, unsigned char first_byte, store_reader_fn fn)
{
    s->readers[first_byte] = fn;
}

/* ---- memory ------------------------------------------------------------- */

void
store_memory(const struct store *s, struct store_memory *m)
{
    memset(m, 0, sizeof(*m));
    m->flows = store_count(s);
    m->rows = s->caprows * sizeof(*s->rows) + s->capsettings * sizeof(*s->settings);
    m->index = s->idxcap * sizeof(*s->idx) + s->view.nblk * VL_BLOCK * sizeof(uint32_t) +
               s->view.capblk * (sizeof(uint32_t *) + sizeof(uint32_t) + sizeof(size_t)) +
               s->capcached * sizeof(*s->cached);
    m->records = store__slabs_bytes(&s->slabs);
    for (size_t i = 0; i < s->nrows; i++) {
        const struct row *r = &s->rows[i];
        if (r->flow)
            m->live += sizeof(struct flow) + 1024 + (r->flow->request ? r->flow->request->content.cap : 0) +
                       (r->flow->response ? r->flow->response->content.cap : 0);
    }
    m->strings = s->strs.bytes + s->strs.cap * sizeof(struct intern_entry) + s->hsets.bytes +
                 s->hsets.cap * sizeof(struct intern_entry) +
                 (s->strs.nbuckets + s->hsets.nbuckets) * sizeof(uint32_t);
    m->dicts = s->pack.bytes;
    m->bodies_ram = s->log.ram;
    m->bodies_disk = s->log.disk;
    size_t total = m->rows + m->index + m->records + m->strings + m->dicts + m->live;
    m->per_flow = m->flows ? total / m->flows : 0;
}
