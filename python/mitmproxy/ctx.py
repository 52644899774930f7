"""mitmproxy.ctx: the running master, its options and its log.

ctx.log writes into mitmproxy-c's log (mitmdump's terminal, a UI's event
log); ctx.options reads and sets the proxy's options; ctx.master.commands
calls the command registry.
"""
import threading

from mitmproxy import _c
from mitmproxy import exceptions

_ERROR, _WARN, _INFO, _ALERT, _DEBUG = range(5)
_LEVELS = {"error": _ERROR, "warn": _WARN, "info": _INFO, "alert": _ALERT, "debug": _DEBUG}
_MAIN = threading.main_thread()


def _log(level, txt):
    """A line from another thread (@concurrent, an executor) is logged on
    the proxy's thread, as everything else that touches the proxy."""
    if threading.current_thread() is _MAIN:
        _c.log(level, txt)
    else:
        from mitmproxy import _asyncio

        _asyncio.loop().call_soon_threadsafe(_c.log, level, txt)


class Log:
    """mitmproxy's ctx.log: one method per level, each through __call__ as
    in 8.1.1, so that a log of another sink (taddons') replaces only that."""

    def __call__(self, text, level="info"):
        _log(_LEVELS[level], str(text))

    def debug(self, txt):
        self(txt, "debug")

    def info(self, txt):
        self(txt, "info")

    def alert(self, txt):
        self(txt, "alert")

    def warn(self, txt):
        self(txt, "warn")

    def error(self, txt):
        self(txt, "error")


class Options:
    """The proxy's options by attribute: reading asks the C side each time
    (nothing is copied); setting goes through the master, so every addon
    hears of it and a refused value raises OptionsError."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return _c.option_get(name)
        except AttributeError:
            raise AttributeError(f"No such option: {name}") from None

    def __setattr__(self, name, value):
        self.update(**{name: value})

    def update(self, **kwargs):
        _c.option_set(kwargs)

    def set(self, *specs):
        settings = {}
        for spec in specs:
            name, _, value = spec.partition("=")
            settings[name] = value if "=" in spec else None
        _c.option_set(settings)

    def keys(self):
        return set(_c.option_names())

    def items(self):
        return [(k, getattr(self, k)) for k in sorted(self.keys())]

    def __contains__(self, name):
        return name in self.keys()

    def __iter__(self):
        return iter(sorted(self.keys()))


class CommandManager:
    """ctx.master.commands: the command registry mitmdump --commands lists."""

    def call(self, command_name, *args):
        """Flows and lists of flows go as flows (a copy no view holds
        included); other values as text the command's types parse."""
        return _c.command_call(command_name, *args)

    def call_strings(self, command_name, args):
        return _c.command_call_strings(command_name, *args)

    def execute(self, cmdstr):
        import shlex

        parts = shlex.split(cmdstr)
        if not parts:
            raise exceptions.CommandError("Invalid command: empty")
        return _c.command_call_strings(parts[0], *parts[1:])


class _BuiltIn:
    """A built-in addon of mitmproxy-c, which scripts can find but not call."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<built-in addon {self.name}>"


class AddonManager:
    """ctx.master.addons: the addons by name (mitmproxy's lower-case class
    names); script addons are the objects themselves."""

    def _scripts(self):
        return _c.script_addons()

    def get(self, name):
        for a in self._scripts():
            if getattr(a, "name", None) == name or type(a).__name__.lower() == name:
                return a
        if name in _c.addon_names():
            return _BuiltIn(name)
        return None

    def __contains__(self, name):
        return self.get(name) is not None


class Master:
    """ctx.master, as far as scripts use it."""

    def __init__(self):
        self.commands = CommandManager()
        self.options = options
        self.addons = AddonManager()

    def shutdown(self):
        _c.shutdown()


log = Log()
options = Options()
master = Master()
