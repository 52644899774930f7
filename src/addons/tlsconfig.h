/*
 * The tlsconfig addon (mitmproxy 8.1.1's addons/tlsconfig.py): the TLS
 * layer asks, this addon decides. It answers
 *
 *   tls_clienthello   whether to handshake with the server first
 *                     (establish_server_tls_first: upstream_cert, or the
 *                     eager connection strategy)
 *   tls_start_client  the session towards the client: the certificate to
 *                     present (a --certs file for the name, else a leaf
 *                     forged by the CA with the upstream certificate's CN
 *                     and SANs, the SNI and the host asked for), the ALPN
 *                     protocols (the server's choice, mirrored), versions
 *                     and ciphers (tls_version_client_*, ciphers_client)
 *   tls_start_server  the session towards a server: SNI, ALPN (what the
 *                     client offered, or what it chose), verification
 *                     (ssl_insecure, ssl_verify_upstream_trusted_ca and
 *                     _confdir), the client certificate (client_certs),
 *                     versions and ciphers (tls_version_server_*,
 *                     ciphers_server)
 *
 * leaving alone a session another addon put there first, so a script can
 * take over any of it. The CA and the --certs files are the connection's
 * configuration's (ctx->cfg->ca, ->certs).
 *
 * A leaf the CA has not signed yet is signed on a thread of the pool the
 * tool wires in (the hook defers meanwhile; the CA's cache is touched on
 * the loop only). Unwired, as in unit tests, it is signed at once.
 */
#ifndef MP_ADDONS_TLSCONFIG_H
#define MP_ADDONS_TLSCONFIG_H

struct addon;

typedef void (*tlsconfig_work_cb)(void *arg);
/* Runs work(arg) on another thread, then after(arg) on the loop's thread. */
typedef void (*tlsconfig_queue_cb)(void *queue_arg, tlsconfig_work_cb work, tlsconfig_work_cb after,
                                   void *arg);

/* A new addon the caller owns (addon_chain_add takes it). */
struct addon *addon_tlsconfig_new(void);
/* Signs certificates with queue (server_queue_work); call before serving. */
void tlsconfig_wire(struct addon *, tlsconfig_queue_cb queue, void *queue_arg);

#endif
