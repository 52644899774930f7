#!/bin/bash
# Instructions per flow of the store's filters and of store_select(),
# counted by callgrind: unlike seconds, they do not depend on how busy the
# machine is. Each BINARY is a build of bench/store_bench.c (bench/store.sh
# builds build/storebench/store_bench; build another against an older
# libmitm.a to compare). It loads FILE (not counted), then callgrind dumps a
# profile at the entry and exit of every store_set_filter() and after every
# store_select(); the totals of those parts are the costs of the calls, of
# every thread (the filter's workers included). Prints one line per call:
#
#   storecallgrind: BINARY CALL: I instructions (I/N per flow)
#
# With STORECALLGRIND_LOAD=1 each BINARY also runs once more with only the
# load counted (its read, parse and add jobs, on every thread) and prints
#
#   storecallgrind: BINARY load: I instructions (I/N per flow)
#
# Page faults and system calls are not instructions: the load's CPU seconds
# (bench/store.sh) show those.
# Usage: bench/storecallgrind.sh FILE BINARY...
# Environment: CALLGRIND_KEEP (a directory to keep the profiles in, for
# callgrind_annotate; they are written with uncompressed names).
set -eu -o pipefail

[ $# -ge 2 ] || { echo "usage: $0 FILE BINARY..." >&2; exit 2; }
command -v valgrind >/dev/null || { echo "storecallgrind: valgrind not found" >&2; exit 1; }
file=$1
shift
for bin in "$@"; do
    tmp=$(mktemp -d /tmp/storecallgrind.XXXXXX)
    valgrind --tool=callgrind --compress-strings=no --compress-pos=no \
        --dump-before=store_set_filter --dump-after=store_set_filter \
        --dump-after=store_select --callgrind-out-file="$tmp/cg.out" \
        "$bin" "$file" 2 0 >"$tmp/stdout.txt" 2>"$tmp/stderr.txt"
    /usr/bin/python3 - "$bin" "$tmp" <<'PY'
import glob, json, re, sys

bin_, tmp = sys.argv[1], sys.argv[2]
out = json.loads(open(tmp + "/stdout.txt").read())
flows = out["flows"]
# The calls in the order store_bench makes them (its JSON keys).
calls = []
for k in out:
    if k.startswith("filter "):
        calls.append("set_filter " + k[7:])
calls.append("select (a row's id)")
for k in out:
    if k.startswith("select "):
        calls += [k, k + ", one flow changed"]
parts = []
for f in glob.glob(tmp + "/cg.out.*"):
    text = open(f).read(4096)
    part = int(re.search(r"^part: (\d+)", text, re.M).group(1))
    trig = re.search(r"^desc: Trigger: (.*)$", text, re.M).group(1)
    total = int(re.search(r"^totals: (\d+)", open(f).read(), re.M).group(1))
    parts.append((part, trig, total))
parts.sort()
# Calls are the parts that end with the call (dump-after); the gaps
# between a filter's neighbours end at the next dump-before.
costs = [t for _, trig, t in parts if "dump-after" in trig]
for name, cost in zip(calls, costs):
    print("storecallgrind: %s %s: %d instructions (%d per flow)" % (bin_, name, cost, cost // flows))
PY
    if [ -n "${CALLGRIND_KEEP:-}" ]; then
        mkdir -p "$CALLGRIND_KEEP"
        cp "$tmp"/cg.out.* "$CALLGRIND_KEEP/"
    fi
    if [ -n "${STORECALLGRIND_LOAD:-}" ]; then
        valgrind --tool=callgrind --callgrind-out-file="$tmp/load.out" \
            --toggle-collect=read_work --toggle-collect=parse_work \
            --toggle-collect=parse_after "$bin" "$file" 2 0 "~m POST" \
            >"$tmp/load.txt" 2>"$tmp/load.err"
        /usr/bin/python3 - "$bin" "$tmp" <<'PY'
import json, re, sys

bin_, tmp = sys.argv[1], sys.argv[2]
flows = json.loads(open(tmp + "/load.txt").read())["flows"]
total = int(re.search(r"^totals: (\d+)", open(tmp + "/load.out").read(), re.M).group(1))
print("storecallgrind: %s load: %d instructions (%d per flow)" % (bin_, total, total // flows))
PY
    fi
    rm -rf "$tmp"
done
