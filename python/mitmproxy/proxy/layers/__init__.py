"""mitmproxy.proxy.layers: the layers next_layer may choose. In this
version they are names for the proxy's own layers: assigning one of them
(or None) to NextLayer.layer picks it."""


class _Layer:
    _name = ""

    def __init__(self, context=None, *args, **kwargs):
        self.context = context

    def __repr__(self):
        return type(self).__name__

    def __eq__(self, other):
        return type(other) is type(self) and other._name == self._name

    def __hash__(self):
        return hash(self._name)


class TCPLayer(_Layer):
    def __init__(self, context=None, ignore=False):
        super().__init__(context)
        self.ignore = ignore

    @property
    def _name(self):
        return "ignore" if self.ignore else "tcp"


class HttpLayer(_Layer):
    _name = "http"


class ClientTLSLayer(_Layer):
    _name = "tls"


class ServerTLSLayer(_Layer):
    _name = "tls"


def _layer_named(name):
    return {
        "none": None,
        "ignore": TCPLayer(ignore=True),
        "tcp": TCPLayer(),
        "tls": ClientTLSLayer(),
        "http": HttpLayer(),
    }[name]


__all__ = ["TCPLayer", "HttpLayer", "ClientTLSLayer", "ServerTLSLayer"]
