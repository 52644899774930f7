"""
End-to-end SOCKS5 mode: curl (which speaks SOCKS5 itself) and raw sockets
through our mitmdump --mode socks5 to the origin, plain HTTP and HTTPS
intercepted with our CA; proxyauth credentials; malformed handshakes.
"""
import socket
import struct

from conftest import Proc, binary, curl, free_port


def conf_ca(tmp_path):
    return str(tmp_path / "conf" / "mitmproxy-ca-cert.pem")


def test_socks5_hostname_http(mitmdump, origin):
    proc, port = mitmdump("--mode", "socks5")
    rc, body, err = curl("--socks5-hostname", f"127.0.0.1:{port}",
                         f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body == b"hello world\n"
    proc.wait_for(rf"GET http://127\.0\.0\.1:{origin}/hello")
    proc.wait_for(r"^ +<< 200 OK 12b$")


def test_socks5_local_resolution_http(mitmdump, origin):
    # --socks5 resolves the name itself and sends an IPv4 address.
    proc, port = mitmdump("--mode", "socks5")
    rc, body, err = curl("--socks5", f"127.0.0.1:{port}", f"http://localhost:{origin}/hello/2")
    assert rc == 0, err
    assert body == b"hello world\n"
    proc.wait_for(r"GET http://.*/hello/2")


def test_socks5_https_is_intercepted(mitmdump, tls_origin, tmp_path):
    tport = tls_origin["ports"]["plain"]
    proc, port = mitmdump("--mode", "socks5", "-k")
    rc, body, err = curl("--cacert", conf_ca(tmp_path), "--socks5-hostname", f"127.0.0.1:{port}",
                         f"https://localhost:{tport}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"
    proc.wait_for(rf"GET https://localhost:{tport}/hello\.txt")


def test_socks5_proxyauth(mitmdump, origin):
    proc, port = mitmdump("--mode", "socks5", "--set", "proxyauth=user:pass")
    rc, body, err = curl("--socks5-hostname", f"127.0.0.1:{port}", "--proxy-user", "user:pass",
                         f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    # The SOCKS5 handshake authenticated the client; requests in the tunnel are
    # not asked again (mitmproxy's socks5_auth hook has the same effect).
    assert body == b"hello world\n"
    assert "SOCKS5: authentication failed" not in proc.output()
    rc, body, err = curl("--socks5-hostname", f"127.0.0.1:{port}", "--proxy-user", "user:nope",
                         f"http://127.0.0.1:{origin}/hello")
    assert rc != 0
    proc.wait_for(r"SOCKS5: authentication failed")


# htpasswd -nbs carol sha-pw; htpasswd -nbm bob apr1-pw
HTPASSWD = "carol:{SHA}O/MvdjOwOQpt8I9HBSVZugThPMw=\nbob:$apr1$oiLZUtqB$7ArzifMrBULH6x657Sy/60\n"


def test_socks5_proxyauth_htpasswd(mitmdump, origin, tmp_path):
    # The proxyauth addon checks SOCKS5 credentials (socks5_auth), so every
    # form of the option works there, an htpasswd file included.
    f = tmp_path / "htpasswd"
    f.write_text(HTPASSWD)
    proc, port = mitmdump("--mode", "socks5", "--set", f"proxyauth=@{f}")
    for cred in ("carol:sha-pw", "bob:apr1-pw"):
        rc, body, err = curl("--socks5-hostname", f"127.0.0.1:{port}", "--proxy-user", cred,
                             f"http://127.0.0.1:{origin}/hello")
        assert rc == 0, (cred, err)
        assert body == b"hello world\n"
    rc, _, _ = curl("--socks5-hostname", f"127.0.0.1:{port}", "--proxy-user", "carol:apr1-pw",
                    f"http://127.0.0.1:{origin}/hello")
    assert rc != 0
    proc.wait_for(r"SOCKS5: authentication failed")


def test_socks5_proxyauth_next_to_a_regular_proxy(tmp_path, origin):
    # With a regular proxy beside it, requests in an authenticated SOCKS5
    # tunnel are not asked for Proxy-Authorization again (mitmproxy marks the
    # client connection in socks5_auth), while the HTTP proxy still asks.
    hport, sport = free_port(), free_port()
    proc = Proc([binary("mitmdump"), "--listen-host", "127.0.0.1",
                 "--set", f"confdir={tmp_path / 'conf'}", "--mode", f"regular@{hport}",
                 "--mode", f"socks5@{sport}", "--set", "proxyauth=user:pass"])
    try:
        proc.wait_for(rf"^SOCKS v5 proxy listening at 127\.0\.0\.1:{sport}\.$")
        url = f"http://127.0.0.1:{origin}/hello"
        rc, body, err = curl("--socks5-hostname", f"127.0.0.1:{sport}", "--proxy-user",
                             "user:pass", url)
        assert rc == 0, err
        assert body == b"hello world\n"
        rc, body, err = curl("-x", f"http://127.0.0.1:{hport}", "-w", "%{http_code}", url)
        assert body.endswith(b"407"), body
    finally:
        rc = proc.stop()
        out = proc.output()
        assert "ERROR: AddressSanitizer" not in out and "LeakSanitizer" not in out, out
        assert rc == 0, out


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_socks5_refused_and_bad_requests(mitmdump):
    proc, port = mitmdump("--mode", "socks5")
    # A closed port: the reply says host unreachable (0x04), as mitmproxy does.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    cport = closed.getsockname()[1]
    closed.close()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"\x05\x01\x00")
    assert recv_exact(s, 2) == b"\x05\x00"
    s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", cport))
    assert recv_exact(s, 10) == b"\x05\x04\x00\x01\x00\x00\x00\x00\x00\x00"
    assert s.recv(10) == b""
    s.close()
    # BIND is not supported.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"\x05\x01\x00\x05\x02\x00\x01\x7f\x00\x00\x01\x00\x50")
    assert recv_exact(s, 12) == b"\x05\x00\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00"
    s.close()
    # A SOCKS4 client is turned away without an answer.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"\x04\x01\x00\x50\x7f\x00\x00\x01\x00")
    assert s.recv(10) == b""
    s.close()
    proc.wait_for(r"SOCKS5: invalid version 4")
