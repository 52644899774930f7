#!/bin/bash
# The flow store's bench (bench/README.md, "Flow store"): writes a flow file
# of BENCH_STORE_FLOWS flows (the fixture flows repeated with fresh ids),
# loads it into our store (bench/store_bench.c against build/libmitm.a) and
# a smaller one into mitmproxy 8.1.1's View (bench/view881.py), and prints
# one JSON line for each: load time to the first flows and to all, RSS,
# memory per flow, the time of a few view filters, ~b included, and (ours)
# of store_select()'s lists, first made and then kept after a change.
#
# Environment:
#   BENCH_STORE_FLOWS      flows for our store (default 1000000)
#   BENCH_STORE_FLOWS_881  flows for 8.1.1's View (default 50000; it reads about
#                          2,000 flows/s, so 1,000,000 would take 8 minutes or more)
#   BENCH_STORE_BODY_KB    replace each response body by this many KiB (default: the
#                          fixtures' own bodies)
#   BENCH_STORE_THREADS    the store's worker threads (default 2)
#   BENCH_STORE_BUDGET     the store's memory budget for bodies, bytes (default 256 MiB)
#   BENCH_STORE_TMP        where the flow files go (default /tmp)
#   BENCH_STORE_BEFORE     another store_bench binary (say, built the same way from the
#                          branch before a change) run in turns with ours on the same file
#   BENCH_STORE_RUNS       runs of each (default 1); with BENCH_STORE_BEFORE they alternate
#   BENCH_STORE_SKIP_881   set: no 8.1.1 run
set -eu -o pipefail

cd "$(dirname "$0")/.." || exit 1
PY=/usr/bin/python3
N=${BENCH_STORE_FLOWS:-1000000}
N881=${BENCH_STORE_FLOWS_881:-50000}
KB=${BENCH_STORE_BODY_KB:-0}
THREADS=${BENCH_STORE_THREADS:-2}
BUDGET=${BENCH_STORE_BUDGET:-0}
TMPD=${BENCH_STORE_TMP:-/tmp}
BEFORE=${BENCH_STORE_BEFORE:-}
RUNS=${BENCH_STORE_RUNS:-1}
KBARG=()
[ "$KB" != 0 ] && KBARG=(--body-kb "$KB")

make --no-print-directory -j2 build/libmitm.a >/dev/null
mkdir -p build/storebench
# shellcheck disable=SC2046
cc -std=gnu17 -O2 -Isrc -D_GNU_SOURCE -o build/storebench/store_bench bench/store_bench.c \
    build/libmitm.a $(pkg-config --libs libuv openssl libnghttp2 libpcre2-8 zlib libbrotlienc \
    libbrotlidec libzstd) -lcrypt -lm -lpthread

file=$TMPD/store-bench-$N-$KB.mitm
file881=$TMPD/store-bench-$N881-$KB.mitm
[ -s "$file" ] || $PY bench/genflows.py "$file" "$N" "${KBARG[@]}"
[ -s "$file881" ] || $PY bench/genflows.py "$file881" "$N881" "${KBARG[@]}"
echo "file: $file ($(stat -c %s "$file") bytes, $N flows)"

# Cold page cache is not what we measure: both read a file just written.
# CPU seconds (every thread) are the figures to compare on a shared machine:
# wall time stretches with the load average, printed before each run.
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
for ((run = 1; run <= RUNS; run++)); do
    if [ -n "$BEFORE" ]; then
        echo -n "before: "
        "$BEFORE" "$file" "$THREADS" "$BUDGET"
        echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    fi
    echo -n "ours:  "
    build/storebench/store_bench "$file" "$THREADS" "$BUDGET"
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done
[ -n "${BENCH_STORE_SKIP_881:-}" ] && exit 0
echo -n "8.1.1: "
$PY bench/view881.py "$file881"
