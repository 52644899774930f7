#!/bin/sh
# Runs each libFuzzer target for a bounded time on its corpus.
# Usage: scripts/fuzz.sh SECONDS target...
# A crash leaves its input in fuzz/corpus/<target>/crash-* and fails the run.
set -u
cd "$(dirname "$0")/.."
secs=$1
shift
failed=0
for t in "$@"; do
    corpus=fuzz/corpus/$t
    mkdir -p "$corpus" build/fuzz/work/$t
    echo "fuzz: $t for ${secs}s"
    if ! ./build/fuzz/$t -max_total_time="$secs" -print_final_stats=0 \
        -artifact_prefix="$corpus/" build/fuzz/work/$t "$corpus" >build/fuzz/$t.log 2>&1; then
        echo "fuzz: $t FAILED, see build/fuzz/$t.log"
        tail -30 build/fuzz/$t.log
        failed=$((failed + 1))
    else
        grep -E '^#[0-9]+.*(DONE|pulse)' build/fuzz/$t.log | tail -1
    fi
done
echo "fuzz: $(($# - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
