"""
Raw TCP flows: non-HTTP bytes after CONNECT, and tcp_hosts (also over TLS,
which is still intercepted), recorded message by message and saved in a
flow file that mitmproxy 8.1.1 reads.
"""
import socket
import ssl
import threading

from mitmproxy import io as mio

from conftest import make_cert


def echo_server(tls_ctx=None):
    """A one-connection echo server that answers each chunk with "echo:" + chunk."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)

    def run():
        c, _ = srv.accept()
        if tls_ctx:
            c = tls_ctx.wrap_socket(c, server_side=True)
        while True:
            try:
                d = c.recv(65536)
            except (ConnectionError, ssl.SSLError):
                break
            if not d:
                break
            c.sendall(b"echo:" + d)
        c.close()
        srv.close()

    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1]


def connect(pport, port):
    s = socket.create_connection(("127.0.0.1", pport), timeout=10)
    s.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode())
    assert s.recv(4096).startswith(b"HTTP/1.1 200")
    return s


def exchange(s, msg):
    s.sendall(msg)
    want = b"echo:" + msg
    got = b""
    while len(got) < len(want):
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


def test_non_http_after_connect_is_a_recorded_tcp_flow(mitmdump, tmp_path):
    port = echo_server()
    out = tmp_path / "tcp.mitm"
    proc, pport = mitmdump("-w", str(out))
    s = connect(pport, port)
    assert exchange(s, b"\x00\x01binary\xff") == b"echo:\x00\x01binary\xff"
    assert exchange(s, b"\x02second") == b"echo:\x02second"
    s.close()
    proc.wait_for(rf"-> tcp -> 127\.0\.0\.1:{port}")
    proc.stop()
    flows = list(mio.FlowReader(open(out, "rb")).stream())
    assert len(flows) == 1 and flows[0].type == "tcp"
    msgs = [(m.from_client, m.content) for m in flows[0].messages]
    assert msgs == [(True, b"\x00\x01binary\xff"), (False, b"echo:\x00\x01binary\xff"),
                    (True, b"\x02second"), (False, b"echo:\x02second")]


def test_tcp_hosts_over_tls_is_intercepted_and_recorded(mitmdump, tmp_path):
    cert, key = make_cert(tmp_path, "echo", "localhost", ["DNS:localhost", "IP:127.0.0.1"])
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(str(cert), str(key))
    port = echo_server(sctx)
    out = tmp_path / "tcp-tls.mitm"
    proc, pport = mitmdump("-k", "--tcp-hosts", r"^127\.0\.0\.1:", "-w", str(out))
    s = connect(pport, port)
    cctx = ssl.create_default_context(cafile=str(tmp_path / "conf" / "mitmproxy-ca-cert.pem"))
    t = cctx.wrap_socket(s, server_hostname="localhost")
    assert exchange(t, b"ping over tls") == b"echo:ping over tls"
    t.close()
    proc.wait_for(rf"-> tcp -> 127\.0\.0\.1:{port}")
    proc.stop()
    flows = list(mio.FlowReader(open(out, "rb")).stream())
    assert len(flows) == 1 and flows[0].type == "tcp"
    # The plaintext is recorded: TLS was intercepted.
    assert [m.content for m in flows[0].messages] == [b"ping over tls", b"echo:ping over tls"]
    assert flows[0].client_conn.tls_established and flows[0].server_conn.tls_established
