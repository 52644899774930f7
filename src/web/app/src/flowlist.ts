// The flow list as the browser sees it: a window onto the server's view.
// The server filters and sorts (GET /flows?offset&limit&filter&order&reverse
// answers {total, offset, flows}); the browser keeps only the pages around
// what is on screen, so a session of a million flows costs what one screen
// costs. Live updates only mark the cached pages stale: the visible ones are
// fetched again at most every REFRESH_MS, which keeps 10,000 new flows per
// second from turning into 10,000 renders. While the list is flung, the rows
// are asked for where the screen is going (ahead()). The server is told
// which rows are on screen (the whole pages, announce()): its batches then
// say whether those rows may have changed, and a page at the top of a list
// that grows at its end reads nothing again while thousands of flows arrive.
import { getJson } from "./api";
import type { Flow } from "./flow";
import { Observable } from "./store";

export const PAGE = 50;
const MARGIN = 40; // rows above and below the screen fetched ahead
const REFRESH_MS = 100;
// Fetches in flight at once: a fast scroll through a million rows must not
// queue hundreds of requests for pages long gone from the screen, and a
// fling needs one a frame for as many frames as the server's round trip
// lasts. Six is what a browser opens to one host over HTTP/1.1.
const MAX_INFLIGHT = 6;
// A fling (the wheel's momentum, a drag of the scrollbar) moves the screen
// by dozens or thousands of rows a frame: rows asked for where the screen is
// arrive after it has left. So while the list moves, the rows are asked for
// where the screen is going (ahead()), judged by its speed and the server's
// round trip (measured): as far as it travels in LEAD_RTTS round trips and
// LEAD_FRAMES_MS, at most LEAD_MAX rows (see ahead()).
const LEAD_RTTS = 2;
const LEAD_FRAMES_MS = 40;
const LEAD_MAX = 600;
const FRAME_MS = 16.7;
// Below this speed (rows per ms; 0.3 is ten rows a frame) the list is at
// rest: pages are fetched one by one as the first screen's preload expects.
const MOVING = 0.3;
// The screen has held still this long: stale pages on it are fetched again.
const SETTLE_MS = 120;
// Pages kept while the screen is elsewhere (50 rows each): a fling back
// over rows already seen shows them at once. The farthest go first.
const KEEP_PAGES = 200;

export type Order = "time" | "method" | "url" | "size";

interface Page {
    flows: Flow[];
    gen: number; // list generation the page was fetched at
}

interface Windowed {
    total: number;
    offset: number;
    flows: Flow[];
}

// The rows on screen as the server's flows/window message has them
// (src/web/README.md): whole pages, the list's query, the selected flow.
export interface ScreenWindow {
    offset: number;
    limit: number;
    filter: string;
    order: Order;
    reverse: boolean;
    selected: string | null;
    seq: number;
}

export class FlowList extends Observable {
    total = 0;
    filter = "";
    order: Order = "time";
    reverse = false;
    error: string | null = null;
    loaded = false; // the first answer arrived

    private pages = new Map<number, Page>();
    // Each page asked for and not yet answered, with the request that asks
    // (one request may ask for a run of pages).
    private inflight = new Map<number, Request>();
    private requests = new Set<Request>();
    private gen = 0; // bumped by every change on the server
    private params = 0; // bumped by every filter or order change
    private start = 0;
    private end = 0;
    private timer: number | undefined;
    private settle: number | undefined;
    // The screen's motion, from the last moves: rows a move (signed; a
    // scroll moves it once a frame), ms between moves, and so rows per ms.
    private step = 0;
    private moveMs = FRAME_MS;
    private velocity = 0;
    private movedAt = -Infinity; // performance.now() of the last move
    private rtt = 30; // ms from asking for a window to its rows, smoothed
    // An answer can be older than an update that came while it was on its
    // way (the server sent the update after the answer left): such a copy
    // must not replace the newer one. Every flow an update brings gets a
    // number; while fetches are out, the newest copies are kept with their
    // numbers, and a fetched flow that was updated after its fetch started
    // is taken from here instead.
    private seq = 0;
    private recent = new Map<string, { flow: Flow; seq: number }>();
    private out: number[] = []; // this.seq when each fetch in flight started
    // Rows come in the list-only shape (GET /flows?list=1 and the updates:
    // what the table shows, a fraction of a flow's JSON); these are such
    // rows, which the detail pane must not be given (full() fetches the
    // whole flow).
    private partial = new WeakSet<Flow>();
    // The window last announced to the server (announce()) and its number,
    // which the server's batches name: a batch judged for another window
    // says nothing about this one.
    windowSeq = 0;
    private announced = "";
    // Bumped by invalidateOffscreen(): a page off screen fetched across it
    // may be older than the change the batch did not name, and is kept stale.
    private offscreenMarks = 0;
    selected: string | null = null; // the selected flow: the server sends its updates
    onWindow: ((w: ScreenWindow) => void) | null = null;

    // The rows on screen are [start, end); pages around them are kept.
    setVisible(start: number, end: number): void {
        const now = performance.now();
        const dt = now - this.movedAt;
        if (start !== this.start) {
            // A move after a pause starts from rest; the newest move counts
            // most, so a fling's speed is known within two or three frames.
            const d = start - this.start;
            if (dt < 200) {
                this.step = 0.3 * this.step + 0.7 * d;
                this.moveMs = 0.7 * this.moveMs + 0.3 * dt;
            } else {
                this.step = 0;
                this.moveMs = FRAME_MS;
            }
            this.velocity = this.step / this.moveMs;
            this.movedAt = now;
        }
        this.start = start;
        this.end = end;
        this.ensure();
        clearTimeout(this.settle);
        this.settle = window.setTimeout(() => {
            this.settle = undefined;
            this.velocity = this.step = 0;
            this.ensure();
        }, SETTLE_MS);
    }

    get(i: number): Flow | undefined {
        return this.pages.get(Math.floor(i / PAGE))?.flows[i % PAGE];
    }

    indexOf(id: string): number {
        for (const [p, page] of this.pages) {
            const i = page.flows.findIndex((f) => f.id === id);
            if (i >= 0) return p * PAGE + i;
        }
        return -1;
    }

    setQuery(filter: string, order: Order, reverse: boolean): void {
        if (filter === this.filter && order === this.order && reverse === this.reverse) return;
        this.filter = filter;
        this.order = order;
        this.reverse = reverse;
        this.params++;
        this.gen++;
        for (const r of this.requests) r.ctl.abort();
        this.requests.clear();
        this.inflight.clear();
        this.ensure();
        this.emit();
    }

    // Something changed on the server: refetch what is shown, soon.
    invalidate(): void {
        this.gen++;
        this.schedule();
    }

    // The server says nothing changed on screen (a batch for the window
    // announced last, not stale); the pages off screen may have changed,
    // and are fetched again when they come on screen.
    invalidateOffscreen(): void {
        this.offscreenMarks++;
        const [first, last] = this.screenPages();
        for (const [p, page] of this.pages) if (p < first || p > last) page.gen = Math.min(page.gen, this.gen - 1);
    }

    private screenPages(): [number, number] {
        return [Math.floor(Math.max(0, this.start) / PAGE), Math.floor(Math.max(this.start, this.end - 1) / PAGE)];
    }

    // Tells the server (onWindow) which rows are on screen, when that
    // changed or again is true (a new socket).
    announce(again = false): void {
        if (!this.onWindow) return;
        const [first, last] = this.screenPages();
        const key = JSON.stringify([first, last, this.filter, this.order, this.reverse, this.selected]);
        if (key === this.announced && !again) return;
        this.announced = key;
        this.onWindow({
            offset: first * PAGE,
            limit: (last - first + 1) * PAGE,
            filter: this.filter,
            order: this.order,
            reverse: this.reverse,
            selected: this.selected,
            seq: ++this.windowSeq,
        });
    }

    private schedule(): void {
        if (this.timer === undefined) {
            this.timer = window.setTimeout(() => {
                this.timer = undefined;
                this.ensure();
            }, REFRESH_MS);
        }
    }

    // The server counted the store (a batch says so): without a filter that
    // is the list's length, known before any page is fetched again.
    setTotal(total: number): void {
        if (this.filter || total === this.total) return;
        this.total = total;
        this.emit();
    }

    // Forget everything (flows/reset, a new file).
    reset(): void {
        this.pages.clear();
        this.invalidate();
    }

    // A flow as an update brought it (added or changed): the newest copy,
    // a row of the list-only shape (/updates?list=1).
    note(flow: Flow): void {
        this.seq++;
        this.partial.add(flow);
        if (this.out.length === 0) return;
        this.recent.delete(flow.id);
        this.recent.set(flow.id, { flow, seq: this.seq });
    }

    // f as fetched by a request that started at since, or the copy an
    // update brought after that.
    private newest(f: Flow, since: number): Flow {
        const r = this.recent.get(f.id);
        return r && r.seq > since ? r.flow : f;
    }

    private started(): number {
        this.out.push(this.seq);
        return this.seq;
    }

    // A fetch is over: copies no fetch still out can need are dropped.
    private finished(since: number): void {
        this.out.splice(this.out.indexOf(since), 1);
        if (this.out.length === 0) {
            this.recent.clear();
            return;
        }
        const oldest = Math.min(...this.out);
        for (const [id, r] of this.recent) if (r.seq <= oldest) this.recent.delete(id);
    }

    // Whether f is a list-only row rather than a whole flow.
    isPartial(f: Flow): boolean {
        return this.partial.has(f);
    }

    // The whole flow id as the server has it (GET /flows/<id>), null when it
    // is gone, with the update number it was asked at: of two answers, the
    // one asked at the higher number is the newer copy. Updates bring list
    // rows, never whole flows, so nothing here can stand in for the answer.
    async full(id: string): Promise<[Flow | null, number]> {
        const asked = this.seq;
        try {
            return [await getJson<Flow>(`/flows/${encodeURIComponent(id)}`), asked];
        } catch {
            return [null, asked];
        }
    }

    // An updated flow replaces its old copy at once; its position may change,
    // which the refetch that invalidate() schedules takes care of.
    patch(flow: Flow): void {
        this.note(flow);
        for (const page of this.pages.values()) {
            const i = page.flows.findIndex((f) => f.id === flow.id);
            if (i >= 0) {
                page.flows[i] = flow;
                this.emit();
                return;
            }
        }
    }

    // Where flow id sits in the current list (-1: not in it), asked of the
    // server, for a selection that scrolled out of the cached pages.
    async locate(id: string): Promise<number> {
        const q = this.query(0, 1);
        q.set("id", id);
        try {
            const r = await getJson<{ index?: number }>(`/flows?${q}`);
            return typeof r.index === "number" ? r.index : -1;
        } catch {
            return -1;
        }
    }

    // Flow id as the server has it now, and its position in the current list;
    // for a flow just made, which no cached page holds yet. An update that
    // came meanwhile wins over the copy fetched here.
    async find(id: string): Promise<[Flow, number] | null> {
        const since = this.started();
        try {
            const i = await this.locate(id);
            if (i < 0) return null;
            const r = await getJson<{ flows: Flow[] }>(`/flows?${this.query(i, 1)}`).catch(() => null);
            const f = r?.flows[0];
            if (!f || f.id !== id) return null;
            this.partial.add(f);
            return [this.newest(f, since), i];
        } finally {
            this.finished(since);
        }
    }

    // index.html preloads the first page by this URL, parameter for
    // parameter: a change here is a change there, or the preload is wasted.
    private query(offset: number, limit: number): URLSearchParams {
        const q = new URLSearchParams({
            offset: String(offset),
            limit: String(limit),
            order: this.order,
            reverse: this.reverse ? "1" : "0",
            list: "1",
        });
        if (this.filter) q.set("filter", this.filter);
        return q;
    }

    // Fetches the page holding row i, when needed, and resolves with the row.
    async fetchRow(i: number): Promise<Flow | undefined> {
        const p = Math.floor(i / PAGE);
        for (let tries = 0; !this.pages.has(p) && tries < 50; tries++) {
            if (this.inflight.has(p)) await new Promise((r) => setTimeout(r, 50));
            else await this.fetchPages(p, p + 1, true);
        }
        return this.get(i);
    }

    // Pages on screen are fetched when missing or stale; their neighbours
    // only when missing, so scrolling a little shows rows at once while a
    // flood of updates refreshes no more than what is visible. While the
    // list moves, the rows where it is going are fetched (see LEAD_RTTS).
    private ensure(): void {
        this.announce();
        const [first, last] = this.screenPages();
        const near = Math.floor(MARGIN / PAGE) + 1;
        const moving = performance.now() - this.movedAt < SETTLE_MS && Math.abs(this.velocity) >= MOVING;
        const end = this.loaded ? Math.ceil(this.total / PAGE) : Infinity;
        const lastPage = Math.max(0, end - 1);
        if (!moving) {
            // Requests for pages that left the screen's surroundings are
            // dropped; on-screen pages first, then their neighbours, one by one.
            for (const r of this.requests) if (r.p1 <= first - near || r.p0 > last + near) this.drop(r);
            const wanted: number[] = [];
            for (let p = first; p <= last; p++) wanted.push(p);
            for (let d = 1; d <= near; d++) wanted.push(last + d, first - d);
            for (const p of wanted) {
                if (p < 0 || p > lastPage) continue;
                const page = this.pages.get(p);
                const onScreen = p >= first && p <= last;
                if (!page || (onScreen && page.gen < this.gen)) void this.fetchPages(p, p + 1);
            }
        } else {
            const wanted = this.ahead(first, last, near);
            const lo = Math.min(first, ...wanted);
            const hi = Math.max(last, ...wanted);
            // Requests behind the screen, or for where it no longer goes,
            // are dropped.
            for (const r of this.requests) if (r.p1 <= lo || r.p0 > hi) this.drop(r);
            // Runs of missing pages, nearest the screen first, each one request.
            let run: number[] = [];
            const flush = () => {
                if (run.length) void this.fetchPages(Math.min(...run), Math.max(...run) + 1);
                run = [];
            };
            for (const p of wanted) {
                if (p < 0 || p > lastPage) continue;
                if (run.length && Math.abs(p - run[run.length - 1]) !== 1) flush();
                if (this.pages.has(p) || this.inflight.has(p)) flush();
                else run.push(p);
            }
            flush();
        }
        // Past KEEP_PAGES, the pages farthest from the screen are forgotten.
        if (this.pages.size > KEEP_PAGES) {
            const far = [...this.pages.keys()].sort((a, b) => dist(b, first, last) - dist(a, first, last));
            for (const p of far.slice(0, this.pages.size - KEEP_PAGES)) this.pages.delete(p);
        }
    }

    // The pages a moving screen needs next, nearest first: slower than a
    // screen a frame, all pages from the screen to where it will be
    // LEAD_RTTS round trips on. Faster, none: no row stays on screen long
    // enough to be read, and fetching and drawing the screens the frames
    // show cost the page its frame rate (bench/webui.sh, 100 rows a frame:
    // 60 fps blank, 46-55 fps with rows). Rows come once the fling slows to
    // a screen a frame, with the lead above.
    private ahead(first: number, last: number, near: number): number[] {
        const v = this.velocity;
        const rows = Math.max(1, this.end - this.start);
        const out: number[] = [];
        if (Math.abs(this.step) > rows) return out;
        const dir = v > 0 ? 1 : -1;
        const lead = Math.min(LEAD_MAX, Math.abs(v) * (LEAD_RTTS * this.rtt + LEAD_FRAMES_MS));
        const n = Math.max(near, Math.ceil(lead / PAGE));
        const [a, b] = dir > 0 ? [first, last + n] : [last, first - n];
        for (let p = a; p !== b + dir; p += dir) out.push(p);
        return out;
    }

    private drop(r: Request): void {
        r.ctl.abort();
        this.requests.delete(r);
        for (let p = r.p0; p < r.p1; p++) if (this.inflight.get(p) === r) this.inflight.delete(p);
    }

    // Fetches pages [p0, p1) in one request. At most MAX_INFLIGHT are out
    // at once, unless urgent; when they all are, a request for rows on
    // screen takes the place of the oldest that asks for none.
    private async fetchPages(p0: number, p1: number, urgent = false): Promise<void> {
        if (this.inflight.has(p0)) return;
        if (!urgent && this.requests.size >= MAX_INFLIGHT) {
            const first = Math.floor(Math.max(0, this.start) / PAGE);
            const last = Math.floor(Math.max(this.start, this.end - 1) / PAGE);
            if (p1 <= first || p0 > last) return;
            // A Set iterates in insertion order: the oldest first.
            let oldest: Request | undefined;
            for (const r of this.requests) {
                if (r.p1 <= first || r.p0 > last) {
                    oldest = r;
                    break;
                }
            }
            if (!oldest) return;
            this.drop(oldest);
        }
        const r: Request = { ctl: new AbortController(), p0, p1 };
        this.requests.add(r);
        for (let p = p0; p < p1; p++) this.inflight.set(p, r);
        const gen = this.gen;
        const marks = this.offscreenMarks;
        const params = this.params;
        const q = this.query(p0 * PAGE, (p1 - p0) * PAGE);
        const since = this.started();
        const asked = performance.now();
        try {
            const res = await getJson<Windowed | Flow[]>(`/flows?${q}`, r.ctl.signal);
            if (params !== this.params) return;
            let w: Windowed;
            if (Array.isArray(res)) {
                // A server without the windowed extension sends everything.
                w = { total: res.length, offset: p0 * PAGE, flows: res.slice(p0 * PAGE, p1 * PAGE) };
            } else {
                w = res;
                for (const f of w.flows) this.partial.add(f);
            }
            this.rtt = 0.7 * this.rtt + 0.3 * (performance.now() - asked);
            if (this.total !== w.total) {
                // Rows moved: pages fetched before this answer are stale.
                for (const [k, page] of this.pages) if (k < p0 || k >= p1) page.gen = Math.min(page.gen, gen - 1);
            }
            this.total = w.total;
            const rows = w.flows.map((f) => this.newest(f, since));
            for (let p = p0; p < p1; p++) {
                const flows = rows.slice((p - p0) * PAGE, (p - p0 + 1) * PAGE);
                const [first, last] = this.screenPages();
                const old = marks !== this.offscreenMarks && (p < first || p > last);
                if (flows.length || p === p0) this.pages.set(p, { flows, gen: old ? gen - 1 : gen });
            }
            this.error = null;
            this.loaded = true;
        } catch (e) {
            if (params !== this.params || r.ctl.signal.aborted) return;
            this.error = String((e as Error).message ?? e);
            // A bad filter answers 400: show no rows rather than stale ones.
            this.pages.clear();
            this.total = 0;
            this.loaded = true;
        } finally {
            this.finished(since);
            if (this.requests.delete(r)) {
                for (let p = p0; p < p1; p++) if (this.inflight.get(p) === r) this.inflight.delete(p);
            }
            this.emit();
        }
        if (r.ctl.signal.aborted) {
            this.ensure();
            return;
        }
        // Pages made stale meanwhile (or by a new total) are fetched on the
        // next tick, not at once: under a flood of flows that is the batching.
        if (params === this.params) this.schedule();
        else this.ensure();
    }
}

interface Request {
    ctl: AbortController;
    p0: number; // the pages [p0, p1) it asks for
    p1: number;
}

// How many pages p is from the screen's pages [first, last].
function dist(p: number, first: number, last: number): number {
    return p < first ? first - p : p > last ? p - last : 0;
}
