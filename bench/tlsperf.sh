#!/bin/bash
# CPU per new intercepted TLS connection, split into user and kernel time, on
# real cycles (where bench/tlscallgrind.sh counts instructions, which misjudge
# SHA-NI, ADX and the kernel). Each binary runs as an explicit proxy (-k) on
# TLSPERF_PROXY_CPU in front of a TLS origin (nginx, ECDSA P-256, TLS 1.2, as
# in bench/run.sh); bench/tlsload.py on TLSPERF_LOAD_CPU makes the
# connections (CONNECT, handshake verified, one GET 1 KB, close). Modes:
#
#   newconn   a new client each time: a full TLS 1.3 handshake towards the
#             client; the upstream side resumes from the per-server cache
#   resume    the client offers its previous ticket (a returning client)
#   pass      the same connections with --ignore-hosts: the proxy only
#             tunnels bytes, so this row is the cost of the two TCP
#             connections, libuv and our core without any TLS
#
# Binaries and modes are interleaved, TLSPERF_ROUNDS times, so that load from
# other processes hits every row alike; one line per binary and mode with the
# median of the rounds:
#
#   tlsperf: BINARY MODE: CPU us/conn T (user U, sys S), N conns, load L
#
# With TLSPERF_RECORD=DIR the newconn and resume runs of the first round are
# also recorded by `perf record -g` (cpu-clock, DWARF unwinding: libcrypto is
# built without frame pointers) into DIR/perf.BINARY.MODE, and a breakdown
# by library and by OpenSSL entry point is printed (inclusive shares of the
# recorded samples; perf's own unwinding inflates the kernel share, so take
# the microseconds from the unrecorded rounds).
#
# With TLSPERF_SYSCALLS=1 every run is traced by `strace -f -c` (the
# measured part) and the system calls per connection of the first round
# are printed, the most frequent first; strace slows the proxy several
# times, so the CPU lines of such a run compare only with each other:
#
#   tlsperf: BINARY.MODE: syscalls/conn T (write W, getpid G, ...), N conns
#
# Usage: bench/tlsperf.sh [BINARY...]   (default: build/mitmdump)
# Environment: TLSPERF_SECONDS (per run, default 8), TLSPERF_ROUNDS (3),
# TLSPERF_MODES ("newconn resume pass"), TLSPERF_PROXY_CPU / TLSPERF_LOAD_CPU
# (0 / 1), TLSPERF_RECORD (a directory; needs linux-perf), TLSPERF_SYSCALLS
# (1: count system calls; needs strace), TLS_ORIGIN_TLS13 (1: the origin
# speaks TLS 1.3 too, so the upstream side is TLS 1.3 as well).
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
PY=/usr/bin/python3
SECS=${TLSPERF_SECONDS:-8}
ROUNDS=${TLSPERF_ROUNDS:-3}
read -r -a MODES <<<"${TLSPERF_MODES:-newconn resume pass}"
PCPU=${TLSPERF_PROXY_CPU:-0}
LCPU=${TLSPERF_LOAD_CPU:-1}
RECORD=${TLSPERF_RECORD:-}
SYSCALLS=${TLSPERF_SYSCALLS:-}
[ $# -gt 0 ] || set -- "$ROOT/build/mitmdump"
for c in nginx openssl curl taskset; do
    command -v "$c" >/dev/null || { echo "tlsperf: $c not found" >&2; exit 1; }
done
if [ -n "$RECORD" ]; then
    command -v perf >/dev/null || { echo "tlsperf: perf not found (linux-perf)" >&2; exit 1; }
    mkdir -p "$RECORD" || exit 1
fi
if [ -n "$SYSCALLS" ]; then
    command -v strace >/dev/null || { echo "tlsperf: strace not found" >&2; exit 1; }
fi
CLK_TCK=$(getconf CLK_TCK)

. "$ROOT/bench/tls_origin.sh"
tls_bench_init tlsperf

# The origin: nginx serving 1 KiB over TLS with an ECDSA certificate.
tls_origin_start taskset -c "$LCPU" || exit 1

# cpu_ticks PID: "utime stime" of the process, in clock ticks.
cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }

# run BINARY MODE RECORD_TO TRACE_TO: one result line "ticks_user
# ticks_sys conns" on stdout; RECORD_TO is a perf data file or "", TRACE_TO
# a file for strace's counts or "".
run() {
    local bin=$1 mode=$2 rec=$3 trace=$4 pport conf pid extra=() args=() ca js n u0 s0 u1 s1
    local perfpid="" stpid=""
    pport=$(port)
    conf=$TMP/conf-$pport
    [ "$mode" = resume ] && extra=(--resume)
    [ "$mode" = pass ] && args=(--ignore-hosts 127.0.0.1)
    taskset -c "$PCPU" "$bin" --listen-host 127.0.0.1 -p "$pport" -q -k \
        --set "confdir=$conf" "${args[@]}" >"$TMP/proxy.log" 2>&1 &
    pid=$!
    PIDS="$PIDS $pid"
    for _ in $(seq 100); do
        [ -s "$conf/mitmproxy-ca-cert.pem" ] &&
            curl -s -o /dev/null --max-time 5 --cacert "$conf/mitmproxy-ca-cert.pem" \
                -x "http://127.0.0.1:$pport" "https://127.0.0.1:$TPORT/1k" && break
        sleep 0.1
    done
    # A tunnelled connection shows the origin's own certificate.
    ca=$conf/mitmproxy-ca-cert.pem
    [ "$mode" = pass ] && ca=$TMP/origin.crt
    local load=(taskset -c "$LCPU" "$PY" "$ROOT/bench/tlsload.py" newconn "${extra[@]}" -c 2
        --proxy "127.0.0.1:$pport" --target "127.0.0.1:$TPORT" --cafile "$ca")
    "${load[@]}" -d 2 >/dev/null 2>&1 # warm-up: the forged leaf, the session caches
    read -r u0 s0 < <(cpu_ticks "$pid")
    if [ -n "$rec" ]; then
        perf record -q -e cpu-clock -F 2000 --call-graph dwarf,16384 -p "$pid" -o "$rec" \
            -- sleep "$SECS" >/dev/null 2>&1 &
        perfpid=$!
    fi
    if [ -n "$trace" ]; then
        strace -f -c -o "$trace" -p "$pid" 2>/dev/null &
        stpid=$!
        PIDS="$PIDS $stpid"
        sleep 0.5 # attached to every thread before the first connection
    fi
    js=$("${load[@]}" -d "$SECS" | sed -n 's/^BENCHJSON //p')
    read -r u1 s1 < <(cpu_ticks "$pid")
    [ -n "$perfpid" ] && wait "$perfpid"
    if [ -n "$stpid" ]; then
        kill -INT "$stpid"
        wait "$stpid" 2>/dev/null
    fi
    kill -INT "$pid"
    wait "$pid" 2>/dev/null
    rm -rf "$conf"
    n=$(printf '%s' "$js" | $PY -c 'import json,sys; print(json.load(sys.stdin)["requests"])' \
        2>/dev/null)
    echo "$((u1 - u0)) $((s1 - s0)) ${n:-0}"
}

# breakdown DATA: shares of the recorded samples by library, and inclusive
# shares of the entry points that say where OpenSSL's time goes.
breakdown() {
    local data=$1
    echo "  by library (self):"
    perf report -i "$data" --no-children --sort dso -g none 2>/dev/null |
        awk '/^ +[0-9.]+%/ {printf "    %s\n", $0}' | head -n 8
    echo "  by entry point (inclusive):"
    perf report -i "$data" --children --sort sym -g none 2>/dev/null |
        awk 'NR == FNR { want[$1] = 1; next }
             /^ +[0-9.]+%/ && ($NF in want) { printf "    %7s  %s\n", $1, $NF }' \
            <(printf '%s\n' core__feed tls_session_handshake tls_session_new_server \
                tls_session_new_client tls_session_free tls_session_read tls_session_write \
                tls_session_close_notify tls_session_peer_cert_pem SSL_new SSL_free \
                SSL_use_cert_and_key EVP_PKEY_generate EVP_PKEY_derive EVP_PKEY_paramgen \
                EVP_DigestSignFinal EVP_Q_mac EVP_KDF_derive EVP_DigestUpdate EVP_MD_fetch \
                EVP_KDF_fetch EVP_MAC_fetch EVP_CIPHER_fetch EVP_KEYMGMT_names_do_all \
                OPENSSL_LH_doall_arg i2d_SSL_SESSION d2i_SSL_SESSION RAND_bytes_ex \
                RAND_priv_bytes_ex ERR_clear_error malloc free epoll_wait __libc_write \
                __libc_read __libc_connect) -
}

declare -A UT ST NC
for r in $(seq "$ROUNDS"); do
    for bin in "$@"; do
        for mode in "${MODES[@]}"; do
            rec=""
            if [ -n "$RECORD" ] && [ "$r" = 1 ] && [ "$mode" != pass ]; then
                rec=$RECORD/perf.$(basename "$bin").$mode
            fi
            trace=""
            [ -n "$SYSCALLS" ] && trace=$TMP/strace
            # Not in a subshell: run's processes must stay in PIDS for the trap.
            run "$bin" "$mode" "$rec" "$trace" >"$TMP/result"
            read -r u s n <"$TMP/result"
            if [ -n "$trace" ]; then
                [ "$r" = 1 ] && mv "$trace" "$TMP/counts.$(basename "$bin").$mode.$n"
                rm -f "$trace"
            fi
            UT[$bin $mode]="${UT[$bin $mode]:-} $u"
            ST[$bin $mode]="${ST[$bin $mode]:-} $s"
            NC[$bin $mode]="${NC[$bin $mode]:-} $n"
        done
    done
done

# The round with the median total CPU per connection, per binary and mode.
for bin in "$@"; do
    for mode in "${MODES[@]}"; do
        paste <(tr ' ' '\n' <<<"${UT[$bin $mode]}") <(tr ' ' '\n' <<<"${ST[$bin $mode]}") \
            <(tr ' ' '\n' <<<"${NC[$bin $mode]}") | awk -v tck="$CLK_TCK" -v b="$bin" \
            -v m="$mode" -v l="$(cut -d' ' -f1 /proc/loadavg)" '
            NF == 3 && $3 > 0 { k++; t[k] = ($1 + $2) * 1e6 / tck / $3
                u[k] = $1 * 1e6 / tck / $3; s[k] = $2 * 1e6 / tck / $3; n[k] = $3 }
            END {
                if (k == 0) { printf "tlsperf: %s %s: failed\n", b, m; exit }
                for (i = 1; i <= k; i++) { o[i] = i }
                for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
                    if (t[o[j]] < t[o[i]]) { x = o[i]; o[i] = o[j]; o[j] = x }
                i = o[int((k + 1) / 2)]
                printf "tlsperf: %s %s: CPU us/conn %.1f (user %.1f, sys %.1f), %d conns, load %s\n",
                    b, m, t[i], u[i], s[i], n[i], l }'
    done
done
# strace -c's table: calls are the fourth column; a column of errors comes
# before the name when a call failed at times, so the name is the last.
for f in "$TMP"/counts.*; do
    [ -f "$f" ] || continue
    n=${f##*.}
    label=${f#"$TMP"/counts.}
    label=${label%.*}
    if [ "$n" = 0 ]; then
        echo "tlsperf: $label: no connections"
        continue
    fi
    calls=$(awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF, $4 }' "$f" | sort -k2,2nr)
    total=$(awk -v n="$n" '{ t += $2 } END { printf "%.1f", t / n }' <<<"$calls")
    top=$(head -n 8 <<<"$calls" |
        awk -v n="$n" '{ printf "%s%s %.1f", (NR > 1 ? ", " : ""), $1, $2 / n }')
    echo "tlsperf: $label: syscalls/conn $total ($top), $n conns"
done
if [ -n "$RECORD" ]; then
    for f in "$RECORD"/perf.*; do
        [ -f "$f" ] || continue
        echo "tlsperf: profile $f"
        breakdown "$f"
    done
fi
