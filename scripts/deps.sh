#!/bin/sh
# Installs the Debian packages a task needs, and only those that are missing.
# Usage: scripts/deps.sh build|test|fuzz|bench|deb
set -eu

BUILD="build-essential pkg-config libuv1-dev libssl-dev libnghttp2-dev libpcre2-dev libcrypt-dev
       zlib1g-dev libbrotli-dev libzstd-dev libncurses-dev libpython3.11-dev nodejs publicsuffix"
TEST="$BUILD curl nginx-light openssl python3 python3-pytest python3-pytest-timeout python3-flask mitmproxy iptables iproute2
       nghttp2-client python3-h2 chromium nodejs tmux mandoc bind9-dnsutils"
FUZZ="$BUILD clang libclang-rt-14-dev"
DEB="$BUILD dpkg-dev debootstrap mandoc"
BENCH="$BUILD wrk nginx-light mitmproxy curl util-linux python3 procps openssl nghttp2-client python3-h2
       valgrind linux-perf"

case "${1:-build}" in
build) want=$BUILD ;;
test) want=$TEST ;;
fuzz) want=$FUZZ ;;
bench) want=$BENCH ;;
deb) want=$DEB ;;
*) echo "usage: $0 build|test|fuzz|bench|deb" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
# npm comes with some builds of nodejs; Debian's is a package of its own.
# The build needs it for mitmweb's app (src/web/app/), the tests for playwright.
if { [ "${1:-build}" = build ] || [ "${1:-build}" = test ]; } && ! command -v npm >/dev/null 2>&1; then
    missing="$missing npm"
fi

if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# The HAR test drives Debian's chromium with playwright-core, from the
# lock file (never a downloaded browser).
if [ "${1:-build}" = test ]; then
    har="$(dirname "$0")/../tests/e2e/har"
    if [ ! -f "$har/node_modules/playwright-core/package.json" ] ||
        [ "$har/package-lock.json" -nt "$har/node_modules/.package-lock.json" ]; then
        echo "deps: npm ci in tests/e2e/har"
        (cd "$har" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
    fi
    # The same for mitmweb's browser tests (tests/e2e/test_web_ui.py).
    webui="$(dirname "$0")/../tests/e2e/webui"
    if [ ! -f "$webui/node_modules/playwright-core/package.json" ] ||
        [ "$webui/package-lock.json" -nt "$webui/node_modules/.package-lock.json" ]; then
        echo "deps: npm ci in tests/e2e/webui"
        (cd "$webui" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
    fi
fi
