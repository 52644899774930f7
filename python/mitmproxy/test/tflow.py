"""mitmproxy.test.tflow: made-up flows for addon unit tests, with the
values 8.1.1's helpers give them (so tests that check them keep passing)."""
from mitmproxy import _c
from mitmproxy import flow as _flow
from mitmproxy import http


def _made(cls, default, kwargs, text_fields):
    """cls(**default) with kwargs over the defaults; the text fields may be
    given as bytes, as 8.1.1's helpers take them."""
    default.update(kwargs)
    for k in text_fields:
        if isinstance(default[k], bytes):
            default[k] = default[k].decode("latin-1")
    return cls(**default)


def treq(**kwargs):
    """A GET of http://address:22/path with a body and two headers."""
    default = dict(
        host="address",
        port=22,
        method=b"GET",
        scheme=b"http",
        authority=b"",
        path=b"/path",
        http_version=b"HTTP/1.1",
        headers=http.Headers(((b"header", b"qvalue"), (b"content-length", b"7"))),
        content=b"content",
        trailers=None,
        timestamp_start=946681200,
        timestamp_end=946681201,
    )
    return _made(http.Request, default, kwargs,
                 ("method", "scheme", "authority", "path", "http_version"))


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
    return _made(http.Response, default, kwargs, ("http_version", "reason"))


def terr(content="error"):
    return _flow.Error(content)


def tflow(*, client_conn=None, server_conn=None, req=None, resp=None, err=None, ws=False,
          live=False):
    """An HTTPFlow with treq() (or req); resp=True adds tresp(), err=True terr()."""
    f = http.HTTPFlow._from_c(_c.flow_new("http"))
    f.request = req if req is not None else treq()
    if resp is True:
        resp = tresp()
    if resp:
        f.response = resp
    if err is True:
        err = terr()
    if err:
        f.error = err
    if ws:
        raise NotImplementedError("tflow(ws=True) is not provided in this version")
    return f


__all__ = ["treq", "tresp", "terr", "tflow"]
