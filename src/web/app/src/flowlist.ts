// The flow list as the browser sees it: a window onto the server's view.
// The server filters and sorts (GET /flows?offset&limit&filter&order&reverse
// answers {total, offset, flows}); the browser keeps only the pages around
// what is on screen, so a session of a million flows costs what one screen
// costs. Live updates only mark the cached pages stale: the visible ones are
// fetched again at most every REFRESH_MS, which keeps 10,000 new flows per
// second from turning into 10,000 renders.
import { getJson } from "./api";
import type { Flow } from "./flow";
import { Observable } from "./store";

export const PAGE = 50;
const MARGIN = 40; // rows above and below the screen fetched ahead
const REFRESH_MS = 100;
// Fetches in flight at once: a fast scroll through a million rows must not
// queue hundreds of requests for pages long gone from the screen.
const MAX_INFLIGHT = 3;
// A screen that jumps to rows not cached, again within this time of the
// last jump, is fetched only once it holds still this long: a fling through
// the list would otherwise start (and abort) a fetch every frame, each a
// millisecond or two of the page's main thread and a request for the server.
const SETTLE_MS = 60;

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

export class FlowList extends Observable {
    total = 0;
    filter = "";
    order: Order = "time";
    reverse = false;
    error: string | null = null;
    loaded = false; // the first answer arrived

    private pages = new Map<number, Page>();
    private inflight = new Map<number, AbortController>();
    private gen = 0; // bumped by every change on the server
    private params = 0; // bumped by every filter or order change
    private start = 0;
    private end = 0;
    private timer: number | undefined;
    private lastJump = -Infinity; // performance.now() of the last jump
    private settle: number | undefined;
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

    // The rows on screen are [start, end); pages around them are kept.
    setVisible(start: number, end: number): void {
        this.start = start;
        this.end = end;
        const p = Math.floor(Math.max(0, start) / PAGE);
        if (this.pages.has(p) || this.inflight.has(p)) {
            this.ensure();
            return;
        }
        const now = performance.now();
        const settling = now - this.lastJump < SETTLE_MS;
        this.lastJump = now;
        clearTimeout(this.settle);
        if (!settling) {
            this.ensure();
            return;
        }
        this.settle = window.setTimeout(() => {
            this.settle = undefined;
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
        for (const c of this.inflight.values()) c.abort();
        this.inflight.clear();
        this.ensure();
        this.emit();
    }

    // Something changed on the server: refetch what is shown, soon.
    invalidate(): void {
        this.gen++;
        this.schedule();
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
            else await this.fetchPage(p, true);
        }
        return this.get(i);
    }

    // Pages on screen are fetched when missing or stale; their neighbours
    // only when missing, so scrolling a little shows rows at once while a
    // flood of updates refreshes no more than what is visible.
    private ensure(): void {
        const first = Math.floor(Math.max(0, this.start) / PAGE);
        const last = Math.floor(Math.max(this.start, this.end - 1) / PAGE);
        const near = Math.floor(MARGIN / PAGE) + 1;
        // Requests for pages that scrolled away are dropped.
        for (const [p, c] of this.inflight) {
            if (p < first - near || p > last + near) {
                c.abort();
                this.inflight.delete(p);
            }
        }
        // On-screen pages first, then their neighbours.
        const wanted: number[] = [];
        for (let p = first; p <= last; p++) wanted.push(p);
        for (let d = 1; d <= near; d++) wanted.push(last + d, first - d);
        for (const p of wanted) {
            if (p < 0 || (p > 0 && p * PAGE >= this.total && this.loaded)) continue;
            const page = this.pages.get(p);
            const onScreen = p >= first && p <= last;
            if (!page || (onScreen && page.gen < this.gen)) void this.fetchPage(p);
        }
        // Pages far from the screen are dropped: memory stays bounded.
        for (const p of this.pages.keys()) {
            if (p < first - near - 2 || p > last + near + 2) this.pages.delete(p);
        }
    }

    private async fetchPage(p: number, urgent = false): Promise<void> {
        if (this.inflight.has(p) || (!urgent && this.inflight.size >= MAX_INFLIGHT)) return;
        const ctl = new AbortController();
        this.inflight.set(p, ctl);
        const gen = this.gen;
        const params = this.params;
        const q = this.query(p * PAGE, PAGE);
        const since = this.started();
        try {
            const res = await getJson<Windowed | Flow[]>(`/flows?${q}`, ctl.signal);
            if (params !== this.params) return;
            let w: Windowed;
            if (Array.isArray(res)) {
                // A server without the windowed extension sends everything.
                w = { total: res.length, offset: p * PAGE, flows: res.slice(p * PAGE, p * PAGE + PAGE) };
            } else {
                w = res;
                for (const f of w.flows) this.partial.add(f);
            }
            if (this.total !== w.total) {
                // Rows moved: pages fetched before this answer are stale.
                for (const [k, page] of this.pages) if (k !== p) page.gen = Math.min(page.gen, gen - 1);
            }
            this.total = w.total;
            this.pages.set(p, { flows: w.flows.map((f) => this.newest(f, since)), gen });
            this.error = null;
            this.loaded = true;
        } catch (e) {
            if (params !== this.params || ctl.signal.aborted) return;
            this.error = String((e as Error).message ?? e);
            // A bad filter answers 400: show no rows rather than stale ones.
            this.pages.clear();
            this.total = 0;
            this.loaded = true;
        } finally {
            this.finished(since);
            if (this.inflight.get(p) === ctl) this.inflight.delete(p);
            this.emit();
        }
        if (ctl.signal.aborted) {
            this.ensure();
            return;
        }
        // Pages made stale meanwhile (or by a new total) are fetched on the
        // next tick, not at once: under a flood of flows that is the batching.
        if (params === this.params) this.schedule();
        else this.ensure();
    }
}
