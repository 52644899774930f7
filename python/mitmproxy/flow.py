"""mitmproxy.flow: Flow and Error, over mitmproxy-c's C flows.

A Flow here is a view: it holds a reference on the proxy's flow and reads
and writes it in place. Attributes a script adds to the object itself live
as long as the object: each hook call gets a new one.
"""
import time

from mitmproxy import _c


class Error:
    """An error of a flow (mitmproxy.flow.Error)."""

    KILLED_MESSAGE = "Connection killed."

    def __init__(self, msg, timestamp=None):
        self.msg = msg
        self.timestamp = timestamp or time.time()

    def __str__(self):
        return self.msg

    def __repr__(self):
        return self.msg

    def __eq__(self, other):
        return isinstance(other, Error) and (self.msg, self.timestamp) == (
            other.msg,
            other.timestamp,
        )


class _Metadata(dict):
    """Flow.metadata: a dict that writes itself to the C flow on every
    change, and once more when it goes if a nested value was changed in
    place and nobody stored other metadata meanwhile. Values are what a
    flow file stores (JSON's): str, int, float, bool, None, list and dict;
    others raise TypeError."""

    __slots__ = ("_f", "_last")

    def __init__(self, cflow, value=None):
        # Two conversions: _last must share no list or dict with self.
        self._last = cflow.metadata
        super().__init__(cflow.metadata if value is None else value)
        self._f = cflow

    def _store(self):
        self._f.metadata = dict(self)
        self._last = self._f.metadata

    def _changing(name):
        def method(self, *args, **kwargs):
            before = dict(self)
            r = getattr(dict, name)(self, *args, **kwargs)
            try:
                self._store()
            except (TypeError, ValueError):
                dict.clear(self)
                dict.update(self, before)
                raise
            return r

        method.__name__ = name
        return method

    __setitem__ = _changing("__setitem__")
    __delitem__ = _changing("__delitem__")
    update = _changing("update")
    pop = _changing("pop")
    popitem = _changing("popitem")
    setdefault = _changing("setdefault")
    clear = _changing("clear")
    del _changing

    def __del__(self):
        try:
            if dict(self) != self._last and self._f.metadata == self._last:
                self._store()
        except Exception:
            pass


class Flow:
    """A flow of the proxy (mitmproxy.flow.Flow)."""

    __slots__ = ("_f", "__dict__")

    type = "flow"

    @classmethod
    def _from_c(cls, cflow):
        f = cls.__new__(cls)
        f._f = cflow
        return f

    @property
    def id(self):
        return self._f.id

    @property
    def live(self):
        return self._f.live

    @live.setter
    def live(self, value):
        self._f.live = bool(value)

    @property
    def is_replay(self):
        return self._f.is_replay

    @property
    def intercepted(self):
        return self._f.intercepted

    @property
    def timestamp_created(self):
        return self._f.timestamp_created

    @timestamp_created.setter
    def timestamp_created(self, value):
        self._f.timestamp_created = value

    @property
    def client_conn(self):
        from mitmproxy.connection import _wrap

        return _wrap(self._f.client_conn)

    @client_conn.setter
    def client_conn(self, value):
        self._f.client_conn = value._c

    @property
    def server_conn(self):
        from mitmproxy.connection import _wrap

        return _wrap(self._f.server_conn)

    @server_conn.setter
    def server_conn(self, value):
        self._f.server_conn = value._c

    @property
    def marked(self):
        return self._f.marked

    @marked.setter
    def marked(self, value):
        self._f.marked = value

    @property
    def comment(self):
        return self._f.comment

    @comment.setter
    def comment(self, value):
        self._f.comment = value

    @property
    def metadata(self):
        """The flow's metadata: kept on the proxy's flow, so it lasts across
        hooks and scripts and flow files store it."""
        m = self.__dict__.get("_metadata")
        if m is None:
            m = self.__dict__["_metadata"] = _Metadata(self._f)
        return m

    @metadata.setter
    def metadata(self, value):
        self.__dict__["_metadata"] = m = _Metadata(self._f, value)
        m._store()

    @property
    def error(self):
        e = self._f.error
        return Error(*e) if e else None

    @error.setter
    def error(self, value):
        self._f.set_error(None if value is None else str(value))

    @property
    def killable(self):
        return self._f.live and not self._f.killed

    def kill(self):
        """Kills the flow: the proxy drops the connection."""
        self._f.kill()

    def intercept(self):
        """Pauses the flow after the current hook, until resume()."""
        self._f.intercept()

    def resume(self):
        """Lets an intercepted flow go on."""
        self._f.resume()

    async def wait_for_resume(self):
        """Waits until the flow is resumed (or killed) if it is intercepted."""
        if not self._f.intercepted:
            return
        import asyncio

        fut = asyncio.get_running_loop().create_future()

        def resumed():
            if not fut.done():
                fut.set_result(None)

        self._f.on_resume(resumed)
        await fut

    def copy(self):
        """A copy with a new id, not live (mitmproxy's Flow.copy)."""
        from mitmproxy import _wrap

        return _wrap.flow(_c.flow_copy(self._f))

    def get_state(self):
        """The flow as 8.1.1's state dict (what a flow file stores)."""
        return _c.flow_state(self._f)

    def backup(self, force=False):
        self._f.backup()

    def revert(self):
        self._f.revert()

    def modified(self):
        return self._f.modified()

    def __eq__(self, other):
        return isinstance(other, Flow) and other.id == self.id

    def __hash__(self):
        return hash(self.id)
