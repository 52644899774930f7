/*
 * libFuzzer target for the tnetstring decoder: any input either decodes to a
 * tree that encodes back to exactly the bytes it came from (floats keep
 * their text), or fails cleanly.
 */
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
    if (tns_decode(data, size, &used, &t, &e) != 0)
        return 0;
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
