"""
build/mitmweb's API (src/web/README.md) against real traffic: curl through
the running proxy to an origin on 127.0.0.1, the API read and driven with
urllib, the /updates WebSocket with a client written on the socket module.
Every security rule is tried with a way in that must be refused.
"""
import base64
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import FIXTURES, ROOT, Proc, binary, curl, free_port


class Web:
    """A running mitmweb: its proxy port, its web port and its token."""

    def __init__(self, proc, proxy_port, web_port, token):
        self.proc = proc
        self.proxy_port = proxy_port
        self.port = web_port
        self.token = token
        self.base = f"http://127.0.0.1:{web_port}"

    def request(self, method, path, body=None, headers=None, auth=True, ctype=None):
        """(status, headers, body bytes); auth=True sends the token as Bearer."""
        h = dict(headers or {})
        if auth:
            h.setdefault("Authorization", f"Bearer {self.token}")
        data = body
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            ctype = ctype or "application/json"
        if ctype:
            h["Content-Type"] = ctype
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, method, path, body=None, **kw):
        status, _, data = self.request(method, path, body, **kw)
        assert status == 200, (status, data)
        return json.loads(data) if data else None

    def raw(self, data):
        """Bytes sent on a socket of their own; the answer until the server closes
        or 2 s pass."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.sendall(data)
        out = b""
        s.settimeout(2)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
                if b"\r\n\r\n" in out:
                    head, _, rest = out.partition(b"\r\n\r\n")
                    m = re.search(rb"Content-Length: (\d+)", head)
                    if m and len(rest) >= int(m.group(1)):
                        break
        except socket.timeout:
            pass
        s.close()
        return out

    def flows(self):
        return self.json("GET", "/flows")

    def wait_flows(self, n, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            fl = self.flows()
            if len(fl) >= n and all("response" in f or "error" in f for f in fl[:n]):
                return fl
            time.sleep(0.05)
        raise AssertionError(f"not {n} finished flows: {self.flows()}")

    def wait_flow(self, fid, done=lambda f: "response" in f or "error" in f, timeout=10):
        """Flow fid as soon as done(flow) holds (by default: it has finished)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            g = [f for f in self.flows() if f["id"] == fid]
            if g and done(g[0]):
                return g[0]
            time.sleep(0.05)
        raise AssertionError(f"{fid} not as awaited: {self.flows()}")

    def wait_held(self, timeout=10):
        """The intercepted flows, as soon as there is one."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            held = [f for f in self.flows() if f["intercepted"]]
            if held:
                return held
            time.sleep(0.05)
        raise AssertionError(f"no intercepted flow: {self.flows()}")


@pytest.fixture
def mitmweb(tmp_path):
    procs = []

    def start(*args):
        proc = Proc([binary("mitmweb"), "--listen-host", "127.0.0.1", "-p", "0",
                     "--set", f"confdir={tmp_path / 'conf'}", "--set", "web_port=0",
                     "--set", "web_open_browser=false", *args])
        procs.append(proc)
        m = proc.wait_for(r"Web server listening at http://127\.0\.0\.1:(\d+)/(\?token=([0-9a-f]+))?")
        p = proc.wait_for(r"Proxy server listening at 127\.0\.0\.1:(\d+)")
        return Web(proc, int(p.group(1)), int(m.group(1)), m.group(3))

    yield start
    for proc in procs:
        rc = proc.stop()
        out = proc.output()
        assert "ERROR: AddressSanitizer" not in out, out
        assert "runtime error:" not in out, out
        assert "LeakSanitizer" not in out, out
        assert rc == 0, f"mitmweb exited with {rc}:\n{out}"


def through(web, origin, path="/hello", *args):
    return curl("-x", f"http://127.0.0.1:{web.proxy_port}", *args,
                f"http://127.0.0.1:{origin}{path}")


# ---- a WebSocket client on the socket module -------------------------------------


class WS:
    def __init__(self, web, path="/updates", headers=None, token=True):
        self.s = socket.create_connection(("127.0.0.1", web.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        h = {"Host": f"127.0.0.1:{web.port}", "Upgrade": "websocket", "Connection": "Upgrade",
             "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13"}
        if token:
            path += ("&" if "?" in path else "?") + f"token={web.token}"
        h.update(headers or {})
        req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
        self.s.sendall(req.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1]) if head else 0

    def _need(self, n, deadline):
        while len(self.buf) < n:
            self.s.settimeout(max(0.01, deadline - time.time()))
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("closed")
            self.buf += chunk

    def recv(self, timeout=10):
        """The next message: (opcode, payload)."""
        deadline = time.time() + timeout
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4, deadline)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, deadline)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n, deadline)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0F, payload

    def messages(self, until, timeout=10):
        """JSON messages until one satisfies until(msg); returns them all."""
        out = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            op, p = self.recv(max(0.01, deadline - time.time()))
            if op == 1:
                m = json.loads(p)
                out.append(m)
                if until(m):
                    return out
        raise AssertionError(f"no matching message in {out}")

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        head = bytes([0x81])
        if len(data) < 126:
            head += bytes([0x80 | len(data)])
        else:
            head += bytes([0x80 | 126]) + struct.pack("!H", len(data))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.s.sendall(head + mask + masked)

    def close(self):
        self.s.close()


# ---- authentication and the other rules -----------------------------------------


def test_token_is_printed_and_required(mitmweb, origin):
    web = mitmweb()
    assert len(web.token) == 32
    assert web.request("GET", "/flows", auth=False)[0] == 403
    assert web.request("GET", "/flows?token=" + "0" * 32, auth=False)[0] == 403
    assert web.request("GET", "/flows", auth=False,
                       headers={"Authorization": "Bearer nope"})[0] == 403
    # The page without a token: the login form, 403.
    status, _, body = web.request("GET", "/", auth=False)
    assert status == 403 and b"<form" in body
    # The token URL: the app and a cookie that lets the next request in alone.
    status, headers, body = web.request("GET", f"/?token={web.token}", auth=False)
    assert status == 200 and b"<html" in body.lower()
    cookies = headers.get_all("Set-Cookie")
    auth = [c for c in cookies if c.startswith(f"mitmproxy-auth-{web.port}=")]
    assert auth and "HttpOnly" in auth[0] and "SameSite=Strict" in auth[0]
    cookie = auth[0].split(";")[0]
    assert web.request("GET", "/flows", auth=False, headers={"Cookie": cookie})[0] == 200
    forged = f"mitmproxy-auth-{web.port}=" + "0" * 64
    assert web.request("GET", "/flows", auth=False, headers={"Cookie": forged})[0] == 403
    # The WebSocket without the token: refused before the upgrade.
    ws = WS(web, token=False)
    assert ws.status == 403
    ws.close()


def test_web_password_replaces_the_token(mitmweb):
    web = mitmweb("--set", "web_password=hunter2", "--set", "web_columns=path")
    assert web.token is None
    web.token = "hunter2"
    assert web.json("GET", "/flows") == []
    assert web.request("GET", "/flows?token=hunter3", auth=False)[0] == 403
    assert web.json("GET", "/options")["web_columns"]["value"] == ["path"]


def test_listens_on_loopback_only(mitmweb):
    web = mitmweb()
    # /proc/net/tcp lists listening sockets (state 0A) by address:port in hex.
    local = []
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            addr, port = parts[1].split(":")
            if parts[3] == "0A" and int(port, 16) == web.port:
                local.append(addr)
    assert local == ["0100007F"], local


def test_writes_need_the_xsrf_token(mitmweb, origin):
    web = mitmweb()
    assert through(web, origin)[0] == 0
    web.wait_flows(1)
    _, headers, _ = web.request("GET", f"/?token={web.token}", auth=False)
    jar = dict(c.split(";")[0].split("=", 1) for c in headers.get_all("Set-Cookie"))
    auth = f"mitmproxy-auth-{web.port}={jar[f'mitmproxy-auth-{web.port}']}"
    xsrf = jar["_mitmproxy_xsrf"]
    both = f"{auth}; _mitmproxy_xsrf={xsrf}"
    # The cookie alone (what a forged form would carry): refused, nothing cleared.
    assert web.request("POST", "/clear", b"", auth=False, headers={"Cookie": both})[0] == 403
    assert web.request("POST", "/clear", b"", auth=False,
                       headers={"Cookie": both, "X-XSRFToken": "x" * 64})[0] == 403
    # Cross-site, even with everything right.
    assert web.request("POST", "/clear", b"", auth=False,
                       headers={"Cookie": both, "X-XSRFToken": xsrf,
                                "Sec-Fetch-Site": "cross-site"})[0] == 403
    assert web.request("POST", "/clear", b"", headers={"Sec-Fetch-Site": "same-site"})[0] == 403
    assert len(web.flows()) == 1
    # The app's way: the cookie echoed in X-XSRFToken, same origin.
    assert web.request("POST", "/clear", b"", auth=False,
                       headers={"Cookie": both, "X-XSRFToken": xsrf,
                                "Sec-Fetch-Site": "same-origin"})[0] == 200
    assert web.flows() == []


def test_dns_rebinding_gets_nothing(mitmweb, origin):
    web = mitmweb()
    assert through(web, origin)[0] == 0
    web.wait_flows(1)
    # A foreign page whose name resolves to 127.0.0.1: its Host and Origin are its own.
    for method, path in [("GET", "/flows"), ("POST", "/clear"), ("GET", "/")]:
        req = (f"{method} {path} HTTP/1.1\r\nHost: rebind.example:{web.port}\r\n"
               f"Origin: http://rebind.example:{web.port}\r\nContent-Length: 0\r\n\r\n")
        resp = web.raw(req.encode())
        assert resp.startswith(b"HTTP/1.1 403"), resp
        assert b'"id"' not in resp
        # Not even the token opens a foreign Host.
        req = (f"{method} {path}?token={web.token} HTTP/1.1\r\nHost: rebind.example:{web.port}\r\n"
               "Content-Length: 0\r\n\r\n")
        assert web.raw(req.encode()).startswith(b"HTTP/1.1 403")
    assert len(web.flows()) == 1
    ws = WS(web, headers={"Host": f"rebind.example:{web.port}",
                          "Origin": f"http://rebind.example:{web.port}"})
    assert ws.status == 403
    ws.close()
    ws = WS(web, headers={"Origin": "http://evil.example"})
    assert ws.status == 403
    ws.close()


def test_the_proxy_does_not_lead_to_the_ui(mitmweb, origin):
    """CVE-2025-23217: a request sent through the proxy to the UI's port."""
    web = mitmweb()
    assert through(web, origin)[0] == 0
    web.wait_flows(1)
    proxy = f"http://127.0.0.1:{web.proxy_port}"
    rc, out, _ = curl("-x", proxy, "-o", "/dev/null", "-w", "%{http_code}",
                      f"http://127.0.0.1:{web.port}/flows")
    assert out == b"403"
    rc, out, _ = curl("-x", proxy, "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                      f"http://127.0.0.1:{web.port}/clear")
    assert out == b"403"
    rc, out, _ = curl("-x", proxy, "-o", "/dev/null", "-w", "%{http_code}",
                      f"http://localhost:{web.port}/flows/dump")
    assert out == b"403"
    # A CONNECT tunnel to the UI's port: the bytes arrive without the token.
    rc, out, _ = curl("-p", "-x", proxy, "-o", "/dev/null", "-w", "%{http_code}",
                      f"http://127.0.0.1:{web.port}/flows")
    assert out == b"403"
    assert len([f for f in web.flows() if f["request"]["port"] == origin]) == 1


# ---- routes ---------------------------------------------------------------------


def test_flows_list_window_and_bodies(mitmweb, origin):
    web = mitmweb()
    for i in range(3):
        assert through(web, origin, f"/hello/{i}")[0] == 0
    assert through(web, origin, "/echo-headers", "-d", "posted=1")[0] == 0
    flows = web.wait_flows(4)
    f = flows[0]
    assert f["type"] == "http" and f["request"]["path"] == "/hello/0"
    assert f["request"]["pretty_host"] == "127.0.0.1"
    assert f["response"]["status_code"] == 200
    assert f["response"]["contentLength"] == 12
    assert ["Content-Type", "text/plain"] in [list(h) for h in f["response"]["headers"]]
    assert f["client_conn"]["peername"][0] == "127.0.0.1"
    assert f["server_conn"]["address"] == ["127.0.0.1", origin]
    assert web.json("GET", "/flows.json") == flows

    win = web.json("GET", "/flows?offset=1&limit=2")
    assert win["total"] == 4 and win["offset"] == 1
    assert [x["id"] for x in win["flows"]] == [flows[1]["id"], flows[2]["id"]]
    win = web.json("GET", f"/flows?filter=~m%20POST&limit=10&id={flows[3]['id']}")
    assert win["total"] == 1 and win["index"] == 0
    win = web.json("GET", "/flows?order=url&reverse=1&limit=1")
    assert win["flows"][0]["request"]["path"] == "/hello/2"
    assert web.request("GET", "/flows?filter=~nonsense")[0] == 400

    status, headers, body = web.request("GET", f"/flows/{f['id']}/response/content.data")
    assert status == 200 and body == b"hello world\n"
    assert headers["Content-Disposition"] == "attachment; filename=0"
    view = web.json("GET", f"/flows/{f['id']}/response/content/raw.json")
    assert view["text"] == "hello world" and view["view_name"] == "Raw"
    view = web.json("GET", f"/flows/{flows[3]['id']}/request/content/Auto.json?lines=1")
    assert view["view_name"] == "URL-encoded"
    assert view["lines"] == [[["header", "posted: "], ["text", "1"]]]
    assert web.request("GET", "/flows/0000-dead/request/content.data")[0] == 404
    assert web.request("GET", f"/flows/{f['id']}/messages/content/auto.json")[0] == 400


def test_flows_list_shape_and_one_flow(mitmweb, origin):
    """Ours: /flows?list=1 sends each row with only what the app's table
    shows (the default shape stays mitmweb's, key for key), and
    GET /flows/<id> the whole flow for the detail pane."""
    web = mitmweb()
    assert through(web, origin, "/hello/0")[0] == 0
    assert through(web, origin, "/echo-headers", "-d", "posted=1")[0] == 0
    full = web.wait_flows(2)
    status, _, body = web.request("GET", "/flows?offset=0&limit=10&list=1")
    assert status == 200
    rows = json.loads(body)["flows"]
    assert [r["id"] for r in rows] == [f["id"] for f in full]
    r, f = rows[0], full[0]
    for k in ("id", "type", "intercepted", "is_replay", "marked", "comment", "timestamp_created"):
        assert r[k] == f[k], k
    for k in ("method", "scheme", "host", "port", "path", "http_version", "pretty_host",
              "contentLength", "timestamp_start"):
        assert r["request"][k] == f["request"][k], k
    assert r["request"]["headers"] == []
    assert r["response"]["status_code"] == 200 and r["response"]["contentLength"] == 12
    assert r["response"]["timestamp_end"] == f["response"]["timestamp_end"]
    assert r["response"]["headers"] == [["Content-Type", "text/plain"]]
    assert r["client_conn"]["tls_established"] is False
    assert r["server_conn"]["address"] == f["server_conn"]["address"]
    assert "contentHash" not in r["request"] and "cert" not in r["client_conn"]
    # A fraction of the whole: under half even for curl's few headers.
    assert len(body) * 2 < len(json.dumps({"flows": full}))
    # Without list=1 nothing changes.
    assert web.json("GET", "/flows?offset=0&limit=10")["flows"] == full
    assert web.json("GET", f"/flows/{f['id']}") == f
    assert web.request("GET", "/flows/0000-dead")[0] == 404


def test_dump_and_upload(mitmweb, origin, tmp_path):
    web = mitmweb()
    for i in range(2):
        assert through(web, origin, f"/hello/{i}")[0] == 0
    web.wait_flows(2)
    status, headers, dump = web.request("GET", "/flows/dump")
    assert status == 200 and headers["Content-Type"] == "application/octet-stream"
    # Our own mitmdump reads it back.
    path = tmp_path / "dump.mitm"
    path.write_bytes(dump)
    out = subprocess.run([binary("mitmdump"), "-n", "-r", str(path)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=60).stdout.decode()
    assert "/hello/0" in out and "/hello/1" in out
    status, _, one = web.request("GET", "/flows/dump?filter=~u%20/hello/1")
    assert status == 200 and len(one) < len(dump) and b"/hello/1" in one
    assert web.request("GET", "/flows/dump?filter=~bad")[0] == 400
    # Ours: the same as HAR, which our mitmdump reads too.
    status, headers, har_bytes = web.request("GET", "/flows/dump?format=har")
    assert status == 200 and headers["Content-Disposition"] == "attachment; filename=flows.har"
    entries = json.loads(har_bytes)["log"]["entries"]
    assert [e["request"]["url"] for e in entries] == [
        f"http://127.0.0.1:{origin}/hello/0", f"http://127.0.0.1:{origin}/hello/1"]
    assert web.request("GET", "/flows/dump?format=xml")[0] == 400

    # Uploading replaces the flows (the upload is read in the background).
    assert web.request("POST", "/clear", b"")[0] == 200
    assert web.flows() == []
    assert web.request("POST", "/flows/dump", one, ctype="application/octet-stream")[0] == 200
    deadline = time.time() + 10
    while time.time() < deadline and len(web.flows()) != 1:
        time.sleep(0.05)
    assert [f["request"]["path"] for f in web.flows()] == ["/hello/1"]
    # A HAR file, as a multipart upload.
    har = {"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [{
        "startedDateTime": "2024-01-01T00:00:00.000Z", "time": 1,
        "request": {"method": "GET", "url": "http://har.example/from-har", "httpVersion": "HTTP/1.1",
                    "headers": [], "queryString": [], "cookies": [], "headersSize": -1,
                    "bodySize": 0},
        "response": {"status": 204, "statusText": "No Content", "httpVersion": "HTTP/1.1",
                     "headers": [], "cookies": [], "content": {"size": 0, "mimeType": ""},
                     "redirectURL": "", "headersSize": -1, "bodySize": 0},
        "cache": {}, "timings": {"send": 0, "wait": 0, "receive": 0}}]}}
    boundary = "xyzBOUNDARYxyz"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.har\"\r\n"
            f"Content-Type: application/json\r\n\r\n{json.dumps(har)}\r\n--{boundary}--\r\n").encode()
    assert web.request("POST", "/flows/dump", body,
                       ctype=f"multipart/form-data; boundary={boundary}")[0] == 200
    deadline = time.time() + 10
    while time.time() < deadline and [f["request"]["path"] for f in web.flows()] != ["/from-har"]:
        time.sleep(0.05)
    assert [f["request"]["path"] for f in web.flows()] == ["/from-har"]


def test_edit_duplicate_revert_replay_delete(mitmweb, origin):
    web = mitmweb()
    assert through(web, origin, "/hello/edit")[0] == 0
    f = web.wait_flows(1)[0]
    fid = f["id"]
    status, _, body = web.request("POST", f"/flows/{fid}/duplicate", b"")
    assert status == 200
    dup = body.decode()
    assert re.fullmatch(r"[0-9a-f-]{36}", dup) and dup != fid
    assert len(web.flows()) == 2

    edit = {"request": {"path": "/hello/edited", "headers": [["X-Edit", "1"]]},
            "response": {"code": 299, "reason": "Edited", "content": "new body"},
            "comment": "changed", "marked": ":default:"}
    assert web.request("PUT", f"/flows/{fid}", edit)[0] == 200
    g = [x for x in web.flows() if x["id"] == fid][0]
    assert g["request"]["path"] == "/hello/edited"
    assert g["request"]["headers"] == [["X-Edit", "1"]]
    assert g["response"]["status_code"] == 299 and g["response"]["reason"] == "Edited"
    assert g["comment"] == "changed" and g["marked"] and g["modified"]
    assert web.request("GET", f"/flows/{fid}/response/content.data")[2] == b"new body"
    # An unknown field is refused and changes nothing.
    assert web.request("PUT", f"/flows/{fid}", {"request": {"nope": 1}})[0] == 400
    assert web.request("PUT", f"/flows/{fid}", b"{}", ctype="text/plain")[0] == 400
    assert web.request("POST", f"/flows/{fid}/revert", b"")[0] == 200
    g = [x for x in web.flows() if x["id"] == fid][0]
    assert g["request"]["path"] == "/hello/edit" and not g["modified"]

    # Replay sends the request again through the proxy: the origin answers anew.
    assert web.request("POST", f"/flows/{dup}/replay", b"")[0] == 200
    d = web.wait_flow(dup, lambda d: d.get("is_replay") == "request" and "response" in d)
    assert d["is_replay"] == "request" and d["response"]["status_code"] == 200

    assert web.request("DELETE", f"/flows/{dup}")[0] == 200
    assert [x["id"] for x in web.flows()] == [fid]
    assert web.request("DELETE", "/flows/0000-dead")[0] == 404


def test_resend_edits_a_copy_and_sends_it(mitmweb, origin):
    web = mitmweb()
    assert through(web, origin, "/echo-headers")[0] == 0
    orig = web.wait_flows(1)[0]

    # From a flow: the edited request reaches the origin as a new flow.
    edit = {"flow": orig["id"], "request": {
        "path": "/echo-headers?resent=1",
        "headers": [["Host", f"127.0.0.1:{origin}"], ["X-Resend", "yes"]]}}
    status, _, body = web.request("POST", "/flows/resend", edit)
    assert status == 200, body
    new = body.decode()
    assert re.fullmatch(r"[0-9a-f-]{36}", new) and new != orig["id"]
    g = web.wait_flow(new)
    assert g["is_replay"] == "request"
    assert g["request"]["path"] == "/echo-headers?resent=1"
    assert b"X-Resend: yes" in web.request("GET", f"/flows/{new}/response/content.data")[2]
    # The flow it came from is as it was.
    assert [x for x in web.flows() if x["id"] == orig["id"]][0] == orig

    # From nothing: method, URL, headers and body.
    blank = {"request": {"method": "POST", "scheme": "http", "host": "127.0.0.1", "port": origin,
                         "path": "/made", "headers": [["Host", f"127.0.0.1:{origin}"]],
                         "content": "from the form"}}
    status, _, body = web.request("POST", "/flows/resend", blank)
    assert status == 200, body
    g = web.wait_flow(body.decode())
    assert g["request"]["method"] == "POST" and g["response"]["status_code"] == 200
    assert web.request("GET", f"/flows/{g['id']}/response/content.data")[2] == \
        b"got 13 bytes: from the form"
    assert len(web.flows()) == 3

    # Refused, and nothing is added: a bad field, no host, an unknown flow, no JSON.
    assert web.request("POST", "/flows/resend", {"request": {"nope": 1}})[0] == 400
    assert web.request("POST", "/flows/resend", {"request": {"path": "/x"}})[0] == 400
    assert web.request("POST", "/flows/resend", {"flow": "0000-dead"})[0] == 404
    assert web.request("POST", "/flows/resend", {"flow": orig["id"], "x": 1})[0] == 400
    assert web.request("POST", "/flows/resend", b"[]", ctype="application/json")[0] == 400
    assert web.request("POST", "/flows/resend", b"{}", ctype="text/plain")[0] == 400
    assert len(web.flows()) == 3


def test_intercept_resume_and_kill(mitmweb, origin):
    web = mitmweb()
    assert web.request("PUT", "/options", {"intercept": "~q & ~u /hello/held"})[0] == 200
    results = {}

    def run(name, path):
        results[name] = through(web, origin, path)

    t1 = threading.Thread(target=run, args=("one", "/hello/held/1"))
    t1.start()
    held = web.wait_held()
    assert t1.is_alive()  # curl waits
    # An edit of the held request reaches the origin.
    edit = {"request": {"path": "/echo-headers", "headers": held[0]["request"]["headers"]
                        + [["X-Edited", "yes"]]}}
    assert web.request("PUT", f"/flows/{held[0]['id']}", edit)[0] == 200
    assert web.request("POST", f"/flows/{held[0]['id']}/resume", b"")[0] == 200
    t1.join(20)
    assert results["one"][0] == 0 and b"X-Edited: yes" in results["one"][1]

    t2 = threading.Thread(target=run, args=("two", "/hello/held/2"))
    t2.start()
    web.wait_held()
    assert web.request("POST", "/flows/kill", b"")[0] == 200
    t2.join(20)
    assert results["two"][1] != b"hello world\n"

    t3 = threading.Thread(target=run, args=("three", "/hello/held/3"))
    t3.start()
    web.wait_held()
    assert web.request("POST", "/flows/resume", b"")[0] == 200
    t3.join(20)
    assert results["three"][1] == b"hello world\n"


def test_options_commands_events_state_help(mitmweb, origin):
    web = mitmweb()
    opts = web.json("GET", "/options")
    assert opts["web_port"]["type"] == "int" and opts["web_port"]["default"] == 8081
    assert opts["web_theme"]["choices"] == ["system", "dark", "light"]
    assert opts["web_columns"]["value"] == opts["web_columns"]["default"] == [
        "tls", "icon", "path", "method", "status", "size", "time"]
    assert opts["anticache"] == {"type": "bool", "default": False, "value": False,
                                 "help": opts["anticache"]["help"], "choices": None}
    assert web.request("PUT", "/options", {"anticache": True})[0] == 200
    assert web.json("GET", "/options")["anticache"]["value"] is True
    status, _, body = web.request("PUT", "/options", {"no_such_option": 1})
    assert status == 400 and b"no_such_option" in body
    assert web.request("PUT", "/options", {"listen_port": "x"})[0] == 400

    cmds = web.json("GET", "/commands")
    assert cmds["replay.client"]["parameters"] == [
        {"name": "flows", "type": "flow[]", "kind": "POSITIONAL_OR_KEYWORD"}]
    assert cmds["view.order.options"]["return_type"] == "str[]"
    assert sorted(web.json("POST", "/commands/view.order.options", {"arguments": []})["value"]) == [
        "method", "size", "time", "url"]
    assert "error" in web.json("POST", "/commands/no.such", {"arguments": []})
    assert through(web, origin, "/hello/export")[0] == 0
    fid = web.wait_flows(1)[0]["id"]
    exported = web.json("POST", "/commands/export", {"arguments": ["curl", "@" + fid]})["value"]
    assert exported.startswith("curl ") and "/hello/export" in exported
    assert "error" in web.json("POST", "/commands/view.order.set", {"arguments": ["nope"]})

    events = web.json("GET", "/events")
    assert any("Web server listening" in e["message"] for e in events)
    assert all(set(e) == {"id", "message", "level"} for e in events)
    state = web.json("GET", "/state")
    assert "JSON" in state["contentViews"] and "Query" not in state["contentViews"]
    assert state["servers"]["regular"]["listen_addrs"] == [["127.0.0.1", web.proxy_port]]
    # Our version, as --version's first line gives it (the footer shows it).
    version = subprocess.run([binary("mitmweb"), "--version"], stdout=subprocess.PIPE,
                             check=True).stdout.decode()
    assert version.startswith(f"Mitmproxy: {state['version']} ")
    helps = web.json("GET", "/filter-help")["commands"]
    assert ["~b regex", "Body"] in helps
    assert web.request("POST", "/options/save", b"")[0] == 200
    assert web.request("GET", "/nothing")[0] == 404
    assert web.request("DELETE", "/options")[0] == 405


def test_updates_websocket(mitmweb, origin):
    web = mitmweb()
    ws = WS(web)
    assert ws.status == 101
    assert through(web, origin, "/hello/ws")[0] == 0
    msgs = ws.messages(lambda m: m["type"] in ("flows/add", "flows/update")
                       and "response" in m["payload"]["flow"])
    msgs = [m for m in msgs if m["type"].startswith("flows/")]
    assert msgs[0]["type"] == "flows/add"
    fid = msgs[0]["payload"]["flow"]["id"]
    assert msgs[0]["payload"]["matching_filters"] == {}
    # A body filter of this connection, evaluated on the server.
    ws.send({"type": "flows/updateFilter", "payload": {"name": "search", "expr": "~bs world"}})
    m = ws.messages(lambda m: m["type"] == "flows/filterUpdate")[-1]
    assert m["payload"] == {"name": "search", "matching_flow_ids": [fid]}
    assert through(web, origin, "/echo-headers")[0] == 0
    m = ws.messages(lambda m: m["type"] in ("flows/add", "flows/update")
                    and "response" in m["payload"]["flow"]
                    and m["payload"]["flow"]["request"]["path"] == "/echo-headers")[-1]
    assert m["payload"]["matching_filters"] == {"search": False}
    # Events, options, removal, reset.
    assert web.request("PUT", "/options", {"anticache": True})[0] == 200
    m = ws.messages(lambda m: m["type"] == "options/update")[-1]
    assert m["payload"]["anticache"]["value"] is True
    assert web.request("DELETE", f"/flows/{fid}")[0] == 200
    assert ws.messages(lambda m: m["type"] == "flows/remove")[-1]["payload"] == fid
    assert web.request("POST", "/clear", b"")[0] == 200
    msgs = ws.messages(lambda m: m["type"] == "flows/filterUpdate")
    assert "flows/reset" in [m["type"] for m in msgs]
    assert msgs[-1]["payload"] == {"name": "search", "matching_flow_ids": []}
    # A message we do not know closes the socket with 1011.
    ws.send({"type": "nonsense"})
    deadline = time.time() + 5
    code = None
    while time.time() < deadline:
        op, p = ws.recv()
        if op == 8:
            code = struct.unpack("!H", p[:2])[0]
            break
    assert code == 1011
    ws.close()


def test_updates_in_batches(mitmweb, origin):
    web = mitmweb()
    ws = WS(web, "/updates?batch=1")
    assert ws.status == 101
    n = 30
    procs = [subprocess.Popen(["curl", "-sS", "-o", "/dev/null", "-x",
                               f"http://127.0.0.1:{web.proxy_port}",
                               f"http://127.0.0.1:{origin}/hello/b{i}"]) for i in range(n)]
    for p in procs:
        assert p.wait(30) == 0
    seen, batches = {}, 0
    deadline = time.time() + 15
    while time.time() < deadline and (len(seen) < n or not all(
            "response" in f for f in seen.values())):
        op, p = ws.recv(max(0.01, deadline - time.time()))
        m = json.loads(p)
        if m["type"] != "flows/batch":
            assert m["type"] == "events/batch", m
            continue
        batches += 1
        pl = m["payload"]
        assert set(pl) == {"total", "add", "update", "remove", "matching_filters", "overflow"}
        ids = [f["id"] for f in pl["add"] + pl["update"]]
        assert len(ids) == len(set(ids))  # each flow once per batch
        for f in pl["add"] + pl["update"]:
            seen[f["id"]] = f
    assert len(seen) == n
    assert pl["total"] == n
    # Coalesced: fewer messages than flow events (each flow has several).
    assert batches < n * 3
    ws.close()


def test_answers_while_a_large_file_loads(mitmweb, tmp_path):
    """-r reads between the loop's events (src/master/, master_read_flows_logged):
    the API answers at once with the flows loaded so far, while readfile.reading
    is still true, and the total grows to the whole file. save_stream_file sees
    every loaded flow, so they go through the hooks slice by slice
    (test_answers_while_the_store_loads has the store's own load)."""
    path = tmp_path / "big.mitm"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "genflows.py"), str(path), "4000",
                    os.path.join(FIXTURES, "flows")], check=True, stdout=subprocess.DEVNULL)
    web = mitmweb("-r", str(path), "--set", f"save_stream_file={tmp_path / 'saved.mitm'}")

    def reading():
        return web.json("POST", "/commands/readfile.reading", {"arguments": []})["value"]

    t = time.time()
    first = web.json("GET", "/flows?limit=1")["total"]
    took = time.time() - t
    assert reading() is True
    assert first > 0, "the first flows show at once"
    # One slice is 8 ms; a whole 4,000-flow read takes seconds even without ASan.
    assert took < 5, took
    deadline = time.time() + 150
    while reading() and time.time() < deadline:
        time.sleep(0.2)
    assert not reading()
    total = web.json("GET", "/flows?limit=1")["total"]
    assert first < total
    assert total == 4000


def test_answers_while_the_store_loads(mitmweb, tmp_path):
    """-r with no addon acting on loaded flows: the first slice through the
    hooks, the rest by the store's own load on its workers. The API answers at
    once with the first flows while readfile.reading is true, and the total
    grows to the whole file."""
    n = 30000
    path = tmp_path / "big.mitm"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "genflows.py"), str(path), str(n),
                    os.path.join(FIXTURES, "flows")], check=True, stdout=subprocess.DEVNULL)
    web = mitmweb("-r", str(path))

    def reading():
        return web.json("POST", "/commands/readfile.reading", {"arguments": []})["value"]

    t = time.time()
    first = web.json("GET", "/flows?limit=1")["total"]
    took = time.time() - t
    assert reading() is True
    assert first > 0, "the first flows show at once"
    assert took < 5, took
    deadline = time.time() + 150
    while reading() and time.time() < deadline:
        time.sleep(0.2)
    assert not reading()
    assert web.json("GET", "/flows?limit=1")["total"] == n


def big_file(tmp_path, n, again=True):
    """n flows cycling through the fixtures with fresh ids; again: then all.mitm
    twice, the second time ids the store has seen, which keep the first flow."""
    path = tmp_path / "big.mitm"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "genflows.py"), str(path), str(n),
                    os.path.join(FIXTURES, "flows")], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(FIXTURES, "flows", "all.mitm"), "rb") as f:
        fixtures = f.read()
    if again:
        with open(path, "ab") as f:
            f.write(fixtures + fixtures)
    return path


def loaded(web, timeout=150):
    """Waits for -r to be over; every flow in the default shape, and the event log
    without the start-up lines (ports and tokens)."""
    deadline = time.time() + timeout
    while web.json("POST", "/commands/readfile.reading", {"arguments": []})["value"]:
        assert time.time() < deadline, "-r still reading"
        time.sleep(0.2)
    events = [e["message"] for e in web.json("GET", "/events")
              if "listening at" not in e["message"]]
    return web.json("GET", "/flows"), events


@pytest.mark.parametrize("cut", [False, True])
def test_rfile_without_hooks_gives_the_hooks_flows(mitmweb, tmp_path, cut):
    """-r with no addon acting on loaded flows goes to the store's own load after
    its first slice (src/master/master.c): the same flows, order, ids, marks,
    comments and flags as through the hooks (save_stream_file reads every flow
    and changes none, so it keeps the hooks), the same event-log lines, and for
    a damaged file the same error after the same flows."""
    path = big_file(tmp_path, 3000)
    if cut:  # cut inside a record well past the first block the load reads
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.truncate(size * 2 // 3)
    fast, fast_events = loaded(mitmweb("-r", str(path)))
    hooks, hook_events = loaded(mitmweb("-r", str(path),
                                        "--set", f"save_stream_file={tmp_path / 'out.mitm'}"))
    assert len(fast) == len(hooks)
    assert len(fast) > 1000
    assert len({f["id"] for f in fast}) == len(fast)
    for a, b in zip(fast, hooks):
        assert a == b
    assert fast_events == hook_events
    if cut:
        assert len(fast_events) == 1 and "corrupt flow record at byte" in fast_events[0]
    else:
        assert fast_events == []
        assert len(fast) == 3000 + 55


def test_rfile_scripts_see_every_flow(mitmweb, tmp_path):
    """A script keeps the hooks of -r (8.1.1's Master.load_flow runs every hook
    of a loaded flow): one counting response calls counts every flow that has
    a response, however large the file."""
    path = big_file(tmp_path, 2000, again=False)
    out = tmp_path / "count"
    script = tmp_path / "count.py"
    script.write_text(
        "n = 0\n"
        "def response(flow):\n"
        "    global n\n"
        "    n += 1\n"
        f"    open({str(out)!r}, 'w').write(str(n))\n")
    flows, _ = loaded(mitmweb("-r", str(path), "-s", str(script)))
    want = sum(1 for f in flows if f["type"] == "http" and f.get("response"))
    assert want > 1000
    assert int(out.read_text()) == want


def test_options_lists_what_811s_mitmweb_lists():
    """mitmweb --options as 8.1.1's: no mitmdump-only options (8.1.1 registers
    them in its dumper addon, which mitmweb does not load). The extras are
    newer mitmweb's web_password and web_theme, and the store's budget."""
    def names(cmd):
        out = subprocess.run([cmd, "--options"], stdout=subprocess.PIPE, check=True,
                             stdin=subprocess.DEVNULL).stdout.decode()
        return {l.split(":")[0] for l in out.splitlines() if l and l[0].isalpha()}

    ours, ref = names(binary("mitmweb")), names("/usr/bin/mitmweb")
    assert "flow_detail" not in ours and "keepserving" not in ours
    assert "termlog_verbosity" in ours
    assert ours - ref == {"web_password", "web_theme", "store_memory_budget"}
    assert ref - ours == set()


def test_options_api_lists_what_811s_mitmweb_lists(mitmweb):
    """GET /options as 8.1.1's mitmweb answers it: the options of the addons
    it loads, which are the ones its --options lists (8.1.1's GET /options
    and --options name the same 89), so no flow_detail, dumper_* or
    keepserving, which can still be set."""
    def names(cmd):
        out = subprocess.run([cmd, "--options"], stdout=subprocess.PIPE, check=True,
                             stdin=subprocess.DEVNULL).stdout.decode()
        return {l.split(":")[0] for l in out.splitlines() if l and l[0].isalpha()}

    web = mitmweb()
    api = set(web.json("GET", "/options"))
    assert {"flow_detail", "keepserving", "dumper_filter", "dumper_default_contentview"} & api == set()
    assert "termlog_verbosity" in api and "web_columns" in api
    # Our own options (key_type) are listed for the UI, where they can be
    # set, but not by --options, which keeps to 8.1.1's list.
    assert "key_type" in api
    assert api - {"key_type"} == names(binary("mitmweb"))
    assert names("/usr/bin/mitmweb") - api == set()
    # Hidden from the API as from 8.1.1's: PUT names it unknown, as 8.1.1
    # does (test_options_put_answers_as_811s), while --set and scripts may
    # still set it.
    status, _, body = web.request("PUT", "/options", {"flow_detail": 3})
    assert (status, body) == (400, b"'Unknown options: flow_detail'")
    assert "flow_detail" not in web.json("GET", "/options")


class Web811:
    """mitmweb 8.1.1 (no token; tornado's XSRF cookie and header on writes)."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.proc = Proc(["/usr/bin/mitmweb", "--no-web-open-browser", "--listen-host", "127.0.0.1",
                          "-p", str(free_port()), "--web-port", str(self.port),
                          "--set", f"confdir={tmp_path / 'conf811'}"])
        self.proc.wait_for(r"Web server listening", timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=20) as r:
            self.xsrf = re.search(r"_xsrf=([^;]+)", r.headers["Set-Cookie"]).group(1)

    def request(self, method, path, body=None):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Cookie": f"_xsrf={self.xsrf}", "X-XSRFToken": self.xsrf,
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def test_options_put_answers_as_811s(mitmweb, tmp_path):
    """PUT /options with names 8.1.1's mitmweb does not have (our hidden
    flow_detail and keepserving, or no option at all), sent to both: the same
    status and text, and the options it knows are set all the same; a bad
    value is a 400 in both, and changes nothing in ours."""
    ref = Web811(tmp_path)
    try:
        ours = mitmweb()
        port_ref = json.loads(ref.request("GET", "/options")[1])["listen_port"]["value"]
        port = ours.json("GET", "/options")["listen_port"]["value"]
        cases = [
            {"flow_detail": 3},
            {"no_such_option": 1},
            {"flow_detail": 3, "anticache": True, "keepserving": True},
            {"anticache": False, "no_such_option": 1},
            {"anticache": True, "listen_port": "x", "flow_detail": 1},
            {"termlog_verbosity": "debug", "anticache": True},
        ]
        for body in cases:
            st_ref, text_ref = ref.request("PUT", "/options", body)
            st, _, text = ours.request("PUT", "/options", body)
            assert st == st_ref, (body, text, text_ref)
            got_ref = json.loads(ref.request("GET", "/options")[1])
            got = ours.json("GET", "/options")
            if "listen_port" in body:
                # The value errors are worded differently, and 8.1.1 keeps
                # the options set before the bad one (its rollback misses a
                # TypeError) without telling its addons; ours changes none.
                assert b"listen_port" in text and got["anticache"]["value"] is False
                continue
            assert text == text_ref, body
            for name in ("anticache", "termlog_verbosity"):
                assert got[name]["value"] == got_ref[name]["value"], (body, name)
            assert (got["listen_port"]["value"], got_ref["listen_port"]["value"]) == (port, port_ref)
        assert got["anticache"]["value"] is True
    finally:
        ref.proc.stop()


def test_server_certificate_as_811_writes_it(mitmweb):
    """server_conn.cert (and client_conn.cert) of every flow read with -r is
    8.1.1's cert_to_json of the same flow's certificate_list: null without a
    chain, the leaf's summary with one. The list-only shape leaves it out."""
    path = os.path.join(FIXTURES, "flows", "all.mitm")
    ref = subprocess.run(["/usr/bin/python3", "-W", "ignore", "-c", """
import json, sys
from mitmproxy.io import FlowReader
from mitmproxy.tools.web.app import cert_to_json
out = {}
with open(sys.argv[1], "rb") as f:
    for fl in FlowReader(f).stream():
        out[fl.id] = [cert_to_json(c.certificate_list) if c else None
                      for c in (fl.client_conn, fl.server_conn)]
print(json.dumps(out))
""", path], stdout=subprocess.PIPE, check=True).stdout
    want = json.loads(ref)
    assert sum(1 for c, s in want.values() if s) >= 2
    web = mitmweb("-r", path)
    deadline = time.time() + 30
    while len(web.flows()) < len(want) and time.time() < deadline:
        time.sleep(0.1)
    flows = web.flows()
    assert len(flows) == len(want)
    for f in flows:
        cc, sc = want[f["id"]]
        assert f["client_conn"]["cert"] == cc, f["id"]
        if "server_conn" in f:
            assert f["server_conn"]["cert"] == sc, f["id"]
    withcert = next(f for f in flows if f.get("server_conn", {}).get("cert"))
    assert withcert["server_conn"]["cert"]["keyinfo"] == ["RSA", 2048]
    assert web.json("GET", f"/flows/{withcert['id']}") == withcert
    rows = web.json("GET", "/flows?offset=0&limit=100&list=1")["flows"]
    assert all("cert" not in r.get("server_conn", {}) for r in rows)


def test_live_server_certificate(mitmweb, tls_origin):
    """A flow through the proxy to a TLS origin: server_conn.cert is 8.1.1's
    cert_to_json of the certificate the origin serves (CN cn.example, SANs
    san.example and localhost); the client's side has none."""
    ref = subprocess.run(["/usr/bin/python3", "-W", "ignore", "-c", """
import json, sys
from mitmproxy import certs
from mitmproxy.tools.web.app import cert_to_json
print(json.dumps(cert_to_json([certs.Cert.from_pem(open(sys.argv[1], "rb").read())])))
""", tls_origin["odd_cert"]], stdout=subprocess.PIPE, check=True).stdout
    want = json.loads(ref)
    web = mitmweb("-k")
    port = tls_origin["ports"]["odd"]
    rc, out, err = curl("-k", "-x", f"http://127.0.0.1:{web.proxy_port}",
                        f"https://localhost:{port}/hello.txt")
    assert rc == 0 and out == b"hello over tls\n", err
    f = web.wait_flows(1)[0]
    assert f["server_conn"]["cert"] == want
    assert want["subject"] == [["CN", "cn.example"]]
    assert want["altnames"] == ["san.example", "localhost"]
    assert f["client_conn"]["cert"] is None
