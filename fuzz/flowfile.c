/*
 * libFuzzer target for the flow-file reader: reads every record of the
 * input, and writes each flow it got back out; a flow written by us must
 * read back and write the same bytes again. A snapshot must write the
 * same bytes as its flow, and a reverted flow (its backup put back) must
 * round-trip too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flowfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes f, reads it back, writes again: the bytes must not change. */
static void
roundtrip(const struct flow *fl, struct buf *a)
{
    struct buf b = BUF_INIT;
    struct err e;
    ffile_serialize(a, fl);
    struct flow *g = NULL;
    size_t used = 0;
    if (ffile_deserialize(buf_ptr(a), a->len, &used, &g, &e) != 0 || used != a->len)
        abort();
    ffile_serialize(&b, g);
    if (a->len != b.len || memcmp(buf_ptr(a), buf_ptr(&b), a->len) != 0)
        abort();
    flow_unref(g);
    buf_clear(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (f == NULL)
        return 0;
    struct ffile_reader *r = ffile_reader_new(f, "fuzz.mitm");
    struct flow *fl;
    struct err e;
    while (ffile_read(r, &fl, &e) == 1) {
        struct buf a = BUF_INIT, s = BUF_INIT;
        roundtrip(fl, &a);
        struct flow *snap = flow_snapshot(fl);
        ffile_serialize(&s, snap);
        if (a.len != s.len || memcmp(buf_ptr(&a), buf_ptr(&s), a.len) != 0)
            abort();
        flow_unref(snap);
        buf_reset(&a);
        flow_revert(fl);
        if (fl->backup || flow_modified(fl))
            abort();
        roundtrip(fl, &a);
        flow_unref(fl);
        buf_clear(&a);
        buf_clear(&s);
    }
    ffile_reader_free(r);
    fclose(f);
    return 0;
}
