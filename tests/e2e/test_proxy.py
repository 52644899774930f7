"""
End-to-end: curl and raw Python sockets through our mitmdump to a real
origin on 127.0.0.1, in regular (explicit) and reverse mode.
"""
import socket
import threading

from conftest import curl, free_port


def proxy(port):
    return ["-x", f"http://127.0.0.1:{port}"]


def test_get_through_explicit_proxy(mitmdump, origin):
    proc, port = mitmdump()
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body == b"hello world\n"
    proc.wait_for(rf"127\.0\.0\.1:\d+: GET http://127\.0\.0\.1:{origin}/hello")
    proc.wait_for(r"^ +<< 200 OK 12b$")


def test_keepalive_requests_share_connections(mitmdump, origin):
    proc, port = mitmdump()
    urls = [f"http://127.0.0.1:{origin}/hello/{i}" for i in range(5)]
    rc, body, err = curl(*proxy(port), *urls)
    assert rc == 0, err
    assert body == b"hello world\n" * 5
    proc.wait_for(r"GET .*/hello/4")
    # One client connection and one server connection for all five requests.
    assert proc.output().count("client connect") == 1
    assert proc.output().count("server connect") == 1


def test_post_body_and_chunked_upload(mitmdump, origin):
    proc, port = mitmdump()
    rc, body, err = curl(*proxy(port), "--data-binary", "a=1&b=2", f"http://127.0.0.1:{origin}/form")
    assert rc == 0, err
    assert body == b"got 7 bytes: a=1&b=2"
    rc, body, err = curl(*proxy(port), "-H", "Transfer-Encoding: chunked", "--data-binary",
                         "chunky", f"http://127.0.0.1:{origin}/up")
    assert rc == 0, err
    assert body == b"got 6 bytes: chunky"


def test_chunked_response(mitmdump, origin):
    _, port = mitmdump()
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/chunked")
    assert rc == 0, err
    assert body == b"first,second,third"


def test_head_request(mitmdump, origin):
    _, port = mitmdump()
    rc, body, err = curl(*proxy(port), "-I", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body.startswith(b"HTTP/1.1 200 OK")
    assert b"Content-Length: 12" in body


def test_headers_forwarded_byte_for_byte(mitmdump, origin):
    _, port = mitmdump()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(
        f"GET http://127.0.0.1:{origin}/echo-headers HTTP/1.1\r\nHost: 127.0.0.1:{origin}\r\n"
        "X-lower: one\r\nX-LOWER: two\r\nConnection: close\r\n\r\n".encode()
    )
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    # http.server lists headers as received: names, case and duplicates kept.
    assert b"X-lower: one\nX-LOWER: two\n" in body


def test_connection_refused_gives_502(mitmdump):
    proc, port = mitmdump()
    dead = free_port()
    rc, body, err = curl(*proxy(port), "-w", "%{http_code}", f"http://127.0.0.1:{dead}/")
    assert body.endswith(b"502")
    assert b"refused" in body
    proc.wait_for(rf"error establishing server connection: .*127\.0\.0\.1:{dead}.*refused")
    proc.wait_for(r"^ << .*refused")


def test_unresolvable_host_gives_502(mitmdump):
    proc, port = mitmdump()
    rc, body, err = curl(*proxy(port), "-w", "%{http_code}", "http://no-such-host.invalid/")
    assert body.endswith(b"502")
    assert b"no-such-host.invalid" in body
    proc.wait_for(r"error establishing server connection: .*no-such-host\.invalid")


def test_server_closing_mid_response(mitmdump, origin):
    proc, port = mitmdump()
    rc, body, err = curl(*proxy(port), "-w", "%{http_code}", f"http://127.0.0.1:{origin}/truncated")
    assert body.endswith(b"502")
    assert b"received 11 bytes, expected 1000" in body
    proc.wait_for(r"<< HTTP/1 protocol error: peer closed connection without sending complete "
                  r"message body \(received 11 bytes, expected 1000\)")


def test_server_closing_without_response(mitmdump, origin):
    proc, port = mitmdump()
    rc, body, err = curl(*proxy(port), "-w", "%{http_code}", f"http://127.0.0.1:{origin}/close")
    assert body.endswith(b"502")
    proc.wait_for(r"<< server closed connection")


def test_other_clients_keep_working_after_errors(mitmdump, origin):
    _, port = mitmdump()
    dead = free_port()
    results = []

    def good():
        results.append(curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")[1])

    threads = [threading.Thread(target=good) for _ in range(4)]
    for t in threads:
        t.start()
    curl(*proxy(port), f"http://127.0.0.1:{dead}/")
    curl(*proxy(port), f"http://127.0.0.1:{origin}/truncated")
    for t in threads:
        t.join()
    assert results == [b"hello world\n"] * 4
    assert curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")[1] == b"hello world\n"


def raw_exchange(port, data):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    s.sendall(data)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    s.close()
    return out


def test_malformed_request_gets_400(mitmdump):
    proc, port = mitmdump()
    out = raw_exchange(port, b"GARBAGE\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    proc.wait_for(r"HTTP/1 protocol error in client request")


def test_origin_form_goes_where_the_host_header_says(mitmdump, origin):
    # A client that forgets it talks to a proxy: mitmproxy 8.1.1 routes by
    # Host, and refuses only a request without one.
    proc, port = mitmdump()
    out = raw_exchange(port, b"GET /hello?x=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                             b"Connection: close\r\n\r\n" % origin)
    assert out.startswith(b"HTTP/1.1 200 OK\r\n"), out
    assert b"X-Path: /hello?x=1\r\n" in out and out.endswith(b"hello world\n")
    proc.wait_for(r"GET http://127\.0\.0\.1:%d/hello\?x=1" % origin)
    out = raw_exchange(port, b"GET /hello HTTP/1.1\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 Bad Request\r\n"), out
    assert b"HTTP request has no host header, destination unknown." in out


def test_long_urls_and_many_headers_reach_the_server(mitmdump, origin):
    # What servers refuse is theirs to refuse, as through mitmproxy: a 32 KB
    # query reaches the origin, and so do 500 header fields (which Python's
    # http.server, the origin here, answers with its own 431).
    _, port = mitmdump()

    def get(query, nfields):
        fields = b"".join(b"X-F%d: v\r\n" % i for i in range(nfields))
        return raw_exchange(port, b"GET http://127.0.0.1:%d/echo-headers?%s HTTP/1.1\r\n"
                                  b"Host: 127.0.0.1:%d\r\n%sConnection: close\r\n\r\n"
                            % (origin, query, origin, fields))

    out = get(b"q=" + b"x" * 32000, 50)
    assert out.startswith(b"HTTP/1.1 200 OK\r\n"), out[:300]
    assert b"X-F49: v\n" in out
    out = get(b"q=1", 500)
    assert out.startswith(b"HTTP/1.1 431 "), out[:300]
    assert b"Server: BaseHTTP/" in out


def test_smuggling_cl_te_refused(mitmdump, origin):
    _, port = mitmdump()
    out = raw_exchange(
        port,
        f"POST http://127.0.0.1:{origin}/x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n".encode(),
    )
    assert out.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_pipelined_requests_answered_in_order(mitmdump, origin):
    _, port = mitmdump()
    reqs = b"".join(
        f"GET http://127.0.0.1:{origin}/hello/{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(3)
    )
    out = raw_exchange(port, reqs + f"GET http://127.0.0.1:{origin}/hello/end HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert out.count(b"HTTP/1.1 200 OK") == 4
    assert out.count(b"hello world\n") == 4


def test_connect_tunnel_relays_raw_bytes(mitmdump):
    # A non-HTTP, non-TLS protocol behind CONNECT is relayed byte for byte.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    echo_port = srv.getsockname()[1]

    def echo():
        c, _ = srv.accept()
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d[::-1])
        c.close()

    t = threading.Thread(target=echo, daemon=True)
    t.start()
    _, port = mitmdump()
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    s.sendall(f"CONNECT 127.0.0.1:{echo_port} HTTP/1.1\r\nHost: 127.0.0.1:{echo_port}\r\n\r\n".encode())
    assert s.recv(4096) == b"HTTP/1.1 200 Connection established\r\n\r\n"
    s.sendall(b"\x00\x01\x02abc")
    got = b""
    while len(got) < 6:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    assert got == b"cba\x02\x01\x00"
    s.shutdown(socket.SHUT_WR)
    assert s.recv(10) == b""
    s.close()
    t.join(5)
    srv.close()


def test_ignore_hosts_passes_a_plain_tunnel_through(mitmdump, origin):
    """As mitmproxy 8.1.1: a CONNECT tunnel to an ignored host is relayed untouched,
    whatever it carries (here plain HTTP): no flow is recorded or printed."""
    proc, port = mitmdump("--ignore-hosts", r"^127\.0\.0\.1:")
    rc, body, err = curl("-p", *proxy(port), f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body == b"hello world\n"
    proc.wait_for(r"client disconnect")
    assert "GET " not in proc.output(), proc.output()
    # Without the option the same tunnel's HTTP is a flow.
    proc, port = mitmdump()
    rc, body, err = curl("-p", *proxy(port), f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    proc.wait_for(rf"GET http://127\.0\.0\.1:{origin}/hello")


def test_reverse_mode_rewrites_host(mitmdump, origin):
    proc, port = mitmdump("--mode", f"reverse:http://127.0.0.1:{origin}")
    rc, body, err = curl("-H", "Host: public.example", f"http://127.0.0.1:{port}/echo-headers")
    assert rc == 0, err
    assert f"Host: 127.0.0.1:{origin}".encode() in body
    proc.wait_for(rf"GET http://127\.0\.0\.1:{origin}/echo-headers")


def test_reverse_mode_old_flag_and_keep_host_header(mitmdump, origin):
    _, port = mitmdump("-R", f"http://127.0.0.1:{origin}", "--set", "keep_host_header=true")
    rc, body, err = curl("-H", "Host: public.example", f"http://127.0.0.1:{port}/echo-headers")
    assert rc == 0, err
    assert b"Host: public.example" in body


def test_large_body_streamed(mitmdump, origin):
    size = 20 * 1024 * 1024
    proc, port = mitmdump("--set", "stream_large_bodies=1m")
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/big/{size}", timeout=60)
    assert rc == 0, err
    assert len(body) == size
    block = bytes(range(256)) * 256
    expected = (block * (size // len(block) + 1))[:size]
    assert body == expected
    proc.wait_for(r"<< 200 OK")


def test_flow_detail_levels(mitmdump, origin):
    proc, port = mitmdump("--flow-detail", "3")
    curl(*proxy(port), "-H", "X-Test: yes", f"http://127.0.0.1:{origin}/hello")
    proc.wait_for(r"X-Test: yes")
    proc.wait_for(r"hello world")


def test_showhost_prints_the_host_header(mitmdump, origin):
    proc, port = mitmdump("--showhost")
    curl("-x", f"http://127.0.0.1:{port}", "-H", "Host: shown.example",
         f"http://127.0.0.1:{origin}/hello")
    proc.wait_for(r"GET http://shown\.example/hello")


def test_body_size_limit(mitmdump, origin):
    proc, port = mitmdump("--set", "body_size_limit=1k")
    # A request body over the limit is refused with 413 ...
    rc, body, err = curl(*proxy(port), "-w", "%{http_code}", "--data-binary", "x" * 2000,
                         f"http://127.0.0.1:{origin}/up")
    assert body.endswith(b"413")
    # ... a response over it gives 502 and an error on the flow ...
    rc, body, err = curl(*proxy(port), "-w", "%{http_code}", f"http://127.0.0.1:{origin}/big/5000")
    assert body.endswith(b"502")
    proc.wait_for(r"body_size_limit")
    # ... and bodies under it pass.
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/big/500")
    assert rc == 0 and len(body) == 500
