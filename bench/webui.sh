#!/bin/bash
# The web UI with a large session, in Debian's chromium (bench/webui.js):
# first rows, scrolling and a filter with N flows in the store, then a
# bounded stream of new flows (wrk at WEBUI_RATE per second through the
# proxy, bench/webui_load.lua) into an open page. Each figure is taken
# WEBUI_RUNS times; the ranges are printed and every run's JSON is kept in
# build/bench/webui-<target>.jsonl. See bench/README.md.
#
# usage: bench/webui.sh [ours|811]...   (default: both)
#
# Environment:
#   WEBUI_FLOWS        flows in the store for ours (default 1000000)
#   WEBUI_FLOWS_811    flows for mitmweb 8.1.1 (default 20000; it holds the
#                      whole list in the browser, about 1.6 KB of JSON a flow)
#   WEBUI_RUNS         runs of each figure (default 3)
#   WEBUI_RATE         new flows per second offered in the live runs (default 10000)
#   WEBUI_LIVE_SECONDS length of each live run (default 10)
#   WEBUI_FILTER       the search filter (default "~m POST")
#   WEBUI_LOAD_TIMEOUT seconds to wait for -r to fill the store (default 1800)
#   WEBUI_OURS         our binary (default build/mitmweb)
#   WEBUI_MITMWEB_811  mitmweb 8.1.1 (default /usr/bin/mitmweb)
#   WEBUI_FILE_DIR     where the generated flow files are kept (default /tmp)
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1
. bench/webui_common.sh
ROOT=$PWD
PY=/usr/bin/python3
N=${WEBUI_FLOWS:-1000000}
N811=${WEBUI_FLOWS_811:-20000}
RUNS=${WEBUI_RUNS:-3}
RATE=${WEBUI_RATE:-10000}
LIVE=${WEBUI_LIVE_SECONDS:-10}
FILTER=${WEBUI_FILTER:-~m POST}
LOAD_TIMEOUT=${WEBUI_LOAD_TIMEOUT:-1800}
OURS=${WEBUI_OURS:-build/mitmweb}
MW811=${WEBUI_MITMWEB_811:-/usr/bin/mitmweb}
FILES=${WEBUI_FILE_DIR:-/tmp}
CONNS=100
OUT=$ROOT/build/bench
case $OURS in /*) ;; *) OURS=$ROOT/$OURS ;; esac
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(ours 811)

webui_need_tools
webui_need_playwright
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/webui-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    webui_origin_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

webui_origin_start

# wait_log FILE REGEX SECONDS: the first match's first group
wait_log() {
    local t=0
    while [ "$t" -lt $(($3 * 10)) ]; do
        local m
        m=$(grep -oE "$2" "$1" 2>/dev/null | head -n 1)
        [ -n "$m" ] && { echo "$m"; return 0; }
        sleep 0.1
        t=$((t + 1))
    done
    return 1
}

# count_flows TARGET BASE TOKEN: the flows the server holds now
count_flows() {
    if [ "$1" = ours ]; then
        curl -s --max-time 60 -H "Authorization: Bearer $3" "$2/flows?limit=1" |
            $PY -c 'import json,sys; print(json.load(sys.stdin)["total"])' 2>/dev/null
    else
        # view.properties.length, not GET /flows: 8.1.1 takes seconds to
        # serialize 20,000 flows, which would slow the load it waits for.
        $PY - "$2" 2>/dev/null <<'PYEOF'
import http.cookiejar, json, sys, urllib.request
jar = http.cookiejar.CookieJar()
o = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
o.open(sys.argv[1] + "/", timeout=60).read()
xsrf = next(c.value for c in jar if c.name == "_xsrf")
req = urllib.request.Request(sys.argv[1] + "/commands/view.properties.length",
                             data=b'{"arguments": []}', method="POST",
                             headers={"Content-Type": "application/json", "X-XSRFToken": xsrf})
print(json.load(o.open(req, timeout=60))["value"])
PYEOF
    fi
}

summary() { # FILE: the ranges of the runs' figures
    $PY - "$1" <<'PYEOF'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def get(r, path):
    for k in path.split("."):
        r = r.get(k) if isinstance(r, dict) else None
    return r
def rng(mode, path, unit):
    v = [get(r, path) for r in runs if r.get("mode") == mode]
    v = [x for x in v if isinstance(x, (int, float))]
    if not v:
        return "n/a"
    lo, hi = min(v), max(v)
    return (f"{lo:g}{unit}" if lo == hi else f"{lo:g}-{hi:g}{unit}") + f" ({len(v)} runs)"
static = [("first rows", "firstRows", " ms"), ("first rows, page CPU", "firstRowsCpu", " ms"),
          ("scroll fps", "scroll.fps", ""),
          ("scroll worst frame", "scroll.worstFrameMs", " ms"),
          ("scroll frames with rows pending", "scroll.framesWithBlankRows", ""),
          ("filter", "filter.ms", " ms"), ("clear filter", "unfilter.ms", " ms")]
live = [("new flows/s offered", "offered", ""), ("fps", "fps", ""),
        ("worst frame", "worstFrameMs", " ms"), ("frames over 50 ms", "framesOver50ms", ""),
        ("flow messages", "messages", ""), ("of which overflowing", "overflowBatches", ""),
        ("flows in messages", "flowsReceived", ""),
        ("message latency p50", "latencyMs.p50", " ms"),
        ("message latency p95", "latencyMs.p95", " ms"),
        ("message latency max", "latencyMs.max", " ms"),
        ("window reads", "windowReads", ""),
        ("window latency p50", "windowLatencyMs.p50", " ms"),
        ("window latency p95", "windowLatencyMs.p95", " ms"),
        ("window latency max", "windowLatencyMs.max", " ms"),
        ("count shown at the end", "countShown", "")]
for mode, rows in (("static", static), ("live-inject", live), ("live-proxy", live)):
    for label, path, unit in rows:
        print(f"  {mode:11} {label:32} {rng(mode, path, unit)}")
errs = [e for r in runs for e in r.get("errors", [])]
if errs:
    print("  errors:", *errs[:5], sep="\n    ")
PYEOF
}

for target in "${TARGETS[@]}"; do
    case $target in
    ours) n=$N ;;
    811) n=$N811 ;;
    *) die "unknown target $target (ours or 811)" ;;
    esac
    file=$(webui_flowfile "$n") || exit 1
    pport=$(free_port)
    wport=$(free_port)
    log="$TMP/$target.log"
    t0=$(date +%s.%N)
    if [ "$target" = ours ]; then
        "$OURS" -r "$file" --mode "reverse:http://127.0.0.1:$OPORT" --listen-host 127.0.0.1 \
            -p "$pport" --set web_port="$wport" --set web_open_browser=false \
            --set confdir="$TMP/conf-$target" >"$log" 2>&1 &
    else
        "$MW811" -q -r "$file" --mode "reverse:http://127.0.0.1:$OPORT" --listen-host 127.0.0.1 \
            -p "$pport" --web-port "$wport" --no-web-open-browser \
            --set confdir="$TMP/conf-$target" >"$log" 2>&1 &
    fi
    PIDS+=($!)
    base="http://127.0.0.1:$wport"
    token=""
    if [ "$target" = ours ]; then
        url=$(wait_log "$log" 'http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]+' "$LOAD_TIMEOUT") ||
            die "$target: no web server: $(tail -n 5 "$log")"
        token=${url##*token=}
    else
        url="$base/"
    fi
    # Measured from the moment the store holds every flow.
    deadline=$(($(date +%s) + LOAD_TIMEOUT))
    while :; do
        have=$(count_flows "$target" "$base" "$token")
        [ "${have:-0}" -ge "$n" ] && break
        [ "$(date +%s)" -ge "$deadline" ] && die "$target: $have of $n flows after ${LOAD_TIMEOUT}s"
        sleep 2
    done
    loaded=$(echo "$(date +%s.%N) - $t0" | bc)
    rss=$(ps -o rss= -p "${PIDS[-1]}" | tr -d ' ')
    echo "$target: $n flows in the store after ${loaded}s (RSS $((rss / 1024)) MB)"
    res="$OUT/webui-$target.jsonl"
    : >"$res"
    for i in $(seq "$RUNS"); do
        cfg=$($PY -c 'import json,sys; print(json.dumps({"url": sys.argv[1], "target": sys.argv[2], "mode": "static", "filter": sys.argv[3], "shot": sys.argv[4]}))' \
            "$url" "$target" "$FILTER" "$OUT/webui-$target-static.png")
        timeout 600 node bench/webui.js "$cfg" | tail -n 1 |
            $PY -c 'import json,sys; r=json.loads(sys.stdin.read()); r["mode"]="static"; print(json.dumps(r))' >>"$res"
        tail -n 1 "$res"
    done
    # New flows while the page watches: loaded from files at RATE (what the
    # UI does with them), then made by wrk through the proxy (what the
    # proxy manages here, at most RATE).
    for kind in inject proxy; do
        for i in $(seq "$RUNS"); do
            if [ $kind = inject ]; then
                ifile=$(webui_flowfile "$((RATE * LIVE))-$i") || exit 1
                load=$($PY -c 'import json,sys; print(json.dumps(sys.argv[1:]))' timeout $((LIVE + 120)) \
                    $PY "$ROOT/bench/webui_inject.py" "$base" "${token:--}" "$ifile" "$RATE" "$LIVE")
            else
                load=$($PY -c 'import json,sys; print(json.dumps(sys.argv[1:]))' env \
                    "WEBUI_DELAY_MS=$((CONNS * 1000 / RATE))" timeout $((LIVE + 30)) wrk -t 2 \
                    -c "$CONNS" -d "${LIVE}s" -s "$ROOT/bench/webui_load.lua" "http://127.0.0.1:$pport/")
            fi
            cfg=$($PY -c 'import json,sys; print(json.dumps({"url": sys.argv[1], "target": sys.argv[2], "mode": "live", "load": json.loads(sys.argv[3]), "shot": sys.argv[4]}))' \
                "$url" "$target" "$load" "$OUT/webui-$target-live-$kind.png")
            timeout 600 node bench/webui.js "$cfg" | tail -n 1 |
                $PY -c 'import json,sys; r=json.loads(sys.stdin.read()); r["mode"]=sys.argv[1]; print(json.dumps(r))' "live-$kind" >>"$res"
            tail -n 1 "$res"
        done
    done
    echo "$target ($n flows, load average $(cut -d' ' -f1-3 /proc/loadavg)):"
    summary "$res"
    kill "${PIDS[-1]}" 2>/dev/null
    wait "${PIDS[-1]}" 2>/dev/null
done
