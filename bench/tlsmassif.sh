#!/bin/bash
# Heap per idle intercepted TLS connection, counted by valgrind's massif: a
# figure that, unlike VmRSS, does not move with malloc's arenas or the
# machine's load, and that names who holds the bytes. Each binary given runs
# under massif as an explicit proxy (-k) in front of the TLS origin of
# bench/tls_origin.sh; tlsload.py opens and closes WARM connections (the
# forged leaf, contexts, caches), massif takes a snapshot, tlsload.py opens
# MASSIF_CONNS connections as bench/run.sh's tls-idle row does and holds
# them, and a second snapshot is taken. One line per binary:
#
#   tlsmassif: BINARY: N idle conns, H B heap + X B extra per connection
#
# heap is what malloc was asked for, extra its bookkeeping and rounding.
#
# Usage: bench/tlsmassif.sh BINARY...   (default: build/mitmdump)
# Environment: MASSIF_CONNS (100), MASSIF_KEEP (a directory to keep the
# detailed snapshots in, for ms_print), MASSIF_ORIGIN_TLS13 (1: the origin
# also speaks TLS 1.3; by default nginx 1.22's defaults, up to TLS 1.2).
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
PY=/usr/bin/python3
N=${MASSIF_CONNS:-100}
WARM=10
[ $# -gt 0 ] || set -- "$ROOT/build/mitmdump"
for c in valgrind vgdb nginx openssl curl; do
    command -v "$c" >/dev/null || { echo "tlsmassif: $c not found" >&2; exit 1; }
done

. "$ROOT/bench/tls_origin.sh"
tls_bench_init tlsmassif

TLS_ORIGIN_TLS13=${MASSIF_ORIGIN_TLS13:-0} tls_origin_start || exit 1

# heap_of FILE: "heap extra" of the last snapshot massif wrote to FILE.
heap_of() {
    awk -F= '/^mem_heap_B=/ {h=$2} /^mem_heap_extra_B=/ {x=$2} END {print h, x}' "$1"
}

measure() {
    local bin=$1 pport conf pid hold h0 x0 h1 x1 name
    pport=$(port)
    conf=$TMP/conf-$RANDOM
    valgrind --tool=massif --threshold=0.01 --vgdb=yes --vgdb-error=1000000 --massif-out-file="$TMP/massif.out" \
        "$bin" --listen-host 127.0.0.1 -p "$pport" -q -k --set "confdir=$conf" \
        >"$TMP/proxy.log" 2>&1 &
    pid=$!
    PIDS="$PIDS $pid"
    for _ in $(seq 600); do
        [ -s "$conf/mitmproxy-ca-cert.pem" ] &&
            curl -s -o /dev/null --max-time 5 --cacert "$conf/mitmproxy-ca-cert.pem" \
                -x "http://127.0.0.1:$pport" "https://127.0.0.1:$TPORT/1k" && break
        sleep 0.2
    done
    local load=("$PY" "$ROOT/bench/tlsload.py" --proxy "127.0.0.1:$pport"
        --target "127.0.0.1:$TPORT" --cafile "$conf/mitmproxy-ca-cert.pem")
    "${load[@]}" idle -n "$WARM" -c 10 -d 120 --ready "$TMP/warm" --hold 0 >/dev/null 2>&1
    sleep 1
    vgdb --pid="$pid" detailed_snapshot "$TMP/before" >/dev/null 2>&1
    rm -f "$TMP/ready"
    "${load[@]}" idle -n "$N" -c 20 -d 120 --ready "$TMP/ready" --hold 300 >/dev/null 2>&1 &
    hold=$!
    PIDS="$PIDS $hold"
    for _ in $(seq 600); do
        [ -s "$TMP/ready" ] && break
        sleep 0.5
    done
    sleep 1
    vgdb --pid="$pid" detailed_snapshot "$TMP/after" >/dev/null 2>&1
    kill "$hold" 2>/dev/null
    wait "$hold" 2>/dev/null
    kill -INT "$pid" 2>/dev/null
    sleep 1
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ ! -s "$TMP/before" ] || [ ! -s "$TMP/after" ] || [ ! -s "$TMP/ready" ]; then
        echo "tlsmassif: $bin: failed (see $TMP/proxy.log)"
        return
    fi
    local opened
    opened=$(sed -n 's/.*"opened": \([0-9]*\).*/\1/p' "$TMP/ready")
    [ "$opened" = "$N" ] || echo "tlsmassif: $bin: only $opened of $N connections opened"
    read -r h0 x0 < <(heap_of "$TMP/before")
    read -r h1 x1 < <(heap_of "$TMP/after")
    echo "tlsmassif: $bin: $N idle conns, $(((h1 - h0) / N)) B heap + $(((x1 - x0) / N)) B extra per connection"
    if [ -n "${MASSIF_KEEP:-}" ]; then
        mkdir -p "$MASSIF_KEEP"
        name=$(basename "$bin")
        cp "$TMP/before" "$MASSIF_KEEP/massif.$name.before"
        cp "$TMP/after" "$MASSIF_KEEP/massif.$name.after"
    fi
}

for bin in "$@"; do
    measure "$bin"
done
