"""
End-to-end: a script saved while the proxy runs is reloaded at once
(inotify): done on the old version, load/configure/running on the new one;
a version that does not import is logged and the proxy keeps serving. The
seeds' older API: `def start(): return Addon()` and arguments in the -s
string as sys.argv.
"""
import os
import textwrap
import time

from conftest import curl


def write(path, text):
    # As editors do: a new file renamed over the old one.
    tmp = str(path) + ".tmp"
    with open(tmp, "w") as f:
        f.write(textwrap.dedent(text))
    os.rename(tmp, path)


VERSION = """
    from mitmproxy import ctx

    def load(loader):
        ctx.log.info("load v{v}")

    def running():
        ctx.log.info("running v{v}")

    def response(flow):
        flow.response.headers["x-version"] = "{v}"

    def done():
        ctx.log.info("done v{v}")
    """


def version_seen(port, origin):
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-i", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    for line in body.split(b"\r\n"):
        if line.lower().startswith(b"x-version:"):
            return line.split(b":", 1)[1].strip().decode()
    return None


def test_saving_a_script_reloads_it(mitmdump, origin, tmp_path):
    s = tmp_path / "live.py"
    write(s, VERSION.format(v=1))
    proc, port = mitmdump("-s", str(s))
    proc.wait_for("running v1")
    assert version_seen(port, origin) == "1"

    t0 = time.monotonic()
    write(s, VERSION.format(v=2))
    proc.wait_for("running v2")
    took = time.monotonic() - t0
    assert took < 1.0, took  # mitmproxy polls every second; inotify is at once
    out = proc.output()
    assert out.index("done v1") < out.index("load v2") < out.index("running v2")
    assert "Reloading script " + str(s) in out
    assert version_seen(port, origin) == "2"

    # A broken version is logged; the proxy serves on, without its hooks.
    write(s, "def response(flow):\n    flow.response.headers['x' = 1\n")
    proc.wait_for("done v2")
    proc.wait_for(r"in script .*live\.py:2")
    assert version_seen(port, origin) is None

    write(s, VERSION.format(v=3))
    proc.wait_for("running v3")
    assert version_seen(port, origin) == "3"


def test_start_returns_the_addon_and_argv_comes_from_the_s_string(mitmdump, origin, tmp_path):
    s = tmp_path / "old.py"
    write(s, """
        import sys

        class Addon:
            def __init__(self, find, put):
                self.find, self.put = find, put

            def response(self, flow):
                flow.response.text = flow.response.text.replace(self.find, self.put)

        def response(flow):
            # Not a hook: start() replaced the module.
            flow.response.headers["x-module"] = "1"

        def start():
            return Addon(sys.argv[1], sys.argv[2])
        """)
    proc, port = mitmdump("-s", f"{s} world 'brave new world'")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-i", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body.endswith(b"\r\n\r\nhello brave new world\n")
    assert b"x-module" not in body
