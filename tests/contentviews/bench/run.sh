#!/bin/sh
# Builds the content-view benchmark against the optimized library (run
# `make` first) and runs it. Numbers are wall time on this machine; run it
# on an idle machine for figures worth comparing.
set -eu
cd "$(dirname "$0")/../../.."
PKGS="libuv openssl libnghttp2 libpcre2-8 zlib libbrotlienc libbrotlidec libzstd"
mkdir -p build/bench
cc -std=gnu17 -O2 -Isrc -D_GNU_SOURCE -o build/bench/cv_bench tests/contentviews/bench/cv_bench.c \
    build/libmitm.a $(pkg-config --libs $PKGS) -lcrypt -lm -lpthread
exec build/bench/cv_bench
