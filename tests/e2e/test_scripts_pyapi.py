"""
End-to-end: the parts of mitmproxy 8.1.1's addon API that issue 13 named
last (content views, WSGI apps, option types, commands on flows), each
through 8.1.1's own example addon where there is one, unchanged, and our
mitmdump.
"""
import json
import os
import subprocess

from conftest import ROOT, binary
from test_scripts_examples import example, proxied

# Our package as a user's system Python imports it: mitmproxy._c (make
# pyext) and the mitmproxy package; beside it, Debian's mitmproxy 8.1.1.
OURS = [os.path.join(ROOT, "build", "pyext"), os.path.join(ROOT, "python")]
THEIRS = ["/usr/lib/python3/dist-packages"]
ADDON_TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "addon_tests")


def _plain_python(args, path, cwd=ADDON_TESTS, timeout=170):
    """/usr/bin/python3 with args, importing from path, without the
    sanitizers' options (the interpreter is not built with them)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    env.pop("ASAN_OPTIONS", None)
    return subprocess.run(["/usr/bin/python3", *args], capture_output=True, timeout=timeout,
                          env=env, cwd=cwd)


def _addon_tests(name, path):
    """pytest on addon_tests/name, importing from path: its exit status
    and output."""
    r = _plain_python(["-m", "pytest", "-q", "-p", "no:cacheprovider",
                       os.path.join(ADDON_TESTS, name)], path + [ADDON_TESTS])
    return r.returncode, (r.stdout + r.stderr).decode()


def test_contentview_swapcase_in_auto(mitmdump, origin):
    # The origin's /hello is text/plain, which the example's view rates 1.
    proc, port = mitmdump("-s", example("contentview.py"), "--flow-detail", "3")
    proxied(port, f"http://127.0.0.1:{origin}/hello")
    # The dumper shows a view's lines, not its description (as 8.1.1).
    proc.wait_for(r"^    HELLO WORLD")


def test_contentview_that_raises_falls_back_to_raw(mitmdump, origin, tmp_path):
    script = tmp_path / "badview.py"
    script.write_text(
        "from mitmproxy import contentviews, ctx\n"
        "class Bad(contentviews.View):\n"
        "    name = 'bad'\n"
        "    def __call__(self, data, **kw):\n"
        "        raise ValueError('nope')\n"
        "    def render_priority(self, data, **kw):\n"
        "        return 5\n"
        "v = Bad()\n"
        "def load(l):\n"
        "    contentviews.add(v)\n"
        "    assert contentviews.get('BAD') is v\n"
        "    assert contentviews.get('json').name == 'JSON'\n"
        "    try:\n"
        "        contentviews.add(Bad())\n"
        "    except ValueError as e:\n"
        "        ctx.log.info(f'refused: {e}')\n"
        "def done():\n"
        "    contentviews.remove(v)\n")
    proc, port = mitmdump("-s", str(script), "--flow-detail", "3")
    proxied(port, f"http://127.0.0.1:{origin}/hello")
    proc.wait_for(r"refused: Duplicate view: bad")
    proc.wait_for(r"^    hello world")


def test_options_configure_optional_int(mitmdump, origin):
    _, port = mitmdump("-s", example("options-configure.py"), "--set", "addheader=42")
    body = proxied(port, f"http://127.0.0.1:{origin}/hello")
    assert b"addheader: 42" in body
    # Unset (None): no header.
    _, port = mitmdump("-s", example("options-configure.py"))
    body = proxied(port, f"http://127.0.0.1:{origin}/hello")
    assert b"addheader" not in body


def test_option_typespecs(mitmdump, origin, tmp_path):
    script = tmp_path / "types.py"
    script.write_text(
        "import typing\n"
        "from typing import Optional, Sequence\n"
        "from mitmproxy import ctx\n"
        "def load(l):\n"
        "    l.add_option('t_oint', Optional[int], None, 'h')\n"
        "    l.add_option('t_ostr', Optional[str], None, 'h')\n"
        "    l.add_option('t_seq', Sequence[str], [], 'h')\n"
        "    l.add_option('t_float', Optional[float], 1.5, 'h')\n"
        "    l.add_option('t_choice', str, 'a', 'h', choices=['a', 'b'])\n"
        "def response(flow):\n"
        "    o = ctx.options\n"
        "    flow.response.headers['x-types'] = repr((o.t_oint, o.t_ostr, list(o.t_seq),\n"
        "                                             o.t_float, o.t_choice))\n")
    _, port = mitmdump("-s", str(script), "--set", "t_oint=7", "--set", "t_seq=x",
                       "--set", "t_seq=y", "--set", "t_choice=b")
    body = proxied(port, f"http://127.0.0.1:{origin}/hello")
    assert b"x-types: (7, None, ['x', 'y'], 1.5, 'b')" in body


TYPED_OPTIONS = (
    "from typing import Optional\n"
    "from mitmproxy import ctx, exceptions\n"
    "def load(l):\n"
    "    l.add_option('t_oint', Optional[int], None, 'h')\n"
    "    l.add_option('t_ofloat', Optional[float], None, 'h')\n"
    "    l.add_option('t_obool', Optional[bool], None, 'h')\n"
    "    l.add_option('t_flt', float, 0.5, 'h')\n"
)


def test_option_types_are_typed_and_checked(mitmdump, tmp_path):
    # float and Optional[int|float|bool] read as their types, and a value of
    # the wrong kind is refused with the option's name, as 8.1.1's
    # "Not an integer" refuses it.
    script = tmp_path / "typed.py"
    script.write_text(TYPED_OPTIONS + (
        "def running():\n"
        "    o = ctx.options\n"
        "    ctx.log.info('TYPED ' + repr((o.t_oint, o.t_ofloat, o.t_obool, o.t_flt)))\n"
        "    try:\n"
        "        o.t_oint = 'abc'\n"
        "    except exceptions.OptionsError as e:\n"
        "        ctx.log.info(f'REFUSED {e}')\n"
        "    o.update(t_ofloat=3, t_obool=None)\n"
        "    ctx.log.info('AFTER ' + repr((o.t_oint, o.t_ofloat, o.t_obool)))\n"))
    proc, _ = mitmdump("-s", str(script), "--set", "t_oint=007", "--set", "t_obool=true",
                       "--set", "t_flt=2")
    proc.wait_for(r"TYPED \(7, None, True, 2\.0\)")
    proc.wait_for(r"REFUSED t_oint: invalid integer 'abc'")
    proc.wait_for(r"AFTER \(7, 3\.0, None\)")
    # On the command line the same check stops the start-up, naming the value.
    bad = tmp_path / "only.py"
    bad.write_text(TYPED_OPTIONS)
    for setting, msg in (("t_oint=abc", "t_oint: invalid integer 'abc'"),
                         ("t_flt=x", "t_flt: invalid float 'x'"),
                         ("t_obool=maybe", "t_obool: invalid boolean 'maybe'")):
        r = subprocess.run([binary("mitmdump"), "-p", "0", "-s", str(bad), "--set", setting,
                            "--set", f"confdir={tmp_path / 'conf'}"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0
        assert msg in r.stdout + r.stderr


def test_duplicate_modify_replay(mitmdump, origin):
    # The request hook replays a copy of each request with the path
    # /changed: a flow no view holds, passed to replay.client as a flow.
    proc, port = mitmdump("-s", example("duplicate-modify-replay.py"))
    body = proxied(port, f"http://127.0.0.1:{origin}/hello")
    assert b"X-Path: /hello" in body
    proc.wait_for(r"GET http://127\.0\.0\.1:\d+/changed")
    proc.wait_for(r"<< 200 OK")


def test_command_defaults_and_flow_arguments(tmp_path):
    script = tmp_path / "cmds.py"
    script.write_text(
        "import typing\n"
        "from mitmproxy import command, ctx, flow\n"
        "from mitmproxy.test import tflow\n"
        "class A:\n"
        "    @command.command('t.greet')\n"
        "    def greet(self, name: str, greeting: str = 'hello') -> str:\n"
        "        return f'{greeting} {name}'\n"
        "    @command.command('t.count')\n"
        "    def count(self, flows: typing.Sequence[flow.Flow]) -> int:\n"
        "        return len(flows)\n"
        "    def running(self):\n"
        "        c = ctx.master.commands\n"
        "        ctx.log.info('greet1=' + c.call('t.greet', 'bob'))\n"
        "        ctx.log.info('greet2=' + c.execute('t.greet bob hi'))\n"
        "        f = tflow.tflow(resp=True)\n"
        "        ctx.log.info('count=%d' % c.call('t.count', [f, f.copy()]))\n"
        "        ctx.log.info('one=%d' % c.call('t.count', f))\n"
        "        ctx.master.shutdown()\n"
        "addons = [A()]\n")
    r = subprocess.run([binary("mitmdump"), "-n", "-s", str(script)], capture_output=True,
                       timeout=60)
    out = (r.stdout + r.stderr).decode()
    assert r.returncode == 0, out
    for want in ("greet1=hello bob", "greet2=hi bob", "count=2", "one=1"):
        assert want in out, out


def slow_start(mitmdump, *args, env=None):
    """mitmdump(*args) for a script whose imports take long on a loaded
    machine (Flask takes seconds): its first lines may take a minute."""
    from conftest import Proc

    orig = Proc.wait_for

    def patient(self, pattern, timeout=10):
        return orig(self, pattern, timeout=max(timeout, 90))

    Proc.wait_for = patient
    try:
        return mitmdump(*args, env=env)
    finally:
        Proc.wait_for = orig


def test_wsgi_flask_app(mitmdump):
    # Debian's python3-flask (scripts/deps.sh): the app answers for
    # example.com:80 inside the proxy, which never connects there.
    # With Flask's imports loaded (hashlib, its own OpenSSL use), OpenSSL's
    # method cache that our CA creation filled (EVP_MD_fetch under
    # ca.c's add_ext) is still allocated at exit, where LeakSanitizer
    # reports it; its leak check is off for this one process.
    asan = os.environ.get("ASAN_OPTIONS", "")
    env = {"ASAN_OPTIONS": (asan + ":" if asan else "") + "detect_leaks=0"}
    _, port = slow_start(mitmdump, "-s", example("wsgi-flask-app.py"), env=env)
    body = proxied(port, "http://example.com/")
    assert body.startswith(b"HTTP/1.1 200"), body
    assert body.endswith(b"Hello World!")
    assert b"Content-Type: text/html; charset=utf-8" in body
    body = proxied(port, "http://example.com/nope")
    assert body.startswith(b"HTTP/1.1 404"), body


def test_asgi_app_and_wsgi_post(mitmdump, tmp_path):
    script = tmp_path / "apps.py"
    script.write_text(
        "from mitmproxy.addons import asgiapp\n"
        "async def app(scope, receive, send):\n"
        "    ev = await receive()\n"
        "    await send({'type': 'http.response.start', 'status': 201,\n"
        "                'headers': [(b'x-path', scope['path'].encode())]})\n"
        "    await send({'type': 'http.response.body', 'body': b'got ' + ev['body']})\n"
        "def wsgi(environ, start_response):\n"
        "    data = environ['wsgi.input'].read()\n"
        "    start_response('202 Accepted', [('X-Query', environ['QUERY_STRING'])])\n"
        "    return [b'wsgi ', data]\n"
        "addons = [asgiapp.ASGIApp(app, 'asgi.test', 80), asgiapp.WSGIApp(wsgi, 'wsgi.test', 8081)]\n")
    _, port = mitmdump("-s", str(script))
    body = proxied(port, "-d", "abc", "http://asgi.test/x%20y")
    assert body.startswith(b"HTTP/1.1 201") and body.endswith(b"got abc"), body
    assert b"x-path: /x y" in body
    body = proxied(port, "-d", "xyz", "http://wsgi.test:8081/p?q=1")
    assert body.startswith(b"HTTP/1.1 202 Accepted") and body.endswith(b"wsgi xyz"), body
    assert b"X-Query: q=1" in body


def test_user_addon_tests_run_under_plain_pytest():
    # mitmproxy._c built for the system Python (make pyext) and our package:
    # a user's 8.1.1-style tests (taddons.context(), tflow.tflow()) pass.
    assert any(n.startswith("_mitmproxy_c") for n in os.listdir(OURS[0])), "run make pyext"
    rc, out = _addon_tests("addheader_tests.py", OURS)
    assert rc == 0, out
    assert "5 passed" in out, out


def test_test_helpers_match_8_1_1s():
    # ttcpflow(), tflow(ws=True) and its other arguments, twebsocketflow() and
    # taddons.context(options=...): one test file, passed by our package and,
    # to show its values are 8.1.1's, by Debian's mitmproxy 8.1.1.
    runs = [OURS]
    if os.path.exists("/usr/lib/python3/dist-packages/mitmproxy/test/tflow.py"):
        runs.append(THEIRS)
    for path in runs:
        rc, out = _addon_tests("helpers_tests.py", path)
        assert rc == 0, out
        assert "9 passed" in out, out


def test_grpc_view_renders_as_8_1_1s(tmp_path):
    # mitmproxy.contentviews.grpc: 8.1.1's example view with its rules, the
    # plain view (through our C view), parser options, packed fields and
    # gzip-compressed gRPC give 8.1.1's titles and lines, case for case.
    example("contentview-custom-grpc.py")
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    r = _plain_python(["grpc_compare.py", str(ours)], OURS)
    assert r.returncode == 0, (r.stdout + r.stderr).decode()
    # The view's name and priorities (8.1.1's 1 and 1.5, plus the example's 1).
    assert r.stdout.decode().split("\n")[0] == '[2, 2.5, "customized gRPC/protobuf"]'
    got = json.loads(ours.read_text())
    assert got["application/grpc ex req"][0] == "gRPC (addon with custom rules)"
    assert got["application/x-protobuf bad"] == ["ERR", "ValueError"]
    lines = ["".join(t for _, t in line).rstrip()
             for line in got["application/x-protobuf ex resp"][1]]
    assert "[double]   latitude               1.5.1.1  1.5" in lines
    r = _plain_python(["grpc_compare.py", str(theirs)], THEIRS)
    assert r.returncode == 0, (r.stdout + r.stderr).decode()
    assert got == json.loads(theirs.read_text())


def test_contentview_custom_grpc_example_in_mitmdump(tmp_path):
    # 8.1.1's example, unchanged, in `mitmdump -r` with --flow-detail 3: the
    # same lines as 8.1.1's mitmdump shows for the same flow file.
    flows = tmp_path / "geo.flow"
    r = _plain_python(["-c", (
        "import sys, grpc_compare_data as d\n"
        "from mitmproxy import io\n"
        "from mitmproxy.test import tflow\n"
        "f = tflow.tflow(resp=True)\n"
        "f.request.url = 'http://example.com/ReverseGeocode'\n"
        "f.response.headers['content-type'] = 'application/x-protobuf'\n"
        "f.response.content = d.RESP\n"
        f"io.FlowWriter(open({str(flows)!r}, 'wb')).add(f)\n")],
        OURS + [ADDON_TESTS])
    assert r.returncode == 0, (r.stdout + r.stderr).decode()
    args = ["-n", "-r", str(flows), "-s", example("contentview-custom-grpc.py"),
            "--flow-detail", "3", "--set", f"confdir={tmp_path / 'conf'}"]
    ours = subprocess.run([binary("mitmdump"), *args], capture_output=True, timeout=120)
    out = ours.stdout.decode()
    assert ours.returncode == 0, out + ours.stderr.decode()
    assert "    [string]   address                1.2      Some street\\nline" in out, out
    assert "    [double]   longitude              1.5.1.2  4.203895392974451e-43" in out, out
    if os.path.exists("/usr/bin/mitmdump"):
        theirs = subprocess.run(["/usr/bin/mitmdump", *args], capture_output=True, timeout=120)
        assert out == theirs.stdout.decode()
