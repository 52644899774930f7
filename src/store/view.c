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
    for (size_t i = 0; i < s->vlen; i++)
        s->rows[s->view[i]].vtie = (uint32_t)i + 1;
    s->vtie_now = (uint32_t)s->vlen;
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

/*
 * The first position whose row does not come before r. The seq breaks
 * ties, so a new row (the highest seq) goes after every row with its key,
 * where 8.1.1's bisect_right puts it.
 */
static size_t
lower_bound(const struct store *s, const struct row *r)
{
    size_t lo = 0, hi = s->vlen;
    if (hi == 0)
        return 0;
    /* Live flows, and a capture read back, come in time order: the newest
     * goes at the end, after one look and with nothing to move. */
    view_steps++;
    if (store__before(s, &s->rows[s->view[hi - 1]], r))
        return hi;
    hi--;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        view_steps++;
        if (store__before(s, &s->rows[s->view[mid]], r))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t
store__view_pos(const struct store *s, uint32_t slot)
{
    size_t pos = lower_bound(s, &s->rows[slot]);
    if (pos < s->vlen && s->view[pos] == slot)
        return pos;
    /* The key changed and the view was not told (a bug): look for it. */
    for (size_t i = 0; i < s->vlen; i++) {
        view_steps++;
        if (s->view[i] == slot)
            return i;
    }
    return 0;
}

size_t
store__view_pos_by(const struct store *s, uint32_t slot, const struct row *key)
{
    size_t lo = 0, hi = s->vlen;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        view_steps++;
        /* The row itself has its new key: it is only recognised. */
        if (s->view[mid] == slot)
            return mid;
        if (store__before(s, &s->rows[s->view[mid]], key))
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = 0; i < s->vlen; i++) {
        view_steps++;
        if (s->view[i] == slot)
            return i;
    }
    return 0;
}

static void
reserve(struct store *s, size_t n)
{
    if (s->vlen + n <= s->vcap)
        return;
    size_t cap = s->vcap ? s->vcap : 1024;
    while (cap < s->vlen + n)
        cap *= 2;
    s->view = xrealloc(s->view, cap * sizeof(*s->view));
    s->vcap = cap;
}

/* ---- focus (mitmproxy's Focus) ------------------------------------------ */

void
store__focus_set(struct store *s, uint32_t slot_plus1)
{
    s->focus = slot_plus1;
    store__emit(s, STORE_FOCUS, slot_plus1 ? slot_plus1 - 1 : UINT32_MAX,
                slot_plus1 ? store__pub(s, store__view_pos(s, slot_plus1 - 1), s->vlen) : 0);
}

/* The row at a public index. */
static uint32_t
at(const struct store *s, size_t pub)
{
    return s->view[s->reversed ? s->vlen - 1 - pub : pub];
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
    if (s->vlen == 0)
        store__focus_set(s, 0);
    else if (s->focus == slot + 1)
        store__focus_set(s, at(s, pub_index < s->vlen - 1 ? pub_index : s->vlen - 1) + 1);
}

void
store__focus_on_refresh(struct store *s)
{
    if (s->vlen == 0) {
        store__focus_set(s, 0);
    } else if (s->focus == 0) {
        store__focus_set(s, at(s, 0) + 1);
    } else if (!(s->rows[s->focus - 1].flags & RF_SHOWN)) {
        /* Focus._nearest(): where it would go, by View._bisect(). */
        const struct row *r = &s->rows[s->focus - 1];
        size_t lo = 0, hi = s->vlen;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (store__before(s, r, &s->rows[s->view[mid]]))
                hi = mid;
            else
                lo = mid + 1;
        }
        size_t pub = s->reversed ? s->vlen - lo + 1 : lo;
        if (pub > s->vlen - 1)
            pub = s->vlen - 1;
        store__focus_set(s, at(s, pub) + 1);
    }
}

/* ---- changes ------------------------------------------------------------ */

void
store__view_insert(struct store *s, uint32_t slot)
{
    struct row *r = &s->rows[slot];
    reserve(s, 1);
    store__view_tie(s, r);
    size_t pos = lower_bound(s, r);
    memmove(&s->view[pos + 1], &s->view[pos], (s->vlen - pos) * sizeof(*s->view));
    s->view[pos] = slot;
    s->vlen++;
    r->flags |= RF_SHOWN;
    /* The list first, then the focus: a FOCUS event's index is into the
     * list as the subscribers have it. */
    store__emit(s, STORE_ADD, slot, store__pub(s, pos, s->vlen));
    if (s->focus_follow)
        store__focus_set(s, slot + 1);
    store__focus_on_add(s, slot);
}

void
store__view_erase(struct store *s, uint32_t slot)
{
    size_t pos = store__view_pos(s, slot);
    size_t pub = store__pub(s, pos, s->vlen);
    memmove(&s->view[pos], &s->view[pos + 1], (s->vlen - pos - 1) * sizeof(*s->view));
    s->vlen--;
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
    reserve(s, n);
    /* Sorted, each after every old row with its key, as one at a time. */
    reserve_ties(s, n);
    for (size_t j = 0; j < n; j++)
        s->rows[slots[j]].vtie = ++s->vtie_now;
    /*
     * Where each new row goes among the old ones, by bisection: new rows
     * whose keys fall all over the view (a file of repeated captures in
     * time order) must not cost a walk over the whole view per batch, or
     * a large load is quadratic. at[j] is new row j's lower bound; the new
     * rows are sorted, so each search ends where the next one's begins.
     */
    size_t *at = xmalloc(n * sizeof(*at));
    size_t hi = s->vlen;
    for (size_t j = n; j-- > 0;) {
        const struct row *r = &s->rows[slots[j]];
        size_t lo = 0;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (store__before(s, &s->rows[s->view[mid]], r))
                lo = mid + 1;
            else
                hi = mid;
        }
        at[j] = lo;
    }
    /* The old rows move up in blocks, from the back: those from at[j] on
     * have new rows 0..j before them. */
    size_t end = s->vlen;
    for (size_t j = n; j-- > 0;) {
        memmove(&s->view[at[j] + j + 1], &s->view[at[j]], (end - at[j]) * sizeof(*s->view));
        s->view[at[j] + j] = slots[j];
        end = at[j];
    }
    size_t oldlen = s->vlen;
    s->vlen += n;
    for (size_t j = 0; j < n; j++)
        s->rows[slots[j]].flags |= RF_SHOWN;
    /* ADD events in view order: applied one after the other, each index
     * is right for the list as it is by then. */
    for (size_t j = 0; j < n; j++) {
        uint32_t slot = slots[j];
        size_t p = at[j] + j, len = oldlen + j + 1;
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
    s->vlen = 0;
    reserve(s, n);
    if (n)
        memcpy(s->view, cand, n * sizeof(*cand));
    s->vlen = n;
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
    sort_slots(s, s->view, s->vlen);
}

/* ---- the public side ---------------------------------------------------- */

int
store_set_order(struct store *s, const char *name, struct err *e)
{
    for (int o = 0; o <= STORE_ORDER_SIZE; o++) {
        if (strcmp(name, store_order_name((enum store_order)o)) == 0) {
            if (s->order != (enum store_order)o) {
                s->order = (enum store_order)o;
                store__resort(s);
                store__emit(s, STORE_REFRESH, UINT32_MAX, 0);
            }
            return 0;
        }
    }
    return err_set(e, MP_ERR_INVAL, "Unknown flow order: %s", name);
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
    return (long)store__pub(s, store__view_pos(s, s->focus - 1), s->vlen);
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
    if (s->vlen == 0)
        return;
    long len = (long)s->vlen;
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
    if (i >= 0 && i + 1 < (long)s->vlen)
        store__focus_set(s, at(s, (size_t)i + 1) + 1);
}

void
store_focus_prev(struct store *s)
{
    long i = store_focus_index(s);
    if (i >= 1)
        store__focus_set(s, at(s, (size_t)i - 1) + 1);
}
