/*
 * libFuzzer target for the ClientHello parser: any input either parses to
 * a hello whose fields hold their documented limits, or fails cleanly. A
 * success must also be stable: the consumed records alone parse the same.
 */
#include <stdlib.h>
#include <string.h>

#include "tls/clienthello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether two parsed hellos say the same (their strings live in separate blocks). */
static int
same(const struct clienthello *a, const struct clienthello *b)
{
    if (strcmp(a->sni, b->sni) != 0 || a->nalpn != b->nalpn ||
        a->legacy_version != b->legacy_version ||
        a->has_supported_versions != b->has_supported_versions || a->length != b->length)
        return 0;
    for (size_t i = 0; i < a->nalpn; i++)
        if (strcmp(a->alpn[i], b->alpn[i]) != 0)
            return 0;
    return 1;
}

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
    if (ch.sni == NULL || strnlen(ch.sni, CH_MAX_SNI + 1) > CH_MAX_SNI || ch.nalpn > CH_MAX_ALPN)
        abort();
    for (size_t i = 0; i < ch.nalpn; i++) {
        size_t n = strnlen(ch.alpn[i], CH_MAX_ALPN_LEN + 1);
        if (n == 0 || n > CH_MAX_ALPN_LEN)
            abort();
    }
    struct clienthello again;
    if (ch_parse(data, (size_t)rc, &again, &e) != rc || !same(&ch, &again))
        abort();
    ch_free(&again);
    ch_free(&ch);
    /* One byte fewer is never a complete hello. */
    if (ch_parse(data, (size_t)rc - 1, &again, &e) != MP_ERR_INCOMPLETE)
        abort();
    return 0;
}
