"""mitmproxy.utils.strutils: mitmproxy's string helpers."""
import codecs
import re


def always_bytes(str_or_bytes, *encode_args):
    if str_or_bytes is None or isinstance(str_or_bytes, bytes):
        return str_or_bytes
    if isinstance(str_or_bytes, str):
        return str_or_bytes.encode(*encode_args)
    raise TypeError(f"Expected str or bytes, but got {type(str_or_bytes).__name__}.")


def always_str(str_or_bytes, *decode_args):
    if str_or_bytes is None or isinstance(str_or_bytes, str):
        return str_or_bytes
    if isinstance(str_or_bytes, bytes):
        return str_or_bytes.decode(*decode_args)
    raise TypeError(f"Expected str or bytes, but got {type(str_or_bytes).__name__}.")


_control_char_trans = {x: ord(".") for x in range(32)}
_control_char_trans[ord("\x7f")] = ord(".")
_control_char_trans_newline = _control_char_trans.copy()
for x in ("\r", "\n", "\t"):
    del _control_char_trans_newline[ord(x)]


def escape_control_characters(text, keep_spacing=True):
    """Control characters as dots (tabs and newlines kept with keep_spacing)."""
    if not isinstance(text, str):
        raise ValueError(f"text type must be unicode but is {type(text).__name__}")
    trans = _control_char_trans_newline if keep_spacing else _control_char_trans
    return text.translate(trans)


def bytes_to_escaped_str(data, keep_spacing=False, escape_single_quotes=False):
    if not isinstance(data, bytes):
        raise ValueError(f"data must be bytes, but is {data.__class__.__name__}")
    ret = repr(b"'" + data)[3:-1]
    if not escape_single_quotes:
        ret = re.sub(r"(?<!\\)(\\\\)*\\'", lambda m: (m.group(1) or "") + "'", ret)
    if keep_spacing:
        ret = re.sub(r"(?<!\\)(\\\\)*\\([nrt])",
                     lambda m: (m.group(1) or "") + dict(n="\n", r="\r", t="\t")[m.group(2)], ret)
    return ret


def escaped_str_to_bytes(data):
    if not isinstance(data, str):
        raise ValueError(f"data must be str, but is {data.__class__.__name__}")
    return codecs.escape_decode(data)[0]


def is_mostly_bin(s):
    if not s or len(s) == 0:
        return False
    return sum(i < 9 or 13 < i < 32 or 126 < i for i in s[:100]) / len(s[:100]) > 0.3


def is_xml(s):
    m = re.match(rb"^\s*<", s, re.I)
    return bool(m)


def clean_hanging_newline(t):
    if t and t[-1] == "\n":
        return t[:-1]
    return t


def hexdump(s):
    """(offset, hex, printable) per 16 bytes."""
    for i in range(0, len(s), 16):
        offset = f"{i:0=10x}"
        part = s[i:i + 16]
        x = " ".join(f"{c:0=2x}" for c in part)
        x = x.ljust(47)
        yield offset, x, escape_control_characters(part.decode("ascii", "replace").replace("\ufffd", "."), False)
