/*
 * libFuzzer target for the flow-file reader: reads every record of the
 * input, and writes each flow it got back out; a flow written by us must
 * read back and write the same bytes again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flowfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
        struct buf a = BUF_INIT, b = BUF_INIT;
        ffile_serialize(&a, fl);
        struct flow *g = NULL;
        size_t used = 0;
        if (ffile_deserialize(buf_ptr(&a), a.len, &used, &g, &e) != 0 || used != a.len)
            abort();
        ffile_serialize(&b, g);
        if (a.len != b.len || memcmp(buf_ptr(&a), buf_ptr(&b), a.len) != 0)
            abort();
        flow_unref(g);
        flow_unref(fl);
        buf_clear(&a);
        buf_clear(&b);
    }
    ffile_reader_free(r);
    fclose(f);
    return 0;
}
