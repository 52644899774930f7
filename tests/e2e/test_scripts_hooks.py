"""
End-to-end: every hook of mitmproxy 8.1.1 reaches a script with its
arguments, through the running proxy: connection hooks with curl, TLS hooks
through CONNECT to a TLS origin, TCP hooks with a raw TCP peer, WebSocket
hooks with a WebSocket client, socks5_auth with curl over SOCKS5. What a
script changes (a TCP or WebSocket message, a SOCKS5 verdict, a
ClientHello's ignore_connection) is what the proxy does.
"""
import os
import socket

from conftest import curl
from test_scripts import script
from test_tcp import connect, echo_server as tcp_echo, exchange
from test_websocket import echo_server as ws_echo, handshake, read_message, send_frame


def tls_env():
    """Full malloc stacks, so that a leak report names its allocation. (They
    were needed while src/master/lsan.c suppressed OpenSSL's per-thread state
    of the signing thread by name; the tools now end that thread before exit,
    see test_script_and_forged_leaf_exit_clean_with_fast_unwinding.)"""
    asan = os.environ.get("ASAN_OPTIONS", "")
    return {"ASAN_OPTIONS": (asan + ":" if asan else "") + "fast_unwind_on_malloc=0"}


def hook_lines(proc, name):
    return [ln.split(f"HOOK {name} ", 1)[1] for ln in proc.output().splitlines()
            if f"HOOK {name} " in ln]


def test_connection_hooks_and_flow_connections(mitmdump, origin, tmp_path):
    s = script(tmp_path, "conns.py", """
        from mitmproxy import ctx

        def client_connected(client):
            ctx.log.info(f"HOOK client_connected {client.peername[0]} {client.state.name}")

        def server_connect(data):
            ctx.log.info(f"HOOK server_connect {data.server.address[1]} {data.client.peername[0]}")

        def server_connected(data):
            ctx.log.info(f"HOOK server_connected {data.server.peername[0]} {data.server.connected}")

        def response(flow):
            c, s = flow.client_conn, flow.server_conn
            flow.response.headers["x-conns"] = f"{c.address[0]} {s.address[1]} {s.tls}"

        def server_disconnected(data):
            ctx.log.info(f"HOOK server_disconnected {data.server.address[1]}")

        def client_disconnected(client):
            ctx.log.info(f"HOOK client_disconnected {client.peername[0]}")
        """)
    proc, port = mitmdump("-s", s)
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-i", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert f"x-conns: 127.0.0.1 {origin} False".encode() in body
    proc.wait_for("HOOK client_disconnected 127.0.0.1")
    proc.wait_for(f"HOOK server_disconnected {origin}")
    assert hook_lines(proc, "client_connected") == ["127.0.0.1 OPEN"]
    assert hook_lines(proc, "server_connect") == [f"{origin} 127.0.0.1"]
    assert hook_lines(proc, "server_connected") == ["127.0.0.1 True"]


def test_server_connect_may_refuse_the_connection(mitmdump, origin, tmp_path):
    s = script(tmp_path, "refuse.py", """
        def server_connect(data):
            data.server.error = "refused by script"
        """)
    proc, port = mitmdump("-s", s)
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-i", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body.startswith(b"HTTP/1.1 502") and b"refused by script" in body


def test_tls_hooks_with_their_data(mitmdump, tls_origin, tmp_path):
    s = script(tmp_path, "tls.py", """
        from mitmproxy import ctx

        def http_connect(flow):
            ctx.log.info(f"HOOK http_connect {flow.request.host}:{flow.request.port}")

        def tls_clienthello(data):
            ch = data.client_hello
            ctx.log.info(f"HOOK tls_clienthello {ch.sni} {b'http/1.1' in ch.alpn_protocols}")

        def tls_start_client(data):
            ctx.log.info(f"HOOK tls_start_client {data.conn.sni} {data.ssl_conn is None}")

        def tls_start_server(data):
            ctx.log.info(f"HOOK tls_start_server {data.conn.sni} {data.conn.address[0]}")

        def tls_established_server(data):
            ctx.log.info(f"HOOK tls_established_server {data.conn.tls_established}")

        def tls_established_client(data):
            ctx.log.info(f"HOOK tls_established_client {data.conn.tls_version.startswith('TLS')}")

        def response(flow):
            ctx.log.info(f"HOOK response {flow.client_conn.tls_established} {flow.server_conn.sni}")
        """)
    tport = tls_origin["ports"]["plain"]
    proc, port = mitmdump("-s", s, "-k", env=tls_env())
    ca = tmp_path / "conf" / "mitmproxy-ca-cert.pem"
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "--cacert", str(ca),
                         f"https://localhost:{tport}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"
    assert hook_lines(proc, "http_connect") == [f"localhost:{tport}"]
    assert hook_lines(proc, "tls_clienthello") == ["localhost True"]
    assert hook_lines(proc, "tls_start_server") == ["localhost localhost"]
    assert hook_lines(proc, "tls_established_server") == ["True"]
    assert hook_lines(proc, "tls_start_client") == ["localhost True"]
    assert hook_lines(proc, "tls_established_client") == ["True"]
    assert hook_lines(proc, "response") == ["True localhost"]


def test_script_and_forged_leaf_exit_clean_with_fast_unwinding(mitmdump, tls_origin, tmp_path):
    """Issue 16: with a script loaded and a leaf signed on the thread pool,
    LeakSanitizer reported OpenSSL's state of the signing thread (its error
    queue and two random generators: 3 direct CRYPTO_zalloc leaks) at every
    exit, hidden only by suppressions that need full malloc stacks. The
    tools now end the pool before returning, which frees it. This runs with
    the default (fast) unwinding; the fixture fails on any leak report."""
    s = script(tmp_path, "noop.py", """
        def response(flow):
            pass
        """)
    tport = tls_origin["ports"]["plain"]
    proc, port = mitmdump("-s", s, "-k")
    ca = tmp_path / "conf" / "mitmproxy-ca-cert.pem"
    for _ in range(2):
        rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "--cacert", str(ca),
                             f"https://localhost:{tport}/hello.txt")
        assert rc == 0, err
        assert body == b"hello over tls\n"


def test_tls_clienthello_ignore_connection_passes_tls_through(mitmdump, tls_origin, tmp_path):
    s = script(tmp_path, "ignore.py", """
        def tls_clienthello(data):
            data.ignore_connection = True
        """)
    tport = tls_origin["ports"]["plain"]
    proc, port = mitmdump("-s", s, env=tls_env())
    # The origin's own certificate reaches curl: the proxy did not intercept.
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "--cacert", tls_origin["plain_cert"],
                         f"https://localhost:{tport}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"


def test_tcp_hooks_change_and_drop_messages(mitmdump, tmp_path):
    s = script(tmp_path, "tcp.py", """
        from mitmproxy import ctx, tcp

        def tcp_start(flow: tcp.TCPFlow):
            ctx.log.info(f"HOOK tcp_start {flow.client_conn.peername[0]} {len(flow.messages)}")

        def tcp_message(flow: tcp.TCPFlow):
            m = flow.messages[-1]
            if m.content == b"drop me":
                m.drop()
            elif m.from_client:
                m.content = m.content.upper()

        def tcp_end(flow):
            ctx.log.info(f"HOOK tcp_end {[(m.from_client, m.content) for m in flow.messages]}")
        """)
    port = tcp_echo()
    proc, pport = mitmdump("-s", s)
    sock = connect(pport, port)
    assert exchange(sock, b"hello") == b"echo:HELLO"
    sock.sendall(b"drop me")
    assert exchange(sock, b"again") == b"echo:AGAIN"
    sock.close()
    proc.wait_for("HOOK tcp_end")
    assert hook_lines(proc, "tcp_start") == ["127.0.0.1 0"]
    (end,) = hook_lines(proc, "tcp_end")
    assert end == repr([(True, b"HELLO"), (False, b"echo:HELLO"), (True, b"drop me"),
                        (True, b"AGAIN"), (False, b"echo:AGAIN")])


def test_websocket_hooks_change_and_drop_messages(mitmdump, tmp_path):
    s = script(tmp_path, "ws.py", """
        from mitmproxy import ctx, http

        def websocket_start(flow: http.HTTPFlow):
            ctx.log.info(f"HOOK websocket_start {flow.response.status_code}")

        def websocket_message(flow: http.HTTPFlow):
            m = flow.websocket.messages[-1]
            if m.is_text and m.text == "secret":
                m.drop()
            elif m.from_client and m.is_text:
                m.text = m.text + "!"
            elif not m.from_client and m.text == "welcome":
                m.content = b"WELCOME"

        def websocket_end(flow: http.HTTPFlow):
            ws = flow.websocket
            ctx.log.info(f"HOOK websocket_end {ws.close_code} {ws.closed_by_client} "
                         f"{[m.text for m in ws.messages if not m.dropped]}")
        """)
    port = ws_echo()
    proc, pport = mitmdump("-s", s)
    sock = socket.create_connection(("127.0.0.1", pport), timeout=10)
    handshake(sock, port, f"http://127.0.0.1:{port}/chat")
    assert read_message(sock) == (0x1, b"WELCOME")
    send_frame(sock, 0x1, b"secret", mask=True)
    send_frame(sock, 0x1, b"hi", mask=True)
    assert read_message(sock) == (0x1, b"echo:hi!")
    send_frame(sock, 0x8, b"\x03\xe8done", mask=True)
    assert read_message(sock)[0] == 0x8
    sock.close()
    proc.wait_for("HOOK websocket_end")
    assert hook_lines(proc, "websocket_start") == ["101"]
    assert hook_lines(proc, "websocket_end") == [
        "1000 True ['WELCOME', 'hi!', 'echo:hi!']"]


def test_socks5_auth_verdict_from_a_script(mitmdump, origin, tmp_path):
    s = script(tmp_path, "socks.py", """
        from mitmproxy import ctx

        def socks5_auth(data):
            ctx.log.info(f"HOOK socks5_auth {data.username} {data.client_conn.peername[0]}")
            # proxyauth (before the script) found them valid; the script has the last word.
            if data.username == "mallory":
                data.valid = False
        """)
    proc, port = mitmdump("-s", s, "--mode", "socks5", "--proxyauth", "any")
    url = f"http://127.0.0.1:{origin}/hello"
    rc, body, err = curl("--socks5", f"127.0.0.1:{port}", "-U", "alice:x", url)
    assert rc == 0, err
    assert body == b"hello world\n"
    rc, body, err = curl("--socks5", f"127.0.0.1:{port}", "-U", "mallory:x", url)
    assert rc != 0
    assert hook_lines(proc, "socks5_auth") == ["alice 127.0.0.1", "mallory 127.0.0.1"]


def test_next_layer_may_pass_a_connection_through(mitmdump, tmp_path):
    s = script(tmp_path, "nl.py", """
        from mitmproxy import ctx
        from mitmproxy.proxy import layers

        def next_layer(nextlayer):
            ctx.log.info(f"HOOK next_layer {nextlayer.layer!r} {nextlayer.data_client()[:3]!r}")
            if nextlayer.data_client().startswith(b"raw"):
                nextlayer.layer = layers.TCPLayer(nextlayer.context, ignore=True)

        def tcp_start(flow):
            ctx.log.info("HOOK tcp_start")
        """)
    port = tcp_echo()
    proc, pport = mitmdump("-s", s)
    sock = connect(pport, port)
    assert exchange(sock, b"raw bytes") == b"echo:raw bytes"
    sock.close()
    proc.wait_for("HOOK next_layer")
    assert hook_lines(proc, "next_layer")[-1] == "TCPLayer b'raw'"
    assert hook_lines(proc, "tcp_start") == []


def test_add_log_sees_log_lines_and_may_log_itself(mitmdump, origin, tmp_path):
    s = script(tmp_path, "addlog.py", """
        from mitmproxy import ctx

        def add_log(entry):
            if "client connect" in entry.msg:
                # Logging from add_log does not call add_log again.
                ctx.log.info(f"HOOK add_log {entry.level} {entry.msg.split(': ')[1]}")
        """)
    proc, port = mitmdump("-s", s)
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    proc.wait_for("HOOK add_log")
    assert hook_lines(proc, "add_log") == ["info client connect"]


def test_dns_hooks_on_saved_dns_flows(tmp_path):
    import subprocess

    from conftest import FIXTURES, binary

    s = script(tmp_path, "dns.py", """
        from mitmproxy import ctx, dns

        def dns_request(flow: dns.DNSFlow):
            q = flow.request.questions[0]
            ctx.log.info(f"HOOK dns_request {q.name} {q.type} {flow.request.query}")

        def dns_response(flow: dns.DNSFlow):
            ctx.log.info(f"HOOK dns_response {[str(a) for a in flow.response.answers]}")
        """)
    r = subprocess.run([binary("mitmdump"), "-n", "-s", s, "-r",
                        os.path.join(FIXTURES, "flows", "dns.mitm")],
                       capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode()
    assert r.returncode == 0 and "Traceback" not in out, out
    lines = [ln.split("HOOK ", 1)[1] for ln in out.splitlines() if "HOOK " in ln]
    assert lines[:4] == ["dns_request example.test 1 True", "dns_response ['127.0.0.1']",
                         "dns_request www.example.test 28 True", "dns_response ['::1']"], out
