#!/bin/sh
# The console's key handling with many flows (bench/console_bench.c, built
# against the console objects and build/libmitm.a, no terminal): prints one JSON line.
#   bench/console.sh [NFLOWS] [BODY_MB]     defaults 1000000 and 100
# With BEFORE=<worktree> (built with make there), the same bench is also
# built against that tree's objects and both run in one go, before first,
# each line labelled and the load (uptime) printed next to them.
set -eu
cd "$(dirname "$0")/.."
make --no-print-directory -j2 build/mitmproxy >/dev/null
mkdir -p build/consolebench
LIBS="$(pkg-config --libs libuv openssl libnghttp2 libpcre2-8 zlib libbrotlienc libbrotlidec \
    libzstd ncursesw) -lcrypt -lm -lpthread"
build() { # tree output
    # shellcheck disable=SC2086
    cc -std=gnu17 -O2 -I"$1/src" -D_GNU_SOURCE -o "$2" bench/console_bench.c \
        "$1"/build/obj/src/console/*.o "$1/build/libmitm.a" $LIBS
}
build . build/consolebench/console_bench
if [ -z "${BEFORE:-}" ]; then
    exec build/consolebench/console_bench "${1:-1000000}" "${2:-100}"
fi
build "$BEFORE" build/consolebench/console_bench_before
echo "load: $(uptime)"
printf 'before: '
build/consolebench/console_bench_before "${1:-1000000}" "${2:-100}"
echo "load: $(uptime)"
printf 'after: '
build/consolebench/console_bench "${1:-1000000}" "${2:-100}"
echo "load: $(uptime)"
