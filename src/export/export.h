/*
 * Flows as text for other tools (mitmproxy's addons/export.py): pure
 * functions, a flow in and bytes out, for the export commands, the
 * console's and the web UI's "copy as".
 *
 * curl, httpie, raw, raw_request and raw_response are mitmproxy 8.1.1's,
 * byte for byte: the request or response is decoded first (its
 * Content-Encoding undone, Content-Length set to the decoded size), curl
 * and httpie drop Content-Length and a Host (or :authority) equal to the
 * host, quote each argument as Python's shlex.quote() and write a body as
 * text with control characters as \xHH. Text is what mitmproxy makes of
 * bytes: header values pass through byte for byte, a body is decoded by
 * its charset and comes out as UTF-8.
 *
 * fetch (JavaScript) and python_requests (mitmproxy #4408) are ours. Both
 * write a script that sends the same request: the decoded body as a
 * string when it is UTF-8 (fetch) or ASCII (Python), else as bytes
 * (a Uint8Array, a bytes literal), so what goes out is what was captured;
 * headers without Content-Length and Host, as for curl; repeated headers
 * joined with ", " (Cookie with "; "), since both take a mapping.
 */
#ifndef MP_EXPORT_EXPORT_H
#define MP_EXPORT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct flow;

/* Every format, sorted by name (export.formats lists them in this order). */
#define EXPORT_FORMAT_MAP(X)                                                                       \
    X(CURL, "curl")                                                                                \
    X(FETCH, "fetch")                                                                              \
    X(HTTPIE, "httpie")                                                                            \
    X(PYTHON_REQUESTS, "python_requests")                                                          \
    X(RAW, "raw")                                                                                  \
    X(RAW_REQUEST, "raw_request")                                                                  \
    X(RAW_RESPONSE, "raw_response")

enum export_format {
#define X(name, str) EXPORT_##name,
    EXPORT_FORMAT_MAP(X)
#undef X
        EXPORT__COUNT
};

struct export_opts {
    /* export_preserve_original_ip: curl gets --resolve HOST:PORT:[IP] for
     * the address the flow's server connection reached. */
    int preserve_original_ip;
};

const char *export_format_name(enum export_format);
/* The format called name, or -1. */
int export_format_find(const char *name);

/*
 * Appends flow f in format fmt to out (opts may be NULL: the defaults).
 * Returns 0, or MP_ERR_INVAL with mitmproxy's message when the flow has
 * nothing to export ("Can't export flow with no request.", "Request
 * content missing.", "Request content must be valid unicode", ...);
 * out is then unchanged.
 */
int export_flow(enum export_format fmt, const struct flow *f, const struct export_opts *opts,
                struct buf *out, struct err *e);

/*
 * The export command's text for bytes p[0..n) (strutils.always_str with
 * backslashreplace): valid UTF-8 is kept, every other byte is written as
 * \xHH.
 */
void export_as_text(const void *p, size_t n, struct buf *out);

/*
 * Puts p[0..n) on the system clipboard the way mitmproxy's pyperclip
 * finds one on Linux: with a display (DISPLAY or WAYLAND_DISPLAY set),
 * wl-copy under Wayland, else xsel, else xclip, the first found on PATH,
 * fed on its standard input. Returns 0, or MP_ERR_NOTFOUND when there is
 * no display or none of them, MP_ERR_IO when the program failed; e says
 * which.
 */
int export_clipboard_copy(const void *p, size_t n, struct err *e);

#endif
