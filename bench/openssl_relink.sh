#!/bin/bash
# Our mitmdump on another OpenSSL, to measure what a newer one would give
# before the project moves to it. Builds an OpenSSL release from its source
# tarball (by default Debian 13's 3.5.7, fetched from Debian's archive and
# checked against the sha256 its Sources index gives) into
# build/bench/openssl-VERSION, once, and links build/mitmdump's objects
# against it (an rpath, so only this binary uses it) as
# build/bench/mitmdump-openssl-VERSION, whose path is printed last. Any TLS
# bench takes it beside build/mitmdump:
#
#   bench/tlsperf.sh build/mitmdump "$(bench/openssl_relink.sh | tail -1)"
#
# The binary is the same code: it is compiled against Debian 12's 3.0
# headers, and 3.x keeps the ABI. A newer OpenSSL's defaults come with it:
# 3.5 offers a post-quantum key share (X25519MLKEM768) upstream besides
# X25519. To measure with 3.0's groups, OPENSSL_RELINK_GROUPS (say
# "X25519:P-256:X448:P-384:P-521:ffdhe2048:ffdhe3072") writes them into the
# build's own openssl.cnf, which only the relinked binary reads.
#
# Environment: OPENSSL_RELINK_VERSION (3.5.7), OPENSSL_RELINK_SHA256 (the
# tarball's; given for the default), OPENSSL_RELINK_URL (Debian's pool),
# OPENSSL_RELINK_GROUPS (unset: the release's default groups).
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
VER=${OPENSSL_RELINK_VERSION:-3.5.7}
SUM=${OPENSSL_RELINK_SHA256:-}
[ -z "$SUM" ] && [ "$VER" = 3.5.7 ] &&
    SUM=a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8
URL=${OPENSSL_RELINK_URL:-http://deb.debian.org/debian/pool/main/o/openssl/openssl_$VER.orig.tar.gz}
PREFIX=$ROOT/build/bench/openssl-$VER
OUT=$ROOT/build/bench/mitmdump-openssl-$VER

die() {
    echo "openssl_relink: $*" >&2
    exit 1
}

[ -x build/mitmdump ] || die "build/mitmdump is missing: make build/mitmdump"
[ -n "$SUM" ] || die "OPENSSL_RELINK_SHA256 is needed for OpenSSL $VER"

if [ ! -e "$PREFIX/lib/libssl.so.3" ]; then
    src=$(mktemp -d /tmp/openssl_relink.XXXXXX) || exit 1
    trap 'rm -rf "$src"' EXIT
    echo "openssl_relink: fetching $URL" >&2
    curl -fsS -o "$src/openssl.tar.gz" "$URL" || die "cannot fetch $URL"
    echo "$SUM  $src/openssl.tar.gz" | sha256sum -c --quiet - ||
        die "the tarball's sha256 is not $SUM"
    tar -xzf "$src/openssl.tar.gz" -C "$src" || die "cannot unpack the tarball"
    echo "openssl_relink: building OpenSSL $VER into $PREFIX (a few minutes)" >&2
    (cd "$src/openssl-$VER" &&
        ./Configure --prefix="$PREFIX" --libdir=lib shared no-tests no-docs >"$src/log" 2>&1 &&
        make -j"$(nproc)" build_libs >>"$src/log" 2>&1 &&
        make install_dev >>"$src/log" 2>&1) ||
        { tail -20 "$src/log" >&2; die "the build failed"; }
fi

mkdir -p "$PREFIX/ssl"
if [ -n "${OPENSSL_RELINK_GROUPS:-}" ]; then
    cat >"$PREFIX/ssl/openssl.cnf" <<CNF
openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Groups = $OPENSSL_RELINK_GROUPS
CNF
else
    rm -f "$PREFIX/ssl/openssl.cnf"
fi

# The link line of build/mitmdump (Makefile), with the rpath added.
libs=$(make -s --no-print-directory print-pkg-libs) || die "make print-pkg-libs failed"
# shellcheck disable=SC2086 # libs is a list of flags
cc -rdynamic -o "$OUT" build/obj/src/tools/mitmdump.o -Wl,--whole-archive \
    build/libmitm.a -Wl,--no-whole-archive $libs -lm -lpthread -ldl \
    -L"$PREFIX/lib" -Wl,-rpath,"$PREFIX/lib" -Wl,--disable-new-dtags ||
    die "linking failed"
version=$("$OUT" --version) || die "$OUT does not run"
[[ $version == *"OpenSSL $VER "* ]] || die "$OUT does not run on OpenSSL $VER"
echo "$OUT"
