"""mitmproxy.dns: DNSFlow, with its query and answer as Message objects
(read from the C flow when used). This version reads DNS messages; a
script's changes to them are not sent."""
from mitmproxy import flow as _flow

_TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA",
          33: "SRV", 41: "OPT", 64: "SVCB", 65: "HTTPS"}
_CLASSES = {1: "IN"}


class Question:
    def __init__(self, name, type, class_):
        self.name, self.type, self.class_ = name, type, class_

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"Question({self.name!r}, {_TYPES.get(self.type, self.type)})"


class ResourceRecord:
    def __init__(self, name, type, class_, ttl, data):
        self.name, self.type, self.class_, self.ttl, self.data = name, type, class_, ttl, data

    @property
    def ipv4_address(self):
        import ipaddress

        return ipaddress.IPv4Address(self.data) if self.type == 1 else None

    @property
    def ipv6_address(self):
        import ipaddress

        return ipaddress.IPv6Address(self.data) if self.type == 28 else None

    def __str__(self):
        if self.type in (1, 28):
            return str(self.ipv4_address or self.ipv6_address)
        return repr(self.data)

    def __repr__(self):
        return f"ResourceRecord({self.name!r}, {_TYPES.get(self.type, self.type)}, {self})"


class Message:
    """A DNS query or answer (mitmproxy.dns.Message), as read."""

    def __init__(self, d):
        self.__dict__.update({k: v for k, v in d.items()
                              if k not in ("questions", "answers", "authorities", "additionals")})
        self.questions = [Question(*q) for q in d["questions"]]
        self.answers = [ResourceRecord(*r) for r in d["answers"]]
        self.authorities = [ResourceRecord(*r) for r in d["authorities"]]
        self.additionals = [ResourceRecord(*r) for r in d["additionals"]]

    def __repr__(self):
        return f"Message({self.questions!r}, answers={self.answers!r})"


class DNSFlow(_flow.Flow):
    __slots__ = ()
    type = "dns"

    @property
    def request(self):
        from mitmproxy import _c

        m = _c.dns_message(self._f, False)
        return Message(m) if m is not None else None

    @property
    def response(self):
        from mitmproxy import _c

        m = _c.dns_message(self._f, True)
        return Message(m) if m is not None else None

    def __repr__(self):
        return f"<DNSFlow request={self.request!r}>"


__all__ = ["DNSFlow", "Message", "Question", "ResourceRecord"]
