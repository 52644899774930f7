/*
 * libFuzzer target for the tnetstring decoder: any input either decodes to a
 * tree that encodes back to exactly the bytes it came from (floats keep
 * their text), or fails cleanly. Decoded into an arena (a small first
 * block, so that the arena's own blocks are used too) it gives the same
 * tree or the same error, and tns_keep() copies it out whole.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "flow/tnetstring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tns *t = NULL;
    struct err e;
    size_t used = 0;
    int rc = tns_decode(data, size, &used, &t, &e);

    max_align_t space[512 / sizeof(max_align_t)];
    struct tns_arena a;
    tns_arena_init(&a, space, sizeof(space));
    struct tns *in = NULL;
    struct err ae;
    size_t aused = 0;
    int arc = tns_decode_in(&a, data, size, &aused, &in, &ae);
    if (arc != rc || (rc == 0 && (aused != used || !tns_equal(in, t))) ||
        (rc != 0 && strcmp(ae.msg, e.msg) != 0))
        abort();
    struct tns *kept = tns_keep(in);
    tns_arena_clear(&a);
    if (rc != 0)
        return 0;
    if (!tns_equal(kept, t))
        abort();
    tns_free(kept);
    struct buf b = BUF_INIT;
    tns_encode(&b, t);
    /* Integers may have been written with a '+' or leading zeros, which do
     * not survive; everything else must. Compare only when the re-encoding
     * decodes to an equal tree. */
    struct tns *u = NULL;
    size_t used2 = 0;
    if (tns_decode(buf_ptr(&b), b.len, &used2, &u, &e) != 0 || used2 != b.len || !tns_equal(t, u))
        abort();
    struct tns *c = tns_copy(t);
    if (!tns_equal(c, t))
        abort();
    tns_free(c);
    tns_free(u);
    tns_free(t);
    buf_clear(&b);
    return 0;
}
