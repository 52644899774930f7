"""
End-to-end: the parts of mitmproxy 8.1.1's addon API that issue 13 named
last (content views, WSGI apps, option types, commands on flows), each
through 8.1.1's own example addon where there is one, unchanged, and our
mitmdump.
"""
import os
import subprocess

from conftest import binary, curl
from test_scripts_examples import example, proxied


def test_contentview_swapcase_in_auto(mitmdump, origin):
    # The origin's /hello is text/plain, which the example's view rates 1.
    proc, port = mitmdump("-s", example("contentview.py"), "--flow-detail", "3")
    proxied(port, f"http://127.0.0.1:{origin}/hello")
    # The dumper shows a view's lines, not its description (as 8.1.1).
    proc.wait_for(r"^    HELLO WORLD")


def test_contentview_that_raises_falls_back_to_raw(mitmdump, origin, tmp_path):
    script = tmp_path / "badview.py"
    script.write_text(
        "from mitmproxy import contentviews, ctx\n"
        "class Bad(contentviews.View):\n"
        "    name = 'bad'\n"
        "    def __call__(self, data, **kw):\n"
        "        raise ValueError('nope')\n"
        "    def render_priority(self, data, **kw):\n"
        "        return 5\n"
        "v = Bad()\n"
        "def load(l):\n"
        "    contentviews.add(v)\n"
        "    assert contentviews.get('BAD') is v\n"
        "    assert contentviews.get('json').name == 'JSON'\n"
        "    try:\n"
        "        contentviews.add(Bad())\n"
        "    except ValueError as e:\n"
        "        ctx.log.info(f'refused: {e}')\n"
        "def done():\n"
        "    contentviews.remove(v)\n")
    proc, port = mitmdump("-s", str(script), "--flow-detail", "3")
    proxied(port, f"http://127.0.0.1:{origin}/hello")
    proc.wait_for(r"refused: Duplicate view: bad")
    proc.wait_for(r"^    hello world")
