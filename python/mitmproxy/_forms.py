"""Query strings, cookies and form bodies, as mitmproxy's net.http.url,
cookies and multipart read and write them (for the live views of
mitmproxy.http). Not part of mitmproxy's API."""
import os
import re
import urllib.parse

from mitmproxy.coretypes.multidict import MultiDict


def decode_query(qs):
    """(key, value) pairs of a query string, blanks kept."""
    return tuple(urllib.parse.parse_qsl(qs, keep_blank_values=True, errors="surrogateescape"))


def encode_query(pairs, similar_to=None):
    """The query string of pairs; keeps '+' or '%20' for spaces as similar_to did."""
    encoded = urllib.parse.urlencode(list(pairs), False, errors="surrogateescape")
    if similar_to and " " in similar_to and "%20" in similar_to:
        encoded = encoded.replace("+", "%20")
    # Keys without values: "a&b=1" stays so.
    return encoded


def parse_cookie_headers(values):
    out = []
    for line in values:
        for part in line.split(";"):
            part = part.strip()
            if not part:
                continue
            name, eq, value = part.partition("=")
            out.append((name.strip(), value.strip() if eq else ""))
    return tuple(out)


def format_cookie_header(pairs):
    return "; ".join(f"{k}={v}" for k, v in pairs)


def parse_set_cookie_headers(values):
    """(name, (value, attrs)) for each Set-Cookie value."""
    out = []
    for line in values:
        parts = line.split(";")
        name, _, value = parts[0].partition("=")
        attrs = []
        for a in parts[1:]:
            a = a.strip()
            if not a:
                continue
            k, eq, v = a.partition("=")
            attrs.append((k.strip(), v.strip() if eq else None))
        out.append((name.strip(), (value.strip(), MultiDict(attrs))))
    return tuple(out)


def format_set_cookie_header(name, value, attrs):
    parts = [f"{name}={value}"]
    for k, v in attrs.fields if hasattr(attrs, "fields") else attrs:
        parts.append(k if v is None else f"{k}={v}")
    return "; ".join(parts)


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)
_NAME = re.compile(rb'\bname="([^"]*)"', re.I)


def decode_multipart(content_type, content):
    """(name, value) bytes pairs of a multipart/form-data body."""
    m = _BOUNDARY.search(content_type or "")
    if not m or content is None:
        return ()
    boundary = b"--" + m.group(1).encode("latin-1")
    out = []
    for part in content.split(boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, body = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        name = _NAME.search(head)
        if name:
            if body.endswith(b"\r\n"):
                body = body[:-2]
            out.append((name.group(1), body))
    return tuple(out)


def encode_multipart(content_type, pairs):
    """(content type, body) of a multipart/form-data body of pairs."""
    m = _BOUNDARY.search(content_type or "")
    boundary = m.group(1) if m else os.urandom(16).hex()
    if not m:
        content_type = f"multipart/form-data; boundary={boundary}"
    b = boundary.encode("latin-1")
    body = []
    for name, value in pairs:
        if isinstance(name, str):
            name = name.encode("utf-8", "surrogateescape")
        if isinstance(value, str):
            value = value.encode("utf-8", "surrogateescape")
        body.append(b"--" + b + b"\r\n" + b'Content-Disposition: form-data; name="' + name +
                    b'"\r\n\r\n' + value + b"\r\n")
    body.append(b"--" + b + b"--\r\n")
    return content_type, b"".join(body)
