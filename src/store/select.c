/*
 * store_select(): a filtered, ordered list of the flows that is not the
 * view. mitmweb's app asks the server for the rows it shows, with a filter
 * and an order of its own per browser tab, and each WebSocket has filters
 * of its own; none of that may change the view, which the view_* options
 * and the view.* commands own.
 *
 * When the request is the view's (same filter text, order and direction)
 * the view already holds the answer and a window costs only its length.
 * Otherwise the rows are matched in parallel (store__keep_matching, the
 * filter engine's own code, as the view does) and sorted once, and the
 * list is kept: the last few lists asked for (SELECT_LISTS), so that a
 * tab's windowed list and a connection's filters do not push each other
 * out.
 *
 * A kept list follows the store instead of being dropped when it changes:
 * every row that is added, changed or removed is noted (store__touched),
 * and the next select of that list applies the notes in one pass: the
 * noted rows leave the list, those still there are matched (only they) and
 * go back in at their places by bisection. Under live traffic a page then
 * costs the new and changed flows, not a million. A list with more notes
 * than a full match would cost is dropped; so are all of them when the
 * table is compacted (slots are renumbered).
 */
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "store/internal.h"
#include "store/store.h"
#include "util/xmalloc.h"

#define SELECT_LISTS 4

struct select_list {
    char *filter;     /* "" for none; NULL: this entry is free */
    struct filt *flt; /* NULL for none */
    unsigned need;
    enum store_order order;
    uint32_t *slots; /* in order, not reversed */
    size_t n, cap;
    uint32_t *touched; /* slots changed since the list was right (repeats allowed) */
    size_t ntouched, captouched;
    uint64_t used; /* when it was last asked for */
};

struct select_cache {
    struct select_list lists[SELECT_LISTS];
    uint64_t clock;
    size_t builds; /* lists made by matching every row */
};

static void
list_clear(struct select_list *l)
{
    free(l->filter);
    filt_free(l->flt);
    free(l->slots);
    free(l->touched);
    memset(l, 0, sizeof(*l));
}

void
store__select_clear(struct store *s)
{
    struct select_cache *c = s->select_cache;
    if (c == NULL)
        return;
    for (size_t i = 0; i < SELECT_LISTS; i++)
        list_clear(&c->lists[i]);
    free(c);
    s->select_cache = NULL;
}

size_t
store__select_builds(const struct store *s)
{
    return s->select_cache ? s->select_cache->builds : 0;
}

/* Notes beyond this cost more to apply than matching every row again. */
static size_t
max_touched(const struct store *s)
{
    return s->nrows / 8 > 1024 ? s->nrows / 8 : 1024;
}

void
store__touched(struct store *s, uint32_t slot)
{
    struct select_cache *c = s->select_cache;
    if (c == NULL)
        return;
    for (size_t i = 0; i < SELECT_LISTS; i++) {
        struct select_list *l = &c->lists[i];
        if (l->filter == NULL)
            continue;
        if (l->ntouched >= max_touched(s)) {
            list_clear(l);
            continue;
        }
        if (l->ntouched == l->captouched) {
            l->captouched = l->captouched ? l->captouched * 2 : 64;
            l->touched = xrealloc(l->touched, l->captouched * sizeof(*l->touched));
        }
        l->touched[l->ntouched++] = slot;
    }
}

static int
same_filter(const char *a, const char *b)
{
    if (a == NULL)
        a = "";
    if (b == NULL)
        b = "";
    return strcmp(a, b) == 0;
}

static int
alive(const struct store *s, uint32_t slot)
{
    return slot < s->nrows && !(s->rows[slot].flags & (RF_DEAD | RF_DOOMED));
}

/* The view read forwards, or backwards (flip) for the other direction. */
static long
from_view(struct store *s, int flip, size_t offset, size_t limit, store_select_cb each, void *arg,
          const char *want_id, long *want_pos)
{
    size_t n = s->view.len;
    char id[UUID_STR_LEN];
    size_t end = limit == 0 || offset + limit > n ? n : offset + limit;
    for (size_t pub = offset; pub < end; pub++) {
        uint32_t slot = store__vl_at(&s->view, store__pub(s, flip ? n - 1 - pub : pub, n));
        store__row_id(s, &s->rows[slot], id);
        each(arg, pub, id);
    }
    if (want_id) {
        long slot = store__find(s, want_id);
        *want_pos = -1;
        if (slot >= 0 && (s->rows[slot].flags & RF_SHOWN)) {
            size_t pub = store__pub(s, store__view_pos(s, (uint32_t)slot), n);
            *want_pos = (long)(flip ? n - 1 - pub : pub);
        }
    }
    return (long)n;
}

/* The window of a list (in order; reversed counts from its end). */
static long
emit(struct store *s, const struct select_list *l, int reversed, size_t offset, size_t limit,
     store_select_cb each, void *arg, const char *want_id, long *want_pos)
{
    char id[UUID_STR_LEN];
    size_t n = l->n;
    size_t end = limit == 0 || offset + limit > n ? n : offset + limit;
    for (size_t pub = offset; pub < end; pub++) {
        uint32_t slot = l->slots[reversed ? n - 1 - pub : pub];
        store__row_id(s, &s->rows[slot], id);
        each(arg, pub, id);
    }
    if (want_id) {
        long want = store__find(s, want_id);
        for (size_t i = 0; want >= 0 && i < n; i++)
            if (l->slots[i] == (uint32_t)want) {
                *want_pos = (long)(reversed ? n - 1 - i : i);
                break;
            }
    }
    return (long)n;
}

static void
reserve(struct select_list *l, size_t n)
{
    if (n <= l->cap)
        return;
    l->cap = n;
    l->slots = xrealloc(l->slots, (n ? n : 1) * sizeof(*l->slots));
}

/* Every live row that matches, in order. */
static void
build(struct store *s, struct select_list *l)
{
    reserve(l, s->nrows);
    size_t n = 0;
    for (size_t i = 0; i < s->nrows; i++)
        if (!(s->rows[i].flags & (RF_DEAD | RF_DOOMED)))
            l->slots[n++] = (uint32_t)i;
    if (l->flt)
        n = store__keep_matching(s, l->flt, l->need, l->slots, n);
    store__sort_slots(s, l->order, l->slots, n);
    l->n = n;
    l->ntouched = 0;
}

/* Where row r goes in the list's first hi slots. */
static size_t
bisect(const struct store *s, const struct select_list *l, size_t hi, const struct row *r)
{
    size_t lo = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (store__order_before(s, l->order, &s->rows[l->slots[mid]], r))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The notes applied: touched rows out, those that still match back in. */
static void
apply(struct store *s, struct select_list *l)
{
    uint8_t *mark = xcalloc(s->nrows ? s->nrows : 1, 1);
    for (size_t i = 0; i < l->ntouched; i++)
        if (l->touched[i] < s->nrows)
            mark[l->touched[i]] = 1;
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!mark[l->slots[i]])
            l->slots[n++] = l->slots[i];
    l->n = n;
    /* Each touched row once, alive, in store order. */
    uint32_t *add = xmalloc((l->ntouched ? l->ntouched : 1) * sizeof(*add));
    size_t k = 0;
    for (size_t i = 0; i < l->ntouched; i++) {
        uint32_t slot = l->touched[i];
        if (slot < s->nrows && mark[slot]) {
            mark[slot] = 0;
            if (alive(s, slot))
                add[k++] = slot;
        }
    }
    free(mark);
    l->ntouched = 0;
    if (l->flt && k)
        k = store__keep_matching(s, l->flt, l->need, add, k);
    store__sort_slots(s, l->order, add, k);
    reserve(l, n + k);
    /* A bisection per new row: k log n comparisons; when that is more than
     * sorting everything, sort everything. */
    size_t lg = 1;
    while ((1ull << lg) < n + 1)
        lg++;
    if (k * lg > n + k) {
        memcpy(&l->slots[n], add, k * sizeof(*add));
        l->n = n + k;
        store__sort_slots(s, l->order, l->slots, l->n);
        free(add);
        return;
    }
    /* From the back: new row j goes where it belongs among the old rows,
     * which move up by the new rows before them (view.c's merge). */
    size_t hi = n, end = n;
    for (size_t j = k; j-- > 0;) {
        size_t at = bisect(s, l, hi, &s->rows[add[j]]);
        memmove(&l->slots[at + j + 1], &l->slots[at], (end - at) * sizeof(*l->slots));
        l->slots[at + j] = add[j];
        end = hi = at;
    }
    l->n = n + k;
    free(add);
}

/* The kept list for (filter, order), brought up to date; NULL with e for
 * a filter that does not parse. */
static struct select_list *
list_for(struct store *s, const char *filter, enum store_order order, struct err *e)
{
    if (filter == NULL)
        filter = "";
    struct select_cache *c = s->select_cache;
    if (c == NULL)
        c = s->select_cache = xcalloc(1, sizeof(*c));
    c->clock++;
    struct select_list *l = NULL;
    for (size_t i = 0; i < SELECT_LISTS; i++) {
        struct select_list *x = &c->lists[i];
        if (x->filter && x->order == order && same_filter(x->filter, filter)) {
            x->used = c->clock;
            if (x->ntouched)
                apply(s, x);
            return x;
        }
    }
    struct filt *flt = NULL;
    if (*filter) {
        struct err fe = {0};
        flt = filt_compile(filter, &fe);
        if (flt == NULL) {
            store__filter_error(filter, e);
            return NULL;
        }
    }
    /* A free entry, or the one asked for longest ago. */
    for (size_t i = 0; i < SELECT_LISTS; i++) {
        struct select_list *x = &c->lists[i];
        if (x->filter == NULL) {
            l = x;
            break;
        }
        if (l == NULL || x->used < l->used)
            l = x;
    }
    list_clear(l);
    l->filter = xstrdup(filter);
    l->flt = flt;
    l->need = flt ? store__filter_needs(flt) : 0;
    l->order = order;
    l->used = c->clock;
    build(s, l);
    c->builds++;
    return l;
}

long
store_select(struct store *s, const char *filter, enum store_order order, int reversed,
             size_t offset, size_t limit, store_select_cb each, void *arg, const char *want_id,
             long *want_pos, struct err *e)
{
    if (want_pos)
        *want_pos = -1;
    if (!s->show_marked && same_filter(filter, s->filter_expr) && order == s->order)
        return from_view(s, !reversed != !s->reversed, offset, limit, each, arg, want_id, want_pos);
    struct select_list *l = list_for(s, filter, order, e);
    if (l == NULL)
        return MP_ERR_SYNTAX;
    return emit(s, l, reversed, offset, limit, each, arg, want_id, want_pos);
}
