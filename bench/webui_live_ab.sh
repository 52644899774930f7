#!/bin/bash
# What an open page costs mitmweb per proxied flow, for two builds in one
# run: each in turn holds WEBUI_FLOWS flows (-r, bench/genflows.py) and
# reverse-proxies to a local nginx, its app is open in Debian's chromium
# (bench/webui.js, "live" mode), and wrk sends WEBUI_LIVE_SECONDS of requests
# through the proxy at most WEBUI_RATE a second (bench/webui_load.lua).
# The figure is the mitmweb process's CPU time (user + system, from
# /proc/PID/stat, its every thread) over the page's live run divided by
# the requests wrk completed, so a busy machine that lets fewer requests
# through does not make the cost per flow look lower. The builds alternate
# WEBUI_RUNS times, so both see the same load; the load average is printed
# with every line. WEBUI_NOPAGE=1 measures the same without the page.
#
# usage: bench/webui_live_ab.sh BEFORE_MITMWEB AFTER_MITMWEB
#
# Environment: WEBUI_FLOWS (10000), WEBUI_RUNS (3), WEBUI_RATE (10000),
# WEBUI_LIVE_SECONDS (10), WEBUI_FILE_DIR (/tmp), WEBUI_NOPAGE,
# WEBUI_PERF_DIR (perf record of each live run into DIR/LABEL-RUN.data),
# WEBUI_CALLGRIND=1: each mitmweb runs under callgrind, counting only the
# instructions of the web server's work that the page causes (the
# /updates tick, web__ws_flush, and the list's windows, web__flows_get),
# which the machine's load cannot blur; use a low WEBUI_RATE (200) and a
# small WEBUI_FLOWS (1000) with it. Adds "I instructions/flow" to the line;
# when WEBUI_CALLGRIND is a directory, the profiles are kept there.
# Prints per run:
#   live_ab: LABEL run I: R requests, C ms CPU, U us/flow, F fps, W window reads (load L)
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1
. bench/webui_common.sh
ROOT=$PWD
PY=/usr/bin/python3
N=${WEBUI_FLOWS:-10000}
RUNS=${WEBUI_RUNS:-3}
RATE=${WEBUI_RATE:-10000}
LIVE=${WEBUI_LIVE_SECONDS:-10}
FILES=${WEBUI_FILE_DIR:-/tmp}
CONNS=100
HZ=$(getconf CLK_TCK)

[ $# -eq 2 ] || die "usage: bench/webui_live_ab.sh BEFORE_MITMWEB AFTER_MITMWEB"
webui_need_tools
webui_need_playwright
BINS=("$1" "$2")
LABELS=(before after)
TMP=$(mktemp -d /tmp/webui-live-ab.XXXXXX)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    webui_origin_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

file=$(webui_flowfile "$N") || exit 1

webui_origin_start

for run in $(seq "$RUNS"); do
    for k in 0 1; do
        bin=${BINS[$k]}
        pport=$(free_port)
        wport=$(free_port)
        log="$TMP/log-$k-$run"
        wrap=()
        [ -n "${WEBUI_CALLGRIND:-}" ] && wrap=(valgrind --tool=callgrind --toggle-collect=web__ws_flush
            --toggle-collect=web__flows_get --callgrind-out-file="$TMP/cg-$k-$run.out")
        "${wrap[@]}" "$bin" -r "$file" --mode "reverse:http://127.0.0.1:$OPORT" --listen-host 127.0.0.1 \
            -p "$pport" --set web_port="$wport" --set web_open_browser=false \
            --set confdir="$TMP/conf-$k" >"$log" 2>&1 &
        PID=$!
        # Loaded once it stops using CPU (less than 0.1 s in 2 s).
        sleep 3
        while :; do
            c1=$(cpu_ticks "$PID") || die "${LABELS[$k]}: exited: $(tail -n 5 "$log")"
            sleep 2
            c2=$(cpu_ticks "$PID")
            [ $((c2 - c1)) -lt $((HZ / 10)) ] && break
        done
        url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]+' "$log" | head -n 1)
        [ -n "$url" ] || die "${LABELS[$k]}: no web server: $(tail -n 5 "$log")"
        load=$($PY -c 'import json,sys; print(json.dumps(sys.argv[1:]))' env \
            "WEBUI_DELAY_MS=$((CONNS * 1000 / RATE))" timeout $((LIVE + 30)) wrk -t 2 \
            -c "$CONNS" -d "${LIVE}s" -s "$ROOT/bench/webui_load.lua" "http://127.0.0.1:$pport/")
        c1=$(cpu_ticks "$PID")
        perf_pid=
        if [ -n "${WEBUI_PERF_DIR:-}" ]; then
            mkdir -p "$WEBUI_PERF_DIR"
            perf record -q -g -p "$PID" -o "$WEBUI_PERF_DIR/${LABELS[$k]}-$run.data" \
                -- sleep $((LIVE + 5)) >/dev/null 2>&1 &
            perf_pid=$!
        fi
        if [ -n "${WEBUI_NOPAGE:-}" ]; then
            out=$($PY -c 'import json,subprocess,sys,re
o = subprocess.run(json.loads(sys.argv[1]), capture_output=True, text=True).stdout
m = re.search(r"BENCHJSON (\{.*\})", o)
print(json.dumps({"requests": json.loads(m.group(1))["requests"] if m else 0, "fps": None}))' "$load")
        else
            cfg=$($PY -c 'import json,sys; print(json.dumps({"url": sys.argv[1], "target": "ours", "mode": "live", "load": json.loads(sys.argv[2]), "shot": sys.argv[3]}))' \
                "$url" "$load" "$TMP/shot.png")
            out=$(timeout 600 node bench/webui.js "$cfg" | tail -n 1)
        fi
        c2=$(cpu_ticks "$PID")
        [ -n "$perf_pid" ] && wait "$perf_pid"
        read -r req fps windows < <(echo "$out" | $PY -c 'import json,sys; r=json.load(sys.stdin); print(r.get("requests") or 0, r.get("fps"), r.get("windowReads"))')
        ms=$(((c2 - c1) * 1000 / HZ))
        per=NA
        [ "${req:-0}" -gt 0 ] && per=$(((c2 - c1) * 1000000 / HZ / req))
        line="live_ab: ${LABELS[$k]} run $run: $req requests, $ms ms CPU, $per us/flow, $fps fps, $windows window reads (load $(cut -d' ' -f1 /proc/loadavg))"
        kill -INT "$PID"
        wait "$PID" 2>/dev/null
        PID=
        if [ -n "${WEBUI_CALLGRIND:-}" ]; then
            ins=$(awk '/^(summary|totals):/ {print $2; exit}' "$TMP/cg-$k-$run.out")
            part() { # the inclusive instructions of function $1
                callgrind_annotate --inclusive=yes "$TMP/cg-$k-$run.out" 2>/dev/null |
                    awk -v f="$1" '$0 ~ ":" f " " {gsub(",", "", $1); print $1; exit}'
            }
            fl=$(part web__ws_flush)
            wi=$(part web__flows_get)
            [ "${req:-0}" -gt 0 ] && line="$line, $((ins / req)) instructions/flow (tick $((${fl:-0} / req)), windows $((${wi:-0} / req)))"
            [ -d "$WEBUI_CALLGRIND" ] && cp "$TMP/cg-$k-$run.out" "$WEBUI_CALLGRIND/${LABELS[$k]}-$run.out"
        fi
        echo "$line"
    done
done
