"""
End-to-end: mitmproxy 8.1.1's own example addons
(/usr/share/doc/mitmproxy/examples/addons/, from Debian's mitmproxy
package), unchanged, through our mitmdump, each checked by what it is
meant to do.
"""
import os
import socket
import subprocess

import pytest

from conftest import FIXTURES, binary, curl
from test_tcp import connect, echo_server as tcp_echo, exchange
from test_websocket import echo_server as ws_echo, handshake, read_message, send_frame

EXAMPLES = "/usr/share/doc/mitmproxy/examples/addons"


def example(name):
    path = os.path.join(EXAMPLES, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: Debian's mitmproxy package provides it")
    return path


def proxied(port, *args):
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-i", *args)
    assert rc == 0, err
    return body


def test_http_modify_query_string(mitmdump, origin):
    _, port = mitmdump("-s", example("http-modify-query-string.py"))
    body = proxied(port, f"http://127.0.0.1:{origin}/hello?a=1")
    assert b"X-Path: /hello?a=1&mitmproxy=rocks" in body


def test_http_modify_form(mitmdump, origin):
    _, port = mitmdump("-s", example("http-modify-form.py"))
    body = proxied(port, "-d", "a=1", f"http://127.0.0.1:{origin}/post")
    assert b"a=1&mitmproxy=rocks" in body


def test_http_add_header_and_options_simple(mitmdump, origin):
    _, port = mitmdump("-s", example("http-add-header.py"), "-s", example("options-simple.py"),
                       "--set", "addheader=true")
    body = proxied(port, f"http://127.0.0.1:{origin}/hello")
    body = proxied(port, f"http://127.0.0.1:{origin}/hello")
    # Both count responses, each in its own addon: the second sets it again.
    assert body.count(b"count: 2") == 1 and b"count: 1" not in body


def test_http_reply_from_proxy(mitmdump):
    _, port = mitmdump("-s", example("http-reply-from-proxy.py"))
    body = proxied(port, "http://example.com/path")
    assert body.startswith(b"HTTP/1.1 200") and body.endswith(b"Hello World")


def test_websocket_simple(mitmdump):
    port = ws_echo()
    proc, pport = mitmdump("-s", example("websocket-simple.py"))
    s = socket.create_connection(("127.0.0.1", pport), timeout=10)
    handshake(s, port, f"http://127.0.0.1:{port}/chat")
    assert read_message(s) == (0x1, b"welcome")
    send_frame(s, 0x1, b"Hello there", mask=True)
    assert read_message(s) == (0x1, b"echo:HAPPY there")
    send_frame(s, 0x1, b"FOOBAR", mask=True)
    send_frame(s, 0x1, b"last", mask=True)
    assert read_message(s) == (0x1, b"echo:last")
    s.close()
    proc.wait_for(r"Client sent a message: b'Hello there'")


def test_tcp_simple(mitmdump):
    port = tcp_echo()
    proc, pport = mitmdump("-s", example("tcp-simple.py"), "--tcp-hosts", ".*")
    s = connect(pport, port)
    assert exchange(s, b"foo!") == b"echo:bar!"
    s.close()
    proc.wait_for(r"tcp_message\[from_client=True\), content=bar!\]")


def test_nonblocking(mitmdump, origin):
    proc, port = mitmdump("-s", example("nonblocking.py"))
    proxied(port, f"http://127.0.0.1:{origin}/hello")
    proc.wait_for("start  request: 127.0.0.1/hello")


def test_commands_simple_and_log_events(tmp_path):
    caller = tmp_path / "caller.py"
    caller.write_text("from mitmproxy import ctx\n"
                      "def running():\n"
                      "    ctx.master.commands.execute('myaddon.inc')\n"
                      "    ctx.master.commands.call('myaddon.inc')\n"
                      "    ctx.master.shutdown()\n")
    r = subprocess.run([binary("mitmdump"), "-n", "-s", example("commands-simple.py"),
                        "-s", example("log-events.py"), "-s", str(caller)],
                       capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode()
    assert r.returncode == 0, out
    assert "num = 1" in out and "num = 2" in out
    assert "This is a warning." in out and "This is an error." in out


def test_filter_flows_and_io_write_flow_file(tmp_path):
    from mitmproxy import io as mio

    src = os.path.join(FIXTURES, "flows", "get-query.mitm")
    out = tmp_path / "written.mitm"
    # io-write-flow-file.py keeps each flow or not by random.choice(); seeded so that it
    # keeps the first three (the scripts share the random module).
    seed = tmp_path / "seed.py"
    seed.write_text("import random\nrandom.seed(2)\n")
    # io-write-flow-file.py takes its file from sys.argv[1]: the -s string's argument.
    r = subprocess.run([binary("mitmdump"), "-n", "-s", str(seed), "-s", example("filter-flows.py"),
                        "-s", f"{example('io-write-flow-file.py')} {out}",
                        "--set", "flowfilter=~s", "-r", src], capture_output=True, timeout=60)
    text = (r.stdout + r.stderr).decode()
    assert r.returncode == 0, text
    assert "Flow matches filter:" in text
    with open(src, "rb") as f:
        before = list(mio.FlowReader(f).stream())
    with open(out, "rb") as f:
        after = list(mio.FlowReader(f).stream())
    want = [b.id for b in before if b.response]
    assert 0 < len(want) <= 3
    assert [a.id for a in after] == want


def test_io_read_saved_flows(tmp_path):
    # The file comes from the -s string's argument; each flow is printed with
    # get_state(), 8.1.1's state dict of the flow-file record.
    src = os.path.join(FIXTURES, "flows", "get-query.mitm")
    # The script reads while it loads; an empty -r makes the run end after
    # it (with -n and nothing to read, mitmdump runs until stopped).
    r = subprocess.run([binary("mitmdump"), "-n", "-r", os.devnull,
                        "--set", f"confdir={tmp_path / 'conf'}",
                        "-s", f"{example('io-read-saved-flows.py')} {src}"],
                       capture_output=True, timeout=60)
    text = (r.stdout + r.stderr).decode()
    assert r.returncode == 0, text
    assert "Traceback" not in text, text
    assert "<HTTPFlow request=Request(GET " in text, text
    assert "'type': 'http'," in text and "'version': 17" in text, text
    assert "'method': b'GET'," in text, text
