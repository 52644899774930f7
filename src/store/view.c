/*
 * The view (mitmproxy's View._view and Focus): the shown rows sorted by the
 * order key, ties broken by the row's vtie and then its seq, so each row
 * has exactly one place and is found by bisection. mitmproxy's
 * sortedcontainers list puts a flow after every flow with its key
 * (bisect_right) when it is added, and when its key changes (a remove and
 * an add); a refilter adds the flows in store order. vtie does the same:
 * each placement gets the next number, a refilter or resort zeroes them.
 * Reversed order only turns indices around (View._rev()).
 *
 * Order keys (order.c) are read from the row; a row whose key changed is
 * moved (OrderKey.refresh()).
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/xmalloc.h"

const char *
store_order_name(enum store_order o)
{
    switch (o) {
#define X(name, str)                                                                               \
    case STORE_ORDER_##name:                                                                       \
        return str;
        STORE_ORDER_MAP(X)
#undef X
    }
    return "?";
}

int
store_order_parse(const char *name, enum store_order *out)
{
#define X(id, str)                                                                                 \
    if (strcmp(name, str) == 0) {                                                                  \
        *out = STORE_ORDER_##id;                                                                   \
        return 0;                                                                                  \
    }
    STORE_ORDER_MAP(X)
#undef X
    return -1;
}

int
store__before(const struct store *s, const struct row *a, const struct row *b)
{
    int c = store__order_cmp(s, s->order, a, b);
    if (c != 0)
        return c < 0;
    if (a->vtie != b->vtie)
        return a->vtie < b->vtie;
    return a->seq < b->seq;
}

/* Every row's vtie back to 0: the view is in (key, seq) order. */
static void
untie(struct store *s)
{
    for (size_t i = 0; i < s->nrows; i++)
        s->rows[i].vtie = 0;
    s->vtie_now = 0;
}

/* Makes room for n more vtie numbers: once in 4 billion placements, the
 * view's rows are numbered again in the order they stand. */
static void
reserve_ties(struct store *s, size_t n)
{
    if (s->vtie_now <= UINT32_MAX - n)
        return;
    const struct vlist *v = &s->view;
    uint32_t i = 0;
    for (size_t k = 0; k < v->nblk; k++)
        for (size_t j = 0; j < v->cnt[k]; j++)
            s->rows[v->blk[k][j]].vtie = ++i;
    s->vtie_now = i;
}

void
store__view_tie(struct store *s, struct row *r)
{
    reserve_ties(s, 1);
    r->vtie = ++s->vtie_now;
}

size_t
store__pub(const struct store *s, size_t internal, size_t len)
{
    return s->reversed ? len - 1 - internal : internal;
}

/* Rows of the view the searches below looked at, for the tests to check
 * that placing or finding a row is a bisection and not a walk; the view
 * is only ever searched on the loop's thread. */
static size_t view_steps;

size_t
store__view_steps(void)
{
    return view_steps;
}

/* What a search of the view looks for: the place of key, and (slot not
 * UINT32_MAX) that row itself, recognised by its slot (its own key may
 * have changed). */
struct want {
    const struct store *s;
    const struct row *key;
    uint32_t slot;
};

static int
cmp_want(const void *ctx, uint32_t slot)
{
    const struct want *w = ctx;
    view_steps++;
    if (slot == w->slot)
        return 0;
    return store__before(w->s, &w->s->rows[slot], w->key) ? -1 : 1;
}

size_t
store__view_search(const struct store *s, const struct row *key, uint32_t slot)
{
    struct want w = {s, key, slot};
    return store__vl_search(&s->view, cmp_want, &w);
}

/*
 * The first position whose row does not come before r. The seq breaks
 * ties, so a new row (the highest seq) goes after every row with its key,
 * where 8.1.1's bisect_right puts it.
 */
static size_t
lower_bound(const struct store *s, const struct row *r)
{
    size_t len = s->view.len;
    if (len == 0)
        return 0;
    /* Live flows, and a capture read back, come in time order: the newest
     * goes at the end, after one look and with nothing to move. */
    view_steps++;
    const struct vlist *v = &s->view;
    if (store__before(s, &s->rows[v->blk[v->nblk - 1][v->cnt[v->nblk - 1] - 1]], r))
        return len;
    return store__view_search(s, r, UINT32_MAX);
}

/* The key changed and the view was not told (a bug): look for it. */
static size_t
walk(const struct store *s, uint32_t slot)
{
    long i = store__vl_find(&s->view, slot);
    view_steps += i < 0 ? s->view.len : (size_t)i + 1;
    return i < 0 ? 0 : (size_t)i;
}

size_t
store__view_pos(const struct store *s, uint32_t slot)
{
    size_t pos = lower_bound(s, &s->rows[slot]);
    if (pos < s->view.len && store__vl_at(&s->view, pos) == slot)
        return pos;
    return walk(s, slot);
}

size_t
store__view_pos_by(const struct store *s, uint32_t slot, const struct row *key)
{
    size_t pos = store__view_search(s, key, slot);
    if (pos < s->view.len && store__vl_at(&s->view, pos) == slot)
        return pos;
    return walk(s, slot);
}

/* ---- focus (mitmproxy's Focus) ------------------------------------------ */

void
store__focus_set(struct store *s, uint32_t slot_plus1)
{
    s->focus = slot_plus1;
    store__emit(s, STORE_FOCUS, slot_plus1 ? slot_plus1 - 1 : UINT32_MAX,
                slot_plus1 ? store__pub(s, store__view_pos(s, slot_plus1 - 1), s->view.len) : 0);
}

uint32_t
store__view_at(const struct store *s, size_t pub)
{
    return store__vl_at(&s->view, s->reversed ? s->view.len - 1 - pub : pub);
}

static uint32_t
at(const struct store *s, size_t pub)
{
    return store__view_at(s, pub);
}

void
store__focus_on_add(struct store *s, uint32_t slot)
{
    if (s->focus == 0)
        store__focus_set(s, slot + 1);
}

void
store__focus_on_remove(struct store *s, uint32_t slot, size_t pub_index)
{
    if (s->view.len == 0)
        store__focus_set(s, 0);
    else if (s->focus == slot + 1)
        store__focus_set(s, at(s, pub_index < s->view.len - 1 ? pub_index : s->view.len - 1) + 1);
}

void
store__focus_on_refresh(struct store *s)
{
    if (s->view.len == 0) {
        store__focus_set(s, 0);
    } else if (s->focus == 0) {
        store__focus_set(s, at(s, 0) + 1);
    } else if (!(s->rows[s->focus - 1].flags & RF_SHOWN)) {
        /* Focus._nearest(): where it would go, by View._bisect(). */
        const struct row *r = &s->rows[s->focus - 1];
        size_t lo = store__view_search(s, r, UINT32_MAX);
        /* bisect_right; r is not in the view, so no row ties with it. */
        size_t pub = s->reversed ? s->view.len - lo + 1 : lo;
        if (pub > s->view.len - 1)
            pub = s->view.len - 1;
        store__focus_set(s, at(s, pub) + 1);
    }
}

/* ---- changes ------------------------------------------------------------ */

void
store__view_insert(struct store *s, uint32_t slot)
{
    struct row *r = &s->rows[slot];
    store__view_tie(s, r);
    size_t pos = lower_bound(s, r);
    store__vl_insert(&s->view, pos, slot);
    r->flags |= RF_SHOWN;
    /* The list first, then the focus: a FOCUS event's index is into the
     * list as the subscribers have it. */
    store__emit(s, STORE_ADD, slot, store__pub(s, pos, s->view.len));
    if (s->focus_follow)
        store__focus_set(s, slot + 1);
    store__focus_on_add(s, slot);
}

void
store__view_erase(struct store *s, uint32_t slot)
{
    size_t pos = store__view_pos(s, slot);
    size_t pub = store__pub(s, pos, s->view.len);
    store__vl_erase(&s->view, pos);
    s->rows[slot].flags &= (uint16_t)~RF_SHOWN;
    store__emit(s, STORE_REMOVE, slot, pub);
    store__focus_on_remove(s, slot, pub);
}

static void
sort_slots(const struct store *s, uint32_t *slots, size_t n)
{
    store__sort_slots(s, s->order, slots, n);
}

void
store__view_insert_many(struct store *s, uint32_t *slots, size_t n)
{
    if (n == 0)
        return;
    if (n == 1) {
        store__view_insert(s, slots[0]);
        return;
    }
    uint32_t last = slots[n - 1]; /* in store order: the newest */
    sort_slots(s, slots, n);
    /* Sorted, each after every old row with its key, as one at a time. */
    reserve_ties(s, n);
    for (size_t j = 0; j < n; j++)
        s->rows[slots[j]].vtie = ++s->vtie_now;
    /*
     * Each by bisection, in order: new row j goes after new rows 0..j-1,
     * so its place now is its place at the end. The blocks keep what each
     * insert moves small however the new keys fall over the view.
     */
    size_t *at = xmalloc(n * sizeof(*at));
    for (size_t j = 0; j < n; j++) {
        at[j] = lower_bound(s, &s->rows[slots[j]]);
        store__vl_insert(&s->view, at[j], slots[j]);
        s->rows[slots[j]].flags |= RF_SHOWN;
    }
    size_t oldlen = s->view.len - n;
    /* ADD events in view order: applied one after the other, each index
     * is right for the list as it is by then. */
    for (size_t j = 0; j < n; j++) {
        uint32_t slot = slots[j];
        size_t p = at[j], len = oldlen + j + 1;
        size_t pub = s->reversed ? len - 1 - p : p;
        if (s->focus == 0) {
            s->focus = slot + 1;
            store__emit(s, STORE_FOCUS, slot, pub);
        }
        store__emit(s, STORE_ADD, slot, pub);
    }
    free(at);
    if (s->focus_follow)
        store__focus_set(s, last + 1);
}

void
store__refilter(struct store *s)
{
    uint32_t *cand = xmalloc((s->nrows ? s->nrows : 1) * sizeof(*cand));
    size_t n = 0;
    for (size_t i = 0; i < s->nrows; i++) {
        struct row *r = &s->rows[i];
        r->flags &= (uint16_t)~RF_SHOWN;
        if (r->flags & (RF_DEAD | RF_DOOMED))
            continue;
        if (s->show_marked && r->str[S_MARKED] == 0)
            continue;
        cand[n++] = (uint32_t)i;
    }
    if (s->filt)
        n = store__keep_matching(s, s->filt, s->need, cand, n);
    untie(s);
    sort_slots(s, cand, n);
    store__vl_assign(&s->view, cand, n);
    for (size_t i = 0; i < n; i++)
        s->rows[cand[i]].flags |= RF_SHOWN;
    free(cand);
    store__focus_on_refresh(s);
    store__emit(s, STORE_REFRESH, UINT32_MAX, 0);
}

void
store__resort(struct store *s)
{
    untie(s);
    uint32_t *v = xmalloc((s->view.len ? s->view.len : 1) * sizeof(*v));
    size_t n = s->view.len;
    store__vl_copy(&s->view, v);
    sort_slots(s, v, n);
    store__vl_assign(&s->view, v, n);
    free(v);
}

/* ---- the public side ---------------------------------------------------- */

int
store_set_order(struct store *s, const char *name, struct err *e)
{
    enum store_order o;
    if (store_order_parse(name, &o) < 0)
        return err_set(e, MP_ERR_INVAL, "Unknown flow order: %s", name);
    if (s->order != o) {
        s->order = o;
        store__resort(s);
        store__emit(s, STORE_REFRESH, UINT32_MAX, 0);
    }
    return 0;
}

enum store_order
store_get_order(const struct store *s)
{
    return s->order;
}

void
store_set_reversed(struct store *s, int reversed)
{
    s->reversed = !!reversed;
    store__focus_on_refresh(s);
    store__emit(s, STORE_REFRESH, UINT32_MAX, 0);
}

int
store_reversed(const struct store *s)
{
    return s->reversed;
}

int
store_set_filter(struct store *s, const char *expr, struct err *e)
{
    struct filt *f = NULL;
    if (expr && *expr) {
        struct err fe = {0};
        if ((f = filt_compile(expr, &fe)) == NULL) {
            store__filter_error(expr, e);
            return MP_ERR_SYNTAX;
        }
    }
    filt_free(s->filt);
    free(s->filter_expr);
    s->filt = f;
    s->filter_expr = f ? xstrdup(expr) : NULL;
    s->need = f ? store__filter_needs(f) : 0;
    store__refilter(s);
    return 0;
}

const char *
store_filter(const struct store *s)
{
    return s->filter_expr;
}

void
store_set_show_marked(struct store *s, int on)
{
    s->show_marked = !!on;
    store__refilter(s);
}

int
store_show_marked(const struct store *s)
{
    return s->show_marked;
}

void
store_set_focus_follow(struct store *s, int on)
{
    s->focus_follow = !!on;
}

long
store_focus_index(struct store *s)
{
    if (s->focus == 0)
        return -1;
    return (long)store__pub(s, store__view_pos(s, s->focus - 1), s->view.len);
}

const char *
store_focus_id(struct store *s)
{
    if (s->focus == 0)
        return NULL;
    store__row_id(s, &s->rows[s->focus - 1], s->focus_id);
    return s->focus_id;
}

int
store_set_focus(struct store *s, const char *id)
{
    if (id == NULL) {
        store__focus_set(s, 0);
        return 0;
    }
    long slot = store__find(s, id);
    if (slot < 0 || !(s->rows[slot].flags & RF_SHOWN))
        return MP_ERR_NOTFOUND;
    store__focus_set(s, (uint32_t)slot + 1);
    return 0;
}

void
store_focus_go(struct store *s, long offset)
{
    if (s->view.len == 0)
        return;
    long len = (long)s->view.len;
    if (offset < 0)
        offset = len + offset;
    if (offset < 0)
        offset = 0;
    if (offset > len - 1)
        offset = len - 1;
    store__focus_set(s, at(s, (size_t)offset) + 1);
}

void
store_focus_next(struct store *s)
{
    long i = store_focus_index(s);
    if (i >= 0 && i + 1 < (long)s->view.len)
        store__focus_set(s, at(s, (size_t)i + 1) + 1);
}

void
store_focus_prev(struct store *s)
{
    long i = store_focus_index(s);
    if (i >= 1)
        store__focus_set(s, at(s, (size_t)i - 1) + 1);
}
