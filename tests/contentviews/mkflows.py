#!/usr/bin/python3
"""
Writes the flow files in tests/contentviews/flows/: bodies for every content
view of mitmproxy 8.1.1 (and bodies each view cannot parse), so that
`mitmdump -nr FILE --flow-detail 3` (and 4) can be compared with 8.1.1's
output byte for byte (tests/e2e/test_cli.py).

Run with the Debian python3 that has mitmproxy 8.1.1:
    /usr/bin/python3 tests/contentviews/mkflows.py
The files are checked in; this script documents how they were made.
"""
import gzip
import json
import os
import struct
import zlib

import msgpack
from mitmproxy import http, io, tcp
from mitmproxy.test import tflow
from wsproto.frame_protocol import Opcode

from mitmproxy import websocket

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "flows")

# ---- bodies ----


def png_chunk(t, b):
    return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))


def png(extra=b"", w=3, h=2):
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 20)) + png_chunk(b"IEND", b""))


PNG_TEXT = png(png_chunk(b"gAMA", struct.pack(">I", 45455))
               + png_chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1))
               + png_chunk(b"tEXt", b"Title\x00caf\xe9 au lait")
               + png_chunk(b"tEXt", b"Title\x00a second title")
               + png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"zipped text"))
               + png_chunk(b"iTXt", b"Author\x00\x00\x00en\x00Auteur\x00J\xc3\xb6rg"))

GIF = (b"GIF89a" + struct.pack("<HHBBB", 10, 20, 0x80, 3, 0) + b"\0" * 6
       + b"\x21\xfe\x05hello\x03abc\x00" + b"\x21\xf9\x04\x00\x00\x00\x00\x00"
       + b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
       + b"\x2c" + b"\0" * 8 + b"\x00" + b"\x02\x02\x4c\x01\x00" + b"\x3b")


def jpeg_segment(m, b):
    return b"\xff" + bytes([m]) + struct.pack(">H", len(b) + 2) + b


def exif_ifd():
    entries = [(0x010F, 6, b"Canon\x00"), (0x0131, 10, b"GIMP 2.10\x00")]
    ifd = struct.pack("<H", len(entries))
    data, off = b"", 8 + 2 + 12 * len(entries) + 4
    for tag, n, d in entries:
        ifd += struct.pack("<HHII", tag, 2, n, off + len(data))
        data += d
    return b"Exif\x00\x00" + b"II" + struct.pack("<HI", 42, 8) + ifd + struct.pack("<I", 0) + data


JPEG = (b"\xff\xd8" + jpeg_segment(0xE0, b"JFIF\x00\x01\x02\x01\x00\x48\x00\x48\x00\x00")
        + jpeg_segment(0xE1, exif_ifd()) + jpeg_segment(0xFE, b"a comment")
        + jpeg_segment(0xDB, b"\0" * 65)
        + jpeg_segment(0xC0, b"\x08\x00\x10\x00\x20\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01")
        + jpeg_segment(0xDA, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00") + b"\x12\x34\xff\xd9")

ICO = (b"\x00\x00\x01\x00\x02\x00" + struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, 10, 38)
       + struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, 8, 48) + b"\0" * 10 + b"\x89PNG\r\n\x1a\n")


def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_key(tag, wt):
    return varint(tag << 3 | wt)


def pb_ld(tag, b):
    return pb_key(tag, 2) + varint(len(b)) + b


PB_INNER = pb_ld(1, b"hello\nworld") + pb_key(2, 0) + varint(150) + pb_ld(3, b"\xff\xfe\x00")
PB = (pb_key(1, 0) + varint(2 ** 70 + 5) + pb_ld(2, PB_INNER) + pb_key(3, 1)
      + struct.pack("<Q", 2 ** 63 + 7) + pb_key(4, 5) + struct.pack("<I", 12345) + pb_ld(5, b"")
      + pb_key(2 ** 40, 0) + varint(1) + pb_ld(6, pb_ld(1, pb_ld(1, b"deep"))))


def grpc_frame(b, compressed=0):
    return bytes([compressed]) + struct.pack(">i", len(b)) + b


GRPC = grpc_frame(PB) + grpc_frame(gzip.compress(PB_INNER, mtime=0), 1) + grpc_frame(b"")

MSGPACK = msgpack.packb({"a": 1, "b": [1, 2.5, None, True, False, "x'\"", b"\x00\xff"],
                         "c": {}, "d": [], "e": msgpack.ExtType(5, b"abc"),
                         "f": -2 ** 63, "g": 0.1}, use_bin_type=True)

WBXML = (b"\x03\x01\x6a\x00\x45\x5c\x4f\x4b\x03" + b"0" + b"\x00\x01\x52\x03" + b"5<&>"
         + b"\x00\x01\x13\x57\xc3\x03abc\x03hi\x00\x01\x00\x01\x45\x01\x01\x01\x01")

MULTIPART = (b"--XYZ\r\nContent-Disposition: form-data; name=\"field1\"\r\n\r\nvalue one\r\n"
             b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
             b"Content-Type: text/plain\r\n\r\nfile content\r\n--XYZ--\r\n")

HTML = b"""<!DOCTYPE html>
<html>
<head><title>Example</title>
<meta charset="utf-8"><link rel=stylesheet href=a.css>
</head>
<body>
<div class="a"><p>Hello <b>world</b>, how
   are you?</p><br/><img src=x>
<!-- a comment > with gt -->
<ul><li>one</li><li>two</li>
<li>
   multi
     line
</li></ul>
<div></div><span a=b></span>
</div>
<script>if (a < b) { x = "</div>"; }</script>
</body>
</html>
"""

XML = b'<?xml version="1.0"?>\n<feed><entry id="1"><title>One</title><empty/></entry><entry>\n  <title>Two</title>\n</entry></feed>'

JS = b"""function f(a, b) { if (a < b) { return "a{b};c"; } else { return /re{1}/g.test(b); } }
var x = {a: 1, b: [1, 2, 3]}; for (var i = 0; i < 10; i++) { x.a += i; }
// a comment { with braces }
/* block { comment } */ let t = `template ${x} {`;"""

CSS = b"""body{margin:0;padding:0}a:hover,a:focus{color:red;background:url("x{y}.png")}
/* comment { } */ @media screen{.a{display:none}}"""

GRAPHQL = json.dumps({"query": "query Q($id: ID!) {\n  user(id: $id) { name }\n}",
                      "variables": {"id": "42", "caf\u00e9": True}, "operationName": "Q"}).encode()
GRAPHQL_BATCH = json.dumps([{"query": "{\n a }"}, {"query": "{ b }", "x": [1.5, 1e16]}]).encode()

JSON_EDGE = (b'{"b": [1, 2.5, -3, "x\\u00e9\\n\\t\\u0001", true, null, {}, [], 1e400, -0.0, 1E5],'
             b' "a": {"z": NaN, "y": Infinity, "x": -Infinity}, "a": 5, "\\ud83d\\ude00": 12345678901234567890}')

LONG_TEXT = "".join("line %03d: the quick brown fox\n" % i for i in range(100)).encode()


# ---- flows ----

def response(ctype, body, *, encoding=None, req=None, reqctype=None, path="/", hdrs=None):
    f = tflow.tflow(resp=True)
    f.request.path = path
    if req is not None:
        f.request.method = "POST" if req else "GET"
        f.request.content = req
        if reqctype:
            f.request.headers["content-type"] = reqctype
    if ctype is not None:
        f.response.headers["content-type"] = ctype
    for k, v in (hdrs or {}).items():
        f.response.headers[k] = v
    if encoding:
        f.response.headers["content-encoding"] = encoding
        f.response.raw_content = (gzip.compress(body, mtime=0) if encoding == "gzip"
                                  else zlib.compress(body) if encoding == "deflate" else body)
    else:
        f.response.raw_content = body
    return f


def tcp_flow(messages):
    f = tflow.ttcpflow()
    f.messages = [tcp.TCPMessage(i % 2 == 0, m, 946681204.2 + i) for i, m in enumerate(messages)]
    return f


def ws_flow(messages):
    f = tflow.twebsocketflow()
    f.websocket.messages = [websocket.WebSocketMessage(Opcode.TEXT if isinstance(m, str) else Opcode.BINARY,
                                                       i % 2 == 0, m.encode() if isinstance(m, str) else m,
                                                       946681204.2 + i)
                            for i, m in enumerate(messages)]
    return f


FILES = {
    "json": [
        response("application/json", JSON_EDGE),
        response("application/vnd.api+json; charset=utf-8", b'[{"id": 1}, {"id": 2, "tags": ["a", "b"]}]'),
        response("application/json", b"[ ]"),                     # GraphQL's check raises: Raw
        response("application/json", b'{"unterminated": '),       # not JSON: Raw
        response("application/json", json.dumps({"rows": list(range(100))}).encode()),  # cut off
        response("application/json", b'{"gz": true}', encoding="gzip"),
        response("application/json", b'{"bad": "gzip"}', hdrs={"content-encoding": "gzip"}),  # [cannot decode]
        response("text/plain", b'{"json": "but text/plain"}'),
    ],
    "graphql": [
        response(None, b"", req=GRAPHQL, reqctype="application/json"),
        response("application/json", GRAPHQL_BATCH),
        response("application/json", b'{"query": 5}'),           # "\n" in 5 raises: Raw
        response("application/json", b'{"query": ["\\n"], "a": 1}'),
    ],
    "xml": [
        response("text/html; charset=utf-8", HTML),
        response("text/xml", XML),
        response("application/octet-stream", b"  \n<sniffed><as>xml</as></sniffed>"),
        response("text/html", b"<p>caf\xe9</p>"),                 # not UTF-8: Raw
        response("text/html", b"".join(b"<div>%d</div>\n" % i for i in range(80))),
    ],
    "js": [
        response("application/javascript", JS),
        response("text/javascript", b"a();b();{c()}}}}x();"),
    ],
    "css": [
        response("text/css", CSS),
        response("text/css", b"a { b: \xff }"),                   # undecodable bytes survive
    ],
    "forms": [
        response("text/plain", b"ok", req=b"a=1&b=%20x+y&&c&d=caf%C3%A9&e=%ff",
                 reqctype="application/x-www-form-urlencoded"),
        response("text/plain", b"ok", req=b"caf\xc3\xa9=1", reqctype="application/x-www-form-urlencoded"),
        response("text/plain", b"ok", req=MULTIPART, reqctype="multipart/form-data; boundary=XYZ"),
        response("text/plain", b"ok", req=b"", path="/search?q=mitm+proxy&lang=en&empty=&flag&q=%2Fslash#frag"),
        response("text/plain", b"ok", req=b"", path="/?caf%C3%A9=%E2%9C%93&bad=%ff%fe&long_key_name_over_thirty_characters=1"),
        response("text/plain", b"ok", req=b"", path="/only?&"),
    ],
    "images": [
        response("image/png", PNG_TEXT),
        response("image/png", png()),
        response("image/gif", GIF),
        response("image/jpeg", JPEG),
        response("image/x-icon", ICO),
        response("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "),
        response("image/png", b""),
        response("image/png", PNG_TEXT[:50]),                     # truncated: Raw
        response("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>'),
    ],
    "protobuf": [
        response("application/x-protobuf", PB),
        response("application/grpc-proto", PB_INNER),
        response("application/grpc", GRPC),
        response("application/grpc", GRPC, hdrs={"grpc-encoding": "identity"}),
        response("application/x-protobuf", PB[:-3]),             # truncated: Raw
    ],
    "msgpack": [
        response("application/msgpack", MSGPACK),
        response("application/x-msgpack", b"\x82\xa1a\x01\xa1a\x02"),
        response("application/msgpack", b"\x81\x01\x02"),         # int key: Raw
    ],
    "wbxml": [
        response("application/vnd.ms-sync.wbxml", WBXML),
        response("application/vnd.wap.wbxml", b"\x03\x01\x6a\x00\x45\x01\x45\x01"),  # two roots: Raw
    ],
    "binary": [
        response("application/octet-stream", bytes(range(256)) * 8),   # hex, cut off at detail 3
        response("text/plain", LONG_TEXT),                            # raw, cut off at detail 3
        response("text/plain", b"tabs\tand\r\nCRLF\rCR\x0bVT\x00NUL\\ 'q' \"dq\"\n"),
        response(None, b""),
    ],
    "tcp": [
        tcp_flow([b"<hello>xml</hello>", bytes(range(40)), b"plain text\r\nline two"]),
    ],
    "websocket": [
        ws_flow(['{"json": "text frame"}', b"\x00\x01\x02binary", "<p>html</p>"]),
    ],
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, flows in FILES.items():
        with open(os.path.join(OUT, name + ".mitm"), "wb") as fp:
            w = io.FlowWriter(fp)
            for f in flows:
                w.add(f)


main()
