"""The Python arguments of each hook from the C views the loader passes
(src/script/py.c, script__hook_args). Not part of mitmproxy's API."""
from mitmproxy import connection, dns, http, tcp
from mitmproxy.proxy import layer, server_hooks
from mitmproxy.proxy.layers import modes

_FLOWS = {"http": http.HTTPFlow, "tcp": tcp.TCPFlow, "dns": dns.DNSFlow}


def flow(cflow):
    """The HTTPFlow, TCPFlow or DNSFlow over a _c.Flow."""
    return _FLOWS[cflow.type]._from_c(cflow)


def _server(fl, client, server, data, flows):
    return (server_hooks.ServerConnectionHookData._of(server, client),)


def _client(fl, client, server, data, flows):
    return (connection._wrap(client),)


def _flow(kind):
    def args(fl, client, server, data, flows):
        if fl is None or fl.type != kind:
            return None
        return (flow(fl),)

    return args


def _data(cls):
    return lambda fl, client, server, data, flows: (cls(data),) if data is not None else None


_ARGS = {
    "client_connected": _client,
    "client_disconnected": _client,
    "server_connect": _server,
    "server_connected": _server,
    "server_disconnected": _server,
    "tcp_start": _flow("tcp"),
    "tcp_message": _flow("tcp"),
    "tcp_end": _flow("tcp"),
    "tcp_error": _flow("tcp"),
    "dns_request": _flow("dns"),
    "dns_response": _flow("dns"),
    "dns_error": _flow("dns"),
    "update": lambda fl, client, server, data, flows: ([flow(f) for f in flows],),
}


def hook_args(name, fl, client, server, data, flows):
    """The argument tuple of hook name, or None to skip the call."""
    make = _ARGS.get(name)
    if make is None:
        from mitmproxy import tls

        if name == "next_layer":
            make = _data(layer.NextLayer)
        elif name == "tls_clienthello":
            make = _data(tls.ClientHelloData)
        elif name.startswith("tls_"):
            make = _data(tls.TlsData)
        elif name == "socks5_auth":
            make = _data(modes.Socks5AuthData)
        else:
            return None
        _ARGS[name] = make
    return make(fl, client, server, data, flows)
