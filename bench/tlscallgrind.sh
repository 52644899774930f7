#!/bin/bash
# Instructions per new intercepted TLS connection, counted by callgrind: a
# figure that, unlike CPU time, does not move when other processes load the
# machine. Each binary given runs under valgrind --tool=callgrind as an
# explicit proxy (-k) in front of a TLS origin (nginx, ECDSA P-256, as in
# bench/run.sh); tlsload.py makes new connections through it (CONNECT,
# handshake verified against the proxy's CA, one GET 1 KB, close). After a
# warm-up (the forged leaf, lazily built state), the counters are zeroed,
# and after a measured run they are dumped; the instructions counted divided
# by the connections completed is the figure. One line per binary and mode:
#
#   tlscallgrind: BINARY MODE: N conns, I instructions/conn (R resumed)
#
# The same is counted for nginx terminating TLS (RSA 2048, as in bench/run.sh)
# as a reverse proxy with kept-alive upstream TLS: one handshake per
# connection, the issue's yardstick ("less than nginx on one handshake").
#
# Usage: bench/tlscallgrind.sh BINARY...   (default: build/mitmdump)
# Environment: CALLGRIND_SECONDS (measured run, default 20), CALLGRIND_MODES
# ("newconn resume": new connections without and with client resumption),
# CALLGRIND_NGINX (1: also count nginx, the default; 0: not),
# CALLGRIND_KEEP (a directory to keep each profile in, for callgrind_annotate),
# CALLGRIND_PROXY_ARGS (more arguments for each binary, e.g. "--set
# tls_version_server_max=TLS1_2" to see what a TLS 1.3 offer costs upstream),
# TLS_ORIGIN_TLS13 (1: the origin speaks TLS 1.3 too, as most servers do).
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
PY=/usr/bin/python3
SECS=${CALLGRIND_SECONDS:-20}
read -r -a MODES <<<"${CALLGRIND_MODES:-newconn resume}"
[ $# -gt 0 ] || set -- "$ROOT/build/mitmdump"
for c in valgrind callgrind_control nginx openssl curl; do
    command -v "$c" >/dev/null || { echo "tlscallgrind: $c not found" >&2; exit 1; }
done

. "$ROOT/bench/tls_origin.sh"
tls_bench_init tlscallgrind
# Names spelt out in every dump: the kept one (CALLGRIND_KEEP) is the dump
# after the zeroing, and with compressed names it would refer to names
# defined only in the earlier part, which callgrind_annotate cannot resolve.
CG_ARGS=(--compress-strings=no --compress-pos=no)

# The origin: nginx serving 1 KiB over TLS with an ECDSA certificate.
tls_origin_start || exit 1
# nginx's own certificate when it is measured: RSA 2048, as bench/run.sh's.
openssl req -x509 -newkey rsa:2048 -nodes -days 3 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TMP/front.key" -out "$TMP/front.crt" 2>/dev/null || exit 1

# measure BINARY MODE: one line as above. BINARY "nginx" is nginx as a TLS
# reverse proxy in front of the origin.
measure() {
    local bin=$1 mode=$2 pport conf out pid js n ir resumed extra=() load
    [ "$mode" = resume ] && extra=(--resume)
    pport=$(port)
    conf=$TMP/conf-$RANDOM
    out=$TMP/callgrind.out
    rm -f "$out" "$out".*
    if [ "$bin" = nginx ]; then
        mkdir -p "$conf/tmp"
        sed -e "s|listen 127.0.0.1:$TPORT ssl;|listen 127.0.0.1:$pport ssl;|" \
            -e "s|$TMP/origin.crt|$TMP/front.crt|; s|$TMP/origin.key|$TMP/front.key|" \
            -e "s|root $TMP/www;|location / { proxy_pass https://up; proxy_http_version 1.1; proxy_set_header Connection \"\"; }|" \
            -e "s|$TMP/origin/|$conf/|g" \
            -e "s|^http {|http {\n    upstream up { server 127.0.0.1:$TPORT; keepalive 64; }|" \
            "$TMP/origin/nginx.conf" >"$conf/nginx.conf"
        valgrind --tool=callgrind --callgrind-out-file="$out" "${CG_ARGS[@]}" \
            nginx -p "$conf/" -c "$conf/nginx.conf" -e "$conf/error.log" >"$TMP/proxy.log" 2>&1 &
        pid=$!
        PIDS="$PIDS $pid"
        for _ in $(seq 600); do
            curl -s -o /dev/null --max-time 5 --cacert "$TMP/front.crt" \
                "https://127.0.0.1:$pport/1k" && break
            sleep 0.2
        done
        load=("$PY" "$ROOT/bench/tlsload.py" newconn "${extra[@]}" -c 2
            --target "127.0.0.1:$pport" --cafile "$TMP/front.crt")
    else
        valgrind --tool=callgrind --callgrind-out-file="$out" "${CG_ARGS[@]}" \
            "$bin" --listen-host 127.0.0.1 -p "$pport" -q -k --set "confdir=$conf" \
            ${CALLGRIND_PROXY_ARGS:-} >"$TMP/proxy.log" 2>&1 &
        pid=$!
        PIDS="$PIDS $pid"
        for _ in $(seq 600); do
            [ -s "$conf/mitmproxy-ca-cert.pem" ] &&
                curl -s -o /dev/null --max-time 5 --cacert "$conf/mitmproxy-ca-cert.pem" \
                    -x "http://127.0.0.1:$pport" "https://127.0.0.1:$TPORT/1k" && break
            sleep 0.2
        done
        load=("$PY" "$ROOT/bench/tlsload.py" newconn "${extra[@]}" -c 2
            --proxy "127.0.0.1:$pport" --target "127.0.0.1:$TPORT"
            --cafile "$conf/mitmproxy-ca-cert.pem")
    fi
    "${load[@]}" -d 5 >/dev/null 2>&1
    callgrind_control -z "$pid" >/dev/null
    js=$("${load[@]}" -d "$SECS" | sed -n 's/^BENCHJSON //p')
    callgrind_control -d "$pid" >/dev/null
    kill -INT "$pid"
    wait "$pid" 2>/dev/null
    [ "$bin" = nginx ] && kill -TERM "$pid" 2>/dev/null
    n=$(printf '%s' "$js" | $PY -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
    resumed=$(printf '%s' "$js" | $PY -c 'import json,sys; print(json.load(sys.stdin)["resumed"])')
    # The dump (file .1) holds what was counted since the zeroing.
    ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$out.1" \
        2>/dev/null | head -n 1)
    if [ -z "$ir" ] || [ "$n" -eq 0 ]; then
        echo "tlscallgrind: $bin $mode: failed (see $TMP/proxy.log)"
        return
    fi
    echo "tlscallgrind: $bin $mode: $n conns, $((ir / n)) instructions/conn ($resumed resumed)"
    if [ -n "${CALLGRIND_KEEP:-}" ]; then
        mkdir -p "$CALLGRIND_KEEP"
        cp "$out.1" "$CALLGRIND_KEEP/callgrind.$(basename "$bin").$mode"
    fi
}

BINS=("$@")
[ "${CALLGRIND_NGINX:-1}" = 1 ] && BINS=(nginx "${BINS[@]}")
for bin in "${BINS[@]}"; do
    for mode in "${MODES[@]}"; do
        measure "$bin" "$mode"
    done
done
