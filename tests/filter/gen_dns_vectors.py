#!/usr/bin/python3
"""Writes tests/filter/dns_flows.mitm and tests/filter/dns_vectors.txt: DNS
flows and what mitmproxy 8.1.1's flowfilter answers for each operator on
them. Run by hand from the repository root with Debian's python3 (it imports
mitmproxy 8.1.1); the output is committed.

The flows are the three of the fixtures' dns.mitm (A, AAAA, NXDOMAIN), then
variants made from them with 8.1.1's own classes: one without a response but
with an error, marked, commented, with metadata and replayed; one answered
with a CNAME, a TXT and an MX record; one with two questions.

Lines of dns_vectors.txt: <expr> TAB <bits>, one 0/1 per flow in file order.
Patterns are lower case and the data is too, so the answers hold both under
8.1.1's semantics (only ~m and ~d ignore case) and current mitmproxy's (every
operator ignores case); the C test checks both modes.
"""
import os

from mitmproxy import dns, flowfilter, io
from mitmproxy.flow import Error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "..", "shared", "fixtures", "flows", "dns.mitm")
FLOWS = os.path.join(ROOT, "tests", "filter", "dns_flows.mitm")
VECTORS = os.path.join(ROOT, "tests", "filter", "dns_vectors.txt")

EXPRS = [
    "~all", "~dns", "!~dns", "~http", "~tcp", "~websocket",
    "~q", "~s", "~e", "~marked", "~replay", "~replayq", "~replays",
    "~a", "~c 200", "~c 404",
    "~m query", "~m .", "~d example", "~d .",
    "~u example", "~u ^www\\.", "~u invalid$", "~u other", "example.test", "missing",
    "~t .", "~tq .", "~ts .", "~h .", "~hq .", "~hs .",
    "~b 127.0.0.1", "~b ::1", "~b example.test", "~b \"\\r\\n\"", "~b cname.target",
    "~b \"^hello\"", "~b \"0x000a\"", "~b mail",
    "~bq example", "~bq 127", "~bs 127", "~bs missing", "~bs \"invalid$\"",
    "~src :38240", "~src 127.0.0.1", "~dst :18053", "~dst 10.0.0.1",
    "~comment slow", "~comment .", "~marker :default:", "~meta k",
    "~dns & ~s & ~b example", "~dns & !~s", "~q | ~e", "!(~u www)",
]


def variants(base):
    out = list(base)
    f = base[0].copy()
    f.response = None
    f.error = Error("timed out")
    f.marked = ":default:"
    f.comment = "slow"
    f.metadata = {"k": "v"}
    f.is_replay = "request"
    out.append(f)
    f = base[1].copy()
    ans = f.response.answers
    ans[:] = [dns.ResourceRecord.CNAME("www.example.test", "cname.target.test"),
              dns.ResourceRecord.TXT("www.example.test", "hello"),
              dns.ResourceRecord("www.example.test", dns.types.MX, dns.classes.IN, 60,
                                 b"\x00\x0a\x04mail\x00")]
    out.append(f)
    f = base[2].copy()
    f.request.questions.append(dns.Question("other.invalid", dns.types.AAAA, dns.classes.IN))
    out.append(f)
    return out


def main():
    with open(SRC, "rb") as fp:
        base = list(io.FlowReader(fp).stream())
    flows = variants(base)
    with open(FLOWS, "wb") as fp:
        w = io.FlowWriter(fp)
        for f in flows:
            w.add(f)
    lines = []
    for expr in EXPRS:
        flt = flowfilter.parse(expr)
        assert flt is not None, expr
        lines.append(expr + "\t" + "".join("1" if flt(f) else "0" for f in flows))
    with open(VECTORS, "w") as fp:
        fp.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
