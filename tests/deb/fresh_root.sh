#!/bin/sh
# Installs build/deb/mitmproxy-c_*.deb in a fresh Debian 12 root, never on
# this machine's own /usr, and uses it as a user would: apt-get install
# the .deb (apt resolves its Depends from Debian's archive), mitmdump
# --sysinfo, mitmdump proxying curl to a pathod from the package and
# printing the flow, a -s script importing the installed mitmproxy
# package, then apt-get purge leaving none of its files.
#
# Needs root and the network (debootstrap, apt-get). Run by `make
# deb-test`, not by `make test`. DEBOOTSTRAP_TARBALL=file.tgz (made with
# debootstrap --make-tarball) saves the download of the base system; the
# root is still made fresh from it.
set -eu
cd "$(dirname "$0")/../.."

MIRROR=${MIRROR:-http://deb.debian.org/debian}
deb=$(ls build/deb/mitmproxy-c_*.deb)
root=$(mktemp -d /tmp/mitmproxy-c-fresh-root.XXXXXX)

cleanup()
{
    umount "$root/proc" 2>/dev/null || true
    rm -rf "$root"
}
trap cleanup EXIT
say() { printf '\n### %s\n' "$*"; }
in_root()
{
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        DEBIAN_FRONTEND=noninteractive "$@"
}

say "debootstrap bookworm (minbase) into $root"
if [ -n "${DEBOOTSTRAP_TARBALL:-}" ]; then
    debootstrap --variant=minbase --unpack-tarball="$(realpath "$DEBOOTSTRAP_TARBALL")" \
        bookworm "$root" "$MIRROR" >"$root.log" 2>&1 || { cat "$root.log"; exit 1; }
else
    debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$root.log" 2>&1 ||
        { cat "$root.log"; exit 1; }
fi
tail -1 "$root.log"
rm -f "$root.log"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
echo "deb $MIRROR bookworm main" >"$root/etc/apt/sources.list"
cp "$deb" "$root/tmp/"
name=$(basename "$deb")

say "the root has no mitmproxy-c and none of its libraries yet"
in_root sh -c 'ls /usr/bin/mitmdump 2>&1; dpkg-query -W libuv1 libpython3.11 2>&1 | head -2' || true

say "apt-get install ./$name curl"
# Only root exists in the new root: apt needs no _apt sandbox user there.
in_root apt-get -o APT::Sandbox::User=root update -qq
in_root sh -c "cd /tmp && apt-get -o APT::Sandbox::User=root install -y -q \
    --no-install-recommends ./$name curl" 2>&1 | grep -E '^(The following|  |Setting up (mitmproxy-c|libuv1|libpython3.11 ))' || true
in_root dpkg -s mitmproxy-c | grep -E '^(Status|Version|Depends):'

say "mitmdump --sysinfo"
in_root mitmdump --sysinfo

say "mitmdump proxies curl to pathod, printing the flow; a -s script runs"
cat >"$root/tmp/addon.py" <<'PY'
import mitmproxy

def response(flow):
    flow.response.headers["x-script"] = "from " + mitmproxy.__file__
PY
in_root sh -c '
    pathod -p 0 >/tmp/pathod.log 2>&1 &
    opid=$!
    mitmdump --listen-host 127.0.0.1 -p 0 -s /tmp/addon.py >/tmp/mitmdump.log 2>&1 &
    mpid=$!
    for i in $(seq 100); do
        grep -q "listening" /tmp/pathod.log && grep -q "Proxy server listening" /tmp/mitmdump.log && break
        sleep 0.1
    done
    oport=$(sed -n "s/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p" /tmp/pathod.log)
    pport=$(sed -n "s/.*Proxy server listening at 127.0.0.1:\([0-9]*\).*/\1/p" /tmp/mitmdump.log)
    echo "\$ curl -sS -i -x http://127.0.0.1:$pport http://127.0.0.1:$oport/p/200:b\"hello\""
    curl -sS -i -x http://127.0.0.1:$pport "http://127.0.0.1:$oport/p/200:b\"hello\""
    echo
    sleep 0.5
    kill -INT $mpid
    kill $opid
    wait
    echo "--- mitmdump printed:"
    cat /tmp/mitmdump.log
'

say "man page and completion are where man and bash-completion look"
in_root sh -c 'ls -l /usr/share/man/man1/mitmdump.1.gz /usr/share/bash-completion/completions/mitmdump'

say "apt-get purge mitmproxy-c"
in_root apt-get purge -y -q mitmproxy-c 2>&1 | grep -E '^Removing' || true
left=$(in_root sh -c 'ls -d /usr/bin/mitmdump /usr/bin/pathod /usr/lib/mitmproxy-c /usr/share/man/man1/mitmdump.1.gz 2>/dev/null' || true)
if [ -n "$left" ]; then
    echo "left behind: $left"
    exit 1
fi
echo "nothing of mitmproxy-c is left"
say "fresh root test passed"
