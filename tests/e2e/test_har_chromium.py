"""
A HAR recorded by a browser loads with -r: playwright-core (tests/e2e/har,
installed by scripts/deps.sh from its lock file) drives Debian's chromium
against a page served on 127.0.0.1 and records a HAR; `mitmdump -n -r`
prints its requests, and `-w` writes a flow file that mitmproxy 8.1.1
reads with the same requests, responses and bodies.
"""
import http.server
import os
import subprocess
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("MP_BIN", "build/asan"))
HAR_DIR = os.path.join(ROOT, "tests", "e2e", "har")
CHROMIUM = "/usr/bin/chromium"

GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
       b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
FILES = {
    "/": ("text/html; charset=utf-8",
          b'<!doctype html><html><head><link rel="stylesheet" href="/style.css"></head>'
          b'<body>caf\xc3\xa9<img src="/pixel.gif"><script src="/app.js"></script></body></html>'),
    "/style.css": ("text/css", b"body { color: red }\n"),
    "/pixel.gif": ("image/gif", GIF),
    "/app.js": ("text/javascript",
                b'fetch("/echo?x=1", {method: "POST", headers: {"content-type": '
                b'"application/json"}, body: JSON.stringify({a: 1})});\n'),
}
POST_BODY = b'{"a":1}'


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ctype, body = FILES.get(self.path, ("text/plain", b"not found"))
        self.reply(200 if self.path in FILES else 404, ctype, body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.reply(200, "application/json", b'{"echo": %s}' % body)

    def reply(self, status, ctype, body):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def record(url, har):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: scripts/deps.sh test installs chromium")
    if not os.path.exists(os.path.join(HAR_DIR, "node_modules", "playwright-core")):
        pytest.fail("playwright-core is missing: scripts/deps.sh test runs npm ci in tests/e2e/har")
    proc = subprocess.run(["node", "record.js", url, str(har)], cwd=HAR_DIR,
                          capture_output=True, timeout=150)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")


def test_chromium_har_reads_and_writes_flows(site, tmp_path):
    har = tmp_path / "page.har"
    record(site + "/", har)

    out = tmp_path / "page.mitm"
    proc = subprocess.run([os.path.join(BIN, "mitmdump"), "-n", "-r", str(har), "-w", str(out)],
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    printed = proc.stdout.decode(errors="replace")
    for path in ["/", "/style.css", "/pixel.gif", "/app.js"]:
        assert f"GET {site}{path}\n" in printed
    assert f"POST {site}/echo?x=1\n" in printed

    from mitmproxy import io
    with open(out, "rb") as f:
        flows = list(io.FlowReader(f).stream())
    by_url = {f.request.url: f for f in flows}
    for path, (ctype, body) in FILES.items():
        f = by_url[site + path]
        assert f.request.method == "GET"
        assert f.response.status_code == 200
        assert f.response.headers["content-type"] == ctype
        assert f.response.content == body, path
    echo = by_url[site + "/echo?x=1"]
    assert echo.request.method == "POST"
    assert echo.request.content == POST_BODY
    assert echo.response.content == b'{"echo": %s}' % POST_BODY

    proc = subprocess.run(["/usr/bin/mitmdump", "-n", "-r", str(out)], capture_output=True,
                          timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
