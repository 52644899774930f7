/*
 * A server's certificate chain as flows keep it: mitmproxy's
 * server_conn.certificate_list, each certificate as PEM text. The
 * connections to one server show the same chain, so each distinct chain
 * is kept once, found again by its DER bytes, and every connection holds a
 * reference instead of a PEM copy of its own; the PEM is made once, when
 * the chain is first seen. Immutable once made; references may be taken
 * and dropped on any thread.
 */
#ifndef MP_FLOW_CERTCHAIN_H
#define MP_FLOW_CERTCHAIN_H

#include <stddef.h>
#include <stdint.h>

struct certchain;

/*
 * The chain of the n certificates whose DER bytes are der[i] (len[i] bytes
 * each, leaf first): the one kept for exactly these bytes, or a new one.
 * Returns one reference; NULL when n is 0.
 */
struct certchain *certchain_get(const uint8_t *const der[], const size_t len[], size_t n);
struct certchain *certchain_ref(struct certchain *);
/* NULL is fine. The last reference frees the chain. */
void certchain_unref(struct certchain *);

size_t certchain_len(const struct certchain *);
/* Certificate i as PEM text, what PEM_write_bio_X509() writes (*len bytes,
 * NUL-terminated), or NULL past the end. Borrowed from the chain. */
const char *certchain_pem(const struct certchain *, size_t i, size_t *len);
/* Distinct chains kept now (tests and figures). */
size_t certchain_count(void);

#endif
