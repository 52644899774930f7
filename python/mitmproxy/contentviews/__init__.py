"""mitmproxy.contentviews: content views, which turn a body into lines of
styled text.

Our views are C (src/contentviews/); a script's View that add() registers
joins them, so mitmdump --flow-detail, the console and mitmweb offer it
by name and Auto weighs its render_priority against theirs. get(name)
returns any view, ours as View objects that render in C.
"""
import traceback
from typing import Optional

from mitmproxy import _c
from mitmproxy.contentviews.base import (
    KEY_MAX,
    TViewLine,
    TViewResult,
    View,
    format_dict,
    format_pairs,
    format_text,
)
from mitmproxy.utils import strutils

views: list = []
"""The views scripts added, in order (ours are in get() and _c)."""


class _CView(View):
    """One of our C views."""

    def __init__(self, name):
        self.name = name

    def __call__(self, data, *, content_type=None, flow=None, http_message=None, **unknown):
        desc, lines, _ = _c.contentview_render(self.name, bytes(data), content_type)
        return desc, iter(lines)

    def render_priority(self, data, *, content_type=None, flow=None, http_message=None, **unknown):
        return _c.contentview_priority(self.name, bytes(data), content_type)

    def __repr__(self):
        return f"<content view {self.name}>"


def get(name: str) -> Optional[View]:
    """The view named name, ignoring case, or None."""
    for v in views:
        if v.name.lower() == name.lower():
            return v
    for n in _c.contentview_names():
        if n.lower() == name.lower():
            return _CView(n)
    return None


def add(view: View) -> None:
    """Makes view one of the proxy's content views (ValueError if one has its name)."""
    _c.contentview_add(view.name, view, _rate, _render)
    views.append(view)


def remove(view: View) -> None:
    """Takes a view add() added away again."""
    views.remove(view)
    _c.contentview_remove(view.name)


def _metadata(content_type, flow, is_request):
    message = None
    if flow is not None and hasattr(flow, "request"):
        message = flow.request if is_request else flow.response
    return dict(content_type=content_type, flow=flow, http_message=message)


def _rate(view, data, content_type, flow, is_request):
    """For the C side: view's render_priority as a float."""
    return float(view.render_priority(data, **_metadata(content_type, flow, is_request)))


def _text(t):
    if isinstance(t, bytes):
        t = t.decode("utf8", "replace")
    # NUL cannot cross into C; safe_to_print makes it "." anyway.
    return str(t).replace("\0", ".")


def _render(view, data, content_type, flow, is_request):
    """For the C side: (description, [[(style, text)]]) from view, or
    (None, why) when it returned None or raised (the body shows as Raw)."""
    try:
        ret = view(data, **_metadata(content_type, flow, is_request))
        if ret is None:
            return None, None
        desc, lines = ret
        out = [[(str(style), _text(text)) for style, text in line] for line in lines]
        return str(desc), out
    except Exception:
        return None, f"{view.name} content viewer failed: \n{traceback.format_exc()}"


def safe_to_print(lines, encoding="utf8"):
    """Each line with its text made safe to print (bytes decoded)."""
    for line in lines:
        yield [
            (style, strutils.escape_control_characters(
                text.decode(encoding, "replace") if isinstance(text, bytes) else text))
            for style, text in line
        ]


def get_content_view(viewmode: View, data: bytes, *, content_type=None, flow=None,
                     http_message=None):
    """(description, lines, error) from viewmode, Raw when it fails."""
    try:
        ret = viewmode(data, content_type=content_type, flow=flow, http_message=http_message)
        if ret is None:
            ret = "Couldn't parse: falling back to Raw", get("Raw")(data)[1]
        desc, content = ret
        error = None
    except Exception:
        desc = "Couldn't parse: falling back to Raw"
        content = get("Raw")(data)[1]
        error = f"{getattr(viewmode, 'name')} content viewer failed: \n{traceback.format_exc()}"
    return desc, safe_to_print(content), error


def get_message_content_view(viewname: str, message, flow):
    """As get_content_view, for an HTTP, TCP or WebSocket message: the body
    decoded per its Content-Encoding first."""
    view = get(viewname) or get("auto")
    enc = ""
    try:
        content = message.content
    except ValueError:
        content = message.raw_content
        enc = "[cannot decode]"
    content_type = None
    http_message = None
    headers = getattr(message, "headers", None)
    if headers is not None:
        http_message = message
        if not enc and content != message.raw_content:
            enc = "[decoded {}]".format(headers.get("content-encoding"))
        ctype = headers.get("content-type")
        if ctype and "/" in ctype.split(";")[0]:
            content_type = ctype.split(";")[0].strip().lower()
    if content is None:
        return "", iter([[("error", "content missing")]]), None
    desc, lines, error = get_content_view(
        view, content, content_type=content_type, flow=flow, http_message=http_message
    )
    if enc:
        desc = f"{enc} {desc}"
    return desc, lines, error


__all__ = [
    "View",
    "KEY_MAX",
    "format_text",
    "format_dict",
    "format_pairs",
    "TViewResult",
    "TViewLine",
    "get",
    "add",
    "remove",
    "get_content_view",
    "get_message_content_view",
]
