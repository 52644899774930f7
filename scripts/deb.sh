#!/bin/sh
# `make deb`: build/deb/mitmproxy-c_VERSION_ARCH.deb with dpkg-deb, from a
# `make install` staged with PREFIX=/usr. Depends is what dpkg-shlibdeps
# finds the tools and the script plugin link (libpython3.11, libssl3,
# libuv1, ...), never a hand-written list.
# Environment: FROM (build), TOOLS, PYTHON, PYEXT, as for scripts/install.sh.
set -eu
cd "$(dirname "$0")/.."

version=$(sed -n 's/^#define MP_VERSION "\(.*\)"$/\1/p' src/util/version.h)
arch=$(dpkg --print-architecture)
out=build/deb
stage=$out/root
deb=$out/mitmproxy-c_${version}_${arch}.deb
rm -rf "$stage" "$out"/mitmproxy-c_*.deb
mkdir -p "$stage"

PREFIX=/usr DESTDIR=$PWD/$stage scripts/install.sh install >/dev/null
# dpkg keeps its own list of the package's files.
rm "$stage/usr/lib/mitmproxy-c/install-manifest"
for f in "$stage"/usr/bin/* "$stage"/usr/lib/mitmproxy-c/*.so "$stage"/usr/lib/mitmproxy-c/python/*.so; do
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$f"
done
gzip -9n "$stage"/usr/share/man/man1/*.1

# dpkg-shlibdeps reads debian/control; a minimal one in a scratch dir.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/debian"
printf 'Source: mitmproxy-c\n\nPackage: mitmproxy-c\nArchitecture: any\n' >"$scratch/debian/control"
bins=""
for f in "$stage"/usr/bin/* "$stage"/usr/lib/mitmproxy-c/*.so "$stage"/usr/lib/mitmproxy-c/python/*.so; do
    bins="$bins -e$PWD/$f"
done
# The plugin's Python symbols of ours resolve in the tool that loads it:
# the warnings about them say nothing about packages.
depends=$(cd "$scratch" && dpkg-shlibdeps -O --warnings=0 $bins 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$stage/DEBIAN"
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: mitmproxy-c
Version: $version
Architecture: $arch
Maintainer: mitmproxy-c developers <mitmproxy-c@localhost>
Installed-Size: $(du -sk "$stage/usr" | cut -f1)
Depends: $depends
Recommends: publicsuffix
Conflicts: mitmproxy
Section: net
Priority: optional
Description: interactive intercepting HTTP and HTTPS proxy, written in C
 mitmdump, mitmproxy, pathod and pathoc from mitmproxy-c: mitmproxy 8.1.1's
 tools with the same flags, options, filter expressions, flow files, Python
 addon scripts and CA directory, written in C.
 .
 The package takes the place of Debian's mitmproxy, whose commands it
 provides under the same names.
CONTROL
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "deb: $deb"
echo "Depends: $depends"
