#!/usr/bin/python3
"""Writes a flow file of N flows for the store bench: the fixture flows
(every *.mitm of a folder but all.mitm, which repeats them) over and over,
each copy with fresh ids. An id is a 36-character UUID, so replacing it in
place keeps every tnetstring length as it was; each distinct UUID of a
record (the flow's, its connections') gets one new UUID, consistently.
With --body-kb K every HTTP response body is replaced by K KiB of text
(the brief's "1 KB bodies"), which changes lengths, so that mode rewrites
the record with mitmproxy's own tnetstring module.

usage: genflows.py OUT N [FIXTURE_DIR] [--body-kb K]
"""
import glob
import os
import re
import sys
import uuid

UUID_RE = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def records(data):
    out, i = [], 0
    while i < len(data):
        colon = data.index(b":", i)
        end = colon + 1 + int(data[i:colon]) + 1
        out.append(data[i:end])
        i = end
    return out


def with_body(rec, kb):
    from mitmproxy.io import tnetstring

    state = tnetstring.loads(rec)
    rs = state.get("response") if isinstance(state, dict) else None
    if isinstance(rs, dict) and rs.get("content") is not None:
        rs["content"] = (b"%08d lorem ipsum dolor sit amet " % 0) * (kb * 1024 // 36) + b"\n"
        rs["headers"] = [h for h in rs.get("headers", [])
                         if h[0].lower() not in (b"content-encoding", b"content-length")]
    return tnetstring.dumps(state)


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    kb = 0
    if "--body-kb" in argv:
        kb = int(argv[argv.index("--body-kb") + 1])
        args.remove(str(kb))
    out, n = args[0], int(args[1])
    folder = args[2] if len(args) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "fixtures", "flows")
    recs = []
    for path in sorted(glob.glob(os.path.join(folder, "*.mitm"))):
        if os.path.basename(path) != "all.mitm":
            with open(path, "rb") as f:
                recs += records(f.read())
    if not recs:
        sys.exit("no flow records in %s" % folder)
    if kb:
        recs = [with_body(r, kb) for r in recs]
    # Each record cut where its UUIDs are, so a copy is a join of fresh ones.
    parts = []
    for r in recs:
        ids = list(dict.fromkeys(UUID_RE.findall(r)))
        pieces = UUID_RE.split(r)
        which = [ids.index(m) for m in UUID_RE.findall(r)]
        parts.append((pieces, which, len(ids)))
    with open(out + ".tmp", "wb") as f:
        buf = []
        for k in range(n):
            pieces, which, nids = parts[k % len(parts)]
            fresh = [str(uuid.uuid4()).encode() for _ in range(nids)]
            rec = [pieces[0]]
            for i, w in enumerate(which):
                rec.append(fresh[w])
                rec.append(pieces[i + 1])
            buf.append(b"".join(rec))
            if len(buf) >= 4096:
                f.write(b"".join(buf))
                buf = []
        f.write(b"".join(buf))
    os.rename(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv)
