#!/bin/bash
# Builds bench/tlshandshake.c and runs its variants interleaved, ROUNDS times
# each, so that a load spike hits every variant alike; prints per variant the
# minimum, 25th percentile and median of the CPU per handshake pair and of
# the server side. Variants: the TLS 1.3 suite order (OpenSSL's default,
# AES-256-GCM first, against ours, AES-128-GCM first), the server's ticket
# count (0, 1, 2) and a resumed handshake.
#
# Usage: bench/tlshandshake.sh [ROUNDS] [N]   (defaults 15 rounds of 300)
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1
ROUNDS=${1:-15}
N=${2:-300}
mkdir -p build
cc -O2 -Wall -o build/tlshandshake bench/tlshandshake.c -lssl -lcrypto || exit 1
OURS=TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
STOCK=TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256
VARIANTS=("$STOCK 1" "$OURS 1" "$OURS 0" "$OURS 2" "$OURS 1 1")
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
echo "tlshandshake: load $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$ROUNDS"); do
    for i in "${!VARIANTS[@]}"; do
        read -r -a v <<<"${VARIANTS[$i]}"
        printf '%s ' "$i"
        build/tlshandshake "${v[0]}" "${v[1]}" "$N" "${v[2]:-0}" || exit 1
    done
done >"$OUT"
# One line per variant: its settings, then min/p25/median of both figures.
q() { sort -n | awk '{v[NR] = $1} END {printf "%s/%s/%s", v[1], v[int((NR + 3) / 4)], v[int((NR + 1) / 2)]}'; }
for i in "${!VARIANTS[@]}"; do
    label=$(grep -m1 "^$i " "$OUT" | cut -d' ' -f2-4 | sed 's/:$//; s/TLS_AES_/AES_/g; s/TLS_CHACHA20_/CHACHA20_/')
    pair=$(grep "^$i " "$OUT" | awk '{print $5}' | q)
    server=$(grep "^$i " "$OUT" | awk '{print $8}' | q)
    echo "$label: us per pair $pair, server side $server (min/p25/median of $ROUNDS)"
done
echo "tlshandshake: load $(cut -d' ' -f1-3 /proc/loadavg)"
