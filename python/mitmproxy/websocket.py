"""mitmproxy.websocket: WebSocketData and WebSocketMessage, views of an
HTTP flow's WebSocket. What websocket_message changes in the last message
(content, text, drop()) is what is sent."""
import enum
import warnings

from mitmproxy.tcp import TCPMessage, _Messages


class Opcode(enum.IntEnum):
    """RFC 6455's opcodes (wsproto.frame_protocol.Opcode)."""

    CONTINUATION = 0
    TEXT = 1
    BINARY = 2
    CLOSE = 8
    PING = 9
    PONG = 10


class WebSocketMessage(TCPMessage):
    """One WebSocket message (mitmproxy.websocket.WebSocketMessage)."""

    _kind = 1

    def __init__(self, type, from_client, content, timestamp=None, dropped=False, injected=False):
        super().__init__(from_client, content, timestamp)
        self._own.update(type=int(type), dropped=dropped, injected=injected)

    @property
    def type(self):
        return Opcode(self._get("type"))

    @type.setter
    def type(self, value):
        self._set("type", int(value))

    injected = property(lambda s: s._get("injected"))

    @property
    def is_text(self):
        return self.type == Opcode.TEXT

    @property
    def text(self):
        if not self.is_text:
            raise AttributeError(f"{self.type.name.lower()} message has no text")
        return self.content.decode()

    @text.setter
    def text(self, value):
        self.content = value.encode()

    def kill(self):
        warnings.warn("WebSocketMessage.kill() is deprecated, use .drop() instead.",
                      DeprecationWarning, stacklevel=2)
        self.drop()

    def __repr__(self):
        if self.is_text:
            return repr(self.content.decode(errors="replace"))
        return repr(self.content)


class WebSocketData:
    """An HTTP flow's WebSocket (mitmproxy.websocket.WebSocketData)."""

    def __init__(self, cflow):
        self._f = cflow

    @property
    def messages(self):
        return _Messages(self._f, 1, WebSocketMessage)

    def _close(self, i):
        c = self._f.ws_close()
        return None if c is None else c[i]

    closed_by_client = property(lambda s: s._close(0))
    close_code = property(lambda s: s._close(1))
    close_reason = property(lambda s: s._close(2))
    timestamp_end = property(lambda s: s._close(3))

    def __repr__(self):
        return f"<WebSocketData ({len(self.messages)} messages)>"


__all__ = ["WebSocketData", "WebSocketMessage"]
