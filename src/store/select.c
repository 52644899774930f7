/*
 * store_select(): a filtered, ordered list of the flows that is not the
 * view. mitmweb's app asks the server for the rows it shows, with a filter
 * and an order of its own per browser tab, and each WebSocket has filters
 * of its own; none of that may change the view, which the view_* options
 * and the view.* commands own.
 *
 * When the request is the view's (same filter text, order and direction)
 * the view already holds the answer and a window costs only its length;
 * otherwise the rows are matched in parallel (store__keep_matching, the
 * filter engine's own code, as the view does) and sorted. That list is
 * kept until the store changes (store__changed), so the windows of one
 * scroll through a filtered list of a million flows cost one match and
 * one sort, not one per window.
 */
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "store/internal.h"
#include "store/store.h"
#include "util/xmalloc.h"

struct select_cache {
    uint64_t gen; /* the store's when the list was made */
    char *filter; /* "" for none */
    enum store_order order;
    uint32_t *slots; /* in order, not reversed */
    size_t n;
};

void
store__select_clear(struct store *s)
{
    struct select_cache *c = s->select_cache;
    if (c == NULL)
        return;
    free(c->filter);
    free(c->slots);
    free(c);
    s->select_cache = NULL;
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

/* The view read forwards, or backwards (flip) for the other direction. */
static long
from_view(struct store *s, int flip, size_t offset, size_t limit, store_select_cb each, void *arg,
          const char *want_id, long *want_pos)
{
    size_t n = s->vlen;
    char id[UUID_STR_LEN];
    size_t end = limit == 0 || offset + limit > n ? n : offset + limit;
    for (size_t pub = offset; pub < end; pub++) {
        uint32_t slot = s->view[store__pub(s, flip ? n - 1 - pub : pub, n)];
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

/* The window of a list of slots (in order; reversed counts from its end). */
static long
emit(struct store *s, const uint32_t *slots, size_t n, int reversed, size_t offset, size_t limit,
     store_select_cb each, void *arg, const char *want_id, long *want_pos)
{
    char id[UUID_STR_LEN];
    size_t end = limit == 0 || offset + limit > n ? n : offset + limit;
    for (size_t pub = offset; pub < end; pub++) {
        uint32_t slot = slots[reversed ? n - 1 - pub : pub];
        store__row_id(s, &s->rows[slot], id);
        each(arg, pub, id);
    }
    if (want_id) {
        long want = store__find(s, want_id);
        for (size_t i = 0; want >= 0 && i < n; i++)
            if (slots[i] == (uint32_t)want) {
                *want_pos = (long)(reversed ? n - 1 - i : i);
                break;
            }
    }
    return (long)n;
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

    struct select_cache *c = s->select_cache;
    if (c && c->gen == s->gen && c->order == order && same_filter(c->filter, filter))
        return emit(s, c->slots, c->n, reversed, offset, limit, each, arg, want_id, want_pos);

    uint64_t gen = s->gen;
    struct filt *flt = NULL;
    if (filter && *filter) {
        struct err fe = {0};
        flt = filt_compile(filter, &fe);
        if (flt == NULL) {
            store__filter_error(filter, e);
            return MP_ERR_SYNTAX;
        }
    }
    uint32_t *slots = xmalloc((s->nrows ? s->nrows : 1) * sizeof(*slots));
    size_t n = 0;
    for (size_t i = 0; i < s->nrows; i++)
        if (!(s->rows[i].flags & (RF_DEAD | RF_DOOMED)))
            slots[n++] = (uint32_t)i;
    if (flt) {
        n = store__keep_matching(s, flt, store__filter_needs(flt), slots, n);
        filt_free(flt);
    }
    /* The sort reads the order from the store: lend it ours. */
    enum store_order saved = s->order;
    s->order = order;
    store__sort_slots(s, slots, n);
    s->order = saved;

    store__select_clear(s);
    c = xcalloc(1, sizeof(*c));
    c->gen = gen;
    c->filter = xstrdup(filter ? filter : "");
    c->order = order;
    c->slots = slots;
    c->n = n;
    s->select_cache = c;
    return emit(s, slots, n, reversed, offset, limit, each, arg, want_id, want_pos);
}
