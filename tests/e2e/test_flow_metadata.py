"""
End-to-end: flow.metadata lives on the proxy's flow. What one hook or one
script stores, later hooks and other scripts see (a nested value changed
in place included), -w saves it where mitmproxy 8.1.1 reads it, and a flow
read back with -r brings it to the scripts again.
"""
import subprocess

from mitmproxy import io as mio

from conftest import binary, curl
from test_scripts import script


def test_metadata_across_hooks_scripts_and_flow_files(mitmdump, origin, tmp_path):
    first = script(tmp_path, "first.py", """
        from mitmproxy import ctx

        def requestheaders(flow):
            flow.metadata["seen"] = ["requestheaders"]
            flow.metadata["count"] = 1

        def request(flow):
            flow.metadata["seen"].append("request")  # in place

        def response(flow):
            try:
                flow.metadata["bad"] = object()
            except TypeError:
                ctx.log.info("META refused an object")
        """)
    second = script(tmp_path, "second.py", """
        from mitmproxy import ctx

        def response(flow):
            flow.metadata["count"] += 1
            flow.metadata["nested"] = {"a": [1, 2.5, None, True]}
            ctx.log.info(f"META second sees {flow.metadata['seen']}")
        """)
    out = tmp_path / "meta.mitm"
    proc, port = mitmdump("-s", first, "-s", second, "-w", str(out))
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    proc.wait_for(r"META second sees \['requestheaders', 'request'\]")
    assert "META refused an object" in proc.output()
    proc.stop()
    want = {"seen": ["requestheaders", "request"], "count": 2,
            "nested": {"a": [1, 2.5, None, True]}}
    with open(out, "rb") as f:
        (flow,) = list(mio.FlowReader(f).stream())  # mitmproxy 8.1.1 reads it
    assert flow.metadata == want

    reader = script(tmp_path, "reader.py", """
        from mitmproxy import ctx

        def response(flow):
            ctx.log.info(f"META read {sorted(flow.metadata)} {flow.metadata['count']}")
        """)
    r = subprocess.run([binary("mitmdump"), "-n", "-r", str(out), "-s", reader,
                        "--set", f"confdir={tmp_path / 'conf'}"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    assert r.returncode == 0, r.stdout
    assert b"META read ['count', 'nested', 'seen'] 2" in r.stdout
