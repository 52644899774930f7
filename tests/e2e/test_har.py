"""
HAR files with -r: mitmdump chooses HAR or flow file by the first byte, as
current mitmproxy's FlowReader does, prints the entries as flows and -w
writes them as a flow file that mitmproxy 8.1.1 loads.

The HAR files are the one current mitmproxy's savehar wrote from the
fixture flows (tests/export/expected/all.har) and a browser-style file
with the liberties Chromium takes (fuzz/corpus/har/chrome).
"""
import json
import re
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("MP_BIN", "build/asan"))
HARS = {
    "savehar": os.path.join(ROOT, "tests", "export", "expected", "all.har"),
    "chrome": os.path.join(ROOT, "fuzz", "corpus", "har", "chrome"),
}


def our_mitmdump():
    path = os.path.join(BIN, "mitmdump")
    if not os.path.exists(path):
        pytest.fail(f"{path} is not built; run `make asan` first (or set MP_BIN)")
    return path


def load_flows(path):
    try:
        from mitmproxy import io
    except ImportError:
        pytest.fail("mitmproxy 8.1.1 is not importable; run with /usr/bin/python3")
    with open(path, "rb") as f:
        return list(io.FlowReader(f).stream())


@pytest.mark.parametrize("name", sorted(HARS))
def test_har_read_printed_and_written_as_flows(name, tmp_path):
    har = HARS[name]
    with open(har, encoding="utf-8-sig") as f:
        entries = json.load(f)["log"]["entries"]
    out = tmp_path / "out.mitm"
    proc = subprocess.run(
        [our_mitmdump(), "-n", "-r", har, "-w", str(out)],
        capture_output=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    printed = proc.stdout.decode(errors="replace")
    for e in entries:
        assert e["request"]["method"] in printed
        assert re.search(r"<< (HTTP/\S+ )?%d " % e["response"]["status"], printed)

    flows = load_flows(str(out))
    assert len(flows) == len(entries)
    for f, e in zip(flows, entries):
        assert f.request.method == e["request"]["method"]
        assert f.response.status_code == e["response"]["status"]
        assert f.request.url == e["request"]["url"]

    # And mitmproxy's own mitmdump reads what we wrote.
    proc = subprocess.run(
        ["/usr/bin/mitmdump", "-n", "-r", str(out)],
        capture_output=True, timeout=120, cwd=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")


def test_damaged_har_is_an_error(tmp_path):
    bad = tmp_path / "bad.har"
    bad.write_text('{"log": {"entries": [{"request": 7}]}}')
    proc = subprocess.run([our_mitmdump(), "-n", "-r", str(bad)], capture_output=True,
                          timeout=60)
    assert proc.returncode != 0
    assert b"entry 0: startedDateTime: missing" in proc.stderr
