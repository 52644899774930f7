/*
 * HTTP/2 glue around nghttp2 (which does the framing, HPACK, flow control
 * and stream states, sans-io through nghttp2_session_mem_recv/mem_send):
 * session set-up with our settings, and the translation between header
 * blocks and struct http_request / http_response in both directions, with
 * the HTTP/1 <-> HTTP/2 rules of RFC 9113 8.2.2 and 8.3 (connection-specific
 * fields dropped, names lower-cased, Host <-> :authority, cookie crumbs
 * joined for HTTP/1).
 */
#ifndef MP_H2_H2_H
#define MP_H2_H2_H

#include <nghttp2/nghttp2.h>
#include <stddef.h>

#include "http/message.h"
#include "util/buf.h"
#include "util/err.h"

/* The client connection preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"). */
#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24

/* Window we grant per stream and per connection: big enough that a large
 * body streams at full speed over a long fat link. */
#define H2_STREAM_WINDOW (4u << 20)
#define H2_CONN_WINDOW (16u << 20)
#define H2_MAX_STREAMS 100

/*
 * A header list ready for nghttp2_submit_*: nv[0..n) point into store.
 * Build with h2_nvs_add() calls, then h2_nvs_finish(); free with
 * h2_nvs_clear().
 */
struct h2_nvs {
    nghttp2_nv *nv; /* owned */
    size_t n;
    size_t cap;
    struct buf store; /* owned: every name and value, NUL-separated */
    size_t *offs;     /* name offset, value offset per field (2n); in nv's block */
};

void h2_nvs_add(struct h2_nvs *, const char *name, size_t nlen, const char *value, size_t vlen);
/* Points nv[] at store; call once all fields are added, before submitting. */
void h2_nvs_finish(struct h2_nvs *);
void h2_nvs_clear(struct h2_nvs *);

/*
 * Header block of a request to an HTTP/2 server: :method, :scheme,
 * :authority (authority, else the Host header, else host[:port]), :path,
 * then the fields minus connection-specific ones and Host, names
 * lower-cased. CONNECT gets :method and :authority only.
 */
void h2_request_nvs(const struct http_request *, struct h2_nvs *out);
/*
 * Header block of a response to an HTTP/2 client. with_length: set
 * content-length to the body's length (a buffered body an addon may have
 * changed); otherwise a content-length field is passed on as it is.
 */
void h2_response_nvs(const struct http_response *, int with_length, struct h2_nvs *out);
/* Trailers: the fields lower-cased, pseudo-headers and connection-specific ones dropped. */
void h2_trailer_nvs(const struct hdrs *, struct h2_nvs *out);

/*
 * One received field of a request or response header block. Pseudo-headers
 * fill the message's fields (:method, :scheme, :authority, :path; :status);
 * others are added to its headers. Returns 0, or -1 with e set for a
 * pseudo-header that is unknown, repeated or out of place (a stream error).
 */
int h2_request_field(struct http_request *, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, struct err *e);
int h2_response_field(struct http_response *, const uint8_t *name, size_t nlen,
                      const uint8_t *value, size_t vlen, struct err *e);
/*
 * One received trailer field, added to *trailers (made on first use). -1
 * for a pseudo-header, which trailers may not carry (a stream error).
 */
int h2_trailer_field(struct hdrs **trailers, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen);
/* Checks that a received request head had what HTTP/2 requires (:method,
 * and :scheme and :path unless CONNECT). */
int h2_request_check(const struct http_request *, struct err *e);

/*
 * Makes an HTTP/2 request fit for an HTTP/1.1 server, as mitmproxy's
 * Http1Client does: HTTP/1.1, Host from :authority when missing, cookie
 * crumbs joined with "; ", authority cleared (origin form). In place.
 */
void h2_request_to_h1(struct http_request *);

/* Whether a field must not cross into HTTP/2 (RFC 9113 8.2.2). */
int h2_connection_specific(const char *name, size_t nlen);

/*
 * Sends our SETTINGS on a new session (server: clients get
 * MAX_CONCURRENT_STREAMS and our window; client: ENABLE_PUSH=0, i.e. push
 * refused, and our window) and widens the connection window. 0 or an
 * nghttp2 error code.
 */
int h2_session_settings(nghttp2_session *, int is_client);

/* Moves everything the session wants to send into out; 0 or an nghttp2 error. */
int h2_session_drain(nghttp2_session *, struct buf *out);

#endif
