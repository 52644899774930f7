"""An asyncio event loop that runs on the proxy's own loop (libuv) instead
of blocking in select(): the C side (src/script/aio.c) watches the
selector's epoll fd and keeps one timer for the next scheduled callback,
and calls step() when either fires. The loop counts as running on the
proxy's thread for good, so asyncio.get_running_loop(), create_task(),
sleep() and run_in_executor() work in hooks as they do in mitmproxy. Not
part of mitmproxy's API."""
import asyncio
import asyncio.events
import selectors
import threading


class _NoWait(selectors.EpollSelector):
    """The proxy's loop waits; this selector only looks."""

    def select(self, timeout=None):
        return super().select(0)


class Loop(asyncio.SelectorEventLoop):
    def __init__(self):
        super().__init__(_NoWait())
        self._thread_id = threading.get_ident()
        asyncio.events._set_running_loop(self)
        asyncio.set_event_loop(self)

    _stepping = False

    def fileno(self):
        return self._selector.fileno()

    def call_soon(self, callback, *args, context=None):
        handle = super().call_soon(callback, *args, context=context)
        if not self._stepping and len(self._ready) == 1:
            # Made outside step() (a plain hook's create_task()): wake the
            # proxy's loop through the selector, as call_soon_threadsafe does.
            self._write_to_self()
        return handle

    def step(self):
        """Runs what is due; returns the milliseconds until the next timer
        (0: more is ready now), or -1 when nothing is scheduled."""
        self._stepping = True
        try:
            return self._step()
        finally:
            self._stepping = False

    def _step(self):
        for _ in range(8):
            self._run_once()
            if not self._ready:
                break
        if self._ready:
            return 0
        while self._scheduled and self._scheduled[0]._cancelled:
            self._run_once()
        if not self._scheduled:
            return -1
        delay = self._scheduled[0]._when - self.time()
        return max(0, int(delay * 1000) + 1) if delay > 0 else 0


_loop = None


def loop():
    global _loop
    if _loop is None:
        _loop = Loop()
    return _loop


def start(coro, token, resume, log_exception):
    """Runs an awaitable a hook returned as a task; resume(token) when it is
    through (its exception logged as mitmproxy's safecall does)."""

    def done(task):
        if not task.cancelled() and task.exception() is not None:
            log_exception(task.exception())
        resume(token)

    task = asyncio.ensure_future(coro, loop=loop())
    task.add_done_callback(done)
    return task


def shutdown():
    """The proxy stops: every task still running is cancelled and run to
    its end, so the hooks waiting on it are through (their flows go with
    their connections)."""
    if _loop is None:
        return
    for _ in range(3):
        tasks = [t for t in asyncio.all_tasks(_loop) if not t.done()]
        if not tasks:
            return
        for t in tasks:
            t.cancel()
        for _ in range(16):
            _loop.step()
            if all(t.done() for t in tasks):
                break
