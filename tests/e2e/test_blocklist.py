"""block_list: "/filter/status" answers matching requests itself; 444 kills them."""
from mitmproxy import io as mio

from conftest import curl


def test_block_list_answers_and_kills(mitmdump, origin, tmp_path):
    out = tmp_path / "blocked.mitm"
    proc, pport = mitmdump("--set", "block_list=/~u blocked/403", "--set", "block_list=!~u gone!444",
                           "-w", str(out))
    px = ["-x", f"http://127.0.0.1:{pport}"]
    rc, body, err = curl(*px, "-w", "%{http_code}", f"http://127.0.0.1:{origin}/blocked")
    assert body == b"403"
    rc, body, err = curl(*px, f"http://127.0.0.1:{origin}/gone")
    assert rc != 0  # connection closed without a response
    rc, body, err = curl(*px, f"http://127.0.0.1:{origin}/hello")
    assert body == b"hello world\n"
    proc.stop()
    flows = list(mio.FlowReader(open(out, "rb")).stream())
    by_path = {f.request.path: f for f in flows}
    assert by_path["/blocked"].response.status_code == 403
    assert by_path["/blocked"].metadata == {"blocklisted": True}
    assert by_path["/gone"].error.msg == "Connection killed."
    assert by_path["/gone"].metadata == {"blocklisted": True}
    assert "blocklisted" not in by_path["/hello"].metadata


def test_bad_block_list_rule_exits_2(tmp_path):
    import subprocess
    from conftest import binary
    r = subprocess.run([binary("mitmdump"), "-n", "--set", "block_list=/~u x/999"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 2
    assert b"Invalid HTTP status code: 999" in r.stderr
