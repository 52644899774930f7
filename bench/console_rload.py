#!/usr/bin/python3
"""mitmproxy -n -r FILE as a user sees it, through tmux: the wall time
from asking tmux for a 160x40 session running PROGRAM to the first
capture whose status bar counts any flow ("[i/N]"), and to the first
whose N is the file's flow count, and the CPU time (user + system, from
/proc) the process spent by then. Polls every 20 ms; tmux is included.
Each binary in turn, on the same file, for every run.

usage: console_rload.py FILE FLOWS LABEL=PROGRAM [LABEL=PROGRAM...] [--runs N]
"""
import os
import re
import subprocess
import sys
import tempfile
import time

TICKS = os.sysconf("SC_CLK_TCK")
COUNT = re.compile(r"\[(?:\d+|\*)/(\d+)\]")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def once(program, path, n, conf, sock):
    tmux = ["tmux", "-L", sock]
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", HOME=conf)
    t0 = time.monotonic()
    subprocess.run(tmux + ["new-session", "-d", "-x", "160", "-y", "40",
                           f"exec {program} -n -r {path} --set confdir={conf}"], check=True,
                   env=env)
    pid = int(subprocess.run(tmux + ["list-panes", "-F", "#{pane_pid}"], stdout=subprocess.PIPE,
                             check=True).stdout.split()[0])
    first = None
    try:
        while time.monotonic() - t0 < 3600:
            s = subprocess.run(tmux + ["capture-pane", "-p"], stdout=subprocess.PIPE,
                               check=False).stdout.decode("utf-8", "replace")
            m = COUNT.search(s)
            if m and int(m.group(1)) > 0 and first is None:
                first = time.monotonic() - t0
            if m and int(m.group(1)) == n:
                return first, time.monotonic() - t0, cpu_seconds(pid)
            time.sleep(0.02)
        return first, float("nan"), cpu_seconds(pid)
    finally:
        subprocess.run(tmux + ["kill-server"], stderr=subprocess.DEVNULL)


def main(argv):
    runs = 1
    if "--runs" in argv:
        runs = int(argv[argv.index("--runs") + 1])
        del argv[argv.index("--runs"):argv.index("--runs") + 2]
    if len(argv) < 4:
        sys.exit(__doc__)
    path, n = argv[1], int(argv[2])
    bins = [a.split("=", 1) for a in argv[3:]]
    print("| flows | binary | first flows s | all flows s | CPU s | load |")
    print("|---:|:---|---:|---:|---:|:---|")
    with tempfile.TemporaryDirectory() as conf:
        for r in range(runs):
            for i, (label, program) in enumerate(bins):
                load = " ".join(open("/proc/loadavg").read().split()[:3])
                sock = f"console-rload-{os.getpid()}-{r}-{i}"  # a server of its own each
                first, all_, cpu = once(program, path, n, conf, sock)
                print(f"| {n:,} | {label} | {first:.2f} | {all_:.2f} | {cpu:.2f} | {load} |",
                      flush=True)


if __name__ == "__main__":
    main(sys.argv)
