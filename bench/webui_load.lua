-- wrk script for bench/webui.sh: a bounded rate of new flows. Each of wrk's
-- connections waits WEBUI_DELAY_MS between its requests (wrk's delay()),
-- so the rate is at most connections * 1000 / WEBUI_DELAY_MS per second;
-- wrk's -d bounds the time. done() prints one "BENCHJSON {...}" line.

local delay_ms = tonumber(os.getenv("WEBUI_DELAY_MS") or "10")
local counter = 0

function request()
    counter = counter + 1
    return wrk.format("GET", "/webui/" .. counter)
end

function delay()
    return delay_ms
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'BENCHJSON {"requests": %d, "duration_us": %d, "err_connect": %d, "err_read": %d, ' ..
        '"err_status": %d, "err_timeout": %d, "p50_us": %d, "p99_us": %d}\n',
        summary.requests, summary.duration, e.connect, e.read, e.status, e.timeout,
        latency:percentile(50), latency:percentile(99)))
end
