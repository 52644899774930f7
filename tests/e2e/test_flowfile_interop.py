"""
Flow-file interoperability with mitmproxy 8.1.1: our mitmdump reads every
fixture recorded by mitmproxy and writes it out again with -w; mitmproxy's
own FlowReader must then load the flows of the fixture (every get_state()
identical), and mitmproxy's mitmdump must replay the file.

`mitmdump -r X -w Y` does not copy X verbatim: flows are saved from the
response/error hooks that replaying them runs, so mitmproxy 8.1.1 writes a
flow that has both a response and an error twice, one record per hook. We
write it once. The reference is what /usr/bin/mitmdump writes for the same
command with such repeated records folded into one; we must produce the
same flows.
"""
import glob
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("MP_BIN", "build/asan"))
from conftest import FIXTURES  # noqa: E402
FLOW_FILES = sorted(glob.glob(os.path.join(FIXTURES, "flows", "*.mitm")))
REAL_MITMDUMP = "/usr/bin/mitmdump"


def mitmproxy_io():
    try:
        from mitmproxy import io
    except ImportError:
        pytest.fail("mitmproxy 8.1.1 is not importable; run with /usr/bin/python3 "
                    "(Debian package mitmproxy)")
    return io


def our_mitmdump():
    path = os.path.join(BIN, "mitmdump")
    if not os.path.exists(path):
        pytest.fail(f"{path} is not built; run `make asan` first (or set MP_BIN)")
    return path


def load_states(path):
    io = mitmproxy_io()
    with open(path, "rb") as f:
        return [flow.get_state() for flow in io.FlowReader(f).stream()]


def once_per_flow(states):
    """8.1.1's records with each flow once, where it first appeared, as last written."""
    last = {s["id"]: s for s in states}
    order = list(dict.fromkeys(s["id"] for s in states))
    return [last[i] for i in order]


def test_fixtures_present():
    assert len(FLOW_FILES) >= 30, f"no flow fixtures under {FIXTURES}"


def real_mitmdump():
    if not os.path.exists(REAL_MITMDUMP):
        pytest.fail(f"{REAL_MITMDUMP} (mitmproxy 8.1.1) is not installed")
    return REAL_MITMDUMP


@pytest.mark.parametrize("fixture", FLOW_FILES, ids=os.path.basename)
def test_our_rewrite_loads_in_mitmproxy(fixture, tmp_path):
    ref = tmp_path / "ref.mitm"
    proc = subprocess.run(
        [real_mitmdump(), "-n", "-r", fixture, "-w", str(ref)],
        capture_output=True, timeout=120, cwd=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")

    out = tmp_path / "out.mitm"
    proc = subprocess.run(
        [our_mitmdump(), "-n", "-r", fixture, "-w", str(out)],
        capture_output=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert out.exists(), "mitmdump -w wrote no file"

    want = once_per_flow(load_states(str(ref)))
    got = load_states(str(out))
    assert len({g["id"] for g in got}) == len(got), "a flow was written twice"
    assert len(got) == len(want), f"{len(got)} flows written, mitmproxy writes {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"flow {i} of {os.path.basename(fixture)} differs"
    # Every flow of the fixture comes back unchanged.
    fixture_states = load_states(fixture)
    for i, w in enumerate(fixture_states):
        assert w in got, f"flow {i} of {os.path.basename(fixture)} lost or changed"
    # The bytes are not compared with ref: mitmproxy reverses the key order
    # of the dicts it keeps as loaded (metadata, backup) each time it saves
    # them, while we write flows back exactly as read (the unit tests check
    # that byte for byte).

    proc = subprocess.run(
        [real_mitmdump(), "-n", "-r", str(out)],
        capture_output=True, timeout=120, cwd=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")


def test_dns_flows_round_trip_byte_exactly(tmp_path):
    """dns.mitm read into our DNS flow model and written again is the same
    file byte for byte, and mitmproxy 8.1.1 prints our file exactly as it
    prints the fixture (the answers come from the messages we wrote)."""
    fixture = os.path.join(FIXTURES, "flows", "dns.mitm")
    out = tmp_path / "out.mitm"
    proc = subprocess.run([our_mitmdump(), "-n", "-r", fixture, "-w", str(out)],
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert out.read_bytes() == open(fixture, "rb").read()

    def printed(path):
        proc = subprocess.run([real_mitmdump(), "-n", "-r", path], capture_output=True,
                              timeout=120, cwd=str(tmp_path))
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        return proc.stdout
    ref = printed(fixture)
    assert b"DNS QUERY (AAAA) www.example.test\n << ::1\n" in ref
    assert printed(str(out)) == ref
