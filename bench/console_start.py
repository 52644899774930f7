#!/usr/bin/python3
"""Start-up to first screen, through tmux as a user sees it: the time from
asking tmux for a new 200x50 session running PROGRAM (with a conf dir
whose CA an earlier run made) to the first capture showing the flow
list's title "Flows". Polls every 5 ms; tmux and the shell are included.

usage: console_start.py PROGRAM [RUNS]     RUNS defaults to 3
"""
import os
import subprocess
import sys
import tempfile
import time


def once(program, confdir, sock):
    tmux = ["tmux", "-L", sock]
    env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8",
               HOME=confdir)
    t0 = time.monotonic()
    subprocess.run(tmux + ["new-session", "-d", "-x", "200", "-y", "50",
                           f"{program} -p 0 --set confdir={confdir}; sleep 5"], check=True,
                   env=env)
    try:
        while True:
            s = subprocess.run(tmux + ["capture-pane", "-p"], stdout=subprocess.PIPE,
                               check=False).stdout.decode("utf-8", "replace")
            if s.startswith("Flows"):
                return time.monotonic() - t0
            if time.monotonic() - t0 > 60:
                return float("nan")
            time.sleep(0.005)
    finally:
        subprocess.run(tmux + ["kill-server"], stderr=subprocess.DEVNULL)


def main(program, runs):
    with tempfile.TemporaryDirectory() as conf:
        sock = f"console-start-{os.getpid()}"
        once(program, conf, sock + "-ca")  # makes the CA
        took = [once(program, conf, f"{sock}-{i}") for i in range(runs)]
    print(" ".join(f"{t * 1e3:.0f}" for t in took), "ms")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
