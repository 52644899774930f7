"""
pathod and pathoc end to end: each against the other (plain, TLS, CONNECT),
curl against pathod, pathoc through our mitmdump (explicit, HTTPS
interception, reverse, WebSocket), the seeds' examples as written, and
pathod as a broken upstream that mitmdump must survive.
"""
import json
import subprocess

import pytest

from conftest import Proc, binary, curl, make_cert


@pytest.fixture
def pathod(tmp_path):
    """Starts build/.../pathod on a free port: pathod(*args) -> (proc, port)."""
    procs = []

    def start(*args):
        proc = Proc([binary("pathod"), "-p", "0", "--confdir", str(tmp_path / "pathod-conf"),
                     *args])
        procs.append(proc)
        m = proc.wait_for(r"pathod listening on 127\.0\.0\.1:(\d+)")
        return proc, int(m.group(1))

    yield start
    for proc in procs:
        rc = proc.stop()
        out = proc.output()
        assert "ERROR: AddressSanitizer" not in out, out
        assert "runtime error:" not in out, out
        assert "LeakSanitizer" not in out, out
        assert rc == 0, f"pathod exited with {rc}:\n{out}"


def pathoc(*args, timeout=60):
    """Runs pathoc; returns (returncode, stdout, stderr)."""
    r = subprocess.run([binary("pathoc"), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    assert "AddressSanitizer" not in err and "runtime error:" not in err, err
    return r.returncode, out, err


def test_pathoc_against_pathod(pathod):
    _, port = pathod()
    rc, out, err = pathoc(f"127.0.0.1:{port}", "get:'/p/200:b@100'", "get:/p/404")
    assert rc == 0, err
    assert ">> 'GET':'/p/200:b@100'\n<< 200 OK: 100 bytes" in out
    assert "<< 404 Not Found: 0 bytes" in out


def test_pathoc_repeat_and_port_flag(pathod):
    _, port = pathod()
    rc, out, err = pathoc("-n", "3", "-p", str(port), "127.0.0.1", "get:/p/201")
    assert rc == 0, err
    assert out.count("<< 201 Created: 0 bytes") == 3


def test_tls_both_sides(pathod):
    _, port = pathod("-s")
    rc, out, err = pathoc("-s", "-S", f"127.0.0.1:{port}", "get:'/p/200:b@10'")
    assert rc == 0, err
    assert "<< 200 OK: 10 bytes" in out
    assert "Cipher: " in out and "CN=pathod.net" in out
    # curl too, over TLS.
    rc, body, err = curl("-k", f"https://127.0.0.1:{port}/p/200:b'tls'")
    assert rc == 0, err
    assert body == b"tls"


def test_pathod_cert_file(pathod, tmp_path):
    cert, key = make_cert(tmp_path, "own", "own.example", ["DNS:own.example"])
    bundle = tmp_path / "own.pem"
    bundle.write_bytes(key.read_bytes() + cert.read_bytes())
    _, port = pathod("-s", "--cert", str(bundle))
    rc, out, err = pathoc("-s", "-S", "-i", "own.example", f"127.0.0.1:{port}", "get:/p/200")
    assert rc == 0, err
    assert "CN=own.example" in out
    assert "<< 200 OK: 0 bytes" in out


def test_pathoc_connect_through_pathod(pathod):
    # CONNECT tunnels speak TLS by default...
    _, port = pathod()
    rc, out, err = pathoc("-s", "-c", "example.com:443", f"127.0.0.1:{port}", "get:'/p/200:b@5'")
    assert rc == 0, err
    assert "<< 200 OK: 5 bytes" in out
    # ...and stay plain with -C.
    _, port2 = pathod("-C")
    rc, out, err = pathoc("-c", "example.com:80", f"127.0.0.1:{port2}", "get:/p/202")
    assert rc == 0, err
    assert "<< 202 Accepted: 0 bytes" in out


def test_curl_anchors_and_log_api(pathod, tmp_path):
    _, port = pathod("-a", "/foo=200:b'anchored'", "-a", "/bar=201")
    rc, body, err = curl(f"http://127.0.0.1:{port}/foo")
    assert rc == 0 and body == b"anchored", err
    rc, body, _ = curl("-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{port}/bar")
    assert body == b"201"
    rc, body, _ = curl(f"http://127.0.0.1:{port}/p/foo")
    assert b"Error parsing response spec" in body
    rc, body, _ = curl("-H", "X-Seen: 1", f"http://127.0.0.1:{port}/p/203:b@7")
    log = json.loads(curl(f"http://127.0.0.1:{port}/api/log")[1])["log"]
    assert log[0]["type"] == "crafted"
    assert log[0]["request"]["path"] == "/p/203:b@7"
    assert log[0]["request"]["method"] == "GET"
    assert ["X-Seen", "1"] in log[0]["request"]["headers"]
    assert log[0]["response"]["code"] == 203
    assert [e["request"]["path"] for e in log[1:4]] == ["/p/foo", "/bar", "/foo"]
    info = json.loads(curl(f"http://127.0.0.1:{port}/api/info")[1])
    assert "version" in info
    assert curl(f"http://127.0.0.1:{port}/api/clear_log")[1] == b"OK"
    assert json.loads(curl(f"http://127.0.0.1:{port}/api/log")[1]) == {"log": []}


def test_pathod_static_dir(pathod, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "data.txt").write_text("from a file")
    _, port = pathod("-d", str(static))
    rc, body, _ = curl(f"http://127.0.0.1:{port}/p/200:b<data.txt")
    assert body == b"from a file"
    rc, body, _ = curl("--path-as-is", f"http://127.0.0.1:{port}/p/200:b<../../etc/passwd")
    assert b"pathod error" in body


def test_seed_examples(pathod):
    proc, port = pathod()
    # The fuzzing example (fewer rounds, shorter timeout): every round ends, pathod survives.
    rc, out, err = pathoc("-e", "-I", "200", "-t", "1", "-n", "10", f"127.0.0.1:{port}",
                          "get:/:b@10:ir,@1", timeout=60)
    assert rc == 0, err
    for line in out.splitlines():
        assert "<< 200" not in line
    # The embedded response example, explained.
    # The random byte may break the response head (pathoc then says so): a short -t
    # bounds that case.
    rc, out, err = pathoc("-e", "-t", "2", f"127.0.0.1:{port}", "get:/p/:s'401:ir,@1'")
    assert rc == 0, err
    # It may also land in the reason phrase ("<< 401 Unaut$horized") or a header; and a
    # byte such as a space or LF in the embedded spec makes the request line itself bad,
    # which pathod answers with its 800.
    assert ("<< 401 " in out or "<< 800 Bad request" in out or "Invalid server response" in out
            or "Timeout" in out), out
    assert ">> 'GET':/p/:s'401:i" in out
    assert "h'Host'='127.0.0.1'" in out
    # A request spec from the seeds' table.
    rc, out, err = pathoc("-t", "2", f"127.0.0.1:{port}", "get:/:b@100,ascii:ir,@1")
    assert rc == 0, err
    assert ">> 'GET':/:b@100,ascii:ir,@1" in out


def test_pathoc_bad_spec_and_refused():
    rc, out, err = pathoc("127.0.0.1:9", "get:/:b")
    assert rc == 1
    assert "Error parsing request spec" in err and "^" in err
    rc, out, err = pathoc("127.0.0.1:9", "get:/")
    assert rc == 1
    assert "Error connecting" in err


def test_pathoc_through_mitmdump_explicit(pathod, mitmdump):
    _, pport = pathod()
    proc, mport = mitmdump()
    rc, out, err = pathoc("-p", str(mport), "127.0.0.1", f"get:'http://127.0.0.1:{pport}/p/200:b@10'")
    assert rc == 0, err
    assert "<< 200 OK: 10 bytes" in out
    proc.wait_for(r"GET http://127\.0\.0\.1:\d+/p/200:b@10")


def test_pathoc_through_mitmdump_https(pathod, mitmdump):
    _, pport = pathod("-s")
    proc, mport = mitmdump("--ssl-insecure")
    rc, out, err = pathoc("-s", "-c", f"127.0.0.1:{pport}", "-p", str(mport), "127.0.0.1",
                          "get:'/p/200:b@12'")
    assert rc == 0, err
    assert "<< 200 OK: 12 bytes" in out
    proc.wait_for(r"GET https://127\.0\.0\.1:\d+/p/200:b@12")


def test_pathoc_through_mitmdump_reverse(pathod, mitmdump):
    _, pport = pathod()
    proc, mport = mitmdump("--mode", f"reverse:http://127.0.0.1:{pport}")
    rc, out, err = pathoc(f"127.0.0.1:{mport}", "get:'/p/203:b@4'", "get:/p/200")
    assert rc == 0, err
    assert "<< 203 Non-Authoritative Information: 4 bytes" in out
    assert "<< 200 OK: 0 bytes" in out


def test_websocket_through_mitmdump(pathod, mitmdump):
    _, pport = pathod()
    proc, mport = mitmdump("--mode", f"reverse:http://127.0.0.1:{pport}")
    rc, out, err = pathoc("-t", "2", f"127.0.0.1:{mport}", "ws:/",
                          "wf:b'pathod!wf:b\"through the proxy\"'")
    assert rc == 0, err
    assert "<< 101 Switching Protocols" in out
    assert "payload='through the proxy'" in out


def test_pathod_broken_upstream(pathod, mitmdump):
    _, pport = pathod()
    proc, mport = mitmdump("--mode", f"reverse:http://127.0.0.1:{pport}")
    # The body stops after 50 of 100 promised bytes: mitmdump answers 502 and keeps serving.
    rc, body, err = curl("-o", "/dev/null", "-w", "%{http_code}",
                         f"http://127.0.0.1:{mport}/p/200:b@100:d50")
    assert body == b"502", (body, err)
    # A disconnect before any response byte, too.
    rc, body, err = curl("-o", "/dev/null", "-w", "%{http_code}",
                         f"http://127.0.0.1:{mport}/p/200:d0")
    assert body == b"502", (body, err)
    rc, body, err = curl(f"http://127.0.0.1:{mport}/p/200:b'still%20here'")
    assert rc == 0 and body == b"still here", err


def test_help_and_bad_flags():
    """--help prints the usage to stdout and exits 0 (with nothing left to free); a bad
    flag is named on stderr with exit 2."""
    rc, out, err = pathoc("--help")
    assert rc == 0 and out.startswith("usage: pathoc [options] host[:port] spec"), err
    r = subprocess.run([binary("pathod"), "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith(b"usage: pathod [options]"), r.stderr
    r = subprocess.run([binary("pathod"), "--bogus"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 2 and b"--bogus" in r.stderr and b"Sanitizer" not in r.stderr
