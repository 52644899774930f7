"""mitmproxy.contentviews.grpc: the gRPC/Protocol Buffer view as a class a
script can configure and subclass (8.1.1's ViewGrpcProtobuf, ViewConfig
and ProtoParser with its rules).

Without rules that apply to a message and with the default parser options,
the view renders through our C view (src/contentviews/grpc.c), whose
output is 8.1.1's. Rules name fields and choose their decoding (a double
kept in a varint, a packed repeated field), and the options add the wire
type or leave out message headers; for those the message is parsed here,
field by field, as 8.1.1's flattened table shows it.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import Enum

from mitmproxy import _c, flowfilter
from mitmproxy.contentviews import base

_C_VIEW = "gRPC/Protocol Buffer"
_GRPC_TYPES = ("application/grpc",)
_PB_TYPES = ("application/x-protobuf", "application/x-protobuffer", "application/grpc-proto")
# The first is the default for a message flagged compressed without the header.
_GRPC_ENCODINGS = ("gzip", "identity", "deflate")
_MAX_COL = 100


class ProtoParser:
    """Parses a protobuf message into fields, named and decoded by rules."""

    @dataclass
    class ParserRule:
        """Field definitions for the flows filter matches, requests and responses alike."""

        field_definitions: list
        name: str = ""
        filter: str = ""

    @dataclass
    class ParserRuleResponse(ParserRule):
        """A ParserRule for responses only."""

    @dataclass
    class ParserRuleRequest(ParserRule):
        """A ParserRule for requests only."""

    @dataclass
    class ParserFieldDefinition:
        """How to show the field(s) at tag ("1.2"), or at prefix + tag for
        each of tag_prefixes: a name, a decoding, whether it is packed."""

        tag: str
        tag_prefixes: list = field(default_factory=list)
        intended_decoding: "ProtoParser.DecodedTypes | None" = None
        name: "str | None" = None
        as_packed: "bool | None" = False

    @dataclass
    class ParserOptions:
        include_wiretype: bool = False
        exclude_message_headers: bool = False

    class DecodedTypes(Enum):
        int32 = 0
        int64 = 1
        uint32 = 2
        uint64 = 3
        sint32 = 4
        sint64 = 5
        bool = 6
        enum = 7
        fixed32 = 8
        sfixed32 = 9
        float = 10
        fixed64 = 11
        sfixed64 = 12
        double = 13
        string = 14
        bytes = 15
        message = 16
        unknown = 17

    class WireTypes(Enum):
        varint = 0
        bit_64 = 1
        len_delimited = 2
        group_start = 3
        group_end = 4
        bit_32 = 5

    def __init__(self, data: bytes, rules=None, parser_options=None) -> None:
        self.data = data
        self.options = parser_options or ProtoParser.ParserOptions()
        self.rules = rules or []
        try:
            self.root_fields = _read_fields(data, [], self.rules)
        except Exception as e:
            raise ValueError("not a valid protobuf message") from e

    def gen_str_rows(self):
        """The table's rows: decoding, name, tag path, value."""
        for d in _flat(self.root_fields, self.rules):
            if self.options.exclude_message_headers and d["decoding"] == "message":
                continue
            if self.options.include_wiretype:
                col1 = "[{}->{}]".format(d["wireType"], d["decoding"])
            else:
                col1 = "[{}]".format(d["decoding"])
            yield col1, d["name"], d["tag"], str(d["val"])


_T = ProtoParser.DecodedTypes
_W = ProtoParser.WireTypes
_VARINT_TYPES = (_T.int32, _T.int64, _T.uint32, _T.uint64, _T.sint32, _T.sint64, _T.bool, _T.enum)
_BIT32_TYPES = (_T.fixed32, _T.sfixed32, _T.float)
_BIT64_TYPES = (_T.fixed64, _T.sfixed64, _T.double)


class _Field:
    """One field as read off the wire, before it is decoded."""

    __slots__ = ("wire", "tag", "path", "value", "decoding", "name", "packed", "unpacked")

    def __init__(self, wire, tag, parents, value, rules, unpacked=False):
        self.wire, self.tag, self.value = wire, tag, value
        self.path = parents + [tag]
        self.unpacked = unpacked
        if wire == _W.varint:
            self.decoding = _T.uint64 if value.bit_length() > 32 else _T.uint32
        else:
            self.decoding = {_W.bit_64: _T.fixed64, _W.bit_32: _T.fixed32}.get(wire, _T.message)
        self.name, self.packed = "", False
        # The first definition of any rule whose tag matches (8.1.1's only_first_hit).
        tag_str = ".".join(map(str, self.path))
        for rule in rules:
            for fd in rule.field_definitions:
                if (fd.tag == tag_str if not fd.tag_prefixes
                        else any(p + fd.tag == tag_str for p in fd.tag_prefixes)):
                    self.name, self.decoding = fd.name, fd.intended_decoding
                    # 8.1.1 keeps a value of a packed field "packed" when the
                    # field is at the top level, so such a value falls back to
                    # its wire type's decoding: as there, so here.
                    self.packed = bool(fd.as_packed) and not (unpacked and parents)
                    return


def _varint(data, pos):
    res = shift = 0
    while pos < len(data):
        b = data[pos]
        res |= (b & 0x7F) << shift
        pos += 1
        shift += 7
        if b < 0x80:
            return res, pos
    raise ValueError("varint exceeds bounds of provided data")


def _read_fields(data, parents, rules):
    out, pos = [], 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        wire = _W(key & 7)  # ValueError for 6 and 7
        if wire == _W.varint:
            value, pos = _varint(data, pos)
        elif wire in (_W.bit_64, _W.bit_32):
            n = 8 if wire == _W.bit_64 else 4
            if len(data) - pos < n:
                raise ValueError("fixed-size field exceeds data size")
            value = int.from_bytes(data[pos:pos + n], "little")
            pos += n
        elif wire == _W.len_delimited:
            n, pos = _varint(data, pos)
            if n > len(data) - pos:
                raise ValueError("length delimited field exceeds data size")
            value = data[pos:pos + n]
            pos += n
        else:
            raise ValueError(f"deprecated field: {wire}")
        out.append(_Field(wire, key >> 3, parents, value, rules))
    return out


def _read_packed(f, rules):
    """The values of a packed repeated field, each a field of its own."""
    if f.wire != _W.len_delimited:
        raise ValueError("packed fields have to be embedded in a length delimited message")
    data, out, pos, parents = f.value, [], 0, f.path[:-1]
    while pos < len(data):
        if f.decoding in _VARINT_TYPES:
            value, pos = _varint(data, pos)
            wire = _W.varint
        elif f.decoding in _BIT32_TYPES + _BIT64_TYPES:
            n = 4 if f.decoding in _BIT32_TYPES else 8
            if len(data) % n:
                raise ValueError("packed fixed-size values do not fill the field")
            value = int.from_bytes(data[pos:pos + n], "little")
            pos += n
            wire = _W.bit_32 if n == 4 else _W.bit_64
        else:
            n, pos = _varint(data, pos)
            if n > len(data) - pos:
                raise ValueError("packed length delimited field exceeds data size")
            value = data[pos:pos + n]
            pos += n
            wire = _W.len_delimited
        child = _Field(wire, f.tag, parents, value, rules, unpacked=True)
        child.decoding = f.decoding
        out.append(child)
    return out


def _as_float(v):
    """8.1.1 reads the value's big-endian bytes as a float or double."""
    if isinstance(v, int):
        if v.bit_length() > 64:
            raise ValueError("value exceeds 64 bit")
        v = v.to_bytes(8 if v.bit_length() > 32 else 4, "big")
    if len(v) == 4:
        return struct.unpack("!f", v)[0]
    if len(v) == 8:
        return struct.unpack("!d", v)[0]
    raise TypeError("can not be converted to floating point")


def _signed(v, bits):
    return v - (1 << bits) if v >> (bits - 1) else v


def _decode(f, t, rules):
    """f's value as t, or an exception when it cannot be one."""
    v, w = f.value, f.wire
    bits = v.bit_length() if isinstance(v, int) else 0
    if w == _W.varint:
        if t == _T.bool:
            return v & 0xFFFFFFFFFFFFFFFF != 0
        limit = {_T.int32: 32, _T.uint32: 32, _T.sint32: 32, _T.int64: 64, _T.uint64: 64,
                 _T.enum: 64, _T.sint64: 64}.get(t)
        if limit is not None:
            if bits > limit:
                raise TypeError("wire value too large")
            if t in (_T.int32, _T.int64):
                return _signed(v, limit)
            if t in (_T.sint32, _T.sint64):
                return (v >> 1) ^ -(v & 1)
            return v
        if t in (_T.float, _T.double):
            return _as_float(v)
    elif w == _W.bit_64:
        if t == _T.fixed64:
            return v
        if t == _T.sfixed64:
            return _signed(v, 64)
        if t == _T.double:
            return _as_float(v)
    elif w == _W.bit_32:
        if t == _T.fixed32:
            return v
        if t == _T.sfixed32:
            return _signed(v, 32)
        if t == _T.float:
            return _as_float(v)
    elif w == _W.len_delimited:
        if t == _T.string:
            return v.decode("utf-8").replace("\n", "\\n")
        if t == _T.bytes:
            return v
        if t == _T.message:
            return _read_fields(v, f.path, rules)
    raise TypeError("intended decoding mismatches wire type")


def _safe_decode(f, rules):
    """(decoding, value, unpacked): the field's decoding if it works, else
    8.1.1's fall-backs; unpacked when value is a packed field's values."""
    try:
        if f.packed:
            return f.decoding, _read_packed(f, rules), True
        return f.decoding, _decode(f, f.decoding, rules), False
    except Exception:
        pass
    return _fallback(f, rules) + (False,)


def _fallback(f, rules):
    if f.wire == _W.varint:
        return (_T.uint64 if f.value.bit_length() > 32 else _T.uint32), f.value
    if f.wire in (_W.bit_64, _W.bit_32):
        return (_T.fixed64 if f.wire == _W.bit_64 else _T.fixed32), f.value
    for t in (_T.message, _T.string, _T.bytes):
        if t == f.decoding and not f.packed:
            continue
        try:
            return t, _decode(f, t, rules)
        except Exception:
            pass
    return _T.unknown, f.value


def _flat(fields, rules):
    """Each field as 8.1.1's row dict, a message's fields after its own row."""
    for f in fields:
        decoding, value, unpacked = _safe_decode(f, rules)
        row = {"tag": ".".join(map(str, f.path)), "wireType": f.wire.name,
               "decoding": decoding.name, "name": f.name or ""}
        if isinstance(value, list):
            if decoding == _T.message and not unpacked:
                row["val"] = ""
                yield row
            yield from _flat(value, rules)
        else:
            row["val"] = value
            yield row


def format_table(table_rows, max_col_width=_MAX_COL):
    """Rows of cells as lines, each cell padded to its column's width (at
    most max_col_width) plus two."""
    rows = [tuple(r) for r in table_rows]
    widths = []
    for r in rows:
        widths += [0] * (len(r) - len(widths))
        for i, cell in enumerate(r):
            widths[i] = max(widths[i], len(cell))
    widths = [min(w, max_col_width) for w in widths]
    for r in rows:
        yield [("text", cell.ljust(widths[i] + 2)) for i, cell in enumerate(r)]


def parse_grpc_messages(data, compression_scheme):
    """(compressed, message) for each length-prefixed gRPC message of data."""
    while data:
        if len(data) < 5:
            raise ValueError("invalid gRPC message")
        compressed, length = struct.unpack("!?i", data[:5])
        if length < 0 or length > len(data) - 5:
            raise ValueError("invalid gRPC message")
        message = data[5:5 + length]
        if compressed and compression_scheme != "identity":
            try:
                message = _c.decode(compression_scheme, message)
            except Exception as e:
                raise ValueError(
                    f"Failed to decompress gRPC message with {compression_scheme}") from e
        yield compressed, message
        data = data[5 + length:]


def format_pbuf(message, parser_options, rules):
    yield from format_table(ProtoParser(message, rules, parser_options).gen_str_rows())


def format_grpc(data, parser_options, rules, compression_scheme="gzip"):
    for compressed, message in parse_grpc_messages(data, compression_scheme):
        # 8.1.1 never counts past 0.
        scheme = compression_scheme if compressed else False
        yield [("text", f"gRPC message 0 (compressed {scheme})")]
        yield from format_pbuf(message, parser_options, rules)


@dataclass
class ViewConfig:
    parser_options: ProtoParser.ParserOptions = field(default_factory=ProtoParser.ParserOptions)
    parser_rules: list = field(default_factory=list)


class ViewGrpcProtobuf(base.View):
    """Human friendly view of protocol buffers"""

    name = "gRPC/Protocol Buffer"

    def __init__(self, config: ViewConfig = None) -> None:
        super().__init__()
        self.config = config if config is not None else ViewConfig()

    def _matching_rules(self, rules, message, flow):
        """The rules whose filter matches the flow and whose kind fits the
        message: ParserRuleRequest for requests, ParserRuleResponse for
        responses, ParserRule for both."""
        if not flow:
            return []
        from mitmproxy import http

        is_request = isinstance(message, http.Request)
        out = []
        for rule in rules:
            if isinstance(rule, ProtoParser.ParserRuleResponse if is_request
                          else ProtoParser.ParserRuleRequest):
                continue
            if flowfilter.match(rule.filter, flow):
                out.append(rule)
        return out

    def __call__(self, data, *, content_type=None, flow=None, http_message=None,
                 **unknown_metadata):
        rules = self._matching_rules(self.config.parser_rules, http_message, flow)
        grpc = content_type in _GRPC_TYPES
        encoding = _GRPC_ENCODINGS[0]
        if grpc and http_message is not None:
            h = http_message.headers.get("grpc-encoding")
            encoding = h if h in _GRPC_ENCODINGS else encoding
        title = "gRPC" if grpc else "Protobuf (flattened)"
        opts = self.config.parser_options
        if not rules and not opts.include_wiretype and not opts.exclude_message_headers:
            # Nothing to name or decode differently: our C view's table.
            desc, lines, used = _c.contentview_render(
                _C_VIEW, bytes(data), "application/grpc" if grpc else "application/x-protobuf",
                encoding)
            if used != _C_VIEW:
                raise ValueError("not a valid protobuf message")
            return title, lines
        if grpc:
            lines = list(format_grpc(data, opts, rules, encoding))
        else:
            lines = list(format_pbuf(data, opts, rules))
        return title, lines

    def render_priority(self, data, *, content_type=None, flow=None, http_message=None,
                        **unknown_metadata):
        if data and content_type in _GRPC_TYPES:
            return 1
        if data and content_type in _PB_TYPES:
            return 1.5
        return 0


__all__ = ["ProtoParser", "ViewConfig", "ViewGrpcProtobuf", "format_table", "format_grpc",
           "format_pbuf", "parse_grpc_messages"]
