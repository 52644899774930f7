"""
`make install` as a user meets it: the tools installed into a DESTDIR run
from there (cwd /) against curl and nginx, load a -s script through the
installed plugin and Python package (not the source tree's), print
--sysinfo, come with mdoc man pages that `mandoc -Tlint` passes and that
list every option of the registry and every flag, and bash completions;
`make uninstall` then leaves nothing behind.
"""
import os
import re
import subprocess
import sys
import textwrap

import pytest

from conftest import BIN, ROOT, Proc, curl

PREFIX = "/usr/local"
# The Makefile's one list of tools: a tool added there is checked here too.
TOOLS = re.search(r"^TOOLS\s*:?=\s*(.*)$", open(os.path.join(ROOT, "Makefile")).read(),
                  re.M).group(1).split()
# The sanitizer build by default (MP_BIN), so the installed tools run under ASan too.
FROM = os.path.relpath(BIN, ROOT)


def make(target, dest):
    r = subprocess.run(["make", "--no-print-directory", "-C", ROOT, target, f"DESTDIR={dest}",
                        f"PREFIX={PREFIX}", f"FROM={FROM}"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600,
                       env=dict(os.environ, MAKEFLAGS=""))
    out = r.stdout.decode("utf-8", "replace")
    assert r.returncode == 0, f"make {target} failed:\n{out}"
    return out


def tree(d):
    """Every path under d, relative, directories with a trailing slash."""
    found = set()
    for top, dirs, files in os.walk(d):
        rel = os.path.relpath(top, d)
        for n in dirs:
            found.add(os.path.normpath(os.path.join(rel, n)) + "/")
        for n in files:
            found.add(os.path.normpath(os.path.join(rel, n)))
    return found


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    dest = tmp_path_factory.mktemp("destdir")
    make("install", dest)
    yield dest
    make("uninstall", dest)


def prefix(dest, *parts):
    return os.path.join(str(dest), PREFIX.lstrip("/"), *parts)


def run_tool(dest, tool, *args):
    r = subprocess.run([prefix(dest, "bin", tool), *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, cwd="/", timeout=60, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def test_layout_has_no_link_back_to_the_tree(installed):
    files = tree(installed)
    lib = PREFIX.lstrip("/") + "/lib/mitmproxy-c/"
    for t in TOOLS:
        assert PREFIX.lstrip("/") + "/bin/" + t in files
        assert PREFIX.lstrip("/") + "/share/man/man1/" + t + ".1" in files
        assert PREFIX.lstrip("/") + "/share/bash-completion/completions/" + t in files
    assert lib + "mitmproxy-script.so" in files
    assert lib + "python/mitmproxy/__init__.py" in files
    assert lib + "install-manifest" in files
    for top, dirs, names in os.walk(installed):
        for n in dirs + names:
            assert not os.path.islink(os.path.join(top, n)), os.path.join(top, n)


def test_sysinfo_of_the_installed_tools(installed):
    rc, out, err = run_tool(installed, "mitmdump", "--sysinfo")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Mitmproxy: ")
    assert "Flow format: 17" in lines
    # The Python scripts would run on, with the installed package, not the tree's.
    py = [l for l in lines if l.startswith("Python:")]
    assert py == [f"Python:    {'.'.join(map(str, __import__('sys').version_info[:3]))} "
                  f"(scripts: {prefix(installed, 'lib', 'mitmproxy-c', 'python')})"], out
    assert any(re.match(r"OpenSSL:   OpenSSL \d", l) for l in lines), out
    assert any(re.match(r"Platform:  Linux-.*-with-glibc\d", l) for l in lines), out
    assert run_tool(installed, "mitmdump", "--version")[1] == out
    for tool in ("pathod", "pathoc"):
        rc, out, err = run_tool(installed, tool, "--sysinfo")
        assert rc == 0, err
        assert out.startswith("Mitmproxy: ") and "\nOpenSSL:   " in out
        assert "Python:" not in out


def test_installed_mitmdump_proxies_nginx_and_runs_a_script(installed, nginx_origin, tmp_path):
    port, _ = nginx_origin
    report = tmp_path / "imported-from"
    script = tmp_path / "addon.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        import mitmproxy

        with open({str(report)!r}, "w") as f:
            f.write(mitmproxy.__file__ + "\\n" + "\\n".join(sys.path))

        def response(flow):
            flow.response.headers["x-installed-script"] = "yes"
        """))
    before = tree(installed)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = Proc([prefix(installed, "bin", "mitmdump"), "--listen-host", "127.0.0.1", "-p", "0",
                 "--set", f"confdir={tmp_path / 'conf'}", "-s", str(script)], env=env)
    try:
        m = proc.wait_for(r"Proxy server listening at 127\.0\.0\.1:(\d+)", timeout=30)
        pport = int(m.group(1))
        rc, body, err = curl("-i", "-x", f"http://127.0.0.1:{pport}",
                             f"http://127.0.0.1:{port}/index.html")
        assert rc == 0, err
        assert body.endswith(b"<h1>nginx origin</h1>\n")
        assert b"x-installed-script: yes" in body
        proc.wait_for(rf"GET http://127\.0\.0\.1:{port}/index\.html")
        proc.wait_for(r"<< 200 OK")
    finally:
        rc = proc.stop()
    out = proc.output()
    assert "ERROR: AddressSanitizer" not in out and "runtime error:" not in out, out
    assert rc == 0, out
    # Our mitmproxy package came from the installation, and nothing on
    # sys.path leads into the source tree.
    imported, *path = report.read_text().splitlines()
    lib = os.path.realpath(prefix(installed, "lib", "mitmproxy-c", "python"))
    assert os.path.realpath(imported) == os.path.join(lib, "mitmproxy", "__init__.py")
    root = os.path.realpath(ROOT)
    assert not [p for p in path if p and os.path.realpath(p).startswith(root + "/")], path
    # Running wrote nothing into the installation (the byte-code came with
    # it), so uninstall can leave nothing.
    assert tree(installed) == before


def test_plain_python_imports_the_installed_package(installed):
    # A user's own addon tests run under a plain python3 after install: the
    # package's directory holds mitmproxy._c built for it, and the
    # mitmproxy-c.pth in a dist-packages directory python3 reads puts that
    # directory on sys.path.
    import sysconfig

    lib = prefix(installed, "lib", "mitmproxy-c", "python")
    ext = "_mitmproxy_c" + sysconfig.get_config_var("EXT_SUFFIX")
    assert os.path.isfile(os.path.join(lib, ext))
    sitedir = f"{PREFIX}/lib/python{sys.version_info[0]}.{sys.version_info[1]}/dist-packages"
    pth = os.path.join(str(installed), sitedir.lstrip("/"), "mitmproxy-c.pth")
    assert open(pth).read().split() == [f"{PREFIX}/lib/mitmproxy-c/python"]
    r = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.path)"],
                       stdout=subprocess.PIPE, check=True, env={"PATH": "/usr/bin:/bin"})
    assert repr(sitedir) in r.stdout.decode(), "python3 does not read .pth files there"
    # What the .pth names, under DESTDIR; -S -I: nothing else, no source tree.
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {installed.as_posix() + open(pth).read().strip()!r})
        import mitmproxy
        from mitmproxy.test import taddons, tflow
        print(mitmproxy.__file__)
        f = tflow.tflow(resp=True)
        with taddons.context():
            print(f.request.url, f.response.status_code, len(tflow.ttcpflow().messages))
        """)
    r = subprocess.run(["/usr/bin/python3", "-I", "-S", "-c", code], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, cwd="/", timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr.decode()
    where, result = r.stdout.decode().splitlines()
    assert os.path.realpath(where) == os.path.realpath(os.path.join(lib, "mitmproxy",
                                                                    "__init__.py"))
    assert result == "http://address:22/path 200 2"


def lint_messages(page, installed_pages):
    r = subprocess.run(["mandoc", "-Tlint", page], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    bad = []
    for line in r.stdout.decode().splitlines():
        # Cross-references are looked up in the system's man database, which
        # does not know pages not installed yet: ours are checked to exist.
        m = re.search(r"referenced manual not found: Xr (\S+) (\d)", line)
        if m and f"{m.group(1)}.{m.group(2)}" in installed_pages:
            continue
        if "mandoc.db" in line:
            continue
        bad.append(line)
    return bad


def render(page):
    r = subprocess.run(["mandoc", "-Tascii", page], stdout=subprocess.PIPE, check=True)
    text = re.sub(r".\x08", "", r.stdout.decode())
    return " ".join(text.split())


def test_man_pages_lint_clean_and_list_every_option_and_flag(installed):
    mandir = prefix(installed, "share", "man", "man1")
    pages = set(os.listdir(mandir))
    assert pages == {t + ".1" for t in TOOLS}
    for t in TOOLS:
        page = os.path.join(mandir, t + ".1")
        assert open(page).readline().startswith(".Dd "), "mdoc, not man(7)"
        assert lint_messages(page, pages) == [], t
        text = render(page)
        rc, helptext, _ = run_tool(installed, t, "--help")
        flags = set()
        for line in helptext.splitlines():
            if re.match(r"^ +-", line):
                flags.update(re.findall(r"(?:^|[ ,])(--?[A-Za-z][A-Za-z0-9-]*)", line))
        assert flags, t
        missing = [f for f in sorted(flags) if not re.search(rf"(^|[\s,(\[]){re.escape(f)}\b", text)]
        assert missing == [], f"{t}.1 lacks flags of --help: {missing}"
        if "--set" in helptext:
            rc, opts, _ = run_tool(installed, t, "--options")
            names = re.findall(r"^([a-z0-9_]+):", opts, re.M)
            assert len(names) > 80
            missing = [n for n in names if f"{n}=" not in text]
            assert missing == [], f"{t}.1 lacks options of the registry: {missing}"
    # mitmproxy's page has the console's options, which mitmdump has not.
    assert "console_layout=" in render(os.path.join(mandir, "mitmproxy.1"))
    assert "console_layout=" not in render(os.path.join(mandir, "mitmdump.1"))


def complete(installed, tool, line):
    comp = prefix(installed, "share", "bash-completion", "completions", tool)
    script = f"""
        source {comp!r}
        COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}
        _mitmproxy_c {tool}
        printf '%s\\n' "${{COMPREPLY[@]}}"
        """
    r = subprocess.run(["bash", "--norc", "-c", script], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=True)
    assert r.stderr == b"", r.stderr
    return [l for l in r.stdout.decode().splitlines() if l]


def test_bash_completion(installed):
    assert complete(installed, "mitmdump", "mitmdump --set anti") == ["anticache=", "anticomp="]
    # After "=" bash completes only what follows it (COMP_WORDBREAKS).
    assert complete(installed, "mitmdump", "mitmdump --set termlog_verbosity=") == \
        ["error", "warn", "info", "alert", "debug"]
    assert complete(installed, "mitmdump", "mitmdump --set http2=") == ["true", "false", "toggle"]
    assert complete(installed, "mitmdump", "mitmdump --mode re") == \
        ["regular", "reverse:http://", "reverse:https://"]
    assert complete(installed, "mitmdump", "mitmdump -m upstream:s") == ["socks5://"]
    assert complete(installed, "mitmdump", "mitmdump --no-http") == ["--no-http2"]
    assert "--sysinfo" in complete(installed, "mitmdump", "mitmdump --sys")
    assert complete(installed, "mitmproxy", "mitmproxy --set console_lay") == \
        ["console_layout=", "console_layout_headers="]
    assert complete(installed, "mitmproxy", "mitmproxy --console-layout ") == \
        ["horizontal", "single", "vertical"]
    assert complete(installed, "pathod", "pathod --no") == ["--noapi", "--nocraft", "--nohang"]
    assert complete(installed, "pathoc", "pathoc --vers") == ["--version"]


def test_uninstall_removes_exactly_what_install_wrote(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    # Directories and files that were there before are not ours to remove.
    own = dest / PREFIX.lstrip("/") / "bin"
    own.mkdir(parents=True)
    (own / "someone-elses-tool").write_text("#!/bin/sh\n")
    before = tree(dest)
    make("install", dest)
    # A second install replaces the first; the manifest still lists all.
    make("install", dest)
    assert len(tree(dest)) > len(before) + 20
    out = make("uninstall", dest)
    assert "kept" not in out, out
    assert tree(dest) == before

    empty = tmp_path / "empty"
    empty.mkdir()
    make("install", empty)
    make("uninstall", empty)
    assert os.listdir(empty) == []
