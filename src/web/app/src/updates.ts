// The /updates WebSocket: mitmproxy's messages ({type, payload}), opened
// with ?batch=1 so that the server coalesces flow and event changes into at
// most one flows/batch and one events/batch per 50 ms tick (src/web/README.md):
// a flood of flows costs the browser one message per tick. And with ?list=1,
// so that each flow comes as a row of the list-only shape: the table reads
// nothing else, and writing every flow whole was most of what an open page
// cost the proxy per flow. The detail pane fetches its flow whole. The list
// tells the server which rows it shows (flows/window): rows of flows landing
// elsewhere are not sent, and a batch that says those rows did not change
// ("stale": false) costs no read of the list.
import { getJson } from "./api";
import { app, events, flowRemoved, flowUpdated, flows, options, serverState, type LogEvent, type Option } from "./app";
import type { Flow } from "./flow";
import type { ScreenWindow } from "./flowlist";

interface Msg {
    type: string;
    payload?: unknown;
    [k: string]: unknown;
}

let socket: WebSocket | null = null;
let optionsTimer: number | undefined;

function refreshOptions(): void {
    clearTimeout(optionsTimer);
    optionsTimer = window.setTimeout(() => {
        getJson<Record<string, Option>>("/options")
            .then((o) => options.set({ options: o }))
            .catch(() => {});
    }, 30);
}
let retry = 0;

export function sendFilter(name: string, expr: string): void {
    if (socket?.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ type: "flows/updateFilter", payload: { name, expr } }));
    }
}

function flowOf(payload: unknown): Flow | undefined {
    const p = payload as { flow?: Flow } & Flow;
    if (!p) return undefined;
    if (p.flow) return p.flow;
    if (p.id) return p;
    return undefined;
}

interface Batch {
    total: number;
    add: Flow[];
    update: Flow[];
    remove: string[];
    matching_filters: Record<string, Record<string, boolean>>;
    overflow: boolean;
    stale?: boolean; // with a window: whether its rows may have changed
    window?: number; // the window's seq the batch was judged for
}

// A flow's highlight follows what the server says it matches.
function noteMatches(id: string, m: Record<string, boolean> | undefined): void {
    const set = app.state.highlighted;
    if (!set || !m || !("highlight" in m)) return;
    if (m.highlight === set.has(id)) return;
    const next = new Set(set);
    if (m.highlight) next.add(id);
    else next.delete(id);
    app.set({ highlighted: next });
}

function handleBatch(b: Batch): void {
    for (const f of b.update ?? []) flowUpdated(f);
    for (const f of b.add ?? []) {
        // A flow selected before its first batch came (a resent one).
        if (app.state.selectedId === f.id) flowUpdated(f);
        else flows.note(f);
    }
    // Also for flows whose rows were not sent (outside the window).
    for (const id in b.matching_filters ?? {}) noteMatches(id, b.matching_filters[id]);
    for (const id of b.remove ?? []) flowRemoved(id);
    if (typeof b.total === "number") flows.setTotal(b.total);
    if (b.stale === false && b.window === flows.windowSeq) flows.invalidateOffscreen();
    else flows.invalidate();
}

function addEvents(list: LogEvent[]): void {
    const cur = events.state.events;
    // Bounded, so a chatty session does not grow the page forever.
    const kept = cur.length + list.length > 5000 ? cur.slice(-4000) : cur;
    events.set({ events: [...kept, ...list] });
}

function handle(msg: Msg): void {
    // mitmproxy 8 spelled messages {resource, cmd, data}.
    if (msg.resource && msg.cmd) msg = { type: `${msg.resource}/${msg.cmd}`, payload: msg.data };
    switch (msg.type) {
        case "flows/batch":
            handleBatch(msg.payload as Batch);
            break;
        case "events/batch":
            addEvents(msg.payload as LogEvent[]);
            break;
        case "flows/add": {
            const f = flowOf(msg.payload);
            if (f) flows.note(f);
            flows.invalidate();
            break;
        }
        case "flows/update": {
            const f = flowOf(msg.payload);
            if (f) {
                flowUpdated(f);
                noteMatches(f.id, (msg.payload as { matching_filters?: Record<string, boolean> }).matching_filters);
            }
            flows.invalidate();
            break;
        }
        case "flows/remove": {
            const p = msg.payload as string | { id?: string; flow_id?: string };
            const id = typeof p === "string" ? p : (p?.id ?? p?.flow_id);
            if (id) flowRemoved(id);
            flows.invalidate();
            break;
        }
        case "flows/reset":
            flows.reset();
            app.set({ selected: null, selectedId: null, selectedIndex: -1 });
            // The server forgets nothing, but mitmproxy re-sends filters here.
            if (app.state.highlight) sendFilter("highlight", app.state.highlight);
            break;
        case "flows/filterUpdate": {
            const p = msg.payload as { name: string; matching_flow_ids: string[] | null };
            if (p?.name === "highlight") {
                app.set({ highlighted: p.matching_flow_ids ? new Set(p.matching_flow_ids) : null });
            }
            break;
        }
        case "events/add":
            addEvents([msg.payload as LogEvent]);
            break;
        case "events/reset":
            events.set({ events: [] });
            break;
        case "options/update":
            // Read the options back rather than trust the payload: the
            // server builds it while the change is still being applied.
            refreshOptions();
            break;
        case "state/update":
            serverState.set({ state: { ...serverState.state.state, ...(msg.payload as object) } });
            break;
    }
}

function sendWindow(w: ScreenWindow): void {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "flows/window", payload: w }));
}
flows.onWindow = sendWindow;
// The selected flow's updates come wherever it is in the list.
app.subscribe(() => {
    if (flows.selected === app.state.selectedId) return;
    flows.selected = app.state.selectedId;
    flows.announce();
});

export function connect(): void {
    const url = new URL("./updates?batch=1&list=1", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.hash = "";
    const ws = new WebSocket(url.toString());
    socket = ws;
    ws.onopen = () => {
        retry = 0;
        app.set({ connection: "open", connectionError: "" });
        if (app.state.highlight) sendFilter("highlight", app.state.highlight);
        flows.announce(true);
        // Anything may have happened before we listened: fetch again what
        // is shown (without blanking it).
        flows.invalidate();
    };
    ws.onmessage = (ev) => {
        try {
            handle(JSON.parse(ev.data as string) as Msg);
        } catch (e) {
            console.warn("bad update message", e);
        }
    };
    ws.onclose = () => {
        if (socket !== ws) return;
        socket = null;
        app.set({ connection: "closed", connectionError: "connection lost, reconnecting" });
        retry = Math.min(retry + 1, 5);
        setTimeout(connect, 500 * retry);
    };
}
