/*
 * store_scan: store_select()'s matching a part at a time (see scan.h).
 * The place is the store order (a row's seq) of the next row to look at;
 * a step finds it again by bisection, since rows are in store order and
 * compaction only takes rows out.
 */
#include <stdint.h>
#include <stdlib.h>

#include "filter/filter.h"
#include "store/internal.h"
#include "store/scan.h"
#include "util/xmalloc.h"

struct store_scan {
    struct store *s;  /* borrowed */
    struct filt *flt; /* owned */
    unsigned need;
    uint64_t next_seq; /* the first row not yet looked at */
    uint64_t end_seq;  /* the first row added after the scan began */
    size_t done, total, hits;
    uint32_t *slots; /* a step's rows (scratch) */
    size_t cap;
};

struct store_scan *
store_scan_new(struct store *s, const char *filter, struct err *e)
{
    struct err fe = {0};
    struct filt *flt = filt_compile(filter ? filter : "", &fe);
    if (flt == NULL) {
        store__filter_error(filter, e);
        return NULL;
    }
    struct store_scan *sc = xcalloc(1, sizeof(*sc));
    sc->s = s;
    sc->flt = flt;
    sc->need = store__filter_needs(flt);
    sc->next_seq = s->nrows ? s->rows[0].seq : s->next_seq;
    sc->end_seq = s->next_seq;
    sc->total = store_count(s);
    return sc;
}

/* The first slot whose row comes at or after seq in store order. */
static size_t
slot_of(const struct store *s, uint64_t seq)
{
    size_t lo = 0, hi = s->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->rows[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int
store_scan_step(struct store_scan *sc, size_t rows, store_select_cb each, void *arg)
{
    struct store *s = sc->s;
    if (rows == 0)
        rows = 1;
    if (sc->cap < rows) {
        sc->cap = rows;
        sc->slots = xrealloc(sc->slots, rows * sizeof(*sc->slots));
    }
    size_t i = slot_of(s, sc->next_seq), n = 0;
    for (; i < s->nrows && n < rows && s->rows[i].seq < sc->end_seq; i++)
        if (!(s->rows[i].flags & (RF_DEAD | RF_DOOMED)))
            sc->slots[n++] = (uint32_t)i;
    int more = i < s->nrows && s->rows[i].seq < sc->end_seq;
    sc->next_seq = i < s->nrows ? s->rows[i].seq : sc->end_seq;
    sc->done += n;
    size_t k = store__keep_matching(s, sc->flt, sc->need, sc->slots, n);
    for (size_t j = 0; j < k; j++) {
        char id[UUID_STR_LEN];
        store__row_id(s, &s->rows[sc->slots[j]], id);
        each(arg, sc->hits++, id);
    }
    if (!more)
        sc->done = sc->done > sc->total ? sc->done : sc->total;
    return more;
}

void
store_scan_progress(const struct store_scan *sc, size_t *done, size_t *total)
{
    *done = sc->done < sc->total ? sc->done : sc->total;
    *total = sc->total;
}

void
store_scan_free(struct store_scan *sc)
{
    if (sc == NULL)
        return;
    filt_free(sc->flt);
    free(sc->slots);
    free(sc);
}
