/*
 * libFuzzer target for the flow store's in-place record reader
 * (store/record.c), which reads flow-file records on the load path without
 * building a flow: whatever it takes, ffile_deserialize() must take too
 * and give the same row; what it gives back without bodies must read back
 * as a flow, and split from its headers and joined again must be the same
 * bytes; its plain part (the text ~h and ~b search) must be the flow's;
 * and the filter's view of a record, or a plain part, must parse or
 * refuse without harm.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/flowfile.h"
#include "store/internal.h"
#include "util/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same_ts(double x, double y)
{
    return memcmp(&x, &y, sizeof(x)) == 0 || (x != x && y != y);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rec_fields a, b;
    struct buf rest = BUF_INIT;
    store__rec_fields_init(&a);
    if (store__rec_scan(data, size, NULL, &a, &rest, NULL) == 0) {
        struct flow *f = NULL, *g = NULL;
        size_t used = 0;
        struct err e;
        if (ffile_deserialize(data, size, &used, &f, &e) != 0)
            abort();
        store__rec_fields_init(&b);
        store__rec_from_flow(f, &b);
        if (a.type != b.type || a.size != b.size || a.status != b.status || a.port != b.port)
            abort();
        /* The id the row keeps with STORE_LOAD_KEEP_IDS (-r) is the flow's. */
        if (a.id.len != strlen(f->id) || memcmp(a.id.p, f->id, a.id.len) != 0)
            abort();
        /* Timestamps read by the scan's fast path are strtod()'s to the bit. */
        if (!same_ts(a.created, b.created))
            abort();
        for (int i = 0; i < 4; i++)
            if (!same_ts(a.ts[i], b.ts[i]))
                abort();
        /* ~u reads a DNS row's name only where the flow has that name. */
        if ((a.flags & RF_DNS_QNAME) &&
            (!(b.flags & RF_DNS_QNAME) || a.str[S_PATH].len != b.str[S_PATH].len ||
             memcmp(a.str[S_PATH].p, b.str[S_PATH].p, a.str[S_PATH].len) != 0))
            abort();
        store__rec_fields_clear(&b);
        struct buf plain = BUF_INIT;
        store__plain_from_flow(f, &plain);
        if (plain.len != a.plain.len || memcmp(buf_ptr(&plain), buf_ptr(&a.plain), plain.len) != 0)
            abort();
        buf_clear(&plain);
        if (ffile_deserialize(buf_ptr(&rest), rest.len, &used, &g, &e) != 0)
            abort();
        flow_unref(g);
        flow_unref(f);
        /* Headers in a frame of their own, and joined back: the same bytes. */
        struct buf r2 = BUF_INIT, h2 = BUF_INIT, back = BUF_INIT;
        store__rec_fields_init(&b);
        if (store__rec_scan(data, size, NULL, &b, &r2, &h2) != 0)
            abort();
        /* Only HTTP records have their headers taken out. */
        if (h2.len == 0)
            buf_move(&back, &r2);
        else if (store__rec_join(buf_ptr(&r2), r2.len, buf_ptr(&h2), h2.len, &back) != 0)
            abort();
        if (back.len != rest.len || memcmp(buf_ptr(&back), buf_ptr(&rest), rest.len) != 0)
            abort();
        store__rec_fields_clear(&b);
        buf_clear(&r2);
        buf_clear(&h2);
        buf_clear(&back);
        /* The filter's view of the record, on a copy it may write NULs into. */
        uint8_t *raw = xmemdup(buf_ptr(&rest), rest.len);
        struct rec_view v = {0};
        store__rec_view(raw, rest.len, &v);
        store__rec_view_clear(&v);
        free(raw);
    }
    store__rec_fields_clear(&a);
    buf_clear(&rest);
    /* Arbitrary bytes through the view too: it must refuse, not crash. */
    uint8_t *copy = xmemdup(data, size ? size : 1);
    struct rec_view v = {0};
    store__rec_view(copy, size, &v);
    store__rec_view_clear(&v);
    memcpy(copy, data, size);
    store__rec_view_headers(copy, size, &v);
    store__rec_view_clear(&v);
    struct plain pl = {0};
    store__plain_read(data, size, &pl);
    store__plain_clear(&pl);
    free(copy);
    return 0;
}
