"""
Upstream mode (--mode upstream:http://host:port, the seeds' -U): plain
requests go to the upstream proxy in proxy form, HTTPS goes through a
CONNECT to it and is still intercepted here; upstream_auth sends Basic
credentials. The upstream proxy is a second mitmdump of ours.
"""
from conftest import curl


def test_plain_http_through_upstream_proxy(mitmdump, origin, tmp_path):
    up, up_port = mitmdump(confdir=str(tmp_path / "up-conf"))
    down, port = mitmdump("--mode", f"upstream:http://127.0.0.1:{up_port}")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert body == b"hello world\n"
    # The upstream proxy saw an absolute-form request, as from any client.
    up.wait_for(rf"GET http://127\.0\.0\.1:{origin}/hello")
    down.wait_for(rf"GET http://127\.0\.0\.1:{origin}/hello")


def test_https_via_upstream_connect_is_intercepted(mitmdump, tls_origin, tmp_path):
    tport = tls_origin["ports"]["plain"]
    up, up_port = mitmdump("--ignore-hosts", ".", confdir=str(tmp_path / "up-conf"))
    down, port = mitmdump("-k", "-U", f"http://127.0.0.1:{up_port}")
    rc, body, err = curl("--cacert", str(tmp_path / "conf" / "mitmproxy-ca-cert.pem"), "-x",
                         f"http://127.0.0.1:{port}", f"https://localhost:{tport}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"
    down.wait_for(rf"GET https://localhost:{tport}/hello\.txt")
    up.wait_for(r"passed through")


def test_upstream_auth(mitmdump, origin, tls_origin, tmp_path):
    up, up_port = mitmdump("--proxyauth", "alice:secret", "--ignore-hosts", ".",
                           confdir=str(tmp_path / "up-conf"))
    url = f"http://127.0.0.1:{origin}/hello"
    # Without credentials the upstream answers 407, which reaches the client.
    _, port = mitmdump("--mode", f"upstream:http://127.0.0.1:{up_port}")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-w", "%{http_code}", url)
    assert body.endswith(b"407")
    # With upstream_auth both plain requests and CONNECT are authorized.
    _, port = mitmdump("-k", "--mode", f"upstream:http://127.0.0.1:{up_port}",
                       "--set", "upstream_auth=alice:secret")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", url)
    assert rc == 0 and body == b"hello world\n", err
    tport = tls_origin["ports"]["plain"]
    rc, body, err = curl("--cacert", str(tmp_path / "conf" / "mitmproxy-ca-cert.pem"), "-x",
                         f"http://127.0.0.1:{port}", f"https://localhost:{tport}/hello.txt")
    assert rc == 0 and body == b"hello over tls\n", err


def test_upstream_refusing_connect_gives_502(mitmdump, tls_origin, tmp_path):
    up, up_port = mitmdump("--proxyauth", "alice:secret", confdir=str(tmp_path / "up-conf"))
    _, port = mitmdump("-k", "--mode", f"upstream:http://127.0.0.1:{up_port}")
    tport = tls_origin["ports"]["plain"]
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-w", "%{http_code}",
                         f"https://localhost:{tport}/hello.txt")
    assert rc != 0  # curl sees its CONNECT answered 502
    assert "502" in err or b"502" in body
