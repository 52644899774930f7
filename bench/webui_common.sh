# Sourced by bench/webui.sh, webui_ab.sh, webui_cost.sh and webui_live_ab.sh
# (from the repository's root): what the web UI benches share.
#   die MESSAGE          the message, after the script's name, then exit 1
#   webui_need_tools     die unless node, wrk, nginx, curl and chromium are there
#   webui_need_playwright  die unless tests/e2e/webui has playwright-core
#   cpu_ticks PID        the process's CPU time so far (utime + stime), in ticks
#   free_port            a free TCP port on 127.0.0.1
#   webui_flowfile N[-K] the path of a generated file of N flows in $FILES
#                        (bench/genflows.py, written once; K: another one).
#                        It runs in $(...), where die ends only the subshell,
#                        so call it as  file=$(webui_flowfile N) || exit 1
#   webui_origin_start   the origin: one nginx worker (a daemon, its pid in
#                        $TMP/origin/nginx.pid) answering every path with a
#                        short text on 127.0.0.1:$OPORT
#   webui_origin_stop    stops it, if it was started
# Needs PY, FILES and TMP from the caller.
die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

webui_need_tools() {
    local c
    for c in node wrk nginx curl /usr/bin/chromium; do
        command -v "$c" >/dev/null || die "$c is missing"
    done
}

webui_need_playwright() {
    [ -d tests/e2e/webui/node_modules/playwright-core ] ||
        die "playwright-core is missing: (cd tests/e2e/webui && npm ci)"
}

cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat"
}

free_port() {
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

webui_flowfile() {
    local f="$FILES/webui-$1.mitm"
    [ -d "$FILES" ] && [ -w "$FILES" ] ||
        die "WEBUI_FILE_DIR: $FILES is not a writable directory"
    if [ ! -s "$f" ]; then
        echo "writing $f (${1%-*} flows)" >&2
        $PY bench/genflows.py "$f" "${1%-*}" >&2 || die "genflows.py failed"
    fi
    echo "$f"
}

webui_origin_start() {
    OPORT=$(free_port)
    mkdir -p "$TMP/origin/tmp"
    cat >"$TMP/origin/nginx.conf" <<CONF
daemon on;
worker_processes 1;
pid $TMP/origin/nginx.pid;
error_log $TMP/origin/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/origin/tmp;
    proxy_temp_path $TMP/origin/tmp;
    fastcgi_temp_path $TMP/origin/tmp;
    uwsgi_temp_path $TMP/origin/tmp;
    scgi_temp_path $TMP/origin/tmp;
    server {
        listen 127.0.0.1:$OPORT;
        keepalive_requests 1000000;
        location / { return 200 "ok\n"; }
    }
}
CONF
    nginx -p "$TMP/origin/" -c "$TMP/origin/nginx.conf" -e "$TMP/origin/error.log" ||
        die "origin nginx did not start"
}

webui_origin_stop() {
    [ -f "$TMP/origin/nginx.pid" ] && kill "$(cat "$TMP/origin/nginx.pid")" 2>/dev/null
}
