-- wrk script for the benchmark harness (bench/run.sh).
--
-- BENCH_PATH is the request target. For explicit-proxy runs it is an
-- absolute-form URL ("http://127.0.0.1:PORT/1k") while wrk connects to the
-- proxy port, which is how a client talks to an HTTP proxy; wrk would send
-- origin form ("/1k") otherwise. BENCH_HOST, when set, becomes the Host
-- header so that it names the origin rather than the proxy.
--
-- done() prints one machine-readable line, "BENCHJSON {...}", so that the
-- harness does not have to parse wrk's human-oriented summary.

local path = os.getenv("BENCH_PATH")
if path ~= nil and path ~= "" then
    wrk.path = path
end
local host = os.getenv("BENCH_HOST")
if host ~= nil and host ~= "" then
    wrk.headers["Host"] = host
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'BENCHJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
        '"err_connect": %d, "err_read": %d, "err_write": %d, ' ..
        '"err_status": %d, "err_timeout": %d, ' ..
        '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
        summary.requests, summary.duration, summary.bytes,
        e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(99), latency.max))
end
