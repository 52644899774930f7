#!/bin/sh
# Runs the unit tests and the end-to-end tests against the sanitizer build and
# prints one combined summary line. Exit status is non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

unit_out=$(mktemp)
./build/asan/tests/unit | tee "$unit_out"
unit_rc=$?
up=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$unit_out")
uf=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$unit_out")
rm -f "$unit_out"
[ -z "$up" ] && { up=0; uf=1; }

e2e_out=$(mktemp)
MP_BIN=build/asan /usr/bin/python3 -m pytest -q -p no:cacheprovider --timeout=180 tests/e2e 2>&1 | tee "$e2e_out"
e2e_rc=$?
ep=$(grep -Eo '[0-9]+ passed' "$e2e_out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
ef=$(grep -Eo "[0-9]+ (failed|error|errors)" "$e2e_out" | grep -Eo "[0-9]+" | awk "{s+=\$1} END {print s+0}")
rm -f "$e2e_out"
[ -z "$ep" ] && ep=0
[ -z "$ef" ] && ef=0
if [ "$e2e_rc" -ne 0 ] && [ "$ef" -eq 0 ]; then ef=1; fi

echo "total: $((up + ep)) passed, $((uf + ef)) failed"
[ "$unit_rc" -eq 0 ] && [ "$e2e_rc" -eq 0 ]
