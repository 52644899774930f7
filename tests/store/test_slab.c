/*
 * slab.c: records kept in RAM keep their bytes and their place while
 * others come and go, a slab goes when its last record does, and the
 * bytes counted are what the slabs hold present.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "store/internal.h"
#include "tstore.h"

enum { SLAB_BYTES = 4 << 20, STEP = 256 << 10 };

static uint8_t *
slab_of(const uint8_t *p)
{
    return (uint8_t *)((uintptr_t)p & ~(uintptr_t)(SLAB_BYTES - 1));
}

TEST(store_slab_keeps_bytes_while_others_are_freed)
{
    struct slabs sl = {0};
    enum { N = 30000 };
    uint8_t **v = calloc(N, sizeof(*v));
    size_t *len = calloc(N, sizeof(*len));
    uint8_t tmp[STORE_REST_RAM_MAX + STORE_PLAIN_RAM_MAX];
    for (size_t i = 0; i < N; i++) {
        len[i] = (i * 7919) % sizeof(tmp); /* 0 included: an empty record */
        tstore_fill(tmp, len[i], (uint32_t)i);
        v[i] = store__slab_put(&sl, tmp, len[i]);
        ASSERT(v[i] != NULL);
        /* Inside its slab, after the header: found from its address. */
        ASSERT(v[i] > slab_of(v[i]) && v[i] + len[i] <= slab_of(v[i]) + SLAB_BYTES);
        ASSERT(i == 0 || v[i] != v[i - 1]);
    }
    /* 30,000 records of 700 bytes on average: 5 slabs, present a step at a time. */
    ASSERT(store__slabs_bytes(&sl) % STEP == 0);
    ASSERT(store__slabs_bytes(&sl) >= (size_t)N * 700);
    ASSERT(store__slabs_bytes(&sl) <= (size_t)N * 720 + 5 * (size_t)STEP);
    for (size_t i = 0; i < N; i += 2)
        store__slab_free(&sl, v[i]);
    for (size_t i = 1; i < N; i += 2) {
        tstore_fill(tmp, len[i], (uint32_t)i);
        ASSERT_MEMEQ(v[i], len[i], tmp, len[i]);
    }
    size_t before = store__slabs_bytes(&sl);
    /* The odd ones of the first slab go: the whole slab is unmapped. */
    uint8_t *first = slab_of(v[0]);
    size_t k = 1;
    while (k < N && slab_of(v[k]) == first) {
        store__slab_free(&sl, v[k]);
        k += 2;
    }
    ASSERT(store__slabs_bytes(&sl) == before - SLAB_BYTES);
    for (; k < N; k += 2)
        store__slab_free(&sl, v[k]);
    /* All freed: only the current slab is left, kept to be filled again. */
    ASSERT(store__slabs_bytes(&sl) > 0 && store__slabs_bytes(&sl) <= SLAB_BYTES);
    uint8_t *again = store__slab_put(&sl, "abc", 3);
    ASSERT(again != NULL && memcmp(again, "abc", 3) == 0);
    store__slab_free(&sl, again);
    store__slab_free(&sl, NULL);
    store__slabs_clear(&sl);
    ASSERT_EQ(store__slabs_bytes(&sl), 0);
    free(v);
    free(len);
}

TEST(store_slab_small_store_pays_a_step_not_a_slab)
{
    struct slabs sl = {0};
    uint8_t *a = store__slab_put(&sl, "x", 1);
    ASSERT(a != NULL);
    ASSERT_EQ(store__slabs_bytes(&sl), STEP);
    store__slab_free(&sl, a);
    store__slabs_clear(&sl);
    ASSERT_EQ(store__slabs_bytes(&sl), 0);
}

TEST(store_populate_takes_any_range)
{
    /* Unaligned ends, an empty range and less than a page: no error, the
     * bytes stay writable and as they were. */
    uint8_t *p = malloc(3 * 4096 + 100);
    memset(p, 7, 3 * 4096 + 100);
    store__populate(p + 1, 3 * 4096 + 98);
    store__populate(p + 5, 0);
    store__populate(p + 5, 10);
    for (size_t i = 0; i < 3 * 4096 + 100; i++)
        ASSERT_EQ(p[i], 7);
    free(p);
}
