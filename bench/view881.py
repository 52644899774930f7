#!/usr/bin/python3
"""mitmproxy 8.1.1's side of the store bench: reads a flow file with
mitmproxy.io.FlowReader into mitmproxy.addons.view.View (as its
view.flows.load does, each flow added on its own) and prints one JSON
line: load time (to the first flow and to all), RSS, and the time of the
same view filters the store bench runs.

usage: view881.py FILE
"""
import json
import sys
import time

from mitmproxy import flowfilter, io
from mitmproxy.addons import view
from mitmproxy.test import taddons

FILTERS = ["~m POST", "~u /api/ & ~c 201", "~h json", "~b hello", "~bs lorem", "!~q"]


def rss_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024.0
    return -1.0


def main(path):
    v = view.View()
    with taddons.context(v):
        t0 = time.monotonic()
        first = None
        n = 0
        with open(path, "rb") as f:
            for fl in io.FlowReader(f).stream():
                v.add([fl])
                n += 1
                if first is None:
                    first = time.monotonic() - t0
        load = time.monotonic() - t0
        load_cpu = time.process_time()
        out = {"flows": n, "first_s": round(first or 0, 4), "load_s": round(load, 3),
               "flows_per_s": round(n / load), "load_cpu_s": round(load_cpu, 2), "rss_mb": round(rss_mb("VmRSS:"), 1),
               "hwm_mb": round(rss_mb("VmHWM:"), 1)}
        for expr in FILTERS:
            t, c = time.monotonic(), time.process_time()
            v.set_filter(flowfilter.parse(expr))
            t, c = time.monotonic() - t, time.process_time() - c
            out["filter " + expr] = {"s": round(t, 3), "cpu_s": round(c, 3), "shown": len(v),
                                     "flows_per_s": round(n / t) if t else None}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
