/*
 * Cut specifications (mitmproxy's addons/cut.py): attribute paths from
 * the base of a flow, "request.header[user-agent]", "server_conn.address.
 * port", giving one cell of text or bytes per flow and spec, for the cut
 * commands and their CSV.
 *
 *   request.method        "GET"
 *   response.content      the decoded body, as bytes
 *   client_conn.tls       "true" / "false"
 *   server_conn.peername  "('93.184.216.34', 443)"
 *
 * As in mitmproxy: a part starting with "_" is an error, an attribute
 * that is not there gives "", "host" and "port" of an address give its
 * parts, "header[name]" of a request or response gives the header's
 * values joined with ", ", bytes stay bytes, bools are "true" or "false",
 * and everything else is str() of the value, "" when it is falsy (0, None,
 * empty). Modeled are the attributes of the flow, its error, request,
 * response and connections that our flows hold (cut.c lists them); one we
 * do not hold (websocket, messages, cookies, certificate_list, ...) gives
 * "", as a missing one does.
 */
#ifndef MP_EXPORT_CUT_H
#define MP_EXPORT_CUT_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

struct flow;

/* What a cell holds: text (UTF-8, surrogate escapes as their bytes) or
 * bytes (a body). */
enum cut_kind { CUT_TEXT, CUT_BYTES };

/*
 * cut.extract(spec, f): the cell appended to out, its kind in *kind (may be
 * NULL). Returns 0, or MP_ERR_INVAL with mitmproxy's message ("Can't
 * access internal attribute _x", "Invalid header spec: header[x"); out is
 * then unchanged.
 */
int cut_extract(const char *spec, const struct flow *f, struct buf *out, enum cut_kind *kind,
                struct err *e);

/* cut.extract_str(): as cut_extract, with bytes written as Python's repr()
 * (b'...'), the way CSV and the clipboard get them. */
int cut_extract_str(const char *spec, const struct flow *f, struct buf *out, struct err *e);

/*
 * One row of Python's csv.writer (the excel dialect): cells[0..n) joined
 * with ',', a cell quoted with '"' (quotes doubled) when it holds ',', '"',
 * CR or LF, a row of one empty cell written as "", then CRLF.
 */
void cut_csv_row(struct buf *out, const struct buf *cells, size_t n);

#endif
