"""mitmproxy.http: HTTPFlow, Request, Response and Headers.

Request and Response are views of mitmproxy-c's C messages (mitmproxy._c
.Message): every attribute reads or writes the C message when it is used,
and a body becomes Python bytes only when a script reads it. Headers is
mitmproxy's multidict (case-insensitive names, order and duplicates kept)
over the same fields.
"""
# Not http.client: it imports ssl, whose OpenSSL set-up would share the
# proxy's libcrypto for nothing.
from http import HTTPStatus as _HTTPStatus
import json as _json
import re
import time
import urllib.parse

from mitmproxy import _c
from mitmproxy import _forms
from mitmproxy import flow as _flow
from mitmproxy.coretypes.multidict import MultiDictView


def _bytes(x):
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode("utf-8", "surrogateescape")
    raise TypeError(f"expected str or bytes, not {type(x).__name__}")


def _str(x):
    return x.decode("utf-8", "surrogateescape")


def _live_view(name, doc):
    """A property that is a MultiDictView over self._get_<name>() and
    self._set_<name>(pairs), looked up on each use so that Response's
    cookies are its own; assigning a multidict or pairs replaces them all."""

    def get(self):
        return MultiDictView(getattr(self, "_get_" + name), getattr(self, "_set_" + name))

    def set_(self, value):
        getattr(self, "_set_" + name)(value.fields if hasattr(value, "fields") else value)

    return property(get, set_, doc=doc)


class _ListFields:
    """The fields of a Headers of its own (not a message's)."""

    def __init__(self, fields):
        self.fields = list(fields)

    def hfields(self):
        return tuple(self.fields)

    def hset_fields(self, fields):
        self.fields = list(fields)

    def hget_all(self, name):
        n = name.lower()
        return [v for k, v in self.fields if k.lower() == n]

    def hset_all(self, name, values):
        values, out, n = list(values), [], name.lower()
        for k, v in self.fields:
            if k.lower() != n:
                out.append((k, v))
            elif values:
                out.append((k, values.pop(0)))
        out.extend((name, v) for v in values)
        self.fields = out


class _TrailerFields(_ListFields):
    """The fields of a message's trailers, read and written each time."""

    def __init__(self, m):
        self._m = m

    @property
    def fields(self):
        return list(self._m.tfields() or ())

    @fields.setter
    def fields(self, value):
        self._m.tset_fields(list(value))


class Headers:
    """HTTP headers as mitmproxy's Headers: a multidict whose look-ups
    ignore case; h[name] joins repeated fields with ", "; fields holds
    (name, value) bytes pairs."""

    def __init__(self, fields=(), **headers):
        if isinstance(fields, (_c.Message, _TrailerFields)):
            self._b = fields
            return
        fields = [(_bytes(k), _bytes(v)) for k, v in fields]
        for k, v in headers.items():
            fields.append((_bytes(k.replace("_", "-")), _bytes(v)))
        self._b = _ListFields(fields)

    @property
    def fields(self):
        return self._b.hfields()

    @fields.setter
    def fields(self, value):
        self._b.hset_fields([(_bytes(k), _bytes(v)) for k, v in value])

    def get_all(self, name):
        return [_str(v) for v in self._b.hget_all(_bytes(name))]

    def set_all(self, name, values):
        self._b.hset_all(_bytes(name), [_bytes(v) for v in values])

    def add(self, name, value):
        self._b.hset_fields(self._b.hfields() + ((_bytes(name), _bytes(value)),))

    def insert(self, index, name, value):
        fields = list(self._b.hfields())
        fields.insert(index, (_bytes(name), _bytes(value)))
        self._b.hset_fields(fields)

    def __getitem__(self, name):
        values = self._b.hget_all(_bytes(name))
        if not values:
            raise KeyError(name)
        return ", ".join(_str(v) for v in values)

    def __setitem__(self, name, value):
        self._b.hset_all(_bytes(name), [_bytes(value)])

    def __delitem__(self, name):
        if not self._b.hget_all(_bytes(name)):
            raise KeyError(name)
        self._b.hset_all(_bytes(name), [])

    def __contains__(self, name):
        return isinstance(name, (str, bytes)) and bool(self._b.hget_all(_bytes(name)))

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def pop(self, name, *default):
        try:
            v = self[name]
        except KeyError:
            if default:
                return default[0]
            raise
        del self[name]
        return v

    def setdefault(self, name, default=None):
        if name not in self:
            self[name] = default
        return self[name]

    def update(self, other=(), **kw):
        items = other.items() if hasattr(other, "items") else other
        for k, v in list(items) + list(kw.items()):
            self[k] = v

    def __iter__(self):
        seen = set()
        for k, _ in self._b.hfields():
            key = k.lower()
            if key not in seen:
                seen.add(key)
                yield _str(k)

    def keys(self, multi=False):
        if multi:
            return [_str(k) for k, _ in self._b.hfields()]
        return list(iter(self))

    def values(self, multi=False):
        if multi:
            return [_str(v) for _, v in self._b.hfields()]
        return [self[k] for k in self]

    def items(self, multi=False):
        if multi:
            return [(_str(k), _str(v)) for k, v in self._b.hfields()]
        return [(k, self[k]) for k in self]

    def __len__(self):
        return len(self.keys())

    def __bool__(self):
        return bool(self._b.hfields())

    def __eq__(self, other):
        if isinstance(other, Headers):
            return self.fields == other.fields
        return NotImplemented

    def __bytes__(self):
        return b"".join(k + b": " + v + b"\r\n" for k, v in self._b.hfields())

    def __repr__(self):
        return f"Headers[{self.fields!r}]"

    def copy(self):
        return Headers(self.fields)


_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]+)", re.I)


class Message:
    """What requests and responses share: headers, body, timestamps."""

    __slots__ = ("_m",)
    _prefix = ""

    @classmethod
    def _view(cls, m):
        o = cls.__new__(cls)
        o._m = m
        return o

    @property
    def http_version(self):
        return getattr(self._m, self._prefix + "http_version")

    @http_version.setter
    def http_version(self, value):
        setattr(self._m, self._prefix + "http_version", value)

    @property
    def is_http10(self):
        return self.http_version == "HTTP/1.0"

    @property
    def is_http11(self):
        return self.http_version == "HTTP/1.1"

    @property
    def is_http2(self):
        return self.http_version == "HTTP/2.0"

    @property
    def headers(self):
        return Headers(self._m)

    @headers.setter
    def headers(self, value):
        self._m.hset_fields(value.fields if isinstance(value, Headers) else Headers(value).fields)

    @property
    def trailers(self):
        """The trailers as Headers (a live view), or None without any."""
        if self._m.tfields() is None:
            return None
        return Headers(_TrailerFields(self._m))

    @trailers.setter
    def trailers(self, value):
        if value is None:
            self._m.tset_fields(None)
        else:
            h = value if isinstance(value, Headers) else Headers(value)
            self._m.tset_fields(list(h.fields))

    @property
    def timestamp_start(self):
        return getattr(self._m, self._prefix + "timestamp_start")

    @timestamp_start.setter
    def timestamp_start(self, value):
        setattr(self._m, self._prefix + "timestamp_start", value)

    @property
    def timestamp_end(self):
        return getattr(self._m, self._prefix + "timestamp_end")

    @timestamp_end.setter
    def timestamp_end(self, value):
        setattr(self._m, self._prefix + "timestamp_end", value)

    @property
    def raw_content(self):
        return self._m.raw_content

    @raw_content.setter
    def raw_content(self, value):
        self._m.raw_content = value

    @property
    def content(self):
        return self.get_content()

    @content.setter
    def content(self, value):
        self.set_content(value)

    @property
    def text(self):
        return self.get_text()

    @text.setter
    def text(self, value):
        self.set_text(value)

    def get_content(self, strict=True):
        raw = self._m.raw_content
        if raw is None:
            return None
        ce = self.headers.get("content-encoding")
        if not ce:
            return raw
        try:
            for coding in reversed([c.strip() for c in ce.split(",") if c.strip()]):
                raw = _c.decode(coding, raw)
            return raw
        except ValueError:
            if strict:
                raise
            return self._m.raw_content

    def set_content(self, value):
        if value is None:
            self._m.raw_content = None
            return
        if not isinstance(value, bytes):
            raise TypeError(
                f"Message content must be bytes, not {type(value).__name__}. "
                "Please use .text if you want to assign a str."
            )
        h = self.headers
        ce = h.get("content-encoding")
        try:
            for coding in [c.strip() for c in (ce or "identity").split(",") if c.strip()]:
                value = _c.encode(coding, value)
        except ValueError:
            del h["content-encoding"]
        self._m.raw_content = value
        if "transfer-encoding" not in h:
            h["content-length"] = str(len(value))

    def _charset(self, content=b""):
        ct = self.headers.get("content-type", "")
        m = _CHARSET.search(ct)
        enc = m.group(1) if m else None
        if not enc and "json" in ct:
            enc = "utf8"
        if not enc and "html" in ct:
            meta = re.search(rb"""<meta[^>]+charset=['"]?([^'">]+)""", content, re.I)
            if meta:
                enc = meta.group(1).decode("ascii", "ignore")
        if not enc and "text/css" in ct:
            css = re.match(rb"""@charset "([^"]+)";""", content, re.I)
            if css:
                enc = css.group(1).decode("ascii", "ignore")
        enc = enc or "latin-1"
        return "gb18030" if enc.lower() in ("gb2312", "gbk") else enc

    def get_text(self, strict=True):
        content = self.get_content(strict)
        if content is None:
            return None
        try:
            return content.decode(self._charset(content))
        except (ValueError, LookupError):
            if strict:
                raise ValueError(f"Invalid charset for {self!r}") from None
            return content.decode("utf8", "surrogateescape")

    def set_text(self, text):
        if text is None:
            self.set_content(None)
            return
        try:
            self.set_content(text.encode(self._charset()))
        except (ValueError, LookupError):
            h = self.headers
            ct = h.get("content-type", "") or "text/plain"
            ct = _CHARSET.sub("", ct)
            h["content-type"] = ct + "; charset=utf-8"
            self.set_content(text.encode("utf8", "surrogateescape"))

    def json(self, **kwargs):
        content = self.get_content(strict=False)
        if content is None:
            raise TypeError("Message content is not available.")
        return _json.loads(content, **kwargs)

    def decode(self, strict=True):
        decoded = self.get_content(strict)
        h = self.headers
        h.pop("content-encoding", None)
        self.content = decoded

    def encode(self, encoding):
        self.decode()
        self.headers["content-encoding"] = encoding
        self.content = self._m.raw_content

    def replace(self, pattern, repl, flags=0, count=0):
        """The seeds' older API: replaces pattern (a regex) with repl in the
        headers and the decoded body; returns the number of replacements."""
        if isinstance(pattern, str):
            pattern = pattern.encode("utf-8", "surrogateescape")
        if isinstance(repl, str):
            repl = repl.encode("utf-8", "surrogateescape")
        n = 0
        content = self.get_content(strict=False)
        if content:
            content, n = re.subn(pattern, repl, content, count=count, flags=flags)
            self.content = content
        fields = []
        for k, v in self.headers.fields:
            k, a = re.subn(pattern, repl, k, count=count, flags=flags)
            v, b = re.subn(pattern, repl, v, count=count, flags=flags)
            fields.append((k, v))
            n += a + b
        self.headers.fields = fields
        return n

    @property
    def stream(self):
        """Set in requestheaders/responseheaders: this body is streamed, not
        buffered (the flow keeps no content)."""
        return getattr(self._m, self._prefix + "stream")

    @stream.setter
    def stream(self, value):
        if callable(value):
            # 8.1.1 runs each chunk through the function; we only stream.
            from mitmproxy import ctx

            ctx.log.warn("Message.stream as a function is not supported in this version: "
                         "the body streams unchanged")
        setattr(self._m, self._prefix + "stream", bool(value))


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _reason(status_code):
    try:
        return _HTTPStatus(status_code).phrase
    except ValueError:
        return ""


def _hostport(scheme, host, port):
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if _DEFAULT_PORTS.get(scheme) == port:
        return host
    return f"{host}:{port}"


def _parse_url(url):
    """mitmproxy's url.parse: (scheme, host, port, path)."""
    u = urllib.parse.urlparse(url)
    if not u.hostname or u.scheme not in ("http", "https", "ws", "wss"):
        raise ValueError(f"Invalid URL: {url!r}")
    port = u.port or _DEFAULT_PORTS.get(u.scheme, 80)
    path = urllib.parse.urlunparse(("", "", u.path, u.params, u.query, u.fragment)) or "/"
    return u.scheme, u.hostname, port, path


class Request(Message):
    """An HTTP request (mitmproxy.http.Request)."""

    __slots__ = ()
    _prefix = "req_"

    def __init__(
        self,
        host,
        port,
        method,
        scheme,
        authority,
        path,
        http_version,
        headers,
        content,
        trailers,
        timestamp_start,
        timestamp_end,
    ):
        self._m = _c.Message(response=False)
        self._m.host = host
        self._m.port = port
        self._m.method = method
        self._m.scheme = scheme
        self._m.authority = authority
        self._m.path = path
        self._m.req_http_version = http_version
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self._m.raw_content = content
        self._m.req_timestamp_start = timestamp_start or 0
        self._m.req_timestamp_end = timestamp_end

    @classmethod
    def make(cls, method, url, content=b"", headers=()):
        if isinstance(headers, dict):
            headers = Headers((_bytes(k), _bytes(v)) for k, v in headers.items())
        elif not isinstance(headers, Headers):
            headers = Headers(headers)
        now = time.time()
        req = cls("", 0, method, "", "", "", "HTTP/1.1", headers, b"", None, now, now)
        req.url = url
        if isinstance(content, bytes):
            req.content = content
        elif isinstance(content, str):
            req.text = content
        else:
            raise TypeError(f"Expected content to be str or bytes, but is {type(content).__name__}.")
        return req

    def __repr__(self):
        return f"Request({self.method} {_hostport(self.scheme, self.host, self.port)}{self.path})"

    method = property(lambda s: s._m.method, lambda s, v: setattr(s._m, "method", v))
    scheme = property(lambda s: s._m.scheme, lambda s, v: setattr(s._m, "scheme", v))
    authority = property(lambda s: s._m.authority, lambda s, v: setattr(s._m, "authority", v))
    port = property(lambda s: s._m.port, lambda s, v: setattr(s._m, "port", v))
    path = property(lambda s: s._m.path, lambda s, v: setattr(s._m, "path", v))

    @property
    def first_line_format(self):
        if self.method == "CONNECT":
            return "authority"
        if self.authority:
            return "absolute"
        return "relative"

    @property
    def host(self):
        return self._m.host

    @host.setter
    def host(self, value):
        if isinstance(value, bytes):
            value = value.decode("idna")
        self._m.host = value
        h = self.headers
        if "Host" in h:
            h["Host"] = value
        if self._m.authority:
            self._m.authority = _hostport(self.scheme, value, self.port)

    @property
    def host_header(self):
        if self.is_http2:
            return self.authority or self.headers.get("Host")
        return self.headers.get("Host")

    @host_header.setter
    def host_header(self, value):
        h = self.headers
        if value is None:
            if self.is_http2:
                self._m.authority = ""
            h.pop("Host", None)
            return
        if self.is_http2:
            self.authority = value
        if not self.is_http2 or "Host" in h:
            h["Host"] = value

    @property
    def url(self):
        if self.first_line_format == "authority":
            return f"{self.host}:{self.port}"
        return f"{self.scheme}://{_hostport(self.scheme, self.host, self.port)}{self.path}"

    @url.setter
    def url(self, value):
        scheme, host, port, path = _parse_url(value if isinstance(value, str) else _str(value))
        self._m.scheme, self._m.host, self._m.port, self._m.path = scheme, host, port, path

    @property
    def pretty_host(self):
        hh = self.host_header
        if hh:
            return urllib.parse.urlsplit("//" + hh).hostname or self.host
        return self.host

    @property
    def pretty_url(self):
        if self.first_line_format == "authority":
            return self.authority
        hh = self.host_header
        if not hh:
            return self.url
        u = urllib.parse.urlsplit("//" + hh)
        try:
            port = u.port
        except ValueError:
            port = None
        port = port or _DEFAULT_PORTS.get(self.scheme) or 443
        host = u.hostname or self.host
        return f"{self.scheme}://{_hostport(self.scheme, host, port)}{self.path}"

    @property
    def path_components(self):
        path = urllib.parse.urlparse("http://x" + self.path).path
        return tuple(urllib.parse.unquote(p) for p in path.split("/") if p)

    # The live views: each read parses the C message, each write changes it.

    def _get_query(self):
        return _forms.decode_query(urllib.parse.urlparse(self.path).query)

    def _set_query(self, pairs):
        u = urllib.parse.urlparse(self.path)
        query = _forms.encode_query(pairs, u.query)
        self.path = urllib.parse.urlunparse(["", "", u.path, u.params, query, u.fragment])

    query = _live_view("query", "The query as a multidict view of the path.")

    def _get_cookies(self):
        return _forms.parse_cookie_headers(self.headers.get_all("Cookie"))

    def _set_cookies(self, pairs):
        self.headers["cookie"] = _forms.format_cookie_header(pairs)

    cookies = _live_view("cookies", "The Cookie header(s) as a multidict view.")

    def _get_urlencoded_form(self):
        if "application/x-www-form-urlencoded" in self.headers.get("content-type", "").lower():
            return _forms.decode_query(self.get_text(strict=False) or "")
        return ()

    def _set_urlencoded_form(self, pairs):
        self.headers["content-type"] = "application/x-www-form-urlencoded"
        self.content = _forms.encode_query(pairs).encode()

    urlencoded_form = _live_view("urlencoded_form", "The x-www-form-urlencoded body as a multidict view.")

    def _get_multipart_form(self):
        ct = self.headers.get("content-type", "")
        if "multipart/form-data" in ct.lower():
            return _forms.decode_multipart(ct, self.get_content(strict=False))
        return ()

    def _set_multipart_form(self, pairs):
        ct = self.headers.get("content-type", "")
        if not ct.lower().startswith("multipart/form-data"):
            ct = ""
        ct, body = _forms.encode_multipart(ct, pairs)
        self.headers["content-type"] = ct
        self.content = body

    multipart_form = _live_view("multipart_form", "The multipart/form-data body as a multidict view (bytes keys and values).")

    def anticache(self):
        h = self.headers
        for name in ("if-modified-since", "if-none-match"):
            h.pop(name, None)

    def anticomp(self):
        self.headers["accept-encoding"] = "identity"

    def constrain_encoding(self):
        h = self.headers
        accept = h.get("accept-encoding")
        if accept:
            keep = [e for e in ("gzip", "identity", "deflate", "br", "zstd") if e in accept]
            h["accept-encoding"] = ", ".join(keep)


class Response(Message):
    """An HTTP response (mitmproxy.http.Response)."""

    __slots__ = ()
    _prefix = "resp_"

    def __init__(
        self,
        http_version,
        status_code,
        reason,
        headers,
        content,
        trailers,
        timestamp_start,
        timestamp_end,
    ):
        self._m = _c.Message(response=True)
        self._m.resp_http_version = http_version
        self._m.status_code = status_code
        self._m.reason = reason
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self._m.raw_content = content
        self._m.resp_timestamp_start = timestamp_start or 0
        self._m.resp_timestamp_end = timestamp_end

    @classmethod
    def make(cls, status_code=200, content=b"", headers=()):
        if isinstance(headers, dict):
            headers = Headers((_bytes(k), _bytes(v)) for k, v in headers.items())
        elif not isinstance(headers, Headers):
            headers = Headers(headers)
        now = time.time()
        resp = cls(
            "HTTP/1.1",
            status_code,
            _reason(status_code),
            headers,
            None,
            None,
            now,
            now,
        )
        if isinstance(content, bytes):
            resp.content = content
        elif isinstance(content, str):
            resp.text = content
        else:
            raise TypeError(f"Expected content to be str or bytes, but is {type(content).__name__}.")
        return resp

    def __repr__(self):
        raw = self._m.raw_content
        details = f"{self.headers.get('content-type', 'unknown content type')}, {len(raw)}b" if raw else "no content"
        return f"Response({self.status_code}, {details})"

    status_code = property(lambda s: s._m.status_code, lambda s, v: setattr(s._m, "status_code", v))
    reason = property(lambda s: s._m.reason, lambda s, v: setattr(s._m, "reason", v))

    def _get_cookies(self):
        return _forms.parse_set_cookie_headers(self.headers.get_all("set-cookie"))

    def _set_cookies(self, pairs):
        self.headers.set_all(
            "set-cookie", [_forms.format_set_cookie_header(k, v[0], v[1]) for k, v in pairs]
        )

    cookies = _live_view("cookies", "Set-Cookie as a multidict view: name -> (value, attributes).")


class HTTPFlow(_flow.Flow):
    """An HTTP flow (mitmproxy.http.HTTPFlow): a request, maybe a response."""

    __slots__ = ()
    type = "http"

    @property
    def request(self):
        m = self._f.request()
        return Request._view(m) if m is not None else None

    @request.setter
    def request(self, value):
        self._f.set_request(value._m)

    @property
    def response(self):
        m = self._f.response()
        return Response._view(m) if m is not None else None

    @response.setter
    def response(self, value):
        self._f.set_response(None if value is None else value._m)

    @property
    def websocket(self):
        if self._f.ws_close() is None:
            return None
        from mitmproxy.websocket import WebSocketData

        return WebSocketData(self._f)

    @property
    def mode(self):
        return "regular"

    @property
    def timestamp_start(self):
        return self.request.timestamp_start

    def __repr__(self):
        return f"<HTTPFlow request={self.request!r} response={self.response!r}>"


def _wrap_flow(cflow):
    """The HTTPFlow over a _c.Flow (the C loader calls this per hook)."""
    f = HTTPFlow.__new__(HTTPFlow)
    f._f = cflow
    return f


__all__ = ["HTTPFlow", "Request", "Response", "Headers"]
