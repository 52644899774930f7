"""mitmproxy.options: Options, the proxy's options as an object.

There is one set of options (the proxy's, or outside the proxy the one
mitmproxy._c keeps), so an Options reads and sets that; it also remembers
what was set through it, so that taddons.context(options=Options(...))
starts its fresh defaults with those settings, as 8.1.1's does.
"""
from mitmproxy import ctx


class Options(ctx.Options):
    """mitmproxy.options.Options(**kwargs): the options, kwargs set."""

    def __init__(self, **kwargs):
        object.__setattr__(self, "_settings", {})
        self.update(**kwargs)

    def update(self, **kwargs):
        super().update(**kwargs)
        self._settings.update(kwargs)

    def _apply(self):
        """Sets again what was set through this object (after a reset)."""
        if self._settings:
            super().update(**self._settings)


__all__ = ["Options"]
