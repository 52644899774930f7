"""
End-to-end: the modules of mitmproxy's API beyond http and ctx, in our
mitmdump: mitmproxy.command (script commands in our command registry),
mitmproxy.flowfilter (our filter engine), mitmproxy.io (our flow files,
read back by mitmproxy 8.1.1), mitmproxy.utils.strutils, Flow.copy.
"""
import os
import subprocess

from conftest import FIXTURES, binary
from test_scripts import script


def run(*args):
    r = subprocess.run([binary("mitmdump"), *args], capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode()
    assert r.returncode == 0, out
    assert "Traceback" not in out, out
    return out


def test_script_commands_are_in_the_command_registry(tmp_path):
    s = script(tmp_path, "cmds.py", """
        import typing
        from mitmproxy import command, ctx, flow, types

        class Greeter:
            def __init__(self):
                self.n = 0

            @command.command("greet.who")
            def who(self, name: str, times: int) -> str:
                \"\"\"Greets someone.\"\"\"
                self.n += times
                return f"hello {name} x{times}"

            @command.command("greet.count")
            def count(self) -> int:
                return self.n

            @command.command("greet.mark")
            def mark(self, flows: typing.Sequence[flow.Flow]) -> None:
                for f in flows:
                    f.marked = True

            @command.command("greet.fail")
            def fail(self) -> None:
                raise ValueError("no greeting today")

        addons = [Greeter()]

        def running():
            ctx.log.info("RESULT " + ctx.master.commands.call("greet.who", "alice", 2))
            ctx.log.info("RESULT " + ctx.master.commands.execute("greet.who bob 1"))
            ctx.log.info("RESULT %d" % ctx.master.commands.execute("greet.count"))
            try:
                ctx.master.commands.execute("greet.fail")
            except Exception as e:
                ctx.log.info(f"RESULT {type(e).__name__}: {e}")
            ctx.master.shutdown()
        """)
    out = run("-n", "-s", s)
    results = [ln.split("RESULT ", 1)[1] for ln in out.splitlines() if "RESULT " in ln]
    assert results == ["hello alice x2", "hello bob x1", "3", "CommandError: no greeting today"]


def test_flowfilter_io_and_copy_on_saved_flows(tmp_path):
    from mitmproxy import io as mio

    out = tmp_path / "filtered.mitm"
    s = script(tmp_path, "io.py", f"""
        from mitmproxy import ctx, flowfilter, io
        from mitmproxy.utils import strutils

        flt = flowfilter.parse("~s & ~t json")
        f = open({str(out)!r}, "wb")
        writer = io.FilteredFlowWriter(f, flowfilter.parse("~s"))
        plain = io.FlowWriter(f)

        def response(flow):
            ctx.log.info(f"MATCH {{flowfilter.match(flt, flow)}} {{flowfilter.match('~s', flow)}}")
            dup = flow.copy()
            assert dup.id != flow.id and dup.request.url == flow.request.url
            dup.comment = strutils.bytes_to_escaped_str(b"copy\\x00")
            writer.add(dup)

        def done():
            f.close()
            n = len(io.read_flows_from_paths([{str(out)!r}]))
            ctx.log.info(f"READ BACK {{n}}")
            try:
                flowfilter.parse("~x nope")
            except ValueError as e:
                ctx.log.info(f"BAD FILTER {{e}}")
        """)
    src = os.path.join(FIXTURES, "flows", "get-query.mitm")
    text = run("-n", "-s", s, "-r", src)
    with open(src, "rb") as fh:
        before = [fl for fl in mio.FlowReader(fh).stream() if fl.response]
    matches = [ln.split("MATCH ", 1)[1] for ln in text.splitlines() if "MATCH " in ln]
    assert len(matches) == len(before) > 0
    assert all(m.endswith(" True") for m in matches)
    with open(out, "rb") as fh:
        after = list(mio.FlowReader(fh).stream())
    assert [a.request.url for a in after] == [b.request.url for b in before]
    assert all(a.comment == "copy\\x00" for a in after)
    assert f"READ BACK {len(before)}" in text
    assert "BAD FILTER Invalid filter expression: '~x nope'" in text


def test_ctx_master_addons_finds_built_in_and_script_addons(tmp_path):
    s = script(tmp_path, "addons.py", """
        from mitmproxy import ctx

        class MyCounter:
            pass

        addons = [MyCounter()]

        def running():
            a = ctx.master.addons
            ctx.log.info(f"RESULT {'save' in a} {'mycounter' in a} {'nonesuch' in a}")
            ctx.log.info(f"RESULT {type(a.get('mycounter')).__name__}")
            ctx.master.shutdown()
        """)
    out = run("-n", "-s", s)
    results = [ln.split("RESULT ", 1)[1] for ln in out.splitlines() if "RESULT " in ln]
    assert results == ["True True False", "MyCounter"]
