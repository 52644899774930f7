"""
Upstream mode (--mode upstream:http://host:port, the seeds' -U): plain
requests go to the upstream proxy in proxy form, HTTPS goes through a
CONNECT to it and is still intercepted here; upstream_auth sends Basic
credentials. The upstream proxy is a second mitmdump of ours.

upstream:https:// speaks TLS to the upstream proxy (a Python TLS front
before our plain mitmdump); upstream:socks5:// opens every server
connection through a SOCKS5 proxy (our own mitmdump --mode socks5).
"""
import select
import socket
import ssl
import threading

from conftest import curl, make_cert


def test_plain_http_through_upstream_proxy(mitmdump, origin, tmp_path):
    up, up_port = mitmdump(confdir=str(tmp_path / "up-conf"))
    down, port = mitmdump("--mode", f"upstream:http://127.0.0.1:{up_port}")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body == b"hello world\n"
    # The upstream proxy saw an absolute-form request, as from any client.
    up.wait_for(rf"GET http://127\.0\.0\.1:{origin}/hello")
    down.wait_for(rf"GET http://127\.0\.0\.1:{origin}/hello")


def test_https_via_upstream_connect_is_intercepted(mitmdump, tls_origin, tmp_path):
    tport = tls_origin["ports"]["plain"]
    up, up_port = mitmdump("--ignore-hosts", ".", confdir=str(tmp_path / "up-conf"))
    down, port = mitmdump("-k", "-U", f"http://127.0.0.1:{up_port}")
    rc, body, err = curl("--cacert", str(tmp_path / "conf" / "mitmproxy-ca-cert.pem"), "-x",
                         f"http://127.0.0.1:{port}", f"https://localhost:{tport}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"
    down.wait_for(rf"GET https://localhost:{tport}/hello\.txt")
    up.wait_for(r"passed through")


def test_upstream_auth(mitmdump, origin, tls_origin, tmp_path):
    up, up_port = mitmdump("--proxyauth", "alice:secret", "--ignore-hosts", ".",
                           confdir=str(tmp_path / "up-conf"))
    url = f"http://127.0.0.1:{origin}/hello"
    # Without credentials the upstream answers 407, which reaches the client.
    _, port = mitmdump("--mode", f"upstream:http://127.0.0.1:{up_port}")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-w", "%{http_code}", url)
    assert body.endswith(b"407")
    # With upstream_auth both plain requests and CONNECT are authorized.
    _, port = mitmdump("-k", "--mode", f"upstream:http://127.0.0.1:{up_port}",
                       "--set", "upstream_auth=alice:secret")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", url)
    assert rc == 0 and body == b"hello world\n", err
    tport = tls_origin["ports"]["plain"]
    rc, body, err = curl("--cacert", str(tmp_path / "conf" / "mitmproxy-ca-cert.pem"), "-x",
                         f"http://127.0.0.1:{port}", f"https://localhost:{tport}/hello.txt")
    assert rc == 0 and body == b"hello over tls\n", err


def test_upstream_refusing_connect_gives_502(mitmdump, tls_origin, tmp_path):
    up, up_port = mitmdump("--proxyauth", "alice:secret", confdir=str(tmp_path / "up-conf"))
    _, port = mitmdump("-k", "--mode", f"upstream:http://127.0.0.1:{up_port}")
    tport = tls_origin["ports"]["plain"]
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-w", "%{http_code}",
                         f"https://localhost:{tport}/hello.txt")
    assert rc != 0  # curl sees its CONNECT answered 502
    assert "502" in err or b"502" in body


# --- upstream:https:// -- TLS to the upstream proxy ---


class TlsFront:
    """A tiny TLS terminator in front of a plain proxy: accepts TLS on 127.0.0.1 and pipes
    the decrypted bytes to backend_port. Enough to make our plain mitmdump an HTTPS proxy."""

    def __init__(self, d, backend_port):
        cert, key = make_cert(d, "front", "localhost", ["DNS:localhost", "IP:127.0.0.1"])
        self.cert = str(cert)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert), str(key))
        self.backend_port = backend_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.handshakes = 0
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            c.settimeout(10)
            t = self.ctx.wrap_socket(c, server_side=True)
            self.handshakes += 1
            b = socket.create_connection(("127.0.0.1", self.backend_port), timeout=10)
        except (OSError, ssl.SSLError):
            c.close()
            return
        t.setblocking(False)
        b.setblocking(False)
        try:
            for _ in range(100000):  # bounded: each round moves data or waits
                if t.pending() == 0:
                    r, _, _ = select.select([t, b], [], [], 15)
                    if not r:
                        break
                else:
                    r = [t]
                if t in r:
                    try:
                        data = t.recv(65536)
                    except ssl.SSLWantReadError:
                        data = None
                    if data == b"":
                        break
                    if data:
                        b.setblocking(True)
                        b.sendall(data)
                        b.setblocking(False)
                if b in r:
                    data = b.recv(65536)
                    if not data:
                        break
                    t.setblocking(True)
                    t.sendall(data)
                    t.setblocking(False)
        except (OSError, ssl.SSLError):
            pass
        finally:
            t.close()
            b.close()

    def stop(self):
        self.stopped = True
        self.sock.close()


def test_upstream_https_plain_request(mitmdump, origin, tmp_path):
    up, up_port = mitmdump(confdir=str(tmp_path / "up-conf"))
    front = TlsFront(tmp_path, up_port)
    try:
        # The proxy's certificate is verified: trusted through the option, named localhost.
        down, port = mitmdump("--mode", f"upstream:https://localhost:{front.port}",
                              "--set", f"ssl_verify_upstream_trusted_ca={front.cert}")
        rc, body, err = curl("-x", f"http://127.0.0.1:{port}", f"http://127.0.0.1:{origin}/hello")
        assert rc == 0, err
        assert body == b"hello world\n"
        up.wait_for(rf"GET http://127\.0\.0\.1:{origin}/hello")
        down.wait_for(rf"GET http://127\.0\.0\.1:{origin}/hello")
        assert front.handshakes >= 1
        # Many TLS records each way: a large upload and a large download.
        big = tmp_path / "upload.bin"
        big.write_bytes(b"x" * 1_500_000)
        rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "--data-binary", f"@{big}",
                             f"http://127.0.0.1:{origin}/post")
        assert rc == 0 and body.startswith(b"got 1500000 bytes: xxx"), err
        rc, body, err = curl("-x", f"http://127.0.0.1:{port}",
                             f"http://127.0.0.1:{origin}/big/3000000")
        assert rc == 0, err
        assert body == (bytes(range(256)) * 256 * 46)[:3000000]
    finally:
        front.stop()


def test_upstream_https_connect_is_intercepted(mitmdump, tls_origin, tmp_path):
    tport = tls_origin["ports"]["plain"]
    up, up_port = mitmdump("--ignore-hosts", ".", confdir=str(tmp_path / "up-conf"))
    front = TlsFront(tmp_path, up_port)
    try:
        # -k: the self-signed origin (and so the proxy) is not verified; TLS inside TLS.
        down, port = mitmdump("-k", "--mode", f"upstream:https://127.0.0.1:{front.port}")
        rc, body, err = curl("--cacert", str(tmp_path / "conf" / "mitmproxy-ca-cert.pem"), "-x",
                             f"http://127.0.0.1:{port}", f"https://localhost:{tport}/hello.txt")
        assert rc == 0, err
        assert body == b"hello over tls\n"
        down.wait_for(rf"GET https://localhost:{tport}/hello\.txt")
        up.wait_for(r"passed through")
    finally:
        front.stop()


def test_upstream_https_untrusted_proxy_gives_502(mitmdump, origin, tmp_path):
    up, up_port = mitmdump(confdir=str(tmp_path / "up-conf"))
    front = TlsFront(tmp_path, up_port)
    try:
        down, port = mitmdump("--mode", f"upstream:https://localhost:{front.port}")
        rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-w", "%{http_code}",
                             f"http://127.0.0.1:{origin}/hello")
        assert body.endswith(b"502")
        down.wait_for(r"TLS handshake with upstream proxy .* failed: .*certificate verify failed")
    finally:
        front.stop()


# --- upstream:socks5:// -- every server connection through a SOCKS5 proxy ---

def test_upstream_socks5_http_and_https(mitmdump, origin, tls_origin, tmp_path):
    # The SOCKS proxy passes the TLS origin (localhost) through untouched and
    # records the plain one (127.0.0.1): ignore_hosts applies to any tunnel.
    up, up_port = mitmdump("--mode", "socks5", "--ignore-hosts", r"^localhost:",
                           confdir=str(tmp_path / "up-conf"))
    down, port = mitmdump("-k", "--mode", f"upstream:socks5://127.0.0.1:{up_port}")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body == b"hello world\n"
    # Origin form on the tunnel, as in regular mode: the SOCKS proxy sees a plain request.
    up.wait_for(rf"GET http://127\.0\.0\.1:{origin}/hello")
    tport = tls_origin["ports"]["plain"]
    rc, body, err = curl("--cacert", str(tmp_path / "conf" / "mitmproxy-ca-cert.pem"), "-x",
                         f"http://127.0.0.1:{port}", f"https://localhost:{tport}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"
    down.wait_for(rf"GET https://localhost:{tport}/hello\.txt")
    up.wait_for(r"passed through")


def test_upstream_socks5_user_pass(mitmdump, origin, tmp_path):
    up, up_port = mitmdump("--mode", "socks5", "--set", "proxyauth=alice:secret",
                           confdir=str(tmp_path / "up-conf"))
    url = f"http://127.0.0.1:{origin}/hello"
    _, port = mitmdump("--mode", f"upstream:socks5://alice:secret@127.0.0.1:{up_port}")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", url)
    assert rc == 0, err
    assert body == b"hello world\n"
    bad, port = mitmdump("--mode", f"upstream:socks5://alice:wrong@127.0.0.1:{up_port}")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-w", "%{http_code}", url)
    assert body.endswith(b"502")
    bad.wait_for(r"SOCKS5 proxy 127\.0\.0\.1:\d+ rejected our username and password")
    none, port = mitmdump("--mode", f"upstream:socks5://127.0.0.1:{up_port}")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-w", "%{http_code}", url)
    assert body.endswith(b"502")
    none.wait_for(r"SOCKS5 proxy 127\.0\.0\.1:\d+ requires authentication")


def test_upstream_socks5_refused_destination_gives_502(mitmdump, tmp_path):
    up, up_port = mitmdump("--mode", "socks5", confdir=str(tmp_path / "up-conf"))
    down, port = mitmdump("--mode", f"upstream:socks5://127.0.0.1:{up_port}")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()  # nothing listens there now
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-w", "%{http_code}",
                         f"http://127.0.0.1:{closed}/")
    assert body.endswith(b"502")
    down.wait_for(r"SOCKS5 proxy 127\.0\.0\.1:\d+ refused: .*\(reply \d\)")
    # A SOCKS proxy that is not there at all: a plain connection error, also 502.
    _, port = mitmdump("--mode", f"upstream:socks5://127.0.0.1:{closed}")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-w", "%{http_code}",
                         f"http://127.0.0.1:{closed}/")
    assert body.endswith(b"502")
