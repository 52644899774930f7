/*
 * Content encodings: round trips for every coding, the fixtures recorded
 * by mitmproxy 8.1.1 (decoded sizes and hashes from their manifests), and
 * the failure rules: corrupt data, unknown codings and bombs leave the
 * output untouched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "../lib/test.h"
#include "flow/flowfile.h"
#include "http/encoding.h"

static const char *const codings[] = {"identity", "gzip", "deflate", "br", "zstd"};

static void
fill(struct buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)("lorem ipsum dolor sit amet "[i % 27] ^ (i / 1000 % 3));
        buf_append(b, &c, 1);
    }
}

TEST(enc_round_trip_every_coding)
{
    size_t sizes[] = {0, 1, 100, 200000};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        struct buf plain = BUF_INIT;
        fill(&plain, sizes[s]);
        for (size_t i = 0; i < sizeof(codings) / sizeof(codings[0]); i++) {
            struct buf enc = BUF_INIT, dec = BUF_INIT;
            struct err e = {0};
            ASSERT_EQ(enc_encode(codings[i], buf_ptr(&plain), plain.len, &enc, &e), 0);
            if (sizes[s] > 0 && strcmp(codings[i], "identity") != 0)
                ASSERT(enc.len < plain.len || sizes[s] < 200);
            ASSERT_EQ(enc_decode(codings[i], buf_ptr(&enc), enc.len, &dec, 0, &e), 0);
            ASSERT_MEMEQ(buf_ptr(&dec), dec.len, buf_ptr(&plain), plain.len);
            buf_clear(&enc);
            buf_clear(&dec);
        }
        buf_clear(&plain);
    }
}

TEST(enc_names_ignore_case)
{
    struct buf enc = BUF_INIT, dec = BUF_INIT;
    ASSERT_EQ(enc_encode("GZip", (const uint8_t *)"abc", 3, &enc, NULL), 0);
    ASSERT_EQ(enc_decode("GZIP", buf_ptr(&enc), enc.len, &dec, 0, NULL), 0);
    ASSERT_BUF_STR(&dec, "abc");
    buf_clear(&enc);
    buf_clear(&dec);
}

TEST(enc_decode_appends)
{
    struct buf enc = BUF_INIT, out = BUF_INIT;
    buf_append_str(&out, "pre:");
    ASSERT_EQ(enc_encode("br", (const uint8_t *)"abc", 3, &enc, NULL), 0);
    ASSERT_EQ(enc_decode("br", buf_ptr(&enc), enc.len, &out, 0, NULL), 0);
    ASSERT_BUF_STR(&out, "pre:abc");
    buf_clear(&enc);
    buf_clear(&out);
}

TEST(enc_deflate_raw_accepted)
{
    /* Raw deflate of "hello" (no zlib header), as some servers send. */
    static const uint8_t raw[] = {0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
    struct buf out = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(enc_decode("deflate", raw, sizeof(raw), &out, 0, &e), 0);
    ASSERT_BUF_STR(&out, "hello");
    buf_clear(&out);
}

TEST(enc_corrupt_leaves_out_untouched)
{
    static const uint8_t junk[] = "this is not compressed at all, really";
    const char *bad[] = {"gzip", "deflate", "br", "zstd"};
    for (size_t i = 0; i < 4; i++) {
        struct buf out = BUF_INIT;
        buf_append_str(&out, "keep");
        struct err e = {0};
        int rc = enc_decode(bad[i], junk, sizeof(junk) - 1, &out, 0, &e);
        ASSERT(rc < 0);
        ASSERT(strstr(e.msg, bad[i]) != NULL);
        ASSERT_BUF_STR(&out, "keep");
        buf_clear(&out);
    }
}

TEST(enc_truncated_is_error)
{
    struct buf plain = BUF_INIT;
    fill(&plain, 5000);
    for (size_t i = 1; i < sizeof(codings) / sizeof(codings[0]); i++) {
        struct buf enc = BUF_INIT, out = BUF_INIT;
        struct err e = {0};
        ASSERT_EQ(enc_encode(codings[i], buf_ptr(&plain), plain.len, &enc, NULL), 0);
        int rc = enc_decode(codings[i], buf_ptr(&enc), enc.len / 2, &out, 0, &e);
        if (rc == 0)
            test_fail(__FILE__, __LINE__, "%s: truncated input decoded", codings[i]);
        ASSERT_EQ(out.len, 0);
        buf_clear(&enc);
        buf_clear(&out);
    }
    buf_clear(&plain);
}

TEST(enc_unknown_coding)
{
    struct buf out = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(enc_decode("compress", (const uint8_t *)"x", 1, &out, 0, &e), MP_ERR_UNSUPPORTED);
    ASSERT(strstr(e.msg, "compress") != NULL);
    ASSERT_EQ(enc_encode("utf8", (const uint8_t *)"x", 1, &out, &e), MP_ERR_UNSUPPORTED);
    ASSERT_EQ(out.len, 0);
}

TEST(enc_bomb_limit)
{
    struct buf plain = BUF_INIT;
    buf_reserve(&plain, 1 << 20);
    memset(buf_ptr(&plain), 0, 1 << 20);
    plain.len = 1 << 20;
    for (size_t i = 1; i < sizeof(codings) / sizeof(codings[0]); i++) {
        struct buf enc = BUF_INIT, out = BUF_INIT;
        struct err e = {0};
        ASSERT_EQ(enc_encode(codings[i], buf_ptr(&plain), plain.len, &enc, NULL), 0);
        ASSERT_EQ(enc_decode(codings[i], buf_ptr(&enc), enc.len, &out, 1000, &e), MP_ERR_LIMIT);
        ASSERT_EQ(out.len, 0);
        ASSERT_EQ(enc_decode(codings[i], buf_ptr(&enc), enc.len, &out, 1 << 20, &e), 0);
        ASSERT_EQ(out.len, 1 << 20);
        buf_clear(&enc);
        buf_clear(&out);
    }
    buf_clear(&plain);
}

TEST(enc_gzip_concatenated_members)
{
    struct buf enc = BUF_INIT, out = BUF_INIT;
    ASSERT_EQ(enc_encode("gzip", (const uint8_t *)"ab", 2, &enc, NULL), 0);
    ASSERT_EQ(enc_encode("gzip", (const uint8_t *)"cd", 2, &enc, NULL), 0);
    ASSERT_EQ(enc_decode("gzip", buf_ptr(&enc), enc.len, &out, 0, NULL), 0);
    ASSERT_BUF_STR(&out, "abcd");
    buf_clear(&enc);
    buf_clear(&out);
}

TEST(enc_decoded_content_lists)
{
    struct hdrs h = HDRS_INIT;
    struct buf body = BUF_INIT, out = BUF_INIT;
    struct err e = {0};
    /* No Content-Encoding: as is. */
    buf_append_str(&body, "plain");
    ASSERT_EQ(enc_decoded_content(&h, &body, &out, &e), 0);
    ASSERT_BUF_STR(&out, "plain");
    buf_reset(&out);

    /* "gzip, br": set_content applies gzip then br; decoding undoes br first. */
    hdrs_add_cstr(&h, "Content-Encoding", "gzip, br");
    hdrs_add_cstr(&h, "Content-Length", "5");
    ASSERT_EQ(enc_set_content(&h, &body, (const uint8_t *)"hello world", 11, &e), 0);
    struct buf step = BUF_INIT, step2 = BUF_INIT;
    ASSERT_EQ(enc_decode("br", buf_ptr(&body), body.len, &step, 0, &e), 0);
    ASSERT_EQ(enc_decode("gzip", buf_ptr(&step), step.len, &step2, 0, &e), 0);
    ASSERT_BUF_STR(&step2, "hello world");
    char num[32];
    snprintf(num, sizeof(num), "%zu", body.len);
    ASSERT_STREQ(hdrs_get(&h, "Content-Length")->value, num);
    ASSERT_EQ(enc_decoded_content(&h, &body, &out, &e), 0);
    ASSERT_BUF_STR(&out, "hello world");

    /* Corrupt: an error and out unchanged. */
    buf_reset(&out);
    buf_append_str(&out, "x");
    buf_set(&body, "garbage", 7);
    ASSERT(enc_decoded_content(&h, &body, &out, &e) < 0);
    ASSERT_BUF_STR(&out, "x");

    /* Unknown coding in the list: an error. */
    hdrs_set_cstr(&h, "Content-Encoding", "gzip, snappy");
    ASSERT(enc_decoded_content(&h, &body, &out, &e) < 0);
    ASSERT(strstr(e.msg, "snappy") != NULL);
    buf_clear(&step);
    buf_clear(&step2);
    buf_clear(&body);
    buf_clear(&out);
    hdrs_clear(&h);
}

TEST(enc_set_content_rules)
{
    struct hdrs h = HDRS_INIT;
    struct buf body = BUF_INIT;
    struct err e = {0};
    /* Identity: bytes as given, Content-Length added. */
    ASSERT_EQ(enc_set_content(&h, &body, (const uint8_t *)"abc", 3, &e), 0);
    ASSERT_BUF_STR(&body, "abc");
    ASSERT_STREQ(hdrs_get(&h, "Content-Length")->value, "3");

    /* Transfer-Encoding: no Content-Length is set. */
    hdrs_clear(&h);
    hdrs_add_cstr(&h, "Transfer-Encoding", "chunked");
    ASSERT_EQ(enc_set_content(&h, &body, (const uint8_t *)"abcd", 4, &e), 0);
    ASSERT(hdrs_get(&h, "Content-Length") == NULL);

    /* An unknown coding is dropped, as mitmproxy's content setter does. */
    hdrs_clear(&h);
    hdrs_add_cstr(&h, "Content-Encoding", "snappy");
    ASSERT_EQ(enc_set_content(&h, &body, (const uint8_t *)"xyz", 3, &e), 0);
    ASSERT(hdrs_get(&h, "Content-Encoding") == NULL);
    ASSERT_BUF_STR(&body, "xyz");
    ASSERT_STREQ(hdrs_get(&h, "Content-Length")->value, "3");

    /* Setting from the body's own bytes is allowed. */
    hdrs_clear(&h);
    hdrs_add_cstr(&h, "Content-Encoding", "zstd");
    buf_set(&body, "same bytes", 10);
    ASSERT_EQ(enc_set_content(&h, &body, buf_ptr(&body), body.len, &e), 0);
    struct buf out = BUF_INIT;
    ASSERT_EQ(enc_decoded_content(&h, &body, &out, &e), 0);
    ASSERT_BUF_STR(&out, "same bytes");
    buf_clear(&out);
    buf_clear(&body);
    hdrs_clear(&h);
}

static void
hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

/* The decoded response bodies of a fixture file, against its manifest. */
static void
check_fixture(const char *name, const char *const *expect, size_t nexpect)
{
    const char *path = test_fixture(name);
    FILE *fp = fopen(path, "rb");
    ASSERT(fp != NULL);
    struct ffile_reader *r = ffile_reader_new(fp, path);
    struct flow *f;
    struct err e = {0};
    size_t i = 0;
    int rc;
    while ((rc = ffile_read(r, &f, &e)) == 1) {
        ASSERT(i < nexpect);
        struct buf out = BUF_INIT;
        ASSERT(f->response != NULL);
        if (enc_decoded_content(&f->response->headers, &f->response->content, &out, &e) < 0)
            test_fail(__FILE__, __LINE__, "%s flow %zu: %s", name, i, e.msg);
        uint8_t md[SHA256_DIGEST_LENGTH];
        SHA256(buf_ptr(&out), out.len, md);
        char got[2 * SHA256_DIGEST_LENGTH + 32];
        hex(md, sizeof(md), got);
        snprintf(got + 2 * SHA256_DIGEST_LENGTH, 32, " %zu", out.len);
        ASSERT_STREQ(got, expect[i]);
        /* Re-encoding with the same coding decodes back to the same bytes. */
        struct hdrs h = HDRS_INIT;
        struct buf body = BUF_INIT, again = BUF_INIT;
        hdrs_copy(&h, &f->response->headers);
        ASSERT_EQ(enc_set_content(&h, &body, buf_ptr(&out), out.len, &e), 0);
        ASSERT_EQ(enc_decoded_content(&h, &body, &again, &e), 0);
        ASSERT_MEMEQ(buf_ptr(&again), again.len, buf_ptr(&out), out.len);
        hdrs_clear(&h);
        buf_clear(&body);
        buf_clear(&again);
        buf_clear(&out);
        flow_unref(f);
        i++;
    }
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(i, nexpect);
    ffile_reader_free(r);
    fclose(fp);
}

TEST(enc_fixture_gzip)
{
    static const char *const expect[] = {
        "af2f62f6d90ab3a8bad02e1ec29f5044e2afbc7bd60e670eb780cdb5f67378f5 2160",
        "6e309d16ebb3604865fdcd256e2609267752d9e4c2d4ecd754b68f8c54132516 100",
    };
    check_fixture("flows/gzip.mitm", expect, 2);
}

TEST(enc_fixture_encodings)
{
    static const char *const expect[] = {
        "a051c536f6f98f2b948d178b10ecd590251115b4746d4d820cc0164addb3a5f7 1536",
        "a051c536f6f98f2b948d178b10ecd590251115b4746d4d820cc0164addb3a5f7 1536",
        "a051c536f6f98f2b948d178b10ecd590251115b4746d4d820cc0164addb3a5f7 1536",
    };
    check_fixture("flows/encodings.mitm", expect, 3);
}
