"""
A big body in the console (build/mitmproxy in tmux, as tests/e2e/test_console.py
drives it): a flow file with one response of BODY_MB megabytes of text,
opened, searched with / for its last line and shown whole with f and G.
The body is rendered and searched a slice at a time, so keys are answered
while that goes on (8.1.1 renders it all at once, mitmproxy #3918), and /
finds text past the 512-line display cutoff (#7326). Every screen read is
saved under build/console-captures/.
"""
import re
import time

import pytest

from test_console import Console, flow_file

BODY_MB = 24
LINE = "{:07d} lorem ipsum dolor sit amet, consectetur adipiscing elit\n"


@pytest.fixture
def big_flow(tmp_path):
    """A flow file with one flow whose response is BODY_MB MB of numbered
    lines; returns its path and the number of its last line."""
    from mitmproxy.test import tflow
    n = (BODY_MB << 20) // len(LINE.format(0))
    f = tflow.tflow(resp=True)
    f.request.path = "/big"
    f.response.headers["content-type"] = "text/plain"
    f.response.content = "".join(LINE.format(i) for i in range(n)).encode()
    return flow_file(tmp_path / "big.mitm", [f]), n - 1


@pytest.fixture
def big_body(tmp_path, big_flow):
    """build/mitmproxy -r on big_flow's file, its flow opened on the
    Response tab, whose first line is shown: yields the console, the
    screen then and the number of the body's last line."""
    path, last = big_flow
    c = Console(tmp_path, args=["-r", str(path)])
    try:
        c.wait(r"\[1/1\]")
        c.keys("Enter")
        c.wait(r"^Flow Details")
        c.keys("Tab")
        s = c.wait(r"^0000000 lorem")
        yield c, s, last
    finally:
        c.close()


def body_top(screen):
    """The first numbered line on the screen."""
    m = re.search(r"^(\d{7}) lorem", screen, re.M)
    return m.group(1) if m else None


def test_console_big_body_search_answers_keys(big_body):
    c, s, last = big_body
    c.save("50-bigbody-open", s)
    assert re.search(r"^Raw +\[m:auto\]$", s, re.M), s

    # / for the last line: the search renders the body as it goes, past
    # the cutoff, and says so on the bar while it runs.
    needle = f"{last:07d} lorem"
    c.keys("/")
    c.wait(r"^Search for:\s*$")
    c.type(needle)
    c.keys("Enter")
    s = c.wait(rf"^Searching for {needle} \.\.\. \(esc stops\)")
    c.save("51-bigbody-searching", s)
    # A key meanwhile is answered: page down scrolls the view while the
    # search still runs (once found, the view is at the end).
    before = body_top(s)
    c.keys("NPage")
    deadline = time.monotonic() + 20
    while True:
        s = c.screen()
        if body_top(s) != before or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    c.save("52-bigbody-key-while-searching", s)
    top = body_top(s)
    assert top is not None and top != before and int(top) < 1000, \
        "the search ended before the key was answered:\n" + s
    # Found: the last line, highlighted at the bottom; no cutoff line.
    s = c.wait(rf"^{needle}", timeout=180)
    c.save("53-bigbody-found", s)
    assert "Searching for" not in s and "Stopped displaying" not in s, s

    # esc stops a search under way.
    c.keys("g", "/")
    c.wait(r"^Search for:\s*$")
    c.type("not in the body")
    c.keys("Enter")
    c.wait(r"^Searching for not in the body")
    c.keys("Escape")
    s = c.wait(r"^Search stopped\.")
    c.save("54-bigbody-search-stopped", s)
    c.keys("Q")
    c.exited_clean()


def test_console_big_body_whole_answers_keys(big_body):
    """f lifts the cutoff and G goes to the end: the lines are rendered over
    many redraws, and a key meanwhile is answered (? opens the help, q
    comes back); the end is shown once the render gets there."""
    c, s, last = big_body
    c.keys("f", "G", "?")
    s = c.wait(r"^Help")
    c.save("55-bigbody-help-while-rendering", s)
    c.keys("q")
    s = c.wait(rf"^{last:07d} lorem", timeout=180)
    c.save("56-bigbody-end", s)
    assert "Stopped displaying" not in s, s
    c.keys("g")
    s = c.wait(r"^0000000 lorem")
    c.keys("Q")
    c.exited_clean()
