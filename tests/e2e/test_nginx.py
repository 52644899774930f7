"""
End-to-end against a real nginx origin: static files, 404, HEAD, a gzip
response, and a 5 MiB file streamed, in regular and reverse mode.
"""
import hashlib

from conftest import curl


def test_static_file_and_404(mitmdump, nginx_origin):
    port, root = nginx_origin
    proc, pport = mitmdump()
    rc, body, err = curl("-x", f"http://127.0.0.1:{pport}", f"http://127.0.0.1:{port}/index.html")
    assert rc == 0, err
    assert body == b"<h1>nginx origin</h1>\n"
    rc, body, err = curl("-x", f"http://127.0.0.1:{pport}", "-w", "%{http_code}",
                         f"http://127.0.0.1:{port}/missing")
    assert body.endswith(b"404")
    proc.wait_for(r"<< 404 Not Found")


def test_gzip_passes_through_untouched(mitmdump, nginx_origin):
    port, _ = nginx_origin
    _, pport = mitmdump()
    rc, body, err = curl("-x", f"http://127.0.0.1:{pport}", "--compressed", "-D", "-",
                         f"http://127.0.0.1:{port}/chunked")
    assert rc == 0, err
    assert b"Content-Encoding: gzip" in body
    assert body.endswith(b"chunked body from nginx\n")


def test_big_file_streamed_and_buffered(mitmdump, nginx_origin):
    port, root = nginx_origin
    want = hashlib.sha256((root / "five-mib.bin").read_bytes()).hexdigest()
    for args in ([], ["--set", "stream_large_bodies=1m"]):
        _, pport = mitmdump(*args)
        rc, body, err = curl("-x", f"http://127.0.0.1:{pport}", f"http://127.0.0.1:{port}/five-mib.bin")
        assert rc == 0, err
        assert hashlib.sha256(body).hexdigest() == want


def test_reverse_mode_to_nginx(mitmdump, nginx_origin):
    port, _ = nginx_origin
    proc, pport = mitmdump("--mode", f"reverse:http://127.0.0.1:{port}")
    rc, body, err = curl("-I", f"http://127.0.0.1:{pport}/index.html")
    assert rc == 0, err
    assert body.startswith(b"HTTP/1.1 200 OK")
    proc.wait_for(rf"HEAD http://127\.0\.0\.1:{port}/index\.html")
