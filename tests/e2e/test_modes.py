"""
Several proxy modes in one mitmdump (mitmproxy 9's repeatable --mode with
MODE@PORT): each listener serves its own mode at the same time, each
announces itself the way mitmproxy 9 does, and two modes on one port are
refused before anything listens.
"""
import socket
import subprocess
import threading

from conftest import Proc, binary, curl, free_port


def start(tmp_path, *args):
    proc = Proc([binary("mitmdump"), "--listen-host", "127.0.0.1",
                 "--set", f"confdir={tmp_path / 'conf'}", *args])
    return proc


def stop_clean(proc):
    rc = proc.stop()
    out = proc.output()
    assert "ERROR: AddressSanitizer" not in out, out
    assert "runtime error:" not in out, out
    assert "LeakSanitizer" not in out, out
    assert rc == 0, f"mitmdump exited with {rc}:\n{out}"


def test_regular_and_socks5_at_once(tmp_path, origin):
    hport, sport = free_port(), free_port()
    proc = start(tmp_path, "--mode", f"regular@{hport}", "--mode", f"socks5@{sport}")
    try:
        proc.wait_for(rf"^HTTP\(S\) proxy listening at 127\.0\.0\.1:{hport}\.$")
        proc.wait_for(rf"^SOCKS v5 proxy listening at 127\.0\.0\.1:{sport}\.$")
        results = {}

        def run(name, *args):
            results[name] = curl(*args)

        url = f"http://127.0.0.1:{origin}/hello"
        threads = [
            threading.Thread(target=run, args=("http", "-x", f"http://127.0.0.1:{hport}", url)),
            threading.Thread(target=run, args=("socks", "--socks5-hostname",
                                               f"127.0.0.1:{sport}", url + "/socks")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for name in ("http", "socks"):
            rc, body, err = results[name]
            assert rc == 0, (name, err)
            assert body == b"hello world\n", name
        proc.wait_for(rf"GET http://127\.0\.0\.1:{origin}/hello$")
        proc.wait_for(rf"GET http://127\.0\.0\.1:{origin}/hello/socks$")
        # Each listener keeps its own mode: the SOCKS port does not speak HTTP proxy.
        rc, body, err = curl("-x", f"http://127.0.0.1:{sport}", url, timeout=5)
        assert rc != 0
        rc, body, err = curl("--socks5-hostname", f"127.0.0.1:{hport}", url, timeout=5)
        assert rc != 0
    finally:
        stop_clean(proc)


def test_mode_with_host_and_port(tmp_path, origin):
    port = free_port()
    proc = start(tmp_path, "-p", "0", "--mode", f"regular@127.0.0.1:{port}",
                 "--mode", "socks5@0")
    try:
        proc.wait_for(rf"^HTTP\(S\) proxy listening at 127\.0\.0\.1:{port}\.$")
        m = proc.wait_for(r"^SOCKS v5 proxy listening at 127\.0\.0\.1:(\d+)\.$")
        rc, body, err = curl("--socks5-hostname", f"127.0.0.1:{m.group(1)}",
                             f"http://127.0.0.1:{origin}/hello")
        assert rc == 0 and body == b"hello world\n", err
    finally:
        stop_clean(proc)


def test_single_mode_keeps_the_811_line(tmp_path, origin):
    # --set mode=... replaces the default list; one mode keeps 8.1.1's wording.
    proc = start(tmp_path, "-p", "0", "--set", "mode=socks5")
    try:
        m = proc.wait_for(r"^Proxy server listening at 127\.0\.0\.1:(\d+)$")
        rc, body, err = curl("--socks5-hostname", f"127.0.0.1:{m.group(1)}",
                             f"http://127.0.0.1:{origin}/hello")
        assert rc == 0 and body == b"hello world\n", err
        assert "SOCKS v5 proxy listening" not in proc.output()
    finally:
        stop_clean(proc)


def test_two_modes_on_one_port_exit_2(tmp_path):
    r = subprocess.run([binary("mitmdump"), "--set", f"confdir={tmp_path / 'conf'}",
                        "--mode", "regular", "--mode", "socks5"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 2
    err = r.stderr.decode()
    assert "'regular' and 'socks5' would both listen on port 8080" in err
    r = subprocess.run([binary("mitmdump"), "--set", f"confdir={tmp_path / 'conf'}",
                        "--mode", "regular@9", "--mode", "socks5@nope"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 2
    assert "socks5@nope" in r.stderr.decode()


def test_listen_failure_names_the_address(tmp_path):
    # The second listener's port is taken: exit 1, as for one mode, and a clean exit.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    taken = s.getsockname()[1]
    try:
        r = subprocess.run([binary("mitmdump"), "--listen-host", "127.0.0.1",
                            "--set", f"confdir={tmp_path / 'conf'}",
                            "--mode", "regular@0", "--mode", f"socks5@{taken}"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    finally:
        s.close()
    assert r.returncode == 1
    err = r.stderr.decode()
    assert f"127.0.0.1:{taken}" in err
    assert "Sanitizer" not in err and "runtime error:" not in err, err
