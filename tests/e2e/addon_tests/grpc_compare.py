"""Renders protobuf and gRPC bodies through mitmproxy.contentviews.grpc
(8.1.1's example view with its rules, the plain view, parser options,
packed fields, gzip-compressed gRPC, a body that is no message) and writes
(title, lines) per case as JSON to argv[1]. Run under our package and under
8.1.1's: the two files must be the same. Not a test file itself."""
import gzip
import importlib.util
import json
import struct
import sys

from mitmproxy.test import tflow
from mitmproxy.contentviews.grpc import ViewGrpcProtobuf, ViewConfig, ProtoParser

from grpc_compare_data import PACKED as packed, REQ as req, RESP as resp

EXAMPLE = "/usr/share/doc/mitmproxy/examples/addons/contentview-custom-grpc.py"
spec = importlib.util.spec_from_file_location("ex", EXAMPLE)
ex = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ex)

f = tflow.tflow(resp=True)
f.request.url = "http://example.com/ReverseGeocode"
out = {}


def run(name, view, data, ct, msg):
    try:
        t, lines = view(data, content_type=ct, flow=f, http_message=msg)
        out[name] = [t, [[list(x) for x in l] for l in lines]]
    except Exception as e:
        out[name] = ["ERR", type(e).__name__]


D = ProtoParser.DecodedTypes
FD = ProtoParser.ParserFieldDefinition
RULES = [ProtoParser.ParserRule(filter="~u ReverseGeocode", field_definitions=[
    FD(tag="4", name="ints", intended_decoding=D.uint32, as_packed=True),
    FD(tag="5", name="floats", intended_decoding=D.float, as_packed=True),
    FD(tag="10.4", name="nested ints", intended_decoding=D.sint64, as_packed=True),
    FD(tag="10.5", name="nested floats", intended_decoding=D.float, as_packed=True),
    FD(tag="6", name="z", intended_decoding=D.sint32),
    FD(tag="8", name="b", intended_decoding=D.bool),
])]
OPTIONS = ProtoParser.ParserOptions(include_wiretype=True, exclude_message_headers=True)


def framed(d, flag=b"\x00"):
    return flag + struct.pack("!i", len(d)) + d


for ct in ("application/x-protobuf", "application/grpc"):
    grpc = ct == "application/grpc"
    wrap = framed if grpc else (lambda d: d)
    run(ct + " ex req", ex.view, wrap(req), ct, f.request)
    run(ct + " ex resp", ex.view, wrap(resp), ct, f.response)
    run(ct + " plain resp", ViewGrpcProtobuf(), wrap(resp), ct, f.response)
    run(ct + " bad", ex.view, wrap(b"\xff\xff"), ct, f.response)
    run(ct + " opts", ViewGrpcProtobuf(ViewConfig(parser_options=OPTIONS)), wrap(resp), ct,
        f.response)
    gz = framed(gzip.compress(resp), b"\x01") if grpc else resp
    f.response.headers["grpc-encoding"] = "gzip"
    run(ct + " plain gzip", ViewGrpcProtobuf(), gz, ct, f.response)
    run(ct + " ex gzip", ex.view, gz, ct, f.response)
    del f.response.headers["grpc-encoding"]
    run(ct + " packed", ViewGrpcProtobuf(ViewConfig(parser_rules=RULES)), wrap(packed), ct,
        f.request)
print(json.dumps([ex.view.render_priority(req, content_type="application/grpc"),
                  ex.view.render_priority(req, content_type="application/x-protobuf"),
                  ex.view.name]))
json.dump(out, open(sys.argv[1], "w"), indent=1)
