#!/bin/bash
# Instructions the server spends on GET /flows, whole flows and list rows
# (?list=1), counted by callgrind inside web__flows_get (the route: the
# store's walk and the JSON writer), so the figure does not depend on how
# busy the machine is. Each BINARY is a build of mitmweb; it reads FILE
# (not counted), then each shape is asked for once, in a run of its own.
# Prints one line per binary and shape:
#
#   webui_json: BINARY SHAPE: I instructions (I/N per flow), B bytes
#
# usage: bench/webui_json.sh FILE BINARY...
# Environment: WEBUI_JSON_KEEP (a directory to keep the profiles in, for
# callgrind_annotate: <n>-<shape>.out, n counting the binaries from 1).
# Make FILE with bench/genflows.py FILE 10000 ../shared/fixtures/flows.
set -eu -o pipefail

[ $# -ge 2 ] || { echo "usage: $0 FILE BINARY..." >&2; exit 2; }
command -v valgrind >/dev/null || { echo "webui_json: valgrind not found" >&2; exit 1; }
file=$1
shift
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
k=0
for bin in "$@"; do
    k=$((k + 1))
    for shape in whole list; do
        tmp=$(mktemp -d /tmp/webui_json.XXXXXX)
        web=$(port)
        valgrind --tool=callgrind --toggle-collect=web__flows_get \
            --callgrind-out-file="$tmp/cg.out" "$bin" -r "$file" --no-server \
            --set web_port="$web" --set web_open_browser=false --set confdir="$tmp/conf" \
            >"$tmp/log" 2>&1 &
        pid=$!
        token=
        for _ in $(seq 600); do
            token=$(grep -oE 'token=[0-9a-f]+' "$tmp/log" | head -1 | cut -d= -f2) && [ -n "$token" ] && break
            sleep 0.5
        done
        [ -n "$token" ] || { echo "webui_json: $bin did not start" >&2; cat "$tmp/log" >&2; exit 1; }
        auth="Authorization: Bearer $token"
        # Every flow loaded: readfile.reading turns false.
        for _ in $(seq 1200); do
            r=$(curl -s -H "$auth" -H 'Content-Type: application/json' -d '{"arguments": []}' \
                "http://127.0.0.1:$web/commands/readfile.reading" || true)
            case $r in *false*) break ;; esac
            sleep 0.5
        done
        n=$(curl -s -H "$auth" "http://127.0.0.1:$web/flows?limit=1" |
            /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')
        q=; [ "$shape" = list ] && q='?list=1'
        bytes=$(curl -s -H "$auth" -o /dev/null -w '%{size_download}' "http://127.0.0.1:$web/flows$q")
        kill -INT "$pid"
        wait "$pid" || true
        ins=$(awk '/^(summary|totals):/ {print $2; exit}' "$tmp/cg.out")
        echo "webui_json: $bin $shape: $ins instructions ($((ins / n)) per flow), $bytes bytes, $n flows"
        [ -n "${WEBUI_JSON_KEEP:-}" ] && mkdir -p "$WEBUI_JSON_KEEP" &&
            cp "$tmp/cg.out" "$WEBUI_JSON_KEEP/$k-$shape.out"
        rm -rf "$tmp"
    done
done
