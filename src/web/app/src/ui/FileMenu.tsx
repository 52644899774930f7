// The File menu: open a flow file or HAR, save all or the filtered flows as
// a flow file or HAR, clear the session.
import { useRef } from "preact/hooks";
import { actions, flows, say } from "../app";
import { download, fetchApi } from "../api";
import { Icon } from "../icons";

export async function openFile(file: File): Promise<void> {
    const body = new FormData();
    body.append("file", file);
    try {
        await fetchApi("/flows/dump", { method: "POST", body });
        say(`Loaded ${file.name}`);
    } catch (e) {
        say(`Could not load ${file.name}: ${(e as Error).message}`);
    }
}

function dumpUrl(filtered: boolean, har: boolean): string {
    const q = new URLSearchParams();
    if (filtered && flows.filter) q.set("filter", flows.filter);
    if (har) q.set("format", "har");
    const s = q.toString();
    return `/flows/dump${s ? "?" + s : ""}`;
}

export function FileMenu() {
    const input = useRef<HTMLInputElement>(null);
    return (
        <div class="menu-content">
            <div class="menu-group">
                <button class="btn" data-action="open" onClick={() => input.current?.click()}>
                    <Icon name="open" /> Open…
                </button>
                <input
                    ref={input}
                    type="file"
                    class="hidden"
                    data-input="open"
                    accept=".mitm,.flows,.har,.json,*"
                    onChange={(e) => {
                        const el = e.target as HTMLInputElement;
                        if (el.files?.[0]) void openFile(el.files[0]);
                        el.value = "";
                    }}
                />
                <button class="btn" data-action="save" onClick={() => download(dumpUrl(false, false))}>
                    <Icon name="save" /> Save all
                </button>
                <button class="btn" data-action="save-filtered" onClick={() => download(dumpUrl(true, false))}>
                    <Icon name="save" /> Save filtered
                </button>
                <button class="btn" data-action="save-har" onClick={() => download(dumpUrl(true, true))}>
                    <Icon name="download" /> Export HAR
                </button>
                <div class="menu-legend">Flow files</div>
            </div>
            <div class="menu-group">
                <button
                    class="btn"
                    data-action="clear"
                    onClick={() => {
                        if (confirm("Delete all flows?")) void actions.clear();
                    }}
                    title="[z]"
                >
                    <Icon name="clear" class="red" /> Clear all
                </button>
                <div class="menu-legend">Session</div>
            </div>
        </div>
    );
}
