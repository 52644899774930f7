#!/usr/bin/python3
"""Helpers for bench/run.sh: result recording, table rendering and a capture server.

Subcommands (all paths are plain files; RESULTS is a JSON-lines file):
  port                         print a free TCP port on 127.0.0.1
  capture PORTFILE OUTFILE     accept one HTTP request on 127.0.0.1, save its head
  meta RESULTS KEY=VALUE...    record run metadata (versions, settings)
  wrk RESULTS SCEN SERVER WRKOUT CPU_TICKS HWM_KIB CLK_TCK
                               record one wrk run (CPU_TICKS/HWM_KIB may be "-")
  dl RESULTS SCEN SERVER RUNSFILE CPU_TICKS HWM_KIB CLK_TCK EXPECTED_BYTES
                               record the download runs (curl -w lines) of SCEN
                               (download or download-buffered)
  idle RESULTS SERVER READYFILE RSS0_KIB RSS1_KIB FDS0 FDS1
                               record the idle-connection RSS scenario (tlsload.py idle)
  h2load RESULTS SCEN SERVER H2LOADOUT CPU_TICKS HWM_KIB CLK_TCK
                               record one h2load run (like wrk)
  h2rss RESULTS SERVER H2STREAMSOUT
                               record the streams-on-one-connection RSS row (h2streams.py)
  flowfile OUT N DIR           write a flow file of N flows: the records of DIR/*.mitm
                               (but all.mitm) over and over
  timed LOG CMD...             run CMD (output to LOG); print "WALL_S USER_S SYS_S MAXRSS_KIB EXIT"
  count FILE                   print how many records a flow file holds ("-" if unreadable)
  flows RESULTS SERVER RAWFILE N
                               record the flow-file runs (bench_flowfile's lines)
  skip RESULTS SCEN SERVER NOTE record a row that could not be measured
  table RESULTS MARKDOWN_OUT   print the aligned table and write the Markdown one
"""

import glob
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import time

SCENARIOS = [
    ("explicit", "1) explicit proxy, GET 1 KB, keep-alive (wrk)"),
    ("reverse", "2) reverse proxy, GET 1 KB, keep-alive (wrk)"),
    ("download", "3) 100 MiB download, streamed: stream_large_bodies=1m (curl, single connection)"),
    ("download-buffered", "3b) 100 MiB download, buffered: stream_large_bodies off, the default "
     "(curl, single connection)"),
    ("tls-keepalive", "4) HTTPS, GET 1 KB, keep-alive (tlsload.py; mitmdumps intercept CONNECT)"),
    ("tls-newconn", "5) HTTPS, new TLS connection per GET 1 KB (tlsload.py)"),
    ("tls-resume", "5b) HTTPS, new TLS connection per GET 1 KB, the client resuming its "
     "previous TLS session (tlsload.py --resume)"),
    ("tls-idle", "6) RSS per idle intercepted TLS connection (tlsload.py idle)"),
    ("h2", "7) HTTP/2 reverse proxy over TLS, GET 1 KB, many streams on few connections (h2load)"),
    ("h2-rss", "8) RSS while one HTTP/2 connection carries many streams (h2streams.py)"),
    ("flowfile", "9) flow files: mitmdump -n -q -r FILE, and -r FILE -w OUT (no proxy)"),
    ("script", "10) explicit proxy running a Python script (-s) whose response hook sets a "
     "header, GET 1 KB, keep-alive (wrk); compare CPU us/req with table 1 for the hook's cost"),
]
DL_SIZE = 104857600
# The targets for our rows: (scenario, text, check(value, 8.1.1 value)).
TARGETS = {
    "tls-keepalive": (">=30x 8.1.1 req/s", lambda v, b: v / b >= 30 if b else None),
    # Issue 16: two handshakes for less CPU than nginx spends on one.
    "tls-newconn": ("<=400 CPU us/conn", lambda v, b: v <= 400),
    "tls-resume": ("<=400 CPU us/conn", lambda v, b: v <= 400),
    "tls-idle": ("<=30 KB/conn", lambda v, b: v <= 30),
    # Finished streams must be forgotten: RSS at 100% of the streams no more than 1 MiB
    # above RSS at 10%.
    "h2-rss": ("flat: <=1 MiB 10%->100%", lambda v, b: v <= 1.0),
    # A body held whole before it is sent: half the direct rate, peak RSS at most 1.2x the
    # body. v is our row, b the direct row.
    "download-buffered": (">=0.5x direct, RSS <=1.2x body",
                          lambda v, b: (v.get("mbps") is not None and b.get("mbps") is not None
                                        and v.get("rss_mib") is not None
                                        and v["mbps"] >= 0.5 * b["mbps"]
                                        and v["rss_mib"] <= 1.2 * DL_SIZE / 1048576.0)),
    # Writing costs no more than reading: -r -w at most twice the time of -r.
    "flowfile": ("-r -w <=2x -r", lambda v, b: v <= 2.0),
    # Issue 13: Python views over C flows, nothing converted per hook.
    "script": (">=20x 8.1.1 req/s", lambda v, b: v / b >= 20 if b else None),
}
# "before": our binary before a change (BENCH_OURS_BEFORE), beside "ours" in one run.
SERVERS = ["direct", "nginx", "mitmdump-8.1.1", "before", "ours"]
BASE_881 = "mitmdump-8.1.1"


def append(path, rec):
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


def load(path):
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def num(s):
    # The shell passes "-" when there is no proxy process to measure.
    return None if s in ("-", "") else float(s)


def cmd_capture(portfile, outfile):
    # A one-shot HTTP server: proves what request line wrk really sends.
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.settimeout(10)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    # Renamed into place so the shell never reads a half-written port.
    os.rename(portfile + ".tmp", portfile)
    # wrk first opens and closes a probe connection without sending anything,
    # so connections are accepted until one carries a request.
    data = b""
    while not data:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            return 1
        conn.settimeout(5)
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        if not data:
            conn.close()
    with open(outfile, "wb") as f:
        f.write(data.split(b"\r\n\r\n")[0] + b"\r\n")
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    conn.close()
    srv.close()
    return 0


def cmd_port():
    # Port 0 lets the kernel choose a free port; the bench binds it right after.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()
    return 0


def cmd_meta(results, pairs):
    rec = {"type": "meta"}
    for p in pairs:
        k, _, v = p.partition("=")
        rec[k] = v
    append(results, rec)
    return 0


def cmd_wrk(results, scen, server, wrkout, cpu, hwm, clk_tck):
    rec = {"type": "row", "scenario": scen, "server": server}
    js = None
    with open(wrkout) as f:
        for line in f:
            if line.startswith("BENCHJSON "):
                js = json.loads(line[len("BENCHJSON "):])
    if js is None or js["requests"] == 0:
        rec["note"] = "failed: no requests completed (see %s)" % wrkout
        append(results, rec)
        return 0
    secs = js["duration_us"] / 1e6
    rec["requests"] = js["requests"]
    rec["rps"] = js["requests"] / secs
    rec["p50_ms"] = js["p50_us"] / 1000.0
    rec["p99_ms"] = js["p99_us"] / 1000.0
    errs = sum(js[k] for k in ("err_connect", "err_read", "err_write", "err_status",
                               "err_timeout"))
    rec["errors"] = errs
    if "resumed" in js:
        rec["resumed"] = js["resumed"]
    ticks = num(cpu)
    if ticks is not None:
        rec["cpu_us_per_req"] = ticks * 1e6 / float(clk_tck) / js["requests"]
        rec["cpu_pct"] = 100.0 * ticks / float(clk_tck) / secs
    h = num(hwm)
    if h is not None:
        rec["rss_mib"] = h / 1024.0
    notes = []
    if errs:
        notes.append("%d errors (non-2xx/3xx, socket or timeout)" % errs)
    if scen == "tls-resume" and "resumed" in js:
        # How many handshakes the server really resumed (the first of each
        # connection loop cannot).
        notes.append("%.0f%% resumed" % (100.0 * js["resumed"] / js["requests"]))
    if notes:
        rec["note"] = "; ".join(notes)
    append(results, rec)
    return 0


def cmd_dl(results, scen, server, runsfile, cpu, hwm, clk_tck, expected):
    rec = {"type": "row", "scenario": scen, "server": server}
    speeds, times, bad, longest = [], [], 0, 0.0
    with open(runsfile) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            code, size, secs = parts[0], int(float(parts[1])), float(parts[2])
            longest = max(longest, secs)
            if code != "200" or size != int(expected) or secs <= 0:
                bad += 1
                continue
            speeds.append(size / secs / 1e6)
            times.append(secs)
    runs = len(speeds) + bad
    if not speeds:
        # A proxy that never finished within curl's time limit was slower than this.
        rec["note"] = "failed: no complete download within %.0f s (%d %s; < %.2f MB/s)" % (
            longest, runs, "attempt" if runs == 1 else "attempts",
            int(expected) / longest / 1e6 if longest else 0)
        append(results, rec)
        return 0
    rec["mbps"] = statistics.median(speeds)
    rec["seconds"] = statistics.median(times)
    rec["runs"] = runs
    ticks = num(cpu)
    if ticks is not None:
        # CPU per download: the delta covers every attempt, complete or not.
        rec["cpu_ms_per_dl"] = ticks * 1e3 / float(clk_tck) / runs
        if bad == 0:
            rec["cpu_pct"] = 100.0 * ticks / float(clk_tck) / sum(times)
    h = num(hwm)
    if h is not None:
        rec["rss_mib"] = h / 1024.0
    if bad:
        rec["note"] = "%d of %d downloads incomplete or not 200" % (bad, runs)
    append(results, rec)
    return 0


def cmd_idle(results, server, readyfile, rss0, rss1, fds0, fds1):
    rec = {"type": "row", "scenario": "tls-idle", "server": server}
    with open(readyfile) as f:
        js = json.loads(f.read())
    opened = js["opened"]
    rec.update(conns=opened, rss0_mib=float(rss0) / 1024.0, rss1_mib=float(rss1) / 1024.0,
               fds=int(fds1) - int(fds0))
    notes = []
    if opened:
        rec["kb_per_conn"] = (float(rss1) - float(rss0)) * 1.024 / opened
    if opened < js["wanted"]:
        notes.append("%d of %d connections opened" % (opened, js["wanted"]))
    # A connection the proxy already closed would make it look cheaper.
    if rec["fds"] < opened:
        notes.append("only %d more fds in the proxy" % rec["fds"])
    if notes:
        rec["note"] = "; ".join(notes)
    append(results, rec)
    return 0


def duration_s(text):
    """h2load's durations: "1.81ms", "815us", "3.00s"."""
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    if not m:
        raise ValueError("bad h2load duration %r" % text)
    return float(m.group(1)) / {"us": 1e6, "ms": 1e3, "s": 1.0}[m.group(2)]


def cmd_h2load(results, scen, server, out, cpu, hwm, clk_tck):
    rec = {"type": "row", "scenario": scen, "server": server}
    with open(out) as f:
        text = f.read()
    fin = re.search(r"^finished in (\S+), ([\d.]+) req/s", text, re.M)
    req = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                    r"(\d+) failed, (\d+) errored, (\d+) timeout", text, re.M)
    codes = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text, re.M)
    lat = re.search(r"^time for request:\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
    proto = re.search(r"^Application protocol: (\S+)", text, re.M)
    if not (fin and req and codes) or int(req.group(3)) == 0:
        rec["note"] = "failed: no requests completed (see %s)" % out
        append(results, rec)
        return 0
    secs = duration_s(fin.group(1))
    ok = int(codes.group(1)) + int(codes.group(2))
    rec["requests"] = ok
    rec["rps"] = ok / secs
    if lat:
        rec["mean_ms"] = duration_s(lat.group(3)) * 1e3
        rec["max_ms"] = duration_s(lat.group(2)) * 1e3
    # Streams still open when -D ends are "started" but neither done nor failed.
    rec["errors"] = (int(req.group(5)) + int(req.group(6)) + int(req.group(7)) +
                     int(codes.group(3)) + int(codes.group(4)))
    ticks = num(cpu)
    if ticks is not None:
        rec["cpu_us_per_req"] = ticks * 1e6 / float(clk_tck) / ok if ok else None
        rec["cpu_pct"] = 100.0 * ticks / float(clk_tck) / secs
    h = num(hwm)
    if h is not None:
        rec["rss_mib"] = h / 1024.0
    notes = []
    if rec["errors"]:
        notes.append("%d errors (failed, reset, timeout, 4xx/5xx)" % rec["errors"])
    if not proto or proto.group(1) != "h2":
        notes.append("protocol %s, not h2" % (proto.group(1) if proto else "unknown"))
    if notes:
        rec["note"] = "; ".join(notes)
    append(results, rec)
    return 0


def cmd_h2rss(results, server, out):
    rec = {"type": "row", "scenario": "h2-rss", "server": server}
    js = None
    with open(out) as f:
        for line in f:
            if line.startswith("BENCHJSON "):
                js = json.loads(line[len("BENCHJSON "):])
    if js is None:
        rec["note"] = "failed: no result (see %s)" % out
        append(results, rec)
        return 0
    rss = js["rss_kib"]
    rec.update(streams=js["done"], wanted=js["wanted"], seconds=js["seconds"],
               errors=js["errors"])
    for p in ("10", "50", "100"):
        if rss.get(p) is not None:
            rec["rss%s_mib" % p] = rss[p] / 1024.0
    if rss.get("10") is not None and rss.get("100") is not None:
        rec["growth_mib"] = (rss["100"] - rss["10"]) / 1024.0
        # Per 1000 streams between the 10% and the 100% samples.
        span = js["wanted"] - max(1, js["wanted"] * 10 // 100)
        rec["kb_per_1000"] = (rss["100"] - rss["10"]) * 1.024 * 1000 / span if span else None
    notes = []
    if js["done"] < js["wanted"]:
        notes.append("%d of %d streams completed" % (js["done"], js["wanted"]))
    if js["errors"]:
        notes.append("%d errors (non-2xx or reset)" % js["errors"])
    if js.get("note"):
        notes.append(js["note"])
    if notes:
        rec["note"] = "; ".join(notes)
    append(results, rec)
    return 0


def records(data):
    """The records of a flow file: each a tnetstring, LENGTH:PAYLOAD and a type byte."""
    out, i = [], 0
    while i < len(data):
        colon = data.index(b":", i)
        end = colon + 1 + int(data[i:colon]) + 1
        if end > len(data):
            raise ValueError("truncated record at byte %d" % i)
        out.append(data[i:end])
        i = end
    return out


def cmd_flowfile(out, n, directory):
    # all.mitm is the other fixture files concatenated; taking it too would only repeat them.
    recs = []
    for path in sorted(glob.glob(os.path.join(directory, "*.mitm"))):
        if os.path.basename(path) != "all.mitm":
            with open(path, "rb") as f:
                recs += records(f.read())
    if not recs:
        raise ValueError("no flow records in %s/*.mitm" % directory)
    n = int(n)
    with open(out + ".tmp", "wb") as f:
        for k in range(n):
            f.write(recs[k % len(recs)])
    os.rename(out + ".tmp", out)
    return 0


def cmd_count(path):
    try:
        with open(path, "rb") as f:
            print(len(records(f.read())))
    except (OSError, ValueError):
        print("-")
    return 0


def cmd_timed(log, argv):
    # Wall time, and CPU time and peak RSS from the kernel's accounting of the one child.
    t0 = time.monotonic()
    with open(log, "wb") as out:
        rc = subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("%.3f %.3f %.3f %d %d" % (wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss, rc))
    return 0


def cmd_flows(results, server, raw, n):
    n = int(n)
    rec = {"type": "row", "scenario": "flowfile", "server": server, "flows": n}
    runs = {"r": [], "rw": []}
    bad = []
    with open(raw) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 7:
                continue
            mode, wall, user, sys_, rss, rc, count = parts
            # mitmproxy's save addon writes a flow at its response and again at its error
            # (a killed flow has both), and so do we: more records out than in is right.
            if rc != "0":
                bad.append("%s exited with %s" % (mode, rc))
            elif mode == "rw" and (count == "-" or int(count) < n):
                bad.append("-w wrote %s records for %d flows" % (count, n))
            else:
                if mode == "rw":
                    rec["written"] = int(count)
                runs[mode].append((float(wall), float(user) + float(sys_), int(rss)))
    rec["runs"] = min(len(runs["r"]), len(runs["rw"]))
    for mode in ("r", "rw"):
        if runs[mode]:
            wall = statistics.median(x[0] for x in runs[mode])
            rec[mode + "_s"] = wall
            rec[mode + "_fps"] = n / wall if wall > 0 else None
            rec[mode + "_cpu_s"] = statistics.median(x[1] for x in runs[mode])
            rec[mode + "_rss_mib"] = max(x[2] for x in runs[mode]) / 1024.0
    if rec.get("r_s") and rec.get("rw_s"):
        rec["rw_over_r"] = rec["rw_s"] / rec["r_s"]
    if bad:
        rec["note"] = "; ".join(sorted(set(bad)))
    append(results, rec)
    return 0


def cmd_skip(results, scen, server, note):
    append(results, {"type": "row", "scenario": scen, "server": server, "note": note})
    return 0


def fmt(v, digits=1):
    if v is None:
        return "-"
    if abs(v) >= 1000 and digits <= 1:
        return "{:,.0f}".format(v)
    return "{:.{d}f}".format(v, d=digits)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    return "{:.2f}x".format(r) if r < 100 else "{:.0f}x".format(r)


def build_tables(recs):
    meta = {}
    rows = {}
    for r in recs:
        if r["type"] == "meta":
            meta.update({k: v for k, v in r.items() if k != "type"})
        else:
            rows[(r["scenario"], r["server"])] = r
    names = {
        "direct": "direct (no proxy)",
        "nginx": "nginx " + meta.get("nginx_version", ""),
        "mitmdump-8.1.1": "mitmdump 8.1.1",
        "before": "mitmdump (ours, before)",
        "ours": "mitmdump (ours)",
    }
    tables = []
    for scen, title in SCENARIOS:
        # Scenarios BENCH_ONLY left out have no rows and no table.
        if not any((scen, srv) in rows for srv in SERVERS):
            continue
        if scen == "flowfile":
            tables.append(flowfile_table(rows, names, title))
            continue
        if scen == "tls-idle":
            tables.append(idle_table(rows, names, title))
            continue
        if scen == "h2-rss":
            tables.append(h2rss_table(rows, names, title))
            continue
        if scen in ("download", "download-buffered"):
            head = ["server", "MB/s", "s/dl", "CPU ms/dl", "CPU %", "RSS MiB",
                    "MB/s /8.1.1", "CPU /8.1.1", "RSS /8.1.1", "MB/s /nginx",
                    "CPU /nginx", "MB/s /direct", "note"]
            key, cpukey = "mbps", "cpu_ms_per_dl"
        else:
            head = ["server", "req/s", "p50 ms", "p99 ms", "CPU us/req", "CPU %", "RSS MiB",
                    "req/s /8.1.1", "CPU /8.1.1", "RSS /8.1.1", "req/s /nginx",
                    "CPU /nginx", "req/s /direct", "note"]
            key, cpukey = "rps", "cpu_us_per_req"
        lat = ("p50_ms", "p99_ms")
        if scen == "h2":
            # h2load reports the mean and the maximum, not percentiles.
            head[2], head[3] = "mean ms", "max ms"
            lat = ("mean_ms", "max_ms")
        if scen in ("tls-newconn", "tls-resume"):
            head[1], head[4], head[7] = "conn/s", "CPU us/conn", "conn/s /8.1.1"
            head[10], head[12] = "conn/s /nginx", "conn/s /direct"
        if scen in TARGETS:
            head.insert(-1, "target")
        b881 = rows.get((scen, BASE_881), {})
        bngx = rows.get((scen, "nginx"), {})
        bdir = rows.get((scen, "direct"), {})
        body = []
        for srv in SERVERS:
            r = rows.get((scen, srv))
            if r is None:
                continue
            v, cpu, rss = r.get(key), r.get(cpukey), r.get("rss_mib")
            if scen in ("download", "download-buffered"):
                cells = [names[srv], fmt(v), fmt(r.get("seconds"), 2), fmt(cpu),
                         fmt(r.get("cpu_pct"), 0), fmt(rss)]
            else:
                cells = [names[srv], fmt(v), fmt(r.get(lat[0]), 2),
                         fmt(r.get(lat[1]), 2), fmt(cpu), fmt(r.get("cpu_pct"), 0), fmt(rss)]
            # A row is not compared against itself: its ratio cells stay "-".
            same881 = srv == BASE_881
            samengx = srv == "nginx"
            cells += [
                "-" if same881 else ratio(v, b881.get(key)),
                "-" if same881 else ratio(cpu, b881.get(cpukey)),
                "-" if same881 else ratio(rss, b881.get("rss_mib")),
                "-" if samengx else ratio(v, bngx.get(key)),
                "-" if samengx else ratio(cpu, bngx.get(cpukey)),
                "-" if srv == "direct" else ratio(v, bdir.get(key)),
                r.get("note", ""),
            ]
            if scen == "download-buffered":
                # Held against the direct rate and the body size, so the whole rows go in.
                cells.insert(-1, target_cell(scen, srv, r, bdir))
            elif scen in TARGETS:
                per_conn = scen in ("tls-newconn", "tls-resume")
                what = cpu if per_conn else v
                cells.insert(-1, target_cell(scen, srv, what, b881.get(
                    cpukey if per_conn else key)))
            body.append(cells)
        tables.append((title, head, body))
    return meta, tables


def target_cell(scen, srv, v, base):
    # Only our row is held to the targets; the cell says met or missed.
    if srv != "ours":
        return "-"
    text, check = TARGETS[scen]
    if v is None:
        return text
    ok = check(v, base)
    if ok is None:
        return text
    return text + (": met" if ok else ": MISSED")


def idle_table(rows, names, title):
    head = ["server", "conns", "RSS0 MiB", "RSS1 MiB", "KB/conn", "KB /8.1.1", "fds +",
            "target", "note"]
    base = rows.get(("tls-idle", BASE_881), {}).get("kb_per_conn")
    body = []
    for srv in SERVERS:
        r = rows.get(("tls-idle", srv))
        if r is None:
            continue
        kb = r.get("kb_per_conn")
        body.append([names[srv], fmt(r.get("conns"), 0), fmt(r.get("rss0_mib")),
                     fmt(r.get("rss1_mib")), fmt(kb), "-" if srv == BASE_881 else ratio(kb, base),
                     fmt(r.get("fds"), 0), target_cell("tls-idle", srv, kb, base),
                     r.get("note", "")])
    return (title, head, body)


def flowfile_table(rows, names, title):
    head = ["server", "flows", "runs", "-r s", "-r flows/s", "-r CPU s", "-r -w s",
            "-r -w flows/s", "-r -w CPU s", "RSS MiB", "-r -w / -r", "-r /8.1.1",
            "-r -w /8.1.1", "target", "note"]
    base = rows.get(("flowfile", BASE_881), {})
    body = []
    for srv in SERVERS:
        r = rows.get(("flowfile", srv))
        if r is None:
            continue
        same = srv == BASE_881
        rss = max([r[k] for k in ("r_rss_mib", "rw_rss_mib") if r.get(k) is not None],
                  default=None)
        body.append([names[srv], fmt(r.get("flows"), 0), fmt(r.get("runs"), 0),
                     fmt(r.get("r_s"), 2), fmt(r.get("r_fps")), fmt(r.get("r_cpu_s"), 2),
                     fmt(r.get("rw_s"), 2), fmt(r.get("rw_fps")), fmt(r.get("rw_cpu_s"), 2),
                     fmt(rss), ratio(r.get("rw_s"), r.get("r_s")),
                     "-" if same else ratio(r.get("r_fps"), base.get("r_fps")),
                     "-" if same else ratio(r.get("rw_fps"), base.get("rw_fps")),
                     target_cell("flowfile", srv, r.get("rw_over_r"), None), r.get("note", "")])
    return (title, head, body)


def h2rss_table(rows, names, title):
    head = ["server", "streams", "s", "RSS@10% MiB", "RSS@50% MiB", "RSS@100% MiB",
            "10%->100% MiB", "KB/1000 streams", "target", "note"]
    body = []
    for srv in SERVERS:
        r = rows.get(("h2-rss", srv))
        if r is None:
            continue
        growth = r.get("growth_mib")
        body.append([names[srv], fmt(r.get("streams"), 0), fmt(r.get("seconds")),
                     fmt(r.get("rss10_mib")), fmt(r.get("rss50_mib")), fmt(r.get("rss100_mib")),
                     fmt(growth, 2), fmt(r.get("kb_per_1000"), 2),
                     target_cell("h2-rss", srv, growth, None), r.get("note", "")])
    return (title, head, body)


LEGEND = """\
Legend:
  req/s        completed responses per second (wrk, {conns} connections, 1 thread, {secs} s)
  p50/p99 ms   wrk latency percentiles (from sending a request to its full response)
  CPU us/req   proxy process user+system CPU (/proc/PID/stat) over the measured run,
               divided by requests completed; lower is better. Download: CPU ms per 100 MiB.
  CPU %        that CPU time divided by the measured wall time: near 100 the proxy's core was
               the bottleneck; well below 100 the load side limited it, or other processes
               took the proxy's core (see the load average above)
  RSS MiB      peak resident set of the proxy process (VmHWM, /proc/PID/status), fresh
               process per scenario (includes start-up and warm-up)
  MB/s         10^6 bytes per second, median of {dlruns} curl downloads of 104,857,600 bytes
  3 and 3b     the mitmdumps as explicit proxies, nginx as reverse proxy (it streams). 3: the
               mitmdumps stream (stream_large_bodies=1m); 3b: they hold each body whole
               before sending it on (stream_large_bodies off, mitmproxy's default), so 3b's
               target is half the direct rate and a peak RSS of at most 1.2x the body.
  X /8.1.1     this row's value divided by mitmdump 8.1.1's value (same for /nginx and
               /direct): for req/s and MB/s higher is better, for CPU and RSS lower is better
  Pinning      proxy on CPU {pcpu}; origin nginx, wrk and curl on CPU {lcpu}. Direct = wrk or
               curl straight to the origin (no proxy; no CPU/RSS measured).
  nginx row    reverse proxy with upstream keep-alive; in scenario 1 it receives the same
               absolute-form requests and proxy_passes them to its fixed upstream.
  TLS (4-6)    tlsload.py ({conns} connections, {secs} s): the mitmdumps (-k) get CONNECT, then a
               TLS handshake verified against their CA; nginx terminates TLS (RSA 2048 key,
               like mitmproxy's forged leaves; ours are ECDSA P-256 unless key_type=rsa) and
               keeps TLS connections to the origin alive; direct talks TLS to the origin
               (ECDSA P-256). conn/s and CPU us/conn: each connection is TCP + CONNECT + full
               handshake + one GET 1 KB + close; in 5b the client offers the session of its
               previous connection (the note: handshakes resumed). tlsload.py shares CPU
               {lcpu} with the origin; direct shows its ceiling.
  KB/conn      (VmRSS with {idle} idle connections open - VmRSS before) / connections, after a
               10-connection warm-up; fds + is the proxy's added file descriptors (2 per
               intercepted connection). Issue's reference: mitmdump 8.1.1 about 7,700 CPU
               us/conn and 124 KB/conn.
  HTTP/2 (7)   h2load -c{h2c} -m{h2m} for {secs} s against a TLS reverse proxy speaking h2 to
               the client: the mitmdumps (reverse:https, -k) to the origin's h2 port, nginx
               (no h2 upstreams) to the origin's TLS port over kept-alive HTTP/1.1; direct is
               h2load to the origin's h2 port. mean/max ms: h2load's time for request.
  HTTP/2 (8)   one h2 connection carrying {h2n} streams ({h2n881} for 8.1.1, about 1,200
               streams/s), {h2m} at a time, through the same reverse proxy; the proxy's VmRSS
               when 10%, 50% and 100% of them have completed (connection still open).
               KB/1000 streams = growth from 10% to 100% per thousand streams.
  Flow files   (9) mitmdump -n -q -r FILE, then -r FILE -w OUT, pinned like the proxies;
               FILE is the fixture flow files concatenated to {flows} flows ({flows881} for
               8.1.1, which reads about 1,100 flows/s). s: median wall time of {flowruns} runs
               (8.1.1: one); flows/s = flows / s; CPU s: user+system; RSS: the larger peak of
               the two. -r -w / -r: what writing adds (target: at most 2x).
"""


def render_text(title, head, body):
    cols = list(zip(head, *body)) if body else [(h,) for h in head]
    widths = [max(len(c) for c in col) for col in cols]
    out = [title]
    line = []
    for i, h in enumerate(head):
        # The first column and the note are text (left-aligned); numbers are right-aligned.
        line.append(h.ljust(widths[i]) if i in (0, len(head) - 1) else h.rjust(widths[i]))
    out.append("  " + "  ".join(line).rstrip())
    out.append("  " + "  ".join("-" * w for w in widths[:-1]))
    for cells in body:
        line = []
        for i, c in enumerate(cells):
            line.append(c.ljust(widths[i]) if i in (0, len(cells) - 1) else c.rjust(widths[i]))
        out.append("  " + "  ".join(line).rstrip())
    return "\n".join(out)


def render_md(title, head, body):
    out = ["### " + title, ""]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join(":---" if i in (0, len(head) - 1) else "---:"
                              for i in range(len(head))) + "|")
    for cells in body:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out)


def cmd_table(results, mdout):
    meta, tables = build_tables(load(results))
    legend = LEGEND.format(conns=meta.get("wrk_connections", "?"),
                           secs=meta.get("seconds", "?"), dlruns=meta.get("dl_runs", "?"),
                           pcpu=meta.get("proxy_cpu", "?"), lcpu=meta.get("load_cpu", "?"),
                           idle=meta.get("idle_conns", "?"), h2c=meta.get("h2_conns", "?"),
                           h2m=meta.get("h2_streams", "?"), h2n=meta.get("h2_rss_streams", "?"),
                           h2n881=meta.get("h2_rss_streams_881", "?"),
                           flows=meta.get("flows", "?"), flows881=meta.get("flows_881", "?"),
                           flowruns=meta.get("flow_runs", "?"))
    info = ("{date}  {cpu_model}, {ncpu} CPUs, load {load}  wrk -t1 -c{conns} -d{secs}s "
            "(warm-up {warm}s)  {mitm881}").format(
        date=meta.get("date", "?"), cpu_model=meta.get("cpu_model", "?"),
        ncpu=meta.get("ncpu", "?"), load=meta.get("loadavg", "?"), conns=meta.get("wrk_connections", "?"),
        secs=meta.get("seconds", "?"), warm=meta.get("warmup", "?"),
        mitm881=meta.get("mitmdump_version", ""))
    print()
    print(info)
    for t in tables:
        print()
        print(render_text(*t))
    print()
    print(legend)
    with open(mdout, "w") as f:
        f.write("# Benchmark results\n\n")
        f.write("`" + info + "`\n\n")
        if meta.get("ours_note"):
            f.write("Note: " + meta["ours_note"] + "\n\n")
        for t in tables:
            f.write(render_md(*t) + "\n\n")
        f.write("```\n" + legend + "```\n")
    return 0


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    try:
        if cmd == "port" and not args:
            return cmd_port()
        if cmd == "capture" and len(args) == 2:
            return cmd_capture(*args)
        if cmd == "meta" and len(args) >= 1:
            return cmd_meta(args[0], args[1:])
        if cmd == "wrk" and len(args) == 7:
            return cmd_wrk(*args)
        if cmd == "dl" and len(args) == 8:
            return cmd_dl(*args)
        if cmd == "flowfile" and len(args) == 3:
            return cmd_flowfile(*args)
        if cmd == "count" and len(args) == 1:
            return cmd_count(*args)
        if cmd == "timed" and len(args) >= 2:
            return cmd_timed(args[0], args[1:])
        if cmd == "flows" and len(args) == 4:
            return cmd_flows(*args)
        if cmd == "idle" and len(args) == 7:
            return cmd_idle(*args)
        if cmd == "h2load" and len(args) == 7:
            return cmd_h2load(*args)
        if cmd == "h2rss" and len(args) == 3:
            return cmd_h2rss(*args)
        if cmd == "skip" and len(args) == 4:
            return cmd_skip(*args)
        if cmd == "table" and len(args) == 2:
            return cmd_table(*args)
    except (OSError, ValueError, KeyError) as e:
        sys.stderr.write("bench.py %s: %s\n" % (cmd, e))
        return 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
