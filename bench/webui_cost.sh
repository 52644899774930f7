#!/bin/bash
# Where a proxied flow's cost goes with mitmweb: the same wrk load as
# bench/webui_live_ab.sh (reverse proxy to a one-worker nginx, WEBUI_RATE
# requests a second at most, bench/webui_load.lua) through each of several
# configurations in turn, WEBUI_RUNS times, so all see the same load:
#
#   dump=BINARY   mitmdump -q (the proxy alone, nothing printed)
#   web=BINARY    mitmweb, no page open
#   page=BINARY   mitmweb with its app open in Debian's chromium on the list
#                 (bench/webui.js, live mode: the page follows the new flows
#                 at the end of the list, as a page never scrolled does)
#   top=BINARY    the same with the page scrolled to the top, where it stays
#
# Each holds WEBUI_FLOWS flows first (-r, bench/genflows.py). The figures are
# the requests wrk completed (and so flows/s), the process's CPU time over
# the run per completed request, and with WEBUI_CALLGRIND=1 the process's
# instructions per completed request over the run (valgrind's callgrind,
# switched on just before wrk starts and dumped when it ends, so the load
# of the file is not counted; use a low WEBUI_RATE, 300, and WEBUI_FLOWS,
# 1000: the page's own reads come every 100 ms whatever the rate, so at a
# low rate they weigh more per flow than at 10,000 a second).
#
# usage: bench/webui_cost.sh KIND=BINARY...   e.g.
#   bench/webui_cost.sh dump=build/mitmdump web=build/mitmweb page=build/mitmweb
#
# Environment: WEBUI_FLOWS (10000), WEBUI_RUNS (3), WEBUI_RATE (10000),
# WEBUI_LIVE_SECONDS (10), WEBUI_FILE_DIR (/tmp), WEBUI_CALLGRIND.
# Prints per run:
#   cost: KIND BINARY run I: R requests (F/s), C ms CPU, U us/flow[, N instructions/flow];
#         others' CPU: wrk W ms, nginx X ms[, chromium B ms], P fps (load L)
# where the others' CPU is sampled over the same run (chromium's from the
# page's start to its end, the browser's start-up included). With
# WEBUI_CALLGRIND set to a directory, the profiles are kept there.
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

[ $# -ge 1 ] || die "usage: bench/webui_cost.sh KIND=BINARY... (KIND: dump, web, page, top)"
webui_need_tools
for a in "$@"; do
    case ${a%%=*} in dump | web | page | top) ;; *) die "unknown kind in $a" ;; esac
    [ -x "${a#*=}" ] || die "not an executable: ${a#*=}"
done
[ -n "${WEBUI_CALLGRIND:-}" ] && { command -v callgrind_control >/dev/null || die "valgrind is missing"; }
TMP=$(mktemp -d /tmp/webui-cost.XXXXXX)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    webui_origin_stop
    rm -rf "$TMP"
}
trap cleanup EXIT

# Samples, every 0.2 s until $1 exists, the CPU ticks of our chromium
# processes (the browser and its renderers, which start and end within the
# run), wrk (both descendants of this script, $2) and the origin nginx
# (master $3 and its workers), and prints for each the sum of what their
# processes used between their first and last samples.
other_ticks() {
    $PY - "$1" "$$" "$(cat "$TMP/origin/nginx.pid")" <<'PYEOF'
import os, sys, time
first, seen = {}, {}
def stat(pid):
    st = open(f"/proc/{pid}/stat").read()
    return st[st.index("(") + 1:st.rindex(")")], st[st.rindex(")") + 2:].split()
def ours(pid, f):
    if f[1] == sys.argv[3] or pid == sys.argv[3]:
        return True
    for _ in range(30):  # up the parents to this script
        if f[1] == sys.argv[2]:
            return True
        if f[1] in ("0", "1"):
            return False
        try:
            f = stat(f[1])[1]
        except OSError:
            return False
    return False
while not os.path.exists(sys.argv[1]):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            comm, f = stat(pid)
        except OSError:
            continue
        kind = next((k for k in ("chrom", "wrk", "nginx") if comm.startswith(k)), None)
        if kind and (pid in seen or ours(pid, f)):
            t = int(f[11]) + int(f[12])
            # chromium starts within the run: all of its time counts.
            first.setdefault(pid, 0 if kind == "chrom" else t)
            seen[pid] = (kind, t)
    time.sleep(0.2)
print(*(sum(t - first[p] for p, (k, t) in seen.items() if k == kind) for kind in ("chrom", "wrk", "nginx")))
PYEOF
}

file=$(webui_flowfile "$N") || exit 1

webui_origin_start

k=0
for run in $(seq "$RUNS"); do
    for a in "$@"; do
        k=$((k + 1))
        kind=${a%%=*}
        bin=${a#*=}
        pport=$(free_port)
        wport=$(free_port)
        log="$TMP/log-$k"
        cg="$TMP/cg-$k"
        wrap=()
        [ -n "${WEBUI_CALLGRIND:-}" ] && wrap=(valgrind --tool=callgrind --instr-atstart=no
            --callgrind-out-file="$cg")
        args=(-r "$file" --mode "reverse:http://127.0.0.1:$OPORT" --listen-host 127.0.0.1
            -p "$pport" --set confdir="$TMP/conf-$k")
        if [ "$kind" = dump ]; then
            args+=(-q)
        else
            args+=(--set web_port="$wport" --set web_open_browser=false)
        fi
        "${wrap[@]}" "$bin" "${args[@]}" >"$log" 2>&1 &
        PID=$!
        # Loaded once it stops using CPU (less than 0.1 s in 2 s).
        sleep 3
        while :; do
            c1=$(cpu_ticks "$PID") || die "$kind $bin: exited: $(tail -n 5 "$log")"
            sleep 2
            c2=$(cpu_ticks "$PID")
            [ $((c2 - c1)) -lt $((HZ / 10)) ] && break
        done
        url=
        if [ "$kind" != dump ]; then
            url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/\?token=[0-9a-f]+' "$log" | head -n 1)
            [ -n "$url" ] || die "$kind $bin: no web server: $(tail -n 5 "$log")"
        fi
        load=$($PY -c 'import json,sys; print(json.dumps(sys.argv[1:]))' env \
            "WEBUI_DELAY_MS=$((CONNS * 1000 / RATE))" timeout $((LIVE + 30)) wrk -t 2 \
            -c "$CONNS" -d "${LIVE}s" -s "$ROOT/bench/webui_load.lua" "http://127.0.0.1:$pport/")
        # Instrumentation on when the load starts: from the page's start
        # (webui.js waits a second after the first rows) or at once.
        [ -n "${WEBUI_CALLGRIND:-}" ] && [ "$kind" != page ] && [ "$kind" != top ] && callgrind_control -i on "$PID" >/dev/null 2>&1
        c1=$(cpu_ticks "$PID")
        rm -f "$TMP/stop"
        other_ticks "$TMP/stop" >"$TMP/others" &
        sampler=$!
        if [ "$kind" = page ] || [ "$kind" = top ]; then
            [ -n "${WEBUI_CALLGRIND:-}" ] && load=$($PY -c 'import json,sys; print(json.dumps(["sh", "-c", "callgrind_control -i on " + sys.argv[2] + " >/dev/null 2>&1; exec \"$0\" \"$@\""] + json.loads(sys.argv[1])))' "$load" "$PID")
            cfg=$($PY -c 'import json,sys; print(json.dumps({"url": sys.argv[1], "target": "ours", "mode": "live", "load": json.loads(sys.argv[2]), "shot": sys.argv[3], "at": sys.argv[4]}))' \
                "$url" "$load" "$TMP/shot.png" "$kind")
            out=$(timeout 600 node bench/webui.js "$cfg" | tail -n 1)
        else
            out=$($PY -c 'import json,subprocess,sys,re
o = subprocess.run(json.loads(sys.argv[1]), capture_output=True, text=True).stdout
m = re.search(r"BENCHJSON (\{.*\})", o)
print(json.dumps({"requests": json.loads(m.group(1))["requests"] if m else 0, "fps": None}))' "$load")
        fi
        c2=$(cpu_ticks "$PID")
        touch "$TMP/stop"
        wait "$sampler"
        read -r tb tw tn <"$TMP/others"
        ins=
        if [ -n "${WEBUI_CALLGRIND:-}" ]; then
            callgrind_control -d "$PID" >/dev/null 2>&1
            ins=$(awk '/^(summary|totals):/ {print $2; exit}' "$cg".1 2>/dev/null)
            [ -d "$WEBUI_CALLGRIND" ] && cp "$cg".1 "$WEBUI_CALLGRIND/$kind-$k.out"
        fi
        read -r req fps reads < <(echo "$out" | $PY -c 'import json,sys; r=json.load(sys.stdin); print(r.get("requests") or 0, r.get("fps"), r.get("windowReads"))')
        ms=$(((c2 - c1) * 1000 / HZ))
        line="cost: $kind $bin run $run: $req requests ($((req / LIVE))/s), $ms ms CPU"
        if [ "${req:-0}" -gt 0 ]; then
            line="$line, $(((c2 - c1) * 1000000 / HZ / req)) us/flow"
            [ -n "$ins" ] && line="$line, $((ins / req)) instructions/flow"
        fi
        line="$line; others' CPU: wrk $((tw * 1000 / HZ)) ms, nginx $((tn * 1000 / HZ)) ms"
        [ "$fps" != None ] && line="$line, chromium $((tb * 1000 / HZ)) ms, $reads window reads"
        echo "$line, $fps fps (load $(cut -d' ' -f1 /proc/loadavg))"
        kill -INT "$PID"
        wait "$PID" 2>/dev/null
        PID=
    done
done
