"""
The command line as a user meets it: --version, --options, bad flags and
values, and -n -r printing saved flows exactly as mitmproxy 8.1.1 does.
"""
import difflib
import glob
import os
import re
import shlex
import subprocess

import pytest

from conftest import FIXTURES, binary

MITMDUMP_811 = "/usr/bin/mitmdump"


def run(*args, timeout=60):
    r = subprocess.run([binary("mitmdump"), *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def test_version():
    rc, out, _ = run("--version")
    assert rc == 0
    assert out.startswith("Mitmproxy: ")
    assert "Flow format: 17" in out


def test_options_lists_every_option_of_811():
    rc, ours, _ = run("--options")
    assert rc == 0
    ref = subprocess.run([MITMDUMP_811, "--options"], stdout=subprocess.PIPE, check=True).stdout.decode()

    def names(text):
        return [l.split(":")[0] for l in text.splitlines() if l and not l.startswith("#") and ":" in l]

    assert names(ours) == names(ref)
    assert "listen_port: 8080" in ours
    assert "Type bool." in ours


def command_blocks(text):
    """--commands output as {name: its help lines and signature}."""
    blocks, lines = {}, []
    for line in text.splitlines():
        if not line:
            continue
        lines.append(line)
        if not line.startswith("#"):
            blocks[line.split(" ")[0]] = "\n".join(lines)
            lines = []
    return blocks


# 8.1.1's commands that come with later parts (scripts, the console's
# command history, the browser).
COMMANDS_LATER = {"browser.start", "commands.history.add", "commands.history.clear",
                  "commands.history.filter", "commands.history.get", "commands.history.next",
                  "commands.history.prev", "script.run"}


def test_commands_print_as_811_does():
    rc, ours, _ = run("--commands")
    assert rc == 0
    ref = subprocess.run([MITMDUMP_811, "--commands"], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    mine, theirs = command_blocks(ours), command_blocks(ref)
    # Every command we have reads as 8.1.1's: help, parameter names, result type.
    for name, block in mine.items():
        assert theirs.get(name) == block, name
    assert set(theirs) - set(mine) <= COMMANDS_LATER
    assert list(mine) == sorted(mine)


@pytest.mark.parametrize("args,needle", [
    (["--no-such-flag"], "--no-such-flag"),
    (["--set", "no_such_option=1"], "no_such_option"),
    (["--listen-port", "abc"], "abc"),
    (["--set", "termlog_verbosity=loud"], "loud"),
    (["--mode", "sideways"], "sideways"),
    (["--flow-detail"], "--flow-detail"),
])
def test_bad_arguments_exit_2_naming_the_problem(args, needle):
    rc, out, err = run(*args)
    assert rc == 2, (out, err)
    assert needle in err
    assert len(err.strip().splitlines()) <= 2


@pytest.mark.parametrize("args,needle", [
    (["--mode", "sideways"], "sideways"),
    (["--ignore-hosts", "("], "ignore_hosts"),
    (["--set", "upstream_auth=nocolon"], "upstream_auth"),
    (["--set", "body_size_limit=10zz"], "10zz"),
    (["--certs", "*=/nonexistent/c.pem"], "/nonexistent/c.pem"),
    (["--set", "client_certs=/nonexistent/client"], "/nonexistent/client"),
])
def test_bad_proxy_options_are_named_without_a_server_too(args, needle, tmp_path):
    # 8.1.1 checks these with -n as well; a mistake is not hidden until the
    # day the same command line runs with a server. (-r: a run that ends.)
    conf = ["--set", f"confdir={tmp_path}"]
    ref = subprocess.run([MITMDUMP_811, "-n", "-q", "-r", os.devnull, *conf, *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, timeout=60)
    assert ref.returncode != 0
    rc, out, err = run("-n", "-q", "-r", os.devnull, *conf, *args)
    assert rc == 2, (out, err)
    assert needle in err


def test_unreadable_flow_file():
    rc, out, err = run("-n", "-r", "/nonexistent/flows.mitm")
    assert rc != 0
    assert "/nonexistent/flows.mitm" in err


def test_unwritable_save_file(tmp_path):
    rc, out, err = run("-n", "-w", str(tmp_path / "no-dir" / "x.mitm"))
    assert rc == 2
    assert "no-dir" in err


def test_corrupt_flow_file_delivers_earlier_flows(tmp_path):
    src = open(os.path.join(FIXTURES, "flows", "methods.mitm"), "rb").read()
    bad = tmp_path / "cut.mitm"
    bad.write_bytes(src[: len(src) - 100])
    rc, out, err = run("-n", "-r", str(bad))
    assert rc != 0
    assert "byte" in err and "cut.mitm" in err
    assert out.count("<< ") >= 4  # the four complete flows were printed


HTTP_FIXTURES = [os.path.basename(p) for p in sorted(glob.glob(os.path.join(FIXTURES, "flows", "*.mitm")))
                 if os.path.basename(p) not in ("all.mitm", "dns.mitm",
                                                "http2.mitm", "https-connect.mitm")]


@pytest.mark.parametrize("name", HTTP_FIXTURES)
def test_reading_fixtures_prints_like_811(name):
    path = os.path.join(FIXTURES, "flows", name)
    ref = subprocess.run([MITMDUMP_811, "-n", "-r", path, "--flow-detail", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60).stdout.decode()
    rc, out, err = run("-n", "-r", path, "--flow-detail", "1")
    assert rc == 0, err
    assert out.splitlines() == ref.splitlines()


# Every fixture but the two that hold DNS flows (all.mitm, dns.mitm: they
# have tests of their own below), and the bodies for every content view
# that tests/contentviews/mkflows.py wrote.
BODY_FIXTURES = [p for p in sorted(glob.glob(os.path.join(FIXTURES, "flows", "*.mitm")))
                 if os.path.basename(p) not in ("all.mitm", "dns.mitm")]
CONTENTVIEW_FLOWS = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "contentviews", "flows", "*.mitm")))
CONTENTVIEWS = ["auto", "raw", "hex", "graphql", "json", "xml/html", "wbxml", "javascript", "css",
                "url-encoded", "multipart form", "image", "query", "protocol buffer", "msgpack",
                "grpc/protocol buffer"]


def _concatenated(paths, tmp_path):
    """One flow file holding every flow of paths (flow files concatenate), so
    that mitmdump 8.1.1 starts once for all of them."""
    out = tmp_path / "flows.mitm"
    out.write_bytes(b"".join(open(p, "rb").read() for p in paths))
    return str(out)


def _same_output_as_811(args, tty=False):
    """Runs ours and 8.1.1 with args; their standard outputs must be equal
    byte for byte. With tty set both write to a terminal (colours on)."""
    def cmd(exe):
        if not tty:
            return [exe, *args]
        return ["script", "-qec", " ".join(shlex.quote(a) for a in [exe, *args]), "/dev/null"]
    ours = subprocess.run(cmd(binary("mitmdump")), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=180)
    ref = subprocess.run(cmd(MITMDUMP_811), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, timeout=180)
    assert ours.returncode == 0, ours.stderr.decode("utf-8", "replace")
    if ours.stdout != ref.stdout:
        diff = difflib.unified_diff(ref.stdout.decode("utf-8", "replace").splitlines(),
                                    ours.stdout.decode("utf-8", "replace").splitlines(),
                                    "mitmdump 8.1.1", "ours", lineterm="", n=2)
        pytest.fail("output differs from 8.1.1's:\n" + "\n".join(list(diff)[:60]))


@pytest.mark.parametrize("detail", ["3", "4"])
@pytest.mark.parametrize("which", ["fixtures", "contentviews"])
def test_reading_flows_prints_bodies_like_811(which, detail, tmp_path):
    """--flow-detail 3 and 4 print bodies through the content views: the
    output is 8.1.1's byte for byte, for every fixture and every view's bodies."""
    paths = BODY_FIXTURES if which == "fixtures" else CONTENTVIEW_FLOWS
    assert paths
    _same_output_as_811(["-n", "-r", _concatenated(paths, tmp_path), "--flow-detail", detail])


@pytest.mark.parametrize("detail", ["3", "4"])
def test_fixtures_holding_dns_flows_print_the_rest_like_811(detail, tmp_path):
    """all.mitm and dns.mitm hold DNS flows among the others: with those
    filtered out, every other flow's bodies print as 8.1.1 prints them."""
    paths = [os.path.join(FIXTURES, "flows", n) for n in ("all.mitm", "dns.mitm")]
    _same_output_as_811(["-n", "-r", _concatenated(paths, tmp_path), "--flow-detail", detail,
                         "!~dns"])


@pytest.mark.parametrize("detail", ["0", "1", "2", "3", "4"])
def test_dns_flows_print_like_811(detail):
    """dns.mitm's A, AAAA and NXDOMAIN flows print as 8.1.1 prints them at
    every --flow-detail, byte for byte: the query line, then the answers."""
    _same_output_as_811(["-n", "-r", os.path.join(FIXTURES, "flows", "dns.mitm"),
                         "--flow-detail", detail])


def test_dns_flows_colours_like_811():
    """On a terminal the description is red, the name bold and each answer
    bright blue, as 8.1.1 styles them."""
    _same_output_as_811(["-n", "-r", os.path.join(FIXTURES, "flows", "dns.mitm"),
                         "--flow-detail", "1"], tty=True)


DNS_FLOWS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "filter",
                         "dns_flows.mitm")


@pytest.mark.parametrize("expr", ["~u example", "~q", "~bs missing", "~b cname.target",
                                  "~dns & ~s & ~b example", "~src :38240", "~d ."])
def test_dns_filters_select_like_811(expr):
    """A filter argument picks the same DNS flows as in 8.1.1 (the flows of
    tests/filter/dns_flows.mitm, every operator of which the unit tests
    check), and they print the same."""
    _same_output_as_811(["-n", "-r", DNS_FLOWS, expr])


@pytest.mark.parametrize("detail", ["1", "2", "3", "4"])
def test_all_fixtures_with_dns_flows_print_like_811(detail):
    """all.mitm whole, its DNS flows among the HTTP, TCP and WebSocket ones."""
    _same_output_as_811(["-n", "-r", os.path.join(FIXTURES, "flows", "all.mitm"),
                         "--flow-detail", detail])


@pytest.mark.parametrize("view", CONTENTVIEWS)
def test_every_contentview_prints_like_811(view, tmp_path):
    """dumper_default_contentview chooses the view for every body, including
    bodies the view cannot show (they fall back to Raw as in 8.1.1)."""
    _same_output_as_811(["-n", "-r", _concatenated(CONTENTVIEW_FLOWS, tmp_path), "--flow-detail",
                         "4", "--set", f"dumper_default_contentview={view}"])


def test_contentview_colours_like_811(tmp_path):
    """On a terminal each token is coloured by its style as 8.1.1 colours it
    (empty tokens too), and "(cut off)" is dimmed with its indentation."""
    _same_output_as_811(["-n", "-r", _concatenated(CONTENTVIEW_FLOWS, tmp_path), "--flow-detail",
                         "3"], tty=True)


def test_filter_argument_limits_what_is_saved_and_printed(tmp_path):
    """The seeds' `mitmdump -nr infile -w outfile "~m post"`, checked against the
    expected matches of public.json for that expression."""
    import json
    from mitmproxy import io as mio
    vectors = json.load(open(os.path.join(FIXTURES, "filters", "public.json")))
    by_expr = {v["expr"]: v for v in vectors["valid"]}
    expr = "~m post"
    want = {fid for fid, hit in by_expr[expr]["matches"].items() if hit} if expr in by_expr else None
    out = tmp_path / "post.mitm"
    rc, text, err = run("-n", "-r", os.path.join(FIXTURES, "flows", "all.mitm"), "-w", str(out), expr)
    assert rc == 0, err
    got = [f.id for f in mio.FlowReader(open(out, "rb")).stream()]
    assert got and all(line.split(": ", 1)[1].startswith("POST") for line in text.splitlines()
                       if ": " in line and " http" in line)
    if want is not None:
        assert set(got) == want


def test_invalid_filter_argument_exits_2():
    rc, out, err = run("-n", "~x nonsense")
    assert rc == 2
    assert "~x" in err


@pytest.mark.parametrize("expr,why", [
    ("~d [", "invalid regular expression '[' in ~d: missing terminating ] for character class"),
    ("~q ~zz", "unknown operator '~zz' at column 4"),
])
def test_invalid_filter_argument_names_it_and_the_bad_part(expr, why):
    """The message is about the argument typed, not an option it sets (save_stream_filter)."""
    rc, out, err = run("-nr", os.path.join(FIXTURES, "flows", "get-query.mitm"), expr)
    assert rc == 2
    assert err == f"mitmdump: error: invalid filter expression '{expr}': {why}\n"
    assert out == ""


@pytest.mark.parametrize("flag", ["-r", "-C", "-S"])
def test_missing_flow_file_one_message_for_every_reader(flag, tmp_path):
    rc, out, err = run("-n", flag, "missing.mitm", "--set", f"confdir={tmp_path}")
    assert rc == 2, (out, err)
    assert err == ("mitmdump: error: cannot read flows from 'missing.mitm': "
                   "No such file or directory\n")


def test_read_flows_from_stdin():
    """`-r -` reads standard input, as 8.1.1 does."""
    data = open(os.path.join(FIXTURES, "flows", "methods.mitm"), "rb").read()
    r = subprocess.run([binary("mitmdump"), "-n", "-r", "-"], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    ref = subprocess.run([MITMDUMP_811, "-n", "-r", "-"], input=data,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(b"<< ") == 5
    assert r.stdout == ref.stdout


def test_one_byte_short_file_says_what_is_missing(tmp_path):
    src = open(os.path.join(FIXTURES, "flows", "get-query.mitm"), "rb").read()
    bad = tmp_path / "short.mitm"
    bad.write_bytes(src[:-1])
    rc, out, err = run("-n", "-r", str(bad))
    assert rc == 1
    assert "the type byte after them is missing" in err, err


def test_options_acted_on_get_no_warning():
    """upstream_auth and websocket take effect: no "not implemented" warning for them, one
    for an option this version does not act on yet."""
    # An empty -r: a run that ends (with -n and nothing to read, it would not).
    rc, out, err = run("-n", "-r", os.devnull, "--set", "upstream_auth=u:p",
                       "--set", "websocket=false", "--set", "connect_addr=127.0.0.1")
    assert rc == 0, (out, err)
    text = out + err
    assert "upstream_auth" not in text and "websocket" not in text, text
    assert text.count("not implemented yet") == 1 and "connect_addr" in text, text


def test_make_without_a_target_builds_the_tools():
    """`make` builds the tools the README promises, not only the library."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    r = subprocess.run(["make", "-pq", "--no-print-directory"], cwd=root, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=120)
    db = r.stdout.decode()
    assert re.search(r"^\.DEFAULT_GOAL := all$", db, re.M), "make's default goal is not 'all'"
    goal = re.search(r"^all: (.*)$", db, re.M).group(1).split()
    for tool in ("mitmdump", "pathod", "pathoc"):
        assert f"build/{tool}" in goal, goal


def test_config_yaml_in_confdir_is_read_and_the_command_line_wins(tmp_path):
    """As mitmproxy: confdir/config.yaml sets options; flags given on the command line win."""
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "config.yaml").write_text("# set by hand\nflow_detail: 0\nshowhost: true\n")
    src = os.path.join(FIXTURES, "flows", "methods.mitm")
    outs = []
    for exe in (binary("mitmdump"), MITMDUMP_811):
        r = subprocess.run([exe, "-n", "-r", src, "--set", f"confdir={conf}"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout)
    assert outs[0] == outs[1] == b""
    rc, out, err = run("-n", "-r", src, "--set", f"confdir={conf}", "--flow-detail", "1")
    assert rc == 0, err
    assert out.count("<< ") == 5
    (conf / "config.yaml").write_text("listen_port: 'x'\n")
    rc, out, err = run("-n", "-r", src, "--set", f"confdir={conf}")
    assert rc == 2
    assert "config.yaml: Config error at line 1: listen_port expects a int" in err
