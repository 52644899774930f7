"""
Client replay (-C, --client-replay, the seeds' -c): requests of a saved file
are sent again, one after another, and the new flows are printed and saved
like any other, with is_replay = "request"; with -n mitmdump exits when done.
"""
import subprocess

from mitmproxy import io as mio

from conftest import binary, curl


def record(mitmdump, origin, path, n=3):
    proc, pport = mitmdump("-w", str(path))
    for i in range(n):
        rc, body, err = curl("-x", f"http://127.0.0.1:{pport}", "--data-binary", f"body {i}",
                             f"http://127.0.0.1:{origin}/post/{i}")
        assert rc == 0, err
    assert proc.stop() == 0
    return list(mio.FlowReader(open(path, "rb")).stream())


def test_replay_with_no_server(mitmdump, origin, tmp_path):
    saved = record(mitmdump, origin, tmp_path / "rec.mitm")
    out = tmp_path / "replayed.mitm"
    for flag in ("-C", "-c", "--client-replay"):
        r = subprocess.run([binary("mitmdump"), "-n", flag, str(tmp_path / "rec.mitm"),
                            "--set", f"confdir={tmp_path}/conf", "-w", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        text = r.stdout.decode()
        assert r.returncode == 0, text
        # Per flow: server connect, the flow, server disconnect.
        assert text.count("[replay]") == 9, text
        flows = list(mio.FlowReader(open(out, "rb")).stream())
        assert [f.id for f in flows] == [f.id for f in saved]
        for f, orig in zip(flows, saved):
            assert f.is_replay == "request"
            assert f.request.content == orig.request.content
            assert f.response.status_code == 200
            # The origin answered this replay: it echoes the body it got.
            assert f.response.content == orig.response.content
            assert f.response.timestamp_start > orig.response.timestamp_start


def test_replay_while_serving(mitmdump, origin, tmp_path):
    record(mitmdump, origin, tmp_path / "rec.mitm", n=2)
    proc, pport = mitmdump("-C", str(tmp_path / "rec.mitm"))
    proc.wait_for(r"\[replay\]: POST http://127\.0\.0\.1:\d+/post/1")
    # The proxy keeps serving clients meanwhile and afterwards.
    rc, body, err = curl("-x", f"http://127.0.0.1:{pport}", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0 and body == b"hello world\n", err


def test_replay_of_unreachable_server_records_error(tmp_path, mitmdump, origin):
    saved = record(mitmdump, origin, tmp_path / "rec.mitm", n=1)
    # Point the saved request at a port nobody listens on.
    f = saved[0]
    f.request.port = 9
    with open(tmp_path / "dead.mitm", "wb") as fp:
        mio.FlowWriter(fp).add(f)
    out = tmp_path / "out.mitm"
    r = subprocess.run([binary("mitmdump"), "-n", "-C", str(tmp_path / "dead.mitm"),
                        "--set", f"confdir={tmp_path}/conf", "-w", str(out)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    assert r.returncode == 0, r.stdout
    flows = list(mio.FlowReader(open(out, "rb")).stream())
    assert flows[0].error is not None and "refused" in flows[0].error.msg


def test_replay_output_as_811(mitmdump, origin, tmp_path):
    """The replay handler's lines say "[replay]" where a client's address would be."""
    record(mitmdump, origin, tmp_path / "rec.mitm", n=2)
    outs = []
    for exe in (binary("mitmdump"), "/usr/bin/mitmdump"):
        r = subprocess.run([exe, "-n", "-C", str(tmp_path / "rec.mitm"),
                            "--set", f"confdir={tmp_path}/conf"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        assert r.returncode == 0, r.stdout
        outs.append(r.stdout.decode().splitlines())
    ours, ref = outs
    assert ours == ref
    assert ours[0] == f"[replay] server connect 127.0.0.1:{origin}"
    assert ours[1].startswith(f"[replay]: POST http://127.0.0.1:{origin}/post/0")
