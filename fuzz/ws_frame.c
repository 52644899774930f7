/*
 * libFuzzer target for the WebSocket frame parser and message reader: any
 * input either yields frames that the writer reproduces byte for byte (for
 * unmasked, minimally encoded frames) or fails cleanly, and the reader never
 * returns more payload than the limit.
 */
#include <stdlib.h>
#include <string.h>

#include "http/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int from_client = data[0] & 1, rsv1 = (data[0] >> 1) & 1;
    data++;
    size--;

    /* Frame by frame: a parsed frame written again must give the same bytes. */
    size_t pos = 0;
    for (;;) {
        struct ws_frame f;
        struct buf pl = BUF_INIT, again = BUF_INIT;
        struct err e;
        ssize_t n = ws_frame_parse(data + pos, size - pos, from_client, rsv1, 1 << 20, &f, &pl, &e);
        if (n < 0) {
            buf_clear(&pl);
            break;
        }
        if (pl.len != f.len)
            abort();
        ws_frame_write(&again, f.fin, f.rsv & 4, f.opcode, f.masked ? f.key : NULL, buf_ptr(&pl),
                       pl.len);
        if (again.len != (size_t)n || memcmp(buf_ptr(&again), data + pos, (size_t)n) != 0)
            abort();
        buf_clear(&pl);
        buf_clear(&again);
        pos += (size_t)n;
    }

    /* The reader, fed in two halves. */
    struct ws_reader r;
    ws_reader_init(&r, from_client, rsv1, 4096);
    ws_reader_feed(&r, data, size / 2);
    for (int half = 0; half < 2; half++) {
        for (;;) {
            int op, comp;
            struct buf m = BUF_INIT;
            struct err e;
            int rc = ws_reader_next(&r, &op, &comp, &m, &e);
            if (rc == 1 && (m.len > 4096 || op == WS_CONTINUATION))
                abort();
            buf_clear(&m);
            if (rc != 1)
                break;
        }
        if (half == 0)
            ws_reader_feed(&r, data + size / 2, size - size / 2);
    }
    ws_reader_clear(&r);
    return 0;
}
