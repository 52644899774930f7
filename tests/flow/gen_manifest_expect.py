#!/usr/bin/python3
"""Turns a fixture manifest (<file>.mitm.json) into "f<index> <field> <value>"
lines that tests/flow/test_flowfile.c compares with what our reader loaded.

Strings are written with escape(): printable ASCII stays, everything else
(and the backslash) becomes \\xHH. Byte fields come from the manifest as
latin-1 text and text fields as Unicode, so both are turned back into the
bytes the flow file holds first.
"""
import json
import sys


def escape(b):
    if b is None:
        return "None"
    return "".join(chr(c) if 0x21 <= c <= 0x7E and c != 0x5C else "\\x%02x" % c for c in b)


def lat(s):
    return escape(None if s is None else s.encode("latin-1"))


def txt(s):
    return escape(None if s is None else s.encode("utf-8"))


def addr(a):
    return "None" if a is None else "%s:%d" % (txt(a[0]), a[1])


def dns(out, p, f):
    """The fields of both messages, and the wire form mitmproxy packs them
    into (packed_hex), which our writer without compression must match."""
    for side in ("request", "response"):
        msg = f[side]
        q = p + "dns.%s" % side
        if msg is None:
            out.append(q + " None")
            continue
        for k in ("id", "query", "op_code", "authoritative_answer", "truncation",
                  "recursion_desired", "recursion_available", "reserved", "response_code"):
            out.append(q + ".%s %d" % (k, int(msg[k])))
        for sec in ("questions", "answers", "authorities", "additionals"):
            out.append(q + ".%s %d" % (sec, len(msg[sec])))
            for i, x in enumerate(msg[sec]):
                line = q + ".%s%d %s %d %d" % (sec, i, txt(x["name"]), x["type"], x["class"])
                if sec != "questions":
                    line += " %d %s" % (x["ttl"], x["data_hex"])
                out.append(line)
        out.append(q + ".packed " + msg["packed_hex"])
        out.append(q + ".content " + txt(msg["content_text"]))


def main(path):
    m = json.load(open(path))
    out = ["count %d" % m["flow_count"]]
    for f in m["flows"]:
        p = "f%d " % f["index"]
        out.append(p + "id " + f["id"])
        out.append(p + "type " + f["type"])
        err = f["error"]
        out.append(p + "error " + (txt(err["msg"]) if err else "None"))
        if err:
            out.append(p + "error.ts %d" % err["timestamp_present"])
        out.append(p + "intercepted %d" % f["intercepted"])
        out.append(p + "is_replay " + txt(f["is_replay"]))
        out.append(p + "marked " + txt(f["marked"]))
        out.append(p + "comment " + txt(f["comment"]))
        cc, sc = f["client_conn"], f["server_conn"]
        out.append(p + "cc.peername " + addr(cc["peername"]))
        out.append(p + "cc.sockname " + addr(cc["sockname"]))
        out.append(p + "sc.address " + addr(sc["address"]))
        out.append(p + "sc.peername " + addr(sc["peername"]))
        out.append(p + "sc.sockname " + addr(sc["sockname"]))
        for name, c in (("cc", cc), ("sc", sc)):
            out.append(p + name + ".tls_established %d" % c["tls_established"])
            out.append(p + name + ".sni " + txt(c["sni"]))
            out.append(p + name + ".alpn " + lat(c["alpn"]))
            out.append(p + name + ".tls_version " + txt(c["tls_version"]))
        out.append(p + "cc.cipher " + txt(cc["cipher"]))
        for k, present in f["timestamps"].items():
            # Only the timestamps struct flow models; the rest stay in trees.
            if k.startswith(("client_conn.", "server_conn.", "timestamp_created")) or (
                f["type"] in ("http", "dns") and k.startswith(("request.", "response."))
            ):
                out.append(p + "ts %s %d" % (k, present))
        if f["type"] == "dns":
            dns(out, p, f)
        if f["type"] != "http":
            continue
        for k in ("method", "scheme", "authority", "path", "http_version"):
            out.append(p + k + " " + lat(f[k]))
        out.append(p + "host " + txt(f["host"]))
        out.append(p + "port %d" % f["port"])
        out.append(p + "status_code %s" % f["status_code"])
        out.append(p + "reason " + lat(f["reason"]))
        out.append(p + "response_http_version " + lat(f["response_http_version"]))
        for side in ("request", "response"):
            hs = f[side + "_headers"]
            if hs is not None:
                out.append(p + "%s.headers %d" % (side, len(hs)))
                for i, (n, v) in enumerate(hs):
                    out.append(p + "%s.h%d %s: %s" % (side, i, lat(n), lat(v)))
            c = f[side + "_content"]
            out.append(p + "%s.content %s" % (side, "None" if c is None else
                                                "%d %s" % (c["length"], c["sha256"])))
            t = f[side + "_trailers"]
            out.append(p + "%s.trailers %s" % (side, "None" if t is None else len(t)))
        out.append(p + "websocket %d" % (f["websocket"] is not None))
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
