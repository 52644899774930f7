"""mitmproxy.command: @command.command and @command.argument. A script's
commands go into mitmproxy-c's command registry when the script loads, so
ctx.master.commands.call()/execute() and the UIs' prompts reach them."""
import collections.abc
import functools
import inspect
import typing

from mitmproxy import exceptions


def command(name=None):
    """Marks a function or method as the command name (its own name if none)."""

    def decorator(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            return function(*args, **kwargs)

        wrapper.__dict__["command_name"] = name or function.__name__.replace("_", ".")
        return wrapper

    return decorator


def argument(name, type):
    """Sets the type of a command's argument (a Choice, say)."""

    def decorator(f):
        assert name in f.__annotations__
        f.__annotations__[name] = type
        return f

    return decorator


def _typename(t):
    from mitmproxy import flow, types

    if t is inspect.Parameter.empty or t is None or t is type(None):
        return ""
    if t is str:
        return "str"
    if t is int:
        return "int"
    if t is bool:
        return "bool"
    if t is bytes:
        return "bytes"
    if isinstance(t, types.Choice):
        return "choice"
    named = {types.Path: "path", types.Cmd: "cmd", types.CmdArgs: "arg", types.Marker: "marker",
             types.CutSpec: "cut[]", types.Data: "data[][]", types.Unknown: "unknown"}
    if t in named:
        return named[t]
    if isinstance(t, type) and issubclass(t, flow.Flow):
        return "flow"
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin in (collections.abc.Sequence, list, tuple) and args:
        if args[0] is str:
            return "str[]"
        if isinstance(args[0], type) and issubclass(args[0], flow.Flow):
            return "flow[]"
    raise exceptions.CommandError(f"command argument type not supported in this version: {t!r}")


def _register(path, func):
    from mitmproxy import _c

    sig = inspect.signature(func)
    try:
        hints = typing.get_type_hints(func)
    except Exception:
        hints = getattr(func, "__annotations__", {})
    params = []
    for p in sig.parameters.values():
        t = _typename(hints.get(p.name, p.annotation))
        params.append((p.name, t or "str", p.kind == inspect.Parameter.VAR_POSITIONAL,
                       p.default is not inspect.Parameter.empty))
    ret = _typename(hints.get("return", sig.return_annotation))
    doc = inspect.cleandoc(func.__doc__ or "").split("\n\n")[0].replace("\n", " ")
    _c.add_command(path, doc, params, ret, func)


def register_commands(addon):
    """The commands of an addon object (its @command.command attributes)."""
    for name in dir(addon):
        if name.startswith("__"):
            continue
        try:
            o = getattr(addon, name)
        except Exception:
            continue
        if callable(o) and hasattr(o, "command_name"):
            _register(o.command_name, o)


__all__ = ["command", "argument"]
