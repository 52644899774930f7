/*
 * Content encodings (Content-Encoding): gzip, deflate (zlib stream, or raw
 * deflate as some servers send), br and zstd, whole-body decode and encode,
 * as mitmproxy's net.encoding. Addons that change bodies decode, change,
 * and encode again; a body that fails to decode is left untouched.
 */
#ifndef MP_HTTP_ENCODING_H
#define MP_HTTP_ENCODING_H

#include "http/message.h"
#include "util/buf.h"
#include "util/err.h"

/* Decodes in[0..n) encoded with enc ("gzip", "deflate", "br", "zstd",
 * "identity"; case-insensitive) into out (appended). Errors name the
 * encoding and the reason; out is left as it was. Output is limited to
 * max_out bytes (0: 1 GiB) so a decompression bomb is an error, not OOM. */
int enc_decode(const char *enc, const uint8_t *in, size_t n, struct buf *out, size_t max_out,
               struct err *e);
int enc_encode(const char *enc, const uint8_t *in, size_t n, struct buf *out, struct err *e);

/*
 * A message's body decoded per its Content-Encoding header (several codings
 * "gzip, br" are undone in reverse order). Returns 0 with the decoded bytes
 * in out, or an error (unknown coding, corrupt data) and out untouched.
 * Without Content-Encoding, out receives the body as is.
 */
int enc_decoded_content(const struct hdrs *headers, const struct buf *content, struct buf *out,
                        struct err *e);
/* Sets a message's body from decoded bytes: re-encodes with its
 * Content-Encoding and fixes Content-Length (mitmproxy's .content setter). */
int enc_set_content(struct hdrs *headers, struct buf *content, const uint8_t *p, size_t n,
                    struct err *e);

#endif
