/*
 * Tests for the ClientHello parser. The three captures are the first bytes
 * real clients sent to a plain socket listener:
 *   cap_openssl: openssl s_client -servername example.com -alpn h2,http/1.1
 *   cap_python:  Python ssl, server_hostname www.example.org, ALPN http/1.1
 *   cap_curl_ip: curl https://127.0.0.1:PORT/ (an IP address: no SNI sent)
 * The rule tests build small ClientHellos by hand so each one breaks exactly
 * one length field or limit.
 */
#include <stdint.h>
#include <string.h>

#include "../lib/test.h"
#include "tls/clienthello.h"
#include "util/buf.h"

static const uint8_t cap_openssl[] = {
    0x16, 0x03, 0x01, 0x01, 0x4a, 0x01, 0x00, 0x01, 0x46, 0x03, 0x03, 0x54, 0x2d, 0x76, 0x44, 0xf0,
    0x56, 0x6d, 0xed, 0x0f, 0x97, 0xd2, 0xaa, 0x3f, 0x1d, 0xac, 0xa0, 0x0f, 0x75, 0xb2, 0xff, 0x11,
    0x20, 0xd3, 0xc7, 0x75, 0x01, 0xff, 0x2e, 0x57, 0x67, 0x33, 0xf1, 0x20, 0x36, 0x89, 0x3f, 0x33,
    0x89, 0xf8, 0x31, 0x29, 0x0b, 0xd9, 0xd8, 0x52, 0x04, 0x33, 0xd5, 0x8a, 0x20, 0xcb, 0xad, 0x9f,
    0x60, 0x38, 0xf8, 0x80, 0x1a, 0x62, 0xe2, 0x55, 0x1f, 0xbe, 0x6a, 0x52, 0x00, 0x3e, 0x13, 0x02,
    0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
    0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27,
    0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d,
    0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0xbf,
    0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x2e, 0x63, 0x6f, 0x6d, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16,
    0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01,
    0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c,
    0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00, 0x00,
    0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03,
    0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06,
    0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02,
    0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, 0x00,
    0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0x9c,
    0x9b, 0x50, 0x50, 0x54, 0xf4, 0x54, 0xd0, 0x0f, 0xa6, 0xec, 0xd3, 0xbe, 0xcb, 0xa8, 0xb0, 0x55,
    0x2e, 0xb5, 0xdd, 0x2f, 0x52, 0xb8, 0x61, 0xb5, 0x1e, 0xcc, 0x1b, 0x4e, 0x09, 0x19, 0x37,
};

static const uint8_t cap_python[] = {
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xb0, 0xc8, 0xfe, 0x25, 0xd3,
    0x97, 0x8c, 0x7a, 0x34, 0x37, 0x59, 0x85, 0x9f, 0xd2, 0x17, 0x16, 0xed, 0x98, 0xcd, 0x11, 0x58,
    0x35, 0x1f, 0x2b, 0x6e, 0xa9, 0x27, 0x8b, 0x0a, 0xe0, 0x37, 0x99, 0x20, 0x6c, 0xaa, 0x81, 0x02,
    0xb5, 0x1f, 0xaf, 0xd3, 0x48, 0x78, 0x8e, 0x97, 0x48, 0x1d, 0x02, 0xb6, 0x5c, 0xae, 0x17, 0x99,
    0x8b, 0xa7, 0xee, 0x12, 0xbe, 0x28, 0x1a, 0x2d, 0x47, 0x91, 0x17, 0xc6, 0x00, 0x3e, 0x13, 0x02,
    0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
    0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27,
    0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d,
    0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x01, 0x75,
    0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 0x77, 0x77, 0x77, 0x2e, 0x65, 0x78, 0x61,
    0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02,
    0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18,
    0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x10,
    0x00, 0x0b, 0x00, 0x09, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00,
    0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06,
    0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08,
    0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05,
    0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01,
    0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20,
    0x9a, 0x04, 0x86, 0x1f, 0x7e, 0x5b, 0xc2, 0x8f, 0xee, 0x32, 0xb9, 0x16, 0x5f, 0x56, 0x8f, 0x83,
    0x75, 0x14, 0x27, 0x2f, 0x2e, 0x94, 0xf1, 0x57, 0xcf, 0x5f, 0xa4, 0x19, 0xa1, 0xb3, 0xd1, 0x4e,
    0x00, 0x15, 0x00, 0xb1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t cap_curl_ip[] = {
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x97, 0x60, 0xc7, 0x88, 0x61,
    0xd8, 0x6b, 0xb0, 0xd7, 0x73, 0xa9, 0x97, 0x37, 0x1a, 0x3a, 0x27, 0x71, 0x24, 0xbd, 0xfd, 0x16,
    0xd2, 0xe2, 0xc8, 0x61, 0x74, 0x18, 0x16, 0xc2, 0x59, 0x17, 0x08, 0x20, 0x7a, 0x25, 0x3c, 0x3b,
    0x5d, 0x8e, 0xc4, 0x83, 0xc8, 0xf1, 0x8d, 0x73, 0xcd, 0x4a, 0x52, 0x42, 0xa3, 0xcd, 0xc7, 0x1e,
    0x30, 0x7c, 0xd9, 0x22, 0x10, 0xc2, 0x37, 0xb3, 0x70, 0xd9, 0xa2, 0x84, 0x00, 0x3e, 0x13, 0x02,
    0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
    0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27,
    0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d,
    0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x01, 0x75,
    0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d,
    0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03,
    0x01, 0x04, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70,
    0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x31, 0x00, 0x00,
    0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08,
    0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01,
    0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b,
    0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01,
    0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0x41, 0x95, 0xa8, 0xaf, 0x0d,
    0x44, 0x42, 0xde, 0x1d, 0x72, 0x3d, 0x17, 0x39, 0xdc, 0xe2, 0xce, 0x59, 0xb6, 0xc9, 0xbc, 0xc5,
    0x3e, 0xa9, 0xca, 0x47, 0x7d, 0x3f, 0xe6, 0x64, 0x30, 0x62, 0x71, 0x00, 0x15, 0x00, 0xc6, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00,
};

#define CAP(a) a, sizeof(a)

static ssize_t
parse(const void *p, size_t n, struct clienthello *ch, struct err *e)
{
    err_clear(e);
    return ch_parse(p, n, ch, e);
}

/* Asserts that parsing fails with MP_ERR_PROTOCOL and a message containing want. */
#define ASSERT_REFUSED(p, n, want)                                                                 \
    do {                                                                                           \
        struct clienthello ch_;                                                                    \
        struct err e_;                                                                             \
        ASSERT_EQ(parse((p), (n), &ch_, &e_), MP_ERR_PROTOCOL);                                    \
        if (strstr(e_.msg, (want)) == NULL)                                                        \
            test_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", e_.msg, (want));          \
    } while (0)

static void
put16(struct buf *b, size_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    buf_append(b, x, 2);
}

static void
put8(struct buf *b, size_t v)
{
    uint8_t x = (uint8_t)v;
    buf_append(b, &x, 1);
}

/* Appends one extension to b. */
static void
ext(struct buf *b, unsigned type, const void *data, size_t n)
{
    put16(b, type);
    put16(b, n);
    buf_append(b, data, n);
}

/* Appends a server_name extension holding one host_name. */
static void
ext_sni(struct buf *b, const void *name, size_t n)
{
    struct buf d = BUF_INIT;
    put16(&d, n + 3);
    put8(&d, 0);
    put16(&d, n);
    buf_append(&d, name, n);
    ext(b, 0, buf_ptr(&d), d.len);
    buf_clear(&d);
}

/* A ClientHello body (after the handshake header) with the given extensions. */
static void
hello_body(struct buf *b, const struct buf *exts)
{
    put16(b, 0x0303);
    for (int i = 0; i < 32; i++)
        put8(b, i);
    put8(b, 32);
    for (int i = 0; i < 32; i++)
        put8(b, 0xa0);
    buf_append(b, "\x00\x04\x13\x01\x13\x02", 6);
    buf_append(b, "\x01\x00", 2);
    if (exts) {
        put16(b, exts->len);
        buf_append(b, buf_ptr(exts), exts->len);
    }
}

/* Wraps a handshake body of type `type` into a single record. */
static void
wrap(struct buf *out, unsigned type, const void *body, size_t n)
{
    buf_append(out, "\x16\x03\x01", 3);
    put16(out, n + 4);
    put8(out, type);
    put8(out, n >> 16);
    put16(out, n & 0xffff);
    buf_append(out, body, n);
}

/* Parses a ClientHello made of body in one record; returns ch_parse's result. */
static ssize_t
parse_body(const struct buf *body, struct clienthello *ch, struct err *e)
{
    struct buf r = BUF_INIT;
    wrap(&r, 1, buf_ptr(body), body->len);
    ssize_t rc = parse(buf_ptr(&r), r.len, ch, e);
    if (rc >= 0)
        ASSERT_EQ(rc, r.len);
    buf_clear(&r);
    return rc;
}

/* Parses a hello whose only extensions are exts; asserts the refusal message. */
static void
refused_exts(const struct buf *exts, const char *want)
{
    struct buf body = BUF_INIT;
    hello_body(&body, exts);
    struct buf r = BUF_INIT;
    wrap(&r, 1, buf_ptr(&body), body.len);
    ASSERT_REFUSED(buf_ptr(&r), r.len, want);
    buf_clear(&r);
    buf_clear(&body);
}

/* Refuses a ClientHello body given as raw bytes, with the message named. */
static void
refused_raw(const void *body, size_t n, const char *want)
{
    struct buf r = BUF_INIT;
    wrap(&r, 1, body, n);
    ASSERT_REFUSED(buf_ptr(&r), r.len, want);
    buf_clear(&r);
}

TEST(ch_capture_openssl)
{
    struct clienthello ch;
    struct err e;
    ASSERT_EQ(parse(CAP(cap_openssl), &ch, &e), sizeof(cap_openssl));
    ASSERT_EQ(ch.length, sizeof(cap_openssl));
    ASSERT_STREQ(ch.sni, "example.com");
    ASSERT_EQ(ch.nalpn, 2);
    ASSERT_STREQ(ch.alpn[0], "h2");
    ASSERT_STREQ(ch.alpn[1], "http/1.1");
    ASSERT_EQ(ch.legacy_version, 0x0303);
    ASSERT_EQ(ch.has_supported_versions, 1);
    ch_free(&ch);
}

TEST(ch_capture_python)
{
    struct clienthello ch;
    struct err e;
    ASSERT_EQ(parse(CAP(cap_python), &ch, &e), sizeof(cap_python));
    ASSERT_EQ(ch.length, 517);
    ASSERT_STREQ(ch.sni, "www.example.org");
    ASSERT_EQ(ch.nalpn, 1);
    ASSERT_STREQ(ch.alpn[0], "http/1.1");
    ASSERT_EQ(ch.has_supported_versions, 1);
    ch_free(&ch);
}

TEST(ch_capture_ip_address_has_no_sni)
{
    struct clienthello ch;
    struct err e;
    ASSERT_EQ(parse(CAP(cap_curl_ip), &ch, &e), sizeof(cap_curl_ip));
    ASSERT_STREQ(ch.sni, "");
    ASSERT_EQ(ch.nalpn, 2);
    ASSERT_STREQ(ch.alpn[0], "h2");
    ASSERT_STREQ(ch.alpn[1], "http/1.1");
    ch_free(&ch);
}

TEST(ch_every_prefix_incomplete)
{
    const struct {
        const uint8_t *p;
        size_t n;
    } caps[] = {{CAP(cap_openssl)}, {CAP(cap_python)}, {CAP(cap_curl_ip)}};
    for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
        for (size_t n = 0; n < caps[c].n; n++) {
            struct clienthello ch;
            struct err e;
            /* A heap copy of exactly n bytes lets ASan catch any over-read. */
            uint8_t *p = malloc(n ? n : 1);
            memcpy(p, caps[c].p, n);
            ssize_t rc = parse(p, n, &ch, &e);
            free(p);
            if (rc != MP_ERR_INCOMPLETE)
                test_fail(__FILE__, __LINE__, "capture %zu prefix %zu: %zd", c, n, rc);
        }
    }
}

TEST(ch_bytes_after_the_records_are_left)
{
    /* Early data or a pipelined record after the hello is not consumed. */
    uint8_t p[sizeof(cap_openssl) + 8];
    memcpy(p, cap_openssl, sizeof(cap_openssl));
    memcpy(p + sizeof(cap_openssl), "\x17\x03\x03\x00\x03xyz", 8);
    struct clienthello ch;
    struct err e;
    ASSERT_EQ(parse(p, sizeof(p), &ch, &e), sizeof(cap_openssl));
    ch_free(&ch);
}

/* Re-frames the openssl capture as two records split after `at` handshake bytes. */
static size_t
split(uint8_t *out, size_t at)
{
    const uint8_t *hs = cap_openssl + 5;
    size_t n = sizeof(cap_openssl) - 5;
    memcpy(out, "\x16\x03\x01", 3);
    out[3] = (uint8_t)(at >> 8);
    out[4] = (uint8_t)at;
    memcpy(out + 5, hs, at);
    memcpy(out + 5 + at, "\x16\x03\x01", 3);
    out[5 + at + 3] = (uint8_t)((n - at) >> 8);
    out[5 + at + 4] = (uint8_t)(n - at);
    memcpy(out + 10 + at, hs + at, n - at);
    return n + 10;
}

TEST(ch_split_across_two_records)
{
    uint8_t p[sizeof(cap_openssl) + 5];
    /* Every split point, including inside the 4-byte handshake header. */
    for (size_t at = 1; at < sizeof(cap_openssl) - 5; at++) {
        size_t n = split(p, at);
        struct clienthello ch;
        struct err e;
        ASSERT_EQ(parse(p, n, &ch, &e), n);
        ASSERT_EQ(ch.length, n);
        ASSERT_STREQ(ch.sni, "example.com");
        ASSERT_EQ(ch.nalpn, 2);
        ASSERT_STREQ(ch.alpn[1], "http/1.1");
        ch_free(&ch);
    }
    size_t n = split(p, 100);
    for (size_t k = 0; k < n; k++) {
        struct clienthello ch;
        struct err e;
        ASSERT_EQ(parse(p, k, &ch, &e), MP_ERR_INCOMPLETE);
    }
}

TEST(ch_large_hello_over_four_records)
{
    /* A padding extension (21) grows the hello to nearly 64 KiB. */
    struct buf exts = BUF_INIT, body = BUF_INIT, hs = BUF_INIT, p = BUF_INIT;
    ext_sni(&exts, "big.example", 11);
    size_t pad = 65536 - 4 - 2 - 4 - exts.len - 2 - 32 - 1 - 32 - 2 - 4 - 2;
    uint8_t *zero = calloc(1, pad);
    ext(&exts, 21, zero, pad);
    free(zero);
    hello_body(&body, &exts);
    ASSERT_EQ(body.len + 4, 65536);
    put8(&hs, 1);
    put8(&hs, body.len >> 16);
    put16(&hs, body.len & 0xffff);
    buf_append(&hs, buf_ptr(&body), body.len);
    for (size_t off = 0; off < hs.len; off += 16384) {
        size_t n = hs.len - off < 16384 ? hs.len - off : 16384;
        buf_append(&p, "\x16\x03\x03", 3);
        put16(&p, n);
        buf_append(&p, buf_ptr(&hs) + off, n);
    }
    struct clienthello ch;
    struct err e;
    ASSERT_EQ(parse(buf_ptr(&p), p.len, &ch, &e), p.len);
    ASSERT_STREQ(ch.sni, "big.example");
    ch_free(&ch);
    ASSERT_EQ(parse(buf_ptr(&p), p.len - 1, &ch, &e), MP_ERR_INCOMPLETE);
    buf_clear(&exts);
    buf_clear(&body);
    buf_clear(&hs);
    buf_clear(&p);
}

TEST(ch_not_tls)
{
    ASSERT_REFUSED("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27, "not a TLS handshake record");
    /* One byte is enough to know. */
    ASSERT_REFUSED("G", 1, "not a TLS handshake record");
    /* An alert record, then SSLv2-style and future major versions. */
    ASSERT_REFUSED("\x15\x03\x03\x00\x02\x02\x28", 7, "not a TLS handshake record");
    ASSERT_REFUSED("\x16\x02\x00\x00\x10", 5, "not a TLS handshake record");
    ASSERT_REFUSED("\x16\x03\x10\x00\x10", 5, "not a TLS handshake record");
}

TEST(ch_non_handshake_record_in_the_middle)
{
    uint8_t p[sizeof(cap_openssl) + 5];
    size_t n = split(p, 50);
    p[5 + 50] = 0x17;
    ASSERT_REFUSED(p, n, "not a TLS handshake record (content type 23)");
}

TEST(ch_record_too_long)
{
    ASSERT_REFUSED("\x16\x03\x01\x48\x01", 5, "record too long");
    /* 2^14 + 2048 itself is allowed and just waits for more. */
    struct clienthello ch;
    struct err e;
    ASSERT_EQ(parse("\x16\x03\x01\x48\x00\x01", 6, &ch, &e), MP_ERR_INCOMPLETE);
}

TEST(ch_empty_record)
{
    ASSERT_REFUSED("\x16\x03\x01\x00\x00\x16\x03\x01\x00\x01\x01", 11, "empty handshake record");
}

TEST(ch_not_clienthello)
{
    ASSERT_REFUSED("\x16\x03\x03\x00\x30\x02\x00\x00\x2c", 9,
                   "not a ClientHello (handshake type 2)");
    /* Known from the first handshake byte already. */
    ASSERT_REFUSED("\x16\x03\x03\x00\x30\x0b", 6, "not a ClientHello (handshake type 11)");
}

TEST(ch_hello_too_long)
{
    ASSERT_REFUSED("\x16\x03\x01\x00\x04\x01\x00\xff\xfd", 9, "ClientHello too long");
    /* 64 KiB including the header is the largest allowed: still waiting. */
    struct clienthello ch;
    struct err e;
    ASSERT_EQ(parse("\x16\x03\x01\x40\x00\x01\x00\xff\xfc", 9, &ch, &e), MP_ERR_INCOMPLETE);
}

TEST(ch_record_longer_than_hello)
{
    struct buf body = BUF_INIT, r = BUF_INIT;
    hello_body(&body, NULL);
    wrap(&r, 1, buf_ptr(&body), body.len);
    buf_append(&r, "\x01\x00\x00\x00", 4);
    uint8_t *p = r.data + r.off;
    p[4] += 4;
    ASSERT_REFUSED(p, r.len, "4 bytes after the ClientHello in its record");
    buf_clear(&body);
    buf_clear(&r);
}

TEST(ch_every_body_truncation_refused)
{
    /* The handshake length says the message ends early: every cut is an error. */
    struct buf exts = BUF_INIT, body = BUF_INIT;
    ext_sni(&exts, "example.com", 11);
    ext(&exts, 16, "\x00\x0c\x02h2\x08http/1.1", 14);
    ext(&exts, 43, "\x04\x03\x04\x03\x03", 5);
    hello_body(&body, &exts);
    struct clienthello ch;
    struct err e;
    ASSERT_EQ(parse_body(&body, &ch, &e), body.len + 9);
    ch_free(&ch);
    /* Cutting exactly before the extensions block leaves a valid TLS 1.2 hello. */
    size_t noext = body.len - exts.len - 2;
    for (size_t n = 0; n < body.len; n++) {
        struct buf cut = BUF_INIT;
        buf_append(&cut, buf_ptr(&body), n);
        ssize_t rc = parse_body(&cut, &ch, &e);
        buf_clear(&cut);
        ch_free(&ch);
        if (n == noext)
            ASSERT_EQ(rc, n + 9);
        else if (rc != MP_ERR_PROTOCOL)
            test_fail(__FILE__, __LINE__, "cut at %zu: %zd", n, rc);
    }
    buf_clear(&exts);
    buf_clear(&body);
}

TEST(ch_truncated_fixed_fields)
{
    refused_raw("\x03", 1, "truncated legacy_version");
    refused_raw("\x03\x03\x00\x00", 4, "truncated random");
    uint8_t b[40] = {3, 3};
    refused_raw(b, 34, "truncated session_id");
    b[34] = 5;
    refused_raw(b, 37, "truncated session_id");
}

TEST(ch_session_id_too_long)
{
    uint8_t b[2 + 32 + 1 + 33 + 4 + 2] = {3, 3};
    b[34] = 33;
    memcpy(b + 68, "\x00\x02\x13\x01\x01\x00", 6);
    refused_raw(b, sizeof(b), "session_id too long");
}

TEST(ch_cipher_suites_length)
{
    uint8_t b[2 + 32 + 1 + 8] = {3, 3};
    memcpy(b + 35, "\x00\x03\x13\x01\x13\x01\x00", 7);
    refused_raw(b, 42, "bad cipher_suites length 3");
    memcpy(b + 35, "\x00\x00\x01\x00", 4);
    refused_raw(b, 39, "bad cipher_suites length 0");
    memcpy(b + 35, "\x00\x08\x13\x01\x13\x02", 6);
    refused_raw(b, 41, "truncated cipher_suites");
}

TEST(ch_compression_methods_length)
{
    uint8_t b[2 + 32 + 1 + 8] = {3, 3};
    memcpy(b + 35, "\x00\x02\x13\x01\x00", 5);
    refused_raw(b, 40, "empty compression_methods");
    memcpy(b + 35, "\x00\x02\x13\x01\x03\x00", 6);
    refused_raw(b, 41, "truncated compression_methods");
    refused_raw(b, 39, "truncated compression_methods");
}

TEST(ch_no_extensions)
{
    struct buf body = BUF_INIT;
    hello_body(&body, NULL);
    struct clienthello ch;
    struct err e;
    ASSERT_EQ(parse_body(&body, &ch, &e), body.len + 9);
    ASSERT_STREQ(ch.sni, "");
    ASSERT_EQ(ch.nalpn, 0);
    ASSERT_EQ(ch.has_supported_versions, 0);
    ch_free(&ch);
    buf_clear(&body);
}

TEST(ch_extensions_length_mismatch)
{
    struct buf body = BUF_INIT, exts = BUF_INIT;
    ext(&exts, 23, "", 0);
    hello_body(&body, &exts);
    uint8_t *p = body.data + body.off;
    p[body.len - 5] = 5; /* says 5, holds 4 */
    refused_raw(p, body.len, "truncated extensions");
    p[body.len - 5] = 3; /* says 3, holds 4 */
    refused_raw(p, body.len, "1 bytes after the extensions");
    p[body.len - 5] = 4;
    refused_raw(p, body.len - 5, "truncated extensions");
    buf_clear(&body);
    buf_clear(&exts);
}

TEST(ch_extension_header_truncated)
{
    struct buf exts = BUF_INIT;
    buf_append(&exts, "\x00\x17\x00", 3);
    refused_exts(&exts, "truncated extension header");
    buf_clear(&exts);
}

TEST(ch_extension_body_truncated)
{
    struct buf exts = BUF_INIT;
    buf_append(&exts, "\x00\x10\x00\x06\x00\x03\x02h2", 9);
    refused_exts(&exts, "truncated extension 16");
    buf_clear(&exts);
}

TEST(ch_duplicate_extension)
{
    struct buf exts = BUF_INIT;
    ext(&exts, 23, "", 0);
    ext_sni(&exts, "a.example", 9);
    ext(&exts, 23, "", 0);
    refused_exts(&exts, "duplicate extension 23");
    buf_clear(&exts);
}

TEST(ch_sni_list_length)
{
    struct buf x = BUF_INIT;
    ext(&x, 0, "\x00\x09\x00\x00\005a.com", 10);
    refused_exts(&x, "truncated extension 0");
    buf_reset(&x);
    ext(&x, 0, "\x00\x07\x00\x00\004a.co\x00", 10);
    refused_exts(&x, "1 bytes after the server_name list");
    buf_reset(&x);
    ext(&x, 0, "\x00", 1);
    refused_exts(&x, "truncated extension 0");
    buf_reset(&x);
    ext(&x, 0, "\x00\x00", 2);
    refused_exts(&x, "empty server_name list");
    buf_clear(&x);
}

TEST(ch_sni_entry_truncated)
{
    struct buf x = BUF_INIT;
    ext(&x, 0, "\x00\x08\x00\x00\006a.com", 10);
    refused_exts(&x, "truncated server_name entry");
    buf_reset(&x);
    ext(&x, 0, "\x00\x02\x00\x00", 4);
    refused_exts(&x, "truncated server_name entry");
    buf_clear(&x);
}

TEST(ch_sni_bad_names)
{
    struct buf x = BUF_INIT;
    ext_sni(&x, "a\0b.com", 7);
    refused_exts(&x, "server name contains NUL");
    buf_reset(&x);
    ext_sni(&x, "", 0);
    refused_exts(&x, "empty server name");
    char name[257];
    memset(name, 'a', sizeof(name));
    buf_reset(&x);
    ext_sni(&x, name, 256);
    refused_exts(&x, "server name too long (256 bytes)");
    buf_clear(&x);
}

TEST(ch_sni_longest_and_first_host_name)
{
    char name[256];
    memset(name, 'b', 255);
    name[255] = '\0';
    struct buf x = BUF_INIT, body = BUF_INIT;
    ext_sni(&x, name, 255);
    hello_body(&body, &x);
    struct clienthello ch;
    struct err e;
    ASSERT(parse_body(&body, &ch, &e) > 0);
    ASSERT_STREQ(ch.sni, name);
    ch_free(&ch);
    /* An unknown name type is skipped; a second host_name is ignored. */
    buf_reset(&x);
    buf_reset(&body);
    ext(&x, 0, "\x00\x0e\x07\x00\x01z\x00\x00\002ab\x00\x00\002cd", 16);
    hello_body(&body, &x);
    ASSERT(parse_body(&body, &ch, &e) > 0);
    ASSERT_STREQ(ch.sni, "ab");
    ch_free(&ch);
    buf_clear(&x);
    buf_clear(&body);
}

TEST(ch_alpn_list_length)
{
    struct buf x = BUF_INIT;
    ext(&x, 16, "\x00\x04\x02h2", 5);
    refused_exts(&x, "truncated extension 16");
    buf_reset(&x);
    ext(&x, 16, "\x00\x03\x02h2\x00", 6);
    refused_exts(&x, "1 bytes after the ALPN protocol list");
    buf_reset(&x);
    ext(&x, 16, "\x00\x00", 2);
    refused_exts(&x, "empty ALPN protocol list");
    buf_reset(&x);
    ext(&x, 16, "\x00\x03\x03h2", 5);
    refused_exts(&x, "truncated ALPN protocol");
    buf_clear(&x);
}

TEST(ch_alpn_empty_or_nul_protocol)
{
    struct buf x = BUF_INIT;
    ext(&x, 16, "\x00\x04\x02h2\x00", 6);
    refused_exts(&x, "empty ALPN protocol");
    buf_reset(&x);
    ext(&x, 16, "\x00\x03\x02h\x00", 5);
    refused_exts(&x, "ALPN protocol contains NUL");
    buf_clear(&x);
}

TEST(ch_alpn_protocol_too_long)
{
    uint8_t d[2 + 1 + 64];
    memset(d, 'p', sizeof(d));
    d[0] = 0;
    d[1] = 65;
    d[2] = 64;
    struct buf x = BUF_INIT;
    ext(&x, 16, d, sizeof(d));
    refused_exts(&x, "ALPN protocol too long (64 bytes)");
    /* 63 bytes fit. */
    d[1] = 64;
    d[2] = 63;
    buf_reset(&x);
    ext(&x, 16, d, sizeof(d) - 1);
    struct buf body = BUF_INIT;
    hello_body(&body, &x);
    struct clienthello ch;
    struct err e;
    ASSERT(parse_body(&body, &ch, &e) > 0);
    ASSERT_EQ(ch.nalpn, 1);
    ASSERT_EQ(strlen(ch.alpn[0]), 63);
    ch_free(&ch);
    buf_clear(&x);
    buf_clear(&body);
}

TEST(ch_alpn_extra_protocols_ignored)
{
    struct buf list = BUF_INIT, x = BUF_INIT, body = BUF_INIT;
    for (int i = 0; i < CH_MAX_ALPN + 4; i++) {
        char name[8];
        int n = snprintf(name, sizeof(name), "p%d", i);
        put8(&list, (size_t)n);
        buf_append(&list, name, (size_t)n);
    }
    struct buf d = BUF_INIT;
    put16(&d, list.len);
    buf_append(&d, buf_ptr(&list), list.len);
    ext(&x, 16, buf_ptr(&d), d.len);
    hello_body(&body, &x);
    struct clienthello ch;
    struct err e;
    ASSERT(parse_body(&body, &ch, &e) > 0);
    ASSERT_EQ(ch.nalpn, CH_MAX_ALPN);
    ASSERT_STREQ(ch.alpn[0], "p0");
    ASSERT_STREQ(ch.alpn[CH_MAX_ALPN - 1], "p15");
    ch_free(&ch);
    buf_clear(&list);
    buf_clear(&d);
    buf_clear(&x);
    buf_clear(&body);
}

TEST(ch_supported_versions_length)
{
    struct buf x = BUF_INIT;
    ext(&x, 43, "\x03\x03\x04\x03", 4);
    refused_exts(&x, "bad supported_versions length 3");
    buf_reset(&x);
    ext(&x, 43, "\x04\x03\x04", 3);
    refused_exts(&x, "truncated extension 43");
    buf_reset(&x);
    ext(&x, 43, "\x02\x03\x04\x00", 4);
    refused_exts(&x, "1 bytes after the supported_versions list");
    buf_clear(&x);
}

TEST(ch_is_tls_lengths)
{
    ASSERT_EQ(ch_is_tls((const uint8_t *)"", 0), MP_ERR_INCOMPLETE);
    ASSERT_EQ(ch_is_tls((const uint8_t *)"\x16", 1), MP_ERR_INCOMPLETE);
    ASSERT_EQ(ch_is_tls((const uint8_t *)"\x16\x03", 2), MP_ERR_INCOMPLETE);
    ASSERT_EQ(ch_is_tls((const uint8_t *)"\x16\x03\x01", 3), 1);
    ASSERT_EQ(ch_is_tls((const uint8_t *)"\x16\x03\x03", 3), 1);
    ASSERT_EQ(ch_is_tls((const uint8_t *)"GET", 3), 0);
    ASSERT_EQ(ch_is_tls((const uint8_t *)"\x16\x02\x00", 3), 0);
    ASSERT_EQ(ch_is_tls((const uint8_t *)"\x16\x03\x10", 3), 0);
    ASSERT_EQ(ch_is_tls(cap_openssl, sizeof(cap_openssl)), 1);
}

/* A connection keeps its hello for life: the names take what the client
 * sent, not room for the longest ones, and freeing twice is harmless. */
TEST(ch_strings_sized_to_the_hello)
{
    ASSERT(sizeof(struct clienthello) <= 64);
    struct clienthello ch;
    struct err e;
    ASSERT_EQ(parse(CAP(cap_openssl), &ch, &e), sizeof(cap_openssl));
    /* The block holds the protocols' pointers, then the names as text. */
    ASSERT(ch.sni == (char *)(ch.alpn + ch.nalpn));
    ASSERT(ch.alpn[0] == ch.sni + strlen("example.com") + 1);
    ASSERT(ch.alpn[1] == ch.alpn[0] + strlen("h2") + 1);
    ch_free(&ch);
    ASSERT(ch.sni == NULL && ch.alpn == NULL && ch.nalpn == 0);
    ch_free(&ch);
}
