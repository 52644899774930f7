"""mitmproxy.test.tflow: made-up flows for addon unit tests, with the
signatures and values of 8.1.1's helpers (so tests that check them keep
passing).

A flow is written as 8.1.1's flow state (version 17) and read through our
flow-file reader, so its connections, WebSocket and TCP messages are the
proxy's own; a request, response or error passed in is then set on it.
"""
import uuid

from mitmproxy import _c
from mitmproxy import dns
from mitmproxy import flow as _flow
from mitmproxy import http
from mitmproxy import tcp
from mitmproxy import websocket


def _tns(v):
    """v in tnetstring, the flow file's encoding."""
    if v is None:
        return b"0:~"
    if isinstance(v, bool):
        t, body = b"!", b"true" if v else b"false"
    elif isinstance(v, int):
        t, body = b"#", str(v).encode()
    elif isinstance(v, float):
        t, body = b"^", repr(v).encode()
    elif isinstance(v, bytes):
        t, body = b",", v
    elif isinstance(v, str):
        t, body = b";", v.encode()
    elif isinstance(v, dict):
        t, body = b"}", b"".join(_tns(k) + _tns(x) for k, x in v.items())
    elif isinstance(v, (list, tuple)):
        t, body = b"]", b"".join(_tns(x) for x in v)
    else:
        raise TypeError(f"cannot write {type(v).__name__} into a flow")
    return str(len(body)).encode() + b":" + body + t


def _read(state):
    """The flow of one 8.1.1 state dict, as mitmproxy's class."""
    from mitmproxy import _wrap

    (cflow,), _ = _c.flows_read(_tns(state))
    return _wrap.flow(cflow)


def _client_state():
    return dict(
        id=str(uuid.uuid4()), address=("127.0.0.1", 22), mitmcert=None, tls_established=True,
        timestamp_start=946681200, timestamp_tls_setup=946681201, timestamp_end=946681206,
        sni="address", cipher_name="cipher", alpn=b"http/1.1", tls_version="TLSv1.2",
        tls_extensions=[], state=0, sockname=("", 0), error=None, tls=False,
        certificate_list=[], alpn_offers=[], cipher_list=[],
    )


def _server_state():
    return dict(
        id=str(uuid.uuid4()), address=("address", 22), source_address=("address", 22),
        ip_address=("192.168.0.1", 22), timestamp_start=946681202, timestamp_tcp_setup=946681203,
        timestamp_tls_setup=946681204, timestamp_end=946681205, tls_established=True,
        sni="address", alpn=None, tls_version="TLSv1.2", via=None, state=0, error=None,
        tls=False, certificate_list=[], alpn_offers=[], cipher_name=None, cipher_list=[],
        via2=None,
    )


def _request_state():
    return dict(
        host="address", port=22, method=b"GET", scheme=b"http", authority=b"", path=b"/path",
        http_version=b"HTTP/1.1", headers=[[b"header", b"qvalue"], [b"content-length", b"7"]],
        content=b"content", trailers=None, timestamp_start=946681200, timestamp_end=946681201,
    )


def _flow_state(kind, **fields):
    state = dict(
        id=str(uuid.uuid4()), type=kind, version=17, error=None, intercepted=False,
        is_replay=None, marked="", comment="", metadata={}, timestamp_created=946681200.0,
        client_conn=_client_state(), server_conn=_server_state(),
    )
    state.update(fields)
    return state


def _error_state(err):
    return None if not err else {"msg": err.msg, "timestamp": float(err.timestamp)}


def _ws_state(ws):
    """8.1.1's websocket state from a WebSocketData of ours."""
    return dict(
        messages=[(int(m.type), m.from_client, m.content, m.timestamp, m.dropped, m.injected)
                  for m in ws.messages],
        closed_by_client=ws.closed_by_client, close_code=ws.close_code,
        close_reason=ws.close_reason, timestamp_end=ws.timestamp_end,
    )


def _with_conns(f, client_conn, server_conn):
    if client_conn is not None:
        f.client_conn = client_conn
    if server_conn is not None:
        f.server_conn = server_conn
    return f


def treq(**kwargs):
    """A GET of http://address:22/path with a body and two headers."""
    default = _request_state()
    default["headers"] = http.Headers(((b"header", b"qvalue"), (b"content-length", b"7")))
    default.update(kwargs)
    for k in ("method", "scheme", "authority", "path", "http_version"):
        if isinstance(default[k], bytes):
            default[k] = default[k].decode("latin-1")
    return http.Request(**default)


def tresp(**kwargs):
    """A 200 OK with a body and two headers."""
    default = dict(
        http_version=b"HTTP/1.1",
        status_code=200,
        reason=b"OK",
        headers=http.Headers(((b"header-response", b"svalue"), (b"content-length", b"7"))),
        content=b"message",
        trailers=None,
        timestamp_start=946681202,
        timestamp_end=946681203,
    )
    default.update(kwargs)
    for k in ("http_version", "reason"):
        if isinstance(default[k], bytes):
            default[k] = default[k].decode("latin-1")
    return http.Response(**default)


def terr(content="error"):
    return _flow.Error(content, 946681207)


def tclient_conn():
    """A client at 127.0.0.1:22 that spoke TLS 1.2 with SNI "address"."""
    return _read(_flow_state("http", request=_request_state())).client_conn


def tserver_conn():
    """The server address:22 (192.168.0.1) over TLS 1.2."""
    return _read(_flow_state("http", request=_request_state())).server_conn


def twebsocket(messages=True):
    """A WebSocket closed normally by the server, with three messages."""
    return tflow(ws=True if messages else _NO_MESSAGES).websocket


_NO_MESSAGES = object()


def _twebsocket_state(messages=True):
    return dict(
        messages=[
            (2, True, b"hello binary", 946681203, False, False),
            (1, True, b"hello text", 946681204, False, False),
            (1, False, b"it's me", 946681205, False, False),
        ] if messages else [],
        closed_by_client=False, close_code=1000, close_reason="Close Reason",
        timestamp_end=946681205.0,
    )


def tflow(*, client_conn=None, server_conn=None, req=None, resp=False, err=False, ws=False,
          live=True):
    """An HTTPFlow of treq() (or req); resp=True adds tresp(), err=True
    terr() and ws=True twebsocket(); any of them may be given instead."""
    if resp is True:
        resp = tresp()
    if err is True:
        err = terr()
    if ws is True or ws is _NO_MESSAGES:
        ws_state = _twebsocket_state(ws is True)
    elif ws:
        ws_state = _ws_state(ws)
    else:
        ws_state = None
    assert resp is False or resp is None or isinstance(resp, http.Response)
    assert err is False or err is None or isinstance(err, _flow.Error)
    f = _read(_flow_state("http", request=_request_state(), error=_error_state(err),
                          websocket=ws_state))
    if req is not None:
        f.request = req
        f.timestamp_created = req.timestamp_start
    if resp:
        f.response = resp
    f.live = live
    return _with_conns(f, client_conn, server_conn)


def ttcpflow(client_conn=True, server_conn=True, messages=True, err=None):
    """A live TCPFlow with a message each way ("hello", "it's me")."""
    if messages is True:
        messages = [tcp.TCPMessage(True, b"hello", 946681204.2),
                    tcp.TCPMessage(False, b"it's me", 946681204.5)]
    if err is True:
        err = terr()
    f = _read(_flow_state(
        "tcp", error=_error_state(err),
        messages=[(m.from_client, m.content, m.timestamp) for m in messages or []],
    ))
    f.live = True
    return _with_conns(f, None if client_conn is True else client_conn,
                       None if server_conn is True else server_conn)


def twebsocketflow(messages=True, err=None, close_code=None, close_reason=""):
    """A WebSocket upgrade of ws://example.com/ws with twebsocket()'s messages."""
    ws = _twebsocket_state(messages)
    ws["close_reason"] = close_reason
    ws["close_code"] = close_code if close_code is not None else 1006 if err is True else 1000
    f = _read(_flow_state(
        "http",
        request=dict(
            host="example.com", port=80, method=b"GET", scheme=b"http", authority=b"example.com",
            path=b"/ws", http_version=b"HTTP/1.1",
            headers=[[b"connection", b"upgrade"], [b"upgrade", b"websocket"],
                     [b"sec-websocket-version", b"13"], [b"sec-websocket-key", b"1234"]],
            content=b"", trailers=None, timestamp_start=946681200, timestamp_end=946681201,
        ),
        response=dict(
            http_version=b"HTTP/1.1", status_code=101, reason=b"Switching Protocols",
            headers=[[b"connection", b"upgrade"], [b"upgrade", b"websocket"],
                     [b"sec-websocket-accept", b""]],
            content=b"", trailers=None, timestamp_start=946681202, timestamp_end=946681203,
        ),
        websocket=ws,
    ))
    f.live = True
    return f


def _dns_state(m):
    """8.1.1's state of a dns.Message, timestamps as floats as it writes them."""
    state = m.get_state()
    state["timestamp"] = float(state["timestamp"])
    return state


def tdnsflow(*, client_conn=None, server_conn=None, req=None, resp=False, err=False, live=True):
    """A DNSFlow of tdnsreq() (or req); resp=True adds tdnsresp(), err=True
    terr(); either may be given instead."""
    from mitmproxy.test.tutils import tdnsreq, tdnsresp

    if req is None:
        req = tdnsreq()
    if resp is True:
        resp = tdnsresp()
    if err is True:
        err = terr()
    assert resp is False or isinstance(resp, dns.Message)
    assert err is False or isinstance(err, _flow.Error)
    f = _read(_flow_state("dns", request=_dns_state(req),
                          response=_dns_state(resp) if resp else None,
                          error=_error_state(err), timestamp_created=float(req.timestamp)))
    f.live = live
    return _with_conns(f, client_conn, server_conn)


class DummyFlow(_flow.Flow):
    """A flow that is neither HTTP, TCP nor DNS (8.1.1's test DummyFlow).
    It rides on an empty DNS flow of the proxy's, which holds no messages."""

    __slots__ = ()
    type = "flow"


def tdummyflow(client_conn=True, server_conn=True, err=None):
    """A live DummyFlow with tclient_conn() and tserver_conn()."""
    if err is True:
        err = terr()
    f = DummyFlow._from_c(_c.flow_new("dns"))
    f.client_conn = tclient_conn() if client_conn is True else client_conn
    f.server_conn = tserver_conn() if server_conn is True else server_conn
    f.error = err
    f.live = True
    return f


def tflows():
    """8.1.1's tflows(): HTTP, WebSocket, TCP and DNS flows, some with errors."""
    return [tflow(resp=True), tflow(err=True), tflow(ws=True), ttcpflow(), ttcpflow(err=True),
            tdnsflow(resp=True), tdnsflow(err=True)]


__all__ = ["treq", "tresp", "terr", "tflow", "ttcpflow", "twebsocketflow", "twebsocket",
           "tclient_conn", "tserver_conn", "tflows", "tdnsflow", "tdummyflow", "DummyFlow"]
