/*
 * The WebSocket frame codec: every framing rule of RFC 6455 section 5, and
 * the message reader fed in every possible split.
 */
#include <string.h>

#include "../lib/test.h"
#include "http/ws.h"

/* Close payload: status 1000, reason "done". */
#define CLOSE_DONE                                                                                 \
    "\x03\xe8"                                                                                     \
    "done"

static const uint8_t KEY[4] = {0x37, 0xfa, 0x21, 0x3d};

/* Writes a frame and parses it back, checking every field. */
static void
roundtrip(size_t n, int from_client)
{
    struct buf src = BUF_INIT, wire = BUF_INIT, out = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_append(&src, &(uint8_t){(uint8_t)(i * 7)}, 1);
    ws_frame_write(&wire, 1, 0, WS_BINARY, from_client ? KEY : NULL, buf_ptr(&src), n);
    size_t head = (n < 126 ? 2 : n <= 0xffff ? 4 : 10) + (from_client ? 4 : 0);
    ASSERT_EQ(wire.len, head + n);
    struct ws_frame f;
    struct err e = {0};
    /* Every prefix is incomplete; nothing is appended until the frame is whole. */
    for (size_t cut = 0; cut < wire.len; cut += (cut < 20 ? 1 : 997)) {
        ASSERT_EQ(ws_frame_parse(buf_ptr(&wire), cut, from_client, 0, 0, &f, &out, &e),
                  MP_ERR_INCOMPLETE);
        ASSERT_EQ(out.len, 0);
    }
    ASSERT_EQ(ws_frame_parse(buf_ptr(&wire), wire.len, from_client, 0, 0, &f, &out, &e),
              (ssize_t)wire.len);
    ASSERT_EQ(f.fin, 1);
    ASSERT_EQ(f.opcode, WS_BINARY);
    ASSERT_EQ(f.masked, from_client);
    ASSERT_EQ(f.len, n);
    ASSERT_MEMEQ(buf_ptr(&out), out.len, buf_ptr(&src), n);
    buf_clear(&src);
    buf_clear(&wire);
    buf_clear(&out);
}

TEST(ws_frame_lengths)
{
    size_t sizes[] = {0, 1, 125, 126, 127, 1000, 65535, 65536, 70000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        roundtrip(sizes[i], 0);
        roundtrip(sizes[i], 1);
    }
}

TEST(ws_frame_known_bytes)
{
    /* RFC 6455 5.7: a single-frame masked text message "Hello". */
    static const uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                     0x7f, 0x9f, 0x4d, 0x51, 0x58};
    struct buf out = BUF_INIT, w = BUF_INIT;
    struct ws_frame f;
    struct err e = {0};
    ASSERT_EQ(ws_frame_parse(masked, sizeof(masked), 1, 0, 0, &f, &out, &e), 11);
    ASSERT_BUF_STR(&out, "Hello");
    ASSERT_EQ(f.opcode, WS_TEXT);
    ws_frame_write(&w, 1, 0, WS_TEXT, KEY, "Hello", 5);
    ASSERT_MEMEQ(buf_ptr(&w), w.len, masked, sizeof(masked));
    buf_reset(&w);
    ws_frame_write(&w, 1, 0, WS_TEXT, NULL, "Hello", 5);
    ASSERT_MEMEQ(buf_ptr(&w), w.len, "\x81\x05Hello", 7);
    buf_reset(&w);
    /* 256 bytes binary: 16-bit length 0x0100. */
    uint8_t big[256] = {0};
    ws_frame_write(&w, 1, 0, WS_BINARY, NULL, big, 256);
    ASSERT_MEMEQ(buf_ptr(&w), 4, "\x82\x7e\x01\x00", 4);
    buf_reset(&w);
    ws_frame_write(&w, 0, 1, WS_TEXT, NULL, "x", 1);
    ASSERT_MEMEQ(buf_ptr(&w), w.len, "\x41\x01x", 3);
    buf_clear(&w);
    buf_clear(&out);
}

static int
parse_err(const char *p, size_t n, int from_client, int rsv1)
{
    struct buf out = BUF_INIT;
    struct ws_frame f;
    struct err e = {0};
    ssize_t r = ws_frame_parse((const uint8_t *)p, n, from_client, rsv1, 1000, &f, &out, &e);
    buf_clear(&out);
    return (int)r;
}

TEST(ws_frame_rules)
{
    /* Reserved opcodes. */
    for (int op = 3; op <= 7; op++) {
        char b[2] = {(char)(0x80 | op), 0};
        ASSERT_EQ(parse_err(b, 2, 0, 0), MP_ERR_PROTOCOL);
    }
    for (int op = 0xb; op <= 0xf; op++) {
        char b[2] = {(char)(0x80 | op), 0};
        ASSERT_EQ(parse_err(b, 2, 0, 0), MP_ERR_PROTOCOL);
    }
    /* RSV bits: RSV1 only with permessage-deflate, RSV2/3 never. */
    ASSERT_EQ(parse_err("\xc1\x00", 2, 0, 0), MP_ERR_PROTOCOL);
    ASSERT_EQ(parse_err("\xc1\x00", 2, 0, 1), 2);
    ASSERT_EQ(parse_err("\xa1\x00", 2, 0, 1), MP_ERR_PROTOCOL);
    ASSERT_EQ(parse_err("\x91\x00", 2, 0, 1), MP_ERR_PROTOCOL);
    ASSERT_EQ(parse_err("\xc9\x00", 2, 0, 1), MP_ERR_PROTOCOL); /* compressed ping */
    /* Masking by direction. */
    ASSERT_EQ(parse_err("\x81\x00", 2, 1, 0), MP_ERR_PROTOCOL);
    ASSERT_EQ(parse_err("\x81\x80\x01\x02\x03\x04", 6, 0, 0), MP_ERR_PROTOCOL);
    ASSERT_EQ(parse_err("\x81\x80\x01\x02\x03\x04", 6, 1, 0), 6);
    /* Control frames: not fragmented, at most 125 bytes. */
    ASSERT_EQ(parse_err("\x09\x00", 2, 0, 0), MP_ERR_PROTOCOL);
    ASSERT_EQ(parse_err("\x89\x7e\x00\x7e", 4, 0, 0), MP_ERR_PROTOCOL);
    char ping[2 + 125] = "\x89\x7d";
    ASSERT_EQ(parse_err(ping, sizeof(ping), 0, 0), (int)sizeof(ping));
    /* Lengths must be minimal; the 64-bit form has its top bit clear. */
    ASSERT_EQ(parse_err("\x82\x7e\x00\x7d", 4, 0, 0), MP_ERR_PROTOCOL);
    ASSERT_EQ(parse_err("\x82\x7f\x00\x00\x00\x00\x00\x00\xff\xff", 10, 0, 0), MP_ERR_PROTOCOL);
    ASSERT_EQ(parse_err("\x82\x7f\x80\x00\x00\x00\x00\x01\x00\x00", 10, 0, 0), MP_ERR_PROTOCOL);
    /* The payload limit is checked from the head, before the bytes come. */
    ASSERT_EQ(parse_err("\x82\x7e\x03\xe9", 4, 0, 0), MP_ERR_LIMIT);
    ASSERT_EQ(parse_err("\x82\x7e\x03\xe8", 4, 0, 0), MP_ERR_INCOMPLETE);
}

/* Two data messages (one fragmented, a ping in between) and a close, from a client. */
static void
client_stream(struct buf *w)
{
    ws_frame_write(w, 0, 0, WS_TEXT, KEY, "hel", 3);
    ws_frame_write(w, 0, 0, WS_CONTINUATION, KEY, "l", 1);
    ws_frame_write(w, 1, 0, WS_PING, KEY, "p!", 2);
    ws_frame_write(w, 1, 0, WS_CONTINUATION, KEY, "o", 1);
    ws_frame_write(w, 1, 0, WS_BINARY, KEY, "\x00\x01\xff", 3);
    ws_frame_write(w, 1, 0, WS_CLOSE, KEY, CLOSE_DONE, 6);
}

static void
check_messages(struct ws_reader *r, int *count)
{
    static const struct {
        int opcode;
        const char *p;
        size_t n;
    } want[] = {{WS_PING, "p!", 2},
                {WS_TEXT, "hello", 5},
                {WS_BINARY, "\x00\x01\xff", 3},
                {WS_CLOSE, CLOSE_DONE, 6}};
    for (;;) {
        int op, comp;
        struct buf m = BUF_INIT;
        struct err e = {0};
        int rc = ws_reader_next(r, &op, &comp, &m, &e);
        ASSERT(rc >= 0);
        if (rc == 0)
            break;
        ASSERT(*count < 4);
        ASSERT_EQ(op, want[*count].opcode);
        ASSERT_EQ(comp, 0);
        ASSERT_MEMEQ(buf_ptr(&m), m.len, want[*count].p, want[*count].n);
        (*count)++;
        buf_clear(&m);
    }
}

TEST(ws_reader_every_split)
{
    struct buf w = BUF_INIT;
    client_stream(&w);
    for (size_t cut = 0; cut <= w.len; cut++) {
        struct ws_reader r;
        ws_reader_init(&r, 1, 0, 0);
        int count = 0;
        ws_reader_feed(&r, buf_ptr(&w), cut);
        check_messages(&r, &count);
        ws_reader_feed(&r, buf_ptr(&w) + cut, w.len - cut);
        check_messages(&r, &count);
        ASSERT_EQ(count, 4);
        ws_reader_clear(&r);
    }
    /* One byte at a time. */
    struct ws_reader r;
    ws_reader_init(&r, 1, 0, 0);
    int count = 0;
    for (size_t i = 0; i < w.len; i++) {
        ws_reader_feed(&r, buf_ptr(&w) + i, 1);
        check_messages(&r, &count);
    }
    ASSERT_EQ(count, 4);
    ws_reader_clear(&r);
    buf_clear(&w);
}

static int
reader_err(void (*build)(struct buf *), uint64_t limit)
{
    struct buf w = BUF_INIT, m = BUF_INIT;
    build(&w);
    struct ws_reader r;
    ws_reader_init(&r, 0, 1, limit);
    ws_reader_feed(&r, buf_ptr(&w), w.len);
    int op, comp, rc;
    struct err e = {0};
    while ((rc = ws_reader_next(&r, &op, &comp, &m, &e)) == 1)
        buf_reset(&m);
    ws_reader_clear(&r);
    buf_clear(&w);
    buf_clear(&m);
    return rc;
}

static void
lone_continuation(struct buf *w)
{
    ws_frame_write(w, 1, 0, WS_CONTINUATION, NULL, "x", 1);
}

static void
nested_message(struct buf *w)
{
    ws_frame_write(w, 0, 0, WS_TEXT, NULL, "x", 1);
    ws_frame_write(w, 1, 0, WS_TEXT, NULL, "y", 1);
}

static void
rsv1_continuation(struct buf *w)
{
    ws_frame_write(w, 0, 1, WS_TEXT, NULL, "x", 1);
    ws_frame_write(w, 1, 1, WS_CONTINUATION, NULL, "y", 1);
}

static void
long_message(struct buf *w)
{
    ws_frame_write(w, 0, 0, WS_BINARY, NULL, "abcdef", 6);
    ws_frame_write(w, 1, 0, WS_CONTINUATION, NULL, "ghijkl", 6);
}

static void
compressed_message(struct buf *w)
{
    ws_frame_write(w, 0, 1, WS_TEXT, NULL, "x", 1);
    ws_frame_write(w, 1, 0, WS_CONTINUATION, NULL, "y", 1);
}

TEST(ws_reader_errors)
{
    ASSERT_EQ(reader_err(lone_continuation, 0), MP_ERR_PROTOCOL);
    ASSERT_EQ(reader_err(nested_message, 0), MP_ERR_PROTOCOL);
    ASSERT_EQ(reader_err(rsv1_continuation, 0), MP_ERR_PROTOCOL);
    ASSERT_EQ(reader_err(long_message, 10), MP_ERR_LIMIT);
    ASSERT_EQ(reader_err(long_message, 12), 0);
    ASSERT_EQ(reader_err(compressed_message, 0), 0);
}

TEST(ws_close_payload)
{
    int code;
    const uint8_t *reason;
    size_t n;
    ASSERT_EQ(ws_close_parse((const uint8_t *)"", 0, &code, &reason, &n), 0);
    ASSERT_EQ(code, 1005);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(ws_close_parse((const uint8_t *)CLOSE_DONE, 6, &code, &reason, &n), 0);
    ASSERT_EQ(code, 1000);
    ASSERT_MEMEQ(reason, n, "done", 4);
    ASSERT_EQ(ws_close_parse((const uint8_t *)"\x03", 1, &code, &reason, &n), MP_ERR_PROTOCOL);
}

TEST(ws_mask_offset)
{
    uint8_t a[9] = "abcdefgh";
    ws_mask(a, 3, KEY, 0);
    ws_mask(a + 3, 5, KEY, 3);
    ws_mask(a, 8, KEY, 0);
    ASSERT_MEMEQ(a, 8, "abcdefgh", 8);
}

TEST(ws_deflate_params_parse)
{
    int cb, cn, sb, sn;
    ASSERT_EQ(ws_deflate_params("permessage-deflate", &cb, &cn, &sb, &sn), 1);
    ASSERT(cb == 15 && sb == 15 && !cn && !sn);
    ASSERT_EQ(ws_deflate_params("x-other; a=1, permessage-deflate; client_max_window_bits=10;"
                                " server_no_context_takeover",
                                &cb, &cn, &sb, &sn),
              1);
    ASSERT(cb == 10 && sb == 15 && !cn && sn);
    ASSERT_EQ(ws_deflate_params("permessage-deflate;server_max_window_bits=\"12\";"
                                "client_no_context_takeover",
                                &cb, &cn, &sb, &sn),
              1);
    ASSERT(cb == 15 && sb == 12 && cn && !sn);
    ASSERT_EQ(ws_deflate_params("x-webkit-deflate-frame", &cb, &cn, &sb, &sn), 0);
    ASSERT_EQ(ws_deflate_params("", &cb, &cn, &sb, &sn), 0);
}

TEST(ws_deflate_rfc7692_vectors)
{
    /* RFC 7692 7.2.3.1 and 7.2.3.2: "Hello" twice with context takeover. */
    struct ws_deflate d;
    struct buf out = BUF_INIT;
    struct err e = {0};
    ws_deflate_init(&d, 15, 0);
    ASSERT_EQ(
        ws_inflate_message(&d, (const uint8_t *)"\xf2\x48\xcd\xc9\xc9\x07\x00", 7, 0, &out, &e), 0);
    ASSERT_BUF_STR(&out, "Hello");
    buf_reset(&out);
    ASSERT_EQ(ws_inflate_message(&d, (const uint8_t *)"\xf2\x00\x11\x00\x00", 5, 0, &out, &e), 0);
    ASSERT_BUF_STR(&out, "Hello");
    buf_reset(&out);
    /* 7.2.3.3: a stored (uncompressed) block; 7.2.3.4: BFINAL set. */
    ASSERT_EQ(
        ws_inflate_message(&d, (const uint8_t *)"\x00\x05\x00\xfa\xffHello\x00", 11, 0, &out, &e),
        0);
    ASSERT_BUF_STR(&out, "Hello");
    buf_reset(&out);
    ASSERT_EQ(
        ws_inflate_message(&d, (const uint8_t *)"\xf3\x48\xcd\xc9\xc9\x07\x00\x00", 8, 0, &out, &e),
        0);
    ASSERT_BUF_STR(&out, "Hello");
    buf_reset(&out);
    ASSERT_EQ(ws_inflate_message(&d, (const uint8_t *)"\xff\xff\xff", 3, 0, &out, &e),
              MP_ERR_PROTOCOL);
    ws_deflate_clear(&d);
    buf_clear(&out);
}

TEST(ws_deflate_roundtrip)
{
    for (int nt = 0; nt < 2; nt++) {
        struct ws_deflate a, b;
        ws_deflate_init(&a, 10, nt);
        ws_deflate_init(&b, 10, nt);
        struct buf big = BUF_INIT;
        for (int i = 0; i < 20000; i++)
            buf_printf(&big, "%d,", i % 97);
        for (int round = 0; round < 3; round++) {
            struct buf z = BUF_INIT, plain = BUF_INIT;
            struct err e = {0};
            ws_deflate_message(&a, buf_ptr(&big), big.len, &z);
            ASSERT(z.len < big.len / 4);
            ASSERT_EQ(ws_inflate_message(&b, buf_ptr(&z), z.len, 0, &plain, &e), 0);
            ASSERT_MEMEQ(buf_ptr(&plain), plain.len, buf_ptr(&big), big.len);
            /* Limits count decompressed bytes. */
            struct ws_deflate c;
            ws_deflate_init(&c, 15, 0);
            buf_reset(&plain);
            if (round == 0)
                ASSERT_EQ(ws_inflate_message(&c, buf_ptr(&z), z.len, 1000, &plain, &e),
                          MP_ERR_LIMIT);
            ws_deflate_clear(&c);
            buf_clear(&z);
            buf_clear(&plain);
        }
        ws_deflate_clear(&a);
        ws_deflate_clear(&b);
        buf_clear(&big);
    }
}
