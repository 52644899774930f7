/*
 * HTTP requests and responses as mitmproxy models them (http.Request,
 * http.Response). The HTTP/1 codec fills them, the flow owns them, addons
 * read and change them, flow files store them field for field.
 *
 * Every char * here is owned by the message and NUL-terminated. Byte-string
 * fields of mitmproxy (method, scheme, authority, path, http_version, reason)
 * never hold a NUL byte: the parser refuses one.
 */
#ifndef MP_HTTP_MESSAGE_H
#define MP_HTTP_MESSAGE_H

#include <stdint.h>

#include "http/headers.h"
#include "util/buf.h"

struct http_request {
    char *host; /* text; the destination host (from the URL, Host or mode) */
    uint16_t port;
    char *method;
    char *scheme;       /* "http" or "https" */
    char *authority;    /* as in the request target or :authority; "" if none */
    char *path;         /* origin-form path with query; "" for CONNECT */
    char *http_version; /* "HTTP/1.1" */
    struct hdrs headers;
    struct buf content; /* the body as on the wire (still content-encoded) */
    int content_none;   /* mitmproxy's content=None: body streamed or never read */
    /* mitmproxy's Message.stream: an addon sets it in requestheaders to have
     * this body streamed whatever its size. Not stored in flow files. */
    int stream;
    struct hdrs *trailers; /* owned; NULL when there were none */
    double timestamp_start;
    double timestamp_end; /* 0 = not yet / None */
};

struct http_response {
    char *http_version;
    int status_code;
    char *reason;
    struct hdrs headers;
    struct buf content;
    int content_none;
    int stream; /* as the request's, set in responseheaders */
    struct hdrs *trailers;
    double timestamp_start;
    double timestamp_end; /* 0 = not yet / None */
};

/* Both return a zeroed message with empty strings; freed with *_free. */
struct http_request *http_request_new(void);
struct http_response *http_response_new(void);
void http_request_free(struct http_request *);
void http_response_free(struct http_response *);
struct http_request *http_request_copy(const struct http_request *);
struct http_response *http_response_copy(const struct http_response *);

/* Replaces a string field: frees *field and stores a copy of s. */
void http_set_str(char **field, const char *s);

/*
 * The URL as mitmproxy's Request.url / pretty_url prints it:
 * scheme://host[:port]path, the port left out when it is the scheme's
 * default. pretty uses the Host header's host instead when present
 * (regular mode shows what the client asked for). Returns a malloc'd string.
 */
char *http_request_url(const struct http_request *);
char *http_request_pretty_url(const struct http_request *);
/* The host:port (or host for default ports) of the request's destination. */
char *http_request_host_header_or_host(const struct http_request *);

/* The standard reason phrase for a status code ("" if unknown). */
const char *http_status_reason(int code);
/* mitmproxy's make_error_response body: a small HTML page naming status and
 * msg (HTML-escaped), appended to out. */
void http_error_page(struct buf *out, int status, const char *msg);

#endif
