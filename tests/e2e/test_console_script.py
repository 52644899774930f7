"""
The console (build/mitmproxy) with a script (-s), in tmux as a user runs
it: the script's response hook sets a header, and the flow view shows it
on the response the console keeps.
"""
import re
import textwrap

from test_console import Console


def test_console_runs_a_script_and_shows_its_header(tmp_path, origin):
    s = tmp_path / "addheader.py"
    s.write_text(textwrap.dedent("""
        def response(flow):
            flow.response.headers["X-From-Script"] = "set by a script"
        """))
    c = Console(tmp_path, args=("-s", str(s)))
    try:
        c.wait_listening()
        from conftest import curl

        rc, out, err = curl("-x", f"http://127.0.0.1:{c.port}", "-i",
                            f"http://127.0.0.1:{origin}/hello/script")
        assert rc == 0, err
        assert b"X-From-Script: set by a script" in out
        c.wait(r"/hello/script +200 ")
        c.keys("Enter")
        c.wait(r"^Flow Details")
        c.keys("Tab")
        screen = c.wait(r"^X-From-Script:\s+set by a script")
        assert re.search(r"^hello world", screen, re.M), screen
        c.save("script-01-response-header", screen)
        c.keys("q", "q")
        c.wait(r"^Quit \(yes,no\)\?")
        c.keys("y")
        err = c.exited_clean()
        assert "LeakSanitizer" not in err, err
    finally:
        c.close()
