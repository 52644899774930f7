"""mitmproxy.proxy.layer: NextLayer, next_layer's data."""
from mitmproxy.proxy.layers import _Layer, _layer_named
from mitmproxy.tls import _Context


class NextLayer:
    """next_layer's data: the proxy's choice in layer, which a script may
    replace (a layer of mitmproxy.proxy.layers, or None to decide later)."""

    def __init__(self, data):
        self._d = data
        self.context = _Context(data)

    @property
    def layer(self):
        return _layer_named(self._d.layer)

    @layer.setter
    def layer(self, value):
        if value is None:
            self._d.layer = "none"
        elif isinstance(value, _Layer):
            self._d.layer = value._name
        else:
            raise TypeError(f"not a layer this version can pick: {value!r}")

    def data_client(self):
        return self._d.data_client

    def data_server(self):
        return self._d.data_server

    def __repr__(self):
        return f"NextLayer:{self.layer!r}"


__all__ = ["NextLayer"]
