"""
End-to-end transparent mode on Linux: three network namespaces of our own,

    client (10.200.1.2) --veth-- router (10.200.1.1 | 10.200.2.1) --veth-- server (10.200.2.2)

The router forwards between them, and an iptables REDIRECT rule in its nat
PREROUTING chain sends the client's TCP port 80 and 443 to our mitmdump
--mode transparent, which runs inside the router namespace. curl in the
client namespace has no proxy configuration; the page must still come back
through the proxy. The addresses exist only inside these namespaces, and
deleting the namespaces (always, in finally) removes the links, addresses,
routes and rules with them; the host's own network is never touched.
"""
import os
import shutil
import subprocess
import time
import uuid

import pytest

from conftest import Proc, binary, make_cert

CLI_IP, RTR_CLI_IP, RTR_SRV_IP, SRV_IP = "10.200.1.2", "10.200.1.1", "10.200.2.1", "10.200.2.2"
PROXY_PORT = 8080

HTTPS_SERVER = r"""
import functools, http.server, ssl, sys, threading
root, cert, key, host = sys.argv[1:5]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
plain = http.server.ThreadingHTTPServer((host, 80), handler)
tls = http.server.ThreadingHTTPServer((host, 443), handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
threading.Thread(target=plain.serve_forever, daemon=True).start()
print("serving", flush=True)
tls.serve_forever()
"""


def sh(*args, check=True):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({r.returncode}):\n"
                             + r.stdout.decode("utf-8", "replace"))
    return r


def in_ns(ns, *args, check=True):
    return sh("ip", "netns", "exec", ns, *args, check=check)


def ns_curl(ns, *args, timeout=10):
    r = subprocess.run(["ip", "netns", "exec", ns, "curl", "-sS", "--max-time", str(timeout),
                        *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout + 10)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def require_tools():
    for tool in ("ip", "iptables", "curl"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed; transparent mode's e2e test needs it "
                        "(scripts/deps.sh installs it)")


def build_network(cli, rtr, srv):
    """Creates the namespaces and wires them; raises with the failing command."""
    for ns in (cli, rtr, srv):
        r = sh("ip", "netns", "add", ns, check=False)
        if r.returncode != 0:
            pytest.fail("cannot create a network namespace (transparent mode's e2e test runs "
                        "as root with CAP_SYS_ADMIN): " + r.stdout.decode("utf-8", "replace"))
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    # The veth pairs are created inside the namespaces, never in the host's.
    sh("ip", "-n", cli, "link", "add", "vc", "type", "veth", "peer", "name", "vrc", "netns", rtr)
    sh("ip", "-n", srv, "link", "add", "vs", "type", "veth", "peer", "name", "vrs", "netns", rtr)
    for ns, dev, ip in ((cli, "vc", CLI_IP), (rtr, "vrc", RTR_CLI_IP), (rtr, "vrs", RTR_SRV_IP),
                        (srv, "vs", SRV_IP)):
        sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", dev)
        sh("ip", "-n", ns, "link", "set", dev, "up")
    sh("ip", "-n", cli, "route", "add", "default", "via", RTR_CLI_IP)
    sh("ip", "-n", srv, "route", "add", "default", "via", RTR_SRV_IP)
    # ip_forward is per namespace: this one is the router's alone.
    in_ns(rtr, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
    for dport in ("80", "443"):
        in_ns(rtr, "iptables", "-t", "nat", "-A", "PREROUTING", "-i", "vrc", "-p", "tcp",
              "--dport", dport, "-j", "REDIRECT", "--to-port", str(PROXY_PORT))


def wait_served(rtr, url):
    """Bounded: the origin in the server namespace answers from the router's."""
    for _ in range(100):
        rc, _, _ = ns_curl(rtr, "-k", "-o", "/dev/null", url, timeout=2)
        if rc == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"origin {url} did not come up")


def check_clean_exit(proc):
    rc = proc.stop()
    out = proc.output()
    assert "ERROR: AddressSanitizer" not in out, out
    assert "runtime error:" not in out, out
    assert "LeakSanitizer" not in out, out
    assert rc == 0, f"mitmdump exited with {rc}:\n{out}"


def test_transparent_http_and_https(tmp_path):
    require_tools()
    mitmdump = binary("mitmdump")
    tag = uuid.uuid4().hex[:8]
    cli, rtr, srv = f"mpt-cli-{tag}", f"mpt-rtr-{tag}", f"mpt-srv-{tag}"
    procs = []
    origin = proxy = None
    try:
        build_network(cli, rtr, srv)

        root = tmp_path / "html"
        root.mkdir()
        (root / "hello.txt").write_text("hello through the router\n")
        cert, key = make_cert(tmp_path, "origin", SRV_IP, [f"IP:{SRV_IP}"])
        script = tmp_path / "origin.py"
        script.write_text(HTTPS_SERVER)
        origin = Proc(["ip", "netns", "exec", srv, "python3", str(script), str(root), str(cert),
                       str(key), SRV_IP])
        procs.append(origin)
        origin.wait_for(r"^serving$")
        wait_served(rtr, f"http://{SRV_IP}/hello.txt")
        wait_served(rtr, f"https://{SRV_IP}/hello.txt")

        confdir = tmp_path / "conf"
        proxy = Proc(["ip", "netns", "exec", rtr, mitmdump, "--mode", "transparent",
                      "--listen-port", str(PROXY_PORT), "--set", f"confdir={confdir}", "-k"])
        procs.append(proxy)
        proxy.wait_for(rf"Proxy server listening at .*:{PROXY_PORT}")

        # Plain HTTP: the client talks to the server's address, port 80.
        rc, body, err = ns_curl(cli, f"http://{SRV_IP}/hello.txt")
        assert rc == 0, err + "\n" + proxy.output()
        assert body == b"hello through the router\n"
        proxy.wait_for(rf"GET http://{SRV_IP}(:80)?/hello\.txt")
        proxy.wait_for(r"<< (HTTP/1\.[01] )?200 OK")

        # HTTPS: intercepted with our CA, which the client trusts.
        rc, body, err = ns_curl(cli, "--cacert", str(confdir / "mitmproxy-ca-cert.pem"),
                                f"https://{SRV_IP}/hello.txt?tls=1")
        assert rc == 0, err + "\n" + proxy.output()
        assert body == b"hello through the router\n"
        proxy.wait_for(rf"GET https://{SRV_IP}(:443)?/hello\.txt\?tls=1")

        # A connection to the proxy's port itself has no REDIRECT behind it.
        rc, _, _ = ns_curl(cli, f"http://{RTR_CLI_IP}:{PROXY_PORT}/", timeout=5)
        assert rc != 0
        proxy.wait_for(r"cannot read the original destination \(no REDIRECT rule\?\)")
        proc_to_check, proxy = proxy, None
        procs.remove(proc_to_check)
        check_clean_exit(proc_to_check)
    finally:
        for p in procs:
            p.stop()
        for ns in (cli, rtr, srv):
            subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
        leftover = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE,
                                  timeout=30).stdout.decode()
        assert tag not in leftover, leftover
    assert os.path.exists(mitmdump)
