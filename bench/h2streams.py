#!/usr/bin/python3
"""Many HTTP/2 streams over one connection, sampling a process's RSS (bench/run.sh).

Opens one TLS connection (ALPN h2) to --target, then runs -n GET requests for
--path on it, at most -m at a time (and never more than the server's
SETTINGS_MAX_CONCURRENT_STREAMS), each a new stream. The VmRSS of --pid (the
proxy) is read from /proc when 10%, 50% and 100% of the streams have
completed, the last one before the connection is closed, so a proxy that
forgets finished streams shows the same RSS at all three points. Prints one
line "BENCHJSON {...}": streams wanted and completed, errors (non-2xx, resets),
seconds, and rss_kib {"10": ..., "50": ..., "100": ...}. -d bounds the run.

Needs python3-h2 (Debian); the certificate is not verified unless --cafile is
given, since only memory is measured here.
"""

import argparse
import json
import select
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", required=True, help="HOST:PORT speaking h2 over TLS")
    ap.add_argument("--path", default="/1k")
    ap.add_argument("--pid", type=int, required=True, help="process whose VmRSS is sampled")
    ap.add_argument("--cafile")
    ap.add_argument("-n", type=int, default=50000, help="streams (default 50000)")
    ap.add_argument("-m", type=int, default=32, help="streams in flight (default 32)")
    ap.add_argument("-d", type=float, default=120, help="give up after this many seconds")
    a = ap.parse_args()

    host, _, port = a.target.rpartition(":")
    ctx = ssl.create_default_context(cafile=a.cafile) if a.cafile else ssl.SSLContext(
        ssl.PROTOCOL_TLS_CLIENT)
    if not a.cafile:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    res = {"wanted": a.n, "done": 0, "errors": 0, "seconds": None, "rss_kib": {},
           "note": ""}
    s = ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=10),
                        server_hostname=host)
    if s.selected_alpn_protocol() != "h2":
        res["note"] = "server did not select h2 (ALPN %r)" % s.selected_alpn_protocol()
        print("BENCHJSON " + json.dumps(res), flush=True)
        return 1
    s.setblocking(False)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(
        client_side=True, header_encoding=None))
    conn.initiate_connection()
    headers = [(b":method", b"GET"), (b":scheme", b"https"), (b":authority", host.encode()),
               (b":path", a.path.encode())]
    marks = {max(1, a.n * p // 100): str(p) for p in (10, 50, 100)}
    started, status = 0, {}
    out = bytearray(conn.data_to_send())
    t0 = time.monotonic()
    deadline = t0 + a.d
    while res["done"] < a.n and not res["note"]:
        limit = min(a.m, conn.remote_settings.max_concurrent_streams)
        while started < a.n and len(status) < limit:
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, headers, end_stream=True)
            status[sid] = None
            started += 1
        out += conn.data_to_send()
        if time.monotonic() > deadline:
            res["note"] = "timed out after %d s" % a.d
            break
        r, w, _ = select.select([s], [s] if out else [], [], 1.0)
        if w:
            try:
                n = s.send(out)
                del out[:n]
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                pass
        if not r and not s.pending():
            continue
        try:
            data = s.recv(262144)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            continue
        if not data:
            res["note"] = "connection closed by the proxy"
            break
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                status[ev.stream_id] = dict(ev.headers).get(b":status")
            elif isinstance(ev, h2.events.DataReceived):
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                st = status.pop(ev.stream_id, None)
                if isinstance(ev, h2.events.StreamReset) or not (st or b"").startswith(b"2"):
                    res["errors"] += 1
                res["done"] += 1
                if res["done"] in marks:
                    res["rss_kib"][marks[res["done"]]] = rss_kib(a.pid)
            elif isinstance(ev, h2.events.ConnectionTerminated):
                res["note"] = "GOAWAY from the proxy (%s)" % ev.error_code
    res["seconds"] = time.monotonic() - t0
    s.close()
    print("BENCHJSON " + json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
