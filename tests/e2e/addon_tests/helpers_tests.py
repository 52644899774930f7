"""8.1.1's test helpers beyond tflow(): ttcpflow(), tflow(ws=True) and
tflow's other keyword arguments, twebsocketflow(), tdnsflow() with
tutils.tdnsreq()/tdnsresp(), tdummyflow(), and
taddons.context(*addons, options=...), with 8.1.1's signatures and values.
Run by a plain `python3 -m pytest` (see addheader_tests.py)."""
import inspect

from mitmproxy import dns, tcp
from mitmproxy.options import Options
from mitmproxy.test import taddons, tflow, tutils
from mitmproxy.websocket import Opcode


def _params(fn):
    return [(p.name, p.kind.name, p.default) for p in inspect.signature(fn).parameters.values()]


def test_signatures_are_8_1_1s():
    kw = "KEYWORD_ONLY"
    assert _params(tflow.tflow) == [
        ("client_conn", kw, None), ("server_conn", kw, None), ("req", kw, None),
        ("resp", kw, False), ("err", kw, False), ("ws", kw, False), ("live", kw, True)]
    pos = "POSITIONAL_OR_KEYWORD"
    assert _params(tflow.ttcpflow) == [
        ("client_conn", pos, True), ("server_conn", pos, True), ("messages", pos, True),
        ("err", pos, None)]
    assert _params(tflow.twebsocketflow) == [
        ("messages", pos, True), ("err", pos, None), ("close_code", pos, None),
        ("close_reason", pos, "")]
    empty = inspect.Parameter.empty
    assert _params(taddons.context) == [
        ("addons", "VAR_POSITIONAL", empty), ("options", kw, None), ("loadcore", kw, True)]


def test_tflow_connections_and_defaults():
    f = tflow.tflow()
    assert f.live is True
    assert f.response is None and f.error is None and f.websocket is None
    assert f.timestamp_created == 946681200
    assert f.client_conn.peername == ("127.0.0.1", 22)
    assert f.client_conn.sni == "address" and f.client_conn.tls_version == "TLSv1.2"
    assert f.server_conn.address == ("address", 22)
    assert f.server_conn.sni == "address"
    assert tflow.tflow(live=False).live is False
    err = tflow.tflow(err=True).error
    assert (err.msg, err.timestamp) == ("error", 946681207)


def test_tflow_takes_its_parts():
    c, s = tflow.tclient_conn(), tflow.tserver_conn()
    req = tflow.treq(path=b"/other", timestamp_start=946681300)
    resp = tflow.tresp(status_code=404)
    f = tflow.tflow(client_conn=c, server_conn=s, req=req, resp=resp, err=tflow.terr("boom"))
    assert f.client_conn.id == c.id and f.server_conn.id == s.id
    assert f.request.path == "/other" and f.timestamp_created == 946681300
    assert f.response.status_code == 404
    assert f.error.msg == "boom"


def test_tflow_ws():
    f = tflow.tflow(ws=True)
    ws = f.websocket
    assert [(m.type, m.from_client, m.content, m.timestamp) for m in ws.messages] == [
        (Opcode.BINARY, True, b"hello binary", 946681203),
        (Opcode.TEXT, True, b"hello text", 946681204),
        (Opcode.TEXT, False, b"it's me", 946681205),
    ]
    assert (ws.close_code, ws.close_reason, ws.closed_by_client, ws.timestamp_end) == (
        1000, "Close Reason", False, 946681205)
    # A WebSocketData of another flow is taken as it is.
    g = tflow.tflow(ws=tflow.twebsocket())
    assert len(g.websocket.messages) == 3


def test_ttcpflow():
    f = tflow.ttcpflow()
    assert isinstance(f, tcp.TCPFlow) and f.live is True and f.error is None
    assert [(m.from_client, m.content, m.timestamp) for m in f.messages] == [
        (True, b"hello", 946681204.2), (False, b"it's me", 946681204.5)]
    assert f.client_conn.peername == ("127.0.0.1", 22)
    assert f.server_conn.address == ("address", 22)
    assert tflow.ttcpflow(err=True).error.msg == "error"
    mine = tflow.ttcpflow(messages=[tcp.TCPMessage(False, b"x", 1.0)])
    assert [m.content for m in mine.messages] == [b"x"]
    assert len(tflow.ttcpflow(messages=[]).messages) == 0


def test_twebsocketflow():
    f = tflow.twebsocketflow()
    assert f.request.url == "http://example.com/ws"
    assert f.request.headers["upgrade"] == "websocket"
    assert f.response.status_code == 101 and f.response.reason == "Switching Protocols"
    assert f.websocket.close_code == 1000
    assert tflow.twebsocketflow(err=True).websocket.close_code == 1006
    assert tflow.twebsocketflow(close_code=4000, close_reason="x").websocket.close_reason == "x"
    # 8.1.1's tflows() has two DNS flows besides these.
    assert [type(f).__name__ for f in tflow.tflows()][:5] == [
        "HTTPFlow", "HTTPFlow", "HTTPFlow", "TCPFlow", "TCPFlow"]


def test_tdnsflow():
    kw = "KEYWORD_ONLY"
    assert _params(tflow.tdnsflow) == [
        ("client_conn", kw, None), ("server_conn", kw, None), ("req", kw, None),
        ("resp", kw, False), ("err", kw, False), ("live", kw, True)]
    f = tflow.tdnsflow()
    assert isinstance(f, dns.DNSFlow) and f.live is True and f.error is None
    assert f.response is None and f.timestamp_created == 946681200
    q = f.request.questions[0]
    assert (q.name, q.type, q.class_) == ("dns.google", dns.types.A, dns.classes.IN)
    assert f.request.id == 42 and f.request.query and f.request.recursion_desired
    assert f.client_conn.address == ("127.0.0.1", 22)
    r = tflow.tdnsflow(resp=True).response
    assert [str(a) for a in r.answers] == ["8.8.8.8", "8.8.4.4"] and r.size == 8
    assert r.answers[0].ttl == 32 and r.recursion_available and not r.query
    assert tflow.tdnsflow(err=True).error.msg == "error"
    assert tflow.tdnsflow(live=False).live is False
    g = tflow.tdnsflow(req=tutils.tdnsreq(id=7), resp=tutils.tdnsresp(id=7))
    assert g.request.id == 7 and g.response.id == 7
    assert g.request == tutils.tdnsreq(id=7)
    # A script's answer in dns_request, as 8.1.1's tests build them.
    g.response = g.request.fail(dns.response_codes.NXDOMAIN)
    assert g.response.response_code == 3 and g.response.answers == []
    assert g.response.questions == g.request.questions and g.response.id == 7
    g.response = g.request.succeed([tutils.tdnsresp().answers[1]])
    assert [str(a) for a in g.response.answers] == ["8.8.4.4"]
    g.response.answers[0].ttl = 5
    assert g.response.answers[0].ttl == 5
    assert [type(f).__name__ for f in tflow.tflows()][5:] == ["DNSFlow", "DNSFlow"]
    assert tflow.tflows()[5].response is not None and tflow.tflows()[6].error is not None


def test_tdummyflow():
    pos = "POSITIONAL_OR_KEYWORD"
    assert _params(tflow.tdummyflow) == [
        ("client_conn", pos, True), ("server_conn", pos, True), ("err", pos, None)]
    f = tflow.tdummyflow()
    assert type(f).__name__ == "DummyFlow" and f.live is True and f.error is None
    assert f.client_conn.address == ("127.0.0.1", 22)
    assert f.server_conn.address == ("address", 22)
    assert tflow.tdummyflow(err=True).error.msg == "error"


def test_context_options():
    opts = Options(listen_port=1234)
    opts.ssl_insecure = True
    with taddons.context(options=opts) as tctx:
        assert tctx.options is opts
        assert tctx.options.listen_port == 1234 and tctx.options.ssl_insecure is True
    # The next context starts from the defaults again.
    with taddons.context() as tctx:
        assert tctx.options.listen_port == 8080 and tctx.options.ssl_insecure is False
