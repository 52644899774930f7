#!/usr/bin/python3
"""HTTPS load generator for bench/run.sh (standard library only).

wrk cannot tunnel through an HTTP proxy with CONNECT, so the TLS rows use this.
Every connection optionally sends "CONNECT TARGET" to --proxy, then does a TLS
handshake that must verify against --cafile (the proxy's CA for intercepted
rows, the origin's self-signed certificate otherwise), then sends small GET
requests and reads exactly Content-Length bytes of each response.

Modes:
  keepalive  C persistent connections, requests back to back for D seconds
  newconn    C loops of connect + CONNECT + handshake + one request + close for
             D seconds; each completed loop counts as one "request". With
             --resume each loop offers the TLS session of its previous
             connection (a returning client: TLS 1.3 ticket or 1.2 session),
             and "resumed" counts the handshakes the server resumed
  idle       open N connections (C at a time), one request each, keep them
             open, write a JSON line to --ready and hold them until killed or
             --hold seconds pass (-d bounds the opening)

keepalive and newconn print one line "BENCHJSON {...}" with the same keys as
bench/wrk.lua, so bench.py records both the same way. Latency is from sending
the request to the complete response (keepalive), or from connect() to the
complete response (newconn).

One thread drives every connection with a selector: each connection is a
generator that yields (fd, event) when it would block. That keeps the client
lean, which matters because it shares its CPU with the origin server.
"""

import argparse
import json
import os
import selectors
import signal
import socket
import ssl
import sys
import time

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE


class Stats:
    def __init__(self):
        self.done = 0
        self.bytes = 0
        self.err_connect = 0
        self.err_read = 0
        self.err_status = 0
        self.resumed = 0
        self.lat_ns = []


class Client:
    def __init__(self, args):
        self.target = args.target
        host, _, port = args.target.rpartition(":")
        self.target_addr = (host, int(port))
        self.proxy_addr = None
        if args.proxy:
            phost, _, pport = args.proxy.rpartition(":")
            self.proxy_addr = (phost, int(pport))
        self.servername = args.servername or host
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cafile=args.cafile)
        # HTTP/1.1 only: the proxies would otherwise pick HTTP/2 via ALPN.
        ctx.set_alpn_protocols(["http/1.1"])
        self.ctx = ctx
        self.request = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (args.path, args.target)).encode()
        self.connect_req = ("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n"
                            % (args.target, args.target)).encode()

    def open(self, stats, session=None):
        """Generator: a verified TLS socket to the target (through the proxy if any),
        offering session for resumption when it is not None."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            err = sock.connect_ex(self.proxy_addr or self.target_addr)
            if err not in (0, 115):  # 115: EINPROGRESS
                raise OSError(err, os.strerror(err))
            yield sock.fileno(), WRITE
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise OSError(err, os.strerror(err))
            if self.proxy_addr:
                yield from send_all(sock, self.connect_req)
                head = b""
                while b"\r\n\r\n" not in head:
                    try:
                        chunk = sock.recv(4096)
                    except BlockingIOError:
                        yield sock.fileno(), READ
                        continue
                    if not chunk or len(head) > 65536:
                        raise ConnectionError("proxy closed during CONNECT")
                    head += chunk
                if head.split(b" ", 2)[1:2] != [b"200"]:
                    raise ConnectionError("CONNECT answered %r" % head.split(b"\r\n", 1)[0])
        except (OSError, ValueError):
            sock.close()
            stats.err_connect += 1
            raise
        ssock = self.ctx.wrap_socket(sock, server_hostname=self.servername,
                                     do_handshake_on_connect=False, session=session)
        try:
            while True:
                try:
                    ssock.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    yield ssock.fileno(), READ
                except ssl.SSLWantWriteError:
                    yield ssock.fileno(), WRITE
        except (OSError, ValueError):
            ssock.close()
            stats.err_connect += 1
            raise
        return ssock

    def exchange(self, ssock, stats):
        """Generator: one request and its complete response; counts it in stats."""
        yield from send_all(ssock, self.request)
        buf = b""
        need = -1
        while need < 0 or len(buf) < need:
            try:
                chunk = ssock.recv(65536)
            except ssl.SSLWantReadError:
                yield ssock.fileno(), READ
                continue
            except ssl.SSLWantWriteError:
                yield ssock.fileno(), WRITE
                continue
            if not chunk:
                stats.err_read += 1
                raise ConnectionError("connection closed before the response was complete")
            buf += chunk
            if need < 0:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    continue
                head = buf[:end].lower()
                i = head.find(b"\r\ncontent-length:")
                if i < 0:
                    stats.err_read += 1
                    raise ConnectionError("response without Content-Length")
                j = head.find(b"\r\n", i + 2)
                need = end + 4 + int(head[i + 17:j if j > 0 else len(head)])
        if buf[9:12] != b"200":
            stats.err_status += 1
        stats.bytes += len(buf)


def send_all(sock, data):
    while data:
        try:
            n = sock.send(data)
        except (BlockingIOError, ssl.SSLWantWriteError):
            yield sock.fileno(), WRITE
            continue
        except ssl.SSLWantReadError:
            yield sock.fileno(), READ
            continue
        data = data[n:]


def keepalive_worker(client, stats, deadline):
    ssock = None
    while time.monotonic() < deadline:
        try:
            if ssock is None:
                ssock = yield from client.open(stats)
            t0 = time.perf_counter_ns()
            yield from client.exchange(ssock, stats)
            stats.lat_ns.append(time.perf_counter_ns() - t0)
            stats.done += 1
        except (OSError, ValueError, ssl.SSLError):
            if ssock is not None:
                ssock.close()
                ssock = None
    if ssock is not None:
        ssock.close()


def newconn_worker(client, stats, deadline, resume=False):
    session = None
    while time.monotonic() < deadline:
        t0 = time.perf_counter_ns()
        try:
            ssock = yield from client.open(stats, session)
        except (OSError, ValueError, ssl.SSLError):
            session = None
            continue
        try:
            yield from client.exchange(ssock, stats)
            stats.lat_ns.append(time.perf_counter_ns() - t0)
            stats.done += 1
            stats.resumed += ssock.session_reused
            # A TLS 1.3 ticket arrives after the handshake: by the end of the
            # response it has been read.
            if resume:
                session = ssock.session
        except (OSError, ValueError, ssl.SSLError):
            session = None
        ssock.close()


def idle_worker(client, stats, count, keep, deadline):
    for _ in range(count):
        if time.monotonic() >= deadline:
            return
        ssock = None
        try:
            ssock = yield from client.open(stats)
            yield from client.exchange(ssock, stats)
            stats.done += 1
            keep.append(ssock)
        except (OSError, ValueError, ssl.SSLError):
            if ssock is not None:
                ssock.close()


def drive(workers, deadline):
    """Runs the worker generators until all finish or the deadline passes."""
    # poll(2) keeps the set of fds in user space, so registering a worker's fd
    # on every wait and dropping it on wake-up costs no system call; that also
    # keeps a registration from outliving a closed (and reused) fd.
    sel = selectors.PollSelector()
    ready = list(workers)
    while True:
        for w in ready:
            try:
                fd, ev = next(w)
            except StopIteration:
                continue
            sel.register(fd, ev, w)
        ready = []
        timeout = deadline - time.monotonic()
        if timeout <= 0 or not sel.get_map():
            break
        for key, _ in sel.select(timeout):
            sel.unregister(key.fd)
            ready.append(key.data)
    for w in workers:
        w.close()
    sel.close()


def percentile(sorted_vals, p):
    if not sorted_vals:
        return 0
    return sorted_vals[min(len(sorted_vals) - 1, int(len(sorted_vals) * p / 100.0))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["keepalive", "newconn", "idle"])
    ap.add_argument("--target", required=True, help="HOST:PORT of the TLS server")
    ap.add_argument("--proxy", help="HOST:PORT of the HTTP proxy (CONNECT)")
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--servername", help="name to verify (default: the target host)")
    ap.add_argument("--path", default="/1k")
    ap.add_argument("-c", "--connections", type=int, default=10)
    ap.add_argument("-d", "--duration", type=float, default=10.0)
    ap.add_argument("-n", "--count", type=int, default=200, help="idle: connections to open")
    ap.add_argument("--ready", help="idle: file to write the result line to")
    ap.add_argument("--hold", type=float, default=60.0, help="idle: seconds to hold at most")
    ap.add_argument("--resume", action="store_true",
                    help="newconn: offer the previous connection's TLS session")
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    client = Client(args)
    stats = Stats()
    conns = max(1, args.connections)
    if args.mode == "idle":
        keep = []
        # -d bounds the opening; --hold then bounds the holding.
        deadline = time.monotonic() + args.duration
        per = [args.count // conns + (1 if i < args.count % conns else 0) for i in range(conns)]
        drive([idle_worker(client, stats, k, keep, deadline) for k in per if k], deadline)
        line = json.dumps({"opened": len(keep), "wanted": args.count,
                           "err_connect": stats.err_connect, "err_read": stats.err_read,
                           "err_status": stats.err_status})
        if args.ready:
            with open(args.ready + ".tmp", "w") as f:
                f.write(line + "\n")
            os.rename(args.ready + ".tmp", args.ready)
        print("BENCHJSON " + line, flush=True)
        # Holding: the harness reads the proxy's RSS now and then ends us.
        deadline = time.monotonic() + args.hold
        while time.monotonic() < deadline:
            time.sleep(0.2)
        return 0

    start = time.monotonic()
    deadline = start + args.duration
    if args.mode == "keepalive":
        workers = [keepalive_worker(client, stats, deadline) for _ in range(conns)]
    else:
        workers = [newconn_worker(client, stats, deadline, args.resume) for _ in range(conns)]
    drive(workers, deadline)
    dur = time.monotonic() - start
    lat = sorted(stats.lat_ns)
    print("BENCHJSON " + json.dumps({
        "requests": stats.done, "duration_us": int(dur * 1e6), "bytes": stats.bytes,
        "err_connect": stats.err_connect, "err_read": stats.err_read, "err_write": 0,
        "err_status": stats.err_status, "err_timeout": 0, "resumed": stats.resumed,
        "p50_us": percentile(lat, 50) // 1000, "p99_us": percentile(lat, 99) // 1000,
        "max_us": (lat[-1] if lat else 0) // 1000}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
