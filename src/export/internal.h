/*
 * Shared between the files of export/ only: the views of a request and a
 * response that mitmproxy derives from their fields (Request.pretty_url,
 * Message.get_text(), ...), as export, cut and HAR read them, and Python's
 * repr() and shlex.quote() for the text they write.
 *
 * "Text" here is how a Python str is kept as bytes: UTF-8, with each byte
 * that Python holds as a surrogate escape (\udcXX) as that byte.
 */
#ifndef MP_EXPORT_INTERNAL_H
#define MP_EXPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "http/message.h"
#include "util/buf.h"
#include "util/err.h"

/* Which mitmproxy guesses a body's charset (get_text): 8.1.1's
 * _guess_encoding (export, cut), or infer_content_encoding of mitmproxy 10
 * and later (HAR), which also reads BOMs and says UTF-8 for HTML, XML,
 * JavaScript and CSS. */
enum exp_charset_rules { EXP_CHARSET_811, EXP_CHARSET_CURRENT };

/*
 * Message.get_content(strict): the body with its Content-Encoding undone,
 * the whole header value read as one coding (as 8.1.1 does). Appends it
 * to out and returns 0; when the coding is unknown or the bytes do not
 * decode, returns MP_ERR_CORRUPT if strict, else appends the raw body.
 */
int exp__get_content(const struct hdrs *h, const struct buf *raw, int strict, struct buf *out,
                     struct err *e);

/*
 * Message.get_text(strict) for the decoded body p[0..n): appends it as
 * text. When the charset does not decode it: MP_ERR_CORRUPT if strict,
 * else the bytes as UTF-8 with surrogate escapes (that is, unchanged).
 */
int exp__get_text(const struct hdrs *h, const uint8_t *p, size_t n, enum exp_charset_rules rules,
                  int strict, struct buf *out, struct err *e);

/* The charset mitmproxy would decode p[0..n) with (a static string, or
 * into tmp). */
const char *exp__guess_charset(const struct hdrs *h, const uint8_t *p, size_t n,
                               enum exp_charset_rules rules, struct buf *tmp);

/* Decodes p[0..n) from charset into UTF-8 (appended). Returns 0, or
 * MP_ERR_CORRUPT (bytes that are not in the charset) or MP_ERR_NOTFOUND
 * (a charset neither we nor iconv know); out is then unchanged. */
int exp__decode_charset(const char *charset, const uint8_t *p, size_t n, struct buf *out);
/* The other way: text p[0..n) (UTF-8) encoded in charset, appended. */
int exp__encode_charset(const char *charset, const uint8_t *p, size_t n, struct buf *out);

/*
 * Message.decode(strict=False) of 8.1.1 on a copy: the body decoded, the
 * Content-Encoding header removed and, unless there is a
 * Transfer-Encoding, Content-Length set to the new size. A body that is
 * None stays None.
 */
struct http_request *exp__request_decoded(const struct http_request *);
struct http_response *exp__response_decoded(const struct http_response *);

/* Request.is_http2, Request.host_header (NULL for None; borrowed). */
int exp__is_http2(const struct http_request *);
const char *exp__host_header(const struct http_request *, size_t *len);
/*
 * url.parse_authority(check=False): host and port (-1 for none) of
 * p[0..n); when it is not a valid host[:port], the whole text is the host.
 * *host points into p.
 */
void exp__parse_authority(const char *p, size_t n, const char **host, size_t *hostlen, int *port);
/* Request.url, pretty_host and pretty_url, appended to out. */
void exp__url(const struct http_request *, struct buf *out);
void exp__pretty_host(const struct http_request *, struct buf *out);
void exp__pretty_url(const struct http_request *, struct buf *out);

/* The first value of header name, or NULL (borrowed). */
const char *exp__header(const struct hdrs *, const char *name, size_t *len);

/* Python's repr() of bytes, of a str (given as text) and of a float. */
void exp__repr_bytes(struct buf *out, const void *p, size_t n);
void exp__repr_str(struct buf *out, const void *p, size_t n);
void exp__repr_float(struct buf *out, double v);
/* shlex.quote() of text p[0..n). */
void exp__shlex_quote(struct buf *out, const void *p, size_t n);
/* Whether p[0..n) is valid UTF-8. */
int exp__is_utf8(const uint8_t *p, size_t n);
/* strutils.is_mostly_bin(): whether a body looks binary rather than text. */
int exp__is_mostly_bin(const uint8_t *p, size_t n);

/* Base64 (RFC 4648, padded), appended to out. */
void exp__b64_encode(struct buf *out, const void *p, size_t n);
/* Python's b64decode(): characters outside the alphabet are skipped, the
 * padding must be right. Returns 0, or MP_ERR_SYNTAX (out unchanged). */
int exp__b64_decode(struct buf *out, const char *p, size_t n);

#endif
