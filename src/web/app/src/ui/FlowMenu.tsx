// The Flow menu: actions on the selected flow, export and body download.
import { useState } from "preact/hooks";
import { actions, app, exportFlow, say } from "../app";
import { MarkDot } from "../columns";
import { download } from "../api";
import type { Flow } from "../flow";
import { useStore } from "../store";
import { Icon } from "../icons";
import { openResend } from "./Resend";

export const EXPORT_FORMATS: [string, string][] = [
    ["curl", "curl"],
    ["httpie", "httpie"],
    ["raw", "raw"],
    ["fetch", "fetch"],
    ["python_requests", "Python requests"],
];

export const MARKERS: [string, string][] = [
    [":red_circle:", "🔴"],
    [":orange_circle:", "🟠"],
    [":yellow_circle:", "🟡"],
    [":green_circle:", "🟢"],
    [":large_blue_circle:", "🔵"],
    [":purple_circle:", "🟣"],
    [":brown_circle:", "🟤"],
];

async function copy(f: Flow, format: string): Promise<void> {
    try {
        const text = await exportFlow(f, format);
        exportText.value = text;
        exportText.format = format;
        app.set({ modal: "export" });
        try {
            await navigator.clipboard.writeText(text);
            say(`Copied as ${format}`);
        } catch {
            // No clipboard (plain http on a remote host): the dialog shows it.
        }
    } catch (e) {
        say(`Export failed: ${(e as Error).message}`);
    }
}

// The first press picks a flow, the second (on another flow) shows the diff.
function diff(f: Flow): void {
    const a = app.state.diffWith;
    if (a && a.id !== f.id) app.set({ modal: "diff" });
    else {
        app.set({ diffWith: f });
        say("Select the flow to compare with, then press Diff");
    }
}

export const exportText = { value: "", format: "" };

function Dropdown({ label, icon, children, name }: { label: string; icon?: preact.ComponentChildren; name: string; children: preact.ComponentChildren }) {
    const [open, setOpen] = useState(false);
    return (
        <span class="dropdown" data-dropdown={name} onMouseLeave={() => setOpen(false)}>
            <button class="btn" onClick={() => setOpen(!open)}>
                {icon} {label} ▾
            </button>
            {open && (
                <div class="dropdown-menu" onClick={() => setOpen(false)}>
                    {children}
                </div>
            )}
        </span>
    );
}

export function FlowMenu() {
    const f = useStore(app, () => app.state.selected);
    if (!f) return <div class="menu-content menu-empty">Select a flow.</div>;
    const http = f.type === "http";
    return (
        <div class="menu-content">
            <div class="menu-group">
                <button class="btn" data-action="replay" disabled={!http} onClick={() => actions.replay(f)} title="[r]">
                    <Icon name="replay" class="blue" /> Replay
                </button>
                <button class="btn" data-action="resend" disabled={!http || !f.request} onClick={() => openResend(f)} title="[e]">
                    <Icon name="resend" class="blue" /> Resend…
                </button>
                <button class="btn" data-action="duplicate" onClick={() => actions.duplicate(f)} title="[D]">
                    <Icon name="duplicate" class="blue" /> Duplicate
                </button>
                <button class="btn" data-action="revert" disabled={!f.modified} onClick={() => actions.revert(f)} title="[v]">
                    <Icon name="revert" /> Revert
                </button>
                <button class="btn" data-action="delete" onClick={() => actions.remove(f)} title="[d]">
                    <Icon name="trash" class="red" /> Delete
                </button>
                <Dropdown label={f.marked ? "Unmark" : "Mark"} icon={<Icon name="mark" class="red" />} name="mark">
                    {f.marked && <a onClick={() => actions.mark(f, "")}>Unmark</a>}
                    {MARKERS.map(([code, emoji]) => (
                        <a key={code} data-marker={code} onClick={() => actions.mark(f, code)}>
                            <MarkDot marker={emoji} /> {code.replace(/:/g, "").replace(/_/g, " ")}
                        </a>
                    ))}
                </Dropdown>
                <div class="menu-legend">Flow Modification</div>
            </div>
            <div class="menu-group">
                <Dropdown label="Export" icon={<Icon name="export" />} name="export">
                    {EXPORT_FORMATS.map(([fmt, label]) => (
                        <a key={fmt} data-format={fmt} onClick={() => void copy(f, fmt)}>
                            Copy as {label}
                        </a>
                    ))}
                </Dropdown>
                <Dropdown label="Download" icon={<Icon name="download" />} name="download">
                    {http && f.request && (
                        <a data-download="request" onClick={() => download(`/flows/${f.id}/request/content.data`)}>
                            Request body
                        </a>
                    )}
                    {http && f.response && (
                        <a data-download="response" onClick={() => download(`/flows/${f.id}/response/content.data`)}>
                            Response body
                        </a>
                    )}
                </Dropdown>
                <button class="btn" data-action="diff" onClick={() => diff(f)}>
                    <Icon name="diff" /> {app.state.diffWith && app.state.diffWith.id !== f.id ? "Diff" : "Diff with…"}
                </button>
                <div class="menu-legend">Export</div>
            </div>
            <div class="menu-group">
                <button class="btn" data-action="resume" disabled={!f.intercepted} onClick={() => actions.resume(f)} title="[a]">
                    <Icon name="play" class="ok" /> Resume
                </button>
                <button class="btn" data-action="kill" disabled={!f.intercepted && (!!f.response || !!f.error)} onClick={() => actions.kill(f)} title="[x]">
                    <Icon name="kill" class="red" /> Abort
                </button>
                <div class="menu-legend">Interception</div>
            </div>
        </div>
    );
}
