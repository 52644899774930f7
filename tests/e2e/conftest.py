"""
Shared fixtures for the end-to-end tests: our built binaries (MP_BIN, the
sanitizer build by default), small origin servers on 127.0.0.1, and a
running mitmdump whose output the tests read.
"""
import os
import re
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("MP_BIN", "build/asan"))
FIXTURES = os.environ.get("MP_FIXTURES", os.path.join(ROOT, "..", "shared", "fixtures"))


def pytest_sessionstart(session):
    """Many tests read mitmproxy 8.1.1's reference flows: stop once, naming the folder,
    rather than failing each of them on its own."""
    if not os.path.exists(os.path.join(FIXTURES, "flows", "all.mitm")):
        pytest.exit(f"the reference fixtures are missing: {os.path.abspath(FIXTURES)}/flows/"
                    "all.mitm not found; they live in ../shared/fixtures beside the repository "
                    "(or set MP_FIXTURES)", returncode=1)


def binary(name):
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is not built; run `make test` (or `make asan`) first")
    return path


class Origin(BaseHTTPRequestHandler):
    """An origin server with one endpoint per behaviour the tests need."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path
        if path.startswith("/hello"):
            self._send(200, b"hello world\n", [("Content-Type", "text/plain"), ("X-Path", path)])
        elif path.startswith("/echo-headers"):
            body = "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode()
            self._send(200, body)
        elif path.startswith("/chunked"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first,", b"second,", b"third"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif path.startswith("/big/"):
            size = int(path.split("/")[2])
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            block = bytes(range(256)) * 256
            left = size
            while left:
                n = min(left, len(block))
                self.wfile.write(block[:n])
                left -= n
        elif path.startswith("/truncated"):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"only a part")
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif path.startswith("/close"):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self._send(404, b"not found\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(n)
        self._send(200, b"got " + str(len(body)).encode() + b" bytes: " + body[:64])

    do_PUT = do_POST


@pytest.fixture(scope="session")
def origin():
    """An HTTP/1.1 origin on 127.0.0.1; yields its port."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()


class Proc:
    """A running tool whose stdout is collected in the background."""

    def __init__(self, args, env=None):
        self.lines = []
        self.args = args
        self.p = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for raw in self.p.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def output(self):
        return "\n".join(self.lines)

    def wait_for(self, pattern, timeout=10):
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in list(self.lines):
                m = rx.search(line)
                if m:
                    return m
            if self.p.poll() is not None and not self._t.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no line matching {pattern!r} in output of {self.args}:\n" + self.output())

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(2)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self._t.join(5)
        return self.p.returncode


@pytest.fixture
def mitmdump(tmp_path):
    """Starts our mitmdump on a free port: mitmdump(*args) -> (proc, port). Its CA lives in
    a fresh conf dir under tmp_path ("conf") unless the test passes its own confdir=."""
    procs = []

    def start(*args, confdir=None, env=None):
        confdir = confdir or str(tmp_path / "conf")
        full_env = dict(os.environ, **(env or {}))
        proc = Proc([binary("mitmdump"), "--listen-host", "127.0.0.1", "-p", "0",
                     "--set", f"confdir={confdir}", *args], env=full_env)
        procs.append(proc)
        m = proc.wait_for(r"Proxy server listening at 127\.0\.0\.1:(\d+)")
        return proc, int(m.group(1))

    yield start
    for proc in procs:
        rc = proc.stop()
        out = proc.output()
        # The sanitizers report on exit; a clean shutdown is part of every test.
        assert "ERROR: AddressSanitizer" not in out, out
        assert "runtime error:" not in out, out
        assert "LeakSanitizer" not in out, out
        assert rc == 0, f"mitmdump exited with {rc}:\n{out}"


def curl(*args, timeout=20):
    """Runs curl; returns (returncode, stdout bytes, stderr text)."""
    r = subprocess.run(
        ["curl", "-sS", "--max-time", str(timeout), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=timeout + 5,
    )
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_nginx(d, http_body, ports):
    """Runs nginx in the foreground with its own config, pid and temp dirs under d, its
    http block being http_body; waits until every port accepts. Returns the process."""
    if not os.path.exists("/usr/sbin/nginx"):
        pytest.fail("nginx is not installed; `make test` installs it (scripts/deps.sh)")
    conf = d / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    {http_body}
}}
""")
    p = subprocess.Popen(["/usr/sbin/nginx", "-c", str(conf), "-p", str(d)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for port in ports:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            p.kill()
            pytest.fail("nginx did not start: " + (d / "error.log").read_text())
    return p


@pytest.fixture(scope="session")
def nginx_origin(tmp_path_factory):
    """nginx on 127.0.0.1 serving a few static files; yields (port, root dir)."""
    d = tmp_path_factory.mktemp("nginx")
    root = d / "html"
    root.mkdir()
    (root / "index.html").write_text("<h1>nginx origin</h1>\n")
    (root / "five-mib.bin").write_bytes(bytes(range(256)) * (5 * 4096))
    port = free_port()
    p = start_nginx(d, f"""
    gzip on;
    gzip_types text/plain;
    gzip_min_length 10;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location /chunked {{ return 200 "chunked body from nginx\\n"; }}
    }}""", [port])
    yield port, root
    p.terminate()
    p.wait(10)


def make_cert(d, name, cn, sans):
    """A self-signed certificate + key for a TLS origin (openssl CLI)."""
    key, cert = d / f"{name}-key.pem", d / f"{name}-cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "30", "-subj", f"/CN={cn}",
                    "-addext", "subjectAltName=" + ",".join(sans)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


@pytest.fixture(scope="session")
def tls_origin(tmp_path_factory):
    """nginx with TLS on 127.0.0.1: `plain` (CN=localhost, SAN localhost + 127.0.0.1) and
    `odd` (CN=cn.example, SANs san.example + localhost). Yields a dict of ports and certs."""
    d = tmp_path_factory.mktemp("tls-nginx")
    root = d / "html"
    root.mkdir()
    (root / "hello.txt").write_text("hello over tls\n")
    plain = make_cert(d, "plain", "localhost", ["DNS:localhost", "IP:127.0.0.1"])
    odd = make_cert(d, "odd", "cn.example", ["DNS:san.example", "DNS:localhost"])
    # A client certificate (self-signed, so it is its own trust anchor for nginx).
    client = make_cert(d, "client", "proxy-client", ["DNS:proxy-client"])
    client_pem = d / "client-bundle.pem"
    client_pem.write_bytes(client[1].read_bytes() + client[0].read_bytes())
    ports = {"plain": free_port(), "odd": free_port(), "mtls": free_port()}
    servers = "".join(f"""
    server {{
        listen 127.0.0.1:{ports[n]} ssl;
        ssl_certificate {c};
        ssl_certificate_key {k};
        root {root};
    }}""" for n, (c, k) in (("plain", plain), ("odd", odd)))
    servers += f"""
    server {{
        listen 127.0.0.1:{ports["mtls"]} ssl;
        ssl_certificate {plain[0]};
        ssl_certificate_key {plain[1]};
        ssl_client_certificate {client[0]};
        ssl_verify_client on;
        root {root};
    }}"""
    p = start_nginx(d, servers, ports.values())
    yield {"ports": ports, "plain_cert": str(plain[0]), "odd_cert": str(odd[0]), "dir": d,
           "client_bundle": str(client_pem)}
    p.terminate()
    p.wait(10)


@pytest.fixture(scope="session")
def nginx_h2_origin(tmp_path_factory):
    """nginx speaking HTTP/2 on 127.0.0.1: `tls` (h2 and http/1.1 by ALPN, CN=localhost, SAN
    localhost + 127.0.0.1) and `h2c` (cleartext HTTP/2 with prior knowledge only: nginx 1.22's
    `listen ... http2;` without ssl). Both serve index.html, hello.txt and five-mib.bin;
    /trailers/t.txt carries a response trailer (x-trailer: from nginx). Yields a dict of
    ports, cert and root."""
    d = tmp_path_factory.mktemp("nginx-h2")
    root = d / "html"
    root.mkdir()
    (root / "index.html").write_text("<h1>nginx h2 origin</h1>\n")
    (root / "hello.txt").write_text("hello over h2\n")
    (root / "five-mib.bin").write_bytes(bytes(range(256)) * (5 * 4096))
    cert, key = make_cert(d, "h2", "localhost", ["DNS:localhost", "IP:127.0.0.1"])
    ports = {"tls": free_port(), "h2c": free_port()}
    (root / "trailers").mkdir()
    (root / "trailers" / "t.txt").write_text("body with a trailer\n")
    # nginx 1.22 sends add_trailer fields for static files, not for `return` bodies.
    locations = f"""
        root {root};
        http2_max_concurrent_streams 128;
        keepalive_requests 100000;
        location /trailers/ {{
            add_trailer X-Trailer "from nginx" always;
        }}"""
    p = start_nginx(d, f"""
    server {{
        listen 127.0.0.1:{ports["tls"]} ssl http2;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        {locations}
    }}
    server {{
        listen 127.0.0.1:{ports["h2c"]} http2;
        {locations}
    }}""", ports.values())
    yield {"ports": ports, "cert": str(cert), "root": root}
    p.terminate()
    p.wait(10)
