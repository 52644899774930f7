// The Request and Response tabs: first line (click to edit URL, method,
// status, reason), headers and trailers with a key/value editor, and the
// body through the content views with a body editor. Edits are PUT
// /flows/<id>, on intercepted and finished flows alike.
import { actions } from "../app";
import { parseUrl, requestUrl, type Flow, type Headers } from "../flow";
import { ContentView } from "./ContentView";
import { Editable, KeyValueEditor } from "./Editable";

const URL_SCHEMES = ["http", "https", "ws", "wss"];

export function RequestView({ flow }: { flow: Flow }) {
    const r = flow.request!;
    const edit = (patch: object) => actions.update(flow, { request: patch });
    return (
        <section class="http-message request">
            <div class="first-line">
                <Editable name="method" value={r.method} onSave={(v) => edit({ method: v.toUpperCase() })} validate={(v) => /^[A-Za-z]+$/.test(v)} />{" "}
                <Editable
                    name="url"
                    value={requestUrl(r)}
                    validate={(v) => typeof parseUrl(v, URL_SCHEMES) !== "string"}
                    onSave={(v) => {
                        const u = parseUrl(v, URL_SCHEMES);
                        if (typeof u !== "string") edit({ scheme: u.scheme, host: u.host, port: u.port, path: u.path });
                    }}
                />{" "}
                <Editable name="http_version" value={r.http_version} onSave={(v) => edit({ http_version: v })} />
            </div>
            <KeyValueEditor name="headers" headers={r.headers} onSave={(h: Headers) => edit({ headers: h })} />
            <ContentView flow={flow} part="request" message={r} onEdit={(text) => edit({ content: text })} />
            {r.trailers && r.trailers.length > 0 && (
                <KeyValueEditor name="trailers" headers={r.trailers} onSave={(h) => edit({ trailers: h })} />
            )}
        </section>
    );
}

export function ResponseView({ flow }: { flow: Flow }) {
    const r = flow.response;
    if (!r) {
        return (
            <section class="http-message response empty">
                {flow.intercepted ? "The request is intercepted: no response yet." : flow.error ? "No response: see the Error tab." : "Waiting for the response…"}
            </section>
        );
    }
    const edit = (patch: object) => actions.update(flow, { response: patch });
    return (
        <section class="http-message response">
            <div class="first-line">
                <Editable name="response_http_version" value={r.http_version} onSave={(v) => edit({ http_version: v })} />{" "}
                <Editable
                    name="status"
                    value={String(r.status_code)}
                    validate={(v) => /^\d{3}$/.test(v)}
                    onSave={(v) => edit({ code: Number(v) })}
                />{" "}
                <Editable name="reason" value={r.reason} onSave={(v) => edit({ reason: v })} />
            </div>
            <KeyValueEditor name="headers" headers={r.headers} onSave={(h) => edit({ headers: h })} />
            <ContentView flow={flow} part="response" message={r} onEdit={(text) => edit({ content: text })} />
            {r.trailers && r.trailers.length > 0 && (
                <KeyValueEditor name="trailers" headers={r.trailers} onSave={(h) => edit({ trailers: h })} />
            )}
        </section>
    );
}
