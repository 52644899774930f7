#!/usr/bin/python3
"""Turns ../shared/fixtures/filters/public.json into tests/filter/vectors.txt,
a line format the C test reads without a JSON parser. Run by hand from the
repository root when the fixtures change; the output is committed.

Lines (fields separated by one TAB, text fields escaped with \\\\, \\t, \\n,
\\r and \\xHH for other bytes outside 0x20-0x7e, after UTF-8 encoding):
  F <flow id>                                   one per flow, in file order
  V <expr> <matches> <matches_case_sensitive> <ast json>
                                                bit strings of 0/1 over the flows
  I <expr> <kind>                               must be rejected
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "..", "shared", "fixtures", "filters", "public.json")
DST = os.path.join(ROOT, "tests", "filter", "vectors.txt")


def esc(s):
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if c == "\\":
            out.append("\\\\")
        elif c == "\t":
            out.append("\\t")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif 0x20 <= b <= 0x7E:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else SRC
    with open(src, encoding="utf-8") as f:
        d = json.load(f)
    ids = [fl["id"] for fl in d["flows"]]
    lines = ["F\t" + i for i in ids]
    for v in d["valid"]:
        m = "".join("1" if v["matches"][i] else "0" for i in ids)
        cs = "".join("1" if v["matches_case_sensitive"][i] else "0" for i in ids)
        lines.append("\t".join(["V", esc(v["expr"]), m, cs, esc(json.dumps(v["ast"]))]))
    for v in d["invalid"]:
        lines.append("\t".join(["I", esc(v["expr"]), v["kind"]]))
    with open(DST, "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
