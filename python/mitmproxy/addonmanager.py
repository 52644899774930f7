"""mitmproxy.addonmanager: the Loader a script's load(loader) receives."""
import collections.abc
import typing

from mitmproxy import _c
from mitmproxy import ctx


def _typename(typespec):
    """mitmproxy's typespecs as our option registry names them."""
    if typespec is bool:
        return "bool"
    if typespec is int:
        return "int"
    if typespec is str:
        return "str"
    origin = typing.get_origin(typespec)
    args = typing.get_args(typespec)
    if origin is typing.Union and set(args) == {str, type(None)}:
        return "optional str"
    if origin in (collections.abc.Sequence, list, tuple) and args[:1] == (str,):
        return "sequence of str"
    raise TypeError(f"option type not supported in this version: {typespec!r}")


def _default_text(kind, default):
    """The default as --set would write it."""
    if kind == "bool":
        return "true" if default else None
    if kind == "sequence of str":
        default = list(default or [])
        if len(default) > 1:
            raise TypeError("a sequence option's default may hold one value in this version")
        return default[0] if default else None
    if default is None:
        return None
    return str(default)


class Loader:
    """Passed to load(loader): adds options (and, later, commands)."""

    def __init__(self, master=None):
        self.master = master or ctx.master

    def add_option(self, name, typespec, default, help, choices=None):
        kind = _typename(typespec)
        if choices is not None:
            choices = "|".join(choices)
        _c.add_option(name, kind, _default_text(kind, default), help, choices)

    def add_command(self, path, func):
        from mitmproxy import command

        command._register(path, func)
