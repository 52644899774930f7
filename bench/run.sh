#!/bin/bash
# Benchmarks our build/mitmdump against a direct connection, nginx as a reverse
# proxy and mitmdump 8.1.1, all in one run, and prints one table per scenario
# (also written as Markdown to build/bench/results.md). The TLS scenarios use
# bench/tlsload.py instead of wrk, which cannot tunnel through CONNECT; the
# HTTP/2 ones h2load and bench/h2streams.py. See bench/README.md.
#
# Environment:
#   BENCH_SECONDS      measured wrk duration per row (default 10)
#   BENCH_WARMUP       unmeasured wrk warm-up per row, seconds (default 1; 0 = none)
#   BENCH_CONNECTIONS  wrk connections (default 10, one wrk thread)
#   BENCH_DL_RUNS      100 MiB downloads per row, the median is reported (default 5)
#   BENCH_IDLE_CONNS   idle intercepted TLS connections for the RSS scenario (default 200)
#   BENCH_H2_CONNS     h2load connections (default 4)
#   BENCH_H2_STREAMS   concurrent streams per HTTP/2 connection, h2load -m (default 32)
#   BENCH_H2_RSS_STREAMS      streams on the one connection of the HTTP/2 RSS row (default 50000)
#   BENCH_H2_RSS_STREAMS_881  the same for mitmdump 8.1.1, about 1,200 streams/s (default 10000)
#   BENCH_H2_RSS_SECONDS      time limit of an HTTP/2 RSS row (default 120)
#   BENCH_DL_881_BUFFERED_RUNS     downloads of 8.1.1's buffered row (default 1)
#   BENCH_DL_881_BUFFERED_SECONDS  time limit of each (default 120)
#   BENCH_FLOWS        flows in the flow-file scenario's file (default 100000)
#   BENCH_FLOWS_881    the same for mitmdump 8.1.1, about 1,100 flows/s (default 10000)
#   BENCH_FLOW_RUNS    runs of each flow-file row, the median is reported (default 3)
#   BENCH_FIXTURES     flow files to build it from (default ../shared/fixtures/flows)
#   BENCH_ONLY         the scenarios to run, space-separated (default: all of them):
#                      explicit reverse download download-buffered tls-keepalive
#                      tls-newconn tls-resume tls-idle h2 h2-rss flowfile script
#   BENCH_OURS         our binary (default build/mitmdump)
#   BENCH_OURS_BEFORE  another build of ours (say, main's) for rows "ours, before" beside
#                      "ours" in the same run (default: none, no such rows)
#   BENCH_OURS_ARGS    extra arguments for our binary (default: --set confdir=<tmp>)
#   BENCH_MITMDUMP_881 mitmdump 8.1.1 (default /usr/bin/mitmdump)
#   BENCH_PROXY_CPU / BENCH_LOAD_CPU   CPUs for the proxy / for origin+wrk+curl (0 / 1)
#   BENCH_KEEP_TMP=1   keep the temporary directory (configs, logs, files)
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
PY=/usr/bin/python3
HELPER="$PY $ROOT/bench/bench.py"
TLSLOAD=("$PY" "$ROOT/bench/tlsload.py")
SECS=${BENCH_SECONDS:-10}
WARM=${BENCH_WARMUP:-1}
CONNS=${BENCH_CONNECTIONS:-10}
DLRUNS=${BENCH_DL_RUNS:-5}
IDLE_CONNS=${BENCH_IDLE_CONNS:-200}
H2_CONNS=${BENCH_H2_CONNS:-4}
H2_STREAMS=${BENCH_H2_STREAMS:-32}
H2_RSS_STREAMS=${BENCH_H2_RSS_STREAMS:-50000}
H2_RSS_STREAMS_881=${BENCH_H2_RSS_STREAMS_881:-10000}
H2_RSS_SECS=${BENCH_H2_RSS_SECONDS:-120}
DL_881_BUFFERED_RUNS=${BENCH_DL_881_BUFFERED_RUNS:-1}
DL_881_BUFFERED_SECS=${BENCH_DL_881_BUFFERED_SECONDS:-120}
FLOWS=${BENCH_FLOWS:-100000}
FLOWS_881=${BENCH_FLOWS_881:-10000}
FLOW_RUNS=${BENCH_FLOW_RUNS:-3}
FIXTURES=${BENCH_FIXTURES:-$ROOT/../shared/fixtures/flows}
ALL_SCENARIOS=(explicit reverse download download-buffered tls-keepalive tls-newconn tls-resume
    tls-idle h2 h2-rss flowfile script)
read -r -a ONLY <<<"${BENCH_ONLY:-${ALL_SCENARIOS[*]}}"
OURS=${BENCH_OURS:-$ROOT/build/mitmdump}
BEFORE=${BENCH_OURS_BEFORE:-}
MITM881=${BENCH_MITMDUMP_881:-/usr/bin/mitmdump}
PROXY_CPU=${BENCH_PROXY_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
OUTDIR=$ROOT/build/bench
RESULTS=$OUTDIR/results.jsonl
DL_SIZE=104857600
START_TIMEOUT=30

die() {
    echo "bench: $*" >&2
    exit 1
}

for v in SECS WARM CONNS DLRUNS IDLE_CONNS PROXY_CPU LOAD_CPU H2_CONNS H2_STREAMS H2_RSS_STREAMS \
    H2_RSS_STREAMS_881 H2_RSS_SECS FLOWS FLOWS_881 FLOW_RUNS DL_881_BUFFERED_RUNS \
    DL_881_BUFFERED_SECS; do
    case ${!v} in
    '' | *[!0-9]*) die "$v must be a non-negative integer (got '${!v}')" ;;
    esac
done
[ "$SECS" -ge 1 ] || die "BENCH_SECONDS must be at least 1"
[ "$DLRUNS" -ge 1 ] || die "BENCH_DL_RUNS must be at least 1"
[ "$CONNS" -ge 1 ] || die "BENCH_CONNECTIONS must be at least 1"
[ "$IDLE_CONNS" -ge 1 ] || die "BENCH_IDLE_CONNS must be at least 1"
[ "$H2_CONNS" -ge 1 ] || die "BENCH_H2_CONNS must be at least 1"
[ "$H2_STREAMS" -ge 1 ] || die "BENCH_H2_STREAMS must be at least 1"
[ "$H2_RSS_STREAMS" -ge 10 ] || die "BENCH_H2_RSS_STREAMS must be at least 10"
[ "$H2_RSS_STREAMS_881" -ge 10 ] || die "BENCH_H2_RSS_STREAMS_881 must be at least 10"
[ "$H2_RSS_SECS" -ge 1 ] || die "BENCH_H2_RSS_SECONDS must be at least 1"
[ "$DL_881_BUFFERED_RUNS" -ge 1 ] || die "BENCH_DL_881_BUFFERED_RUNS must be at least 1"
[ "$DL_881_BUFFERED_SECS" -ge 1 ] || die "BENCH_DL_881_BUFFERED_SECONDS must be at least 1"
[ "$FLOWS" -ge 1 ] || die "BENCH_FLOWS must be at least 1"
[ "$FLOWS_881" -ge 1 ] || die "BENCH_FLOWS_881 must be at least 1"
[ "$FLOW_RUNS" -ge 1 ] || die "BENCH_FLOW_RUNS must be at least 1"
# in_list WORD LIST...: whether WORD is one of LIST.
in_list() {
    local w=$1 x
    shift
    for x in "$@"; do
        [ "$x" = "$w" ] && return 0
    done
    return 1
}
for scen in "${ONLY[@]}"; do
    in_list "$scen" "${ALL_SCENARIOS[@]}" ||
        die "BENCH_ONLY: unknown scenario '$scen' (known: ${ALL_SCENARIOS[*]})"
done
[ "${#ONLY[@]}" -ge 1 ] || die "BENCH_ONLY names no scenario"

# want SCEN: whether BENCH_ONLY selects the scenario.
want() { in_list "$1" "${ONLY[@]}"; }

for c in wrk nginx curl taskset timeout openssl h2load; do
    command -v "$c" >/dev/null || die "$c not found (scripts/deps.sh bench installs it)"
done
[ -x "$PY" ] || die "$PY not found"
$PY -c "import h2" 2>/dev/null || die "python3-h2 not found (scripts/deps.sh bench installs it)"
[ -x "$MITM881" ] || die "$MITM881 not found (Debian package mitmproxy)"

# A proxy in the environment would silently reroute the "direct" curl runs.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

NCPU=$(nproc)
if [ "$NCPU" -lt 2 ]; then
    echo "bench: warning: only $NCPU CPU available; proxy and load share CPU 0" >&2
    PROXY_CPU=0
    LOAD_CPU=0
fi
CLK_TCK=$(getconf CLK_TCK)

TMP=$(mktemp -d /tmp/mpbench.XXXXXX) || die "mktemp failed"
PIDS=""

# Every process the bench starts in the background is in PIDS until stopped;
# the EXIT trap ends whatever is left, so an error or ^C leaves nothing behind.
cleanup() {
    local p
    trap - EXIT INT TERM
    for p in $PIDS; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in $PIDS; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then
        echo "bench: kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

track() { PIDS="$PIDS $1"; }

untrack() {
    local p rest=""
    for p in $PIDS; do
        [ "$p" = "$1" ] || rest="$rest $p"
    done
    PIDS=$rest
}

# bounded CMD...: runs CMD in the background and waits for it, so that on
# TERM or INT the trap runs at once (bash runs traps only between foreground
# commands) and the cleanup also ends CMD.
bounded() {
    local p rc
    "$@" &
    p=$!
    track "$p"
    wait "$p"
    rc=$?
    untrack "$p"
    return $rc
}

# stop PID: TERM, then KILL after 5 s, and forget it.
stop() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    untrack "$pid"
}

# User+system CPU ticks of a whole process (all threads). The command name in
# field 2 may contain spaces, so fields are counted after its closing ")".
cpu_ticks() {
    local line rest
    read -r line <"/proc/$1/stat" || return 1
    rest=${line##*) }
    # shellcheck disable=SC2086 # splitting the fields is the point
    set -- $rest
    echo $((${12} + ${13}))
}

hwm_kib() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

nfds() {
    local fds
    fds=(/proc/"$1"/fd/*)
    echo ${#fds[@]}
}

# The script itself and thus everything it starts (origin nginx, wrk, curl,
# helpers) runs on LOAD_CPU; proxies are started with taskset on PROXY_CPU.
taskset -p -c "$LOAD_CPU" $$ >/dev/null || die "cannot pin to CPU $LOAD_CPU"
LOAD=(taskset -c "$LOAD_CPU")
PIN=(taskset -c "$PROXY_CPU")

mkdir -p "$OUTDIR/raw" "$TMP/www" || die "cannot create directories"
rm -f "$RESULTS" "$OUTDIR/results.md" "$OUTDIR"/raw/*

# Test files: 1 KB of text and 100 MiB of random bytes.
head -c 1024 /dev/zero | tr '\0' 'x' >"$TMP/www/1k"
head -c "$DL_SIZE" /dev/urandom >"$TMP/www/100m" || die "cannot write $TMP/www/100m"

# Self-signed certificates for 127.0.0.1. The origin's key is ECDSA P-256 so
# that its handshakes cost the shared load CPU little; nginx's front key is RSA
# 2048 like the leaves the mitmdumps forge, so the three proxies sign alike.
make_cert() { # NAME KEYOPTS...
    local name=$1
    shift
    openssl req -x509 "$@" -nodes -days 2 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$TMP/$name.key" -out "$TMP/$name.crt" >/dev/null 2>&1
}
make_cert origin -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 || die "openssl req failed"
make_cert front -newkey rsa:2048 || die "openssl req failed"

# nginx needs its temp paths outside /var/lib/nginx; some modules may be absent.
nginx_temp_paths() {
    local dir=$1 m
    mkdir -p "$dir"
    echo "    client_body_temp_path $dir/body;"
    echo "    proxy_temp_path $dir/proxy;"
    for m in fastcgi uwsgi scgi; do
        if ! nginx -V 2>&1 | grep -q -- "--without-http_${m}_module"; then
            echo "    ${m}_temp_path $dir/$m;"
        fi
    done
}

# write_nginx_conf DIR PORT SERVER_BODY [HTTP_EXTRA]: single process (no
# master, no daemon) so that the PID the bench holds is the one doing the work.
write_nginx_conf() {
    local dir=$1 port=$2 body=$3 extra=${4:-}
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 10000000;
    keepalive_timeout 75s;
$(nginx_temp_paths "$dir/tmp")
$extra
    server {
        listen 127.0.0.1:$port;
$body
    }
}
CONF
}

start_nginx() { # DIR PIN... ; sets SPID
    local dir=$1
    shift
    "$@" nginx -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" \
        >"$dir/stdout.log" 2>&1 &
    SPID=$!
    track "$SPID"
}

# --- origin ----------------------------------------------------------------
OPORT=$($HELPER port) || die "no free port"
TPORT=$($HELPER port) || die "no free port"
H2PORT=$($HELPER port) || die "no free port"
# H2PORT: the same files over TLS with ALPN h2 (and http/1.1), for the HTTP/2 rows.
write_nginx_conf "$TMP/origin" "$OPORT" "        root $TMP/www;" "    server {
        listen 127.0.0.1:$TPORT ssl;
        ssl_certificate $TMP/origin.crt;
        ssl_certificate_key $TMP/origin.key;
        root $TMP/www;
    }
    server {
        listen 127.0.0.1:$H2PORT ssl http2;
        ssl_certificate $TMP/origin.crt;
        ssl_certificate_key $TMP/origin.key;
        root $TMP/www;
    }"
start_nginx "$TMP/origin" "${LOAD[@]}"
ORIGIN_PID=$SPID
ORIGIN=http://127.0.0.1:$OPORT
for _ in $(seq 50); do
    curl -s -o /dev/null --max-time 1 "$ORIGIN/1k" && break
    kill -0 "$ORIGIN_PID" 2>/dev/null || break
    sleep 0.1
done
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code} %{size_download}' "$ORIGIN/1k")" = "200 1024" ] ||
    die "origin nginx did not start: $(tail -n 5 "$TMP/origin/error.log" 2>/dev/null)"
TORIGIN=https://127.0.0.1:$TPORT
[ "$(curl -s --max-time 5 --cacert "$TMP/origin.crt" -o /dev/null \
    -w '%{http_code} %{size_download}' "$TORIGIN/1k")" = "200 1024" ] ||
    die "origin nginx does not serve TLS: $(tail -n 5 "$TMP/origin/error.log" 2>/dev/null)"
H2ORIGIN=https://127.0.0.1:$H2PORT
[ "$(curl -s --max-time 5 --http2 --cacert "$TMP/origin.crt" -o /dev/null \
    -w '%{http_code} %{size_download} %{http_version}' "$H2ORIGIN/1k")" = "200 1024 2" ] ||
    die "origin nginx does not serve HTTP/2: $(tail -n 5 "$TMP/origin/error.log" 2>/dev/null)"

# --- check: the wrk script really sends absolute-form requests ------------------
# check_absolute_form: dies unless wrk, as bench/wrk.lua drives it, sends an
# absolute-form request line (scenario 1 depends on it).
check_absolute_form() {
    local wanted got
    $HELPER capture "$TMP/cap.port" "$TMP/cap.req" &
    CAP_PID=$!
    track $CAP_PID
    for _ in $(seq 50); do
        [ -s "$TMP/cap.port" ] && break
        sleep 0.1
    done
    [ -s "$TMP/cap.port" ] || die "capture server did not start"
    BENCH_PATH="$ORIGIN/1k" BENCH_HOST="127.0.0.1:$OPORT" timeout 10 \
        wrk -t1 -c1 -d1s -s "$ROOT/bench/wrk.lua" "http://127.0.0.1:$(cat "$TMP/cap.port")/" \
        >/dev/null 2>&1
    stop $CAP_PID
    wanted="GET $ORIGIN/1k HTTP/1.1"
    got=$(head -n 1 "$TMP/cap.req" 2>/dev/null | tr -d '\r')
    [ "$got" = "$wanted" ] || die "wrk request line is '$got', expected '$wanted'"
    grep -qi "^Host: 127.0.0.1:$OPORT" "$TMP/cap.req" ||
        die "wrk did not send Host: 127.0.0.1:$OPORT"
    echo "bench: absolute-form check OK: wrk sends '$got' to the proxy port"
}
want explicit && check_absolute_form

# --- metadata ------------------------------------------------------------------
# Other work on the machine shares the pinned CPUs and makes the numbers noisy.
LOADAVG=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$LOADAVG" 'BEGIN { exit !(l > 0.5) }'; then
    echo "bench: warning: load average is $LOADAVG before the bench; other work will skew" \
        "the numbers (compare rows of one run, or rerun on an idle machine)" >&2
fi
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
NGINX_VERSION=$(nginx -v 2>&1 | sed 's|.*nginx/||')
MITM_VERSION=$(HOME=$TMP "$MITM881" --version 2>/dev/null | awk '/^Mitmproxy:/ { print "mitmdump " $2 }')
OURS_NOTE=""
[ -x "$OURS" ] || OURS_NOTE="mitmdump (ours) not built ($OURS missing): its rows are skipped"
$HELPER meta "$RESULTS" "date=$(date -u '+%Y-%m-%d %H:%M UTC')" "cpu_model=${CPU_MODEL:-unknown}" \
    "ncpu=$NCPU" "loadavg=$LOADAVG" "nginx_version=$NGINX_VERSION" "mitmdump_version=$MITM_VERSION" \
    "seconds=$SECS" "warmup=$WARM" "wrk_connections=$CONNS" "dl_runs=$DLRUNS" \
    "idle_conns=$IDLE_CONNS" "h2_conns=$H2_CONNS" "h2_streams=$H2_STREAMS" \
    "h2_rss_streams=$H2_RSS_STREAMS" "h2_rss_streams_881=$H2_RSS_STREAMS_881" \
    "flows=$FLOWS" "flows_881=$FLOWS_881" "flow_runs=$FLOW_RUNS" "only=${ONLY[*]}" \
    "proxy_cpu=$PROXY_CPU" "load_cpu=$LOAD_CPU" "ours_note=$OURS_NOTE" ||
    die "cannot write $RESULTS"

# --- proxies -------------------------------------------------------------------
# start_proxy SERVER MODE: starts a fresh proxy on a new port, pinned to
# PROXY_CPU, in MODE explicit, buffered, reverse, tls, h2 or script (explicit,
# with the mitmdumps running $TMP/sethdr.py, see below); sets SPID and
# PPORT, or returns 1. The mitmdumps run with stream_large_bodies=1m except in
# buffered mode (an explicit proxy with the default: bodies held whole). In tls
# mode the mitmdumps are explicit proxies that intercept HTTPS and nginx
# terminates TLS as a reverse proxy to the origin's TLS port; PCA is the
# certificate a client must trust and TLSARGS the tlsload.py arguments. In h2
# mode every proxy is a TLS reverse proxy speaking HTTP/2 to the client: the
# mitmdumps to the origin's h2 port (reverse:https, so h2 on both sides), nginx
# (which has no h2 upstreams) to the origin's TLS port over kept-alive
# HTTP/1.1.
start_proxy() {
    local server=$1 mode=$2 log
    PPORT=$($HELPER port) || return 1
    log=$OUTDIR/raw/$server-$mode.log
    case $server in
    nginx)
        if [ "$mode" = tls ] || [ "$mode" = h2 ]; then
            # Upstream TLS connections are kept alive and their sessions
            # reused (nginx's defaults): what a tuned TLS reverse proxy does.
            # The port argument "PORT ssl" makes the listen line a TLS one.
            local listen="$PPORT ssl"
            [ "$mode" = h2 ] && listen="$PPORT ssl http2"
            write_nginx_conf "$TMP/nginx-$mode" "$listen" "        ssl_certificate $TMP/front.crt;
        ssl_certificate_key $TMP/front.key;
        location / {
            proxy_pass https://origin_tls;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_max_temp_file_size 0;
        }" "    upstream origin_tls {
        server 127.0.0.1:$TPORT;
        keepalive 64;
    }"
            PCA=$TMP/front.crt
            TLSARGS=(--target "127.0.0.1:$PPORT")
        else
            # HTTP/1.1 and an empty Connection header keep upstream connections
            # open; nothing is spooled to disk (proxy_max_temp_file_size 0). The
            # 64k buffers (default 4k/8k) are a common tuning that roughly
            # doubles nginx's 100 MiB download rate, so the baseline is not weak.
            write_nginx_conf "$TMP/nginx-$mode" "$PPORT" "        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_max_temp_file_size 0;
            proxy_buffer_size 64k;
            proxy_buffers 8 64k;
        }" "    upstream origin {
        server 127.0.0.1:$OPORT;
        keepalive 64;
    }"
        fi
        start_nginx "$TMP/nginx-$mode" "${PIN[@]}"
        log=$TMP/nginx-$mode/error.log
        ;;
    mitmdump-8.1.1 | ours | before)
        local bin=$MITM881 args
        args=(--listen-host 127.0.0.1 -p "$PPORT" -q)
        [ "$mode" = buffered ] || args+=(--set stream_large_bodies=1m)
        local confdir=$TMP/mitm881-conf
        if [ "$server" = before ]; then
            bin=$BEFORE
            confdir=$TMP/before-conf
            args+=(--set "confdir=$confdir")
        elif [ "$server" = ours ]; then
            bin=$OURS
            confdir=$TMP/ours-conf
            if [ -n "${BENCH_OURS_ARGS+set}" ]; then
                # shellcheck disable=SC2206 # BENCH_OURS_ARGS is a list of arguments
                args+=($BENCH_OURS_ARGS)
                # The CA to trust is in the conf dir these arguments name.
                confdir=$(printf '%s\n' "$BENCH_OURS_ARGS" |
                    sed -n 's/.*confdir=\([^ ]*\).*/\1/p')
                confdir=${confdir:-$HOME/.mitmproxy}
                confdir=${confdir/#\~/$HOME}
            else
                args+=(--set "confdir=$confdir")
            fi
        else
            args+=(--set "confdir=$confdir")
        fi
        [ "$mode" = reverse ] && args+=(--mode "reverse:$ORIGIN")
        [ "$mode" = script ] && args+=(-s "$TMP/sethdr.py")
        if [ "$mode" = h2 ]; then
            args+=(--mode "reverse:$H2ORIGIN" -k)
            # 8.1.1's default eager strategy shakes hands with the origin before
            # the ClientHello arrives, offering no ALPN, and then never offers the
            # client h2; lazy connects after it and mirrors the client's offer.
            [ "$server" = mitmdump-8.1.1 ] && args+=(--set connection_strategy=lazy)
        fi
        # -k: the origin's certificate is self-signed. The CA file appears
        # in the conf dir at the first start, so the check below waits for it.
        if [ "$mode" = tls ]; then
            args+=(-k)
            PCA=$confdir/mitmproxy-ca-cert.pem
            TLSARGS=(--proxy "127.0.0.1:$PPORT" --target "127.0.0.1:$TPORT")
        fi
        "${PIN[@]}" "$bin" "${args[@]}" >"$log" 2>&1 &
        SPID=$!
        track "$SPID"
        ;;
    esac
    local url=$ORIGIN/1k proxyopt=(-x "http://127.0.0.1:$PPORT")
    if [ "$mode" = reverse ]; then
        url=http://127.0.0.1:$PPORT/1k
        proxyopt=()
    elif [ "$mode" = h2 ]; then
        url=https://127.0.0.1:$PPORT/1k
        proxyopt=(-k --http2)
    elif [ "$mode" = tls ] && [ "$server" = nginx ]; then
        url=https://127.0.0.1:$PPORT/1k
        proxyopt=(--cacert "$PCA")
    elif [ "$mode" = tls ]; then
        url=$TORIGIN/1k
        proxyopt+=(--cacert "$PCA")
    fi
    for _ in $(seq $((START_TIMEOUT * 10))); do
        if ! kill -0 "$SPID" 2>/dev/null; then
            echo "bench: $server ($mode) exited at start-up:" >&2
            tail -n 5 "$log" >&2
            stop "$SPID"
            return 1
        fi
        if [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code} %{size_download}' \
            "${proxyopt[@]}" "$url")" = "200 1024" ]; then
            return 0
        fi
        sleep 0.1
    done
    echo "bench: $server ($mode) did not serve $url within ${START_TIMEOUT}s:" >&2
    tail -n 5 "$log" >&2
    stop "$SPID"
    return 1
}

# run_wrk SCEN SERVER PID URL [PATH HOST]: warm-up, then the measured run.
run_wrk() {
    local scen=$1 server=$2 pid=$3 url=$4 path=${5:-} host=${6:-}
    local out=$OUTDIR/raw/$scen-$server.wrk c0="-" c1 cpu="-" hwm="-"
    if [ "$WARM" -gt 0 ]; then
        BENCH_PATH=$path BENCH_HOST=$host bounded timeout $((WARM + 30)) "${LOAD[@]}" wrk -t1 -c"$CONNS" \
            -d"${WARM}s" --timeout 5s -s "$ROOT/bench/wrk.lua" "$url" >"$out.warmup" 2>&1
    fi
    [ "$pid" != - ] && c0=$(cpu_ticks "$pid")
    BENCH_PATH=$path BENCH_HOST=$host bounded timeout $((SECS + 30)) "${LOAD[@]}" wrk -t1 -c"$CONNS" \
        -d"${SECS}s" --latency --timeout 5s -s "$ROOT/bench/wrk.lua" "$url" >"$out" 2>&1
    if [ "$pid" != - ]; then
        if c1=$(cpu_ticks "$pid" 2>/dev/null); then
            cpu=$((c1 - c0))
            hwm=$(hwm_kib "$pid")
        else
            $HELPER skip "$RESULTS" "$scen" "$server" "failed: proxy died during the run"
            return
        fi
    fi
    $HELPER wrk "$RESULTS" "$scen" "$server" "$out" "$cpu" "$hwm" "$CLK_TCK"
}

# run_dl SCEN SERVER PID N MAXSECS CURLARGS...: N downloads of at most MAXSECS
# seconds each, one curl -w line each.
run_dl() {
    local scen=$1 server=$2 pid=$3 n=$4 max=$5 c0="-" c1 cpu="-" hwm="-"
    local runs=$OUTDIR/raw/$scen-$server.txt
    shift 5
    : >"$runs"
    [ "$pid" != - ] && c0=$(cpu_ticks "$pid")
    for _ in $(seq "$n"); do
        bounded "${LOAD[@]}" curl -s -o /dev/null --max-time "$max" \
            -w '%{http_code} %{size_download} %{time_total}\n' "$@" >>"$runs"
    done
    if [ "$pid" != - ]; then
        if c1=$(cpu_ticks "$pid" 2>/dev/null); then
            cpu=$((c1 - c0))
            hwm=$(hwm_kib "$pid")
        else
            $HELPER skip "$RESULTS" "$scen" "$server" "failed: proxy died during the run"
            return
        fi
    fi
    $HELPER dl "$RESULTS" "$scen" "$server" "$runs" "$cpu" "$hwm" "$CLK_TCK" "$DL_SIZE"
}

# run_tls SCEN SERVER PID MODE TLSLOAD_ARGS...: like run_wrk, with
# bench/tlsload.py in MODE keepalive or newconn (one request per connection).
run_tls() {
    local scen=$1 server=$2 pid=$3 mode=$4 c0="-" c1 cpu="-" hwm="-"
    local out=$OUTDIR/raw/$scen-$server.txt
    shift 4
    if [ "$WARM" -gt 0 ]; then
        bounded timeout $((WARM + 30)) "${LOAD[@]}" "${TLSLOAD[@]}" "$mode" -c "$CONNS" -d "$WARM" "$@" \
            >"$out.warmup" 2>&1
    fi
    [ "$pid" != - ] && c0=$(cpu_ticks "$pid")
    bounded timeout $((SECS + 30)) "${LOAD[@]}" "${TLSLOAD[@]}" "$mode" -c "$CONNS" -d "$SECS" "$@" \
        >"$out" 2>&1
    if [ "$pid" != - ]; then
        if c1=$(cpu_ticks "$pid" 2>/dev/null); then
            cpu=$((c1 - c0))
            hwm=$(hwm_kib "$pid")
        else
            $HELPER skip "$RESULTS" "$scen" "$server" "failed: proxy died during the run"
            return
        fi
    fi
    $HELPER wrk "$RESULTS" "$scen" "$server" "$out" "$cpu" "$hwm" "$CLK_TCK"
}

# run_idle SERVER PID TLSLOAD_ARGS...: the proxy's VmRSS before and while
# IDLE_CONNS intercepted connections (one request each) sit idle. A warm-up of
# 10 connections, closed again, comes first so that one-time costs (the forged
# leaf certificate, lazily built state) are not charged to the connections.
run_idle() {
    local server=$1 pid=$2 lp rss0 rss1="-" fd0 fd1="-"
    local ready=$TMP/idle-$server.json
    local out=$OUTDIR/raw/tls-idle-$server.txt
    shift 2
    bounded timeout 60 "${LOAD[@]}" "${TLSLOAD[@]}" idle -n 10 -c 10 -d 30 --hold 0 "$@" \
        >"$out.warmup" 2>&1
    sleep 0.5
    if ! kill -0 "$pid" 2>/dev/null; then
        $HELPER skip "$RESULTS" tls-idle "$server" "failed: proxy died during the warm-up"
        return
    fi
    rss0=$(rss_kib "$pid")
    fd0=$(nfds "$pid")
    rm -f "$ready"
    "${LOAD[@]}" "${TLSLOAD[@]}" idle -n "$IDLE_CONNS" -c 20 -d 60 --hold 120 --ready "$ready" "$@" \
        >"$out" 2>&1 &
    lp=$!
    track "$lp"
    for _ in $(seq 700); do
        [ -s "$ready" ] && break
        kill -0 "$lp" 2>/dev/null || break
        sleep 0.1
    done
    if [ -s "$ready" ]; then
        # The last responses have arrived; give the proxy a moment to settle.
        sleep 0.5
        if kill -0 "$pid" 2>/dev/null; then
            rss1=$(rss_kib "$pid")
            fd1=$(nfds "$pid")
        fi
    fi
    stop "$lp"
    if [ "$rss1" = - ]; then
        $HELPER skip "$RESULTS" tls-idle "$server" "failed: connections not opened or proxy died"
        return
    fi
    $HELPER idle "$RESULTS" "$server" "$ready" "$rss0" "$rss1" "$fd0" "$fd1"
}

# run_h2load SCEN SERVER PID URL: like run_wrk, with h2load (H2_CONNS
# connections, H2_STREAMS concurrent streams each) for a fixed duration.
run_h2load() {
    local scen=$1 server=$2 pid=$3 url=$4 c0="-" c1 cpu="-" hwm="-"
    local out=$OUTDIR/raw/$scen-$server.txt
    local h2l=(h2load -c "$H2_CONNS" -m "$H2_STREAMS")
    if [ "$WARM" -gt 0 ]; then
        bounded timeout $((WARM + 30)) "${LOAD[@]}" "${h2l[@]}" -D "$WARM" "$url" \
            >"$out.warmup" 2>&1
    fi
    [ "$pid" != - ] && c0=$(cpu_ticks "$pid")
    bounded timeout $((SECS + 30)) "${LOAD[@]}" "${h2l[@]}" -D "$SECS" "$url" >"$out" 2>&1
    if [ "$pid" != - ]; then
        if c1=$(cpu_ticks "$pid" 2>/dev/null); then
            cpu=$((c1 - c0))
            hwm=$(hwm_kib "$pid")
        else
            $HELPER skip "$RESULTS" "$scen" "$server" "failed: proxy died during the run"
            return
        fi
    fi
    $HELPER h2load "$RESULTS" "$scen" "$server" "$out" "$cpu" "$hwm" "$CLK_TCK"
}

# run_h2rss SERVER PID STREAMS: one HTTP/2 connection through the proxy carries
# STREAMS requests (H2_STREAMS at a time); h2streams.py samples the proxy's
# VmRSS at 10%, 50% and 100% of them. A proxy that forgets finished streams
# stays flat.
run_h2rss() {
    local server=$1 pid=$2 n=$3
    local out=$OUTDIR/raw/h2-rss-$server.txt
    bounded timeout $((H2_RSS_SECS + 30)) "${LOAD[@]}" "$PY" "$ROOT/bench/h2streams.py" \
        --target "127.0.0.1:$PPORT" --path /1k --pid "$pid" -n "$n" -m "$H2_STREAMS" \
        -d "$H2_RSS_SECS" >"$out" 2>&1
    if ! kill -0 "$pid" 2>/dev/null; then
        $HELPER skip "$RESULTS" h2-rss "$server" "failed: proxy died during the run"
        return
    fi
    $HELPER h2rss "$RESULTS" "$server" "$out"
}

label() {
    case $1 in
    direct) echo "direct (no proxy)" ;;
    nginx) echo "nginx $NGINX_VERSION" ;;
    mitmdump-8.1.1) echo "mitmdump 8.1.1" ;;
    ours) echo "mitmdump (ours)" ;;
    before) echo "mitmdump (ours, before: $BEFORE)" ;;
    esac
}

# bench_download SCEN SERVER: the 100 MiB downloads. nginx downloads through
# its reverse-proxy config; the mitmdumps as explicit proxies (curl -x), which
# is how a client normally uses them, streaming (download) or holding each
# body whole before sending it on (download-buffered: stream_large_bodies off,
# the default).
bench_download() {
    local scen=$1 server=$2 mode=explicit n=$DLRUNS max=120
    [ "$scen" = download-buffered ] && mode=buffered
    if [ "$mode" = buffered ] && [ "$server" = mitmdump-8.1.1 ]; then
        # 8.1.1 buffers a body in time quadratic in its size (10 MiB: 7 s, 20 MiB:
        # 21 s here); 100 MiB takes minutes, so it gets one try.
        n=$DL_881_BUFFERED_RUNS
        max=$DL_881_BUFFERED_SECS
    fi
    echo "bench: [$scen] $(label "$server")"
    if [ "$server" = direct ]; then
        run_dl "$scen" direct - "$n" "$max" --noproxy '*' "$ORIGIN/100m"
    elif [ "$server" = nginx ]; then
        if start_proxy nginx reverse; then
            run_dl "$scen" nginx "$SPID" "$n" "$max" "http://127.0.0.1:$PPORT/100m"
            stop "$SPID"
        else
            $HELPER skip "$RESULTS" "$scen" nginx "failed to start"
        fi
    elif start_proxy "$server" "$mode"; then
        run_dl "$scen" "$server" "$SPID" "$n" "$max" -x "http://127.0.0.1:$PPORT" "$ORIGIN/100m"
        stop "$SPID"
    else
        $HELPER skip "$RESULTS" "$scen" "$server" "failed to start"
    fi
}

# bench_flowfile SERVER: `mitmdump -n -q -r FILE` and the same with `-w OUT`,
# FLOW_RUNS times each, pinned to PROXY_CPU like the proxies. FILE holds FLOWS
# flows (FLOWS_881 for 8.1.1, which reads about 1,100 flows/s, and runs each
# once), the fixture flow files concatenated over and over. The written file
# must hold every flow.
bench_flowfile() {
    local server=$1 bin=$OURS n=$FLOWS runs=$FLOW_RUNS file mode count line
    local raw=$OUTDIR/raw/flowfile-$server.txt written=$TMP/written.mitm
    if [ "$server" = mitmdump-8.1.1 ]; then
        bin=$MITM881
        n=$FLOWS_881
        runs=1
    fi
    [ "$server" = before ] && bin=$BEFORE
    echo "bench: [flowfile] $(label "$server"), $n flows"
    file=$TMP/flows-$n.mitm
    if [ ! -s "$file" ] && ! $HELPER flowfile "$file" "$n" "$FIXTURES"; then
        $HELPER skip "$RESULTS" flowfile "$server" "cannot build the flow file from $FIXTURES"
        return
    fi
    : >"$raw"
    for _ in $(seq "$runs"); do
        for mode in r rw; do
            local args=(-n -q --set "confdir=$TMP/flowfile-conf" -r "$file")
            rm -f "$written"
            [ "$mode" = rw ] && args+=(-w "$written")
            # One line a run: MODE WALL_S USER_S SYS_S MAXRSS_KIB EXIT FLOWS_WRITTEN
            line=$($HELPER timed "$OUTDIR/raw/flowfile-$server-$mode.log" "${PIN[@]}" "$bin" \
                "${args[@]}")
            count=-
            [ "$mode" = rw ] && count=$($HELPER count "$written")
            echo "$mode $line $count" >>"$raw"
        done
    done
    rm -f "$written"
    $HELPER flows "$RESULTS" "$server" "$raw" "$n"
}

bench_server() {
    local server=$1 scen
    if [ "$server" = direct ]; then
        if want explicit; then
            echo "bench: [explicit] $(label direct)"
            run_wrk explicit direct - "$ORIGIN/1k"
        fi
        if want reverse; then
            echo "bench: [reverse]  $(label direct)"
            run_wrk reverse direct - "$ORIGIN/1k"
        fi
        for scen in download download-buffered; do
            want "$scen" && bench_download "$scen" direct
        done
        if want tls-keepalive; then
            echo "bench: [tls-keepalive] $(label direct)"
            run_tls tls-keepalive direct - keepalive --target "127.0.0.1:$TPORT" \
                --cafile "$TMP/origin.crt"
        fi
        if want tls-newconn; then
            echo "bench: [tls-newconn] $(label direct)"
            run_tls tls-newconn direct - newconn --target "127.0.0.1:$TPORT" \
                --cafile "$TMP/origin.crt"
        fi
        if want tls-resume; then
            echo "bench: [tls-resume] $(label direct)"
            run_tls tls-resume direct - newconn --resume --target "127.0.0.1:$TPORT" \
                --cafile "$TMP/origin.crt"
        fi
        if want h2; then
            echo "bench: [h2] $(label direct)"
            run_h2load h2 direct - "$H2ORIGIN/1k"
        fi
        return
    fi
    if [ "$server" = ours ] && [ ! -x "$OURS" ]; then
        echo "bench: $(label ours): not built ($OURS missing), skipping its rows"
        for scen in "${ONLY[@]}"; do
            $HELPER skip "$RESULTS" "$scen" ours "not built"
        done
        return
    fi
    if want explicit; then
        echo "bench: [explicit] $(label "$server")"
        if start_proxy "$server" explicit; then
            run_wrk explicit "$server" "$SPID" "http://127.0.0.1:$PPORT/" "$ORIGIN/1k" \
                "127.0.0.1:$OPORT"
            stop "$SPID"
        else
            $HELPER skip "$RESULTS" explicit "$server" "failed to start"
        fi
    fi
    if want reverse; then
        echo "bench: [reverse]  $(label "$server")"
        if start_proxy "$server" reverse; then
            run_wrk reverse "$server" "$SPID" "http://127.0.0.1:$PPORT/1k"
            stop "$SPID"
        else
            $HELPER skip "$RESULTS" reverse "$server" "failed to start"
        fi
    fi
    for scen in download download-buffered; do
        want "$scen" && bench_download "$scen" "$server"
    done
    # HTTPS: the mitmdumps intercept CONNECT tunnels, nginx terminates TLS.
    for scen in tls-keepalive tls-newconn tls-resume tls-idle; do
        want "$scen" || continue
        echo "bench: [$scen] $(label "$server")"
        if ! start_proxy "$server" tls; then
            $HELPER skip "$RESULTS" "$scen" "$server" "failed to start"
            continue
        fi
        case $scen in
        tls-idle) run_idle "$server" "$SPID" "${TLSARGS[@]}" --cafile "$PCA" ;;
        tls-resume)
            run_tls "$scen" "$server" "$SPID" newconn --resume "${TLSARGS[@]}" --cafile "$PCA"
            ;;
        *) run_tls "$scen" "$server" "$SPID" "${scen#tls-}" "${TLSARGS[@]}" --cafile "$PCA" ;;
        esac
        stop "$SPID"
    done
    # HTTP/2: TLS reverse proxies, h2 towards the client.
    if want h2; then
        echo "bench: [h2] $(label "$server")"
        if start_proxy "$server" h2; then
            run_h2load h2 "$server" "$SPID" "https://127.0.0.1:$PPORT/1k"
            stop "$SPID"
        else
            $HELPER skip "$RESULTS" h2 "$server" "failed to start"
        fi
    fi
    [ "$server" = nginx ] && return
    local n=$H2_RSS_STREAMS
    [ "$server" = mitmdump-8.1.1 ] && n=$H2_RSS_STREAMS_881
    if want h2-rss; then
        echo "bench: [h2-rss] $(label "$server"), $n streams on one connection"
        if start_proxy "$server" h2; then
            run_h2rss "$server" "$SPID" "$n"
            stop "$SPID"
        else
            $HELPER skip "$RESULTS" h2-rss "$server" "failed to start"
        fi
    fi
    want flowfile && bench_flowfile "$server"
    if want script; then
        echo "bench: [script]   $(label "$server")"
        if start_proxy "$server" script; then
            run_wrk script "$server" "$SPID" "http://127.0.0.1:$PPORT/" "$ORIGIN/1k" \
                "127.0.0.1:$OPORT"
            stop "$SPID"
        else
            $HELPER skip "$RESULTS" script "$server" "failed to start"
        fi
    fi
}

# The script of the script scenario, the same file for both mitmdumps: one
# response hook that sets a header (issue 13's "Fast by design" row).
cat >"$TMP/sethdr.py" <<'PY'
def response(flow):
    flow.response.headers["x-bench"] = "1"
PY

echo "bench: scenarios ${ONLY[*]}; wrk and tlsload.py -c$CONNS -d${SECS}s (+${WARM}s warm-up)," \
    "$DLRUNS x 100 MiB downloads, $IDLE_CONNS idle TLS connections, h2load -c$H2_CONNS" \
    "-m$H2_STREAMS, flow files of $FLOWS flows ($FLOWS_881 for 8.1.1); proxy on CPU $PROXY_CPU," \
    "load and origin on CPU $LOAD_CPU"
SERVERS=(direct nginx mitmdump-8.1.1)
if [ -n "$BEFORE" ]; then
    [ -x "$BEFORE" ] || die "BENCH_OURS_BEFORE: $BEFORE is not an executable"
    SERVERS+=(before)
fi
SERVERS+=(ours)
for server in "${SERVERS[@]}"; do
    bench_server "$server"
done

$HELPER table "$RESULTS" "$OUTDIR/results.md" || die "cannot render the table"
echo "bench: Markdown table in ${OUTDIR#"$ROOT"/}/results.md, raw wrk/curl output in" \
    "${OUTDIR#"$ROOT"/}/raw/"
