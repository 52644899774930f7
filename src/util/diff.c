/*
 * Myers' greedy diff with the whole trace kept: round d records how far
 * each diagonal k (x - y) reaches with d edits, and the script is read
 * back from the last round to the first. The trace takes (D + 1)^2
 * entries for D edits, which max_d bounds; common first and last lines are
 * set aside first, so two bodies that differ in a few places cost little
 * however long they are. Lines are compared by a hash, then their bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/diff.h"
#include "util/xmalloc.h"

void
diff_script_clear(struct diff_script *d)
{
    free(d->v);
    d->v = NULL;
    d->n = d->cap = 0;
}

static void
push(struct diff_script *d, enum diff_op op, size_t a, size_t b)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
    }
    d->v[d->n++] = (struct diff_edit){op, a, b};
}

/* FNV-1a: lines that differ almost never share one, so memcmp runs on equal lines. */
static uint64_t
hash(struct slice s)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < s.len; i++)
        h = (h ^ s.p[i]) * 1099511628211ull;
    return h ^ s.len;
}

struct side {
    const struct slice *l;
    uint64_t *h; /* owned; hash of l[i] */
    size_t n;
};

static int
same(const struct side *a, size_t i, const struct side *b, size_t j)
{
    return a->h[i] == b->h[j] && slice_eq(a->l[i], b->l[j]);
}

/*
 * Whether the path of round d to diagonal k comes down from k + 1 (an
 * addition) rather than right from k - 1 (a deletion): from whichever
 * reached further in round d - 1. prev is that round, indexed by diagonal.
 */
static int
from_above(const int32_t *prev, long k, long d)
{
    return k == -d || (k != d && prev[k - 1] < prev[k + 1]);
}

/* Round d of the trace: its 2d + 1 diagonals, from d * d on, indexed -d..d. */
static int32_t *
round_of(int32_t *trace, long d)
{
    return trace + (size_t)d * (size_t)d + d;
}

/*
 * The middle part a[0..n) against b[0..m), edits appended in reverse
 * (from the end) with off added to every index. Returns the edit count,
 * or -1 when it is past max_d (nothing appended then).
 */
static long
myers(const struct side *a, const struct side *b, long max_d, size_t aoff, size_t boff,
      struct diff_script *rev)
{
    long n = (long)a->n, m = (long)b->n;
    long lim = n + m < max_d ? n + m : max_d;
    /* round_of(trace, d)[k], k in -d..d, is the furthest x on diagonal k after round d. */
    size_t cap = 1024;
    int32_t *trace = xmalloc(cap * sizeof(*trace));
    long found = -1;
    for (long d = 0; d <= lim && found < 0; d++) {
        size_t need = (size_t)(d + 1) * (size_t)(d + 1);
        if (need > cap) {
            while (cap < need)
                cap *= 2;
            trace = xrealloc(trace, cap * sizeof(*trace));
        }
        int32_t *cur = round_of(trace, d);
        const int32_t *prev = d ? round_of(trace, d - 1) : NULL;
        for (long k = -d; k <= d; k += 2) {
            long x;
            if (d == 0)
                x = 0;
            else if (from_above(prev, k, d))
                x = prev[k + 1];
            else
                x = prev[k - 1] + 1;
            long y = x - k;
            while (x < n && y < m && same(a, (size_t)x, b, (size_t)y))
                x++, y++;
            cur[k] = (int32_t)x;
            if (x >= n && y >= m) {
                found = d;
                break;
            }
        }
    }
    if (found < 0) {
        free(trace);
        return -1;
    }
    long x = n, y = m;
    for (long d = found; d > 0; d--) {
        const int32_t *prev = round_of(trace, d - 1);
        long k = x - y;
        int down = from_above(prev, k, d);
        long pk = down ? k + 1 : k - 1, px = prev[pk], py = px - pk;
        long sx = down ? px : px + 1; /* where the snake of round d began */
        while (x > sx) {
            x--, y--;
            push(rev, DIFF_SAME, aoff + (size_t)x, boff + (size_t)y);
        }
        push(rev, down ? DIFF_ADD : DIFF_DEL, aoff + (size_t)px, boff + (size_t)py);
        x = px, y = py;
    }
    while (x > 0) {
        x--, y--;
        push(rev, DIFF_SAME, aoff + (size_t)x, boff + (size_t)y);
    }
    free(trace);
    return found;
}

/* In each run of changes, the deletions first (a stable partition). */
static void
deletions_first(struct diff_edit *v, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (v[i].op == DIFF_SAME) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && v[j].op != DIFF_SAME)
            j++;
        size_t w = i;
        for (size_t r = i; r < j; r++) /* insertion sort by op: runs are short */
            if (v[r].op == DIFF_DEL) {
                struct diff_edit e = v[r];
                memmove(&v[w + 1], &v[w], (r - w) * sizeof(*v));
                v[w++] = e;
            }
        i = j;
    }
}

size_t
diff_lines(const struct slice *a, size_t na, const struct slice *b, size_t nb, size_t max_d,
           struct diff_script *out)
{
    if (max_d == 0)
        max_d = DIFF_DEFAULT_MAX_D;
    if (max_d > INT32_MAX / 2)
        max_d = INT32_MAX / 2;
    size_t start = out->n;
    size_t pre = 0;
    while (pre < na && pre < nb && slice_eq(a[pre], b[pre]))
        pre++;
    size_t suf = 0;
    while (suf < na - pre && suf < nb - pre && slice_eq(a[na - 1 - suf], b[nb - 1 - suf]))
        suf++;
    for (size_t i = 0; i < pre; i++)
        push(out, DIFF_SAME, i, i);

    struct side sa = {a + pre, NULL, na - pre - suf}, sb = {b + pre, NULL, nb - pre - suf};
    size_t edits;
    long d = -1;
    /* The trace holds positions as int32_t. */
    if (sa.n < INT32_MAX && sb.n < INT32_MAX && (sa.n || sb.n)) {
        sa.h = xmalloc((sa.n ? sa.n : 1) * sizeof(*sa.h));
        sb.h = xmalloc((sb.n ? sb.n : 1) * sizeof(*sb.h));
        for (size_t i = 0; i < sa.n; i++)
            sa.h[i] = hash(sa.l[i]);
        for (size_t i = 0; i < sb.n; i++)
            sb.h[i] = hash(sb.l[i]);
        struct diff_script rev = DIFF_SCRIPT_INIT;
        d = myers(&sa, &sb, (long)max_d, pre, pre, &rev);
        for (size_t i = rev.n; i-- > 0;)
            push(out, rev.v[i].op, rev.v[i].a, rev.v[i].b);
        diff_script_clear(&rev);
        free(sa.h);
        free(sb.h);
    }
    if (d >= 0) {
        edits = (size_t)d;
    } else {
        for (size_t i = 0; i < sa.n; i++)
            push(out, DIFF_DEL, pre + i, pre);
        for (size_t j = 0; j < sb.n; j++)
            push(out, DIFF_ADD, pre + sa.n, pre + j);
        edits = sa.n + sb.n;
    }
    for (size_t i = 0; i < suf; i++)
        push(out, DIFF_SAME, na - suf + i, nb - suf + i);
    deletions_first(out->v + start, out->n - start);
    return edits;
}

size_t
diff_split(const void *text, size_t n, struct slice **out)
{
    const uint8_t *p = text;
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += p[i] == '\n';
    if (n && p[n - 1] != '\n')
        count++;
    struct slice *v = xmalloc((count ? count : 1) * sizeof(*v));
    size_t k = 0, at = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\n') {
            v[k++] = (struct slice){p + at, i - at};
            at = i + 1;
        }
    if (at < n)
        v[k++] = (struct slice){p + at, n - at};
    *out = v;
    return count;
}
