"""
End-to-end: addons inject messages into live connections
(ctx.master.commands.call("inject.websocket" / "inject.tcp", ...)), with
8.1.1's own example websocket-inject-message.py between a WebSocket client
and a WebSocket echo server, and with a TCP echo peer. The injected
messages go through the message hook, reach the other side, and are saved
as injected.
"""
import socket

from mitmproxy import io as mio

from conftest import curl
from test_scripts import script
from test_tcp import connect, echo_server as tcp_echo
from test_websocket import echo_server as ws_echo, handshake, read_message, send_frame

EXAMPLES = "/usr/share/doc/mitmproxy/examples/addons"
HELLO = b"hello from mitmproxy! "


def messages_until(sock, want, seen):
    """Reads messages into seen until one is want (rotations of HELLO are
    the example's timer, which may come in between)."""
    while True:
        op, p = read_message(sock)
        seen.append(p)
        if p == want:
            return


def test_websocket_inject_message_example(mitmdump, tmp_path):
    port = ws_echo()
    out = tmp_path / "ws.mitm"
    proc, pport = mitmdump("-s", f"{EXAMPLES}/websocket-inject-message.py", "-w", str(out))
    sock = socket.create_connection(("127.0.0.1", pport), timeout=10)
    handshake(sock, port, f"http://127.0.0.1:{port}/chat")
    seen = []
    # websocket_start's timer injects its greeting to the client at once.
    messages_until(sock, HELLO, seen)
    if b"welcome" not in seen:
        messages_until(sock, b"welcome", seen)
    # A secret is dropped and answered by the proxy, never echoed.
    send_frame(sock, 0x1, b"my secret", mask=True)
    messages_until(sock, b"ssssssh", seen)
    send_frame(sock, 0x1, b"hi", mask=True)
    messages_until(sock, b"echo:hi", seen)
    assert b"echo:my secret" not in seen
    send_frame(sock, 0x8, b"\x03\xe8", mask=True)
    while read_message(sock)[0] != 0x8:
        pass
    sock.close()
    proc.stop()
    with open(out, "rb") as f:
        (flow,) = list(mio.FlowReader(f).stream())
    msgs = [(m.from_client, m.content, m.injected, m.dropped) for m in flow.websocket.messages]
    assert (True, b"my secret", False, True) in msgs
    assert (False, b"ssssssh", True, False) in msgs
    assert (False, HELLO, True, False) in msgs
    assert (True, b"hi", False, False) in msgs


def test_inject_tcp_to_both_sides(mitmdump, tmp_path):
    s = script(tmp_path, "tcpinject.py", """
        from mitmproxy import ctx

        def tcp_message(flow):
            m = flow.messages[-1]
            if m.from_client and m.content == b"ping":
                ctx.master.commands.call("inject.tcp", flow, True, b"pong from proxy")
                ctx.master.commands.call("inject.tcp", flow, False, b"extra")

        def tcp_end(flow):
            ctx.log.info(f"INJECT end {[(m.from_client, m.content) for m in flow.messages]}")
        """)
    port = tcp_echo()
    proc, pport = mitmdump("-s", s)
    sock = connect(pport, port)
    sock.sendall(b"ping")
    # The echo peer may get "ping" and "extra" in one read: "echo:pingextra".
    got = b""
    while b"pong from proxy" not in got or b"extra" not in got:
        chunk = sock.recv(4096)
        assert chunk, got
        got += chunk
    assert b"echo:ping" in got
    sock.close()
    proc.wait_for("INJECT end")
    end = proc.output().split("INJECT end ", 1)[1].splitlines()[0]
    assert "(False, b'pong from proxy')" in end and "(True, b'extra')" in end


def test_inject_into_the_wrong_flow_warns(mitmdump, origin, tmp_path):
    s = script(tmp_path, "wrong.py", """
        from mitmproxy import ctx

        def request(flow):
            ctx.master.commands.call("inject.websocket", flow, True, b"x")
            ctx.master.commands.call("inject.tcp", flow, True, b"x")
        """)
    proc, pport = mitmdump("-s", s)
    rc, body, err = curl("-x", f"http://127.0.0.1:{pport}", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    proc.wait_for("Cannot inject TCP messages into non-TCP flows.")
    assert "Cannot inject WebSocket messages into non-WebSocket flows." in proc.output()
