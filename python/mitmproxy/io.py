"""mitmproxy.io: reading and writing flow files (mitmproxy's format,
version 17 written; older versions read and migrated)."""
import os

from mitmproxy import _c, exceptions, flowfilter


def _wrap(cflow):
    from mitmproxy import _wrap as w

    return w.flow(cflow)


class FlowReader:
    def __init__(self, fo):
        self.fo = fo

    def stream(self):
        """The flows of the file, one after the other."""
        data = b""
        while True:
            chunk = self.fo.read(1 << 20)
            if chunk:
                data += chunk
            try:
                flows, used = _c.flows_read(data)
            except ValueError as e:
                raise exceptions.FlowReadException(str(e)) from None
            for f in flows:
                yield _wrap(f)
            data = data[used:]
            if not chunk:
                if data:
                    raise exceptions.FlowReadException("Truncated flow file: the last record is incomplete")
                return


class FlowWriter:
    def __init__(self, fo):
        self.fo = fo

    def add(self, flow):
        self.fo.write(_c.flow_dump(flow._f))


class FilteredFlowWriter:
    def __init__(self, fo, flt):
        self.fo = fo
        self.flt = flt

    def add(self, flow):
        if self.flt and not flowfilter.match(self.flt, flow):
            return
        self.fo.write(_c.flow_dump(flow._f))


def read_flows_from_paths(paths):
    """The flows of each file in paths; FlowReadException names the bad one."""
    flows = []
    for path in paths:
        path = os.path.expanduser(path)
        try:
            with open(path, "rb") as f:
                flows.extend(FlowReader(f).stream())
        except OSError as e:
            raise exceptions.FlowReadException(e.strerror) from None
    return flows


__all__ = ["FlowReader", "FlowWriter", "FilteredFlowWriter", "read_flows_from_paths"]
