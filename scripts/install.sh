#!/bin/sh
# `make install` and `make uninstall`. Install puts the tools, the script
# plugin and our Python package, the man pages and the bash completions
# under $DESTDIR$PREFIX, and records every file it wrote and every directory
# it had to create in a manifest; uninstall removes exactly those, files
# first, then the directories that are empty again.
#
# Usage: scripts/install.sh install|uninstall
# Environment: PREFIX, DESTDIR, TOOLS (the tools to install), FROM (where the
# built tools, plugin, man/ and completion/ are: build or build/asan),
# PYTHON (compiles the package, so running scripts writes nothing there),
# PYEXT (mitmproxy._c built for PYTHON: `make pyext`).
#
# The layout below is what src/master/scripts.c looks for: the plugin and
# the package in lib/mitmproxy-c/ beside the tools' bin/. For users' own
# addon tests under a plain python3, the package's directory also holds
# mitmproxy._c as an extension module, and a mitmproxy-c.pth in the
# system Python's dist-packages of PREFIX puts that directory on sys.path.
# A .pth only appends: another installed mitmproxy (Debian's) still comes
# first, so its own tools keep working; install says when that is so.
set -eu
cd "$(dirname "$0")/.."
umask 022

: "${PREFIX:=/usr/local}" "${DESTDIR:=}" "${FROM:=build}" "${PYTHON:=/usr/bin/python3}"
: "${TOOLS:?the tools to install}"
bindir=$PREFIX/bin
libdir=$PREFIX/lib/mitmproxy-c
mandir=$PREFIX/share/man/man1
compdir=$PREFIX/share/bash-completion/completions
manifest=$libdir/install-manifest

# Where PYTHON reads .pth files under PREFIX, as Debian lays them out.
sitedir()
{
    if [ "$PREFIX" = /usr ]; then
        echo /usr/lib/python3/dist-packages
    else
        echo "$PREFIX/lib/python$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')/dist-packages"
    fi
}

list=""

# Creates the directory $1 (under DESTDIR) and its missing parents,
# recording each one created, parents first.
mkdirs()
{
    [ -d "$DESTDIR$1" ] && return 0
    mkdirs "$(dirname "$1")"
    mkdir "$DESTDIR$1"
    echo "d $1" >>"$list"
}

# put MODE SRC DEST: installs one file and records it.
put()
{
    mkdirs "$(dirname "$3")"
    install -m "$1" "$2" "$DESTDIR$3"
    echo "f $3" >>"$list"
}

uninstall()
{
    if [ ! -f "$DESTDIR$manifest" ]; then
        echo "uninstall: nothing to do: no $DESTDIR$manifest"
        return 0
    fi
    # Read it whole first: it lists itself.
    entries=$(cat "$DESTDIR$manifest")
    echo "$entries" | sed -n 's/^f //p' | while IFS= read -r f; do
        rm -f "$DESTDIR$f"
    done
    echo "$entries" | sed -n 's/^d //p' | sed '1!G;h;$!d' | while IFS= read -r d; do
        rmdir "$DESTDIR$d" 2>/dev/null || echo "uninstall: kept $DESTDIR$d: not empty"
    done
    echo "uninstall: removed what $DESTDIR$manifest listed"
}

install_all()
{
    # A second install replaces the first, so the manifest stays exact.
    [ -f "$DESTDIR$manifest" ] && uninstall >/dev/null
    list=$(mktemp)
    trap 'rm -f "$list"' EXIT
    for t in $TOOLS; do
        put 755 "$FROM/$t" "$bindir/$t"
        put 644 "$FROM/man/$t.1" "$mandir/$t.1"
        put 644 "$FROM/completion/$t" "$compdir/$t"
    done
    put 644 "$FROM/mitmproxy-script.so" "$libdir/mitmproxy-script.so"
    # The package itself, never the build tree's symlink to it.
    (cd python && find . -name __pycache__ -prune -o -type f -name '*.py' -print) | sort |
        while IFS= read -r f; do
            put 644 "python/${f#./}" "$libdir/python/${f#./}"
        done
    # mitmproxy._c for a plain python3, and the .pth that finds the package.
    if [ -x "$PYTHON" ]; then
        : "${PYEXT:?mitmproxy._c for $PYTHON (make pyext)}"
        put 644 "$PYEXT" "$libdir/python/$(basename "$PYEXT")"
        pth=$(mktemp)
        echo "$libdir/python" >"$pth"
        put 644 "$pth" "$(sitedir)/mitmproxy-c.pth"
        rm -f "$pth"
        other=$("$PYTHON" -c 'import mitmproxy; print(mitmproxy.__file__)' 2>/dev/null || true)
        case "$other" in
        "" | "$libdir"/*) ;;
        *) echo "install: note: $PYTHON imports another mitmproxy first ($other)" >&2 ;;
        esac
    fi
    # Byte-code now, recorded with the rest; tracebacks name the installed path.
    if [ -x "$PYTHON" ]; then
        "$PYTHON" -m compileall -q -d "$libdir/python" "$DESTDIR$libdir/python" >/dev/null
        (cd "$DESTDIR$libdir/python" && find . -name __pycache__ -type d) | sort |
            while IFS= read -r d; do echo "d $libdir/python/${d#./}"; done >>"$list"
        (cd "$DESTDIR$libdir/python" && find . -name '*.pyc' -type f) | sort |
            while IFS= read -r f; do echo "f $libdir/python/${f#./}"; done >>"$list"
    else
        echo "install: $PYTHON not found: the package is not byte-compiled" >&2
    fi
    echo "f $manifest" >>"$list"
    install -m 644 "$list" "$DESTDIR$manifest"
    echo "install: $(grep -c '^f ' "$list") files under $DESTDIR$PREFIX, listed in $DESTDIR$manifest"
}

case "${1:-}" in
install) install_all ;;
uninstall) uninstall ;;
*) echo "usage: $0 install|uninstall" >&2; exit 2 ;;
esac
