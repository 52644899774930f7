// Flings the flow table of a mitmweb holding many flows and counts the
// frames that showed blank rows (tests/e2e/webui/fling.js), in Debian's
// chromium through playwright-core (tests/e2e/webui/node_modules, never a
// downloaded browser):
//   node bench/webui_fling.js '{"url": "<start-up URL>", "assets": DIR, "runs": 3}'
// assets: serve app.js and app.css from DIR (a dist/ of src/web/app), not the
// server's embedded copy, so two builds of the app meet the same server and
// the same store. Each run flings in turn: wheel momentum at 400 and 1300
// px the first frame (15 and 50 rows), decaying by 3% a frame, and the
// scrollbar dragged over a tenth of the range in 30 frames; runs start at
// different places, so no run finds the rows of another in the page's cache.
// flings: other flings than those ({name: spec} as fling.js takes them).
// The last line of stdout is JSON: for each fling, every run's figures.
const fs = require('fs');
const path = require('path');
const webui = path.join(__dirname, '..', 'tests', 'e2e', 'webui');
const { chromium } = require(path.join(webui, 'node_modules', 'playwright-core'));
const { fling } = require(path.join(webui, 'fling.js'));

const cfg = JSON.parse(process.argv[2]);
const FLINGS = cfg.flings ?? {
    wheel400: { kind: 'wheel', px: 400, decay: 0.97 },
    wheel1300: { kind: 'wheel', px: 1300, decay: 0.97 },
    drag: { kind: 'drag', fraction: 0.1, frames: 30 },
};

(async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 820 } })).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    if (cfg.assets) {
        // The scripts and styles only: index.html comes from the server,
        // which sets the auth cookie when it serves it.
        await page.route(/\/app\.(js|css)(\?.*)?$/, (route) => {
            const f = new URL(route.request().url()).pathname.slice(1);
            const type = f.endsWith('.js') ? 'text/javascript' : 'text/css';
            route.fulfill({ status: 200, contentType: type, body: fs.readFileSync(path.join(cfg.assets, f)) });
        });
    }
    const out = {};
    try {
        await page.goto(cfg.url);
        await page.waitForSelector('.flow-row:not(.placeholder)', { timeout: 120000 });
        const runs = cfg.runs ?? 3;
        const names = Object.keys(FLINGS);
        for (let r = 0; r < runs; r++) {
            for (const [j, name] of names.entries()) {
                const spec = FLINGS[name];
                const from = 0.05 + (0.8 * (r * names.length + j)) / (runs * names.length);
                const res = await page.evaluate(fling, { ...spec, from });
                (out[name] ??= []).push(res);
                await page.waitForTimeout(300);
            }
        }
    } catch (e) {
        errors.push(String(e.stack ?? e));
    }
    await browser.close();
    console.log(JSON.stringify({ ...out, errors }));
})();
