"""mitmproxy.proxy.server_hooks: the data of the server_* hooks."""
from mitmproxy.connection import _wrap


class ServerConnectionHookData:
    """server_connect/connected/disconnected's data: the server, and the
    client it is for. Setting server.error in server_connect refuses the
    connection."""

    def __init__(self, server, client):
        self.server = server
        self.client = client

    @classmethod
    def _of(cls, server, client):
        return cls(_wrap(server), _wrap(client))


__all__ = ["ServerConnectionHookData"]
