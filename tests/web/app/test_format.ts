// The flow table's size and duration texts (src/web/app/src/flow.ts) are
// 8.1.1's: a table of cases, then the same functions of 8.1.1's own bundle
// (formatSize, formatTimeDelta in mitmproxy/tools/web/static/app.js) asked
// the same as ours on many values.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { formatDuration, formatSize } from "../../../src/web/app/src/flow";

const BUNDLE = "/usr/lib/python3/dist-packages/mitmproxy/tools/web/static/app.js";

const sizes: [number, string][] = [
    [0, "0"],
    [1, "1b"],
    [512, "512b"],
    [1023, "1023b"],
    [1024, "1kb"],
    [1025, "1.0kb"],
    [1536, "1.5kb"],
    [10240, "10kb"],
    [10241, "10.0kb"],
    [1048575, "1024.0kb"],
    [1048576, "1mb"],
    [1572864, "1.5mb"],
    [1024 ** 3, "1gb"],
    [1024 ** 4, "1tb"],
    [1024 ** 4 * 3.25, "3.3tb"],
    // 8.1.1 has no unit past tb ("1undefined"): ours stays in tb.
    [1024 ** 5, "1024tb"],
];
for (const [n, want] of sizes) assert.equal(formatSize(n), want, `formatSize(${n})`);

// Seconds in, as the columns call it (8.1.1 is given milliseconds).
const durations: [number, string][] = [
    [0, "0ms"],
    [0.0004, "0ms"],
    [0.25, "250ms"],
    [0.9994, "999ms"],
    [0.9996, "1000ms"], // rounds up, but stays in ms as 8.1.1's does
    [1, "1s"],
    [1.5, "2s"],
    [59.4, "59s"],
    [59.6, "60s"],
    [60, "1min"],
    [90, "2min"],
    [3599, "60min"],
    [3600, "1h"],
    [100000, "28h"],
    [-0.0003, "0ms"], // Math.round(-0.3) is -0, which prints as 0
    [-2, "-2s"],
    [NaN, "NaNms"],
];
for (const [s, want] of durations) assert.equal(formatDuration(s), want, `formatDuration(${s})`);

// 8.1.1's function of that name, taken out of its minified bundle: the
// function expression just before `,"NAME")`, its __name wrapper.
function reference(name: string): (x: number) => string {
    const js = readFileSync(BUNDLE, "utf8");
    const end = js.indexOf(`,"${name}")`);
    assert.ok(end > 0, `${name} not found in ${BUNDLE}`);
    const start = js.lastIndexOf("function(", end);
    return (0, eval)(`(${js.slice(start, end)})`);
}
const refSize = reference("formatSize");
const refDelta = reference("formatTimeDelta");

// A fixed sequence, so a failure repeats.
let seed = 42;
function rand(): number {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
}

const sizeCases: number[] = [];
for (let k = 0; k < 50; k++) for (const d of [-1, 0, 1]) sizeCases.push(Math.max(0, 1024 ** (k % 5) * (k + 1) + d));
for (let k = 0; k < 20000; k++) sizeCases.push(Math.floor(1024 ** (rand() * 5)) - (k % 2));
for (const n of sizeCases) {
    if (n < 0 || n >= 1024 ** 5) continue;
    assert.equal(formatSize(n), refSize(n), `formatSize(${n}) against 8.1.1`);
}

// Seconds, as the table has them (end - start); 8.1.1 is given 1e3 times that.
const deltaCases: number[] = [0, -0, 0.0005, 0.9995, 1, 59.999, 60, 3599.999, 3600, -1.5];
for (const b of [1, 60, 3600]) for (const d of [-1e-12, -5e-4, -4e-4, 0, 4e-4, 5e-4]) deltaCases.push(b + d);
for (let k = 0; k < 20000; k++) {
    // Durations from a microsecond to days, and differences of timestamps
    // (what the table computes) with their rounding.
    const s = 10 ** (rand() * 11 - 6);
    const start = 1.7e9 + rand() * 1e6;
    deltaCases.push(s, -s, start + s - start);
}
for (const s of deltaCases) assert.equal(formatDuration(s), refDelta(1e3 * s), `formatDuration(${s}) against 8.1.1`);
console.log(`format: ${sizes.length + durations.length} cases, ${sizeCases.length + deltaCases.length} against 8.1.1`);
