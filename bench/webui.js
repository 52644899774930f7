// Times a mitmweb page in Debian's chromium (playwright-core from
// tests/e2e/webui/node_modules, never a downloaded browser), for
// bench/webui.sh: node bench/webui.js CONFIG_JSON, where CONFIG is
//   {url, target: "ours" | "811", mode: "static" | "live", filter, load, seconds}
// and the last line of stdout is one JSON object of figures.
//
// static: a fresh page; first rows (ms from the navigation to the first flow
//   row in the DOM, and the renderer main thread's CPU time by then),
//   scrolling (frames per second while the list is scrolled
//   by about 100 rows a frame for 3 s, the worst frame, and for ours the
//   frames that showed rows still being fetched), then the search filter
//   (ms from setting it to the first screen of matching rows) and clearing it.
// live: a page with the list showing (at: "top" keeps it at the top; else
//   ours follows the new flows at the end), then `load` (an argv run to its end,
//   bounded by the caller) makes traffic while the page is watched: frames
//   (fps, worst frame, frames over 50 ms) and every flow message on the
//   WebSocket (messages, flows, and the latency from the newest flow's
//   creation on the server to its arrival in the page), and for ours the
//   windows of the list the page reads (the same latency for the newest flow
//   they bring: a batch of more than 500 flows only says how many there
//   are). Both run on one machine, so the clocks agree.
const path = require('path');
const { spawn } = require('child_process');
const { chromium } = require(path.join(__dirname, '..', 'tests', 'e2e', 'webui', 'node_modules', 'playwright-core'));

const cfg = JSON.parse(process.argv[2]);
const SEL = {
    ours: {
        row: '.flow-row:not(.placeholder)',
        placeholder: '.flow-row.placeholder',
        scroll: '.flow-table-body',
        search: 'input[data-filter=search]',
        method: '.col-method',
    },
    // mitmweb 8.1.1: a table whose first and last rows are spacers.
    811: {
        row: '.flow-table tbody tr:has(td)',
        placeholder: null,
        scroll: '.flow-table',
        search: '.filter-input input',
        method: 'td.col-method',
    },
}[cfg.target];

// Installed before the app's scripts: notes when the first row appears and
// watches the WebSocket's flow messages (ours: flows/batch; 8.1.1: one
// {resource: "flows", cmd: "add"} per flow).
function pageHooks(sel) {
    window.bench = { firstRows: null, batches: 0, overflows: 0, flows: 0, lat: [], windows: 0, windowLat: [] };
    new MutationObserver((_m, obs) => {
        if (document.querySelector(sel.row)) {
            window.bench.firstRows = performance.now();
            obs.disconnect();
        }
    }).observe(document, { subtree: true, childList: true });
    const Native = window.WebSocket;
    window.WebSocket = function (...args) {
        const ws = new Native(...args);
        ws.addEventListener('message', (ev) => {
            const b = window.bench;
            if (!b.watch) return;
            let m;
            try {
                m = JSON.parse(ev.data);
            } catch {
                return;
            }
            const now = Date.now() / 1000;
            let added = [];
            if (m.type === 'flows/batch') {
                added = m.payload.add ?? [];
                if (m.payload.overflow) b.overflows++;
            } else if (m.type === 'flows/add' || (m.resource === 'flows' && m.cmd === 'add')) {
                const f = m.payload?.flow ?? m.payload ?? m.data;
                if (f) added = [f];
            } else return;
            b.batches++;
            if (!added.length) return;
            b.flows += added.length;
            // The newest flow of the message: how long the UI lags behind.
            const newest = Math.max(...added.map((f) => f.timestamp_created ?? 0));
            if (newest) b.lat.push((now - newest) * 1000);
        });
        return ws;
    };
    window.WebSocket.prototype = Native.prototype;
    // Ours also reads windows of the list (GET /flows?offset=...), after an
    // overflowing batch among others: how old is the newest flow they bring?
    const nativeFetch = window.fetch;
    window.fetch = async (...args) => {
        const res = await nativeFetch(...args);
        const b = window.bench;
        if (b.watch && String(args[0]).includes('flows?')) {
            const now = Date.now() / 1000;
            res.clone().json().then((j) => {
                const newest = Math.max(0, ...(j.flows ?? []).map((f) => f.timestamp_created ?? 0));
                b.windows++;
                // Only windows that show a flow made while watched say anything.
                if (newest > b.since) b.windowLat.push((now - newest) * 1000);
            }).catch(() => {});
        }
        return res;
    };
    Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
}

function pct(xs, p) {
    if (!xs.length) return null;
    const s = [...xs].sort((a, b) => a - b);
    return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]);
}

// The page's main thread's CPU time so far (ms): on a loaded machine the
// wall time is mostly waiting for a core, this is what the page cost.
async function cpuMs(cdp) {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const t = metrics.find((m) => m.name === 'ThreadTime');
    return t ? Math.round(t.value * 1000) : null;
}

async function staticFigures(page) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(cfg.url);
    await page.waitForSelector(SEL.row, { timeout: 180000 });
    const firstRowsCpu = await cpuMs(cdp);
    const firstRows = Math.round(await page.evaluate(() => window.bench.firstRows));
    await page.waitForTimeout(500);
    const scroll = await page.evaluate((sel) => new Promise((resolve) => {
        const el = document.querySelector(sel.scroll);
        let frames = 0;
        let worst = 0;
        let blank = 0;
        const start = performance.now();
        let last = start;
        function step(t) {
            worst = Math.max(worst, t - last);
            last = t;
            frames++;
            if (sel.placeholder && document.querySelector(sel.placeholder)) blank++;
            el.scrollTop += 2600; // about 100 rows a frame
            if (t - start < 3000) requestAnimationFrame(step);
            else resolve({ fps: +(frames * 1000 / (t - start)).toFixed(1), worstFrameMs: Math.round(worst), framesWithBlankRows: blank, frames });
        }
        requestAnimationFrame(step);
    }), SEL);
    await page.evaluate((sel) => { document.querySelector(sel.scroll).scrollTop = 0; }, SEL);
    await page.waitForTimeout(500);
    // From setting the search box to a screen of rows that all match
    // (posts), or, for the empty filter, to a screen that is not all posts.
    const filterTo = (value) => page.evaluate(({ sel, value }) => new Promise((resolve) => {
        const input = document.querySelector(sel.search);
        const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
        const t0 = performance.now();
        set.call(input, value);
        input.dispatchEvent(new Event('input', { bubbles: true }));
        input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
        const check = () => {
            const methods = [...document.querySelectorAll(sel.row)].map((r) => r.querySelector(sel.method)?.textContent.trim());
            const pending = sel.placeholder && document.querySelector(sel.placeholder);
            const done = !pending && methods.length > 0 && (value ? methods.every((m) => m === 'POST') : methods.some((m) => m !== 'POST'));
            if (done) resolve({ ms: Math.round(performance.now() - t0), rows: methods.length });
            else if (performance.now() - t0 > 120000) resolve({ timedOut: true });
            else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
    }), { sel: SEL, value });
    const filter = await filterTo(cfg.filter ?? '~m POST');
    const unfilter = await filterTo('');
    const total = cfg.target === 'ours' ? await page.$eval('.flow-count', (e) => Number(e.dataset.total)) : null;
    return { firstRows, firstRowsCpu, scroll, filter, unfilter, total };
}

async function liveFigures(page) {
    await page.goto(cfg.url);
    await page.waitForSelector(SEL.row, { timeout: 180000 });
    if (cfg.at === 'top') {
        // Ours follows new flows from a page that was never scrolled; a
        // scroll at the top says the user reads there.
        await page.evaluate((sel) => { document.querySelector(sel.scroll).scrollTop = 1; }, SEL);
        await page.waitForTimeout(100);
        await page.evaluate((sel) => { document.querySelector(sel.scroll).scrollTop = 0; }, SEL);
    }
    await page.waitForTimeout(1000);
    await page.evaluate(() => {
        const b = window.bench;
        b.watch = true;
        b.since = Date.now() / 1000;
        b.frames = 0;
        b.worst = 0;
        b.long = 0;
        b.start = performance.now();
        let last = b.start;
        const step = (t) => {
            b.worst = Math.max(b.worst, t - last);
            if (t - last > 50) b.long++;
            last = t;
            b.frames++;
            b.end = t;
            if (b.watch) requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
    });
    const t0 = Date.now();
    const load = await new Promise((resolve) => {
        const p = spawn(cfg.load[0], cfg.load.slice(1));
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        p.on('close', () => resolve(out));
    });
    const loadSeconds = (Date.now() - t0) / 1000;
    // What is still on its way arrives within a few ticks.
    await page.waitForTimeout(2000);
    const b = await page.evaluate(() => {
        const b = window.bench;
        b.watch = false;
        return { frames: b.frames, ms: b.end - b.start, worst: b.worst, long: b.long, batches: b.batches, overflows: b.overflows, flows: b.flows, lat: b.lat, windows: b.windows, windowLat: b.windowLat };
    });
    const m = /BENCHJSON (\{.*\})/.exec(load);
    const wrk = m ? JSON.parse(m[1]) : { raw: load.slice(-500) };
    const shown = cfg.target === 'ours' ? await page.$eval('.flow-count', (e) => Number(e.dataset.total)) : null;
    return {
        offered: wrk.requests !== undefined ? Math.round(wrk.requests / (wrk.duration_us / 1e6)) : null,
        requests: wrk.requests ?? null,
        loadSeconds,
        fps: +(b.frames * 1000 / b.ms).toFixed(1),
        worstFrameMs: Math.round(b.worst),
        framesOver50ms: b.long,
        messages: b.batches,
        overflowBatches: b.overflows,
        flowsReceived: b.flows,
        latencyMs: { p50: pct(b.lat, 50), p95: pct(b.lat, 95), max: pct(b.lat, 100) },
        windowReads: b.windows,
        atTop: cfg.target === 'ours' ? await page.$eval(SEL.scroll, (e) => e.scrollTop === 0) : null,
        windowLatencyMs: { p50: pct(b.windowLat, 50), p95: pct(b.windowLat, 95), max: pct(b.windowLat, 100) },
        countShown: shown,
    };
}

(async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 820 } })).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(pageHooks, SEL);
    let result;
    try {
        result = cfg.mode === 'live' ? await liveFigures(page) : await staticFigures(page);
        if (cfg.shot) await page.screenshot({ path: cfg.shot });
    } catch (e) {
        errors.push(String(e.stack ?? e));
    }
    await browser.close();
    console.log(JSON.stringify({ ...result, errors }));
})();
