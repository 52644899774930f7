// The resend editor (mitmproxy #6227): method, URL, headers and body of a
// request in one form, sent as a new flow by POST /flows/resend. It starts
// from the selected flow's request or from a blank one; the flow it starts
// from is never changed.
import { useEffect, useState } from "preact/hooks";
import { app, flows, say, select } from "../app";
import { fetchApi, post } from "../api";
import { parseUrl, targetUrl, type Flow, type Headers, type UrlTarget } from "../flow";
import { Modal } from "./Modals";

function headersText(h: Headers): string {
    return h.map(([k, v]) => `${k}: ${v}`).join("\n");
}

// "Name: value" lines; a line without a colon is a mistake the form shows.
function parseHeaders(text: string): Headers | string {
    const out: Headers = [];
    for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        const i = line.indexOf(":");
        if (i <= 0) return `not a header line: ${line}`;
        out.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
    }
    return out;
}

// The form's URL: only what replay.client can send.
function parseTarget(text: string): UrlTarget | string {
    return parseUrl(text.trim(), ["http", "https"]);
}

// The body as text for the form; bytes that are not UTF-8 are only kept
// as they are while the box is left alone.
async function requestBody(f: Flow): Promise<{ text: string; binary: boolean }> {
    if (!f.request?.contentLength) return { text: "", binary: false };
    const res = await fetchApi(`/flows/${f.id}/request/content.data`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    try {
        return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), binary: false };
    } catch {
        return { text: new TextDecoder("utf-8").decode(bytes), binary: true };
    }
}

export function openResend(from: Flow | null): void {
    app.set({ modal: "resend", resendFrom: from && from.type === "http" && from.request ? from : null });
}

export function ResendModal() {
    const from = app.state.resendFrom;
    const [method, setMethod] = useState(from?.request?.method ?? "GET");
    const [url, setUrl] = useState(from ? targetUrl(from.request!) : "http://");
    const [headers, setHeaders] = useState(from ? headersText(from.request!.headers) : "");
    const [body, setBody] = useState("");
    const [loaded, setLoaded] = useState({ text: "", binary: false });
    const [error, setError] = useState("");
    const [sending, setSending] = useState(false);
    useEffect(() => {
        if (!from) return;
        requestBody(from)
            .then((b) => {
                setLoaded(b);
                setBody(b.text);
            })
            .catch((e) => setError(`Could not read the body: ${(e as Error).message}`));
    }, [from?.id]);

    const target = parseTarget(url);
    const hdrs = parseHeaders(headers);
    const problem = typeof target === "string" ? target : typeof hdrs === "string" ? hdrs : !/^[A-Za-z]+$/.test(method) ? "not a method" : "";

    // A Host header that named the old URL's host follows the URL.
    const changeUrl = (next: string) => {
        const a = parseTarget(url);
        const b = parseTarget(next);
        if (typeof a !== "string" && typeof b !== "string" && a.authority !== b.authority) {
            setHeaders(headers.replace(/^(host:\s*)(.*)$/im, (line, k: string, v: string) => (v.trim() === a.authority ? k + b.authority : line)));
        }
        setUrl(next);
    };

    const send = async () => {
        if (problem || typeof target === "string" || typeof hdrs === "string") return;
        let h = hdrs;
        if (!from && !h.some(([k]) => k.toLowerCase() === "host")) h = [["Host", target.authority], ...h];
        const request: Record<string, unknown> = {
            method: method.toUpperCase(),
            scheme: target.scheme,
            host: target.host,
            port: target.port,
            path: target.path,
            headers: h,
        };
        // Left alone, the body keeps its bytes (and any encoding) as sent.
        if (!from ? body !== "" : body !== loaded.text) request.content = body;
        setSending(true);
        try {
            const res = await post("/flows/resend", { flow: from?.id, request });
            const id = (await res.text()).trim();
            app.set({ modal: null, resendFrom: null });
            say("Sent as a new flow");
            // The store holds the flow before the server answers, so one
            // lookup finds it (unless the search filter hides it); find()
            // takes care that an update seen meanwhile (the origin's
            // response) is not undone by the copy it fetched.
            const found = await flows.find(id);
            if (found) select(...found);
        } catch (e) {
            setError((e as Error).message);
        } finally {
            setSending(false);
        }
    };

    const stop = (e: KeyboardEvent) => {
        if (e.key !== "Escape") e.stopPropagation();
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void send();
    };
    return (
        <Modal title={from ? "Resend an edited copy" : "New request"} name="resend">
            <div class="resend" onKeyDown={stop}>
                <div class="resend-line">
                    <input class="resend-method" data-resend="method" value={method} size={8} onInput={(e) => setMethod((e.target as HTMLInputElement).value)} />
                    <input class={`resend-url${typeof target === "string" ? " invalid" : ""}`} data-resend="url" value={url} onInput={(e) => changeUrl((e.target as HTMLInputElement).value)} />
                </div>
                <label>Headers, one "Name: value" a line</label>
                <textarea class={`resend-headers${typeof hdrs === "string" ? " invalid" : ""}`} data-resend="headers" rows={Math.min(14, Math.max(4, headers.split("\n").length + 1))} value={headers} onInput={(e) => setHeaders((e.target as HTMLTextAreaElement).value)} />
                <label>Body{loaded.binary ? " (not UTF-8: kept as it was unless you edit it)" : ""}</label>
                <textarea class="resend-body" data-resend="body" rows={8} value={body} onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} />
                {(problem || error) && <div class="content-error">{problem || error}</div>}
                <div class="resend-actions">
                    <button class="btn primary" data-action="resend-send" disabled={!!problem || sending} onClick={() => void send()} title="Ctrl+Enter">
                        Send
                    </button>
                    <button class="btn" onClick={() => app.set({ modal: null, resendFrom: null })}>
                        Cancel
                    </button>
                    <span class="resend-note">{from ? "A new flow is sent; the flow it comes from stays as it is." : "Sent as a new flow."}</span>
                </div>
            </div>
        </Modal>
    );
}
