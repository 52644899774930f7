"""mitmproxy.dns: DNSFlow, its query and answer as Message objects, and the
constants 8.1.1 names (dns.types, dns.classes, dns.op_codes,
dns.response_codes).

A Message is a value, as in 8.1.1. The one a DNSFlow's request or response
gives (or is assigned) is bound to the proxy's flow: every change to it, to
its lists or to a Question or ResourceRecord in them packs the message into
the C flow at once, so what a dns_request or dns_response hook leaves there
is what is sent. A value that cannot be packed (a label over 63 bytes, an
id over 65535) raises ValueError at the change and the flow keeps its last
good message. The parts of a message refer to it weakly (no cycles that
would keep the proxy's flow until a collection): a list or record taken
out of a message that is gone no longer writes anywhere. A message kept
from before a later assignment to the same flow still writes to it.
"""
import ipaddress
import itertools
import random
import time
import types as _pytypes
import weakref

from mitmproxy import flow as _flow

DEFAULT_TTL = 60


def _constants(doc, prefix, table):
    """A module-like namespace of NAME = number, with to_str(number)."""
    ns = _pytypes.SimpleNamespace(**{name: n for n, name in table.items()})
    ns.__doc__ = doc
    ns._STRINGS = dict(table)
    ns.to_str = lambda n: table.get(n, f"{prefix}({n})")
    return ns


_TYPES = {n: name for n, name in enumerate(
    "- A NS MD MF CNAME SOA MB MG MR NULL WKS PTR HINFO MINFO MX TXT RP AFSDB X25 ISDN RT NSAP "
    "NSAP_PTR SIG KEY PX GPOS AAAA LOC NXT EID NIMLOC SRV ATMA NAPTR KX CERT A6 DNAME SINK OPT "
    "APL DS SSHFP IPSECKEY RRSIG NSEC DNSKEY DHCID NSEC3 NSEC3PARAM TLSA SMIMEA - HIP NINFO "
    "RKEY TALINK CDS CDNSKEY OPENPGPKEY CSYNC ZONEMD SVCB HTTPS".split()) if name != "-"}
_TYPES.update({99: "SPF", 100: "UINFO", 101: "UID", 102: "GID", 103: "UNSPEC", 104: "NID",
               105: "L32", 106: "L64", 107: "LP", 108: "EUI48", 109: "EUI64", 249: "TKEY",
               250: "TSIG", 251: "IXFR", 252: "AXFR", 253: "MAILB", 254: "MAILA", 255: "ANY",
               256: "URI", 257: "CAA", 258: "AVC", 259: "DOA", 260: "AMTRELAY", 32768: "TA",
               32769: "DLV"})
types = _constants("DNS record types (IANA).", "TYPE", _TYPES)
classes = _constants("DNS classes.", "CLASS",
                     {1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"})
op_codes = _constants("DNS op codes.", "OPCODE",
                      {0: "QUERY", 1: "IQUERY", 2: "STATUS", 4: "NOTIFY", 5: "UPDATE", 6: "DSO"})
response_codes = _constants("DNS response codes.", "RCODE", dict(enumerate(
    "NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED YXDOMAIN YXRRSET NXRRSET NOTAUTH NOTZONE "
    "DSOTYPENI".split())))
_HTTP_STATUS = {0: 200, 1: 400, 2: 500, 3: 404, 4: 501, 5: 403, 6: 409, 7: 409, 8: 410,
                9: 401, 10: 404, 11: 501}
response_codes.http_equiv_status_code = lambda rc: _HTTP_STATUS.get(rc, 500)


def _pack_name(name):
    """A name in wire form without compression (8.1.1's domain_names.pack)."""
    out = bytearray()
    for label in name.split(".") if name else []:
        b = label.encode("idna")
        if not 0 < len(b) < 64:
            raise ValueError(f"Invalid label length: {len(b)}")
        out.append(len(b))
        out += b
    out.append(0)
    return bytes(out)


def _unpack_name(data):
    labels, i = [], 0
    while True:
        n = data[i]
        if n == 0:
            break
        if n & 0xC0:
            raise ValueError("compressed name in record data")
        labels.append(data[i + 1:i + 1 + n].decode("idna"))
        i += 1 + n
    if i + 1 != len(data):
        raise ValueError("trailing bytes after the name")
    return ".".join(labels)


class _Part:
    """A Question or ResourceRecord: a change repacks the message it is in."""

    __slots__ = ()

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        owner = getattr(self, "_owner", None)
        owner = owner() if owner is not None and name != "_owner" else None
        if owner is not None:
            owner._changed()

    def __eq__(self, other):
        return type(other) is type(self) and self._tuple() == other._tuple()

    def get_state(self):
        return dict(zip(self._FIELDS, self._tuple()))

    @classmethod
    def from_state(cls, state):
        return cls(**state)


class Question(_Part):
    __slots__ = ("name", "type", "class_", "_owner")
    _FIELDS = ("name", "type", "class_")

    def __init__(self, name, type, class_):
        self._owner = None
        self.name, self.type, self.class_ = name, type, class_

    def _tuple(self):
        return (self.name, self.type, self.class_)

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"Question(name={self.name!r}, type={self.type!r}, class_={self.class_!r})"

    def to_json(self):
        return {"name": self.name, "type": types.to_str(self.type),
                "class": classes.to_str(self.class_)}


class ResourceRecord(_Part):
    __slots__ = ("name", "type", "class_", "ttl", "data", "_owner")
    _FIELDS = ("name", "type", "class_", "ttl", "data")
    DEFAULT_TTL = DEFAULT_TTL

    def __init__(self, name, type, class_, ttl, data):
        self._owner = None
        self.name, self.type, self.class_, self.ttl, self.data = name, type, class_, ttl, data

    def _tuple(self):
        return (self.name, self.type, self.class_, self.ttl, self.data)

    def __str__(self):
        try:
            if self.type == types.A:
                return str(self.ipv4_address)
            if self.type == types.AAAA:
                return str(self.ipv6_address)
            if self.type in (types.NS, types.CNAME, types.PTR):
                return self.domain_name
            if self.type == types.TXT:
                return self.text
        except Exception:
            return f"0x{self.data.hex()} (invalid {types.to_str(self.type)} data)"
        return f"0x{self.data.hex()}"

    def __repr__(self):
        return (f"ResourceRecord(name={self.name!r}, type={self.type!r}, "
                f"class_={self.class_!r}, ttl={self.ttl!r}, data={self.data!r})")

    @property
    def text(self):
        return self.data.decode("utf-8")

    @text.setter
    def text(self, value):
        self.data = value.encode("utf-8")

    @property
    def ipv4_address(self):
        return ipaddress.IPv4Address(self.data)

    @ipv4_address.setter
    def ipv4_address(self, ip):
        self.data = ip.packed

    @property
    def ipv6_address(self):
        return ipaddress.IPv6Address(self.data)

    @ipv6_address.setter
    def ipv6_address(self, ip):
        self.data = ip.packed

    @property
    def domain_name(self):
        return _unpack_name(self.data)

    @domain_name.setter
    def domain_name(self, name):
        self.data = _pack_name(name)

    def to_json(self):
        return {"name": self.name, "type": types.to_str(self.type),
                "class": classes.to_str(self.class_), "ttl": self.ttl, "data": str(self)}

    @classmethod
    def A(cls, name, ip, *, ttl=DEFAULT_TTL):
        return cls(name, types.A, classes.IN, ttl, ip.packed)

    @classmethod
    def AAAA(cls, name, ip, *, ttl=DEFAULT_TTL):
        return cls(name, types.AAAA, classes.IN, ttl, ip.packed)

    @classmethod
    def CNAME(cls, alias, canonical, *, ttl=DEFAULT_TTL):
        return cls(alias, types.CNAME, classes.IN, ttl, _pack_name(canonical))

    @classmethod
    def PTR(cls, inaddr, ptr, *, ttl=DEFAULT_TTL):
        return cls(inaddr, types.PTR, classes.IN, ttl, _pack_name(ptr))

    @classmethod
    def TXT(cls, name, text, *, ttl=DEFAULT_TTL):
        return cls(name, types.TXT, classes.IN, ttl, text.encode("utf-8"))


class _Parts(list):
    """A Message's questions or records: a change repacks the message."""

    def __init__(self, owner, items):
        super().__init__(items)
        self._owner = weakref.ref(owner)
        for p in self:
            object.__setattr__(p, "_owner", self._owner)

    def _changing(name):
        def method(self, *args, **kwargs):
            r = getattr(list, name)(self, *args, **kwargs)
            for p in self:
                if isinstance(p, _Part):
                    object.__setattr__(p, "_owner", self._owner)
            owner = self._owner()
            if owner is not None:
                owner._changed()
            return r

        method.__name__ = name
        return method

    for _name in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend",
                  "insert", "pop", "remove", "clear", "sort", "reverse"):
        locals()[_name] = _changing(_name)
    del _changing, _name


_FIELDS = ("timestamp", "id", "query", "op_code", "authoritative_answer", "truncation",
           "recursion_desired", "recursion_available", "reserved", "response_code",
           "questions", "answers", "authorities", "additionals")
_LISTS = ("questions", "answers", "authorities", "additionals")


class Message:
    """A DNS query or answer (mitmproxy.dns.Message), with 8.1.1's fields."""

    def __init__(self, timestamp, id, query, op_code, authoritative_answer, truncation,
                 recursion_desired, recursion_available, reserved, response_code, questions,
                 answers, authorities, additionals):
        object.__setattr__(self, "_bound", None)
        for k, v in zip(_FIELDS, (timestamp, id, query, op_code, authoritative_answer,
                                  truncation, recursion_desired, recursion_available, reserved,
                                  response_code, questions, answers, authorities, additionals)):
            setattr(self, k, v)

    def __setattr__(self, name, value):
        if name in _LISTS:
            value = _Parts(self, value)
        old = self.__dict__.get(name)
        object.__setattr__(self, name, value)
        if name in _FIELDS:
            try:
                self._changed()
            except (TypeError, ValueError):
                object.__setattr__(self, name, old)
                raise

    def _changed(self):
        if self._bound is not None:
            from mitmproxy import _c

            cflow, response = self._bound
            _c.dns_set_message(cflow, response, self._fields())

    def _bind(self, cflow, response):
        """Packs self into the flow's query or answer and binds it there."""
        from mitmproxy import _c

        _c.dns_set_message(cflow, response, self._fields())
        object.__setattr__(self, "_bound", (cflow, response))

    def _fields(self):
        """The dict _c.dns_set_message takes."""
        d = {k: getattr(self, k) for k in _FIELDS if k not in _LISTS}
        d["questions"] = [q._tuple() for q in self.questions]
        for k in _LISTS[1:]:
            d[k] = [r._tuple() for r in getattr(self, k)]
        return d

    @classmethod
    def _of_c(cls, d):
        m = cls.__new__(cls)
        object.__setattr__(m, "_bound", None)
        for k in _FIELDS:
            if k == "questions":
                setattr(m, k, [Question(*q) for q in d[k]])
            elif k in _LISTS:
                setattr(m, k, [ResourceRecord(*r) for r in d[k]])
            else:
                setattr(m, k, d[k])
        return m

    def __eq__(self, other):
        return isinstance(other, Message) and self.get_state() == other.get_state()

    __hash__ = None

    def __str__(self):
        return "\r\n".join(map(str, itertools.chain(self.questions, self.answers,
                                                      self.authorities, self.additionals)))

    def __repr__(self):
        return "Message(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in _FIELDS) + ")"

    @property
    def content(self):
        return str(self).encode()

    @property
    def size(self):
        """The data size of all records together (8.1.1's Message.size)."""
        return sum(len(r.data) for r in itertools.chain(self.answers, self.authorities,
                                                         self.additionals))

    @property
    def packed(self):
        """The message in wire form, names compressed."""
        from mitmproxy import _c

        return _c.dns_pack(self._fields())

    @classmethod
    def unpack(cls, buffer):
        from mitmproxy import _c

        return cls._of_c(_c.dns_unpack(bytes(buffer)))

    def _answer(self, response_code, answers, recursion_available):
        return Message(time.time(), self.id, False, self.op_code, False, False,
                       self.recursion_desired, recursion_available, 0, response_code,
                       [Question(*q._tuple()) for q in self.questions], answers, [], [])

    def fail(self, response_code):
        """An answer to this query with an error code and no records."""
        if response_code == response_codes.NOERROR:
            raise ValueError("response_code must be an error code.")
        return self._answer(response_code, [], False)

    def succeed(self, answers):
        """A NOERROR answer to this query with the given records."""
        return self._answer(response_codes.NOERROR, list(answers), True)

    def get_state(self):
        d = {k: getattr(self, k) for k in _FIELDS if k not in _LISTS}
        for k in _LISTS:
            d[k] = [p.get_state() for p in getattr(self, k)]
        return d

    @classmethod
    def from_state(cls, state):
        d = dict(state)
        d["questions"] = [Question(**q) for q in d["questions"]]
        for k in _LISTS[1:]:
            d[k] = [ResourceRecord(**r) for r in d[k]]
        return cls(**d)

    def copy(self):
        """A copy with a new random id, not bound to any flow (8.1.1's copy)."""
        state = self.get_state()
        state["id"] = random.randint(0, 65535)
        return Message.from_state(state)

    def to_json(self):
        return {
            "id": self.id, "query": self.query, "op_code": op_codes.to_str(self.op_code),
            "authoritative_answer": self.authoritative_answer, "truncation": self.truncation,
            "recursion_desired": self.recursion_desired,
            "recursion_available": self.recursion_available,
            "response_code": response_codes.to_str(self.response_code),
            "status_code": response_codes.http_equiv_status_code(self.response_code),
            "questions": [q.to_json() for q in self.questions],
            "answers": [r.to_json() for r in self.answers],
            "authorities": [r.to_json() for r in self.authorities],
            "additionals": [r.to_json() for r in self.additionals],
            "size": self.size, "timestamp": self.timestamp,
        }


class DNSFlow(_flow.Flow):
    """A DNS query and its answer (mitmproxy.dns.DNSFlow)."""

    __slots__ = ()
    type = "dns"

    # The flow object keeps the message it last gave or was given, so that
    # flow.request is flow.request while the C flow holds what it holds.
    def _message(self, response):
        from mitmproxy import _c

        key = "_dns_response" if response else "_dns_request"
        d = _c.dns_message(self._f, response)
        m = self.__dict__.get(key)
        if d is None or m is None or m._bound != (self._f, response) or m._fields() != d:
            m = None if d is None else Message._of_c(d)
            if m is not None:
                object.__setattr__(m, "_bound", (self._f, response))
            self.__dict__[key] = m
        return m

    def _set_message(self, response, m):
        from mitmproxy import _c

        if m is None:
            _c.dns_set_message(self._f, response, None)
        elif isinstance(m, Message):
            m._bind(self._f, response)
        else:
            raise TypeError(f"a DNS flow's messages are dns.Message, not {type(m).__name__}")
        self.__dict__["_dns_response" if response else "_dns_request"] = m

    @property
    def request(self):
        return self._message(False)

    @request.setter
    def request(self, value):
        self._set_message(False, value)

    @property
    def response(self):
        return self._message(True)

    @response.setter
    def response(self, value):
        self._set_message(True, value)

    def __repr__(self):
        return f"<DNSFlow\r\n  request={self.request!r}\r\n  response={self.response!r}\r\n>"


__all__ = ["DNSFlow", "Message", "Question", "ResourceRecord", "types", "classes", "op_codes",
           "response_codes"]
