"""mitmproxy.flowfilter: filter expressions (~q, ~d example\\.com, ...) on
mitmproxy-c's own filter engine, matched against the C flows."""


class TFilter:
    """A compiled filter expression: call it with a flow."""

    def __init__(self, pattern):
        from mitmproxy import _c

        self.pattern = pattern
        try:
            self._f = _c.filter_compile(pattern)
        except ValueError as e:
            raise ValueError(f"Invalid filter expression: {pattern!r}: {e}") from None

    def __call__(self, flow):
        from mitmproxy import _c

        return _c.filter_match(self._f, flow._f)

    def __repr__(self):
        return f"TFilter({self.pattern!r})"


def parse(s):
    """The filter of expression s; ValueError names what is wrong."""
    if not s:
        raise ValueError("Empty filter expression")
    return TFilter(s)


def match(flt, flow):
    """Whether flow matches flt (a TFilter or an expression); a missing
    filter matches everything."""
    if isinstance(flt, str):
        flt = parse(flt)
    if flt:
        return flt(flow)
    return True


__all__ = ["parse", "match", "TFilter"]
