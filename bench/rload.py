#!/usr/bin/python3
"""mitmweb -r FILE (bench/README.md, "-r through the addon chain"): for
each flow count, runs every given mitmweb binary in turn on the same file,
polls readfile.reading until the load is over and prints the CPU time
(user + system, from /proc) the process spent, and so the flows per CPU
second and the CPU microseconds per flow, and the CPU time of the loop's
thread alone (the process's first thread), the wall time from the start
to the first flow in /flows and to the end of the load. The poll costs
the process a request every 10 ms until the first flow shows, then one
every 0.2 s, the same for every binary.

usage: rload.py FLOWS[,FLOWS...] LABEL=BINARY [LABEL=BINARY...]
Environment: BENCH_RLOAD_TMP (where the files go, default /tmp),
BENCH_RLOAD_TIMEOUT (seconds per run, default 3600).
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TMP = os.environ.get("BENCH_RLOAD_TMP", "/tmp")
TIMEOUT = float(os.environ.get("BENCH_RLOAD_TIMEOUT", "3600"))
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid, tid=None):
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def call(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        hdrs = {"Authorization": "Bearer rload"}
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        c.request(method, path, json.dumps(body) if body is not None else None, hdrs)
        return json.loads(c.getresponse().read())
    finally:
        c.close()


def run(binary, path, n):
    port = free_port()
    p = subprocess.Popen([binary, "-n", "-r", path, "--no-web-open-browser",
                          "--set", f"web_port={port}", "--set", "web_password=rload"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.time()
        first = None
        while True:
            if p.poll() is not None:
                raise RuntimeError(f"{binary} exited with {p.returncode}")
            try:
                reading = call(port, "POST", "/commands/readfile.reading",
                               {"arguments": []})["value"]
                if first is None and call(port, "GET", "/flows?limit=1")["total"] > 0:
                    first = time.time() - t0
            except OSError:
                reading = True  # not listening yet
            if not reading:
                break
            if time.time() - t0 > TIMEOUT:
                raise RuntimeError(f"{binary}: not loaded after {TIMEOUT} s")
            time.sleep(0.2 if first is not None else 0.01)
        cpu, wall, rss = cpu_seconds(p.pid), time.time() - t0, rss_mib(p.pid)
        loop = cpu_seconds(p.pid, p.pid)
        total = call(port, "GET", "/flows?limit=1")["total"]
        if total != n:
            raise RuntimeError(f"{binary}: {total} flows loaded, not {n}")
        return cpu, loop, wall, first if first is not None else wall, rss
    finally:
        p.terminate()
        p.wait()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    counts = [int(x) for x in sys.argv[1].split(",")]
    bins = [a.split("=", 1) for a in sys.argv[2:]]
    print("| flows | binary | CPU s | flows / CPU s | CPU us / flow | loop CPU us / flow "
          "| first flow s | wall s | RSS MiB | load |")
    print("|---:|:---|---:|---:|---:|---:|---:|---:|---:|:---|")
    for n in counts:
        path = os.path.join(TMP, f"rload-{n}.mitm")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "genflows.py"), path,
                            str(n)], check=True, stdout=subprocess.DEVNULL)
        for label, binary in bins:
            load = " ".join(open("/proc/loadavg").read().split()[:3])
            cpu, loop, wall, first, rss = run(binary, path, n)
            print(f"| {n:,} | {label} | {cpu:.2f} | {n / cpu:,.0f} | {cpu * 1e6 / n:.1f} | "
                  f"{loop * 1e6 / n:.1f} | {first:.2f} | {wall:.1f} | {rss:.0f} | {load} |",
                  flush=True)


if __name__ == "__main__":
    main()
