"""mitmproxy.addonmanager: the Loader a script's load(loader) receives."""
import collections.abc
import typing

from mitmproxy import _c
from mitmproxy import ctx


def _typename(typespec):
    """mitmproxy's typespecs as our option registry names them, and the
    converter that reads a value kept as text (None if none is needed)."""
    if typespec is bool:
        return "bool", None
    if typespec is int:
        return "int", None
    if typespec is str:
        return "str", None
    origin = typing.get_origin(typespec)
    args = typing.get_args(typespec)
    if origin is typing.Union and type(None) in args and len(args) == 2:
        inner = args[0] if args[1] is type(None) else args[1]
        if inner is str:
            return "optional str", None
        if inner in (int, float):
            return "optional str", inner
        if inner is bool:
            return "optional str", _bool
    if typespec is float:
        return "str", float
    if origin in (collections.abc.Sequence, list, tuple, typing.Sequence) and args[:1] == (str,):
        return "sequence of str", None
    raise TypeError(f"option type not supported in this version: {typespec!r}")


def _bool(text):
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _converter(conv):
    """Reads an option of a type our registry lacks, kept as text (an
    "optional str"), as the type its script declared."""

    def read(name, value):
        try:
            return conv(value)
        except ValueError:
            from mitmproxy import exceptions

            raise exceptions.OptionsError(
                f"{name}: {value!r} is not a valid {conv.__name__}"
            ) from None

    return read


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
        kind, conv = _typename(typespec)
        if choices is not None:
            choices = "|".join(choices)
        if conv is not None:
            ctx._converters[name] = _converter(conv)
        _c.add_option(name, kind, _default_text(kind, default), help, choices)

    def add_command(self, path, func):
        from mitmproxy import command

        command._register(path, func)
