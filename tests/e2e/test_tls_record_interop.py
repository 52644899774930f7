"""
End-to-end: HTTPS traffic intercepted through CONNECT and recorded with our
`mitmdump -w FILE` must load in mitmproxy 8.1.1 and carry what 8.1.1 itself
records for such flows (its https-connect.mitm fixture): scheme "https", the
CONNECT host and port, an empty authority for HTTP/1.1, and TLS details on
both connections. mitmproxy is imported into this process, so run with
/usr/bin/python3.

Fields that 8.1.1 fills and we leave empty (alpn_offers, the upstream
certificate_list) are deliberately not asserted here; nothing in loading,
listing or replaying a flow depends on them.
"""
import os
import re
import subprocess
import time

import pytest

REAL_MITMDUMP = "/usr/bin/mitmdump"
FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                       "fixtures", "flows", "https-connect.mitm")
POST_BODY = b"a=1&b=2"


def load(path):
    try:
        from mitmproxy import io
    except ImportError:
        pytest.fail("mitmproxy 8.1.1 is not importable; run with /usr/bin/python3 "
                    "(Debian package mitmproxy)")
    with open(path, "rb") as f:
        return list(io.FlowReader(f).stream())


def ca_of(tmp_path):
    return str(tmp_path / "conf" / "mitmproxy-ca-cert.pem")


class Sent:
    """One curl run through the proxy: the requests it sent inside the tunnel and the final
    responses it got, taken from its `-v` trace. The CONNECT exchange is skipped, so each
    entry of `requests` is (method, target, version, headers) of a request on the wire."""

    def __init__(self, args, urls, timeout=20):
        cmd = ["curl", "-sS", "-v", "--max-time", str(timeout),
               "-w", "%{stderr}LOCAL-PORT=%{local_port}\n", *args, *urls]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout + 5)
        self.rc = r.returncode
        self.body = r.stdout
        self.err = r.stderr.decode("latin-1")
        lines = [line.rstrip("\r") for line in self.err.split("\n")]
        self.requests, self.responses = [], []
        req, resp = None, None
        for line in lines:
            if line.startswith("> ") and line != "> ":
                if req is None:
                    req = [line[2:]]
                    if not req[0].startswith("CONNECT "):
                        self.requests.append(req)
                else:
                    req.append(line[2:])
            elif line in (">", "> "):
                req = None
            elif line.startswith("< HTTP/"):
                resp = [line[2:]]
                if " Connection established" not in line:
                    self.responses.append(resp)
            elif resp is not None and line.startswith("< ") and line != "< ":
                resp.append(line[2:])
            elif line in ("<", "< "):
                resp = None
        self.requests = [self._req(r) for r in self.requests]
        self.responses = [(r[0], tuple(tuple(h.encode("latin-1").split(b": ", 1)) for h in r[1:]))
                          for r in self.responses]
        self.offers = re.findall(r"^\* ALPN: offers (\S+)$", self.err, re.M)
        m = re.search(r"^LOCAL-PORT=(\d+)$", self.err, re.M)
        self.local_port = int(m.group(1)) if m else None

    @staticmethod
    def _req(head):
        method, target, version = head[0].split(" ")
        headers = tuple(tuple(h.encode("latin-1").split(b": ", 1)) for h in head[1:])
        return method, target, version, headers


def record(mitmdump, path, runs):
    """Starts our mitmdump -k -w path, makes each curl run of `runs` (args, urls) through it,
    stops it (the file is complete only once it has exited). Returns (port, sent, window)."""
    proc, port = mitmdump("-k", "-w", str(path))
    t0 = time.time()
    sent = [Sent(["-x", f"http://127.0.0.1:{port}", *args], urls) for args, urls in runs]
    t1 = time.time()
    assert proc.stop() == 0, proc.output()
    return port, sent, (t0 - 1, t1 + 1)


def check_tls_conns(flow, proxy_port, origin_port, local_port, window):
    """What 8.1.1 records about both connections of an intercepted HTTP/1.1 flow."""
    lo, hi = window
    cc, sc, req = flow.client_conn, flow.server_conn, flow.request
    assert cc.peername == ("127.0.0.1", local_port)
    assert cc.sockname == ("127.0.0.1", proxy_port)
    assert cc.tls is True and cc.tls_established is True
    assert cc.sni == "localhost"
    assert cc.alpn == b"http/1.1"
    assert cc.tls_version in ("TLSv1.2", "TLSv1.3")
    # OpenSSL's names, as 8.1.1 stores them (its fixture: "TLS_AES_256_GCM_SHA384").
    assert re.fullmatch(r"[A-Z0-9_-]+", cc.cipher or ""), cc.cipher
    if cc.tls_version == "TLSv1.3":
        assert cc.cipher.startswith("TLS_")
    assert cc.error is None and cc.mitmcert is None

    assert sc.tls is True and sc.tls_established is True
    # The CONNECT target, not the resolved address; peername is where we connected.
    assert sc.address == ("localhost", origin_port)
    assert sc.peername == ("127.0.0.1", origin_port)
    assert sc.sockname[0] == "127.0.0.1" and sc.sockname[1] > 0
    assert sc.sni == "localhost"
    assert sc.alpn == b"http/1.1"
    # nginx 1.22 with Debian's OpenSSL defaults; 8.1.1's fixture got TLSv1.2 from it.
    assert sc.tls_version in ("TLSv1.2", "TLSv1.3")
    assert re.fullmatch(r"[A-Z0-9_-]+", sc.cipher or ""), sc.cipher
    assert sc.error is None and sc.via is None
    # As 8.1.1 records them: what the client offered, what we offered upstream (of what
    # we speak), and the upstream's certificate chain (nginx's self-signed leaf).
    # mitmproxy 8.1.1 likewise offers upstream the client's h2 and http/1.1 (HTTP/2 is on).
    assert b"http/1.1" in cc.alpn_offers
    assert sc.alpn_offers == [a for a in cc.alpn_offers if a in (b"h2", b"http/1.1")]
    assert len(sc.certificate_list) == 1 and sc.certificate_list[0].cn == "localhost"

    # 8.1.1's order in its fixture: the upstream handshake completes before the client's
    # (the server connection is opened as soon as CONNECT arrives), then the request.
    for t in (cc.timestamp_start, sc.timestamp_start, sc.timestamp_tcp_setup,
              sc.timestamp_tls_setup, cc.timestamp_tls_setup):
        assert t is not None and lo <= t <= hi
    assert cc.timestamp_start <= sc.timestamp_start <= sc.timestamp_tcp_setup
    assert sc.timestamp_tcp_setup <= sc.timestamp_tls_setup <= cc.timestamp_tls_setup
    assert cc.timestamp_tls_setup <= req.timestamp_start
    # The flow is written when it completes, while both connections are still open.
    assert cc.timestamp_end is None and sc.timestamp_end is None


def check_request(flow, sent_req, origin_port, window, body):
    lo, hi = window
    method, target, version, headers = sent_req
    req = flow.request
    assert flow.type == "http" and flow.error is None
    assert flow.live is False and flow.intercepted is False and flow.is_replay is None
    assert req.method == method
    assert req.scheme == "https"
    assert req.host == "localhost"
    assert req.port == origin_port
    assert req.path == target
    # 8.1.1 stores HTTP/1.1 requests inside CONNECT in origin form: no authority.
    assert req.authority == ""
    assert req.http_version == version == "HTTP/1.1"
    assert req.url == f"https://localhost:{origin_port}{target}"
    assert req.pretty_url == req.url
    assert req.headers.fields == headers
    assert headers[0] == (b"Host", f"localhost:{origin_port}".encode())
    assert req.raw_content == body
    assert req.trailers is None
    assert lo <= req.timestamp_start <= req.timestamp_end <= hi
    assert lo <= flow.timestamp_created <= hi


def check_response(flow, sent_resp, status, reason, body, window):
    status_line, headers = sent_resp
    resp = flow.response
    assert status_line == f"HTTP/1.1 {status} {reason}"
    assert resp.status_code == status and resp.reason == reason
    assert resp.http_version == "HTTP/1.1"
    # What the client received is what nginx sent, and that is what was recorded.
    assert resp.headers.fields == headers
    assert resp.headers["Server"].startswith("nginx")
    assert resp.raw_content == body
    assert resp.trailers is None
    assert flow.request.timestamp_end <= resp.timestamp_start <= resp.timestamp_end <= window[1]


def listing(path):
    """`/usr/bin/mitmdump -n -r path`: (exit code, (peer port, method, url) lines, output)."""
    if not os.path.exists(REAL_MITMDUMP):
        pytest.fail(f"{REAL_MITMDUMP} (mitmproxy 8.1.1) is not installed")
    env = dict(os.environ, COLUMNS="1000")
    r = subprocess.run([REAL_MITMDUMP, "-n", "-r", str(path)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60, env=env)
    out = r.stdout.decode("utf-8", "replace")
    rx = re.compile(r"^127\.0\.0\.1:(\d+): ([A-Z]+) (\S+)$")
    return r.returncode, [m.groups() for m in map(rx.match, out.splitlines()) if m], out


def test_fixture_shape_is_what_we_assert():
    """The expectations above come from 8.1.1's own recording; keep them honest."""
    if not os.path.exists(FIXTURE):
        pytest.skip("reference fixtures are not checked out next to the repository")
    flows = load(FIXTURE)
    assert [f.request.method for f in flows] == ["GET", "POST"]
    for f in flows:
        cc, sc, req = f.client_conn, f.server_conn, f.request
        assert req.scheme == "https" and req.host == "localhost" and req.authority == ""
        assert req.http_version == "HTTP/1.1"
        assert cc.tls_established and sc.tls_established
        assert cc.sni == sc.sni == "localhost"
        assert cc.alpn == sc.alpn == b"http/1.1"
        assert sc.address == ("localhost", req.port) and sc.peername == ("127.0.0.1", req.port)
        assert cc.timestamp_start <= sc.timestamp_start <= sc.timestamp_tcp_setup
        assert sc.timestamp_tcp_setup <= sc.timestamp_tls_setup <= cc.timestamp_tls_setup
        assert cc.timestamp_tls_setup <= req.timestamp_start
        assert cc.timestamp_end is None and sc.timestamp_end is None


def test_https_get_and_post_load_in_mitmproxy(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    path = tmp_path / "https.mitm"
    url = f"https://localhost:{port}/hello.txt"
    ca = ["--cacert", ca_of(tmp_path), "--http1.1"]
    pport, sent, window = record(mitmdump, path, [
        (ca, [url]),
        (ca + ["--data-binary", POST_BODY.decode()], [url]),
    ])
    get, post = sent
    assert get.rc == 0 and get.body == b"hello over tls\n", get.err
    # nginx does not take POSTs for a static file; its 405 is recorded like any response.
    assert post.rc == 0 and b"405 Not Allowed" in post.body, post.err
    assert get.offers == ["http/1.1"]

    flows = load(path)
    assert [f.request.method for f in flows] == ["GET", "POST"]
    g, p = flows
    check_request(g, get.requests[0], port, window, b"")
    check_response(g, get.responses[0], 200, "OK", b"hello over tls\n", window)
    check_tls_conns(g, pport, port, get.local_port, window)
    assert g.response.headers["Content-Type"] == "text/plain"

    check_request(p, post.requests[0], port, window, POST_BODY)
    assert p.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert p.request.urlencoded_form.fields == (("a", "1"), ("b", "2"))
    check_response(p, post.responses[0], 405, "Not Allowed", post.body, window)
    check_tls_conns(p, pport, port, post.local_port, window)

    # Two curl runs: two tunnels, each with its own client and server connection.
    assert len({g.id, p.id, g.client_conn.id, p.client_conn.id,
                g.server_conn.id, p.server_conn.id}) == 6
    assert g.request.timestamp_start < p.request.timestamp_start

    rc, lines, out = listing(path)
    assert rc == 0, out
    assert lines == [(str(get.local_port), "GET", url), (str(post.local_port), "POST", url)], out
    assert "<< 200 OK 15b" in out
    assert f"<< 405 Not Allowed {len(post.body)}b" in out


def test_keep_alive_tunnel_shares_connections(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    path = tmp_path / "keepalive.mitm"
    urls = [f"https://localhost:{port}/hello.txt?n={i}" for i in (1, 2, 3)]
    pport, (s,), window = record(mitmdump, path,
                                 [(["--cacert", ca_of(tmp_path), "--http1.1"], urls)])
    assert s.rc == 0 and s.body == b"hello over tls\n" * 3, s.err
    assert len(s.requests) == 3 and len(s.responses) == 3

    flows = load(path)
    assert [f.request.url for f in flows] == urls
    for f, req, resp in zip(flows, s.requests, s.responses):
        check_request(f, req, port, window, b"")
        check_response(f, resp, 200, "OK", b"hello over tls\n", window)
        check_tls_conns(f, pport, port, s.local_port, window)
    # One tunnel, one upstream connection: 8.1.1 records the same connection ids (and TLS
    # details) in every flow of a connection.
    assert len({f.client_conn.id for f in flows}) == 1
    assert len({f.server_conn.id for f in flows}) == 1
    assert len({f.id for f in flows}) == 3
    assert len({(f.client_conn.timestamp_tls_setup, f.server_conn.timestamp_tls_setup,
                 f.client_conn.cipher, f.server_conn.cipher) for f in flows}) == 1
    starts = [f.request.timestamp_start for f in flows]
    assert starts == sorted(starts)

    rc, lines, out = listing(path)
    assert rc == 0, out
    assert lines == [(str(s.local_port), "GET", u) for u in urls], out


def test_curl_offering_h2_gets_http11(mitmdump, tls_origin, tmp_path):
    """curl's default offer is h2,http/1.1; we answer http/1.1 (8.1.1 would pick h2 and record
    an HTTP/2.0 flow, as in its http2.mitm fixture: we do not speak HTTP/2)."""
    port = tls_origin["ports"]["plain"]
    path = tmp_path / "h2offer.mitm"
    url = f"https://localhost:{port}/hello.txt"
    pport, (s,), window = record(mitmdump, path, [(["--cacert", ca_of(tmp_path)], [url])])
    assert s.rc == 0 and s.body == b"hello over tls\n", s.err
    assert s.offers == ["h2,http/1.1"]
    (f,) = load(path)
    check_request(f, s.requests[0], port, window, b"")
    check_response(f, s.responses[0], 200, "OK", b"hello over tls\n", window)
    check_tls_conns(f, pport, port, s.local_port, window)


def test_recorded_https_flows_replay_with_mitmproxy(mitmdump, tls_origin, tmp_path):
    """8.1.1's client replay (`mitmdump -C FILE`) re-sends our flows over TLS to the origin:
    scheme, host, port and headers are enough for it."""
    port = tls_origin["ports"]["plain"]
    path = tmp_path / "replay.mitm"
    url = f"https://localhost:{port}/hello.txt"
    ca = ["--cacert", ca_of(tmp_path), "--http1.1"]
    record(mitmdump, path, [(ca, [url]), (ca + ["--data-binary", POST_BODY.decode()], [url])])
    env = dict(os.environ, COLUMNS="1000")
    r = subprocess.run([REAL_MITMDUMP, "-n", "-k", "--set", f"confdir={tmp_path / 'conf811'}",
                        "-C", str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60, env=env)
    out = r.stdout.decode("utf-8", "replace")
    assert r.returncode == 0, out
    assert f"[replay]: GET {url}" in out and f"[replay]: POST {url}" in out, out
    assert "<< 200 OK 15b" in out and "<< 405 Not Allowed" in out, out
    assert "error" not in out.lower(), out
