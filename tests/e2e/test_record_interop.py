"""
End-to-end: real traffic recorded with our `mitmdump -w FILE` must load in
mitmproxy 8.1.1 with the same content. curl talks to the origin through our
proxy; afterwards mitmproxy's own FlowReader loads FILE (mitmproxy is
imported into this process, so run with /usr/bin/python3) and every field we
can know from the outside is compared with what curl sent and received.

What curl sent is taken from its own `-v` trace ("> " lines), so the expected
request headers are exactly the bytes on the wire, in order and case.
"""
import os
import re
import subprocess
import time

import pytest

from conftest import free_port

REAL_MITMDUMP = "/usr/bin/mitmdump"
UPLOAD = b"chunky body\nline two\n"


def mitmproxy_io():
    try:
        from mitmproxy import io
    except ImportError:
        pytest.fail("mitmproxy 8.1.1 is not importable; run with /usr/bin/python3 "
                    "(Debian package mitmproxy)")
    return io


def load(path):
    io = mitmproxy_io()
    with open(path, "rb") as f:
        return list(io.FlowReader(f).stream())


class Sent:
    """One curl run: what it sent to the proxy and what it got back."""

    def __init__(self, args, url, timeout=20):
        cmd = ["curl", "-sS", "-v", "--max-time", str(timeout),
               "-w", "%{stderr}LOCAL-PORT=%{local_port}\n", *args, url]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout + 5)
        self.url = url
        self.rc = r.returncode
        self.body = r.stdout
        self.err = r.stderr.decode("latin-1")
        lines = [line.rstrip("\r") for line in self.err.split("\n")]
        out = [line[2:] for line in lines if line.startswith("> ") or line == ">"]
        # The first "> " block is the request head; it ends at an empty "> " line.
        head = out[:out.index("")] if "" in out else out
        assert head, f"curl sent no request to {url}:\n{self.err}"
        self.method, self.target, self.version = head[0].split(" ")
        self.headers = tuple(tuple(h.encode("latin-1").split(b": ", 1)) for h in head[1:])
        # The last "< " block is the final response (after a possible 100 Continue).
        blocks, cur = [], None
        for line in lines:
            if line.startswith("< HTTP/"):
                cur = [line[2:]]
                blocks.append(cur)
            elif cur is not None and line.startswith("< ") and line != "< ":
                cur.append(line[2:])
            elif line in ("<", "< "):
                cur = None
        self.status_line = blocks[-1][0] if blocks else None
        self.recv_headers = tuple(tuple(h.encode("latin-1").split(b": ", 1))
                                  for h in (blocks[-1][1:] if blocks else []))
        m = re.search(r"^LOCAL-PORT=(\d+)$", self.err, re.M)
        self.local_port = int(m.group(1)) if m else None


def traffic(origin, upload):
    """The requests of the issue: (name, curl args, URL)."""
    base = f"http://127.0.0.1:{origin}"
    return [
        ("get-query", [], base + "/hello?q=x%20y&lang=en&lang=de&empty=&flag"),
        ("post-form", ["--data-binary", "a=1&b=2"], base + "/form"),
        ("put-chunked", ["-T", str(upload), "-H", "Transfer-Encoding: chunked"], base + "/up"),
        ("chunked-response", [], base + "/chunked"),
        ("head", ["-I"], base + "/hello"),
        ("not-found", [], base + "/nope"),
        ("dup-headers", ["-H", "X-Dup: one", "-H", "x-dup: two", "-H", "X-DUP: three",
                         "-H", "x-Other: Mixed Case"], base + "/echo-headers"),
        ("refused", [], f"http://127.0.0.1:{free_port()}/refused?x=1"),
        ("truncated", [], base + "/truncated"),
    ]


def record(mitmdump, path, requests, target=None):
    """Runs `requests` through our mitmdump -w target (default path), stops it."""
    proc, port = mitmdump("-w", target or str(path))
    t0 = time.time()
    sent = [Sent(["-x", f"http://127.0.0.1:{port}", *args], url) for _, args, url in requests]
    t1 = time.time()
    # Stop before reading: the file is complete only once the proxy has exited.
    assert proc.stop() == 0, proc.output()
    return port, sent, (t0 - 1, t1 + 1)


@pytest.fixture
def upload(tmp_path):
    p = tmp_path / "upload.txt"
    p.write_bytes(UPLOAD)
    return p


def origin_headers(flow, names):
    """http.server's headers: Server and Date first, then ours, then Content-Length."""
    assert [k.decode() for k, _ in flow.response.headers.fields] == names
    assert flow.response.headers["Server"].startswith("BaseHTTP/")
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT",
                        flow.response.headers["Date"])


def check_common(flow, s, proxy_port, window):
    lo, hi = window
    req = flow.request
    assert flow.type == "http"
    assert req.method == s.method
    assert req.url == s.url
    assert req.scheme == "http"
    assert req.host == "127.0.0.1"
    assert req.port == int(s.url.split(":")[2].split("/")[0])
    assert req.path == s.url.split(str(req.port), 1)[1]
    assert req.authority == ""
    assert req.http_version == s.version == "HTTP/1.1"
    # Expect: 100-continue is answered by the proxy and not stored (mitmproxy does the same).
    sent = tuple(h for h in s.headers if h[0].lower() != b"expect")
    assert len(sent) >= 4 and sent[0][0] == b"Host", s.err
    assert req.headers.fields == sent
    assert lo <= req.timestamp_start <= req.timestamp_end <= hi

    cc, sc = flow.client_conn, flow.server_conn
    assert cc.peername == ("127.0.0.1", s.local_port)
    assert cc.sockname == ("127.0.0.1", proxy_port)
    assert lo <= cc.timestamp_start <= req.timestamp_start
    assert cc.tls_established is False and sc.tls_established is False
    return cc, sc


def check_response(flow, s, status, reason, body, window):
    lo, hi = window
    resp = flow.response
    assert flow.error is None
    assert s.rc == 0, s.err
    assert resp.status_code == status
    assert resp.reason == reason
    assert resp.http_version == "HTTP/1.1"
    assert s.status_line == f"HTTP/1.1 {status} {reason}"
    # What the client received is what the origin sent, and that is what was recorded.
    assert resp.headers.fields == s.recv_headers and len(s.recv_headers) >= 3
    assert resp.raw_content == body
    assert flow.request.timestamp_end <= resp.timestamp_start <= resp.timestamp_end <= hi
    assert resp.timestamp_start >= lo
    sc = flow.server_conn
    assert sc.address == ("127.0.0.1", flow.request.port)
    assert sc.peername == ("127.0.0.1", flow.request.port)
    assert sc.sockname[0] == "127.0.0.1" and sc.sockname[1] > 0
    assert sc.timestamp_start <= sc.timestamp_tcp_setup <= resp.timestamp_start


def check_flow(name, flow, s, proxy_port, window, origin):
    """Asserts everything known about one recorded flow of traffic()."""
    check_common(flow, s, proxy_port, window)
    req = flow.request
    if name == "get-query":
        assert req.raw_content == b""
        assert req.query.get_all("lang") == ["en", "de"]
        check_response(flow, s, 200, "OK", b"hello world\n", window)
        origin_headers(flow, ["Server", "Date", "Content-Type", "X-Path", "Content-Length"])
        assert flow.response.headers["X-Path"] == req.path
        assert s.body == b"hello world\n"
    elif name == "post-form":
        assert req.raw_content == b"a=1&b=2"
        assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert req.urlencoded_form.fields == (("a", "1"), ("b", "2"))
        check_response(flow, s, 200, "OK", b"got 7 bytes: a=1&b=2", window)
        origin_headers(flow, ["Server", "Date", "Content-Length"])
    elif name == "put-chunked":
        # The chunked body is stored decoded; the header stays as sent.
        assert req.headers["Transfer-Encoding"] == "chunked"
        # curl asked for 100 Continue, so that path is covered too.
        assert (b"Expect", b"100-continue") in s.headers
        assert "Expect" not in req.headers
        assert req.raw_content == UPLOAD
        check_response(flow, s, 200, "OK", b"got %d bytes: %s" % (len(UPLOAD), UPLOAD), window)
    elif name == "chunked-response":
        check_response(flow, s, 200, "OK", b"first,second,third", window)
        origin_headers(flow, ["Server", "Date", "Transfer-Encoding"])
        assert flow.response.headers["Transfer-Encoding"] == "chunked"
        assert s.body == b"first,second,third"
    elif name == "head":
        check_response(flow, s, 200, "OK", b"", window)
        origin_headers(flow, ["Server", "Date", "Content-Type", "X-Path", "Content-Length"])
        assert flow.response.headers["Content-Length"] == "12"
    elif name == "not-found":
        check_response(flow, s, 404, "Not Found", b"not found\n", window)
        assert s.body == b"not found\n"
    elif name == "dup-headers":
        names = [k for k, _ in req.headers.fields]
        assert names[-4:] == [b"X-Dup", b"x-dup", b"X-DUP", b"x-Other"]
        assert req.headers.get_all("x-dup") == ["one", "two", "three"]
        # The origin echoes the headers it received: the proxy forwarded what it recorded.
        echoed = b"".join(k + b": " + v + b"\n" for k, v in req.headers.fields)
        check_response(flow, s, 200, "OK", echoed, window)
        assert s.body == echoed
    elif name == "refused":
        port = req.port
        assert flow.response is None
        assert flow.error is not None
        assert "refused" in flow.error.msg and f"127.0.0.1:{port}" in flow.error.msg
        assert window[0] <= flow.error.timestamp <= window[1]
        # The client got a 502 that the proxy made up; it is not part of the flow.
        assert s.status_line == "HTTP/1.1 502 Bad Gateway"
        # mitmproxy 8.1.1 itself leaves the address unset here; the target is just as good.
        assert flow.server_conn.address in (None, ("127.0.0.1", port))
    elif name == "truncated":
        resp = flow.response
        assert flow.error is not None
        assert flow.error.msg == ("HTTP/1 protocol error: peer closed connection without sending "
                                  "complete message body (received 11 bytes, expected 1000)")
        assert window[0] <= flow.error.timestamp <= window[1]
        assert resp.status_code == 200 and resp.reason == "OK"
        origin_headers(flow, ["Server", "Date", "Content-Length"])
        assert resp.headers["Content-Length"] == "1000"
        # As mitmproxy 8.1.1 (its error-truncated.mitm fixture): an incomplete body is not
        # stored, content is None ("content missing").
        assert resp.raw_content is None
        # The response never ended.
        assert resp.timestamp_start is not None and resp.timestamp_end is None
        assert flow.server_conn.address == ("127.0.0.1", origin)
        assert s.status_line == "HTTP/1.1 502 Bad Gateway"
    else:
        raise AssertionError(name)


@pytest.mark.parametrize("case", [c[0] for c in traffic(0, "x")])
def test_recorded_flow_loads_in_mitmproxy(case, mitmdump, origin, upload, tmp_path):
    path = tmp_path / "out.mitm"
    requests = [c for c in traffic(origin, upload) if c[0] == case]
    port, sent, window = record(mitmdump, path, requests)
    flows = load(path)
    assert len(flows) == 1
    check_flow(case, flows[0], sent[0], port, window, origin)


def listing(path):
    """`/usr/bin/mitmdump -n -r path`: (exit code, request lines, whole output)."""
    if not os.path.exists(REAL_MITMDUMP):
        pytest.fail(f"{REAL_MITMDUMP} (mitmproxy 8.1.1) is not installed")
    # The dumper shortens URLs to the terminal width (COLUMNS when not a terminal).
    env = dict(os.environ, COLUMNS="1000")
    r = subprocess.run([REAL_MITMDUMP, "-n", "-r", str(path)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60, env=env)
    out = r.stdout.decode("utf-8", "replace")
    rx = re.compile(r"^127\.0\.0\.1:(\d+): ([A-Z]+) (\S+)$")
    return r.returncode, [m.groups() for m in map(rx.match, out.splitlines()) if m], out


def expected_listing(flows):
    """mitmdump -r runs the response and the error hook of a flow that has both, and
    prints the flow at each: mitmproxy 8.1.1 does so for its own files too."""
    lines = []
    for f in flows:
        line = (str(f.client_conn.peername[1]), f.request.method, f.request.url)
        lines += [line] * (2 if f.response and f.error else 1)
    return lines


def test_whole_session_loads_in_mitmproxy(mitmdump, origin, upload, tmp_path):
    path = tmp_path / "session.mitm"
    requests = traffic(origin, upload)
    port, sent, window = record(mitmdump, path, requests)
    flows = load(path)
    assert [f.request.url for f in flows] == [s.url for s in sent]
    for (name, _, _), flow, s in zip(requests, flows, sent):
        check_flow(name, flow, s, port, window, origin)
    # Each curl run is a flow on its own client and server connection.
    assert len({f.id for f in flows}) == len(flows)
    assert len({f.client_conn.id for f in flows}) == len(flows)
    assert len({f.server_conn.id for f in flows}) == len(flows)
    assert len({f.id for f in flows} | {f.client_conn.id for f in flows}) == 2 * len(flows)
    starts = [f.request.timestamp_start for f in flows]
    assert starts == sorted(starts)

    rc, lines, out = listing(path)
    assert rc == 0, out
    assert lines == expected_listing(flows), out
    assert [(str(s.local_port), s.method, s.url) for s in sent] == list(dict.fromkeys(lines))
    assert "<< 404 Not Found 10b" in out
    assert "<< HTTP/1 protocol error: peer closed connection" in out


def test_append_across_two_runs(mitmdump, origin, upload, tmp_path):
    path = tmp_path / "append.mitm"
    first = traffic(origin, upload)[:2]
    second = traffic(origin, upload)[3:6]
    port1, sent1, window1 = record(mitmdump, path, first)
    assert len(load(path)) == 2
    port2, sent2, window2 = record(mitmdump, path, second, target="+" + str(path))
    flows = load(path)
    assert [f.request.url for f in flows] == [s.url for s in sent1 + sent2]
    for (name, _, _), flow, s in zip(first, flows[:2], sent1):
        check_flow(name, flow, s, port1, window1, origin)
    for (name, _, _), flow, s in zip(second, flows[2:], sent2):
        check_flow(name, flow, s, port2, window2, origin)
    assert len({f.id for f in flows}) == 5
    rc, lines, out = listing(path)
    assert rc == 0, out
    assert lines == expected_listing(flows), out

    # Without "+" the file starts over.
    record(mitmdump, path, first[:1])
    assert [f.request.url for f in load(path)] == [sent1[0].url]
