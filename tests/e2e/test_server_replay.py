"""
End-to-end: server-side replay (-S). Real traffic is recorded with our
`mitmdump -w` against a private origin, the origin is shut down, and a
second mitmdump answers curl from the recording alone.
"""
import subprocess
import threading
import time
from email.utils import parsedate_to_datetime
from http.server import ThreadingHTTPServer

import pytest

from conftest import Origin, binary, curl



def proxy(port):
    return ["-x", f"http://127.0.0.1:{port}"]


@pytest.fixture
def recording(mitmdump, tmp_path):
    """Records GET /hello, GET /hello?x=1&y=2 and a POST through our mitmdump against an
    origin that is gone afterwards. Returns (path of the flow file, origin port)."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    origin = srv.server_address[1]
    path = tmp_path / "recorded.mitm"
    try:
        proc, port = mitmdump("-w", str(path))
        rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")
        assert rc == 0 and body == b"hello world\n", err
        rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello?x=1&y=2")
        assert rc == 0, err
        rc, body, err = curl(*proxy(port), "--data-binary", "a=1&b=2",
                             f"http://127.0.0.1:{origin}/form")
        assert rc == 0 and body == b"got 7 bytes: a=1&b=2", err
        assert proc.stop() == 0, proc.output()
    finally:
        srv.shutdown()
        srv.server_close()
    assert path.stat().st_size > 0
    return path, origin


def test_replays_recorded_responses_without_origin(mitmdump, recording):
    path, origin = recording
    proc, port = mitmdump("-S", str(path), "--set", "keepserving=true")
    # Another User-Agent: headers do not count unless named.
    rc, body, err = curl(*proxy(port), "-A", "other-agent/1.0", "-i",
                         f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body.startswith(b"HTTP/1.1 200 OK")
    assert body.endswith(b"\r\n\r\nhello world\n")
    assert b"X-Path: /hello" in body
    rc, body, err = curl(*proxy(port), "--data-binary", "a=1&b=2",
                         f"http://127.0.0.1:{origin}/form")
    assert rc == 0, err
    assert body == b"got 7 bytes: a=1&b=2"
    # The request with a query string has its own recorded response.
    rc, body, err = curl(*proxy(port), "-i", f"http://127.0.0.1:{origin}/hello?x=1&y=2")
    assert rc == 0, err
    assert body.endswith(b"hello world\n")
    # Each recorded response is served once; then the request goes to the (dead) origin.
    rc, body, err = curl(*proxy(port), "-i", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body.startswith(b"HTTP/1.1 502")


def test_refresh_moves_date_to_now(mitmdump, recording):
    path, origin = recording
    proc, port = mitmdump("-S", str(path), "--set", "keepserving=true")
    rc, body, err = curl(*proxy(port), "-i", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    head = body.split(b"\r\n\r\n")[0].decode()
    date = [line.split(":", 1)[1].strip() for line in head.split("\r\n")
            if line.lower().startswith("date:")]
    assert date, head
    assert abs(parsedate_to_datetime(date[0]).timestamp() - time.time()) < 5


def test_kill_extra(mitmdump, recording):
    path, origin = recording
    proc, port = mitmdump("-S", str(path), "--set", "keepserving=true",
                          "--set", "server_replay_kill_extra=true")
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/not-recorded")
    assert rc != 0  # the connection is killed: no response at all
    assert body == b""
    proc.wait_for(r"server_playback: killed non-replay request "
                  rf"http://127\.0\.0\.1:{origin}/not-recorded")
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body == b"hello world\n"


def test_nopop_and_ignore_params(mitmdump, recording):
    path, origin = recording
    proc, port = mitmdump("-S", str(path), "--set", "keepserving=true",
                          "--set", "server_replay_nopop=true",
                          "--set", "server_replay_ignore_params=y")
    for _ in range(3):
        rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")
        assert rc == 0, err
        assert body == b"hello world\n"
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello?x=1&y=changed")
    assert rc == 0, err
    assert body == b"hello world\n"


def test_use_headers(mitmdump, recording):
    path, origin = recording
    proc, port = mitmdump("-S", str(path), "--set", "keepserving=true",
                          "--set", "server_replay_use_headers=User-Agent")
    rc, body, err = curl(*proxy(port), "-A", "other-agent/1.0", "-i",
                         f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body.startswith(b"HTTP/1.1 502")
    # curl's own User-Agent is the recorded one.
    rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body == b"hello world\n"


def test_exits_when_replay_is_done(mitmdump, recording):
    """Without keepserving, mitmdump stops once every recorded response was served."""
    path, origin = recording
    proc, port = mitmdump("-S", str(path))
    for url in ("/hello", "/hello?x=1&y=2"):
        rc, body, err = curl(*proxy(port), f"http://127.0.0.1:{origin}{url}")
        assert rc == 0, err
    rc, body, err = curl(*proxy(port), "--data-binary", "a=1&b=2",
                         f"http://127.0.0.1:{origin}/form")
    assert rc == 0, err
    assert body == b"got 7 bytes: a=1&b=2"
    proc.p.wait(10)
    assert proc.p.returncode == 0


def test_corrupt_replay_file(mitmdump, tmp_path):
    bad = tmp_path / "bad.mitm"
    bad.write_bytes(b"12:not a flow!")
    r = subprocess.run([binary("mitmdump"), "-S", str(bad), "--listen-host", "127.0.0.1",
                        "-p", "0", "--set", f"confdir={tmp_path / 'conf'}"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
    assert r.returncode != 0
    assert str(bad).encode() in r.stdout
