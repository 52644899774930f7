// The flow JSON of mitmproxy's flow_to_json (tools/web/app.py), which the
// server sends in lists, updates and the windowed list alike.

export type Headers = [string, string][];

export interface Cert {
    keyinfo: [string, number];
    sha256: string;
    notbefore: number;
    notafter: number;
    serial: string;
    subject: [string, string][];
    issuer: [string, string][];
    altnames: string[];
}

export interface Conn {
    id: string;
    peername?: [string, number] | null;
    sockname?: [string, number] | null;
    address?: [string, number] | null;
    tls_established?: boolean;
    cert?: Cert | null;
    sni?: string | null;
    cipher?: string | null;
    alpn?: string | null;
    tls_version?: string | null;
    timestamp_start?: number | null;
    timestamp_tcp_setup?: number | null;
    timestamp_tls_setup?: number | null;
    timestamp_end?: number | null;
}

/** What a request and a response both have. */
export interface HttpMessage {
    http_version: string;
    headers: Headers;
    trailers?: Headers;
    contentLength: number | null;
    contentHash: string | null;
    timestamp_start: number | null;
    timestamp_end: number | null;
}

export interface Request extends HttpMessage {
    method: string;
    scheme: string;
    host: string;
    port: number;
    path: string;
    pretty_host: string;
}

export interface Response extends HttpMessage {
    status_code: number;
    reason: string;
}

export interface DnsQuestion {
    name: string;
    type: string;
    class: string;
}

export interface DnsRecord extends DnsQuestion {
    ttl: number;
    data: string;
}

/** A DNS flow's request and response, in place of the HTTP ones. */
export interface DnsMessage {
    id: number;
    query: boolean;
    op_code: string;
    authoritative_answer: boolean;
    truncation: boolean;
    recursion_desired: boolean;
    recursion_available: boolean;
    response_code: string;
    timestamp: number | null;
    questions: DnsQuestion[];
    answers: DnsRecord[];
    authorities: DnsRecord[];
    additionals: DnsRecord[];
    size: number;
}

// A DNS flow's request or response, which the JSON holds where an HTTP
// flow has its own; undefined for another flow or a missing part.
export function dnsMessage(f: Flow, part: "request" | "response"): DnsMessage | undefined {
    return f.type === "dns" ? (f[part] as unknown as DnsMessage | undefined) : undefined;
}

export interface MessagesMeta {
    contentLength: number;
    count: number;
    timestamp_last: number | null;
}

export interface Flow {
    id: string;
    type: "http" | "tcp" | "udp" | "dns" | string;
    intercepted: boolean;
    is_replay: "request" | "response" | null;
    modified: boolean;
    marked: string | boolean;
    comment: string;
    timestamp_created: number;
    client_conn?: Conn;
    server_conn?: Conn;
    error?: { msg: string; timestamp: number };
    request?: Request;
    response?: Response;
    websocket?: {
        messages_meta: MessagesMeta;
        closed_by_client: boolean | null;
        close_code: number | null;
        close_reason: string | null;
        timestamp_end: number | null;
    };
    messages_meta?: MessagesMeta;
}

// mitmproxy 8 sent marked as a bool, current mitmproxy as an emoji.
export function markEmoji(f: Flow): string {
    if (!f.marked) return "";
    return f.marked === true ? "🔴" : String(f.marked);
}

function defaultPort(scheme: string): number {
    return scheme === "https" || scheme === "wss" ? 443 : 80;
}

// scheme://host[:port]path, without the port when it is the scheme's default.
function absoluteUrl(scheme: string, host: string, port: number, path: string): string {
    return `${scheme}://${host}${port === defaultPort(scheme) ? "" : `:${port}`}${path}`;
}

export function requestUrl(r: Request): string {
    if (r.method === "CONNECT" || r.path === "*" || !r.path.startsWith("/")) {
        return r.method === "CONNECT" ? `${r.host}:${r.port}` : r.path;
    }
    return absoluteUrl(r.scheme, r.pretty_host || r.host, r.port, r.path);
}

// Where r is sent, as a URL parseUrl() reads back: its host rather than the
// Host header's, an IPv6 address in brackets.
export function targetUrl(r: Request): string {
    return absoluteUrl(r.scheme, r.host.includes(":") ? `[${r.host}]` : r.host, r.port, r.path);
}

// The request fields an absolute URL names, and its authority (host[:port]
// as written) for a Host header.
export interface UrlTarget {
    scheme: string;
    host: string;
    port: number;
    path: string;
    authority: string;
}

// Reads an absolute URL of one of schemes; a string says what is wrong.
export function parseUrl(text: string, schemes: string[]): UrlTarget | string {
    let u: URL;
    try {
        u = new URL(text);
    } catch {
        return "not a URL";
    }
    const scheme = u.protocol.replace(/:$/, "");
    if (!schemes.includes(scheme)) return `the URL must be ${schemes.join(" or ")}`;
    if (!u.hostname) return "the URL has no host";
    return {
        scheme,
        host: u.hostname.replace(/^\[|\]$/g, ""),
        port: u.port ? Number(u.port) : defaultPort(scheme),
        path: (u.pathname || "/") + u.search,
        authority: u.host,
    };
}

export function mainPath(f: Flow): string {
    // A DNS flow's request is a DNS message, without a URL.
    if (f.type === "dns") {
        const q = dnsMessage(f, "request")?.questions ?? [];
        return q.length ? q.map((x) => `${x.name} ${x.type}`).join(", ") : "DNS";
    }
    if (f.request) return requestUrl(f.request);
    const a = f.server_conn?.address;
    if (a) return `${f.type.toUpperCase()} ${a[0]}:${a[1]}`;
    return f.type;
}

export function flowSize(f: Flow): number {
    let n = 0;
    n += f.request?.contentLength ?? 0;
    n += f.response?.contentLength ?? 0;
    n += f.websocket?.messages_meta.contentLength ?? 0;
    n += f.messages_meta?.contentLength ?? 0;
    return n;
}

export function flowStart(f: Flow): number {
    return f.request?.timestamp_start ?? f.client_conn?.timestamp_start ?? f.timestamp_created;
}

export function flowEnd(f: Flow): number | null {
    if (f.type === "http") {
        return f.websocket?.timestamp_end ?? f.response?.timestamp_end ?? null;
    }
    return f.messages_meta?.timestamp_last ?? f.server_conn?.timestamp_end ?? null;
}

export function getHeader(h: Headers, name: string): string | undefined {
    const lower = name.toLowerCase();
    return h.find(([k]) => k.toLowerCase() === lower)?.[1];
}

export function contentType(m: HttpMessage): string {
    return (getHeader(m.headers, "content-type") ?? "").split(";")[0].trim().toLowerCase();
}

// A size as 8.1.1's table shows it (its formatSize): the largest of b, kb,
// mb, gb and tb (powers of 1024) below which n is not, with one decimal
// unless n is a whole number of that unit: "0", "512b", "1kb", "1.5kb",
// "10.0kb". 8.1.1 runs out of units at 1024 tb and prints "undefined" for
// the unit; here such sizes stay in tb.
const SIZE_UNITS = ["b", "kb", "mb", "gb", "tb"];

export function formatSize(n: number): string {
    if (n === 0) return "0";
    let i = 0;
    while (i < SIZE_UNITS.length - 1 && Math.pow(1024, i + 1) <= n) i++;
    const unit = Math.pow(1024, i);
    return (n / unit).toFixed(n % unit === 0 ? 0 : 1) + SIZE_UNITS[i];
}

// A duration in seconds as 8.1.1's table and timing tab show it (its
// formatTimeDelta, given milliseconds): ms below a second, s below a
// minute, min below an hour, else h, rounded to a whole number of the unit
// with Math.round: "0ms", "999ms", "1000ms" (999.5 ms rounds up but stays in
// ms), "2s" (1.5 s), "59s", "2min" (90 s), "3h".
const DELTA_UNITS = ["ms", "s", "min", "h"];
const DELTA_STEPS = [1000, 60, 60];

export function formatDuration(s: number): string {
    let v = 1e3 * s;
    let i = 0;
    while (i < DELTA_STEPS.length && Math.abs(v) >= DELTA_STEPS[i]) {
        v /= DELTA_STEPS[i];
        i++;
    }
    return Math.round(v) + DELTA_UNITS[i];
}

// A time as 8.1.1's app shows it (formatTimeStamp): UTC, whatever the
// browser's zone, "2026-12-06 12:30:05.123". A time no Date can hold (a
// flow file may say anything) shows as the number it is.
export function formatTimestamp(s: number | null | undefined): string {
    if (s == null) return "";
    const d = new Date(s * 1000);
    if (Number.isNaN(d.getTime())) return String(s);
    return d.toISOString().replace("T", " ").replace("Z", "");
}

export function isImage(m: HttpMessage): boolean {
    return /^image\/(png|jpe?g|gif|webp|bmp|x-icon|vnd\.microsoft\.icon|svg\+xml|avif)$/.test(
        contentType(m),
    );
}
