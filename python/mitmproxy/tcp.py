"""mitmproxy.tcp: TCPFlow and TCPMessage over the proxy's TCP flows. A
message is a view of the C flow's message: what tcp_message changes in
flow.messages[-1] (its content, or drop()) is what is sent."""
import time

from mitmproxy import flow as _flow


class TCPMessage:
    """One message of a TCP flow (mitmproxy.tcp.TCPMessage)."""

    _kind = 0

    def __init__(self, from_client, content, timestamp=None):
        # A message of its own, as mitmproxy's test helpers make them.
        self._f, self._i = None, None
        self._own = {"from_client": from_client, "content": content,
                     "timestamp": timestamp or time.time(), "dropped": False}

    @classmethod
    def _view(cls, cflow, i):
        m = cls.__new__(cls)
        m._f, m._i, m._own = cflow, i, None
        return m

    def _get(self, name):
        if self._own is not None:
            return self._own[name]
        return self._f.msg_get(self._kind, self._i, name)

    def _set(self, name, value):
        if self._own is not None:
            self._own[name] = value
        else:
            self._f.msg_set(self._kind, self._i, name, value)

    from_client = property(lambda s: s._get("from_client"))
    timestamp = property(lambda s: s._get("timestamp"))

    @property
    def content(self):
        return self._get("content")

    @content.setter
    def content(self, value):
        if isinstance(value, str):
            raise TypeError("message content must be bytes")
        self._set("content", bytes(value))

    @property
    def dropped(self):
        return self._get("dropped")

    def drop(self):
        """Not forwarded to the other side."""
        self._set("dropped", True)

    def __repr__(self):
        return "{direction} {content}".format(
            direction="->" if self.from_client else "<-", content=repr(self.content)
        )


class _Messages:
    """A flow's messages as a read-only list of views."""

    def __init__(self, cflow, kind, cls):
        self._f, self._kind, self._cls = cflow, kind, cls

    def __len__(self):
        return self._f.msg_count(self._kind)

    def __getitem__(self, i):
        n = len(self)
        if isinstance(i, slice):
            return [self._cls._view(self._f, j) for j in range(*i.indices(n))]
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("message index out of range")
        return self._cls._view(self._f, i)

    def __iter__(self):
        return iter(self[:])

    def __bool__(self):
        return len(self) > 0

    def __repr__(self):
        return repr(self[:])


class TCPFlow(_flow.Flow):
    """A TCP connection's flow (mitmproxy.tcp.TCPFlow)."""

    __slots__ = ()
    type = "tcp"

    @property
    def messages(self):
        return _Messages(self._f, 0, TCPMessage)

    def __repr__(self):
        return f"<TCPFlow ({len(self.messages)} messages)>"


__all__ = ["TCPFlow", "TCPMessage"]
