"""mitmproxy.addonmanager: the Loader a script's load(loader) receives."""
import collections.abc
import typing

from mitmproxy import _c
from mitmproxy import ctx


def _typename(typespec):
    """mitmproxy's name of a typespec (typecheck.typespec_to_str's words),
    which our option registry keeps and checks values by."""
    if typespec in (bool, int, str, float):
        return typespec.__name__
    origin = typing.get_origin(typespec)
    args = typing.get_args(typespec)
    if origin is typing.Union and type(None) in args and len(args) == 2:
        inner = args[0] if args[1] is type(None) else args[1]
        if inner in (str, int, float, bool):
            return "optional " + inner.__name__
    if origin in (collections.abc.Sequence, list, tuple, typing.Sequence) and args[:1] == (str,):
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
    if isinstance(default, bool):  # an Optional[bool]'s
        return "true" if default else "false"
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
