"""
End-to-end: per-flow streaming (mitmproxy's Message.stream). A script sets
flow.response.stream (or flow.request.stream) in its headers hook, and that
one body goes through as it comes: the client reads the first part while
the origin still holds the rest back, which a buffering proxy cannot pass.
No stream_large_bodies is set.
"""
import socket
import threading

from test_scripts import script


def held_back_origin():
    """A one-request origin: sends the head and "first;", then waits until
    release is set before it sends "second". Returns (port, release, got),
    got holding the request body it read."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    release = threading.Event()
    got = {}

    def run():
        c, _ = srv.accept()
        c.settimeout(15)
        data = b""
        while b"\r\n\r\n" not in data:
            data += c.recv(4096)
        head, body = data.split(b"\r\n\r\n", 1)
        n = 0
        for ln in head.split(b"\r\n"):
            if ln.lower().startswith(b"content-length:"):
                n = int(ln.split(b":")[1])
        while len(body) < n:
            body += c.recv(4096)
        got["body"] = body
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nfirst;")
        release.wait(15)
        c.sendall(b"second")
        c.close()
        srv.close()

    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1], release, got


def read_until(s, want):
    data = b""
    while want not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_response_stream_flag_passes_the_body_in_chunks(mitmdump, tmp_path):
    s = script(tmp_path, "stream.py", """
        from mitmproxy import ctx

        def responseheaders(flow):
            flow.response.stream = True
            ctx.log.info(f"STREAM set {flow.response.stream}")

        def response(flow):
            ctx.log.info(f"STREAM response content {flow.response.content!r}")
        """)
    port, release, _ = held_back_origin()
    proc, pport = mitmdump("-s", s)
    c = socket.create_connection(("127.0.0.1", pport), timeout=10)
    c.sendall(f"GET http://127.0.0.1:{port}/s HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    # The first part arrives while the origin still holds "second" back.
    first = read_until(c, b"first;")
    assert first.startswith(b"HTTP/1.1 200 OK\r\n") and first.endswith(b"first;")
    release.set()
    assert read_until(c, b"second").endswith(b"second")
    c.close()
    proc.wait_for("STREAM response content")
    assert "STREAM set True" in proc.output()
    # As in 8.1.1, a streamed body is not kept on the flow.
    assert "STREAM response content None" in proc.output()


def test_request_stream_flag_sends_the_body_as_it_comes(mitmdump, tmp_path):
    s = script(tmp_path, "reqstream.py", """
        from mitmproxy import ctx

        def requestheaders(flow):
            flow.request.stream = True

        def request(flow):
            ctx.log.info(f"STREAM request content {flow.request.content!r}")
        """)
    port, release, got = held_back_origin()
    release.set()
    proc, pport = mitmdump("-s", s)
    c = socket.create_connection(("127.0.0.1", pport), timeout=10)
    c.sendall(f"PUT http://127.0.0.1:{port}/up HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
              "Content-Length: 10\r\n\r\nhello".encode())
    c.sendall(b"world")
    assert read_until(c, b"second").endswith(b"first;second")
    c.close()
    assert got["body"] == b"helloworld"
    proc.wait_for("STREAM request content")
    assert "STREAM request content None" in proc.output()
