"""@concurrent: the hook runs in a thread of the asyncio loop's executor
while its flow waits; other flows go on. The proxy's thread lets go of
the GIL between hooks, so the thread runs while the proxy serves."""
import asyncio
import functools
import inspect


def concurrent(fn):
    # mitmproxy refuses every name that is not a hook; load and configure
    # are the ones where it cannot work (they are not awaited in order).
    if fn.__name__ in ("load", "configure"):
        raise NotImplementedError(
            "Concurrent decorator not supported for '%s' method." % fn.__name__
        )

    @functools.wraps(fn)
    async def _concurrent(*args):
        def run():
            if inspect.iscoroutinefunction(fn):
                loop = asyncio.new_event_loop()
                try:
                    loop.run_until_complete(fn(*args))
                finally:
                    loop.close()
            else:
                fn(*args)

        await asyncio.get_running_loop().run_in_executor(None, run)

    return _concurrent
