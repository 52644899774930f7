"""
Keys as tmux sends them to the console: Home and End arrive as ESC [1~ and
ESC [4~ whatever the pane's TERM says, and 8.1.1 (urwid) takes both, so the
list goes to its first and last flow.
"""
import json

from conftest import FIXTURES
from test_console import Console


def test_home_and_end_from_tmux(tmp_path):
    c = Console(tmp_path, ["-n", "-r", f"{FIXTURES}/flows/all.mitm"], width=120, height=40)
    try:
        with open(f"{FIXTURES}/flows/all.mitm.json") as f:
            n = json.load(f)["flow_count"]
        assert n > 1
        c.wait(rf"\[1/{n}\]")
        c.keys("End")
        c.wait(rf"\[{n}/{n}\]")
        c.keys("Home")
        c.wait(rf"\[1/{n}\]")
        c.keys("Q")
        c.exited_clean()
    finally:
        c.close()
