"""
WebSocket over HTTP/2 (RFC 8441): a Python h2 client opens the WebSocket with
an extended CONNECT on one stream of a cleartext HTTP/2 connection to our
reverse proxy, which speaks the HTTP/1.1 Upgrade handshake to the origin and
relays the frames; the conversation and the recorded flow are the same as
over HTTP/1.1 (test_websocket.py).
"""
import socket

import h2.config
import h2.connection
import h2.events
import h2.settings

from test_websocket import check_flow, conversation, echo_server


class H2Socket:
    """One HTTP/2 stream that looks like a socket to test_websocket's helpers."""

    def __init__(self, port, authority):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.flush()
        self.buf = b""
        self.status = {}
        self.ended = set()
        # The server must announce extended CONNECT before we may use it.
        while not self.conn.remote_settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL):
            self.pump()
        self.stream = self.conn.get_next_available_stream_id()
        self.conn.send_headers(self.stream, [
            (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"),
            (":path", "/chat"), (":authority", authority), ("sec-websocket-version", "13")])
        self.flush()
        while self.stream not in self.status:
            self.pump()
        assert self.status[self.stream] == "200", self.status

    def flush(self):
        self.sock.sendall(self.conn.data_to_send())

    def pump(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("eof")
        for ev in self.conn.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                self.status[ev.stream_id] = dict(ev.headers)[b":status"].decode()
            elif isinstance(ev, h2.events.DataReceived):
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                if ev.stream_id == self.stream:
                    self.buf += ev.data
            elif isinstance(ev, h2.events.StreamEnded):
                self.ended.add(ev.stream_id)
        self.flush()

    def sendall(self, data):
        step = self.conn.max_outbound_frame_size
        for i in range(0, len(data), step):
            self.conn.send_data(self.stream, data[i:i + step])
        self.flush()

    def recv(self, n):
        while not self.buf:
            if self.stream in self.ended:
                return b""
            self.pump()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def close(self):
        # After the close frames: end our side and wait for the proxy's end.
        self.conn.end_stream(self.stream)
        self.flush()
        while self.stream not in self.ended:
            self.pump()
        self.sock.close()


def test_websocket_over_h2_extended_connect(mitmdump, tmp_path):
    port = echo_server()
    out = tmp_path / "ws-h2.mitm"
    proc, pport = mitmdump("--mode", f"reverse:http://127.0.0.1:{port}", "-w", str(out))
    s = H2Socket(pport, f"127.0.0.1:{pport}")
    conversation(s)
    proc.wait_for(r"101")
    proc.wait_for(r"WebSocket connection closed by client")
    proc.stop()
    check_flow(out, port)
    printed = [ln for ln in proc.output().splitlines() if "WebSocket" in ln and "message" in ln]
    assert len(printed) == 7, proc.output()


def test_no_websocket_option_refuses_extended_connect(mitmdump):
    port = echo_server()
    proc, pport = mitmdump("--mode", f"reverse:http://127.0.0.1:{port}", "--set",
                           "websocket=false")
    sock = socket.create_connection(("127.0.0.1", pport), timeout=10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    settings = None
    while settings is None:
        for ev in conn.receive_data(sock.recv(65536)):
            if isinstance(ev, h2.events.RemoteSettingsChanged):
                settings = conn.remote_settings
        sock.sendall(conn.data_to_send())
    # Without the websocket option the proxy does not offer extended CONNECT.
    assert not settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL)
    sock.close()
    proc.stop()
