"""
End-to-end: the traffic addons (anticache, anticomp, stickycookie,
stickyauth, proxyauth) in our mitmdump, driven with curl against origins on
127.0.0.1. The expectations are mitmproxy 8.1.1's behaviour.
"""
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import binary, curl

HTPASSWD = (
    # htpasswd -nbB alice bcrypt-pw
    "alice:$2y$05$Du1PfidSoEVHioemsoQIu.J0l1MnlJMtR.Zy.VwTv1UQfJ15VMKZu\n"
    # htpasswd -nbm bob apr1-pw
    "bob:$apr1$oiLZUtqB$7ArzifMrBULH6x657Sy/60\n"
    # htpasswd -nbs carol sha-pw
    "carol:{SHA}O/MvdjOwOQpt8I9HBSVZugThPMw=\n"
)


class CookieOrigin(BaseHTTPRequestHandler):
    """/set?name=value sets a cookie; every path echoes the request headers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode()
        self.send_response(200)
        if self.path.startswith("/set?"):
            self.send_header("Set-Cookie", self.path[5:] + "; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def echo_origin():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), CookieOrigin)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def proxy(port):
    return ["-x", f"http://127.0.0.1:{port}"]


def headers_seen(body):
    """The origin's echo as a dict with lower-case names."""
    out = {}
    for line in body.decode().splitlines():
        k, _, v = line.partition(": ")
        out[k.lower()] = v
    return out


def test_anticache_strips_conditional_headers(mitmdump, echo_origin):
    _, port = mitmdump("--set", "anticache=true")
    rc, body, err = curl(*proxy(port), "-H", "If-None-Match: \"x\"",
                         "-H", "If-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT",
                         f"http://127.0.0.1:{echo_origin}/")
    assert rc == 0, err
    seen = headers_seen(body)
    assert "if-none-match" not in seen and "if-modified-since" not in seen
    assert "user-agent" in seen


def test_anticomp_asks_for_identity(mitmdump, echo_origin):
    _, port = mitmdump("--set", "anticomp=true")
    rc, body, err = curl(*proxy(port), "-H", "Accept-Encoding: gzip, br",
                         f"http://127.0.0.1:{echo_origin}/")
    assert rc == 0, err
    assert headers_seen(body)["accept-encoding"] == "identity"


def test_options_off_change_nothing(mitmdump, echo_origin):
    _, port = mitmdump()
    rc, body, err = curl(*proxy(port), "-H", "Accept-Encoding: gzip", "-H", "If-None-Match: x",
                         f"http://127.0.0.1:{echo_origin}/")
    assert rc == 0, err
    seen = headers_seen(body)
    assert seen["accept-encoding"] == "gzip" and seen["if-none-match"] == "x"


def test_stickycookie_replays_cookies(mitmdump, echo_origin):
    _, port = mitmdump("--set", "stickycookie=~d 127.0.0.1")
    url = f"http://127.0.0.1:{echo_origin}"
    rc, _, err = curl(*proxy(port), f"{url}/set?session=abc123")
    assert rc == 0, err
    rc, body, err = curl(*proxy(port), f"{url}/next")
    assert rc == 0, err
    assert headers_seen(body)["cookie"] == "session=abc123"


def test_stickyauth_replays_authorization(mitmdump, echo_origin):
    _, port = mitmdump("--set", "stickyauth=~all")
    url = f"http://127.0.0.1:{echo_origin}/"
    rc, _, err = curl(*proxy(port), "-u", "user:secret", url)
    assert rc == 0, err
    rc, body, err = curl(*proxy(port), url)
    assert rc == 0, err
    assert headers_seen(body)["authorization"] == "Basic dXNlcjpzZWNyZXQ="


def status_of(*args):
    rc, out, err = curl("-o", "/dev/null", "-w", "%{http_code}", *args)
    return out.decode()


def test_proxyauth_single_user(mitmdump, echo_origin):
    _, port = mitmdump("--set", "proxyauth=user:pass")
    url = f"http://127.0.0.1:{echo_origin}/"
    rc, head, err = curl(*proxy(port), "-i", url)
    assert rc == 0, err
    assert head.startswith(b"HTTP/1.1 407 Proxy Authentication Required")
    assert b'Proxy-Authenticate: Basic realm="mitmproxy"' in head
    assert status_of(*proxy(port), "--proxy-user", "user:wrong", url) == "407"
    rc, body, err = curl(*proxy(port), "--proxy-user", "user:pass", url)
    assert rc == 0, err
    seen = headers_seen(body)
    assert "proxy-authorization" not in seen and "user-agent" in seen


def test_proxyauth_htpasswd(mitmdump, echo_origin, tmp_path):
    f = tmp_path / "htpasswd"
    f.write_text(HTPASSWD)
    _, port = mitmdump("--set", f"proxyauth=@{f}")
    url = f"http://127.0.0.1:{echo_origin}/"
    for cred in ("alice:bcrypt-pw", "bob:apr1-pw", "carol:sha-pw"):
        assert status_of(*proxy(port), "--proxy-user", cred, url) == "200", cred
    assert status_of(*proxy(port), "--proxy-user", "alice:apr1-pw", url) == "407"
    assert status_of(*proxy(port), url) == "407"


def test_proxyauth_connect_authenticates_the_tunnel(mitmdump, echo_origin):
    _, port = mitmdump("--set", "proxyauth=any")
    url = f"http://127.0.0.1:{echo_origin}/"
    # -p tunnels through CONNECT; curl sends the credentials with the CONNECT only.
    rc, body, err = curl(*proxy(port), "-p", "--proxy-user", "u:p", url, url)
    assert rc == 0, err
    assert body.count(b"User-Agent") == 2
    assert b"Proxy-Authorization" not in body
    rc, _, err = curl(*proxy(port), "-p", url)
    assert rc != 0 and "407" in err


def test_proxyauth_reverse_mode_uses_401(mitmdump, echo_origin):
    _, port = mitmdump("--mode", f"reverse:http://127.0.0.1:{echo_origin}",
                       "--set", "proxyauth=user:pass")
    url = f"http://127.0.0.1:{port}/"
    rc, head, err = curl("-i", url)
    assert rc == 0, err
    assert head.startswith(b"HTTP/1.1 401 Unauthorized")
    assert b'WWW-Authenticate: Basic realm="mitmproxy"' in head
    rc, body, err = curl("-u", "user:pass", url)
    assert rc == 0, err
    assert "authorization" not in headers_seen(body)


@pytest.mark.parametrize("spec,needle", [
    ("@/nonexistent/htpasswd", "/nonexistent/htpasswd"),
    ("ldap:localhost:cn=a:pw:dc=b", "not supported"),
    ("nocolon", "Invalid proxyauth specification"),
])
def test_proxyauth_bad_specification_stops_startup(tmp_path, spec, needle):
    r = subprocess.run([binary("mitmdump"), "--listen-host", "127.0.0.1", "-p", "0",
                        "--set", f"confdir={tmp_path}", "--set", f"proxyauth={spec}"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    assert r.returncode != 0
    assert needle in r.stdout.decode()
