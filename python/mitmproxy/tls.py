"""mitmproxy.tls: the data of the tls_* hooks, views of the proxy's own
(mitmproxy._c.Data): what an addon sets (ignore_connection,
establish_server_tls_first) is what the TLS layer reads."""
from mitmproxy.connection import _wrap


class ClientHello:
    """The parts of a ClientHello this version parses."""

    def __init__(self, data):
        self._d = data

    sni = property(lambda s: s._d.sni)
    alpn_protocols = property(lambda s: s._d.alpn_protocols)

    def __repr__(self):
        return f"ClientHello(sni: {self.sni}, alpn_protocols: {self.alpn_protocols})"


class _Context:
    """The parts of mitmproxy's Context that hook data points at."""

    def __init__(self, data):
        self._d = data

    client = property(lambda s: _wrap(s._d.client))
    server = property(lambda s: _wrap(s._d.server))


class ClientHelloData:
    """tls_clienthello's data (mitmproxy.tls.ClientHelloData)."""

    def __init__(self, data):
        self._d = data
        self.context = _Context(data)
        self.client_hello = ClientHello(data)

    @property
    def ignore_connection(self):
        return self._d.ignore_connection

    @ignore_connection.setter
    def ignore_connection(self, value):
        self._d.ignore_connection = bool(value)

    @property
    def establish_server_tls_first(self):
        return self._d.establish_server_tls_first

    @establish_server_tls_first.setter
    def establish_server_tls_first(self, value):
        self._d.establish_server_tls_first = bool(value)


class _Session:
    """Stands for the OpenSSL session (mitmproxy's SSL.Connection), which
    scripts cannot reach in this version."""

    def __repr__(self):
        return "<TLS session>"


class TlsData:
    """The data of tls_start_*, tls_established_* and tls_failed_*."""

    is_dtls = False

    def __init__(self, data):
        self._d = data
        self.context = _Context(data)

    conn = property(lambda s: _wrap(s._d.conn))

    @property
    def ssl_conn(self):
        return _Session() if self._d.has_ssl_conn else None

    @ssl_conn.setter
    def ssl_conn(self, value):
        raise NotImplementedError("setting ssl_conn is not supported in this version")


__all__ = ["ClientHello", "ClientHelloData", "TlsData"]
