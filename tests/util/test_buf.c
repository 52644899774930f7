#include <stdint.h>

#include "../lib/test.h"
#include "util/buf.h"

TEST(buf_append_consume_compact)
{
    struct buf b = BUF_INIT;
    buf_append_str(&b, "hello ");
    buf_printf(&b, "%s %d", "world", 42);
    ASSERT_BUF_STR(&b, "hello world 42");
    buf_consume(&b, 6);
    ASSERT_BUF_STR(&b, "world 42");
    /* Filling past capacity after a consume must keep every byte. */
    size_t room = b.cap - b.len;
    for (size_t i = 0; i < room + 10; i++)
        buf_append(&b, "x", 1);
    ASSERT_EQ(b.len, 8 + room + 10);
    ASSERT(b.off + b.len <= b.cap);
    ASSERT_MEMEQ(buf_ptr(&b), 8, "world 42", 8);
    buf_consume(&b, b.len + 5);
    ASSERT_EQ(b.len, 0);
    ASSERT_EQ(b.off, 0);
    buf_clear(&b);
    ASSERT(b.data == NULL);
}

/* A consumed prefix smaller than the rest is not worth moving the rest for. */
TEST(buf_small_prefix_grows_instead_of_moving)
{
    struct buf b = BUF_INIT;
    char fill[60];
    memset(fill, 'a', sizeof(fill));
    buf_append(&b, fill, sizeof(fill));
    ASSERT_EQ(b.cap, 64);
    buf_consume(&b, 10);
    buf_append(&b, "0123456789", 10);
    /* 10 consumed < 50 left: no compaction, the prefix stays where it was. */
    ASSERT_EQ(b.off, 10);
    ASSERT_EQ(b.len, 60);
    ASSERT_EQ(b.cap, 128);
    ASSERT_MEMEQ(buf_ptr(&b) + 50, 10, "0123456789", 10);
    buf_clear(&b);
}

/* A consumed prefix at least as large as the rest is reused. */
TEST(buf_large_prefix_compacts)
{
    struct buf b = BUF_INIT;
    char fill[60];
    memset(fill, 'a', sizeof(fill));
    buf_append(&b, fill, sizeof(fill));
    buf_consume(&b, 30);
    uint8_t *before = b.data;
    buf_append(&b, "0123456789", 10);
    /* 30 consumed >= 30 left: the rest moves to the front, no new storage. */
    ASSERT_EQ(b.off, 0);
    ASSERT_EQ(b.len, 40);
    ASSERT_EQ(b.cap, 64);
    ASSERT(b.data == before);
    ASSERT_MEMEQ(buf_ptr(&b) + 30, 10, "0123456789", 10);
    buf_clear(&b);
}

/*
 * Random appends and consumes against a plain array: the contents always
 * match, off + len <= cap holds, and the bytes moved by compaction never
 * exceed the bytes consumed (the rule that keeps a send buffer linear).
 */
TEST(buf_random_ops_keep_invariants)
{
    struct buf b = BUF_INIT;
    size_t model_cap = 1 << 20;
    uint8_t *model = malloc(model_cap), *chunk = malloc(4096);
    size_t mstart = 0, mend = 0, consumed = 0, moved = 0;
    unsigned seed = 12345;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % 4096;
        if ((seed >> 4) % 3 != 0) {
            if (mend + n > model_cap)
                break;
            for (size_t k = 0; k < n; k++)
                chunk[k] = (uint8_t)(mend + k);
            size_t off0 = b.off, len0 = b.len;
            buf_append(&b, chunk, n);
            if (n && off0 > 0 && b.off == 0)
                moved += len0;
            memcpy(model + mend, chunk, n);
            mend += n;
        } else {
            if (n > mend - mstart)
                n = mend - mstart;
            buf_consume(&b, n);
            mstart += n;
            consumed += n;
        }
        ASSERT(b.off + b.len <= b.cap);
        ASSERT_MEMEQ(buf_ptr(&b), b.len, model + mstart, mend - mstart);
    }
    ASSERT(consumed > 0);
    ASSERT(moved <= consumed);
    buf_clear(&b);
    free(model);
    free(chunk);
}

/*
 * A large rest sent in small pieces while more is appended (a body behind a
 * slow socket): compaction moves at most what was consumed, where moving the
 * whole rest on every append would have moved gigabytes here.
 */
TEST(buf_send_buffer_stays_linear)
{
    struct buf b = BUF_INIT;
    static uint8_t piece[16384];
    for (int i = 0; i < 512; i++)
        buf_append(&b, piece, sizeof(piece)); /* 8 MiB queued */
    size_t consumed = 0, moved = 0;
    for (int i = 0; i < 4096; i++) {
        buf_consume(&b, sizeof(piece));
        consumed += sizeof(piece);
        size_t off0 = b.off, len0 = b.len;
        buf_append(&b, piece, sizeof(piece));
        if (off0 > 0 && b.off == 0)
            moved += len0;
    }
    ASSERT_EQ(b.len, 512 * sizeof(piece));
    ASSERT(moved <= consumed);
    /* The prefix is reclaimed: the storage stays within 4x what is held. */
    ASSERT(b.cap <= 4 * b.len);
    buf_clear(&b);
}

/*
 * Past 4 MiB a buffer is a mapping of its own, aligned for huge pages and
 * grown by mremap(): the bytes (and a consumed prefix) survive each growth,
 * from malloc'ed storage into a mapping and from mapping to mapping, and
 * moving and clearing such a buffer works as for a small one.
 */
TEST(buf_big_storage_keeps_bytes)
{
    struct buf b = BUF_INIT, moved = BUF_INIT;
    static uint8_t piece[1 << 20];
    /* Stream positions: "xxxx" is 0..3, of which 0..2 are consumed; the
     * prefix is smaller than the rest, so growth keeps it. */
    buf_append(&b, "xxxx", 4);
    buf_consume(&b, 3);
    size_t end = 4;
    while (end < (40u << 20)) {
        for (size_t i = 0; i < sizeof(piece); i++)
            piece[i] = (uint8_t)((end + i) * 7);
        buf_append(&b, piece, sizeof(piece));
        end += sizeof(piece);
        if (b.cap >= (4u << 20)) {
            ASSERT_EQ((uintptr_t)b.data % (2u << 20), 0);
            ASSERT_EQ(b.cap % (2u << 20), 0);
        }
        ASSERT(b.off + b.len <= b.cap);
    }
    ASSERT_EQ(b.len, end - 3);
    ASSERT_EQ(buf_ptr(&b)[0], 'x');
    for (size_t pos = 4; pos < end; pos += 4093)
        ASSERT_EQ(buf_ptr(&b)[pos - 3], (uint8_t)(pos * 7));
    ASSERT_EQ(buf_ptr(&b)[end - 1 - 3], (uint8_t)((end - 1) * 7));
    buf_move(&moved, &b);
    ASSERT(b.data == NULL);
    buf_consume(&moved, moved.len - 1);
    buf_append(&moved, "yz", 2);
    ASSERT_EQ(moved.len, 3);
    ASSERT_MEMEQ(buf_ptr(&moved) + 1, 2, "yz", 2);
    buf_clear(&moved);
    ASSERT(moved.data == NULL);
}

TEST(slice_nocase)
{
    ASSERT(slice_eq_cstr_nocase(SLICE_STR("Content-Length"), "content-length"));
    ASSERT(!slice_eq_cstr_nocase(SLICE_STR("Content-Length"), "content-lengt"));
    char *s = slice_strdup(SLICE_STR("abc"));
    ASSERT_STREQ(s, "abc");
    free(s);
}
