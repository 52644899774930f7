"""mitmproxy.test.taddons: a context for addon unit tests, in which ctx
works as it does inside the proxy: ctx.options reads the options (every
default of ours, plus what the addons register), ctx.log is recorded.

Outside the proxy it needs mitmproxy._c built for the system Python
(`make pyext`, then PYTHONPATH=build/pyext:python python3 -m pytest).
"""
import asyncio
import inspect
import sys
from types import SimpleNamespace

from mitmproxy import addonmanager
from mitmproxy import command
from mitmproxy import ctx


class _Entry(SimpleNamespace):
    pass


class _RecordingLog(ctx.Log):
    """ctx.log that keeps every entry (has_log, await_log) as 8.1.1's
    RecordingMaster does."""

    def __init__(self, logs):
        self._logs = logs

    def __call__(self, text, level="info"):
        self._logs.append(_Entry(msg=str(text), level=level))


class _TestAddons:
    """master.addons: the addons of the context, in order."""

    def __init__(self, master):
        self.master = master
        self.chain = []

    def register(self, addon):
        """Adds addon (and its addons list) and calls load, as the proxy does."""
        for a in [addon, *getattr(addon, "addons", [])]:
            if any(a is x for x in self.chain):
                continue
            self.chain.append(a)
            command.register_commands(a)
            load = getattr(a, "load", None)
            if load:
                load(addonmanager.Loader(self.master))

    add = register

    def get(self, name):
        for a in self.chain:
            if getattr(a, "name", type(a).__name__.lower()) == name:
                return a
        return None

    def __contains__(self, item):
        if isinstance(item, str):
            return self.get(item) is not None
        return any(a is item for a in self.chain)

    def trigger(self, event, *args):
        for a in self.chain:
            invoke_sync(a, event, *args)


class RecordingMaster:
    def __init__(self, options=None):
        self.options = options if options is not None else ctx.options
        self.commands = ctx.master.commands
        self.addons = _TestAddons(self)
        self.logs = []
        self.should_exit = False

    def shutdown(self):
        self.should_exit = True

    def dump_log(self, outf=sys.stdout):
        for i in self.logs:
            print(f"{i.level}: {i.msg}", file=outf)

    def has_log(self, txt, level=None):
        return any(
            (not level or i.level == level) and txt.lower() in i.msg.lower() for i in self.logs
        )

    async def await_log(self, txt, level=None, timeout=1):
        await asyncio.sleep(0)
        for _ in range(int(timeout / 0.01)):
            if self.has_log(txt, level):
                return True
            await asyncio.sleep(0.01)
        raise AssertionError(f"Did not find log entry {txt!r} in {self.logs}.")

    def clear(self):
        self.logs = []


def invoke_sync(addon, event, *args):
    """Calls addon's hook event with args; a coroutine runs to its end."""
    fn = getattr(addon, event, None)
    if fn is None:
        return None
    r = fn(*args)
    if inspect.isawaitable(r):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(_await(r))
        return r
    return r


async def _await(r):
    return await r


_HTTP_EVENTS = ("requestheaders", "request", "responseheaders", "response")


class context:
    """A context for testing addons: taddons.context(*addons, options=None).

    ctx.master, ctx.options and ctx.log are this context's while it is
    entered (and from its creation, as in 8.1.1)."""

    def __init__(self, *addons, options=None, loadcore=True):
        from mitmproxy import _c

        _c.options_reset()  # outside the proxy: each context starts from the defaults
        if hasattr(options, "_apply"):
            options._apply()  # ... with what was set through the Options given
        self.master = RecordingMaster(options)
        self.options = self.master.options
        self._saved = (ctx.master, ctx.log)
        self._bind()
        for a in addons:
            self.master.addons.add(a)

    def _bind(self):
        master = self.master
        ctx.log = _RecordingLog(master.logs)
        ctx.master = master

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        ctx.master, ctx.log = self._saved
        return False

    def configure(self, addon, **kwargs):
        """Sets options (all or none) and calls configure(updated) on the
        context's addons, addon first registered if it is not yet."""
        if addon not in self.master.addons:
            self.master.addons.register(addon)
        if kwargs:
            self.options.update(**kwargs)
        for a in self.master.addons.chain:
            invoke_sync(a, "configure", set(kwargs))

    async def cycle(self, addon, f):
        """Runs f through addon's HTTP hooks (error if f has one); stops
        when the flow is intercepted."""
        events = list(_HTTP_EVENTS)
        if getattr(f, "response", None) is None:
            events = events[:2]
        if getattr(f, "error", None) is not None:
            events.append("error")
        for e in events:
            fn = getattr(addon, e, None)
            if fn is not None:
                r = fn(f)
                if inspect.isawaitable(r):
                    await r
            if f.intercepted:
                return

    def invoke(self, addon, event, *args):
        return invoke_sync(addon, event, *args)

    def script(self, path):
        """Loads the script at path and returns its (first) addon."""
        from mitmproxy import _loader

        argv = sys.argv[:]  # load_script sets it for the script
        try:
            addon = _loader.load_script(str(path))
        finally:
            sys.argv = argv
        if addon is not None:
            self.master.addons.add(addon)
        return addon

    def command(self, func, *args):
        return func(*args)


__all__ = ["context", "RecordingMaster"]
