"""mitmproxy.dns: DNSFlow. This version shows a DNS flow's connections,
error and marks; its messages are not reachable from Python yet."""
from mitmproxy import flow as _flow


class DNSFlow(_flow.Flow):
    __slots__ = ()
    type = "dns"

    @property
    def request(self):
        raise NotImplementedError("DNS messages are not reachable from scripts in this version")

    response = request

    def __repr__(self):
        return "<DNSFlow>"


__all__ = ["DNSFlow"]
