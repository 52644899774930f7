"""
End-to-end: the http_connect_upstream hook. In upstream mode a script sees
the CONNECT that goes to the upstream proxy before it is sent, with
upstream_auth's Proxy-Authorization already on it, and the headers it sets
are what the upstream proxy gets. The upstream proxy here is a small
recording one written for the test.
"""
import select
import socket
import threading

from conftest import curl
from test_scripts import script
from test_scripts_hooks import tls_env


def recording_proxy():
    """An HTTP proxy that answers CONNECT and relays; returns (port, heads):
    heads collects the request heads it got, as text."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    heads = []

    def relay(a, b):
        try:
            while True:
                r, _, _ = select.select([a, b], [], [], 15)
                if not r:
                    return
                for s in r:
                    d = s.recv(65536)
                    if not d:
                        return
                    (b if s is a else a).sendall(d)
        except OSError:
            pass
        finally:
            a.close()
            b.close()

    def serve(c):
        data = b""
        while b"\r\n\r\n" not in data:
            d = c.recv(4096)
            if not d:
                c.close()
                return
            data += d
        head, rest = data.split(b"\r\n\r\n", 1)
        heads.append(head.decode())
        host, port = head.split(b" ")[1].decode().rsplit(":", 1)
        up = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if rest:
            up.sendall(rest)
        relay(c, up)

    def run():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(c,), daemon=True).start()

    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1], heads


def test_http_connect_upstream_sets_the_upstream_proxys_headers(mitmdump, tls_origin, tmp_path):
    s = script(tmp_path, "upstream.py", """
        from mitmproxy import ctx

        def http_connect_upstream(flow):
            r = flow.request
            ctx.log.info(f"UPSTREAM {r.method} {r.host}:{r.port} "
                         f"{r.headers.get('Proxy-Authorization')}")
            r.headers["Proxy-Authorization"] = "Bearer from-script"
            r.headers["X-Tenant"] = "42"
        """)
    up_port, heads = recording_proxy()
    tport = tls_origin["ports"]["plain"]
    proc, port = mitmdump("-s", s, "-k", "--mode", f"upstream:http://127.0.0.1:{up_port}",
                          "--set", "upstream_auth=alice:secret", env=tls_env())
    rc, body, err = curl("--cacert", str(tmp_path / "conf" / "mitmproxy-ca-cert.pem"), "-x",
                         f"http://127.0.0.1:{port}", f"https://localhost:{tport}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"
    # The hook saw upstream_auth's header (base64 of alice:secret) first.
    proc.wait_for(f"UPSTREAM CONNECT localhost:{tport} Basic YWxpY2U6c2VjcmV0")
    (head,) = heads
    lines = head.split("\r\n")
    assert lines[0] == f"CONNECT localhost:{tport} HTTP/1.1"
    # As 8.1.1's: the authority is on the request line and there is no Host.
    assert not [line for line in lines if line.lower().startswith("host:")]
    assert "Proxy-Authorization: Bearer from-script" in lines
    assert "X-Tenant: 42" in lines
