/*
 * A TLS ClientHello read from the raw bytes, before any handshake starts,
 * so the proxy can pick the upstream connection (SNI), mirror ALPN and
 * decide whether to intercept at all (ignore_hosts). No OpenSSL here.
 */
#ifndef MP_TLS_CLIENTHELLO_H
#define MP_TLS_CLIENTHELLO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

#define CH_MAX_ALPN 16

struct clienthello {
    char sni[256];              /* "" when absent */
    char alpn[CH_MAX_ALPN][64]; /* offered protocols, in order */
    size_t nalpn;
    uint16_t legacy_version;
    int has_supported_versions; /* TLS 1.3 capable */
    size_t length;              /* bytes of the records holding the ClientHello */
};

/*
 * Whether p[0..len) starts like a TLS handshake record (0x16 0x03 0x0N):
 * 1 yes, 0 no, MP_ERR_INCOMPLETE when fewer than 3 bytes are there.
 */
int ch_is_tls(const uint8_t *p, size_t len);

/*
 * Parses a ClientHello, which may span several handshake records. Returns
 * the bytes of the records it used (> 0), MP_ERR_INCOMPLETE when more are
 * needed, or MP_ERR_PROTOCOL with e->msg naming what is malformed. Limits:
 * a ClientHello of at most 64 KiB.
 */
ssize_t ch_parse(const uint8_t *p, size_t len, struct clienthello *out, struct err *e);

#endif
