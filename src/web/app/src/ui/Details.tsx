// The Connection, Timing, Error and Comment tabs.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { actions } from "../app";
import { formatTimestamp, type Cert, type Conn, type Flow } from "../flow";

function addr(a: [string, number] | null | undefined): string {
    if (!a) return "";
    return a[0].includes(":") ? `[${a[0]}]:${a[1]}` : `${a[0]}:${a[1]}`;
}

function Row({ k, v }: { k: string; v: unknown }) {
    if (v === null || v === undefined || v === "") return null;
    return (
        <tr>
            <td class="detail-key">{k}</td>
            <td class="detail-value">{String(v)}</td>
        </tr>
    );
}

/** A certificate time as 8.1.1 shows it: UTC, to the second. */
function utc(s: number): string {
    return new Date(s * 1000).toISOString().replace("T", " ").slice(0, 19);
}

function Attrs({ list }: { list: [string, string][] }) {
    return (
        <dl class="cert-attributes">
            {list.flatMap(([k, v], i) => [<dt key={`k${i}`}>{k}</dt>, <dd key={`v${i}`}>{v}</dd>])}
        </dl>
    );
}

/** 8.1.1's CertificateInfo: the server's leaf, every row even when empty. */
function CertInfo({ cert }: { cert: Cert }) {
    const rows: [string, ComponentChildren][] = [
        ["Type", `${cert.keyinfo[0]}, ${cert.keyinfo[1]} bits`],
        ["SHA256 digest", cert.sha256],
        ["Valid from", utc(cert.notbefore)],
        ["Valid to", utc(cert.notafter)],
        ["Subject Alternative Names", cert.altnames.join(", ")],
        ["Subject", <Attrs list={cert.subject} />],
        ["Issuer", <Attrs list={cert.issuer} />],
        ["Serial", cert.serial],
    ];
    return (
        <div class="cert-info">
            <h4>Server Certificate</h4>
            <table class="details certificate-table">
                <tbody>
                    {rows.map(([k, v]) => (
                        <tr key={k}>
                            <td class="detail-key">{k}</td>
                            <td class="detail-value">{v}</td>
                        </tr>
                    ))}
                </tbody>
            </table>
        </div>
    );
}

function ConnInfo({ title, conn, server }: { title: string; conn: Conn; server?: boolean }) {
    return (
        <div class="conn-info">
            <h4>{title}</h4>
            <table class="details">
                <tbody>
                    {server && <Row k="Address" v={addr(conn.address)} />}
                    <Row k={server ? "Resolved address" : "Address"} v={addr(conn.peername)} />
                    <Row k="Local address" v={addr(conn.sockname)} />
                    <Row k="TLS" v={conn.tls_established ? "yes" : ""} />
                    <Row k="TLS version" v={conn.tls_version} />
                    <Row k="Server name indication" v={conn.sni} />
                    <Row k="Cipher" v={conn.cipher} />
                    <Row k="ALPN" v={conn.alpn} />
                </tbody>
            </table>
        </div>
    );
}

export function Connection({ flow }: { flow: Flow }) {
    return (
        <section class="detail">
            {flow.client_conn && <ConnInfo title="Client Connection" conn={flow.client_conn} />}
            {flow.server_conn?.address && <ConnInfo title="Server Connection" conn={flow.server_conn} server />}
            {flow.server_conn?.cert && <CertInfo cert={flow.server_conn.cert} />}
        </section>
    );
}

export function Timing({ flow }: { flow: Flow }) {
    const c = flow.client_conn;
    const s = flow.server_conn;
    const events: [string, number | null | undefined][] = [
        ["Client conn. established", c?.timestamp_start],
        ["Client conn. TLS handshake", c?.timestamp_tls_setup],
        ["Server conn. initiated", s?.timestamp_start],
        ["Server conn. TCP handshake", s?.timestamp_tcp_setup],
        ["Server conn. TLS handshake", s?.timestamp_tls_setup],
        ["First request byte", flow.request?.timestamp_start],
        ["Request complete", flow.request?.timestamp_end],
        ["First response byte", flow.response?.timestamp_start],
        ["Response complete", flow.response?.timestamp_end],
        ["WebSocket closed", flow.websocket?.timestamp_end],
        ["Client conn. closed", c?.timestamp_end],
        ["Server conn. closed", s?.timestamp_end],
    ];
    const shown = events.filter(([, t]) => t != null).sort((a, b) => (a[1] as number) - (b[1] as number));
    const t0 = shown.length ? (shown[0][1] as number) : 0;
    return (
        <section class="detail">
            <h4>Timing</h4>
            <table class="details timing">
                <tbody>
                    {shown.map(([k, t]) => (
                        <tr key={k}>
                            <td class="detail-key">{k}</td>
                            <td class="detail-value">{formatTimestamp(t)}</td>
                            <td class="detail-delta">+{(((t as number) - t0) * 1000).toFixed(1)} ms</td>
                        </tr>
                    ))}
                </tbody>
            </table>
        </section>
    );
}

export function ErrorTab({ flow }: { flow: Flow }) {
    return (
        <section class="detail">
            <div class="error-box">
                {flow.error?.msg}
                <div class="error-time">{formatTimestamp(flow.error?.timestamp)}</div>
            </div>
        </section>
    );
}

export function Comment({ flow }: { flow: Flow }) {
    const [text, setText] = useState(flow.comment);
    useEffect(() => setText(flow.comment), [flow.id, flow.comment]);
    return (
        <section class="detail">
            <textarea
                class="comment-editor"
                placeholder="A comment on this flow"
                value={text}
                onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
                onKeyDown={(e) => e.stopPropagation()}
            />
            <button class="btn primary" data-action="save-comment" disabled={text === flow.comment} onClick={() => actions.comment(flow, text)}>
                Save comment
            </button>
        </section>
    );
}
