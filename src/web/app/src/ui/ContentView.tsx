// A message body through the server's content views (/content/<view>.json):
// a view selector, syntax colour, images shown as images, and a line limit
// that "Show all" lifts.
import { useEffect, useState } from "preact/hooks";
import { fetchApi, getJson } from "../api";
import { serverState } from "../app";
import { isImage, type Flow, type Request, type Response } from "../flow";
import { highlightLine, type Token } from "../highlight";
import { useStore } from "../store";

export const LINE_LIMIT = 512;

export interface ViewResult {
    text?: string;
    lines?: [string, string][][]; // mitmproxy 8's shape
    view_name?: string;
    syntax_highlight?: string;
    description?: string;
    from_client?: boolean;
    timestamp?: number;
}

// The server's styled lines win when they carry colour (its JSON view does);
// otherwise the text is coloured here by the language the view names.
export function viewLines(r: ViewResult): Token[][] {
    const lang = r.syntax_highlight && r.syntax_highlight !== "none" ? r.syntax_highlight : null;
    const styled = r.lines?.some((l) => l.some(([c]) => c !== "text"));
    if (r.lines && (styled || !lang || r.text === undefined)) {
        return r.lines.map((l) => l.map(([c, t]) => [c, t] as Token));
    }
    return (r.text ?? "").split("\n").map((l) => highlightLine(l, lang));
}

export function Lines({ lines }: { lines: Token[][] }) {
    return (
        <pre class="content-lines">
            {lines.map((l, i) => (
                <div key={i} class="line">
                    {l.map(([c, t], j) => (
                        <span key={j} class={`cv-${c}`}>
                            {t}
                        </span>
                    ))}
                </div>
            ))}
        </pre>
    );
}

export function ViewSelector({ value, onChange }: { value: string; onChange: (v: string) => void }) {
    const views = (useStore(serverState, () => serverState.state.state.contentViews) as string[] | undefined) ?? [];
    const all = views.length ? views : ["Auto", "Raw", "Hex", "JSON"];
    return (
        <select class="view-selector" value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
            <option value="auto">auto</option>
            {all
                .filter((v) => v.toLowerCase() !== "auto")
                .map((v) => (
                    <option key={v} value={v}>
                        {v.toLowerCase()}
                    </option>
                ))}
        </select>
    );
}

function viewPath(v: string): string {
    return encodeURIComponent(v.toLowerCase().replace(/ /g, "_"));
}

interface Props {
    flow: Flow;
    part: "request" | "response";
    message: Request | Response;
    onEdit?: (text: string) => void;
}

export function ContentView({ flow, part, message, onEdit }: Props) {
    const [view, setView] = useState("auto");
    const [all, setAll] = useState(false);
    const [result, setResult] = useState<ViewResult | null>(null);
    const [error, setError] = useState<string | null>(null);
    const [editing, setEditing] = useState<string | null>(null);
    const hash = message.contentHash;
    const len = message.contentLength;

    useEffect(() => {
        setResult(null);
        setError(null);
        if (!len) return;
        let live = true;
        const q = all ? "" : `?lines=${LINE_LIMIT}`;
        getJson<ViewResult>(`/flows/${flow.id}/${part}/content/${viewPath(view)}.json${q}`)
            .then((r) => live && setResult(r))
            .catch((e) => live && setError(String(e.message ?? e)));
        return () => {
            live = false;
        };
    }, [flow.id, part, view, all, hash, len]);

    useEffect(() => {
        setEditing(null);
        setAll(false);
    }, [flow.id, part]);

    const startEdit = async () => {
        try {
            const res = await fetchApi(`/flows/${flow.id}/${part}/content.data`);
            setEditing(await res.text());
        } catch (e) {
            setError(String((e as Error).message));
        }
    };

    if (editing !== null) {
        return (
            <div class="content-view editing">
                <textarea
                    class="body-editor"
                    value={editing}
                    spellcheck={false}
                    onInput={(e) => setEditing((e.target as HTMLTextAreaElement).value)}
                    onKeyDown={(e) => e.stopPropagation()}
                />
                <div class="content-toolbar">
                    <button
                        class="btn primary"
                        data-action="save-body"
                        onClick={() => {
                            onEdit?.(editing);
                            setEditing(null);
                        }}
                    >
                        Save
                    </button>
                    <button class="btn" onClick={() => setEditing(null)}>
                        Cancel
                    </button>
                </div>
            </div>
        );
    }

    const lines = result ? viewLines(result) : [];
    const truncated = !all && lines.length >= LINE_LIMIT;
    return (
        <div class="content-view" data-part={part}>
            <div class="content-toolbar">
                <span class="content-description">
                    {len ? (result?.description ?? (error ? "" : "loading…")) : "No content"}
                </span>
                {!!len && <ViewSelector value={view} onChange={setView} />}
                {onEdit && (
                    <button class="btn small" data-action="edit-body" onClick={() => void startEdit()}>
                        ✎ Edit
                    </button>
                )}
            </div>
            {!!len && isImage(message) && (
                <div class="content-image">
                    <img src={`./flows/${flow.id}/${part}/content.data?h=${hash ?? ""}`} alt="response image" />
                </div>
            )}
            {error && <div class="content-error">{error}</div>}
            {result && !isImage(message) && <Lines lines={lines} />}
            {truncated && (
                <button class="btn show-all" data-action="show-all" onClick={() => setAll(true)}>
                    Show all
                </button>
            )}
        </div>
    );
}
