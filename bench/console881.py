#!/usr/bin/python3
"""mitmproxy 8.1.1's side of bench/console_bench.c: its console window
(tools/console/window.py) rendered by urwid at 200x50 without a terminal,
with N flows in its view. Prints one JSON line with what console_bench
prints where 8.1.1 has the thing:

- a key's handling plus the render of the whole window, p50/p99/max over
  the same keys, 50 new flows added to the view before each (5,000 a
  second at 100 keys a second);
- 8.1.1 has no search across flows: the nearest is setting view_filter
  (~b needle), timed with the window's render after it;
- a flow with a BODY_MB body opened (enter, then tab to the response)
  and rendered: the one step the loop is held (8.1.1 renders up to
  content_view_lines_cutoff lines, but reads the whole body first).

Each flow added to 8.1.1's view costs milliseconds (its status bar redraws
on every add), so ROUNDS (default 5) rounds of the 13 keys are pressed,
not console_bench's 40; the body's open is given up after 300 s.

usage: console881.py [N] [BODY_MB] [ROUNDS]     defaults 20000, 100 and 5
"""
import asyncio
import json
import signal
import sys
import time

import urwid

from mitmproxy import options
from mitmproxy.test import tflow
from mitmproxy.tools.console import master as cmaster
from mitmproxy.tools.console import window

SIZE = (200, 50)
KEYS = ["j", "j", "k", "page down", "G", "page up", "k", "g", "j", "end", "up", "home", "down"]


class Loop:
    """What window.py asks of urwid's MainLoop outside its run loop."""

    screen_size = None

    def __init__(self, master):
        self.master = master

    def process_input(self, keys):
        for k in keys:
            self.master.window.keypress(SIZE, k)

    def draw_screen(self):
        pass

    def set_alarm_in(self, *args):
        pass

    def remove_alarm(self, *args):
        pass


class UI:
    """The screen's size, which the flow view's header asks for."""

    def get_cols_rows(self):
        return SIZE


def http_flow(i, body=None):
    f = tflow.tflow(resp=True)
    f.request.host = "api.example.com"
    f.request.path = f"/item/{i}?page={i % 97}"
    f.request.method = "POST" if i % 5 == 0 else "GET"
    f.request.timestamp_start = 1796500718.5 + i / 1000
    f.response.headers["Content-Type"] = "application/json"
    if body is not None:
        f.response.headers["Content-Type"] = "text/plain"
        f.response.content = body
    else:
        f.response.content = b'{"ok": true, "needle": 1}' if i % 1000 == 7 else b'{"ok": true}'
    return f


def render(m):
    m.window.render(SIZE, focus=True)


class TookTooLong(Exception):
    pass


def give_up(*args):
    raise TookTooLong()


async def main(n, body_mb, rounds):
    m = cmaster.ConsoleMaster(options.Options())
    m.loop = Loop(m)
    m.ui = UI()
    urwid.set_encoding("utf8")
    m.window = window.Window(m)
    m.window.refresh()
    t0 = time.monotonic()
    for i in range(n):
        m.view.add([http_flow(i)])
    added = time.monotonic() - t0
    render(m)

    times = []
    nxt = n
    for _ in range(rounds):
        for k in KEYS:
            for _ in range(50):
                m.view.add([http_flow(nxt)])
                nxt += 1
            k0 = time.monotonic()
            m.window.keypress(SIZE, k)
            render(m)
            times.append(time.monotonic() - k0)
    times.sort()

    f0 = time.monotonic()
    m.options.view_filter = "~b needle"
    render(m)
    filt = time.monotonic() - f0
    hits = len(m.view)
    m.options.view_filter = None

    body = b"".join(b"%010d lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do\n" % i
                    for i in range((body_mb << 20) // 80))
    big = http_flow(nxt, body)
    m.view.add([big])
    m.view.focus.flow = big
    render(m)
    open_max = 0.0
    b0 = time.monotonic()
    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(300)
    try:
        for k in ("enter", "tab"):
            k0 = time.monotonic()
            m.window.keypress(SIZE, k)
            render(m)
            open_max = max(open_max, time.monotonic() - k0)
    except TookTooLong:
        open_max = time.monotonic() - k0
    signal.alarm(0)
    opened = time.monotonic() - b0

    print(json.dumps({
        "flows": n, "add_s": round(added, 2), "keys": len(times),
        "key_p50_ms": round(times[len(times) // 2] * 1e3, 3),
        "key_p99_ms": round(times[len(times) * 99 // 100] * 1e3, 3),
        "key_max_ms": round(times[-1] * 1e3, 3),
        "view_filter_b_ms": round(filt * 1e3, 1), "view_filter_b_hits": hits,
        "body_mb": body_mb, "body_open_ms": round(opened * 1e3, 1),
        "body_open_max_step_ms": round(open_max * 1e3, 1),
    }))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000,
                     int(sys.argv[2]) if len(sys.argv) > 2 else 100,
                     int(sys.argv[3]) if len(sys.argv) > 3 else 5))
