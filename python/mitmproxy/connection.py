"""mitmproxy.connection: Client and Server, views of the proxy's
connections (mitmproxy._c.Conn). Every attribute reads the C connection
when it is used; a server's address (before it is connected), its sni and
a connection's error can be set, as mitmproxy allows."""
import enum

from mitmproxy import _c


class ConnectionState(enum.Flag):
    """mitmproxy's ConnectionState."""

    CLOSED = 0
    CAN_READ = 1
    CAN_WRITE = 2
    OPEN = CAN_READ | CAN_WRITE


class Connection:
    """What clients and servers share (mitmproxy.connection.Connection)."""

    __slots__ = ("_c", "__dict__")

    def __init__(self, *args, **kwargs):
        raise TypeError(
            "connections are made by the proxy in this version; scripts get them from hooks"
        )

    @classmethod
    def _view(cls, conn):
        o = cls.__new__(cls)
        o._c = conn
        return o

    id = property(lambda s: s._c.id)
    peername = property(lambda s: s._c.peername)
    sockname = property(lambda s: s._c.sockname)
    tls_established = property(lambda s: s._c.tls_established)
    tls_version = property(lambda s: s._c.tls_version)
    cipher = property(lambda s: s._c.cipher)
    alpn = property(lambda s: s._c.alpn)
    timestamp_start = property(lambda s: s._c.timestamp_start)
    timestamp_end = property(lambda s: s._c.timestamp_end)
    timestamp_tls_setup = property(lambda s: s._c.timestamp_tls_setup)
    # Not modeled by this version; mitmproxy's defaults.
    certificate_list = property(lambda s: [])
    alpn_offers = property(lambda s: [])
    cipher_list = property(lambda s: [])
    tls_extensions = property(lambda s: [])

    @property
    def address(self):
        return self._c.address

    @property
    def state(self):
        return ConnectionState(self._c.state)

    @property
    def connected(self):
        return self.state is ConnectionState.OPEN

    @property
    def tls(self):
        return self._c.tls

    @property
    def sni(self):
        return self._c.sni

    @sni.setter
    def sni(self, value):
        self._c.sni = value

    @property
    def error(self):
        return self._c.error

    @error.setter
    def error(self, value):
        self._c.error = value

    def __eq__(self, other):
        return isinstance(other, Connection) and other.id == self.id

    def __hash__(self):
        return hash(self.id)


def _fmt(addr):
    if not addr:
        return "None"
    host, port = addr
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Client(Connection):
    """A client connection (mitmproxy.connection.Client)."""

    __slots__ = ()

    @property
    def address(self):
        return self._c.peername

    @property
    def mitmcert(self):
        return None

    @property
    def proxy_mode(self):
        from mitmproxy import ctx

        return ctx.options.mode[0] if ctx.options.mode else "regular"

    def __str__(self):
        return f"Client({_fmt(self.peername)}, state={self.state.name.lower()})"

    __repr__ = __str__


class Server(Connection):
    """A server connection (mitmproxy.connection.Server)."""

    __slots__ = ()

    @property
    def address(self):
        return self._c.address

    @address.setter
    def address(self, value):
        self._c.address = tuple(value)

    @property
    def via(self):
        v = self._c.via
        return None if v is None else ("http", v)

    timestamp_tcp_setup = property(lambda s: s._c.timestamp_tcp_setup)

    def __str__(self):
        return f"Server({_fmt(self.address)}, state={self.state.name.lower()})"

    __repr__ = __str__


def _wrap(conn):
    """Client or Server over a _c.Conn, or None."""
    if conn is None:
        return None
    return (Server if conn.is_server else Client)._view(conn)


__all__ = ["Connection", "Client", "Server", "ConnectionState"]
