/*
 * HTTP/1.x codec: pure functions over byte buffers, no I/O, no layers.
 *
 * Heads are parsed whole: the caller accumulates bytes and calls again until
 * the parser stops answering MP_ERR_INCOMPLETE. Bodies are read
 * incrementally with a struct http1_body_reader, which undoes chunked
 * framing and keeps trailers. Every limit violation and every smuggling
 * hazard (RFC 9112 section 6.3, 11.2) is an error with a message naming it,
 * never a crash. What is accepted leniently is listed in README.md.
 */
#ifndef MP_HTTP_HTTP1_H
#define MP_HTTP_HTTP1_H

#include <stdint.h>
#include <sys/types.h>

#include "http/message.h"
#include "util/buf.h"
#include "util/err.h"

struct http1_limits {
    size_t max_line;       /* request or status line */
    size_t max_head;       /* whole head: line, fields, blank line */
    size_t max_headers;    /* number of fields */
    size_t max_chunk_line; /* chunk-size line with extensions */
};

/*
 * 64 KiB line, 256 KiB head, 1,024 fields, 4 KiB chunk-size line: above
 * what servers take (nginx: 8 KiB lines), since a proxy for testing ought
 * to let the server be the one to refuse, as mitmproxy (which has no
 * limits) does; bounded, so a client cannot make us buffer without end.
 */
void http1_limits_default(struct http1_limits *);

/* The request-target forms of RFC 9112 section 3.2. */
enum http1_form {
    HTTP1_FORM_ORIGIN,    /* GET /path */
    HTTP1_FORM_ABSOLUTE,  /* GET http://host/path (to a proxy) */
    HTTP1_FORM_AUTHORITY, /* CONNECT host:port */
    HTTP1_FORM_ASTERISK,  /* OPTIONS * */
};

/*
 * Parses a request head at p[0..len). Returns the bytes it took (through the
 * blank line), MP_ERR_INCOMPLETE, or MP_ERR_PROTOCOL / MP_ERR_LIMIT with
 * e->msg saying what is wrong. On success *out is a new request the caller
 * owns: absolute form fills scheme, host, port and path (authority stays ""
 * as mitmproxy stores it); authority form fills host, port and authority;
 * origin and asterisk forms fill path only. timestamp_start is not set.
 */
ssize_t http1_parse_request_head(const uint8_t *p, size_t len, const struct http1_limits *,
                                 struct http_request **out, enum http1_form *form,
                                 struct err *e);

/* The same for a status line and its fields. */
ssize_t http1_parse_response_head(const uint8_t *p, size_t len, const struct http1_limits *,
                                  struct http_response **out, struct err *e);

enum http1_body_kind {
    HTTP1_BODY_NONE,
    HTTP1_BODY_LENGTH,
    HTTP1_BODY_CHUNKED,
    HTTP1_BODY_UNTIL_CLOSE, /* responses only */
};

struct http1_body {
    enum http1_body_kind kind;
    uint64_t length; /* HTTP1_BODY_LENGTH */
};

/*
 * How a request body is framed. Refuses (MP_ERR_PROTOCOL) Content-Length
 * together with Transfer-Encoding, conflicting or malformed Content-Length
 * values, and any Transfer-Encoding other than a final "chunked".
 */
int http1_request_body(const struct http_request *, struct http1_body *, struct err *e);
/* The same for a response to a request with method req_method: no body for
 * HEAD, 1xx, 204, 304 and a 2xx answer to CONNECT; until close otherwise. */
int http1_response_body(const char *req_method, const struct http_response *, struct http1_body *,
                        struct err *e);

enum http1_chunk_state {
    HTTP1_CHUNK_SIZE,
    HTTP1_CHUNK_DATA,
    HTTP1_CHUNK_DATA_CRLF,
    HTTP1_CHUNK_TRAILERS,
    HTTP1_CHUNK_DONE,
};

struct http1_body_reader {
    struct http1_body body;
    const struct http1_limits *limits; /* borrowed; outlives the reader */
    uint64_t received;                 /* body bytes delivered so far */
    uint64_t remaining;                /* of the current chunk or of the length */
    enum http1_chunk_state chunk;
    struct buf line;       /* partial chunk-size or trailer line */
    struct hdrs *trailers; /* owned until taken; NULL when none came */
    int done;
};

void http1_body_reader_init(struct http1_body_reader *, const struct http1_body *,
                            const struct http1_limits *);
void http1_body_reader_clear(struct http1_body_reader *);

/*
 * Reads body bytes from p[0..len), appending the payload (chunk framing
 * removed) to out. Returns the bytes it took; it stops at the end of the
 * body, leaving what follows (a pipelined message) to the caller. Sets
 * r->done once the body is complete. Errors: MP_ERR_PROTOCOL, MP_ERR_LIMIT.
 */
ssize_t http1_body_read(struct http1_body_reader *r, const uint8_t *p, size_t len,
                        struct buf *out, struct err *e);

/*
 * The peer closed. Returns 0 if that ends the body (until-close framing, or
 * already done); otherwise MP_ERR_PROTOCOL with mitmproxy's message
 * "peer closed connection without sending complete message body
 * (received N bytes, expected M)".
 */
int http1_body_eof(struct http1_body_reader *r, struct err *e);

/* Takes ownership of the trailers (NULL if none); the reader forgets them. */
struct hdrs *http1_body_take_trailers(struct http1_body_reader *r);

/*
 * Serializers. Header fields go out in order with their names and values as
 * stored. The request target is written in the given form: origin uses
 * path, absolute uses scheme://authority-or-host:port + path, authority uses
 * the authority (or host:port).
 */
void http1_write_request_head(struct buf *out, const struct http_request *, enum http1_form);
/* An HTTP/2.0 response (from an HTTP/2 server) is written as HTTP/1.1. */
void http1_write_response_head(struct buf *out, const struct http_response *);
/* One chunk of chunked encoding; nothing for n == 0. */
void http1_write_chunk(struct buf *out, const uint8_t *p, size_t n);
/* The size line of a chunk of n > 0 bytes whose payload is sent on its own,
 * followed by http1_write_chunk_end(). */
void http1_write_chunk_size(struct buf *out, size_t n);
void http1_write_chunk_end(struct buf *out);
/* The last chunk, trailers (may be NULL) and the final CRLF. */
void http1_write_last_chunk(struct buf *out, const struct hdrs *trailers);

/* Whether the connection stays open after this message (HTTP/1.0 needs
 * "Connection: keep-alive", HTTP/1.1 closes on "Connection: close"). */
int http1_keep_alive(const char *http_version, const struct hdrs *);
/* Whether the request asks "Expect: 100-continue". */
int http1_expects_continue(const struct http_request *);

#endif
