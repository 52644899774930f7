"""mitmproxy.proxy.layers.modes: socks5_auth's data."""
from mitmproxy.connection import _wrap


class Socks5AuthData:
    """socks5_auth's data (mitmproxy's Socks5AuthData): set valid."""

    def __init__(self, data):
        self._d = data

    client_conn = property(lambda s: _wrap(s._d.client))
    username = property(lambda s: s._d.username)
    password = property(lambda s: s._d.password)

    @property
    def valid(self):
        return self._d.valid

    @valid.setter
    def valid(self, value):
        self._d.valid = bool(value)


__all__ = ["Socks5AuthData"]
