// WebSocket and TCP messages through the content views, one block per
// message with its direction and time.
import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api";
import { formatTimestamp, type Flow } from "../flow";
import { LINE_LIMIT, Lines, viewLines, ViewSelector, type ViewResult } from "./ContentView";

export function Messages({ flow }: { flow: Flow }) {
    const meta = flow.websocket?.messages_meta ?? flow.messages_meta;
    const [view, setView] = useState("auto");
    const [all, setAll] = useState(false);
    const [msgs, setMsgs] = useState<ViewResult[] | null>(null);
    const [error, setError] = useState<string | null>(null);
    useEffect(() => {
        let live = true;
        const q = all ? "" : `?lines=${LINE_LIMIT}`;
        getJson<ViewResult[]>(`/flows/${flow.id}/messages/content/${encodeURIComponent(view.toLowerCase())}.json${q}`)
            .then((m) => live && (setMsgs(m), setError(null)))
            .catch((e) => live && setError(String(e.message ?? e)));
        return () => {
            live = false;
        };
    }, [flow.id, view, all, meta?.count, meta?.contentLength]);

    return (
        <section class="messages">
            <div class="content-toolbar">
                <span class="content-description">
                    {meta ? `${meta.count} message${meta.count === 1 ? "" : "s"}` : "no messages"}
                </span>
                <ViewSelector value={view} onChange={setView} />
            </div>
            {error && <div class="content-error">{error}</div>}
            {msgs?.map((m, i) => (
                <div key={i} class={`message ${m.from_client ? "from-client" : "from-server"}`}>
                    <div class="message-head">
                        <span class="direction">{m.from_client ? "▲ client" : "▼ server"}</span>
                        <span class="message-time">{formatTimestamp(m.timestamp)}</span>
                        {m.description && <span class="content-description">{m.description}</span>}
                    </div>
                    <Lines lines={viewLines(m)} />
                </div>
            ))}
            {msgs && meta && msgs.length < meta.count && !all && (
                <button class="btn show-all" onClick={() => setAll(true)}>
                    Show all
                </button>
            )}
            {flow.websocket && flow.websocket.close_code != null && (
                <div class="ws-close">
                    Closed by {flow.websocket.closed_by_client ? "client" : "server"} with code{" "}
                    {flow.websocket.close_code} {flow.websocket.close_reason ?? ""}
                </div>
            )}
        </section>
    );
}
