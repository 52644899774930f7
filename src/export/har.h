/*
 * HAR 1.2 (HTTP Archive): HTTP flows written as current mitmproxy's
 * savehar addon writes them, and HAR files read into flows as its
 * io/har.py reads them (mitmproxy 10 and later; 8.1.1 has neither).
 *
 * Writing: one entry per HTTP flow, other flows skipped. Timings come from
 * the flow's timestamps in milliseconds: connect (server TCP set-up, -1
 * when the connection was counted by an earlier entry or not made), ssl,
 * send (the request), wait (request end to response start), receive (the
 * response); "time" is their sum. Cookies as the Cookie and Set-Cookie
 * headers read (http/cookies.h), queryString and postData's params as the
 * query and the urlencoded form read (http/forms.h), the response body as
 * text or, when it looks binary, base64; WebSocket messages as Chrome
 * writes them (_webSocketMessages). The JSON is Python's json.dumps(...,
 * indent=4): ASCII only, four spaces.
 *
 * Reading: each entry of log.entries becomes a flow with request and
 * response, its timestamps from startedDateTime and time, the server
 * address from serverIPAddress; bodies are the text (or base64) the file
 * holds, with the Content-Encoding header dropped and Content-Length set
 * to their size, as mitmproxy's Request.make() and decode() leave them.
 * Where we differ, the reason is in har_read.c. A file is untrusted: the
 * JSON is read within limits, and a bad entry stops the read with an error
 * naming the entry and the field (the flows before it were delivered).
 */
#ifndef MP_EXPORT_HAR_H
#define MP_EXPORT_HAR_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct flow;

/*
 * Appends the HAR document of flows v[0..n) to out; *skipped (may be NULL)
 * gets the number of flows that were not HTTP flows.
 */
void har_write(struct buf *out, struct flow *const *v, size_t n, size_t *skipped);

/* The HAR reader's limits: the file's size and JSON nesting. */
#define HAR_MAX_SIZE ((size_t)1 << 30)
#define HAR_MAX_DEPTH 64

/* Whether bytes starting with p[0..n) are a HAR file and not a flow file:
 * a '{', after a UTF-8 BOM if there is one (as mitmproxy's FlowReader
 * decides). */
int har_sniff(const void *p, size_t n);

struct har_reader;

/*
 * Reads the HAR document p[0..n) (copied; a BOM is skipped). name is used
 * in messages. Returns NULL with e when the JSON cannot be read or has no
 * log.entries list.
 */
struct har_reader *har_reader_new(const void *p, size_t n, const char *name, struct err *e);
/*
 * Opens path as flow files are opened ("-" is standard input, "~" the home
 * directory) if it holds a HAR file: returns 1 with *out, 0 when the file
 * is not a HAR file (nothing of it is consumed: a flow-file reader may
 * open it), or MP_ERR_IO / a read error with e.
 */
int har_reader_open(const char *path, struct har_reader **out, struct err *e);
/*
 * The next entry as a new flow (one reference): returns 1, 0 at the end,
 * or a negative MP_ERR_* with e naming the entry and what is wrong with
 * it; the same error again after that.
 */
int har_reader_next(struct har_reader *, struct flow **out, struct err *e);
void har_reader_free(struct har_reader *);

/*
 * Reads a whole HAR file from f (at most HAR_MAX_SIZE bytes) and hands
 * each entry's flow to emit, which takes the reference and returns a
 * negative number to stop: the flow store's reader for '{' files
 * (store_set_reader). Returns 0, or MP_ERR_* with e naming the file.
 */
int har_read_each(FILE *f, const char *name, int (*emit)(void *ctx, struct flow *f), void *ctx,
                  struct err *e);

#endif
