/*
 * The client side of a SOCKS5 handshake (RFC 1928, with RFC 1929
 * username/password authentication), sans-io: bytes from the proxy go in,
 * bytes for the proxy come out, and the caller owns the socket. The driver
 * uses it for `--mode upstream:socks5://...`, where every server connection
 * is opened through a SOCKS5 proxy.
 *
 *   socks5_client_init(), then socks5_client_start() -> greeting to send
 *   socks5_client_feed() with every read until it returns 1 (tunnel up:
 *   what is left in `in` already belongs to the tunnel) or an error
 *
 * The destination is sent as a domain name unless it is an IPv4 or IPv6
 * literal. Only "no authentication" is offered without credentials; with
 * them, username/password is offered too (and preferred).
 */
#ifndef MP_PROXY_SOCKS5_CLIENT_H
#define MP_PROXY_SOCKS5_CLIENT_H

#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

enum socks5_client_state {
    SOCKS5C_INIT,   /* start() not called yet */
    SOCKS5C_METHOD, /* greeting sent; waiting for the chosen method */
    SOCKS5C_AUTH,   /* credentials sent; waiting for their verdict */
    SOCKS5C_REPLY,  /* CONNECT sent; waiting for the reply */
    SOCKS5C_DONE,   /* the tunnel is up */
    SOCKS5C_FAILED,
};

struct socks5_client {
    enum socks5_client_state state;
    char host[257]; /* the destination: name or IP literal (no brackets); see user */
    uint16_t port;
    char user[257];  /* "" = no credentials; one byte more than RFC 1929 allows, */
    char pass[257];  /* so that start() can tell an overlong one */
    char proxy[300]; /* "host:port" of the SOCKS proxy, for messages */
};

/*
 * Sets up a handshake to host:port (IPv6 may be given in brackets). user
 * and pass may be NULL or "" for none; each is at most 255 bytes (longer
 * ones fail in start()). proxy names the SOCKS proxy in error messages.
 */
void socks5_client_init(struct socks5_client *, const char *host, uint16_t port, const char *user,
                        const char *pass, const char *proxy);
/* Appends the greeting to out. MP_ERR_INVAL (e set) for unusable input. */
int socks5_client_start(struct socks5_client *, struct buf *out, struct err *e);
/*
 * Consumes the proxy's bytes from in and appends what to send next to out.
 * Returns 1 once the tunnel is established (bytes left in `in` are tunnel
 * data), 0 when more input is needed, or MP_ERR_PROTOCOL with a message
 * such as "SOCKS5 proxy 127.0.0.1:1080 refused: connection refused by
 * destination host (reply 5)".
 */
int socks5_client_feed(struct socks5_client *, struct buf *in, struct buf *out, struct err *e);
/* RFC 1928's words for a reply code ("connection refused by destination host"). */
const char *socks5_reply_str(int rep);

#endif
