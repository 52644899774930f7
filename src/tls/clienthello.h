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

#define CH_MAX_ALPN 16     /* protocols kept; later ones are dropped */
#define CH_MAX_ALPN_LEN 63 /* bytes of one protocol name; longer is refused */
#define CH_MAX_SNI 255     /* bytes of the server name; longer is refused */

/*
 * The strings live in one block the hello owns (ch_free()), sized to what
 * the client sent: a connection keeps its hello for its whole life (hooks
 * read it), and fixed arrays for the largest names were 1.3 KB of every
 * idle connection.
 */
struct clienthello {
    char *sni;   /* "" when absent; never NULL after a successful parse */
    char **alpn; /* nalpn offered protocols, in order; the block's start */
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
 * a ClientHello of at most 64 KiB. out is overwritten, not freed; it owns
 * memory (ch_free()) only after a success.
 */
ssize_t ch_parse(const uint8_t *p, size_t len, struct clienthello *out, struct err *e);
/* Frees what a successful ch_parse() put in ch and zeroes it. A zeroed
 * hello (or one whose parse failed) holds nothing; freeing it is a no-op. */
void ch_free(struct clienthello *ch);

#endif
