#!/bin/sh
# The console's key handling with many flows (bench/console_bench.c, built
# against the console objects and build/libmitm.a, no terminal): prints one JSON line.
#   bench/console.sh [NFLOWS] [BODY_MB]     defaults 1000000 and 100
set -eu
cd "$(dirname "$0")/.."
make --no-print-directory -j2 build/mitmproxy >/dev/null
mkdir -p build/consolebench
# shellcheck disable=SC2046
cc -std=gnu17 -O2 -Isrc -D_GNU_SOURCE -o build/consolebench/console_bench bench/console_bench.c \
    build/obj/src/console/*.o build/libmitm.a $(pkg-config --libs libuv openssl libnghttp2 libpcre2-8 zlib libbrotlienc \
    libbrotlidec libzstd ncursesw) -lcrypt -lm -lpthread
exec build/consolebench/console_bench "${1:-1000000}" "${2:-100}"
