"""
DNS flows in the console's flow view (issue 14): the tabs and their lines
as mitmproxy 8.1.1's dns_message_text draws them (Request, Response,
Detail; question, answers, authorities, additionals), for the flows of a
file 8.1.1 wrote and for dig's queries made live through --mode dns.
8.1.1's own screens of both are in the issue note (con-dns-881.txt).
"""
import shutil
import subprocess

import pytest

from conftest import FIXTURES, free_port
from test_console import Console


def dig(port, name):
    if shutil.which("dig") is None:
        pytest.fail("dig is not installed; run scripts/deps.sh test (bind9-dnsutils)")
    return subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+time=3", "+tries=1", name],
                          capture_output=True, text=True, timeout=20).stdout


def body(screen):
    """The lines under the tab line (the fourth on), trailing blanks gone."""
    return [l.rstrip() for l in screen.splitlines()[3:]]


def test_dns_file_flows_tabs(tmp_path):
    c = Console(tmp_path, ["-n", "-r", f"{FIXTURES}/flows/dns.mitm"], width=120, height=40)
    try:
        c.wait(r"missing\.invalid")
        c.keys("Enter")
        s = c.wait(r"^Recursive Question")
        c.save("dns-request", s)
        assert "Request" in s.splitlines()[2] and "Detail" in s.splitlines()[2]
        assert body(s)[:8] == ["Recursive Question", "  example.test A IN", "", "Answer", "",
                               "Authority", "", "Addition"]
        c.keys("Tab")
        s = c.wait(r"^Authoritative Recursive Answer")
        c.save("dns-response", s)
        assert body(s)[:9] == ["Recursive Question", "  example.test A IN", "",
                               "Authoritative Recursive Answer",
                               "  example.test A IN 300 127.0.0.1", "", "Authority", "",
                               "Addition"]
        c.keys("Tab")
        s = c.wait(r"^Server Connection:")
        assert "    Address           127.0.0.1:18053" in s
        c.keys("q", "G", "Enter", "Tab")
        s = c.wait(r"^Authoritative Recursive Answer")
        assert "missing.invalid (A) = ?" in s
        assert body(s)[:6] == ["Recursive Question", "  missing.invalid A IN", "",
                               "Authoritative Recursive Answer", "", "Authority"]
        c.keys("Q")
        c.exited_clean()
    finally:
        c.close()


def test_dig_through_dns_mode(tmp_path):
    port = free_port()
    c = Console(tmp_path, ["--mode", f"dns@127.0.0.1:{port}"], width=120, height=40)
    try:
        c.wait(rf"\[127\.0\.0\.1:{port}\]\s*$")
        out = dig(port, "localhost")
        assert "status: NOERROR" in out, out
        answers = [l.split() for l in out.split(";; ANSWER SECTION:")[1].strip().split("\n\n")[0]
                   .splitlines()]
        c.wait(r"DNS QUERY +localhost \(A\)")
        c.keys("Enter")
        s = c.wait(r"^Recursive Question")
        c.save("dns-dig-request", s)
        lines = body(s)
        assert lines[:8] == ["Recursive Question", "  localhost A IN", "", "Answer", "",
                             "Authority", "", "Addition"]
        # dig's EDNS record: the root's empty name, the payload size as class.
        assert lines[8].startswith("   OPT CLASS(1232) 0 0x"), lines
        c.keys("Tab")
        s = c.wait(r"^Recursive Answer")
        c.save("dns-dig-response", s)
        lines = body(s)
        # Every record dig got, once each, in its order, and nothing else.
        got = lines[lines.index("Recursive Answer") + 1:lines.index("Authority") - 1]
        assert got == [f"  localhost A IN {a[1]} {a[4]}" for a in answers], (got, answers)
        c.keys("Q")
        c.exited_clean()
    finally:
        c.close()
