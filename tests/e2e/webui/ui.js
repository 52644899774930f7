// Drives Debian's chromium (never a downloaded browser) through mitmweb's
// app for tests/e2e/test_web_ui.py: node ui.js CONFIG_JSON
//   CONFIG = {url, proxy, origin, shots, scenario, download, har, assets, timezone}
// (assets: serve the app from that directory instead of the server's
// embedded copy, to run it over another server such as mitmweb 8.1.1.)
// Each scenario makes real traffic with curl through the proxy and checks
// the page; the last line of stdout is a JSON result for the Python side.
// Any page error or console error fails the run.
const { chromium } = require('playwright-core');
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { fling } = require('./fling');

const cfg = JSON.parse(process.argv[2]);
const errors = [];
let page;
// The /updates WebSocket's URL and the text frames it received.
let wsUrl = null;
const wsFrames = [];
// Set while a step provokes an error on purpose (a bad filter answers 400,
// which the browser logs as a console error).
let expected = null;

function curl(urlPath, extra = []) {
    const args = ['-s', '-S', '--max-time', '60', '-x', cfg.proxy, ...extra, cfg.origin + urlPath];
    const p = spawn('curl', args);
    const res = { out: '', err: '', code: null };
    p.stdout.on('data', (d) => (res.out += d));
    p.stderr.on('data', (d) => (res.err += d));
    res.done = new Promise((resolve) => p.on('close', (code) => { res.code = code; resolve(res); }));
    return res;
}

async function rows() {
    return page.$$eval('.flow-row:not(.placeholder)', (els) =>
        els.map((e) => ({
            id: e.dataset.id,
            path: e.querySelector('.col-path')?.textContent ?? '',
            cls: e.className,
            replay: !!e.querySelector('.badge.replay'),
        })));
}

// The flow's JSON as the server has it now (GET /flows, the page's own auth).
async function flowJson(id) {
    return page.evaluate(async (id) => (await (await fetch('./flows')).json()).find((f) => f.id === id), id);
}

async function waitRows(pred, what, timeout = 20000) {
    const t0 = Date.now();
    for (;;) {
        const r = await rows();
        if (pred(r)) return r;
        if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}; rows: ${JSON.stringify(r)}`);
        await page.waitForTimeout(100);
    }
}

async function shot(name) {
    if (!cfg.shots) return;
    fs.mkdirSync(cfg.shots, { recursive: true });
    await page.screenshot({ path: path.join(cfg.shots, name + '.png') });
}

async function clickRow(match) {
    const r = await waitRows((rs) => rs.some((x) => x.path.includes(match)), `a row with ${match}`);
    const row = r.find((x) => x.path.includes(match));
    await page.click(`.flow-row[data-id="${row.id}"]`);
    await page.waitForSelector(`.flow-detail[data-flow="${row.id}"]`);
    return row;
}

async function setFilter(name, value) {
    const input = page.locator(`input[data-filter=${name}]`);
    await input.fill(value);
    await input.press('Enter');
}

const scenarios = {
    // A store of many flows (the test loads them with -r): the table is
    // flung with the wheel's momentum and by dragging the scrollbar, and
    // each fling's blank frames are counted (fling.js). The screen at the
    // end shows the rows of its place.
    fling: async () => {
        await page.waitForSelector('.flow-row:not(.placeholder)');
        const out = {};
        // With 50,000 rows of 26 px the range is 1.3 million px: 0.06 of it
        // in 120 frames is 25 rows a frame for 2 s.
        // The wheel goes first: an ASan server's first windows after -r are
        // several times slower than the next ones.
        const flings = {
            wheel: { kind: 'wheel', px: 1300, decay: 0.97, from: 0.3 },
            steady: { kind: 'drag', fraction: 0.06, frames: 120, from: 0.1 },
            steadyUp: { kind: 'drag', fraction: -0.06, frames: 120, from: 0.8 },
            drag: { kind: 'drag', fraction: 0.3, frames: 30, from: 0.4 },
        };
        for (const [name, spec] of Object.entries(flings)) {
            out[name] = await page.evaluate(fling, spec);
            // The screen at the end: consecutive rows, each with its path.
            out[name].indexes = await page.$$eval('.flow-row[data-index]', (els) =>
                els.map((e) => Number(e.dataset.index)));
            out[name].paths = await page.$$eval('.flow-row[data-index] .col-path', (els) =>
                els.filter((e) => e.textContent.trim()).length);
        }
        await shot('fling');
        return out;
    },
    // The list fills as curl's requests pass.
    async live() {
        await waitRows((r) => r.length === 0, 'an empty list');
        for (const i of [1, 2, 3]) {
            await curl(`/hello/${i}`).done;
            await waitRows((r) => r.length === i, `${i} rows`);
        }
        const r = await rows();
        await shot('flow-list');
        const version = await page.textContent('.footer .version');
        const versionTitle = await page.getAttribute('.footer .version', 'title');
        return { paths: r.map((x) => x.path), version, versionTitle };
    },

    // The list tells the server which rows it shows (flows/window): a page
    // at the end of the list follows new flows; a page at the top sees the
    // count grow without reading rows again or being sent any, and finds the
    // new rows when it scrolls to them.
    async window() {
        const count = () => page.$eval('.flow-count', (e) => Number(e.dataset.total));
        const waitCount = async (n) => {
            const t0 = Date.now();
            while ((await count()) !== n) {
                if (Date.now() - t0 > 30000) throw new Error(`timed out waiting for ${n} flows; ${await count()}`);
                await page.waitForTimeout(100);
            }
        };
        const burst = async (from, to) => {
            for (let i = from; i <= to; i += 10) {
                const n = Math.min(10, to - i + 1);
                await Promise.all([...Array(n)].map((_, k) => curl(`/w/${i + k}`).done));
            }
        };
        // More than a screen (820 px of 26 px rows), into a page that opened
        // on an empty list and so follows its end.
        await burst(1, 60);
        await waitCount(60);
        for (let i = 61; i <= 65; i++) await curl(`/w/${i}`).done;
        const following = await waitRows((r) => r.some((x) => x.path.endsWith('/w/65')), 'the newest row at the end');
        // To the top: the first rows; one flow more, then it holds still.
        await page.evaluate(() => { document.querySelector('.flow-table-body').scrollTop = 0; });
        await page.waitForSelector('.flow-row[data-index="0"]:not(.placeholder)');
        await curl('/w/66').done;
        await waitCount(66);
        await page.waitForTimeout(600);
        const reads = [];
        const onRequest = (rq) => { if (rq.url().includes('/flows?')) reads.push(rq.url()); };
        page.on('request', onRequest);
        const from = wsFrames.length;
        await burst(67, 85);
        await waitCount(85);
        await page.waitForTimeout(400);
        page.off('request', onRequest);
        const batches = wsFrames.slice(from).map((f) => JSON.parse(f)).filter((m) => m.type === 'flows/batch');
        const topRows = (await rows()).length;
        // Scrolled to the end, the new rows are there.
        await page.evaluate(() => {
            const el = document.querySelector('.flow-table-body');
            el.scrollTop = el.scrollHeight;
        });
        const end = await waitRows((r) => r.some((x) => x.path.endsWith('/w/85')) || false, 'the rows of the new flows at the end');
        await shot('window-end');
        return {
            following: following.map((x) => x.path.split('/').pop()),
            reads,
            batches: batches.map((b) => ({ stale: b.payload.stale, add: b.payload.add.length, total: b.payload.total })),
            topRows,
            end: end.map((x) => Number(x.path.split('/').pop())),
        };
    },

    // A click on a row shows the response body, coloured, and images.
    async body() {
        await curl('/json').done;
        await curl('/img').done;
        await clickRow('/json');
        await page.click('[data-tab=response]');
        await page.waitForSelector('.content-view[data-part=response] .content-lines');
        const text = await page.textContent('.content-view[data-part=response] .content-lines');
        const coloured = await page.$$eval('.content-view .content-lines span', (s) =>
            s.filter((e) => e.className !== 'cv-text').length);
        await shot('flow-detail-response');
        await page.click('[data-tab=request]');
        await page.waitForSelector('.http-message.request .first-line');
        await shot('flow-detail-request');
        await clickRow('/img');
        await page.click('[data-tab=response]');
        await page.waitForFunction(() => {
            const img = document.querySelector('.content-image img');
            return img && img.complete && img.naturalWidth > 0;
        });
        const size = await page.$eval('.content-image img', (i) => [i.naturalWidth, i.naturalHeight]);
        await page.click('[data-tab=connection]');
        await page.waitForSelector('.conn-info');
        await page.click('[data-tab=timing]');
        await page.waitForSelector('.timing');
        await shot('flow-detail-timing');
        return { text, coloured, image: size };
    },

    // The search box hides rows that do not match; the help shows while typing.
    async filter() {
        for (const p of ['/alpha', '/beta', '/alpha2']) await curl(p).done;
        await waitRows((r) => r.length === 3, '3 rows');
        await page.click('input[data-filter=search]');
        await page.waitForSelector('.filter-help td.op');
        const help = await page.$$eval('.filter-help td.op', (t) => t.map((e) => e.textContent));
        await page.locator('input[data-filter=search]').fill('~u alpha');
        await shot('filter-help');
        await page.locator('input[data-filter=search]').press('Enter');
        const shown = await waitRows((r) => r.length === 2, '2 rows after the filter');
        await setFilter('highlight', '~u beta');
        await setFilter('search', '');
        const all = await waitRows((r) => r.length === 3 && r.some((x) => x.cls.includes('highlighted')),
            '3 rows, one highlighted');
        await page.click('.flow-table-body');
        await shot('filter-highlight');
        // A bad filter says so instead of showing stale rows.
        expected = /status of 400/;
        await setFilter('search', '~nonsense(');
        await page.waitForSelector('.filter-search.has-error');
        await waitRows((r) => r.length === 0, 'no rows for a bad filter');
        // Clear it before errors count again: a live update may refetch the
        // window with the bad filter a moment later, and answer 400 again.
        await setFilter('search', '');
        await waitRows((r) => r.length === 3, '3 rows once the bad filter is gone');
        await page.waitForTimeout(300);
        expected = null;
        return {
            help: help.length,
            shown: shown.map((x) => x.path),
            highlighted: all.filter((x) => x.cls.includes('highlighted')).map((x) => x.path),
        };
    },

    // An intercepted request holds curl until the UI resumes it.
    async intercept() {
        await setFilter('intercept', '~q ~u held');
        await page.waitForFunction(() => true);
        await page.waitForTimeout(300);
        const c = curl('/held');
        const r = await waitRows((rs) => rs.some((x) => x.cls.includes('intercepted')), 'an intercepted row');
        await page.waitForTimeout(1000);
        const heldWhileIntercepted = c.code === null;
        await clickRow('/held');
        await shot('intercepted');
        await page.keyboard.press('a');
        const res = await c.done;
        await waitRows((rs) => rs.length === 1 && !rs[0].cls.includes('intercepted'), 'the row resumed');
        return { held: heldWhileIntercepted, rows: r.length, out: res.out, code: res.code };
    },

    // Editing an intercepted request (URL, a header, the body) reaches the origin.
    async edit() {
        await setFilter('intercept', '~q ~u edit-me');
        await page.waitForTimeout(300);
        const c = curl('/edit-me?x=1', ['-d', 'original body']);
        await waitRows((rs) => rs.some((x) => x.cls.includes('intercepted')), 'an intercepted row');
        await clickRow('/edit-me');
        await page.click('[data-tab=request]');
        await page.click('.first-line .editable[data-edit=url]');
        const url = page.locator('.first-line input[data-edit=url]');
        await url.fill(cfg.origin + '/edited?y=2');
        await url.press('Enter');
        await page.waitForFunction(() => document.querySelector('.first-line [data-edit=url]')?.textContent.includes('/edited'));
        await page.click('[data-action=edit-headers]');
        await page.click('[data-action=add-header]');
        await page.locator('.headers.editing input.kv-key').last().fill('X-Edited');
        await page.locator('.headers.editing input.kv-value').last().fill('by the web ui');
        await shot('edit-headers');
        await page.click('[data-action=save-headers]');
        await page.waitForFunction(() => [...document.querySelectorAll('.header-name')].some((e) => e.textContent.startsWith('X-Edited')));
        await page.click('.content-view[data-part=request] [data-action=edit-body]');
        await page.locator('textarea.body-editor').fill('edited body');
        await page.click('[data-action=save-body]');
        await page.waitForFunction(() => document.querySelector('.content-view[data-part=request] .content-lines')?.textContent.includes('edited body'));
        await page.click('[data-action=resume]');
        const res = await c.done;
        return { out: res.out, code: res.code };
    },

    // The resend editor: e on a flow opens its request in one form; the
    // edited copy is sent as a new flow and the original stays as it was.
    // n (here the Start menu's button) starts from a blank request.
    async resend() {
        await curl('/resend-me?x=1', ['-H', 'X-Orig: kept']).done;
        const orig = await clickRow('/resend-me');
        const before = await flowJson(orig.id);
        await page.keyboard.press('e');
        await page.waitForSelector('[data-modal=resend]');
        await page.waitForFunction(() => document.querySelector('[data-resend=url]')?.value.includes('/resend-me'));
        await page.locator('[data-resend=method]').fill('POST');
        await page.locator('[data-resend=url]').fill(cfg.origin + '/resent?y=2');
        const headers = page.locator('[data-resend=headers]');
        await headers.fill((await headers.inputValue()) + '\nX-Resent: by the editor');
        await page.locator('[data-resend=body]').fill('resent body');
        await shot('resend-editor');
        // The app looks the new flow up after the POST's answer: locate,
        // its row, then the whole flow. The row's and the flow's answers are
        // held back here until the origin's response (two seconds late) has
        // come as an update: the copies they bring are older than that
        // update and must not be what the pane shows (the race that once
        // left it "Waiting for the response").
        const slow = (u) => (u.pathname.endsWith('/flows') && u.searchParams.get('limit') === '1' &&
            !u.searchParams.has('id')) || /\/flows\/[0-9a-f-]{36}$/.test(u.pathname);
        await page.route(slow, async (route) => {
            if (route.request().method() !== 'GET') return route.continue();
            const res = await route.fetch();
            await new Promise((r) => setTimeout(r, 1500));
            await route.fulfill({ response: res }).catch(() => {});
        });
        await page.click('[data-action=resend-send]');
        await page.waitForSelector('[data-modal=resend]', { state: 'detached' });
        await waitRows((rs) => rs.length === 2 && rs.some((x) => x.path.includes('/resent') &&
            x.cls.includes('has-response')), 'the resent flow');
        // The new flow is selected, with the origin's answer.
        await page.waitForFunction(() => document.querySelector('.flow-detail')?.dataset.flow &&
            document.querySelector('.flow-row.selected .col-path')?.textContent.includes('/resent'));
        await page.unroute(slow);
        await page.click('[data-tab=response]');
        await page.waitForFunction(() => document.querySelector('.content-view[data-part=response] .content-lines')?.textContent.includes('origin saw POST'));
        await shot('resend-sent');
        await page.click('[data-menu=start]');
        await page.click('[data-action=new-request]');
        await page.waitForSelector('[data-modal=resend]');
        await page.locator('[data-resend=url]').fill(cfg.origin + '/blank');
        await page.click('[data-action=resend-send]');
        await waitRows((rs) => rs.length === 3 && rs.some((x) => x.path.includes('/blank') &&
            x.cls.includes('has-response')), 'the new request');
        const after = await flowJson(orig.id);
        return { before, after };
    },

    // Every kind of flow the reference fixtures hold (HTTP/1 and 2,
    // WebSocket, TCP, UDP, DNS, errors): each row opens, with each of its
    // tabs, without a page error.
    async fixtures() {
        await page.click('[data-menu=file]');
        await page.setInputFiles('input[data-input=open]', cfg.file);
        await page.waitForFunction((n) => document.querySelector('.flow-count')?.dataset.total === String(n), cfg.count);
        await page.click('.flow-row:not(.placeholder)');
        const paths = [];
        const seen = {};
        let last = null;
        for (let i = 0; i < cfg.count; i++) {
            if (i) await page.keyboard.press('j');
            await page.waitForFunction((prev) => {
                const id = document.querySelector('.flow-detail')?.dataset.flow;
                return id && id !== prev;
            }, last);
            last = await page.$eval('.flow-detail', (e) => e.dataset.flow);
            const path = await page.$eval(`.flow-row[data-id="${last}"] .col-path`, (e) => e.textContent);
            paths.push(path);
            for (const tab of await page.$$eval('.flow-detail [data-tab]', (els) => els.map((e) => e.dataset.tab))) {
                await page.click(`.flow-detail [data-tab=${tab}]`);
                await page.waitForSelector(`.flow-detail [data-tab=${tab}].active`);
                if (tab === 'connection' && !seen.cert && await page.$('.cert-info')) {
                    seen.cert = await page.$eval('.cert-info', (e) => e.innerText);
                    await shot('server-certificate');
                }
            }
            if (/ (A|AAAA)$/.test(path.trim()) && !seen.dns) {
                await page.click('.flow-detail [data-tab=request]');
                seen.dns = await page.$eval('[data-dns=request]', (e) => e.textContent);
                await shot('dns-flow');
            }
        }
        return { rows: paths.length, paths, seen };
    },

    // The detail pane follows its flow: selected while the origin is still
    // answering, it shows the response once that comes (the updates bring
    // list rows, and the pane fetches the whole flow again). Times are UTC,
    // as 8.1.1's formatTimeStamp shows them, whatever the browser's zone.
    async pending() {
        const c = curl('/slow');
        const row = await clickRow('/slow');
        await page.click('[data-tab=response]');
        const waiting = c.code === null && !(await page.$('.flow-row.selected.has-response'));
        await shot('pending-response');
        await page.waitForFunction(() => document.querySelector('.content-view[data-part=response] .content-lines')?.textContent.includes('origin saw GET /slow'), null, { timeout: 20000 });
        await c.done;
        await page.click('[data-tab=timing]');
        await page.waitForSelector('.timing');
        const f = await flowJson(row.id);
        const utc = (t) => new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', '');
        // What the updates brought: every flow a list row (no body hash, no
        // "modified"), none whole.
        const flowsSent = wsFrames.map((p) => JSON.parse(p)).filter((m) => m.type === 'flows/batch')
            .flatMap((m) => [...m.payload.add, ...m.payload.update]);
        return {
            waiting,
            wsUrl,
            rows: flowsSent.filter((x) => !('modified' in x) && x.request && !('contentHash' in x.request)).length,
            whole: flowsSent.filter((x) => 'modified' in x).length,
            want: [utc(f.request.timestamp_start), utc(f.response.timestamp_end)],
            timing: await page.textContent('.timing'),
            zone: await page.evaluate(() => new Date().getTimezoneOffset()),
        };
    },

    // Replay sends the request again (the flow is replayed in place, as in
    // mitmproxy); D duplicates it and d deletes the selected one.
    async replay() {
        await curl('/replay-me').done;
        await clickRow('/replay-me');
        await page.keyboard.press('r');
        const r = await waitRows((rs) => rs.length === 1 && rs[0].path.includes('/replay-me') &&
            rs[0].cls.includes('has-response') && !!rs[0].replay, 'the replayed flow');
        await page.keyboard.press('D');
        await waitRows((rs) => rs.length === 2, 'the duplicate');
        await page.keyboard.press('d');
        await waitRows((rs) => rs.length === 1, 'a row deleted');
        return { rows: r.length };
    },

    // Export as curl, then the body download.
    async export() {
        await curl('/export-me?q=1', ['-H', 'X-Export: yes']).done;
        await clickRow('/export-me');
        await page.click('[data-menu=flow]');
        const formats = {};
        for (const fmt of ['curl', 'httpie', 'raw', 'fetch', 'python_requests']) {
            await page.click('[data-dropdown=export] .btn');
            await page.click(`[data-format=${fmt}]`);
            await page.waitForSelector(`[data-modal=export] [data-export=${fmt}]`);
            formats[fmt] = await page.textContent('[data-modal=export] .export-text');
            if (fmt === 'curl') await shot('export-curl');
            await page.keyboard.press('Escape');
        }
        await page.click('[data-dropdown=download] .btn');
        const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-download=response]')]);
        const file = path.join(cfg.download, 'body');
        await dl.saveAs(file);
        return { formats, body: fs.readFileSync(file, 'utf8') };
    },

    // Save the flows to a file, clear, and load them back from it.
    async files() {
        await curl('/saved/1').done;
        await curl('/saved/2').done;
        await waitRows((r) => r.length === 2, '2 rows');
        await page.click('[data-menu=file]');
        await shot('file-menu');
        const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=save]')]);
        const file = path.join(cfg.download, 'saved.mitm');
        await dl.saveAs(file);
        await page.click('.flow-table-body');
        await page.keyboard.press('z');
        await waitRows((r) => r.length === 0, 'an empty list after z');
        await page.setInputFiles('input[data-input=open]', file);
        const r = await waitRows((rs) => rs.length === 2, 'the 2 flows loaded back');
        let har = null;
        if (cfg.har) {
            await page.setInputFiles('input[data-input=open]', cfg.har);
            har = (await waitRows((rs) => rs.length >= 1 && rs.every((x) => x.path.includes('/har/')), 'the HAR loaded')).map((x) => x.path);
        }
        return { saved: file, paths: r.map((x) => x.path), har };
    },

    // Keyboard navigation, marks, the options editor, event log, command
    // bar, themes and the side-by-side layout; screenshots of each.
    async screens() {
        for (const p of ['/one', '/two', '/three']) await curl(p).done;
        await waitRows((r) => r.length === 3, '3 rows');
        await page.click('.flow-table-body');
        await page.keyboard.press('j');
        await page.waitForSelector('.flow-row.selected');
        await page.keyboard.press('j');
        const second = await page.$eval('.flow-row.selected', (e) => e.dataset.index);
        await page.keyboard.press('k');
        const first = await page.$eval('.flow-row.selected', (e) => e.dataset.index);
        await page.keyboard.press('ArrowDown');
        await page.click('[data-dropdown=mark] .btn');
        await page.click('[data-marker=":green_circle:"]');
        await page.waitForSelector('.flow-row.marked .mark-dot');
        await page.click('[data-menu=options]');
        await page.click('[data-toggle=sideBySide]');
        await page.waitForSelector('.side-by-side');
        await shot('side-by-side');
        await page.click('[data-toggle=showEventLog]');
        await page.waitForSelector('.eventlog .event');
        await page.click('[data-toggle=showCommandBar]');
        await page.locator('input[data-input=command]').fill('export.formats');
        await page.locator('input[data-input=command]').press('Enter');
        await page.waitForSelector('.command-result pre');
        const cmd = await page.textContent('.command-result pre');
        await shot('eventlog-commandbar');
        await page.click('[data-action=edit-options]');
        await page.waitForSelector('[data-modal=options] .option');
        const nopts = await page.$$eval('[data-modal=options] .option', (o) => o.length);
        await shot('options');
        await page.locator('[data-modal=options] input[data-option=anticache]').click();
        await page.waitForFunction(() => document.querySelector('[data-modal=options] input[data-option=anticache]')?.checked);
        await page.keyboard.press('Escape');
        await page.selectOption('[data-select=theme]', 'dark');
        await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
        await shot('dark');
        return { first, second, cmd, nopts };
    },
};

(async () => {
    const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        // The sandbox needs user namespaces, which containers and root lack.
        args: ['--no-sandbox', ...(cfg.chromiumArgs ?? [])],
    });
    const context = await browser.newContext({
        viewport: { width: 1400, height: 820 },
        acceptDownloads: true,
        ...(cfg.timezone ? { timezoneId: cfg.timezone } : {}),
    });
    page = await context.newPage();
    page.on('websocket', (ws) => {
        wsUrl = ws.url();
        ws.on('framereceived', (f) => typeof f.payload === 'string' && wsFrames.push(f.payload));
    });
    if (cfg.assets) {
        await page.route(/\/(index\.html|app\.js|app\.css|favicon\.svg)?(\?.*)?$/, (route) => {
            const u = new URL(route.request().url());
            const f = u.pathname === '/' ? 'index.html' : u.pathname.slice(1);
            const ext = path.extname(f);
            const type = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' }[ext] ?? 'text/html';
            route.fulfill({ status: 200, contentType: type, body: fs.readFileSync(path.join(cfg.assets, f)) });
        });
    }
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error' && !(expected && expected.test(m.text()))) errors.push(`console: ${m.text()}`);
    });
    page.on('dialog', (d) => d.accept());
    let result;
    try {
        await page.goto(cfg.url);
        await page.waitForSelector('.connection-indicator.conn-open');
        result = await scenarios[cfg.scenario]();
    } catch (e) {
        await shot(`failed-${cfg.scenario}`).catch(() => {});
        errors.push(`scenario: ${e.stack ?? e}`);
    }
    await browser.close();
    console.log(JSON.stringify({ result, errors }));
})().catch((e) => {
    console.log(JSON.stringify({ errors: [String(e.stack ?? e)] }));
});
