"""
The console (build/mitmproxy) driven in tmux as a user drives it: a
200x50 terminal, keys sent with send-keys, the screen read with
capture-pane, curl's traffic through the proxy to an origin on 127.0.0.1.
Every screen read is saved under build/console-captures/ to be looked at.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import BIN, FIXTURES, ROOT, binary, curl, free_port

CAPTURES = os.path.join(ROOT, "build", "console-captures")


class Console:
    """build/mitmproxy in a tmux session of its own (its own server socket)."""

    def __init__(self, tmp_path, args=(), width=200, height=50, confdir=None, program=None,
                 env=None):
        if shutil.which("tmux") is None:
            pytest.fail("tmux is not installed (scripts/deps.sh test installs it)")
        self.sock = f"mpc-{os.getpid()}-{free_port()}"
        self.port = free_port()
        self.exit_file = tmp_path / "exit"
        self.err_file = tmp_path / "stderr"
        if confdir is None:
            confdir = tmp_path / "conf"
        confdir.mkdir(exist_ok=True)
        cmd = " ".join(
            [
                program or binary("mitmproxy"),
                "--listen-host", "127.0.0.1", "-p", str(self.port),
                "--set", f"confdir={confdir}",
                *args,
            ]
        )
        # The exit status and stderr (sanitizer reports) go to files; the
        # pane stays a moment so a crash can still be captured.
        script = f"{cmd} 2>{self.err_file}; echo $? >{self.exit_file}; sleep 2"
        env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8",
                   HOME=str(tmp_path), **(env or {}))
        self.tmux("new-session", "-d", "-x", str(width), "-y", str(height), script, env=env)
        self.started = time.monotonic()

    def tmux(self, *args, env=None):
        return subprocess.run(["tmux", "-L", self.sock, *args], check=True, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=20).stdout.decode("utf-8", "replace")

    def screen(self):
        return self.tmux("capture-pane", "-p")

    def keys(self, *keys):
        self.tmux("send-keys", *keys)

    def type(self, text):
        self.tmux("send-keys", "-l", text)

    def wait(self, pattern, timeout=20):
        """The screen once it matches pattern (a regex)."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen()
            if re.search(pattern, s, re.M):
                return s
            if time.monotonic() > deadline:
                pytest.fail(f"the screen never showed {pattern!r}:\n{s}\n"
                            f"stderr: {self.stderr()}")
            time.sleep(0.05)

    def wait_listening(self, timeout=20):
        """The screen once the status bar shows the address: the proxy listens."""
        return self.wait(rf"\[127\.0\.0\.1:{self.port}\]\s*$", timeout=timeout)

    def answer(self, key, prompt, text):
        """key opens a prompt: once the screen shows it (prompt, a regex),
        text is typed and entered."""
        self.keys(key)
        self.wait(prompt)
        self.type(text)
        self.keys("Enter")

    def set_intercept(self, expr):
        """i, then expr: the status bar shows the intercept filter set."""
        self.answer("i", r"^: set intercept ''", expr)
        self.wait(rf"\[i:{re.escape(expr)}\]")

    def save(self, name, text=None):
        os.makedirs(CAPTURES, exist_ok=True)
        with open(os.path.join(CAPTURES, name + ".txt"), "w") as f:
            f.write(self.screen() if text is None else text)

    def stderr(self):
        try:
            return self.err_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def exit_status(self, timeout=20):
        deadline = time.monotonic() + timeout
        while not self.exit_file.exists() or not self.exit_file.read_text().strip():
            if time.monotonic() > deadline:
                pytest.fail(f"mitmproxy did not exit:\n{self.screen()}")
            time.sleep(0.05)
        return int(self.exit_file.read_text())

    def exited_clean(self):
        """Its stderr, once mitmproxy exited 0 with no sanitizer report."""
        assert self.exit_status() == 0, self.stderr()
        err = self.stderr()
        assert "ERROR: AddressSanitizer" not in err and "runtime error" not in err, err
        return err

    def close(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], stderr=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL)


@pytest.fixture
def console(tmp_path):
    c = Console(tmp_path)
    yield c
    c.close()


def flow_file(path, flows):
    """Writes flows (mitmproxy 8.1.1's, made with its tflow) to a flow
    file at path, as 8.1.1 writes them; returns path."""
    from mitmproxy import io as mio
    with open(path, "wb") as fh:
        w = mio.FlowWriter(fh)
        for f in flows:
            w.add(f)
    return path


def proxy(c):
    return ["-x", f"http://127.0.0.1:{c.port}"]


def test_console_list_view_intercept_quit(console, origin):
    c = console
    c.wait(rf"^Flows")
    # The first screen comes before the proxy listens; the address says it does.
    c.wait_listening()
    c.save("01-start")

    # The list fills with curl's flows, in 8.1.1's table layout.
    for path in ("/hello/one", "/hello/two?x=1&y=2"):
        rc, out, err = curl(*proxy(c), f"http://127.0.0.1:{origin}{path}")
        assert rc == 0 and out == b"hello world\n", err
    s = c.wait(r"\[1/2\]")
    s = c.wait(r"/hello/two\?x=1&y=2 +200 +text/plain +12b")
    c.save("02-list", s)
    rows = [l for l in s.splitlines() if "/hello/" in l]
    assert re.match(r"^>>\d\d:\d\d:\d\d HTTP  GET +127\.0\.0\.1 /hello/one +200 +text/plain +12b +\d+ms",
                    rows[0]), rows
    assert rows[1].startswith("  "), rows

    # j moves the focus; Enter opens the flow: the request (its query, in the
    # Query view that Auto picks for a request without a body, as 8.1.1 does),
    # then the response's body.
    c.keys("j", "Enter")
    c.wait(r"^Flow Details")
    s = c.wait(r"^Query +\[m:auto\]")
    assert re.search(r"^x: 1$", s, re.M) and re.search(r"^y: 2$", s, re.M), s
    assert re.search(rf"GET http://127\.0\.0\.1:{origin}/hello/two\?x=1&y=2", s), s
    c.save("03-flowview-request", s)
    c.keys("Tab")
    s = c.wait(r"^hello world")
    assert re.search(r"^Content-Type:\s+text/plain", s, re.M), s
    c.save("04-flowview-response", s)
    c.keys("Tab")
    s = c.wait(r"^Timing:")
    c.save("05-flowview-detail", s)
    c.keys("q")
    c.wait(r"^Flows")

    # i with ~q: the next request waits until a releases it.
    c.set_intercept("~q")
    held = subprocess.Popen(["curl", "-sS", "--max-time", "30", *proxy(c),
                             f"http://127.0.0.1:{origin}/hello/held"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    s = c.wait(r"/hello/held")
    c.save("06-intercepted", s)
    time.sleep(0.5)
    assert held.poll() is None, "curl finished although its request is intercepted"
    c.keys("G", "a")
    out, err = held.communicate(timeout=20)
    assert held.returncode == 0 and out == b"hello world\n", err
    s = c.wait(r"/hello/held +200 ")
    c.save("07-resumed", s)

    # Help, the event log, the command prompt.
    c.keys("?")
    s = c.wait(r"^Common Keybindings")
    assert re.search(r"^A +Resume all intercepted flows", s, re.M), s
    c.save("08-help", s)
    c.keys("q", "E")
    s = c.wait(r"^info: .*client connect")
    c.save("09-eventlog", s)
    c.keys("q", ":")
    c.type("set view_filter '~u held'")
    c.keys("Enter")
    s = c.wait(r"\[1/1\] +\[i:~q\]\[f:~u held\]")
    c.save("10-filtered", s)

    # q from the list asks first; y quits.
    c.keys("q")
    s = c.wait(r"^Quit \(yes,no\)\?")
    c.save("11-quit", s)
    c.keys("y")
    err = c.exited_clean()
    assert "LeakSanitizer" not in err, err


def test_console_narrow_list_layout(tmp_path, origin):
    c = Console(tmp_path, width=90, height=20)
    try:
        c.wait(r"^Flows")
        c.wait_listening()
        rc, out, err = curl(*proxy(c), f"http://127.0.0.1:{origin}/hello/narrow")
        assert rc == 0, err
        s = c.wait(rf"^>> GET http://127\.0\.0\.1:{origin}/hello/narrow")
        assert re.search(r"^ +\u2190 200 text/plain 12b \d+ms", s, re.M), s
        c.save("12-narrow-list", s)
        c.keys("Q")
        assert c.exit_status() == 0, c.stderr()
    finally:
        c.close()


def test_console_first_screen_is_fast(tmp_path):
    """The first screen soon after start, with the CA an earlier start made
    (as a user's second run finds it). The figure includes what tmux adds
    (a session, a shell, capture polling); the 50 ms of the brief are
    measured without it (see the report), so the bound here is loose enough
    for the sanitizer build on a busy machine."""
    confdir = tmp_path / "conf"
    took = []
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        c = Console(tmp_path / run, confdir=confdir)
        try:
            c.wait(r"^Flows", timeout=20)
            took.append(time.monotonic() - c.started)
            c.keys("Q")
            assert c.exit_status() == 0, c.stderr()
        finally:
            c.close()
    assert took[1] < (1.0 if "asan" in BIN else 0.3), took


def masked(screen):
    """Rows of the flow list without what differs between two runs: the
    time of day, the duration, the port of the origin."""
    rows = []
    for line in screen.splitlines():
        if "/hello/" not in line and "/nothere" not in line:
            continue
        line = re.sub(r"\d\d:\d\d:\d\d", "HH:MM:SS", line)
        line = re.sub(r" +\d+(ms|\.\d+s)( *[^ ]*)$", r" DUR\2", line.rstrip())
        rows.append(line)
    return rows


def test_console_rows_as_8_1_1(tmp_path, origin):
    """The same traffic through mitmproxy 8.1.1's console and ours, both in
    a 200-column tmux: the flow list's rows and the status bar agree."""
    screens = {}
    for name, program in (("ours", None), ("8.1.1", "/usr/bin/mitmproxy")):
        (tmp_path / name).mkdir()
        c = Console(tmp_path / name, program=program)
        try:
            c.wait(r"^Flows", timeout=60)
            c.wait_listening(timeout=60)
            for path in ("/hello/one", "/hello/two?x=1&y=2", "/nothere"):
                curl(*proxy(c), f"http://127.0.0.1:{origin}{path}")
            screens[name] = c.wait(r"\[1/3\]")
            screens[name] = c.wait(r"/nothere +404")
            c.save(f"13-rows-{name}", screens[name])
            c.keys("Q")
        finally:
            c.close()
    ours, ref = masked(screens["ours"]), masked(screens["8.1.1"])
    assert len(ref) == 3 and ours == ref, (ours, ref)
    status = [l.rstrip() for l in screens["ours"].splitlines() if "[1/3]" in l]
    ref_status = [l.rstrip() for l in screens["8.1.1"].splitlines() if "[1/3]" in l]
    # The address differs by the port only.
    assert re.sub(r":\d+\]$", "]", status[0]) == re.sub(r":\d+\]$", "]", ref_status[0])


class Echo(BaseHTTPRequestHandler):
    """Answers with the request it got: its headers, then its body."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        out = "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode()
        out += b"body: " + body + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


@pytest.fixture
def echo_origin():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()


def test_console_edit_intercepted_request(tmp_path, echo_origin):
    """An intercepted request edited as a user edits it: a header in the
    grid editor, the body in $EDITOR (a script that rewrites the file), then
    a sends it on and the origin receives the edits."""
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'edited body' >\"$1\"\n")
    editor.chmod(0o755)
    c = Console(tmp_path, env={"EDITOR": str(editor)})
    try:
        c.wait_listening()
        c.set_intercept("~q")
        held = subprocess.Popen(["curl", "-sS", "--max-time", "60", *proxy(c), "-d", "original",
                                 f"http://127.0.0.1:{echo_origin}/echo"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        c.wait(r"/echo")
        c.keys("Enter")
        c.wait(r"Request intercepted")
        # e: the parts; 8) request-headers opens the grid editor.
        c.keys("e")
        s = c.wait(r"8\) request-headers")
        c.save("14-edit-parts", s)
        c.keys("8")
        s = c.wait(r"^Edit Request Headers")
        assert re.search(r"^Key +Value", s, re.M), s
        assert re.search(r"^User-Agent +curl/", s, re.M), s
        c.save("15-grid-headers", s)
        c.keys("a")
        c.type("X-Edited")
        c.keys("Tab")
        c.type("by console")
        c.keys("Escape")
        s = c.wait(r"^X-Edited +by console")
        c.save("16-grid-edited", s)
        c.keys("q")
        s = c.wait(r"^X-Edited: +by console")
        # a) request-body goes to $EDITOR.
        c.keys("e")
        c.wait(r"a\) request-body")
        c.keys("a")
        s = c.wait(r"^edited body")
        c.save("17-body-edited", s)
        assert held.poll() is None, "curl finished although its request is intercepted"
        c.keys("a")
        out, err = held.communicate(timeout=30)
        assert held.returncode == 0, err
        assert b"X-Edited: by console\n" in out, out
        assert b"Content-Length: 11\n" in out, out
        assert out.endswith(b"body: edited body\n"), out
        c.keys("Q")
        c.exited_clean()
    finally:
        c.close()


def test_console_options_commands_keys(tmp_path):
    """O, C and K as 8.1.1 draws them; keys.yaml in the conf dir rebinds a key."""
    confdir = tmp_path / "conf"
    confdir.mkdir()
    (confdir / "keys.yaml").write_text(
        "# rebinding as a user does\n"
        "- key: ctrl e\n"
        "  ctx: [flowlist]\n"
        "  cmd: console.view.eventlog\n"
        "  help: Events at hand\n")
    c = Console(tmp_path, confdir=confdir)
    try:
        c.wait_listening()
        c.keys("O")
        s = c.wait(r"^Option Help")
        assert re.search(r"^add_upstream_certs_to_client_chain +false$", s, re.M), s
        assert re.search(r"^Add all certificates of the upstream server", s, re.M), s
        # j j to anticache; Enter toggles it, the status bar says so.
        c.keys("j", "j", "Enter")
        s = c.wait(r"\[anticache\]")
        assert re.search(r"^anticache +true$", s, re.M), s
        c.save("18-options", s)
        c.keys("q", "C")
        s = c.wait(r"^Command Help")
        assert re.search(r"^>> commands\.history\.add command$", s, re.M), s
        assert re.search(r"^   console\.bodyview flow part$", s, re.M), s
        c.save("19-commands", s)
        c.keys("q", "K")
        s = c.wait(r"^Key Binding Help")
        assert re.search(r"^>>  - +global +console\.layout\.cycle$", s, re.M), s
        c.save("20-keybindings", s)
        c.keys("q", "C-e")
        c.wait(r"^Events")
        c.keys("Q")
        c.exited_clean()
    finally:
        c.close()


def test_console_prompt_completion_and_history(tmp_path):
    """Tab completes on the prompt; what was run is in command_history in
    the conf dir, and up brings it back after a restart."""
    confdir = tmp_path / "conf"
    confdir.mkdir()
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        c = Console(tmp_path / run, confdir=confdir)
        try:
            c.wait_listening()
            c.keys(":")
            if run == "first":
                c.type("set anticom")
                c.keys("Tab")
                s = c.wait(r"^: set anticomp \*value\s*$")
                c.save("21-prompt-completion", s)
                c.type(" true")
                c.keys("Enter")
                c.wait(r"\[anticomp\]")
            else:
                c.keys("Up")
                s = c.wait(r"^: set anticomp true$")
                c.save("22-prompt-history", s)
                c.keys("Escape")
            c.keys("Q")
            assert c.exit_status() == 0, c.stderr()
        finally:
            c.close()
    assert (confdir / "command_history").read_text() == "set anticomp true\n"


def test_console_search_past_cutoff(tmp_path, console, echo_origin):
    """/ in the flow view finds a line past the display cutoff (512 lines),
    which 8.1.1 cannot (mitmproxy #7326)."""
    body = tmp_path / "body"
    body.write_text("".join(("needle" if i == 1500 else "line") + f" {i}\n" for i in range(2000)))
    c = console
    c.wait_listening()
    rc, out, err = curl(*proxy(c), "--data-binary", f"@{body}",
                        f"http://127.0.0.1:{echo_origin}/echo")
    assert rc == 0, err
    c.wait(r"/echo +200")
    c.keys("Enter")
    c.wait(r"^Flow Details")
    c.keys("Tab")
    c.wait(r"^line 2$")
    c.answer("/", r"^Search for:\s*$", "needle")
    s = c.wait(r"^needle 1500$")
    c.save("23-search", s)
    c.keys("Q")
    assert c.exit_status() == 0, c.stderr()


def test_console_wide_glyphs(console, origin):
    """Wide glyphs take two columns: a query of Japanese text in the
    request's Query view, the columns after it where a terminal puts them."""
    c = console
    c.wait_listening()
    q = "%E6%97%A5%E6%9C%AC%E8%AA%9E"
    rc, out, err = curl(*proxy(c), f"http://127.0.0.1:{origin}/hello/wide?{q}={q}&x=1")
    assert rc == 0, err
    c.wait(r"/hello/wide")
    c.keys("Enter")
    s = c.wait(r"^Query +\[m:auto\]")
    assert re.search("^\u65e5\u672c\u8a9e: \u65e5\u672c\u8a9e$", s, re.M), s
    c.save("24-wide-glyphs", s)
    c.keys("Q")
    assert c.exit_status() == 0, c.stderr()


def test_console_answers_while_a_large_file_loads(tmp_path):
    """-r reads between the loop's events: the list shows rows while the
    file is still being read, a key is answered meanwhile, and quitting in
    the middle of the read exits cleanly (the read is cancelled, nothing
    leaks). save_stream_file sees every loaded flow, so the flows go
    through the hooks slice by slice (test_console_answers_while_the_store_loads
    has the store's own load)."""
    path = tmp_path / "big.mitm"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "genflows.py"), str(path), "10000",
                    os.path.join(FIXTURES, "flows")], check=True, stdout=subprocess.DEVNULL)
    c = Console(tmp_path, args=["-r", str(path),
                                "--set", f"save_stream_file={tmp_path / 'saved.mitm'}"])
    try:
        s = c.wait(r"\[\d+/[1-9]\d*\]")
        c.save("30-loading", s)
        assert int(re.search(r"\[\d+/(\d+)\]", s).group(1)) < 10000, "rows before the read ends"
        assert "127.0.0.1" in s
        c.keys("?")
        s = c.wait(r"^Help")
        c.save("31-help-while-loading", s)
        c.keys("q")
        s = c.wait(r"\[\d+/\d+\]")
        # Still reading when Q comes: the read is cancelled.
        assert int(re.search(r"\[\d+/(\d+)\]", s).group(1)) < 10000, s
        c.keys("Q")
        assert c.exit_status() == 0, c.stderr()
        assert "Sanitizer" not in c.stderr() and "runtime error" not in c.stderr(), c.stderr()
    finally:
        c.close()


def test_console_answers_while_the_store_loads(tmp_path):
    """-r with no addon acting on loaded flows: the first slice goes through
    the hooks, the store's own load reads the rest on its workers. Rows show
    while it loads, a key is answered meanwhile, and quitting in the middle
    of the load exits cleanly (the load is cancelled, its workers finish,
    nothing leaks)."""
    n = 30000
    path = tmp_path / "big.mitm"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "genflows.py"), str(path), str(n),
                    os.path.join(FIXTURES, "flows")], check=True, stdout=subprocess.DEVNULL)
    c = Console(tmp_path, args=["-r", str(path)])
    try:
        s = c.wait(r"\[\d+/[1-9]\d*\]")
        assert int(re.search(r"\[\d+/(\d+)\]", s).group(1)) < n, "rows before the load ends"
        assert "127.0.0.1" in s
        c.keys("?")
        c.wait(r"^Help")
        c.keys("q")
        s = c.wait(r"\[\d+/\d+\]")
        assert int(re.search(r"\[\d+/(\d+)\]", s).group(1)) < n, s
        c.keys("Q")
        assert c.exit_status() == 0, c.stderr()
        assert "Sanitizer" not in c.stderr() and "runtime error" not in c.stderr(), c.stderr()
    finally:
        c.close()


def test_console_without_server_shows_a_file_until_quit(tmp_path):
    """mitmproxy -n -r FILE (the way to look at a saved file) shows its
    flows and stays until the user quits, as 8.1.1's interactive tools
    always keep serving; with no server the status bar names no address."""
    path = os.path.join(FIXTURES, "flows", "methods.mitm")
    with open(path + ".json") as fh:
        n = json.load(fh)["flow_count"]
    assert n > 1
    c = Console(tmp_path, args=["-n", "-r", path])
    try:
        # The first screen may come before the read is through ([1/1]):
        # wait for the whole file.
        c.wait(rf"\[1/{n}\]")
        time.sleep(1)
        assert not c.exit_file.exists(), f"exited after the read: {c.stderr()}"
        s = c.screen()
        assert f"[1/{n}]" in s and f"127.0.0.1:{c.port}" not in s, s
        c.keys("Enter")
        c.wait(r"Request")
        c.keys("Q")
        c.exited_clean()
    finally:
        c.close()


# 8.1.1's rows for all.mitm at 120 columns (mitmproxy -n -r in tmux, TZ=UTC).
ROWS_8_1_1 = [
    "  20:21:06 WS    GET        127.0.0.1 /chat?room=fixtures                            101"
    "    [no content]         3ms",
    "  20:21:08 TCP   127.0.0.1:44744 <-> 127.0.0.1:18083                                     "
    "                  69b 407ms",
    "  20:21:50 HTTP  GET        127.0.0.1 /truncated                                     200"
    " \u2026ntent missing]",
    "  20:22:49 HTTP  POST       127.0.0.1 /echo?source=replay                            200"
    "      text/plain   87b   3ms \u21ba",
    # DNS: the op code, the question and its type, the answers ("?": none),
    # the response code and the duration.
    "  20:21:14 DNS QUERY              example.test (A) = 127.0.0.1                           "
    "            NOERROR     3ms",
    "  20:21:14 DNS QUERY         www.example.test (AAAA) = ::1                               "
    "            NOERROR     3ms",
    "  20:21:14 DNS QUERY           missing.invalid (A) = ?                                   "
    "            NXDOMAIN    2ms",
]
# And in its list layout at 80 columns: a TCP flow takes one line.
LIST_ROWS_8_1_1 = [
    "   GET http://127.0.0.1:18082/chat?room=fixtures",
    "       \u2190 101 [no content] 3ms",
    "   TCP 127.0.0.1:44744 <-> 127.0.0.1:18083                         69b 407ms",
    "   GET http://127.0.0.1:18099/nothing-listens-here",
]


def test_console_rows_of_a_file_as_8_1_1(tmp_path):
    """The WebSocket, TCP, DNS, truncated and replayed flows of all.mitm
    read from the file: each row as 8.1.1 shows it, in the table layout and
    in the list layout, where the TCP flow's row is one line."""
    path = os.path.join(FIXTURES, "flows", "all.mitm")
    for width, height, rows, name in [(120, 60, ROWS_8_1_1, "33-rows-table"),
                                      (80, 40, LIST_ROWS_8_1_1, "33-rows-list")]:
        c = Console(tmp_path, args=["-n", "-r", path], width=width, height=height,
                    env={"TZ": "UTC"})
        try:
            s = c.wait(r"\[1/55\]")
            c.save(name, s)
            lines = [line.rstrip() for line in s.splitlines()]
            for row in rows:
                assert row in lines, f"{row!r} not in:\n{s}"
            if rows is LIST_ROWS_8_1_1:
                at = lines.index(rows[0])
                assert lines[at:at + 4] == rows, s
            c.keys("Q")
            c.exited_clean()
        finally:
            c.close()


def test_console_layout_cycle(console, origin):
    """- cycles 8.1.1's layouts: the event log's pane below the flow list
    (rows shared as urwid's Pile shares them), then beside it (100 + 1 + 99
    columns); shift tab focuses the second pane, where a flow opens beside
    the list."""
    c = console
    c.wait_listening()
    rc, out, err = curl(*proxy(c), f"http://127.0.0.1:{origin}/hello/split")
    assert rc == 0, err
    c.wait(r"/hello/split")
    c.keys("-")
    s = c.wait(r"^Events")
    c.save("25-layout-vertical", s)
    lines = s.splitlines()
    assert lines[0].startswith("Flows"), s
    # 48 rows above the bars: 24 each, as 8.1.1's capture of the same size.
    assert lines[24].startswith("Events"), s
    assert "/hello/split" in lines[1], s
    c.keys("-")
    s = c.wait(r"^Flows +Events")
    c.save("26-layout-horizontal", s)
    lines = s.splitlines()
    assert lines[0].index("Events") == 101, s
    assert lines[1].index("/hello/split") < 100, s
    # The second pane takes the keys: a flow opens there, beside the list.
    c.keys("BTab")
    c.keys(":")
    c.type("console.view.flow @focus")
    c.keys("Enter")
    s = c.wait(r"^Flows +Flow Details")
    c.wait(r"Request +Response +Detail")
    c.keys("Tab")
    s = c.wait(r"hello world")
    c.save("27-layout-flow-beside-list", s)
    lines = s.splitlines()
    assert lines[0].index("Flow Details") == 101, s
    assert any(l.find("hello world") > 100 for l in lines), s
    # Back to single: the first pane, the flow list, has the screen again.
    c.keys("q", "-")
    s = c.wait(r"^Flows\s*$")
    assert "Events" not in s, s
    c.keys("Q")
    c.exited_clean()


def mouse_press(c, col, row, button=0):
    """A mouse press (and release) at col, row (0-based), as a terminal
    sends them once the program asks for mouse reports: in xterm's SGR
    form when the program asked for that, else in the X10 form of the
    pane's terminal type (which needs col and row below 95)."""
    if c.tmux("display-message", "-p", "#{mouse_sgr_flag}").strip() == "1":
        c.type(f"\x1b[<{button};{col + 1};{row + 1}M")
        if button < 64:
            c.type(f"\x1b[<{button};{col + 1};{row + 1}m")
        return
    c.type("\x1b[M" + chr(32 + button) + chr(33 + col) + chr(33 + row))
    if button < 64:
        c.type("\x1b[M" + chr(32 + 3) + chr(33 + col) + chr(33 + row))


def test_console_mouse(tmp_path, origin):
    """console_mouse (on by default): a click on the list's second flow
    opens it, a click on the Response tab shows that tab, the wheel
    scrolls; with console_mouse=false nothing is asked of the terminal."""
    c = Console(tmp_path)
    try:
        c.wait_listening()
        for path in ("/hello/first", "/hello/second"):
            rc, out, err = curl(*proxy(c), f"http://127.0.0.1:{origin}{path}")
            assert rc == 0, err
        c.wait(r"\[1/2\]")
        # The wheel moves the focus down, as the down key.
        mouse_press(c, 20, 1, button=65)
        c.wait(r"\[2/2\]")
        mouse_press(c, 20, 1, button=64)
        c.wait(r"\[1/2\]")
        mouse_press(c, 20, 2)
        s = c.wait(r"^Flow Details")
        assert re.search(r"GET http://127\.0\.0\.1:\d+/hello/second", s), s
        # 200 columns: the tabs are 67 + 67 + 66 wide; Response is the middle.
        mouse_press(c, 80, 3)
        s = c.wait(r"hello world")
        c.save("28-mouse-response-tab", s)
        c.keys("Q")
        c.exited_clean()
    finally:
        c.close()
    c = Console(tmp_path, args=["--set", "console_mouse=false"])
    try:
        c.wait_listening()
        rc, out, err = curl(*proxy(c), f"http://127.0.0.1:{origin}/hello/first")
        c.wait(r"\[1/1\]")
        # No mouse reports asked for: tmux keeps its own mouse, the pane
        # says so in its mouse flags.
        flags = c.tmux("display-message", "-p", "#{mouse_any_flag}#{mouse_sgr_flag}")
        assert flags.strip() == "00", flags
        c.keys("Q")
        assert c.exit_status() == 0, c.stderr()
    finally:
        c.close()


def test_console_mouse_browsers(console):
    """A click on a row of the options, commands or key bindings list
    focuses it, as 8.1.1's ListBox does: the ">>" marker moves there, and
    enter acts on the option clicked."""
    c = console
    c.wait_listening()
    c.keys("O")
    s = c.wait(r"^Option Help")
    lines = s.splitlines()
    # The first option set to false below the first row: click it, and
    # enter toggles that one.
    row = next(i for i, l in enumerate(lines) if i > 1 and re.search(r"^\w+ +false$", l))
    name = lines[row].split()[0]
    mouse_press(c, 3, row)
    time.sleep(0.3)
    c.keys("Enter")
    s = c.wait(rf"^{name} +true$")
    c.save("33-mouse-options", s)
    c.keys("q", "C")
    s = c.wait(r"^Command Help")
    assert s.splitlines()[1].startswith(">> "), s
    mouse_press(c, 10, 4)
    s = c.wait(r"^   .*\n   .*\n>> ")
    assert s.splitlines()[4].startswith(">> "), s
    c.save("34-mouse-commands", s)
    c.keys("q", "K")
    s = c.wait(r"^Key Binding Help")
    assert s.splitlines()[1].startswith(">>"), s
    mouse_press(c, 10, 5)
    # The marker leaves the first row for the binding clicked.
    s = c.wait(r"\A.*\n    .*\n(.*\n){0,3}>>  ")
    lines = s.splitlines()
    marked = [i for i, l in enumerate(lines) if l.startswith(">>")]
    assert len(marked) == 1 and marked[0] <= 5 and marked[0] > 1, s
    c.save("35-mouse-keybindings", s)
    c.keys("Q")
    c.exited_clean()


def test_console_tcp_stream(tmp_path):
    """A raw TCP flow opens on 8.1.1's TCP Stream tab: the messages of
    each direction joined, a marker on each line, Hex for binary bytes."""
    from test_tcp import connect, echo_server, exchange
    port = echo_server()
    c = Console(tmp_path)
    try:
        c.wait_listening()
        s = connect(c.port, port)
        for msg in (b"\x00\x01binary\xff", b"second"):
            exchange(s, msg)
        s.close()
        c.wait(r"TCP ")
        c.keys("Enter")
        s = c.wait(r"^\u21d2 \S")
        s = c.wait(r"^\u21d0 .*echo:second")
        assert re.search(r"^ +TCP Stream +Detail$", s, re.M), s
        assert re.search(r"^Auto +\[m:auto\]$", s, re.M), s
        assert re.search(r"^\u21d2 0000000000 00 01 62 69 6e 61 72 79 ff +\.\.binary\.$", s,
                         re.M), s
        c.save("36-tcp-stream", s)
        c.keys("Tab")
        c.wait(r"^ *Client Connection:")
        c.keys("Q")
        c.exited_clean()
    finally:
        c.close()


def test_console_palettes(tmp_path):
    """console_palette and console_palette_transparent: the title line in
    each palette's heading colours, as 8.1.1's urwid sends them on a
    256-colour terminal (captured with escapes). In tmux (TERM is not
    xterm's) urwid draws bright white as bold white, and so do we."""
    cases = [
        # palette, transparent, what the title line's escapes hold
        ("solarized_dark", "true", "\x1b[48;5;240mFlows"),
        ("dark", "true", "\x1b[1m\x1b[37m\x1b[44mFlows"),
        ("light", "false", "\x1b[48;5;33mFlows"),
    ]
    for palette, transparent, want in cases:
        c = Console(tmp_path, args=["--set", f"console_palette={palette}",
                                    "--set", f"console_palette_transparent={transparent}"])
        try:
            c.wait_listening()
            flags = c.tmux("display-message", "-p", "#{mouse_any_flag}")
            assert flags.strip() == "1", flags
            s = c.tmux("capture-pane", "-p", "-e")
            c.save(f"29-palette-{palette}-{transparent}", s)
            first = s.splitlines()[0]
            assert want in first and "Flows" in first, repr(first)
            c.keys("Q")
            c.exited_clean()
        finally:
            c.close()


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def seen(screen):
    """What a reader sees of a capture-pane -e screen, line by line: each
    character with its colour (none for a blank), background and bold. tmux
    carries attributes from one line to the next; trailing blanks are left
    out, since tmux keeps or drops them by how a program cleared them."""
    fg, bg, bold = None, None, False
    lines = []
    for text in screen.splitlines():
        cells, pos = [], 0
        for m in list(SGR.finditer(text)) + [None]:
            end = m.start() if m else len(text)
            cells += [(ch, None if ch == " " else fg, bg, ch != " " and bold)
                      for ch in text[pos:end]]
            if m is None:
                break
            pos = m.end()
            codes = [int(c or 0) for c in m.group(1).split(";")]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    fg, bg, bold = None, None, False
                elif c in (1, 22):
                    bold = c == 1
                elif c in (39, 49):
                    fg, bg = (None, bg) if c == 39 else (fg, None)
                elif 30 <= c <= 37 or 90 <= c <= 97:
                    fg = c - 30 if c < 90 else c - 82
                elif 40 <= c <= 47 or 100 <= c <= 107:
                    bg = c - 40 if c < 100 else c - 92
                elif c in (38, 48) and codes[i + 1:i + 2] == [5]:
                    fg, bg = (codes[i + 2], bg) if c == 38 else (fg, codes[i + 2])
                    i += 2
                i += 1
        while cells and cells[-1][0] == " ":
            cells.pop()
        lines.append(cells)
    return lines


def test_console_colours_as_8_1_1(tmp_path):
    """Every flow of all.mitm in 8.1.1's console and ours, 120x60 on 256
    colours in tmux: each character of the screen in the same colours, in
    three palettes (the size and duration gradients, the method, scheme,
    status and content-type colours, the marks, the bars, the palette's
    background where it is not transparent). Inside tmux urwid draws bright
    colours as bold dark ones; where TERM names an xterm, as bright ones."""
    path = os.path.join(FIXTURES, "flows", "all.mitm")
    for palette, transparent, term in (("solarized_dark", "true", ""), ("dark", "true", ""),
                                       ("light", "false", ""),
                                       ("dark", "true", "env TERM=xterm-256color ")):
        screens = {}
        for name, program in (("ours", binary("mitmproxy")), ("8.1.1", "/usr/bin/mitmproxy")):
            d = tmp_path / f"{palette}-{bool(term)}-{name}"
            d.mkdir()
            c = Console(d, program=term + program, width=120, height=60, env={"TZ": "UTC"},
                        args=["-n", "-r", path, "--set", f"console_palette={palette}",
                              "--set", f"console_palette_transparent={transparent}"])
            try:
                c.wait(r"\[1/55\]", timeout=60)
                screens[name] = c.tmux("capture-pane", "-p", "-e")
                c.save(f"40-colours-{palette}{'-xterm' if term else ''}-{name}", screens[name])
                c.keys("Q")
            finally:
                c.close()
        ours, ref = seen(screens["ours"]), seen(screens["8.1.1"])
        assert len(ours) == len(ref) == 60
        for n, (a, b) in enumerate(zip(ours, ref)):
            assert a == b, (palette, n, [x for x in zip(a, b) if x[0] != x[1]][:4])
        # The gradients were compared: sizes and durations in several colours.
        sizes = {cell[1] for line in ours for cell in line[-17:-11] if cell[0].isdigit()}
        assert len(sizes) >= 4, (palette, sizes)
        if term:
            assert "\x1b[97m" in screens["ours"], "bright white as bright white on an xterm"


def test_console_run_script_on_flow(tmp_path, console, origin):
    """| prompts for script.run on the focused flow: a script given no -s
    runs its request and response hooks on it once (the Python plugin opens
    then), and the flow view shows the headers it set."""
    script = tmp_path / "mark.py"
    script.write_text("def request(flow):\n"
                      "    flow.request.headers['x-from-script'] = 'request hook'\n"
                      "def response(flow):\n"
                      "    flow.response.headers['x-script-response'] = 'response hook'\n")
    c = console
    c.wait_listening()
    rc, out, err = curl(*proxy(c), f"http://127.0.0.1:{origin}/hello/script")
    assert rc == 0, err
    c.wait(r"/hello/script")
    c.answer("|", r"^: script\.run @focus +path\s*$", str(script))
    c.keys("Enter")
    s = c.wait(r"^x-from-script: +request hook")
    c.save("30-script-run-request", s)
    c.keys("Tab")
    s = c.wait(r"^x-script-response: +response hook")
    # A path that is no file says so, as 8.1.1's "No such script".
    c.answer("|", r"^: script\.run @focus +path\s*$", str(tmp_path / "missing.py"))
    c.wait(r"No such script: .*missing\.py")
    c.keys("Q")
    c.exited_clean()


def test_console_edit_intercepted_websocket_message(tmp_path):
    """Beyond 8.1.1 (#5432): a WebSocket message held by the intercept
    filter is shown last on the WebSocket Messages tab, e edits it in
    $EDITOR, a sends it on, and the echo server answers what was edited."""
    from test_websocket import echo_server, handshake, read_message, send_frame

    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'edited in the console' >\"$1\"\n")
    editor.chmod(0o755)
    port = echo_server()
    c = Console(tmp_path, args=["--set", "intercept=~websocket"],
                env={"EDITOR": str(editor)})
    s = None
    try:
        c.wait_listening()
        s = socket.create_connection(("127.0.0.1", c.port), timeout=30)
        # The 101 response is held first (the filter sees the upgrade).
        shake = threading.Thread(target=handshake, args=(s, port, f"http://127.0.0.1:{port}/chat"))
        shake.start()
        c.wait(r"/chat")
        c.keys("a")
        shake.join(30)
        assert not shake.is_alive()
        # Then the server's welcome: let it go.
        c.keys("Enter")
        c.wait(r"WebSocket Messages")
        c.keys("Tab", "Tab")
        c.wait(r"^\u21d0 welcome")
        c.keys("a")
        assert read_message(s) == (0x1, b"welcome")
        # The client's message is held next: the last line of the tab.
        send_frame(s, 0x1, b"original from the client", mask=True)
        screen = c.wait(r"^\u21d2 original from the client")
        c.save("31-websocket-held", screen)
        c.keys("e")
        c.wait(r"f\) websocket-message")
        c.keys("f")
        screen = c.wait(r"^\u21d2 edited in the console")
        c.save("32-websocket-edited", screen)
        c.keys("a")
        # The echo of the edit is held in turn; sent on, the client reads it.
        c.wait(r"^\u21d0 echo:edited in the console")
        c.keys("a")
        assert read_message(s) == (0x1, b"echo:edited in the console")
        send_frame(s, 0x8, b"\x03\xe8", mask=True)
        c.keys("Q")
        c.exited_clean()
    finally:
        if s is not None:
            s.close()
        c.close()


def test_console_search_across_flows(console, echo_origin):
    """s searches every flow (mitmproxy #2088): plain text in bodies and
    headers, one line per flow with the text in context; Enter opens the
    flow at the hit, q comes back to the results; a filter works too."""
    c = console
    c.wait_listening()
    url = f"http://127.0.0.1:{echo_origin}/echo"
    text = ["-H", "Content-Type: text/plain"]
    for args in ([*text, "--data-binary", "first line\nalpha needle beta\n"],
                 ["--data-binary", "gamma"],
                 ["-H", "X-Probe: needle-header", "-d", "delta"]):
        rc, out, err = curl(*proxy(c), *args, url)
        assert rc == 0, err
    c.wait(r"\[\d/3\]")
    c.answer("s", r"^: console\.search\.all", "needle")
    c.wait(r"^2 of 3 flows match: needle")
    # A capture can catch the paint half done: wait for the last row too.
    s = c.wait(r"request header: X-Probe: needle-header")
    rows = [l for l in s.splitlines() if "/echo" in l]
    assert len(rows) == 2, s
    assert re.search(r"^>> POST http://127\.0\.0\.1:\d+/echo +request body: alpha needle beta",
                     rows[0]), rows
    assert re.search(r"request header: X-Probe: needle-header", rows[1]), rows
    c.save("25-search-all", s)
    # Enter: the flow view on the request, the line holding the hit.
    c.keys("Enter")
    s = c.wait(r"^Flow Details")
    s = c.wait(r"^alpha needle beta")
    c.save("26-search-all-open", s)
    c.keys("q")
    c.wait(r"^2 of 3 flows match")
    # A filter: the response bodies holding "gamma".
    c.answer("s", r"^: console\.search\.all", "~bs gamma")
    s = c.wait(r"^1 of 3 flows match: ~bs gamma")
    assert re.search(r"response body: body: gamma$", s, re.M), s
    c.keys("Q")
    c.exited_clean()


def test_console_search_answers_keys_while_it_runs(tmp_path):
    """A long search across flows runs in slices: its screen shows how far
    it got, a key is answered while it runs (? shows the help, q comes
    back to a search still under way), and esc stops it, keeping what it
    found. Each flow's response is 1 MB of gzip'd text, which the search
    decodes: seconds of work for 150 flows."""
    import gzip
    from mitmproxy.test import tflow
    body = gzip.compress(b"hay and straw " * 80000)

    def flow(i):
        f = tflow.tflow(resp=True)
        f.request.path = f"/flow/{i}"
        f.response.headers["content-encoding"] = "gzip"
        f.response.raw_content = body
        return f

    path = flow_file(tmp_path / "gzip.mitm", (flow(i) for i in range(150)))
    c = Console(tmp_path, args=["-r", str(path)])
    try:
        c.wait(r"\[1/150\]")
        c.answer("s", r"^: console\.search\.all", "needle")
        s = c.wait(r"^Searching 150 flows \(\d+%\), 0 match so far: needle")
        c.save("37-search-running", s)
        c.keys("?")
        s = c.wait(r"^Help")
        c.keys("q")
        s = c.wait(r"^(Searching 150 flows|0 of 150 flows)")
        c.save("38-search-after-help", s)
        assert re.search(r"^Searching 150 flows \(\d+%\)", s, re.M), \
            "the search ended before the key was answered:\n" + s
        c.keys("Escape")
        s = c.wait(r"^0 of \d+ flows searched match: needle")
        c.save("39-search-stopped", s)
        assert re.search(r"Search stopped: 0 of the \d+ flows searched match", s), s
        # Stopped: the screen stays as it is.
        time.sleep(0.5)
        assert re.search(r"^0 of \d+ flows searched match: needle", c.screen(), re.M)
        c.keys("q")
        c.wait(r"^Flows")
        c.keys("Q")
        c.exited_clean()
    finally:
        c.close()


def test_console_diff_marked_flows(console, echo_origin):
    """= with two flows marked shows their diff (mitmproxy #3853): the
    request lines and headers that differ, the JSON bodies line by line."""
    c = console
    c.wait_listening()
    url = f"http://127.0.0.1:{echo_origin}/echo"
    for agent, body in (("agent-one", '{"a": 1, "b": [1, 2], "c": "same"}'),
                        ("agent-two", '{"a": 1, "b": [1, 3], "c": "same"}')):
        rc, out, err = curl(*proxy(c), "-A", agent, "-H", "Content-Type: application/json",
                            "--data-binary", body, url)
        assert rc == 0, err
    c.wait(r"\[\d/2\]")
    c.keys("g", "m", "j", "m")
    c.keys("=")
    s = c.wait(r"^--- POST http://127\.0\.0\.1:\d+/echo")
    assert re.search(r"^\+\+\+ POST http://127\.0\.0\.1:\d+/echo", s, re.M), s
    assert re.search(r"^- User-Agent: agent-one$", s, re.M), s
    assert re.search(r"^\+ User-Agent: agent-two$", s, re.M), s
    lines = s.splitlines()
    i = lines.index("-         2")
    assert lines[i + 1] == "+         3", s
    assert re.search(r'^      "c": "same"$', s, re.M), s
    c.save("27-diff", s)
    c.keys("q")
    c.wait(r"^Flows")
    c.keys("Q")
    c.exited_clean()


def test_console_detail_server_certificate(tmp_path, tls_origin):
    """The Detail tab of a flow through a TLS origin: 8.1.1's "Server
    Certificate:" section of the certificate nginx serves, between the
    server and the client connections."""
    c = Console(tmp_path, args=["-k"])
    try:
        c.wait(r"^Flows")
        c.wait_listening()
        port = tls_origin["ports"]["odd"]
        rc, out, err = curl("-k", *proxy(c), f"https://localhost:{port}/hello.txt")
        assert rc == 0 and out == b"hello over tls\n", err
        c.wait(r"/hello\.txt +200")
        c.keys("Enter")
        c.wait(r"^Flow Details")
        c.keys("Tab", "Tab")
        s = c.wait(r"^Server Certificate:")
        lines = s.splitlines()
        i = next(n for n, l in enumerate(lines) if l.startswith("Server Certificate:"))
        keys = [l.strip().split("  ")[0] for l in lines[i + 1:i + 9]]
        assert keys == ["Type", "SHA256 digest", "Valid from", "Valid to", "Serial", "Subject",
                        "Issuer", "Alt names"], s
        assert lines[i + 1].rstrip() == "    Type           RSA, 2048 bits", s
        assert re.match(r"^    SHA256 digest  ([0-9a-f]{2} ){31}[0-9a-f]{2}$", lines[i + 2].rstrip()), s
        assert re.match(r"^    Valid from     \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$",
                        lines[i + 3].rstrip()), s
        assert lines[i + 6].rstrip() == "    Subject        CN  cn.example", s
        assert lines[i + 7].rstrip() == "    Issuer         CN  cn.example", s
        assert lines[i + 8].rstrip() == "    Alt names      san.example, localhost", s
        assert re.match(r"^ *Client Connection:", lines[i + 9]), s
        # 8.1.1's connection fields (flowdetailview): no TLS version for
        # the server; the client's TLS version, SNI, cipher and ALPN.
        server = [l.strip().split("  ")[0] for l in lines[lines.index("Server Connection:") + 1:i]]
        assert server == ["Address", "Resolved Address", "HTTP Version", "ALPN"], s
        j = i + 9
        end = lines.index("Timing:")
        client = {l.strip().split("  ")[0]: l.split("  ")[-1].strip() for l in lines[j + 1:end]}
        assert list(client) == ["Address", "HTTP Version", "TLS Version", "Server Name Indication",
                                "Cipher Name", "ALPN"], s
        assert client["TLS Version"] == "TLSv1.3" and client["Server Name Indication"] == "localhost"
        assert re.match(r"^TLS_[A-Z0-9_]+$", client["Cipher Name"]), s
        assert client["ALPN"] in ("h2", "http/1.1"), s
        c.save("37-detail-certificate", s)
        c.keys("Q")
        c.exited_clean()
    finally:
        c.close()
