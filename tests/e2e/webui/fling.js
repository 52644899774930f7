// A scripted fling of the flow table, run in the page (page.evaluate(fling,
// spec)) by ui.js's "fling" scenario and bench/webui_fling.js. The scroll
// position is set once per frame (requestAnimationFrame), as a wheel's
// momentum or a dragged scrollbar moves it:
//   {kind: "wheel", px, decay}: px pixels the first frame (negative: up),
//     then each frame decay times the last, until under 1 px (a touchpad's
//     momentum);
//   {kind: "drag", fraction, frames}: fraction of the scroll range, evenly
//     over frames frames (the scrollbar's thumb dragged a long way);
//   from: where it starts, a fraction of the scroll range (default 0).
// Each frame notes whether a row on screen is a placeholder (its page not
// fetched yet). Answers {frames, blankFrames, longestBlankMs, settleMs,
// rowsMoved, windows}: longestBlankMs is the longest stretch during which the
// screen showed a blank row, settleMs how long after the last move it still
// did; windows the list's windows the page read meanwhile (count, rows asked
// for, median ms; from the resource timing entries, aborted ones included).
function fling(spec) {
    const el = document.querySelector('.flow-table-body');
    const view = el.getBoundingClientRect();
    function blank() {
        for (const r of el.querySelectorAll('.flow-row.placeholder')) {
            const b = r.getBoundingClientRect();
            if (b.bottom > view.top + 1 && b.top < view.bottom - 1) return true;
        }
        return false;
    }
    function firstIndex() {
        const r = el.querySelector('.flow-row[data-index]');
        return r ? Number(r.dataset.index) : 0;
    }
    let since = 0;
    function windows() {
        const w = performance.getEntriesByType('resource').filter((e) => e.startTime >= since && e.name.includes('/flows?'));
        const ms = w.map((e) => e.duration).sort((a, b) => a - b);
        const rows = w.reduce((n, e) => n + Number(new URL(e.name).searchParams.get('limit') ?? 0), 0);
        return { count: w.length, rows, medianMs: ms.length ? Math.round(ms[ms.length >> 1]) : null };
    }
    performance.setResourceTimingBufferSize(100000);
    return new Promise((resolve) => {
        const range = el.scrollHeight - el.clientHeight;
        el.scrollTop = Math.round((spec.from ?? 0) * range);
        // Start from a screen of rows, as a user would.
        const t0 = performance.now();
        const ready = () => {
            if (!blank() || performance.now() - t0 > 10000) requestAnimationFrame(begin);
            else requestAnimationFrame(ready);
        };
        requestAnimationFrame(ready);
        let frames = 0;
        let blankFrames = 0;
        let blankSince = null;
        let longest = 0;
        let stoppedAt = null;
        let startIndex = 0;
        let v = Math.abs(spec.px ?? 0);
        const dir = Math.sign(spec.px ?? 0);
        let n = 0;
        function begin(t) {
            since = t;
            startIndex = firstIndex();
            requestAnimationFrame(step);
        }
        function step(t) {
            const isBlank = blank();
            if (isBlank && blankSince === null) blankSince = t;
            if (!isBlank && blankSince !== null) {
                longest = Math.max(longest, t - blankSince);
                blankSince = null;
            }
            if (stoppedAt === null) {
                frames++;
                if (isBlank) blankFrames++;
                let moved = false;
                if (spec.kind === 'wheel') {
                    if (v >= 1) {
                        el.scrollTop += dir * Math.round(v);
                        v *= spec.decay;
                        moved = true;
                    }
                } else if (n < spec.frames) {
                    el.scrollTop = Math.round(((spec.from ?? 0) + (spec.fraction * (n + 1)) / spec.frames) * range);
                    n++;
                    moved = true;
                }
                if (!moved) stoppedAt = t;
            }
            if (stoppedAt !== null && blankSince === null) {
                resolve({ frames, blankFrames, longestBlankMs: Math.round(longest), settleMs: Math.round(t - stoppedAt),
                          rowsMoved: firstIndex() - startIndex, windows: windows() });
                return;
            }
            if (stoppedAt !== null && t - stoppedAt > 10000) {
                resolve({ frames, blankFrames, longestBlankMs: Math.round(Math.max(longest, t - blankSince)), settleMs: null,
                          rowsMoved: firstIndex() - startIndex, windows: windows() });
                return;
            }
            requestAnimationFrame(step);
        }
    });
}

module.exports = { fling };
