// Bundles the app into dist/ (index.html, app.js, app.css), which the
// server's generator turns into the embedded asset table: nothing is read
// from disk at run time. `node build.mjs` from this directory; the Makefile
// runs it after `npm ci`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await build({
    entryPoints: { app: join(here, 'src', 'main.tsx') },
    outdir: dist,
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
});
copyFileSync(join(here, 'index.html'), join(dist, 'index.html'));
copyFileSync(join(here, 'favicon.svg'), join(dist, 'favicon.svg'));
