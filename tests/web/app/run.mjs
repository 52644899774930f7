// The app's unit tests: each tests/web/app/test_*.ts is bundled by the app's
// own esbuild (src/web/app/node_modules) for node and run; a test file
// throws (node:assert) on the first wrong answer. tests/e2e/test_web_ui.py
// runs this; by hand: node tests/web/app/run.mjs [NAME_PREFIX]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const app = join(here, '..', '..', '..', 'src', 'web', 'app');
const { buildSync } = createRequire(join(app, 'package.json'))('esbuild');
const prefix = process.argv[2] ?? '';
const out = mkdtempSync(join(tmpdir(), 'webapp-tests-'));
let failed = 0;
try {
    const files = readdirSync(here).filter((f) => /^test_.*\.ts$/.test(f) && f.startsWith(`test_${prefix}`));
    for (const f of files) {
        const js = join(out, f.replace(/\.ts$/, '.mjs'));
        buildSync({ entryPoints: [join(here, f)], outfile: js, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
        const r = spawnSync(process.execPath, [js], { stdio: 'inherit', timeout: 60000 });
        console.log(`${r.status === 0 ? 'ok  ' : 'FAIL'} ${f}`);
        if (r.status !== 0) failed++;
    }
    if (!files.length) {
        console.log(`no test_${prefix}*.ts in ${here}`);
        failed++;
    }
} finally {
    rmSync(out, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
