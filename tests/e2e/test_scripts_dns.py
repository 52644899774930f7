"""
DNS flows changed by scripts (issues 13 and 16): in dns_request a script may
answer with flow.request.succeed()/fail() and the upstream is never asked, or
change the question that goes upstream; in dns_response what it leaves in
flow.response is what the client gets. Queried with dig through
`mitmdump --mode reverse:dns://...` in front of test_dns_mode's small server.
"""
from test_dns_mode import answers, dig, start_dns, status, stop_clean, upstream  # noqa: F401
from test_scripts import script

SCRIPT = """
    import ipaddress

    from mitmproxy import dns

    def dns_request(flow: dns.DNSFlow):
        q = flow.request.questions[0]
        if q.name == "scripted.test":
            flow.response = flow.request.succeed([
                dns.ResourceRecord.A(q.name, ipaddress.IPv4Address("192.0.2.7"), ttl=30),
                dns.ResourceRecord.CNAME(q.name, "target.test"),
            ])
        elif q.name == "blocked.test":
            flow.response = flow.request.fail(dns.response_codes.NXDOMAIN)
        elif q.name == "alias.test":
            q.name = "renamed.test"

    def dns_response(flow: dns.DNSFlow):
        if flow.response.questions[0].name == "renamed.test":
            flow.response.questions[0].name = "alias.test"
        for rr in flow.response.answers:
            if rr.type == dns.types.A and rr.name == "edited.test":
                rr.ipv4_address = ipaddress.IPv4Address("198.51.100.1")
                rr.ttl = 77
        if flow.response.questions[0].name == "edited.test":
            flow.response.answers.append(
                dns.ResourceRecord.A("edited.test", ipaddress.IPv4Address("198.51.100.2")))
    """


def test_script_answers_and_edits_dns_messages(tmp_path, upstream):  # noqa: F811
    s = script(tmp_path, "dnsedit.py", SCRIPT)
    proc, port = start_dns("--mode", f"reverse:dns://127.0.0.1:{upstream.port}@127.0.0.1:0",
                           "-s", s, confdir=str(tmp_path / "conf"))
    r = dig(port, "scripted.test", "A")
    assert status(r) == "NOERROR", r
    assert answers(r) == [("scripted.test.", "A", "192.0.2.7"),
                          ("scripted.test.", "CNAME", "target.test.")], r
    r = dig(port, "+tcp", "blocked.test", "A")
    assert status(r) == "NXDOMAIN" and answers(r) == [], r
    r = dig(port, "edited.test", "A")
    assert status(r) == "NOERROR", r
    assert [(n, t, d) for n, t, d in answers(r)] == [("edited.test.", "A", "198.51.100.1"),
                                                      ("edited.test.", "A", "198.51.100.2")], r
    assert "edited.test.\t\t77\tIN\tA\t198.51.100.1" in r.replace("  ", "\t"), r
    r = dig(port, "alias.test", "A")
    assert status(r) == "NOERROR", r
    assert answers(r) == [("renamed.test.", "A", "10.0.0.12")], r
    # The scripted answers never went upstream; the renamed question did.
    assert upstream.seen == ["edited.test", "renamed.test"], upstream.seen
    stop_clean(proc)
