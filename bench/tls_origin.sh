# Sourced by bench/tlsperf.sh, bench/tlscallgrind.sh and bench/tlsmassif.sh:
# what they share.
# tls_bench_init NAME makes TMP (/tmp/NAME.XXXXXX), PIDS (the processes to
# kill on exit, with TMP) and port() (a free port, bench/bench.py); needs
# PY and ROOT.
# tls_origin_start [PREFIX...] makes an ECDSA P-256
# certificate ($TMP/origin.crt, .key), writes $TMP/origin/nginx.conf (nginx
# serving $TMP/www/1k over TLS on a free port, TPORT), starts it (after
# PREFIX, e.g. taskset), adds its pid to PIDS and waits up to 5 s for it to
# answer. Fails only when the certificate cannot be made. The origin speaks
# what nginx 1.22 speaks by default, up to TLS 1.2; with TLS_ORIGIN_TLS13=1
# it speaks TLS 1.3 too, as most servers now do.
# Needs TMP, PIDS and port() (tls_bench_init).
tls_bench_init() {
    TMP=$(mktemp -d "/tmp/$1.XXXXXX")
    PIDS=""
    trap tls_bench_cleanup EXIT
}

tls_bench_cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}

port() { $PY "$ROOT/bench/bench.py" port; }

tls_origin_start() {
    mkdir -p "$TMP/www" "$TMP/origin/tmp"
    head -c 1024 /dev/zero | tr '\0' x >"$TMP/www/1k"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3 \
        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$TMP/origin.key" -out "$TMP/origin.crt" 2>/dev/null || return 1
    TPORT=$(port)
    local protocols=""
    [ "${TLS_ORIGIN_TLS13:-0}" = 1 ] && protocols="ssl_protocols TLSv1.2 TLSv1.3;"
    cat >"$TMP/origin/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $TMP/origin/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/origin/tmp;
    proxy_temp_path $TMP/origin/tmp;
    fastcgi_temp_path $TMP/origin/tmp;
    uwsgi_temp_path $TMP/origin/tmp;
    scgi_temp_path $TMP/origin/tmp;
    server {
        listen 127.0.0.1:$TPORT ssl;
        $protocols
        ssl_certificate $TMP/origin.crt;
        ssl_certificate_key $TMP/origin.key;
        root $TMP/www;
    }
}
CONF
    "$@" nginx -p "$TMP/origin/" -c "$TMP/origin/nginx.conf" -e "$TMP/origin/error.log" \
        >/dev/null 2>&1 &
    PIDS="$PIDS $!"
    for _ in $(seq 50); do
        curl -s -o /dev/null --cacert "$TMP/origin.crt" "https://127.0.0.1:$TPORT/1k" && break
        sleep 0.1
    done
}
