"""
End-to-end: hooks that wait without stopping the proxy. An `async def`
hook runs on an asyncio loop driven by ours, @concurrent runs the hook in
a thread; either way its flow waits and every other flow goes on (two
requests that each wait 1 s finish together in about 1 s, not 2).
Interception from a script: flow.intercept(), await wait_for_resume(),
resume() and kill().
"""
import os
import subprocess
import threading
import time

from conftest import FIXTURES, binary, curl
from test_scripts import script


def two_at_once(port, origin):
    """Two requests at the same time; (seconds for both, [(rc, body)])."""
    out = [None, None]

    def get(i):
        out[i] = curl("-x", f"http://127.0.0.1:{port}", f"http://127.0.0.1:{origin}/hello?{i}")

    t0 = time.monotonic()
    threads = [threading.Thread(target=get, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - t0, [(rc, body) for rc, body, _ in out]


def test_async_hooks_wait_without_blocking_other_flows(mitmdump, origin, tmp_path):
    s = script(tmp_path, "nonblocking.py", """
        import asyncio
        from mitmproxy import ctx

        async def request(flow):
            ctx.log.info(f"handle request: {flow.request.path}")
            await asyncio.sleep(1)
            ctx.log.info(f"start  request: {flow.request.path}")

        async def response(flow):
            await asyncio.sleep(0)
            flow.response.headers["x-async"] = asyncio.get_running_loop().__class__.__name__
        """)
    proc, port = mitmdump("-s", s)
    took, res = two_at_once(port, origin)
    assert res == [(0, b"hello world\n")] * 2
    assert 1.0 <= took < 1.8, took
    out = proc.output()
    # Both were handled before either started: they waited together.
    assert out.index("start  request") > out.rindex("handle request")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-i", f"http://127.0.0.1:{origin}/hello")
    assert b"x-async: Loop" in body


def test_concurrent_hooks_run_in_threads(mitmdump, origin, tmp_path):
    s = script(tmp_path, "concurrent.py", """
        import threading
        import time
        from mitmproxy import ctx
        from mitmproxy.script import concurrent

        @concurrent
        def request(flow):
            time.sleep(1)
            flow.request.headers["x-thread"] = str(threading.current_thread() is not threading.main_thread())
            ctx.log.info(f"done in a thread: {flow.request.path}")

        def response(flow):
            flow.response.headers["x-thread"] = flow.request.headers["x-thread"]
        """)
    proc, port = mitmdump("-s", s)
    took, res = two_at_once(port, origin)
    assert res == [(0, b"hello world\n")] * 2
    assert 1.0 <= took < 1.8, took
    proc.wait_for("done in a thread: /hello\\?1")
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-i", f"http://127.0.0.1:{origin}/hello")
    assert b"x-thread: True" in body


def test_intercept_wait_for_resume_and_kill(mitmdump, origin, tmp_path):
    s = script(tmp_path, "intercept.py", """
        import asyncio
        from mitmproxy import ctx

        async def request(flow):
            if "kill" in flow.request.path:
                flow.intercept()
                asyncio.get_running_loop().call_later(0.2, flow.kill)
                await flow.wait_for_resume()
                ctx.log.info(f"killed {flow.killable}")
                return
            flow.intercept()
            assert flow.intercepted
            asyncio.get_running_loop().call_later(0.3, flow.resume)
            await flow.wait_for_resume()
            flow.request.headers["x-resumed"] = str(not flow.intercepted)
        """)
    proc, port = mitmdump("-s", s)
    t0 = time.monotonic()
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", f"http://127.0.0.1:{origin}/echo-headers")
    assert rc == 0, err
    assert b"x-resumed: True" in body and time.monotonic() - t0 >= 0.3
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-i", f"http://127.0.0.1:{origin}/kill")
    assert rc != 0 or not body.startswith(b"HTTP/1.1 200"), body
    proc.wait_for("killed False")


def test_async_hook_error_is_logged_and_the_flow_goes_on(mitmdump, origin, tmp_path):
    s = script(tmp_path, "boom.py", """
        import asyncio

        async def request(flow):
            await asyncio.sleep(0.01)
            raise ValueError("async boom")

        def response(flow):
            flow.response.headers["x-after"] = "1"
        """)
    proc, port = mitmdump("-s", s)
    rc, body, err = curl("-x", f"http://127.0.0.1:{port}", "-i", f"http://127.0.0.1:{origin}/hello")
    assert rc == 0, err
    assert b"x-after: 1" in body
    proc.wait_for("ValueError: async boom")
    assert "boom.py\", line 6, in request" in proc.output()


def test_async_hooks_on_saved_flows(tmp_path):
    from mitmproxy import io as mio

    s = script(tmp_path, "slow.py", """
        import asyncio

        async def response(flow):
            await asyncio.sleep(0.05)
            flow.comment = "awaited"
        """)
    src = os.path.join(FIXTURES, "flows", "get-query.mitm")
    out = tmp_path / "out.mitm"
    r = subprocess.run([binary("mitmdump"), "-n", "-s", s, "-r", src, "-w", str(out)],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(out, "rb") as f:
        flows = list(mio.FlowReader(f).stream())
    assert flows and all(f.comment == "awaited" for f in flows if f.response)



def test_no_server_and_nothing_to_read_runs_the_scripts_tasks(tmp_path):
    # mitmdump -n -s with no -r or replay runs until stopped, as 8.1.1's
    # keepserving addon lets it: the script's own task is the work, and
    # here it ends the run itself.
    s = script(tmp_path, "later.py", """
        import asyncio
        import logging
        from mitmproxy import ctx

        async def later():
            await asyncio.sleep(0.3)
            logging.warning("the task ran")
            ctx.master.shutdown()

        def running():
            asyncio.get_running_loop().create_task(later())
        """)
    r = subprocess.run([binary("mitmdump"), "-n", "-s", s], capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode()
    assert r.returncode == 0, out
    assert "the task ran" in out, out

def test_stopping_with_a_hook_still_awaiting(mitmdump, origin, tmp_path):
    s = script(tmp_path, "forever.py", """
        import asyncio
        from mitmproxy import ctx

        async def request(flow):
            ctx.log.info("awaiting")
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                ctx.log.info("cancelled")
                raise
        """)
    proc, port = mitmdump("-s", s)
    t = threading.Thread(target=curl, args=("-x", f"http://127.0.0.1:{port}",
                                            f"http://127.0.0.1:{origin}/hello"), daemon=True)
    t.start()
    proc.wait_for("awaiting")
    t0 = time.monotonic()
    # The fixture checks the exit status and that nothing leaked.
    assert proc.stop() == 0
    assert time.monotonic() - t0 < 5
    assert "cancelled" in proc.output()
