"""What the C script loader (src/script/loader.c) asks of Python: load a
script as mitmproxy does, walk its addons, and log exceptions with their
tracebacks. Not part of mitmproxy's API."""
import importlib.machinery
import importlib.util
import os
import shlex
import sys
import traceback

from mitmproxy import ctx
from mitmproxy.addonmanager import Loader  # noqa: F401 - the loader calls it


def _script_frames(tb, path):
    """The traceback from the script's first frame on: importlib's own
    frames above it say nothing to the script's author."""
    t = tb
    while t is not None:
        if t.tb_frame.f_code.co_filename == path:
            return t
        t = t.tb_next
    return tb


def load_script(path, args=None):
    """mitmproxy's load_script: the module, or None when it does not import
    (the error is logged: "in script PATH:LINE message", then the
    traceback). The seeds' older API too: sys.argv is the path and the
    arguments that followed it in the -s string, and a module-level start()
    returns the addon that stands for the module."""
    fullname = "__mitmproxy_script__.{}".format(os.path.splitext(os.path.basename(path))[0])
    sys.modules.pop(fullname, None)
    oldpath = sys.path[:]
    sys.path.insert(0, os.path.dirname(path))
    sys.argv = [path] + (shlex.split(args) if args else [])
    try:
        loader = importlib.machinery.SourceFileLoader(fullname, path)
        spec = importlib.util.spec_from_loader(fullname, loader=loader)
        m = importlib.util.module_from_spec(spec)
        loader.exec_module(m)
        if not getattr(m, "name", None):
            m.name = path
        start = getattr(m, "start", None)
        if callable(start):
            addon = start()
            if addon is not None:
                return addon
        return m
    except Exception as e:
        lineno = getattr(e, "lineno", None)
        if lineno is None:
            frames = traceback.extract_tb(e.__traceback__)
            mine = [f for f in frames if f.filename == path]
            lineno = mine[-1].lineno if mine else ""
        tb = _script_frames(e.__traceback__, path)
        if tb is e.__traceback__ and isinstance(e, SyntaxError):
            # Compiling failed: no frame of the script ran; the error
            # itself points at the line.
            text = "".join(traceback.format_exception_only(type(e), e))
        else:
            text = "".join(traceback.format_exception(type(e), e, tb))
        ctx.log.error(f"in script {path}:{lineno} {e}\n{text.rstrip()}")
        return None
    finally:
        sys.path[:] = oldpath


def register_commands(objs):
    """Each addon's @command.command functions into the command registry;
    an error is logged and the others are registered."""
    from mitmproxy import command

    for o in objs:
        try:
            command.register_commands(o)
        except Exception as e:
            log_exception(e)


def log_entry(msg, level):
    """add_log's argument."""
    from mitmproxy.log import LogEntry

    return LogEntry(msg, level)


def traverse(addon):
    """The addon and everything in its addons list, depth first."""
    out = []

    def walk(a):
        out.append(a)
        for child in getattr(a, "addons", None) or []:
            walk(child)

    walk(addon)
    return out


def log_exception(exc, what=None):
    """mitmproxy's safecall: "Addon error: " and the traceback."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    ctx.log.error(f"{what or 'Addon error'}: {text.rstrip()}")
