"""Protobuf messages for the gRPC view's tests, written by hand: a request
and a response for 8.1.1's contentview-custom-grpc.py rules (doubles kept
big-endian in fixed64 fields, as that example decodes them) and packed
repeated fields at the top level and nested."""
import struct


def varint(n):
    out = b""
    while n > 0x7F:
        out += bytes([n & 0x7F | 0x80])
        n >>= 7
    return out + bytes([n])


def key(tag, wire):
    return varint(tag << 3 | wire)


def ld(tag, body):
    """A length-delimited field."""
    return key(tag, 2) + varint(len(body)) + body


def double_be(tag, x):
    """A fixed64 field holding a double's big-endian bytes."""
    return key(tag, 1) + struct.pack("<Q", int.from_bytes(struct.pack("!d", x), "big"))


def var(tag, n):
    return key(tag, 0) + varint(n)


REQ = ld(1, double_be(1, 51.5) + double_be(2, -0.125)) + ld(3, b"DE") + ld(7, b"my app")
RESP = (
    ld(1, ld(2, b"Some street\nline")
       + ld(3, ld(1, b"\x00\xff") + ld(2, b"long name") + ld(3, b"s"))
       + ld(5, ld(1, double_be(1, 1.5) + var(2, 300)) + ld(3, double_be(1, 2.5))))
    + ld(7, b"x") + var(9, 1 << 40)
)
PACKED = (
    ld(10, ld(4, b"".join(varint(n) for n in (7, 8))) + ld(5, struct.pack("<ff", 0.5, 4.0)))
    + ld(4, b"".join(varint(n) for n in (1, 2, 300))) + ld(5, struct.pack("<ff", 1.0, 2.0))
    + var(6, 5) + var(8, 3)
)
