#!/bin/bash
# Two builds of mitmweb side by side with one large session: both read the
# same flow file (bench/genflows.py, as bench/webui.sh makes it) at the same
# time, and once both hold every flow the static figures of bench/webui.js
# (first rows with the page's CPU, scrolling, the search filter and clearing
# it) are taken from each in turn, WEBUI_RUNS times, so that both see the
# same load on the machine. Prints each run's JSON and the ranges, with the
# load average. See bench/README.md.
#
# usage: bench/webui_ab.sh BEFORE_MITMWEB AFTER_MITMWEB
#
# Either may instead be the start-up URL (http://...?token=...) of a
# mitmweb already holding the flows, which saves its load.
#
# Environment: WEBUI_FLOWS (1000000), WEBUI_RUNS (3), WEBUI_FILTER
# ("~m POST"), WEBUI_LOAD_TIMEOUT (3600 s), WEBUI_FILE_DIR (/tmp),
# WEBUI_KEEP=1 to leave both running at the end (their URLs are printed).
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 1
. bench/webui_common.sh
ROOT=$PWD
PY=/usr/bin/python3
N=${WEBUI_FLOWS:-1000000}
RUNS=${WEBUI_RUNS:-3}
FILTER=${WEBUI_FILTER:-~m POST}
LOAD_TIMEOUT=${WEBUI_LOAD_TIMEOUT:-3600}
FILES=${WEBUI_FILE_DIR:-/tmp}
OUT=$ROOT/build/bench

[ $# -eq 2 ] || die "usage: bench/webui_ab.sh BEFORE_MITMWEB AFTER_MITMWEB"
webui_need_playwright
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/webui-ab.XXXXXX)
PIDS=()
cleanup() {
    [ "${WEBUI_KEEP:-0}" = 1 ] || for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$TMP/conf-"*
}
trap cleanup EXIT

file=$(webui_flowfile "$N") || exit 1

declare -A URL BASE TOKEN
for side in before after; do
    bin=$1
    shift
    if [[ $bin == http://* ]]; then
        echo "$bin" >"$TMP/$side.log"
        BASE[$side]=${bin%%/\?*}
        continue
    fi
    port=$(free_port)
    "$bin" -r "$file" -p 0 --listen-host 127.0.0.1 --set web_port="$port" \
        --set web_open_browser=false --set confdir="$TMP/conf-$side" >"$TMP/$side.log" 2>&1 &
    PIDS+=($!)
    BASE[$side]="http://127.0.0.1:$port"
done
t0=$(date +%s)
for side in before after; do
    while ! url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]+' "$TMP/$side.log"); do
        [ $(($(date +%s) - t0)) -gt 60 ] && die "$side: no web server: $(tail -n 5 "$TMP/$side.log")"
        sleep 0.2
    done
    URL[$side]=$url
    TOKEN[$side]=${url##*token=}
done
for side in before after; do
    while :; do
        have=$(curl -s --max-time 60 -H "Authorization: Bearer ${TOKEN[$side]}" \
            "${BASE[$side]}/flows?limit=1" |
            $PY -c 'import json,sys; print(json.load(sys.stdin)["total"])' 2>/dev/null)
        [ "${have:-0}" -ge "$N" ] && break
        [ $(($(date +%s) - t0)) -gt "$LOAD_TIMEOUT" ] && die "$side: $have of $N flows"
        sleep 5
    done
    echo "$side: $N flows after $(($(date +%s) - t0)) s: ${URL[$side]}"
done

res="$OUT/webui-ab.jsonl"
: >"$res"
for i in $(seq "$RUNS"); do
    for side in before after; do
        cfg=$($PY -c 'import json,sys; print(json.dumps({"url": sys.argv[1], "target": "ours", "mode": "static", "filter": sys.argv[2], "shot": sys.argv[3]}))' \
            "${URL[$side]}" "$FILTER" "$OUT/webui-ab-$side.png")
        load=$(cut -d' ' -f1 /proc/loadavg)
        timeout 600 node bench/webui.js "$cfg" | tail -n 1 |
            $PY -c 'import json,sys; r=json.loads(sys.stdin.read()); r["side"]=sys.argv[1]; r["load"]=float(sys.argv[2]); print(json.dumps(r))' \
                "$side" "$load" >>"$res"
        tail -n 1 "$res"
    done
done
echo "$N flows, load average $(cut -d' ' -f1-3 /proc/loadavg):"
$PY - "$res" <<'PYEOF'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def get(r, path):
    for k in path.split("."):
        r = r.get(k) if isinstance(r, dict) else None
    return r
rows = [("first rows", "firstRows", " ms"), ("first rows, page CPU", "firstRowsCpu", " ms"),
        ("scroll fps", "scroll.fps", ""), ("scroll worst frame", "scroll.worstFrameMs", " ms"),
        ("scroll frames with rows pending", "scroll.framesWithBlankRows", ""),
        ("filter", "filter.ms", " ms"), ("clear filter", "unfilter.ms", " ms"),
        ("load average", "load", "")]
for label, path, unit in rows:
    cells = []
    for side in ("before", "after"):
        v = [x for x in (get(r, path) for r in runs if r["side"] == side) if isinstance(x, (int, float))]
        cells.append("n/a" if not v else f"{min(v):g}{unit}" if min(v) == max(v) else f"{min(v):g}-{max(v):g}{unit}")
    print(f"  {label:34} before {cells[0]:>16}   after {cells[1]:>16}")
errs = [e for r in runs for e in r.get("errors", [])]
if errs:
    print("  errors:", *errs[:5], sep="\n    ")
PYEOF
