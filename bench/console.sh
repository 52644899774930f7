#!/bin/sh
# The console's key handling with many flows (bench/console_bench.c, built
# against the console objects and build/libmitm.a, no terminal): prints one JSON line.
#   bench/console.sh [NFLOWS] [BODY_MB]     defaults 1000000 and 100
#   bench/console.sh msgs [MB] [NMSG]       the TCP Stream and WebSocket tabs instead
#                                           (bench/console_msgs_bench.c), defaults 100 and 100000
# With BEFORE=<worktree> (built with make there), the same bench is also
# built against that tree's objects and both run in one go, before first,
# each line labelled and the load (uptime) printed next to them.
set -eu
cd "$(dirname "$0")/.."
make --no-print-directory -j2 build/mitmproxy >/dev/null
mkdir -p build/consolebench
LIBS="$(pkg-config --libs libuv openssl libnghttp2 libpcre2-8 zlib libbrotlienc libbrotlidec \
    libzstd ncursesw) -lcrypt -lm -lpthread"
BENCH=console_bench
A1=${1:-1000000}
A2=${2:-100}
if [ "${1:-}" = msgs ]; then
    BENCH=console_msgs_bench
    A1=${2:-100}
    A2=${3:-100000}
fi
build() { # tree output
    # shellcheck disable=SC2086
    cc -std=gnu17 -O2 -I"$1/src" -D_GNU_SOURCE -o "$2" "bench/$BENCH.c" \
        "$1"/build/obj/src/console/*.o "$1/build/libmitm.a" $LIBS
}
build . "build/consolebench/$BENCH"
if [ -z "${BEFORE:-}" ]; then
    exec "build/consolebench/$BENCH" "$A1" "$A2"
fi
build "$BEFORE" "build/consolebench/${BENCH}_before"
echo "load: $(uptime)"
printf 'before: '
"build/consolebench/${BENCH}_before" "$A1" "$A2"
echo "load: $(uptime)"
printf 'after: '
"build/consolebench/$BENCH" "$A1" "$A2"
echo "load: $(uptime)"
