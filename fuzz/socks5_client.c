/*
 * libFuzzer target for the SOCKS5 client handshake (upstream:socks5://):
 * arbitrary bytes from a "proxy", cut into chunks, after the greeting for a
 * name, an IPv4 or an IPv6 destination, with or without credentials.
 * Nothing may crash or read out of bounds; a finished handshake leaves the
 * rest of the input as tunnel data. Input: flags, chunk size, bytes.
 */
#include <stdlib.h>

#include "proxy/socks5_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t flags = data[0];
    size_t chunk = (size_t)data[1] + 1;
    data += 2;
    size -= 2;
    static const char *const hosts[] = {"example.com", "192.0.2.1", "[2001:db8::1]"};
    struct socks5_client c;
    socks5_client_init(&c, hosts[flags % 3], 443, (flags & 4) ? "user" : NULL,
                       (flags & 4) ? "secret" : NULL, "127.0.0.1:1080");
    struct buf in = BUF_INIT, out = BUF_INIT;
    struct err e = {0};
    int rc = socks5_client_start(&c, &out, &e);
    for (size_t off = 0; rc == 0 && off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        buf_append(&in, data + off, n);
        rc = socks5_client_feed(&c, &in, &out, &e);
    }
    if (rc == 1 && c.state != SOCKS5C_DONE)
        abort(); /* established means done */
    buf_clear(&in);
    buf_clear(&out);
    return 0;
}
