"""
WebSocket through our mitmdump as an explicit proxy, with a minimal RFC 6455
client and echo server written here (python3-websockets is not needed):
text and binary messages both ways, a fragmented message, a ping, a close
with 1000 "done"; the flow saved with -w must read back in mitmproxy 8.1.1.
"""
import base64
import hashlib
import os
import socket
import struct
import threading
import zlib

from mitmproxy import io as mio

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def recv_exact(s, n):
    d = b""
    while len(d) < n:
        c = s.recv(n - len(d))
        if not c:
            raise ConnectionError("eof")
        d += c
    return d


def read_head(s):
    d = b""
    while b"\r\n\r\n" not in d:
        c = s.recv(1)
        if not c:
            raise ConnectionError("eof")
        d += c
    return d


def send_frame(s, opcode, payload, mask, fin=True):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if mask:
        key = os.urandom(4)
        payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
        head += key
    s.sendall(head + payload)


def read_frame(s):
    b0, b1 = recv_exact(s, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", recv_exact(s, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", recv_exact(s, 8))[0]
    key = recv_exact(s, 4) if b1 & 0x80 else None
    p = recv_exact(s, n)
    if key:
        p = bytes(c ^ key[i % 4] for i, c in enumerate(p))
    return b0 >> 7, b0 & 0x0F, bool(key), p


def read_message(s):
    """A whole message (fragments joined); pings are answered."""
    parts, op = [], None
    while True:
        fin, opcode, _, p = read_frame(s)
        if opcode == 0x9:
            continue
        if opcode in (0x8, 0xA):
            return opcode, p
        if opcode:
            op = opcode
        parts.append(p)
        if fin:
            return op, b"".join(parts)


def echo_server():
    """Answers one WebSocket connection: every message comes back with "echo:"."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)

    def run():
        c, _ = srv.accept()
        head = read_head(c).decode()
        key = [ln.split(":", 1)[1].strip() for ln in head.split("\r\n")
               if ln.lower().startswith("sec-websocket-key:")][0]
        accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        send_frame(c, 0x1, b"welcome", mask=False)
        try:
            while True:
                fin, op, masked, p = read_frame_assembled(c)
                assert masked
                if op == 0x8:
                    send_frame(c, 0x8, p, mask=False)
                    break
                if op == 0x9:
                    send_frame(c, 0xA, p, mask=False)
                    continue
                send_frame(c, op, b"echo:" + p, mask=False)
        except ConnectionError:
            pass
        c.close()
        srv.close()

    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1]


def read_frame_assembled(s):
    parts, op = [], None
    while True:
        fin, opcode, masked, p = read_frame(s)
        if opcode >= 0x8:
            return 1, opcode, masked, p
        if opcode:
            op = opcode
        parts.append(p)
        if fin:
            return 1, op, masked, b"".join(parts)


def handshake(s, port, target):
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = read_head(s)
    assert head.startswith(b"HTTP/1.1 101")
    accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())
    assert accept in head


def conversation(s):
    assert read_message(s) == (0x1, b"welcome")
    send_frame(s, 0x1, "héllo".encode(), mask=True)
    assert read_message(s) == (0x1, "echo:héllo".encode())
    big = bytes(range(256)) * 300
    send_frame(s, 0x2, big, mask=True)
    assert read_message(s) == (0x2, b"echo:" + big)
    send_frame(s, 0x1, b"frag", mask=True, fin=False)
    send_frame(s, 0x9, b"ping!", mask=True)
    send_frame(s, 0x0, b"mented", mask=True)
    assert read_message(s) == (0xA, b"ping!")
    assert read_message(s) == (0x1, b"echo:fragmented")
    send_frame(s, 0x8, struct.pack("!H", 1000) + b"done", mask=True)
    op, p = read_message(s)
    assert op == 0x8 and p == struct.pack("!H", 1000) + b"done"
    s.close()


def check_flow(path, port, big=bytes(range(256)) * 300):
    flows = list(mio.FlowReader(open(path, "rb")).stream())
    assert len(flows) == 1
    f = flows[0]
    assert f.type == "http" and f.response.status_code == 101
    ws = f.websocket
    assert ws is not None
    msgs = [(int(m.type), m.from_client, m.content) for m in ws.messages]
    assert msgs == [(1, False, b"welcome"), (1, True, "héllo".encode()),
                    (1, False, "echo:héllo".encode()), (2, True, big),
                    (2, False, b"echo:" + big), (1, True, b"fragmented"),
                    (1, False, b"echo:fragmented")]
    assert ws.close_code == 1000 and ws.close_reason == "done" and ws.closed_by_client
    assert ws.timestamp_end and all(m.timestamp for m in ws.messages)


def test_websocket_absolute_form(mitmdump, tmp_path):
    port = echo_server()
    out = tmp_path / "ws.mitm"
    proc, pport = mitmdump("-w", str(out))
    s = socket.create_connection(("127.0.0.1", pport), timeout=10)
    handshake(s, port, f"http://127.0.0.1:{port}/chat")
    conversation(s)
    proc.wait_for(r"101")
    proc.wait_for(r"WebSocket connection closed by client")
    proc.stop()
    check_flow(out, port)
    # Each message printed once, as it passes (not again when the WebSocket ends).
    printed = [ln for ln in proc.output().splitlines() if "WebSocket" in ln and "message" in ln]
    assert len(printed) == 7, proc.output()


def test_websocket_through_connect(mitmdump, tmp_path):
    port = echo_server()
    out = tmp_path / "ws-connect.mitm"
    proc, pport = mitmdump("-w", str(out))
    s = socket.create_connection(("127.0.0.1", pport), timeout=10)
    s.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode())
    assert read_head(s).startswith(b"HTTP/1.1 200")
    handshake(s, port, "/chat")
    conversation(s)
    proc.wait_for(r"101")
    proc.stop()
    check_flow(out, port)


class Deflate:
    """permessage-deflate for one endpoint (context takeover both ways)."""

    def __init__(self):
        self.c = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.d = zlib.decompressobj(-15)

    def pack(self, data):
        z = self.c.compress(data) + self.c.flush(zlib.Z_SYNC_FLUSH)
        assert z.endswith(b"\x00\x00\xff\xff")
        return z[:-4]

    def unpack(self, data):
        return self.d.decompress(data + b"\x00\x00\xff\xff")


def send_compressed(s, z, opcode, payload, mask):
    """One frame with RSV1 set."""
    buf = []

    class Cap:
        def sendall(self, b):
            buf.append(b)

    send_frame(Cap(), opcode, z.pack(payload), mask)
    frame = buf[0]
    s.sendall(bytes([frame[0] | 0x40]) + frame[1:])


def read_compressed(s, z):
    b0, b1 = recv_exact(s, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", recv_exact(s, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", recv_exact(s, 8))[0]
    key = recv_exact(s, 4) if b1 & 0x80 else None
    p = recv_exact(s, n)
    if key:
        p = bytes(c ^ key[i % 4] for i, c in enumerate(p))
    op = b0 & 0x0F
    if b0 & 0x40:
        p = z.unpack(p)
    return op, p


def deflate_echo_server():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)

    def run():
        c, _ = srv.accept()
        head = read_head(c).decode()
        assert "permessage-deflate" in head
        key = [ln.split(":", 1)[1].strip() for ln in head.split("\r\n")
               if ln.lower().startswith("sec-websocket-key:")][0]
        accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
                   "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n").encode())
        z = Deflate()
        try:
            while True:
                op, p = read_compressed(c, z)
                if op == 0x8:
                    send_frame(c, 0x8, p, mask=False)
                    break
                send_compressed(c, z, op, b"echo:" + p, mask=False)
        except ConnectionError:
            pass
        c.close()
        srv.close()

    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1]


def test_websocket_permessage_deflate(mitmdump, tmp_path):
    port = deflate_echo_server()
    out = tmp_path / "ws-deflate.mitm"
    proc, pport = mitmdump("-w", str(out))
    s = socket.create_connection(("127.0.0.1", pport), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET http://127.0.0.1:{port}/z HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
               ).encode())
    assert read_head(s).startswith(b"HTTP/1.1 101")
    z = Deflate()
    sent = [b"hello hello hello", b"hello hello hello", bytes(range(256)) * 100]
    for m in sent:
        send_compressed(s, z, 0x2, m, mask=True)
        assert read_compressed(s, z) == (0x2, b"echo:" + m)
    send_frame(s, 0x8, struct.pack("!H", 1000) + b"done", mask=True)
    assert read_compressed(s, z)[0] == 0x8
    s.close()
    proc.wait_for(r"101")
    proc.stop()
    flows = list(mio.FlowReader(open(out, "rb")).stream())
    assert len(flows) == 1
    msgs = [(m.from_client, m.content) for m in flows[0].websocket.messages]
    want = []
    for m in sent:
        want += [(True, m), (False, b"echo:" + m)]
    assert msgs == want
