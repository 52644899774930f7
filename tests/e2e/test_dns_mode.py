"""
DNS mode (issue 16): `--mode dns` and 8.1.1's dns_server / dns_mode options,
queried with dig (Debian's bind9-dnsutils) over UDP and TCP. Regular mode
answers from the system resolver (localhost), reverse mode forwards to a small
DNS server this file runs on 127.0.0.1; the flows are printed as mitmproxy
8.1.1 prints them, and the file -w writes is read back by mitmproxy 8.1.1.
"""
import os
import re
import shutil
import socket
import struct
import subprocess
import threading

import pytest

from conftest import Proc, binary

REAL_MITMDUMP = "/usr/bin/mitmdump"


def dig(port, *args, timeout=3):
    """dig against 127.0.0.1:port with one try; returns its output."""
    if shutil.which("dig") is None:
        pytest.fail("dig is not installed; run scripts/deps.sh test (bind9-dnsutils)")
    cmd = ["dig", "@127.0.0.1", "-p", str(port), f"+time={timeout}", "+tries=1", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout * 3 + 10).stdout


def status(out):
    m = re.search(r"status: (\w+)", out)
    return m.group(1) if m else None


def answers(out):
    """The answer section's records as (name, type, data) tuples."""
    recs = []
    section = False
    for line in out.splitlines():
        if line.startswith(";; ANSWER SECTION"):
            section = True
            continue
        if section:
            if not line.strip():
                break
            f = line.split()
            recs.append((f[0], f[3], " ".join(f[4:])))
    return recs


def start_dns(*args, confdir):
    """Our mitmdump with a DNS server on a free port: (proc, port)."""
    proc = Proc([binary("mitmdump"), "--set", f"confdir={confdir}", *args])
    m = proc.wait_for(r"DNS server listening at 127\.0\.0\.1:(\d+)")
    return proc, int(m.group(1))


def stop_clean(proc):
    rc = proc.stop()
    out = proc.output()
    assert "ERROR: AddressSanitizer" not in out, out
    assert "runtime error:" not in out, out
    assert "LeakSanitizer" not in out, out
    assert rc == 0, f"mitmdump exited with {rc}:\n{out}"
    return out


# --- a small upstream DNS server (UDP), standard library only ---


def parse_query(data):
    """(id, flags, name, qtype) of a one-question query."""
    qid, flags, qd = struct.unpack("!HHH", data[:6])
    pos, labels = 12, []
    while data[pos]:
        n = data[pos]
        labels.append(data[pos + 1:pos + 1 + n].decode())
        pos += 1 + n
    qtype, = struct.unpack("!H", data[pos + 1:pos + 3])
    return qid, flags, ".".join(labels), qtype, data[12:pos + 5]


def make_answer(qid, flags, question, records):
    """A response with the question and A/TXT records (type, bytes)."""
    head = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, len(records), 0, 0)
    body = question
    for rtype, rdata in records:
        body += b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, 300, len(rdata)) + rdata
    return head + body


class Upstream:
    """Answers A queries for *.test with 10.0.0.<n> (n = the name's length), TXT with the
    name; "silent.test" never gets an answer (the timeout path)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.seen = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                return
            qid, flags, name, qtype, question = parse_query(data)
            self.seen.append(name)
            if name == "silent.test":
                continue
            if qtype == 1:
                recs = [(1, bytes([10, 0, 0, len(name)]))]
            elif qtype == 16:
                recs = [(16, bytes([len(name)]) + name.encode())]
            else:
                recs = []
            self.sock.sendto(make_answer(qid, flags, question, recs), addr)

    def close(self):
        self.sock.close()


@pytest.fixture
def upstream():
    u = Upstream()
    yield u
    u.close()


def read_back(path):
    """mitmproxy 8.1.1's own reading of a flow file: its mitmdump -n -r output lines."""
    if not os.path.exists(REAL_MITMDUMP):
        pytest.fail(f"{REAL_MITMDUMP} (mitmproxy 8.1.1) is not installed")
    r = subprocess.run([REAL_MITMDUMP, "-n", "-r", str(path)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.splitlines()


def flow_lines(out):
    """The printed DNS flows (query lines and their answers), without connection lines."""
    return [line for line in out.splitlines()
            if re.match(r"^\S+: DNS ", line) or line.startswith(" << ")]


def test_regular_mode_resolves_localhost_over_udp_and_tcp(tmp_path):
    out = tmp_path / "dns.mitm"
    proc, port = start_dns("--mode", "dns@127.0.0.1:0", "-w", str(out),
                           confdir=str(tmp_path / "conf"))
    udp = dig(port, "localhost", "A")
    assert status(udp) == "NOERROR", udp
    assert answers(udp) and all(a == ("localhost.", "A", "127.0.0.1") for a in answers(udp)), udp
    tcp = dig(port, "+tcp", "localhost", "A")
    assert status(tcp) == "NOERROR", tcp
    assert answers(tcp) == answers(udp)
    # Types the resolver does not look up get 8.1.1's NOTIMP.
    mx = dig(port, "+noedns", "localhost", "MX")
    assert status(mx) == "NOTIMP", mx
    ptr = dig(port, "-x", "127.0.0.1")
    assert status(ptr) == "NOERROR" and answers(ptr)[0][1] == "PTR", ptr
    proc.wait_for(r"DNS QUERY \(PTR\) 1\.0\.0\.127\.in-addr\.arpa")
    printed = stop_clean(proc)
    mine = flow_lines(printed)
    assert mine[0].endswith(": DNS QUERY (A) localhost"), printed
    assert mine[1].startswith(" << 127.0.0.1"), printed
    # Each UDP query is a connection of its own, with 8.1.1's log lines.
    assert len(re.findall(r": client connect$", printed, re.M)) == 4, printed
    # mitmproxy 8.1.1 reads the saved flows and prints the same ones.
    theirs = flow_lines("\n".join(read_back(out)))
    strip = lambda lines: [re.sub(r"^\S+: ", "", x) for x in lines]
    assert strip(theirs) == strip(mine), (theirs, mine)


def test_dns_server_option_beside_the_proxy(tmp_path):
    """8.1.1's spelling: dns_server with dns_listen_host/dns_listen_port, next to the proxy."""
    proc = Proc([binary("mitmdump"), "--listen-host", "127.0.0.1", "-p", "0",
                 "--set", f"confdir={tmp_path / 'conf'}", "--set", "dns_server=true",
                 "--set", "dns_listen_port=0"])
    proc.wait_for(r"^Proxy server listening at 127\.0\.0\.1:\d+$")
    port = int(proc.wait_for(r"^DNS server listening at 127\.0\.0\.1:(\d+)$").group(1))
    r = dig(port, "localhost", "A")
    assert status(r) == "NOERROR" and answers(r), r
    stop_clean(proc)


def test_reverse_mode_forwards_to_the_upstream(tmp_path, upstream):
    out = tmp_path / "rev.mitm"
    proc, port = start_dns("--mode", f"reverse:dns://127.0.0.1:{upstream.port}@127.0.0.1:0",
                           "-w", str(out), confdir=str(tmp_path / "conf"))
    r = dig(port, "example.test", "A")
    assert status(r) == "NOERROR", r
    assert answers(r) == [("example.test.", "A", "10.0.0.12")], r
    t = dig(port, "+tcp", "hello.test", "TXT")
    assert answers(t) == [("hello.test.", "TXT", '"hello.test"')], t
    assert upstream.seen == ["example.test", "hello.test"]
    proc.wait_for(r"DNS QUERY \(TXT\) hello\.test")
    printed = stop_clean(proc)
    assert re.search(r"server connect 127\.0\.0\.1:%d" % upstream.port, printed), printed
    mine = flow_lines(printed)
    # 8.1.1 prints TXT data as UTF-8 with its length byte ("\n" for 10 bytes) and all.
    assert mine == [mine[0], " << 10.0.0.12", mine[2], " << "], printed
    assert "\nhello.test\n" in printed, printed
    theirs = flow_lines("\n".join(read_back(out)))
    strip = lambda lines: [re.sub(r"^\S+: ", "", x) for x in lines]
    assert strip(theirs) == strip(mine), (theirs, mine)


def test_dns_mode_option_reverse_and_timeout(tmp_path, upstream):
    """dns_mode=reverse:IP:PORT (8.1.1) and an upstream that never answers: dns_error, then
    SERVFAIL for the client rather than silence."""
    proc = Proc([binary("mitmdump"), "--listen-host", "127.0.0.1", "-p", "0",
                 "--set", f"confdir={tmp_path / 'conf'}", "--set", "dns_server=true",
                 "--set", "dns_listen_port=0",
                 "--set", f"dns_mode=reverse:127.0.0.1:{upstream.port}"])
    port = int(proc.wait_for(r"^DNS server listening at 127\.0\.0\.1:(\d+)$").group(1))
    r = dig(port, "a.test", "A")
    assert answers(r) == [("a.test.", "A", "10.0.0.6")], r
    r = dig(port, "silent.test", "A", timeout=9)
    assert status(r) == "SERVFAIL", r
    proc.wait_for(r"DNS QUERY \(A\) silent\.test")
    printed = stop_clean(proc)
    assert "did not answer in time" in printed, printed


def test_upstream_down_is_an_error_and_servfail(tmp_path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()  # nobody listens there now: the kernel answers "port unreachable"
    proc, port = start_dns("--mode", f"reverse:dns://127.0.0.1:{dead}@127.0.0.1:0",
                           confdir=str(tmp_path / "conf"))
    r = dig(port, "x.test", "A")
    assert status(r) == "SERVFAIL", r
    proc.wait_for(r"<< .*(refused|Error receiving)", timeout=5)
    stop_clean(proc)


def test_bad_dns_options_are_refused(tmp_path):
    for args, msg in [
        (["--set", "dns_mode=reverse:example.com"], "Invalid DNS reverse mode"),
        (["--set", "dns_mode=sideways"], "Invalid DNS mode"),
        (["--mode", "reverse:dns://localhost"], "must be an IP address"),
    ]:
        r = subprocess.run([binary("mitmdump"), "--listen-host", "127.0.0.1", "-p", "0",
                            "--set", f"confdir={tmp_path}", *args],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode != 0, (args, r.stdout, r.stderr)
        assert msg in r.stdout + r.stderr, (args, r.stdout, r.stderr)


def test_garbage_datagrams_do_not_hurt(tmp_path):
    proc, port = start_dns("--mode", "dns@127.0.0.1:0", confdir=str(tmp_path / "conf"))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for junk in (b"x", b"\x12\x34" + b"\xff" * 40, b"\x00\x01" + b"\x00" * 10 + b"\x05abc"):
        s.sendto(junk, ("127.0.0.1", port))
    # A TCP client that sends a length and then garbage, and one that leaves mid-message.
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(b"\x00\x05hello\x00\x30abc")
    c.close()
    proc.wait_for(r"Invalid DNS datagram received from 127\.0\.0\.1:\d+\.")
    proc.wait_for(r"sent an invalid DNS message")
    r = dig(port, "localhost", "A")
    assert status(r) == "NOERROR", r
    stop_clean(proc)
