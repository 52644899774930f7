"""
End-to-end: the rewriting addons (modify_body, modify_headers, map_remote,
map_local) in our mitmdump, driven by curl through the proxy to real
origins, with the options spelled as the seeds and mitmproxy 8.1.1 spell them.
"""
import gzip
import subprocess

import pytest

from conftest import binary, curl

# Remove this marker once src/tools/mitmdump.c builds them in.


def proxy(port):
    return ["-x", f"http://127.0.0.1:{port}"]


def test_modify_body_response(mitmdump, origin):
    _, port = mitmdump("--modify-body", "/~s/world/there")
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body == b"hello there\n"


def test_modify_body_request_and_replace_alias(mitmdump, origin):
    # The option text is escape-decoded before re.sub sees it: a single backslash
    # before 1 makes the byte 0x01, a doubled one the group reference. mitmproxy
    # 8.1.1 answers exactly this.
    _, port = mitmdump("--replace", ":~q:a=(\\d):a=\\g<1>\\1",
                       "--modify-body", ":~q:b=(\\d):b=\\g<1>\\\\1")
    rc, body, err = curl(*proxy(port), "--data-binary", "a=1&b=2", f"http://127.0.0.1:{origin}/form")
    assert rc == 0, err
    assert body == b"got 9 bytes: a=1\x01&b=22"


def test_modify_body_gzip_response(mitmdump, nginx_origin):
    nport, _ = nginx_origin
    _, port = mitmdump("--modify-body", "/~s/nginx/NGINX")
    rc, body, err = curl(*proxy(port), "-H", "Accept-Encoding: gzip",
                         f"http://127.0.0.1:{nport}/index.html")
    assert rc == 0, err
    assert gzip.decompress(body) == b"<h1>NGINX origin</h1>\n"


def test_modify_body_from_file(mitmdump, origin, tmp_path):
    f = tmp_path / "repl.txt"
    f.write_bytes(b"from a file")
    _, port = mitmdump("--modify-body", f":~s:hello world:@{f}")
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body == b"from a file\n"


def test_modify_headers_request_and_response(mitmdump, origin):
    _, port = mitmdump("--modify-headers", "/~q/User-Agent/mp-agent",
                       "--setheader", "/~s/X-Path/",
                       "--modify-headers", "/~s/X-Added/yes")
    rc, body, err = curl(*proxy(port), "-i", f"http://127.0.0.1:{origin}/echo-headers")
    assert rc == 0, err
    assert b"User-Agent: mp-agent\n" in body
    rc, body, err = curl(*proxy(port), "-i", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    head = body.split(b"\r\n\r\n")[0].lower()
    assert b"x-path:" not in head
    assert b"x-added: yes" in head


def test_map_remote(mitmdump, origin):
    _, port = mitmdump("--map-remote", "|/hello|/echo-headers")
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    # The origin's /echo-headers answered; Host now holds the bare host.
    assert b"Host: 127.0.0.1\n" in body


def test_map_local(mitmdump, tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "app.js").write_bytes(b"console.log(1);\n")
    _, port = mitmdump("--map-local", f"|example.invalid/static|{root}")
    rc, body, err = curl(*proxy(port), "-i", "http://example.invalid/static/app.js")
    assert rc == 0, err
    head, _, content = body.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"content-type: text/javascript" in head.lower()
    assert content == b"console.log(1);\n"
    rc, body, err = curl(*proxy(port), "-i", "http://example.invalid/static/missing.js")
    assert rc == 0, err
    assert body.startswith(b"HTTP/1.1 404")


def test_bad_specs_exit_2(tmp_path):
    for args, needle in [
        (["--modify-body", "/only-two"], "Cannot parse modify_body option /only-two"),
        (["--modify-headers", "|X-A|@/nonexistent/file"], "Invalid file path"),
        (["--map-remote", "/(/x"], "Invalid regular expression"),
        (["--map-local", "|x|/nonexistent/dir"], "Cannot parse map_local option"),
    ]:
        r = subprocess.run([binary("mitmdump"), "--listen-host", "127.0.0.1", "-p", "0",
                            "--set", f"confdir={tmp_path / 'conf'}", *args],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        out = r.stdout.decode("utf-8", "replace")
        assert r.returncode == 2, out
        assert needle in out, out
