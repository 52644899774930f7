"""
What makes a new intercepted TLS connection cheap: forged leaves with an
ECDSA P-256 key of their own (RSA with key_type=rsa), TLS sessions that a
returning client resumes (openssl s_client -sess_out/-sess_in, Python's
ssl session=), in TLS 1.3 and 1.2, and the upstream session that the
proxy's next connection to the same server resumes (openssl s_server -www
tells which).
"""
import re
import socket
import ssl
import struct
import subprocess
import threading
import time

import pytest

from conftest import curl, free_port, make_cert


def conf_ca(tmp_path):
    return str(tmp_path / "conf" / "mitmproxy-ca-cert.pem")


def s_client(pport, port, cafile, *extra):
    """openssl s_client through the proxy, sending one request and reading until the
    server closes (so that a TLS 1.3 ticket, which follows the handshake, is read)."""
    r = subprocess.run(["openssl", "s_client", "-proxy", f"127.0.0.1:{pport}", "-connect",
                        f"localhost:{port}", "-servername", "localhost", "-CAfile", cafile,
                        "-verify_return_error", "-ign_eof", *extra],
                       input=b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
    return r.stdout.decode()


def proxied(pport, port, ctx, session=None):
    """CONNECT through the proxy, then a TLS handshake (offering session), one request
    and its whole answer; returns (the session to resume, whether this one resumed)."""
    s = socket.create_connection(("127.0.0.1", pport), timeout=10)
    s.sendall(f"CONNECT localhost:{port} HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n".encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        resp += s.recv(4096)
    assert resp.startswith(b"HTTP/1.1 200"), resp
    t = ctx.wrap_socket(s, server_hostname="localhost", session=session)
    t.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = t.recv(65536)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"hello over tls\n"), data
    sess, reused = t.session, t.session_reused
    t.close()
    return sess, reused


def test_leaf_is_ecdsa_signed_by_the_rsa_ca(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    _, pport = mitmdump("-k")
    out = s_client(pport, port, conf_ca(tmp_path), "-showcerts")
    assert "Verify return code: 0 (ok)" in out, out
    assert "Peer signature type: ECDSA" in out, out
    pem = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S).group(0)
    text = subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem.encode(),
                          stdout=subprocess.PIPE, check=True).stdout.decode()
    assert "Public Key Algorithm: id-ecPublicKey" in text
    assert "NIST CURVE: P-256" in text
    assert "Signature Algorithm: sha256WithRSAEncryption" in text
    # The CA files are mitmproxy's: an RSA CA.
    ca = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", conf_ca(tmp_path)],
                        stdout=subprocess.PIPE, check=True).stdout.decode()
    assert "Public Key Algorithm: rsaEncryption" in ca


def test_key_type_rsa_keeps_mitmproxys_leaves(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    _, pport = mitmdump("-k", "--set", "key_type=rsa")
    out = s_client(pport, port, conf_ca(tmp_path))
    assert "Verify return code: 0 (ok)" in out, out
    assert "Server public key is 2048 bit" in out, out
    assert re.search(r"Peer signature type: RSA", out), out
    # As mitmproxy's leaves: the CA's own key.
    leaf_key = re.search(r"Server public key is (\d+) bit", out).group(1)
    assert leaf_key == "2048"


@pytest.mark.parametrize("tool", ["mitmdump", "mitmproxy", "mitmweb"])
def test_key_type_rejects_unknown_values(tmp_path, tool):
    """Every tool has key_type (mitmweb lacked it), and checks its value."""
    from conftest import binary
    r = subprocess.run([binary(tool), "--set", f"confdir={tmp_path}/conf", "--set",
                        "key_type=dsa"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=20)
    assert r.returncode != 0
    assert "key_type" in r.stdout.decode() and "ecdsa, rsa" in r.stdout.decode()


@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_openssl_client_resumes_its_session(mitmdump, tls_origin, tmp_path, version):
    port = tls_origin["ports"]["plain"]
    _, pport = mitmdump("-k")
    sess = str(tmp_path / "session.pem")
    first = s_client(pport, port, conf_ca(tmp_path), version, "-sess_out", sess)
    assert "Verify return code: 0 (ok)" in first, first
    assert re.search(r"^New, TLSv1\.[23]", first, re.M), first
    assert "hello over tls" in first, first
    again = s_client(pport, port, conf_ca(tmp_path), version, "-sess_in", sess)
    assert re.search(r"^Reused, TLSv1\.[23]", again, re.M), again
    assert "Verify return code: 0 (ok)" in again, again
    assert "hello over tls" in again, again


def test_python_client_resumes_with_session(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    proc, pport = mitmdump("-k")
    ctx = ssl.create_default_context(cafile=conf_ca(tmp_path))
    sess, reused = proxied(pport, port, ctx)
    assert not reused
    assert sess is not None
    _, reused = proxied(pport, port, ctx, session=sess)
    assert reused
    # Each connection is a flow of its own, both served.
    proc.wait_for(r"GET https://localhost:\d+/hello\.txt")
    deadline = time.time() + 10
    while proc.output().count("<< 200 OK") < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert proc.output().count("<< 200 OK") == 2, proc.output()


@pytest.fixture
def s_server(tmp_path):
    """openssl s_server -www on a free port: its page says whether the handshake that
    fetched it was "New" or "Reused". Yields the port."""
    cert, key = make_cert(tmp_path, "sserver", "localhost", ["DNS:localhost"])
    port = free_port()
    p = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert",
                          str(cert), "-key", str(key), "-www", "-quiet"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    p.terminate()
    p.wait(10)


def upstream_handshake(pport, port, cafile):
    rc, body, err = curl("--cacert", cafile, "-x", f"http://127.0.0.1:{pport}",
                         f"https://localhost:{port}/")
    assert rc == 0, err
    m = re.search(rb"^(New|Reused), TLSv1\.[23]", body, re.M)
    assert m, body
    return m.group(1).decode()


def test_upstream_session_is_resumed(mitmdump, s_server, tmp_path):
    _, pport = mitmdump("-k")
    cafile = conf_ca(tmp_path)
    assert upstream_handshake(pport, s_server, cafile) == "New"
    assert upstream_handshake(pport, s_server, cafile) == "Reused"
    assert upstream_handshake(pport, s_server, cafile) == "Reused"


class EndingOrigin:
    """A TLS origin on 127.0.0.1 that answers one request per connection and then ends the
    connection as told, recording whether each handshake resumed (the server's view):
      server_closes  the answer says Connection: close, then the socket closes without
                     close_notify (Python never sends one on close)
      client_closes  a keep-alive answer, then it waits for the proxy to close
      server_resets  a keep-alive answer, then a TCP reset (no close_notify, no FIN)
      error          an answer that is not HTTP, then it waits for the proxy to close
    """

    def __init__(self, tmp_path, ending):
        cert, key = make_cert(tmp_path, "ending", "localhost", ["DNS:localhost"])
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert), str(key))
        self.ending = ending
        self.reused = []
        self.lsock = socket.create_server(("127.0.0.1", 0))
        self.lsock.settimeout(0.2)
        self.port = self.lsock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                raw, _ = self.lsock.accept()
            except OSError:
                continue
            raw.settimeout(10)
            try:
                self.one(raw)
            except (OSError, ssl.SSLError):
                pass
            finally:
                raw.close()

    def one(self, raw):
        t = self.ctx.wrap_socket(raw, server_side=True)
        self.reused.append(t.session_reused)
        req = b""
        while b"\r\n\r\n" not in req:
            chunk = t.recv(4096)
            if not chunk:
                return
            req += chunk
        if self.ending == "server_closes":
            t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
            return
        if self.ending == "server_resets":
            t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
            time.sleep(0.2)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if self.ending == "client_closes":
            t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
        else:
            t.sendall(b"this is not HTTP\r\n\r\n")
        try:
            while t.recv(4096):
                pass
        except ssl.SSLError:
            pass

    def close(self):
        self.running = False
        self.thread.join(5)
        self.lsock.close()


@pytest.mark.parametrize("ending", ["server_closes", "client_closes", "server_resets", "error"])
def test_upstream_session_survives_any_ending(mitmdump, tmp_path, ending):
    """However the proxy's first upstream connection ended, the next connection to the same
    server resumes: OpenSSL spends a session whose SSL is freed without having sent
    close_notify, and the upstream cache shares that session object. The proxy sends its
    close_notify on each of these endings, and tls_session_free no longer lets a missing
    one spend the session (tests/tls/test_session.c covers that half)."""
    origin = EndingOrigin(tmp_path, ending)
    try:
        _, pport = mitmdump("-k")
        for _ in range(3):
            curl("--cacert", conf_ca(tmp_path), "-x", f"http://127.0.0.1:{pport}",
                 f"https://localhost:{origin.port}/")
            time.sleep(0.3)  # the proxy's upstream side is gone before the next one
        assert origin.reused == [False, True, True], origin.reused
    finally:
        origin.close()
