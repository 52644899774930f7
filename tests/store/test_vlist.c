/*
 * vlist.c: the view's slots in blocks. Every operation is checked against
 * a flat array doing the same, and what inserts move is counted: it must
 * not grow with the sequence.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "store/internal.h"
#include "tstore.h"
#include "util/xmalloc.h"

static void
same(const struct vlist *v, const uint32_t *ref, size_t n)
{
    ASSERT_EQ(v->len, n);
    for (size_t i = 0; i < n; i++)
        ASSERT_EQ(store__vl_at(v, i), ref[i]);
    uint32_t *out = xmalloc((n ? n : 1) * sizeof(*out));
    store__vl_copy(v, out);
    ASSERT(n == 0 || memcmp(out, ref, n * sizeof(*out)) == 0);
    free(out);
    size_t total = 0;
    for (size_t k = 0; k < v->nblk; k++) {
        ASSERT(v->cnt[k] > 0 && v->cnt[k] <= VL_BLOCK);
        total += v->cnt[k];
    }
    ASSERT_EQ(total, n);
}

/* Inserts and erases at random places, splits and emptied blocks included. */
TEST(vlist_follows_a_flat_array)
{
    enum { N = 6000 };
    struct vlist v = {0};
    uint32_t *ref = xmalloc(2 * N * sizeof(*ref));
    size_t n = 0;
    unsigned seed = 12;
    for (uint32_t i = 0; i < 2 * N; i++) {
        seed = seed * 1103515245u + 12345u;
        int erase = n > 0 && i >= N && (seed >> 16) % 3 != 0;
        size_t at = n ? (seed >> 8) % (erase ? n : n + 1) : 0;
        if (erase) {
            store__vl_erase(&v, at);
            memmove(&ref[at], &ref[at + 1], (n - at - 1) * sizeof(*ref));
            n--;
        } else {
            store__vl_insert(&v, at, i);
            memmove(&ref[at + 1], &ref[at], (n - at) * sizeof(*ref));
            ref[at] = i;
            n++;
        }
        if (i % 997 == 0)
            same(&v, ref, n);
    }
    same(&v, ref, n);
    /* Every slot by a walk, and back after a renumbering. */
    for (size_t i = 0; i < n; i += 101)
        ASSERT_EQ(store__vl_find(&v, ref[i]), (long)i);
    ASSERT_EQ(store__vl_find(&v, 3 * N), -1);
    uint32_t *map = xmalloc(2 * N * sizeof(*map));
    for (uint32_t i = 0; i < 2 * N; i++)
        map[i] = 2 * N - 1 - i;
    store__vl_remap(&v, map);
    for (size_t i = 0; i < n; i++)
        ref[i] = map[ref[i]];
    same(&v, ref, n);
    /* Assigned whole, then emptied from the front. */
    store__vl_assign(&v, ref, n);
    same(&v, ref, n);
    while (n > 0) {
        store__vl_erase(&v, 0);
        memmove(&ref[0], &ref[1], --n * sizeof(*ref));
    }
    same(&v, ref, 0);
    ASSERT_EQ(v.nblk, 0);
    store__vl_insert(&v, 0, 7);
    ASSERT_EQ(store__vl_at(&v, 0), 7);
    store__vl_clear(&v);
    free(map);
    free(ref);
}

static int
cmp_below(const void *ctx, uint32_t slot)
{
    uint32_t want = *(const uint32_t *)ctx;
    return slot < want ? -1 : 1;
}

/* A sorted sequence is searched in about log2(len) looks. */
TEST(vlist_search_finds_the_first_not_before)
{
    struct vlist v = {0};
    enum { N = 20000 };
    for (uint32_t i = 0; i < N; i++)
        store__vl_insert(&v, i, 2 * i);
    for (uint32_t want = 0; want < 2 * N + 2; want += 7)
        ASSERT_EQ(store__vl_search(&v, cmp_below, &want), (want + 1) / 2);
    store__vl_clear(&v);
}

/*
 * What an insert moves does not grow with the sequence: 200,000 inserts
 * into the middle (a file of repeated captures lands all over the view)
 * move at most a block each, splits included, where a flat array would
 * move half of what is there, 10^10 in all.
 */
TEST(vlist_insert_moves_at_most_a_block)
{
    struct vlist v = {0};
    enum { N = 200000 };
    for (uint32_t i = 0; i < N; i++)
        store__vl_insert(&v, v.len / 2, i);
    ASSERT(v.moved <= (size_t)N * VL_BLOCK);
    /* Half full blocks at worst: a block's share each, on average. */
    ASSERT(v.moved / N <= VL_BLOCK / 2 + VL_BLOCK / 4);
    /* In order at the end, nothing moves and blocks stay full. */
    size_t moved = v.moved;
    for (uint32_t i = 0; i < N; i++)
        store__vl_insert(&v, v.len, N + i);
    ASSERT_EQ(v.moved, moved);
    ASSERT_EQ(store__vl_at(&v, v.len - 1), 2 * N - 1);
    store__vl_clear(&v);
}
