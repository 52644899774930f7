/*
 * libFuzzer target for the ClientHello parser: any input either parses to
 * a hello whose fields hold their documented limits, or fails cleanly. A
 * success must also be stable: the consumed records alone parse the same.
 */
#include <stdlib.h>
#include <string.h>

#include "tls/clienthello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clienthello ch;
    struct err e;
    ssize_t rc = ch_parse(data, size, &ch, &e);
    if (rc < 0) {
        if (rc != MP_ERR_INCOMPLETE && rc != MP_ERR_PROTOCOL)
            abort();
        if (rc == MP_ERR_PROTOCOL && e.msg[0] == '\0')
            abort();
        return 0;
    }
    if (rc == 0 || (size_t)rc > size || ch.length != (size_t)rc)
        abort();
    if (ch_is_tls(data, size) != 1)
        abort();
    if (strnlen(ch.sni, sizeof(ch.sni)) == sizeof(ch.sni) || ch.nalpn > CH_MAX_ALPN)
        abort();
    for (size_t i = 0; i < ch.nalpn; i++) {
        size_t n = strnlen(ch.alpn[i], sizeof(ch.alpn[i]));
        if (n == 0 || n == sizeof(ch.alpn[i]))
            abort();
    }
    struct clienthello again;
    if (ch_parse(data, (size_t)rc, &again, &e) != rc || memcmp(&ch, &again, sizeof(ch)) != 0)
        abort();
    /* One byte fewer is never a complete hello. */
    if (ch_parse(data, (size_t)rc - 1, &again, &e) != MP_ERR_INCOMPLETE)
        abort();
    return 0;
}
