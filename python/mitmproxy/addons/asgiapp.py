"""mitmproxy.addons.asgiapp: a WSGI or ASGI app that answers the requests
for one host and port inside the proxy, which never connects upstream
for them.

The app runs while the request hook awaits it: an ASGI app on the
proxy's asyncio loop, a WSGI app in a worker thread, so other flows go
on meanwhile. The app sees the request as it arrived; its answer becomes
the flow's response.
"""
import asyncio
import io
import sys
import urllib.parse

from mitmproxy import ctx
from mitmproxy import http


class ASGIApp:
    """Serves requests for host:port with asgi_app (an ASGI 3 callable)."""

    def __init__(self, asgi_app, host, port):
        self.asgi_app, self.host, self.port = asgi_app, host, port

    @property
    def name(self):
        return f"asgiapp:{self.host}:{self.port}"

    def should_serve(self, flow):
        return bool(
            flow.request.pretty_host == self.host
            and flow.request.port == self.port
            and flow.live
            and not flow.error
            and not flow.response
        )

    async def request(self, flow):
        if self.should_serve(flow):
            await serve(self.asgi_app, flow)


class WSGIApp(ASGIApp):
    """Serves requests for host:port with wsgi_app (a WSGI callable)."""

    def __init__(self, wsgi_app, host, port):
        super().__init__(None, host, port)
        self.wsgi_app = wsgi_app

    @property
    def name(self):
        return f"wsgiapp:{self.host}:{self.port}"

    async def request(self, flow):
        if not self.should_serve(flow):
            return
        environ = wsgi_environ(flow.request, self.host, self.port)
        loop = asyncio.get_running_loop()
        try:
            status, headers, body = await loop.run_in_executor(None, run_wsgi, self.wsgi_app,
                                                               environ)
        except Exception as e:
            ctx.log.error(f"Error in WSGI app: {e!r}")
            flow.response = http.Response.make(500, b"Internal Server Error",
                                               {"Content-Type": "text/plain"})
            return
        code = int(status.split(" ", 1)[0])
        resp = http.Response.make(code, b"", [(k.encode(), v.encode()) for k, v in headers])
        resp.reason = status.split(" ", 1)[1] if " " in status else resp.reason
        _body(resp, body)
        flow.response = resp


def _body(resp, body):
    """The app's bytes as they are (encoded already if it says so), with a
    Content-Length unless the app framed them otherwise."""
    resp.raw_content = body
    if "transfer-encoding" not in resp.headers:
        resp.headers["content-length"] = str(len(body))


def wsgi_environ(request, host, port):
    """PEP 3333's environ for a request (the body read already)."""
    path, _, query = request.path.partition("?")
    body = request.raw_content or b""
    environ = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": urllib.parse.unquote(path, encoding="latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": request.http_version,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": request.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for k, v in request.headers.items():
        key = k.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = v
        elif key != "CONTENT_LENGTH":
            name = "HTTP_" + key
            environ[name] = f"{environ[name]},{v}" if name in environ else v
    return environ


def run_wsgi(app, environ):
    """Calls app; returns (status, headers, body)."""
    started = {}

    def start_response(status, headers, exc_info=None):
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started["status"], started["headers"] = status, headers
        return lambda data: chunks.append(data)

    chunks = []
    result = app(environ, start_response)
    try:
        for data in result:
            chunks.append(data)
    finally:
        if hasattr(result, "close"):
            result.close()
    return started["status"], started["headers"], b"".join(chunks)


async def serve(app, flow):
    """Runs an ASGI app for one HTTP request and puts its answer on flow."""
    req = flow.request
    path, _, query = req.path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.1"},
        "http_version": req.http_version.split("/")[-1],
        "method": req.method,
        "scheme": req.scheme,
        "path": urllib.parse.unquote(path),
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in req.headers.items()],
        "client": flow.client_conn.peername if flow.client_conn else None,
        "server": (req.host, req.port),
        "extensions": {"mitmproxy.master": ctx.master},
    }
    body = req.raw_content or b""
    sent = False
    done = asyncio.Event()
    status, headers, chunks = 500, [], []

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(event):
        nonlocal status, headers
        if event["type"] == "http.response.start":
            status = event["status"]
            headers = list(event.get("headers", []))
        elif event["type"] == "http.response.body":
            chunks.append(event.get("body", b""))
            if not event.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
        if not done.is_set():
            raise RuntimeError("no response sent")
        resp = http.Response.make(status, b"", headers)
        _body(resp, b"".join(chunks))
        flow.response = resp
    except Exception as e:
        ctx.log.error(f"Error in asgi app: {e!r}")
        flow.response = http.Response.make(500, b"ASGI Error.")
    finally:
        done.set()


__all__ = ["ASGIApp", "WSGIApp"]
