"""
End-to-end: Python addon scripts (-s) in our mitmdump, on the embedded
CPython with our own mitmproxy package. The scripts are written here; curl
goes through the proxy to real origins, and -r/-w runs saved flows through
a script.
"""
import os
import subprocess
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import FIXTURES, binary, curl


def proxy(port):
    return ["-x", f"http://127.0.0.1:{port}"]


def script(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def test_request_hook_sets_a_header_the_origin_sees(mitmdump, origin, tmp_path):
    s = script(tmp_path, "addheader.py", """
        def request(flow):
            flow.request.headers["X-From-Script"] = "yes " + flow.request.method
        """)
    proc, port = mitmdump("-s", s)
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/echo-headers")
    assert rc == 0, err
    assert b"X-From-Script: yes GET\n" in body
    assert "Loading script " + s in proc.output()


def test_response_hook_rewrites_the_body_curl_sees(mitmdump, origin, tmp_path):
    s = script(tmp_path, "rewrite.py", """
        from mitmproxy import http

        def response(flow: http.HTTPFlow) -> None:
            if flow.request.path.startswith("/hello"):
                flow.response.text = flow.response.text.replace("world", "script")
                flow.response.headers["x-rewritten"] = "1"
        """)
    _, port = mitmdump("-s", s)
    rc, body, err = curl(*proxy(port), "-i", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    head, _, payload = body.partition(b"\r\n\r\n")
    assert payload == b"hello script\n"
    assert b"x-rewritten: 1" in head
    # The content setter fixed the length (mitmproxy's set_content).
    assert b"Content-Length: 13" in head or b"content-length: 13" in head.lower()


class Counting(BaseHTTPRequestHandler):
    hits = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        Counting.hits += 1
        self.send_response(200)
        self.send_header("Content-Length", "6")
        self.end_headers()
        self.wfile.write(b"origin")


def test_response_make_answers_without_the_origin(mitmdump, tmp_path):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        s = script(tmp_path, "answer.py", """
            from mitmproxy import http

            def request(flow):
                if flow.request.path == "/made":
                    flow.response = http.Response.make(
                        418, b"made by a script", {"Content-Type": "text/plain"})
            """)
        _, port = mitmdump("-s", s)
        o = srv.server_address[1]
        rc, body, err = curl(*proxy(port), "-i", f"http://127.0.0.1:{o}/made")
        assert rc == 0, err
        assert body.startswith(b"HTTP/1.1 418 I'm a Teapot\r\n") or body.startswith(b"HTTP/1.1 418")
        assert body.endswith(b"\r\n\r\nmade by a script")
        assert Counting.hits == 0
        rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{o}/other")
        assert rc == 0 and body == b"origin", err
        assert Counting.hits == 1
    finally:
        srv.shutdown()


def test_option_set_before_the_script_loads(mitmdump, origin, tmp_path):
    s = script(tmp_path, "opt.py", """
        from typing import Optional, Sequence
        from mitmproxy import ctx

        def load(loader):
            loader.add_option("greeting", str, "hello", "What to send.")
            loader.add_option("shout", bool, False, "Upper case.")
            loader.add_option("times", int, 1, "Repeat.")
            loader.add_option("maybe", Optional[str], None, "Maybe.")
            loader.add_option("names", Sequence[str], [], "Names.")

        def configure(updated):
            if "greeting" in updated:
                ctx.log.info(f"configured greeting={ctx.options.greeting}")

        def request(flow):
            g = ctx.options.greeting * ctx.options.times
            if ctx.options.shout:
                g = g.upper()
            flow.request.headers["x-greeting"] = g
            flow.request.headers["x-names"] = ",".join(ctx.options.names)
            flow.request.headers["x-maybe"] = repr(ctx.options.maybe)
        """)
    proc, port = mitmdump("-s", s, "--set", "greeting=howdy", "--set", "shout=true",
                          "--set", "times=2", "--set", "names=a", "--set", "names=b")
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/echo-headers")
    assert rc == 0, err
    assert b"x-greeting: HOWDYHOWDY\n" in body
    assert b"x-names: a,b\n" in body
    assert b"x-maybe: None\n" in body
    assert "configured greeting=howdy" in proc.output()


def test_script_option_listed_by_options_command(tmp_path):
    s = script(tmp_path, "opt.py", """
        def load(loader):
            loader.add_option("my_flag", bool, False, "A flag of the script.")
        """)
    r = subprocess.run([binary("mitmdump"), "-n", "-s", s, "--set", "my_flag=maybe"],
                       capture_output=True, timeout=60)
    # A bad value for a script's option is refused once the script defined it.
    assert r.returncode != 0
    assert b"my_flag" in r.stderr + r.stdout


def test_hook_error_is_logged_and_the_proxy_keeps_serving(mitmdump, origin, tmp_path):
    s = script(tmp_path, "broken.py", """
        def request(flow):
            flow.request.headers["x-before-error"] = "1"
            raise ValueError("deliberate")
        """)
    proc, port = mitmdump("-s", s)
    for _ in range(2):
        rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")
        assert rc == 0, err
        assert body == b"hello world\n"
    proc.wait_for(r"ValueError: deliberate")
    out = proc.output()
    assert "Addon error: Traceback (most recent call last):" in out
    assert f'File "{s}", line 4, in request' in out


def test_script_that_does_not_import_is_logged(mitmdump, origin, tmp_path):
    s = script(tmp_path, "bad.py", """
        import this_module_does_not_exist
        """)
    proc, port = mitmdump("-s", s)
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")
    assert rc == 0 and body == b"hello world\n", err
    out = proc.output()
    assert f"in script {s}:2 No module named 'this_module_does_not_exist'" in out
    assert f'File "{s}", line 2, in <module>' in out


def test_missing_module_of_ours_names_itself(mitmdump, tmp_path):
    # (mitmproxy.contentviews, named here before, is provided now.)
    s = script(tmp_path, "lacks.py", """
        from mitmproxy import certs
        """)
    proc, _ = mitmdump("-s", s)
    proc.wait_for(r"mitmproxy-c does not provide mitmproxy.certs in this version")


def test_missing_script_is_a_start_up_error(tmp_path):
    r = subprocess.run([binary("mitmdump"), "-n", "-s", str(tmp_path / "nope.py")],
                       capture_output=True, timeout=60)
    assert r.returncode != 0
    assert b"No such script" in r.stderr


def test_lifecycle_hooks_in_order(tmp_path):
    log = tmp_path / "events"
    # With -n and nothing to read, mitmdump runs until stopped (as 8.1.1):
    # the script ends the run, which brings done().
    s = script(tmp_path, "life.py", f"""
        from mitmproxy import ctx

        def note(what):
            with open({str(log)!r}, "a") as f:
                f.write(what + "\\n")

        class Child:
            def load(self, loader):
                note("child load")

        addons = [Child()]

        def load(loader):
            note("load")

        def configure(updated):
            note("configure scripts" if "scripts" in updated else "configure")

        def running():
            note("running")
            ctx.master.shutdown()

        def done():
            note("done")
        """)
    r = subprocess.run([binary("mitmdump"), "-n", "-s", s], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert log.read_text().split("\n") == [
        "load", "child load", "configure scripts", "running", "done", ""]


def test_saved_flows_run_through_a_script(tmp_path):
    pytest.importorskip("mitmproxy.io")
    from mitmproxy import io as mio

    s = script(tmp_path, "mark.py", """
        def response(flow):
            flow.response.headers["x-seen"] = "yes"
            flow.comment = "seen by script"

        def request(flow):
            flow.request.headers["x-req"] = flow.request.pretty_url
        """)
    src = os.path.join(FIXTURES, "flows", "get-query.mitm")
    out = tmp_path / "out.mitm"
    r = subprocess.run([binary("mitmdump"), "-n", "-s", s, "-r", src, "-w", str(out)],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(src, "rb") as f:
        before = list(mio.FlowReader(f).stream())
    with open(out, "rb") as f:
        after = list(mio.FlowReader(f).stream())
    assert len(after) == len(before) > 0
    for b, a in zip(before, after):
        assert a.id == b.id
        assert a.comment == "seen by script"
        assert a.request.headers["x-req"] == b.request.pretty_url
        if b.response:
            assert a.response.headers["x-seen"] == "yes"
            assert a.response.content == b.response.content


def test_ctx_commands_and_options(tmp_path):
    s = script(tmp_path, "ctx.py", """
        from mitmproxy import ctx, exceptions

        def running():
            ctx.log.info("formats %r" % (ctx.master.commands.call("export.formats")[:2],))
            ctx.options.anticache = True
            ctx.log.info("anticache %r" % ctx.options.anticache)
            try:
                ctx.options.listen_port = "x"
            except exceptions.OptionsError as e:
                ctx.log.info("refused %s" % e)
            try:
                ctx.master.commands.call("no.such.command")
            except exceptions.CommandError as e:
                ctx.log.info("command error %s" % e)
            ctx.master.shutdown()
        """)
    r = subprocess.run([binary("mitmdump"), "-n", "-s", s], capture_output=True, timeout=60)
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    assert "formats ['curl', 'fetch']" in out
    assert "anticache True" in out
    assert "refused listen_port: invalid integer 'x'" in out
    assert "command error Unknown command: no.such.command" in out
