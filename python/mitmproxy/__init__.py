"""mitmproxy-c's Python API: the names of mitmproxy's addon API that this
version provides, on top of the C flows (mitmproxy._c).

This is not Debian's or PyPI's mitmproxy package: it is found next to the
mitmdump binary and never falls back to another installation. A module of
mitmproxy's that this version lacks raises ImportError saying so.
"""
import importlib.abc
import sys

# The C side, built into the binary; a top-level built-in module, which
# Python's import system finds, re-exported under its package name.
import _mitmproxy_c as _c

sys.modules[__name__ + "._c"] = _c


class _Missing(importlib.abc.MetaPathFinder):
    """Asked last, only for the modules our package does not have."""

    def find_spec(self, fullname, path, target=None):
        if fullname.startswith("mitmproxy."):
            # ImportError, not ModuleNotFoundError: `from mitmproxy import x`
            # would turn the latter into "cannot import name", losing why.
            raise ImportError(
                f"No module named {fullname!r}: mitmproxy-c does not provide "
                f"{fullname} in this version",
                name=fullname,
            )
        return None


if not any(isinstance(f, _Missing) for f in sys.meta_path):
    sys.meta_path.append(_Missing())
