"""
End-to-end TLS interception: curl, Python ssl and openssl s_client through
our mitmdump to nginx over TLS; forged certificates checked field by field;
ignore_hosts passthrough; reverse mode to https; the CA directory shared
with mitmproxy 8.1.1; key logging; mitm.it.
"""
import os
import re
import shutil
import socket
import ssl
import subprocess
import time

import pytest

from conftest import binary, curl


def conf_ca(tmp_path):
    return str(tmp_path / "conf" / "mitmproxy-ca-cert.pem")


def proxied_tls(proxy_port, host, port, server_hostname, cafile):
    """CONNECT through the proxy, then TLS with Python's ssl; returns (sslsock, peer cert dict)."""
    s = socket.create_connection(("127.0.0.1", proxy_port), timeout=10)
    s.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        resp += s.recv(4096)
    assert resp.startswith(b"HTTP/1.1 200"), resp
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    t = ctx.wrap_socket(s, server_hostname=server_hostname)
    return t, t.getpeercert()


def sans_of(cert):
    return sorted(v for _, v in cert.get("subjectAltName", ()))


def cn_of(cert):
    for rdn in cert.get("subject", ()):
        for k, v in rdn:
            if k == "commonName":
                return v
    return None


def test_curl_https_through_explicit_proxy(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    proc, pport = mitmdump("--ssl-insecure")
    rc, body, err = curl("--cacert", conf_ca(tmp_path), "-x", f"http://127.0.0.1:{pport}",
                         f"https://localhost:{port}/hello.txt", "https://localhost:%d/hello.txt" % port)
    assert rc == 0, err
    assert body == b"hello over tls\n" * 2
    proc.wait_for(rf"GET https://localhost:{port}/hello\.txt")
    # Both requests went over one intercepted connection.
    assert proc.output().count("client connect") == 1


@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
def test_five_mib_https_download(mitmdump, nginx_h2_origin, tmp_path, stream):
    """A body of many TLS write pieces (256 KiB) over intercepted HTTP/1.1, buffered (one
    send of the whole body, encrypted piece by piece) or streamed."""
    port = nginx_h2_origin["ports"]["tls"]
    want = (nginx_h2_origin["root"] / "five-mib.bin").read_bytes()
    streaming = ("--set", "stream_large_bodies=1m") if stream else ()
    proc, pport = mitmdump("--ssl-insecure", *streaming)
    rc, body, err = curl("--http1.1", "--cacert", conf_ca(tmp_path), "-x",
                         f"http://127.0.0.1:{pport}", f"https://127.0.0.1:{port}/five-mib.bin")
    assert rc == 0, err + proc.output()
    assert body == want
    # A streamed body is not kept: mitmdump says so, as mitmproxy does.
    proc.wait_for(r"<< 200 OK \(content missing\)" if stream else r"<< 200 OK 5\.0m")


def test_upstream_verification_failure_gives_502(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    proc, pport = mitmdump()
    rc, body, err = curl("--cacert", conf_ca(tmp_path), "-x", f"http://127.0.0.1:{pport}",
                         "-w", "%{http_code}", f"https://localhost:{port}/hello.txt")
    assert body.endswith(b"502"), body
    assert b"certificate verify failed" in body and b"self-signed" in body
    proc.wait_for(r"server TLS handshake with localhost failed: certificate verify failed")


def test_trusted_ca_option_makes_upstream_verify(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    _, pport = mitmdump("--set", f"ssl_verify_upstream_trusted_ca={tls_origin['plain_cert']}")
    rc, body, err = curl("--cacert", conf_ca(tmp_path), "-x", f"http://127.0.0.1:{pport}",
                         f"https://localhost:{port}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"


def test_forged_certificate_copies_upstream_names(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["odd"]
    _, pport = mitmdump("-k")
    t, cert = proxied_tls(pport, "localhost", port, "localhost", conf_ca(tmp_path))
    # CN from the upstream certificate; its SANs plus the SNI.
    assert cn_of(cert) == "cn.example"
    assert sans_of(cert) == ["localhost", "san.example"]
    issuer = dict(x[0] for x in cert["issuer"])
    assert issuer["commonName"] == "mitmproxy" and issuer["organizationName"] == "mitmproxy"
    t.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = t.recv(65536)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"hello over tls\n")
    t.close()


def test_connect_to_ip_with_sni_gets_ip_san(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    _, pport = mitmdump("-k")
    t, cert = proxied_tls(pport, "127.0.0.1", port, "localhost", conf_ca(tmp_path))
    sans = sans_of(cert)
    assert "127.0.0.1" in sans and "localhost" in sans
    t.close()


def test_openssl_s_client_sees_forged_leaf(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    _, pport = mitmdump("-k", "--set", "upstream_cert=false")
    r = subprocess.run(["openssl", "s_client", "-proxy", f"127.0.0.1:{pport}", "-connect",
                        f"localhost:{port}", "-servername", "localhost", "-CAfile", conf_ca(tmp_path),
                        "-verify_return_error", "-showcerts"],
                       input=b"", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
    out = r.stdout.decode()
    assert "Verify return code: 0 (ok)" in out, out
    pem = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S).group(0)
    text = subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem.encode(),
                          stdout=subprocess.PIPE, check=True).stdout.decode()
    assert "Issuer: CN = mitmproxy, O = mitmproxy" in text
    assert "Subject: CN = localhost" in text
    # upstream_cert=false: only the SNI and the CONNECT host, not the upstream's IP SAN.
    assert "DNS:localhost" in text and "IP Address:127.0.0.1" not in text
    assert "Not After" in text


def test_ignore_hosts_passes_tls_through(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    proc, pport = mitmdump("--ignore-hosts", r"^localhost:\d+$")
    # The client sees the origin's own certificate: it verifies against it, not our CA.
    rc, body, err = curl("--cacert", tls_origin["plain_cert"], "-x", f"http://127.0.0.1:{pport}",
                         f"https://localhost:{port}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"
    proc.wait_for(r"passed through")


def test_allow_hosts_lookahead(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    # The seeds' negative lookahead: intercept everything but localhost.
    _, pport = mitmdump("--set", r"ignore_hosts=^(?!localhost)")
    rc, body, err = curl("--cacert", conf_ca(tmp_path), "-k", "-x", f"http://127.0.0.1:{pport}",
                         "-w", "%{http_code}", f"https://localhost:{port}/hello.txt")
    # localhost is not ignored: intercepted, and the self-signed upstream fails verification.
    assert body.endswith(b"502")


def test_broken_client_hello_closes_only_that_connection(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    proc, pport = mitmdump("-k")
    s = socket.create_connection(("127.0.0.1", pport), timeout=10)
    s.sendall(f"CONNECT localhost:{port} HTTP/1.1\r\n\r\n".encode())
    assert s.recv(4096).startswith(b"HTTP/1.1 200")
    # A handshake record holding a ServerHello instead of a ClientHello.
    s.sendall(b"\x16\x03\x01\x00\x05\x02\x00\x00\x01\x00")
    assert s.recv(100) == b""
    s.close()
    proc.wait_for(r"invalid TLS ClientHello")
    rc, body, err = curl("--cacert", conf_ca(tmp_path), "-x", f"http://127.0.0.1:{pport}",
                         f"https://localhost:{port}/hello.txt")
    assert rc == 0 and body == b"hello over tls\n", err


def test_client_rejecting_our_cert_is_logged(mitmdump, tls_origin):
    port = tls_origin["ports"]["plain"]
    proc, pport = mitmdump("-k")
    # curl without our CA: it rejects the forged certificate, as a pinning app would.
    rc, _, _ = curl("-x", f"http://127.0.0.1:{pport}", f"https://localhost:{port}/hello.txt")
    assert rc != 0
    proc.wait_for(r"client TLS handshake failed for localhost: .*ignore_hosts")


def test_reverse_mode_https_upstream_tls_and_plain_clients(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["plain"]
    proc, pport = mitmdump("--mode", f"reverse:https://localhost:{port}", "-k")
    rc, body, err = curl(f"http://127.0.0.1:{pport}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"
    rc, body, err = curl("--cacert", conf_ca(tmp_path), "--resolve", f"localhost:{pport}:127.0.0.1",
                         f"https://localhost:{pport}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"
    proc.wait_for(rf"GET https://localhost:{port}/hello\.txt")


def test_ca_dir_made_by_mitmproxy_811_is_used(mitmdump, tls_origin, tmp_path):
    conf = tmp_path / "conf811"
    p = subprocess.Popen(["/usr/bin/mitmdump", "--set", f"confdir={conf}", "-p", "0",
                          "--listen-host", "127.0.0.1"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline and not (conf / "mitmproxy-ca-cert.pem").exists():
        time.sleep(0.1)
    time.sleep(0.5)
    p.terminate()
    p.wait(10)
    before = (conf / "mitmproxy-ca.pem").read_bytes()
    port = tls_origin["ports"]["plain"]
    _, pport = mitmdump("-k", confdir=str(conf))
    rc, body, err = curl("--cacert", str(conf / "mitmproxy-ca-cert.pem"), "-x",
                         f"http://127.0.0.1:{pport}", f"https://localhost:{port}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"
    assert (conf / "mitmproxy-ca.pem").read_bytes() == before


def test_damaged_ca_is_reported_not_replaced(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "mitmproxy-ca.pem").write_bytes(b"-----BEGIN RSA PRIVATE KEY-----\ngarbage\n")
    r = subprocess.run([binary("mitmdump"), "--set", f"confdir={conf}", "-p", "0"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 2
    assert b"mitmproxy-ca.pem" in r.stderr
    assert (conf / "mitmproxy-ca.pem").read_bytes() == b"-----BEGIN RSA PRIVATE KEY-----\ngarbage\n"


def test_key_log_file(mitmdump, tls_origin, tmp_path):
    keylog = tmp_path / "keys.log"
    client_log = tmp_path / "client-keys.log"
    port = tls_origin["ports"]["plain"]
    _, pport = mitmdump("-k", env={"SSLKEYLOGFILE": str(keylog)})
    # curl logs its own keys too: its client random must be in ours (the client side).
    r = subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", conf_ca(tmp_path), "-x",
                        f"http://127.0.0.1:{pport}", f"https://localhost:{port}/hello.txt"],
                       env=dict(os.environ, SSLKEYLOGFILE=str(client_log)),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, r.stderr
    client_randoms = {l.split()[1] for l in client_log.read_text().splitlines() if " " in l}
    lines = keylog.read_text().splitlines()
    assert client_randoms & {l.split()[1] for l in lines}
    # Both sides' handshakes (client->proxy, proxy->server) are logged in NSS format:
    # CLIENT_RANDOM for TLS 1.2 (nginx 1.22's default), the traffic secrets for TLS 1.3.
    randoms = {l.split()[1] for l in lines
               if l.startswith(("CLIENT_RANDOM ", "CLIENT_HANDSHAKE_TRAFFIC_SECRET "))}
    assert len(randoms) == 2
    assert all(re.fullmatch(r"[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+", l) for l in lines)


def test_mitm_it_serves_the_ca(mitmdump, tmp_path):
    proc, pport = mitmdump()
    rc, body, err = curl("-x", f"http://127.0.0.1:{pport}", "http://mitm.it/cert/pem")
    assert rc == 0, err
    assert body == open(conf_ca(tmp_path), "rb").read()
    rc, body, err = curl("-x", f"http://127.0.0.1:{pport}", "http://mitm.it/")
    assert b"/cert/p12" in body and b"/cert/cer" in body


def test_client_certs_presented_upstream(mitmdump, tls_origin, tmp_path):
    port = tls_origin["ports"]["mtls"]
    certdir = tmp_path / "client-certs"
    certdir.mkdir()
    shutil.copy(tls_origin["client_bundle"], certdir / "localhost.pem")
    url = f"https://localhost:{port}/hello.txt"
    # Without a client certificate nginx refuses the request.
    _, pport = mitmdump("-k")
    rc, body, err = curl("--cacert", conf_ca(tmp_path), "-x", f"http://127.0.0.1:{pport}",
                         "-w", "%{http_code}", url)
    assert body.endswith(b"400")
    # With --client-certs DIR, DIR/<sni>.pem is presented.
    _, pport = mitmdump("-k", "--set", f"client_certs={certdir}")
    rc, body, err = curl("--cacert", conf_ca(tmp_path), "-x", f"http://127.0.0.1:{pport}", url)
    assert rc == 0, err
    assert body == b"hello over tls\n"


def s_client(pport, port, *extra):
    r = subprocess.run(["openssl", "s_client", "-proxy", f"127.0.0.1:{pport}", "-connect",
                        f"localhost:{port}", "-servername", "localhost", *extra],
                       input=b"", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
    return r.stdout.decode()


def test_tls_versions_modern_by_default_widened_by_option(mitmdump, tls_origin):
    port = tls_origin["ports"]["plain"]
    old = ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]
    proc, pport = mitmdump("-k")
    assert "Cipher is (NONE)" in s_client(pport, port, *old)
    proc.wait_for(r"cannot agree on a TLS version.*tls_version_client_min")
    _, pport = mitmdump("-k", "--set", "tls_version_client_min=TLS1")
    assert "Protocol  : TLSv1.1" in s_client(pport, port, *old)


def test_only_http11_is_offered_by_alpn(mitmdump, tls_origin):
    port = tls_origin["ports"]["plain"]
    _, pport = mitmdump("-k")
    # The client asks for h2 first; we speak HTTP/1.1 only (HTTP/2 comes later).
    assert "ALPN protocol: http/1.1" in s_client(pport, port, "-alpn", "h2,http/1.1")


def test_custom_certificate_with_certs_option(mitmdump, tls_origin, tmp_path):
    from conftest import make_cert
    cert, key = make_cert(tmp_path, "custom", "custom.example", ["DNS:localhost"])
    bundle = tmp_path / "custom-bundle.pem"
    bundle.write_bytes(key.read_bytes() + cert.read_bytes())
    port = tls_origin["ports"]["plain"]
    _, pport = mitmdump("-k", "--certs", f"localhost={bundle}")
    # The client is served our custom certificate, not a forged one: it verifies with it.
    rc, body, err = curl("--cacert", str(cert), "-x", f"http://127.0.0.1:{pport}",
                         f"https://localhost:{port}/hello.txt")
    assert rc == 0, err
    assert body == b"hello over tls\n"


def test_bad_certs_option_is_reported(tmp_path):
    r = subprocess.run([binary("mitmdump"), "--set", f"confdir={tmp_path}/conf", "-p", "0",
                        "--certs", "localhost=/nonexistent.pem"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 2
    assert b"/nonexistent.pem" in r.stderr


def test_ciphers_client_limits_what_clients_may_use(mitmdump, tls_origin):
    port = tls_origin["ports"]["plain"]
    want = "ECDHE-RSA-AES128-GCM-SHA256"
    _, pport = mitmdump("-k")
    assert f"Cipher is {want}" not in s_client(pport, port, "-tls1_2")
    _, pport = mitmdump("-k", "--set", f"ciphers_client={want}")
    assert f"Cipher is {want}" in s_client(pport, port, "-tls1_2")
