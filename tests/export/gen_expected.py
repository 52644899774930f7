#!/usr/bin/python3
"""Writes what mitmproxy 8.1.1 exports and cuts for every flow of the
fixture file all.mitm, for tests/export/test_export.c and test_cut.c to
compare with byte for byte. Run from the repository root with Debian's
mitmproxy 8.1.1:

    /usr/bin/python3 tests/export/gen_expected.py ../shared/fixtures/flows/all.mitm [--all-cuts]

cut.txt holds the cuts of the flows in CUT_FLOWS, a kind of each, to keep
it small; --all-cuts writes them for every flow (the test reads either).

Each output file is a list of records, one per flow (and cut spec):

    flow <index> <id>[ <spec>]\n
    ok <length>\n<bytes>\n          or     error <message>\n

A format's str result is written as UTF-8 with surrogateescape, which gives
back the bytes of header values mitmproxy read as latin-1 escapes. For a
DNS flow mitmproxy's export functions fail an assertion (a crash in a
command); the file records the error a TCP flow gets instead.
"""
import sys

from mitmproxy import exceptions, http, io
from mitmproxy.addons import cut, export
from mitmproxy.test import taddons

CUTS = [
    "id", "type", "marked", "comment", "is_replay", "intercepted", "live",
    "timestamp_created", "error", "error.msg", "error.timestamp", "nonexistent",
    "request", "request.method", "request.scheme", "request.host", "request.port",
    "request.authority", "request.path", "request.http_version", "request.url",
    "request.pretty_url", "request.pretty_host", "request.host_header",
    "request.content", "request.raw_content", "request.text", "request.headers",
    "request.timestamp_start", "request.timestamp_end", "request.trailers",
    "request.header[Host]", "request.header[user-agent]", "request.header[X-Missing]",
    "request.first_line_format", "request.is_http2", "request.nope.deeper",
    "response", "response.status_code", "response.reason", "response.http_version",
    "response.content", "response.raw_content", "response.text", "response.headers",
    "response.timestamp_start", "response.timestamp_end",
    "response.header[Content-Type]", "response.header[set-cookie]",
    "client_conn.address", "client_conn.peername", "client_conn.peername.host",
    "client_conn.peername.port", "client_conn.sockname.port", "client_conn.id",
    "client_conn.tls", "client_conn.tls_established", "client_conn.sni",
    "client_conn.alpn", "client_conn.cipher", "client_conn.tls_version",
    "client_conn.timestamp_start", "client_conn.timestamp_end",
    "client_conn.timestamp_tls_setup", "client_conn.error",
    "server_conn.address", "server_conn.address.host", "server_conn.address.port",
    "server_conn.peername", "server_conn.peername.host", "server_conn.sockname.host",
    "server_conn.sni", "server_conn.alpn", "server_conn.tls_version",
    "server_conn.timestamp_start", "server_conn.timestamp_tcp_setup",
    "server_conn.timestamp_tls_setup", "server_conn.timestamp_end",
    "server_conn.tls_established", "server_conn.error",
    "server_conn.via", "client_conn._private", "request.host.port",
    "client_conn", "server_conn", "client_conn.state", "request.header[Host",
    "response.header[]", "client_conn.header[x]", "error.msg.x",
    "killable", "request.is_http10", "response.is_http2", "response.trailers",
    "server_conn.state", "server_conn.tls", "server_conn.cipher", "client_conn.alpn.x",
    "request.header[ content-type ]", "header[x]", "request.header[x",
    "", ".", "request.", ".id", "header[", "request.header[]]", "_", "a._b",
    "client_conn.peername.port.x", "server_conn.address.host.x", "response.status_code.x",
]

# The flows whose cuts cut.txt holds (all of them with --all-cuts): HTTP/1
# with a form, gzip, latin-1 headers, no content, HTTP/2 over TLS, a
# WebSocket, TCP, DNS, a refused connection, a killed flow, a replay.
CUT_FLOWS = [1, 5, 13, 20, 34, 38, 39, 40, 43, 46, 53]


def as_bytes(v):
    return v if isinstance(v, bytes) else v.encode("utf-8", "surrogateescape")


def record(out, head, fn):
    out.write(head.encode("utf-8", "surrogateescape") + b"\n")
    try:
        v = as_bytes(fn())
    except exceptions.CommandError as e:
        out.write(b"error %s\n" % str(e).encode())
        return
    out.write(b"ok %d\n%s\n" % (len(v), v))


def export_fn(fmt, f):
    def run():
        try:
            return export.formats[fmt](f)
        except AssertionError:
            # A DNS flow: mitmproxy's isinstance assertion; we say what a
            # TCP flow gets.
            if fmt == "raw_response":
                raise exceptions.CommandError("Can't export flow with no response.")
            raise exceptions.CommandError("Can't export flow with no request.")
    return run


def main(path, all_cuts=False):
    flows = list(io.FlowReader(open(path, "rb")).stream())
    with taddons.context(export.Export()) as tctx:
        for fmt in sorted(export.formats):
            with open("tests/export/expected/%s.txt" % fmt, "wb") as out:
                for i, f in enumerate(flows):
                    record(out, "flow %d %s" % (i, f.id), export_fn(fmt, f))
        tctx.options.export_preserve_original_ip = True
        with open("tests/export/expected/curl-preserve-ip.txt", "wb") as out:
            for i, f in enumerate(flows):
                record(out, "flow %d %s" % (i, f.id), export_fn("curl", f))
    # extract() keeps bytes; extract_str() is what CSV gets (repr of bytes).
    with open("tests/export/expected/cut.txt", "wb") as out:
        for i, f in enumerate(flows):
            if not all_cuts and i not in CUT_FLOWS:
                continue
            for spec in CUTS:
                # A DNS flow's request and response are DNS messages, which
                # our flows keep as loaded, not as objects to cut from.
                if f.type == "dns" and spec.startswith(("request", "response")):
                    continue
                def run(spec=spec, f=f):
                    try:
                        v = cut.extract(spec, f)
                    except exceptions.CommandError:
                        raise
                    except AttributeError:
                        # header[] of something without headers: mitmproxy
                        # crashes; we give "" as for an attribute not there.
                        v = ""
                    kind = "b" if isinstance(v, bytes) else "s"
                    return kind.encode() + b" " + as_bytes(v)
                record(out, "flow %d %s %s" % (i, f.id, spec), run)


if __name__ == "__main__":
    main(sys.argv[1], "--all-cuts" in sys.argv[2:])
