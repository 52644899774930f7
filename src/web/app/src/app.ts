// The app's state and the actions on flows, shared by every component.
import { del, fetchApi, getJson, post, put, runCommand } from "./api";
import type { Flow } from "./flow";
import { FlowList, type Order } from "./flowlist";
import { Store } from "./store";

export interface Option {
    type: string;
    default: unknown;
    value: unknown;
    help: string;
    choices?: string[] | null;
}

export interface LogEvent {
    id: string | number;
    message: string;
    level: string;
}

export interface ServerState {
    version?: string;
    contentViews?: string[];
    servers?: Record<string, unknown>;
    [k: string]: unknown;
}

export type Tab = "request" | "response" | "websocket" | "messages" | "connection" | "timing" | "error" | "comment";
export type Menu = "start" | "options" | "flow" | "file";
export type Modal = null | "options" | "help" | "export" | "diff" | "resend";

export interface AppState {
    search: string;
    highlight: string;
    sortColumn: string | null;
    sortDesc: boolean;
    selected: Flow | null; // the whole flow, for the detail pane
    selectedId: string | null; // the row shown selected, at once (selected may follow)
    selectedIndex: number;
    tab: Tab;
    menu: Menu;
    modal: Modal;
    sideBySide: boolean;
    showEventLog: boolean;
    eventLevels: Record<string, boolean>;
    showCommandBar: boolean;
    connection: "init" | "open" | "closed" | "error";
    connectionError: string;
    highlighted: Set<string> | null;
    theme: "system" | "light" | "dark";
    message: string; // a short status line, say "copied to clipboard"
    diffWith: Flow | null;
    resendFrom: Flow | null; // the resend editor's starting flow; null for a blank request
}

export const flows = new FlowList();

export const app = new Store<AppState>({
    search: "",
    highlight: "",
    sortColumn: null,
    sortDesc: false,
    selected: null,
    selectedId: null,
    selectedIndex: -1,
    tab: "request",
    menu: "start",
    modal: null,
    sideBySide: false,
    showEventLog: false,
    eventLevels: { debug: false, info: true, warn: true, error: true },
    showCommandBar: false,
    connection: "init",
    connectionError: "",
    highlighted: null,
    theme: "system",
    message: "",
    diffWith: null,
    resendFrom: null,
});

export const options = new Store<{ options: Record<string, Option> }>({ options: {} });
export const events = new Store<{ events: LogEvent[] }>({ events: [] });
export const serverState = new Store<{ state: ServerState }>({ state: {} });

// Which server order each sortable column maps to (mitmproxy's view.order).
export const SORT_ORDER: Record<string, Order> = {
    index: "time",
    timestamp: "time",
    path: "url",
    method: "method",
    size: "size",
};

export function setSort(column: string): void {
    const s = app.state;
    const desc = s.sortColumn === column ? !s.sortDesc : false;
    app.set({ sortColumn: column, sortDesc: desc });
    flows.setQuery(s.search, SORT_ORDER[column] ?? "time", desc);
}

export function setSearch(search: string): void {
    app.set({ search });
    flows.setQuery(search, flows.order, flows.reverse);
}

let messageTimer: number | undefined;
export function say(message: string): void {
    app.set({ message });
    clearTimeout(messageTimer);
    messageTimer = window.setTimeout(() => app.set({ message: "" }), 4000);
}

function fail(e: unknown): void {
    say(`Error: ${(e as Error).message ?? e}`);
}

let selecting = 0; // the latest select() call wins
// The update number (flows.full) the detail pane's copy was asked at: an
// answer asked earlier is older than what is shown and is dropped.
let shownAsked = -1;
// The selected flow's refresh in flight, and whether an update came since
// it was asked: one fetch at a time, however fast a flow changes.
let refreshing: string | null = null;
let refreshAgain = false;

// Asks the server for the whole flow id and shows it, if it is still the
// selection then and no newer copy is shown.
async function loadDetail(id: string, index?: number): Promise<void> {
    const token = selecting;
    const [full, asked] = await flows.full(id);
    if (!full || token !== selecting || app.state.selectedId !== id) return;
    if (app.state.selected?.id === id && asked < shownAsked) return;
    shownAsked = asked;
    show(full, index);
}

// The selected flow changed on the server: fetch it whole again.
function refreshDetail(id: string): void {
    if (refreshing === id) {
        refreshAgain = true;
        return;
    }
    refreshing = id;
    refreshAgain = false;
    void loadDetail(id, app.state.selectedIndex).finally(() => {
        if (refreshing !== id) return;
        refreshing = null;
        if (refreshAgain && app.state.selectedId === id) refreshDetail(id);
    });
}

// Selects flow (null: none). A row of the list-only shape is shown once the
// whole flow has come (the detail pane, the menus and the resend editor
// read all of it).
export function select(flow: Flow | null, index?: number): void {
    ++selecting;
    refreshing = null;
    if (flow && flows.isPartial(flow)) {
        // The row is shown selected at once (keys move on from it); the
        // detail follows with the whole flow.
        app.set({ selectedId: flow.id, selectedIndex: index ?? flows.indexOf(flow.id) });
        void loadDetail(flow.id, index);
        return;
    }
    show(flow, index);
}

function show(flow: Flow | null, index?: number): void {
    const tab = app.state.tab;
    let next: Tab = tab;
    if (flow) {
        const tabs = tabsFor(flow);
        if (!tabs.includes(tab)) next = tabs[0];
    }
    // As mitmweb: the Flow menu comes up with a selection and goes with it.
    let menu = app.state.menu;
    if (flow && !app.state.selected && menu === "start") menu = "flow";
    if (!flow && menu === "flow") menu = "start";
    app.set({
        selected: flow,
        selectedId: flow ? flow.id : null,
        selectedIndex: flow ? (index ?? flows.indexOf(flow.id)) : -1,
        tab: next,
        menu,
    });
}

export async function selectRelative(delta: number): Promise<void> {
    if (flows.total === 0) return;
    const sel = app.state.selectedId;
    let cur = sel ? flows.indexOf(sel) : -1;
    if (sel && cur < 0) cur = await flows.locate(sel);
    const base = cur >= 0 ? cur : app.state.selectedIndex;
    let i = base < 0 ? (delta > 0 ? 0 : flows.total - 1) : base + delta;
    i = Math.max(0, Math.min(flows.total - 1, i));
    const f = await flows.fetchRow(i);
    if (f) select(f, i);
}

export function tabsFor(f: Flow): Tab[] {
    const tabs: Tab[] = [];
    if (f.type === "http") {
        tabs.push("request", "response");
        if (f.websocket) tabs.push("websocket");
    } else if (f.type === "tcp" || f.type === "udp") {
        tabs.push("messages");
    } else if (f.type === "dns") {
        tabs.push("request", "response");
    }
    if (f.error) tabs.push("error");
    tabs.push("connection", "timing", "comment");
    return tabs;
}

// A flow changed on the server (an update's list row): the table shows the
// row, and the detail pane, when it is the selected flow, the whole flow
// fetched again.
export function flowUpdated(f: Flow): void {
    flows.patch(f);
    if (app.state.selectedId === f.id) refreshDetail(f.id);
}

export function flowRemoved(id: string): void {
    if (app.state.selectedId === id) {
        selecting++;
        app.set({ selected: null, selectedId: null });
    }
}

async function act(p: Promise<unknown>, done?: string): Promise<void> {
    try {
        await p;
        if (done) say(done);
    } catch (e) {
        fail(e);
    }
}

export const actions = {
    resume: (f: Flow) => act(post(`/flows/${f.id}/resume`)),
    resumeAll: () => act(post("/flows/resume")),
    kill: (f: Flow) => act(post(`/flows/${f.id}/kill`)),
    killAll: () => act(post("/flows/kill")),
    replay: (f: Flow) => act(post(`/flows/${f.id}/replay`), "Replaying"),
    revert: (f: Flow) => act(post(`/flows/${f.id}/revert`)),
    remove: async (f: Flow) => {
        const i = flows.indexOf(f.id);
        await act(del(`/flows/${f.id}`));
        flowRemoved(f.id);
        flows.invalidate();
        // Select the row that moved into its place, as mitmweb does.
        if (i >= 0) {
            setTimeout(async () => {
                const n = await flows.fetchRow(Math.min(i, flows.total - 1));
                if (n && !app.state.selectedId) select(n, i);
            }, 150);
        }
    },
    duplicate: async (f: Flow) => {
        try {
            const res = await post(`/flows/${f.id}/duplicate`);
            const id = (await res.text()).replace(/"/g, "").trim();
            say(`Duplicated as ${id}`);
        } catch (e) {
            fail(e);
        }
    },
    toggleMark: (f: Flow) => act(put(`/flows/${f.id}`, { marked: f.marked ? "" : ":red_circle:" })),
    mark: (f: Flow, marker: string) => act(put(`/flows/${f.id}`, { marked: marker })),
    comment: (f: Flow, comment: string) => act(put(`/flows/${f.id}`, { comment })),
    update: (f: Flow, patch: unknown) => act(put(`/flows/${f.id}`, patch)),
    clear: () => act(post("/clear")),
};

export async function setOption(name: string, value: unknown): Promise<boolean> {
    try {
        await put("/options", { [name]: value });
        // Read back what the server holds now: its options/update may
        // describe the options as they were before this change.
        options.set({ options: await getJson<Record<string, Option>>("/options") });
        return true;
    } catch (e) {
        fail(e);
        return false;
    }
}

export async function loadInitial(): Promise<void> {
    const [opts, evs, st] = await Promise.all([
        getJson<Record<string, Option>>("/options").catch(() => ({}) as Record<string, Option>),
        getJson<LogEvent[]>("/events").catch(() => []),
        getJson<ServerState>("/state").catch(() => ({})),
    ]);
    options.set({ options: opts });
    events.set({ events: evs });
    serverState.set({ state: st });
    const theme = opts.web_theme?.value;
    if (theme === "light" || theme === "dark" || theme === "system") app.set({ theme });
}

export async function exportFlow(f: Flow, format: string): Promise<string> {
    const r = await runCommand("export", format, `@${f.id}`);
    if (r.error) throw new Error(r.error);
    return String(r.value ?? "");
}

export { fetchApi };
