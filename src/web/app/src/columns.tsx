// The flow table's columns: the names of mitmproxy's web_columns option,
// each with a header, a width and a cell renderer.
import { actions } from "./app";
import {
    contentType,
    flowEnd,
    flowSize,
    flowStart,
    formatDuration,
    formatSize,
    formatTimestamp,
    mainPath,
    markEmoji,
    type Flow,
} from "./flow";
import type { JSX } from "preact";
import { Icon } from "./icons";

// Marks are emoji in mitmproxy's JSON; drawn as coloured dots here, so they
// look the same with or without an emoji font. Other markers stay text.
const MARK_COLOURS: Record<string, string> = {
    "🔴": "#e53935",
    "🟠": "#fb8c00",
    "🟡": "#fdd835",
    "🟢": "#43a047",
    "🔵": "#1e88e5",
    "🟣": "#8e24aa",
    "🟤": "#6d4c41",
    "⚫": "#212121",
    "⚪": "#e0e0e0",
};

export function MarkDot({ marker }: { marker: string }) {
    const colour = MARK_COLOURS[marker];
    if (!colour) return <span class="mark">{marker}</span>;
    return <span class="mark mark-dot" data-mark={marker} style={{ background: colour }} />;
}

export interface Column {
    name: string;
    header: string;
    width: string; // CSS flex basis; "" = takes the rest
    cell: (f: Flow, index: number) => JSX.Element | string;
}

function iconClass(f: Flow): [string, string] {
    if (f.type === "tcp") return ["tcp", "TCP"];
    if (f.type === "udp") return ["tcp", "UDP"];
    if (f.type === "dns") return ["dns", "DNS"];
    if (f.websocket) return ["ws", "WS"];
    const r = f.response;
    if (!r) return ["plain", "…"];
    if (r.status_code >= 300 && r.status_code < 400) return ["redirect", "↪"];
    if (r.status_code === 304) return ["plain", "="];
    const ct = contentType(r);
    if (ct.startsWith("image/")) return ["image", "IMG"];
    if (ct.includes("javascript") || ct.includes("ecmascript")) return ["js", "JS"];
    if (ct.includes("css")) return ["css", "CSS"];
    if (ct.includes("html")) return ["doc", "HTML"];
    if (ct.includes("json")) return ["json", "{}"];
    if (r.contentLength === 0) return ["empty", "∅"];
    return ["plain", "TXT"];
}

const tls: Column = {
    name: "tls",
    header: "",
    width: "6px",
    cell: (f) => {
        const scheme = f.request?.scheme ?? "";
        const secure = scheme === "https" || scheme === "wss" || !!f.client_conn?.tls_established;
        return <span class={secure ? "col-tls-https" : "col-tls-http"} />;
    },
};

const index: Column = { name: "index", header: "#", width: "56px", cell: (_f, i) => String(i + 1) };

const icon: Column = {
    name: "icon",
    header: "",
    width: "40px",
    cell: (f) => {
        const [cls, label] = iconClass(f);
        return <span class={`resource-icon resource-icon-${cls}`}>{label}</span>;
    },
};

const path: Column = {
    name: "path",
    header: "Path",
    width: "",
    cell: (f) => (
        <>
            {f.is_replay && <span class="badge replay" title="replayed"><Icon name="replay" /></span>}
            {f.intercepted && <span class="badge intercepted" title="intercepted"><Icon name="pause" /></span>}
            {f.error && <span class="badge error" title={f.error.msg}><Icon name="kill" /></span>}
            {f.marked && <MarkDot marker={markEmoji(f)} />}
            <span class="path-text">{mainPath(f)}</span>
        </>
    ),
};

const method: Column = {
    name: "method",
    header: "Method",
    width: "72px",
    cell: (f) => f.request?.method ?? (f.type === "dns" ? "DNS" : f.type.toUpperCase()),
};

const version: Column = {
    name: "version",
    header: "Version",
    width: "84px",
    cell: (f) => f.request?.http_version ?? "",
};

const status: Column = {
    name: "status",
    header: "Status",
    width: "56px",
    cell: (f) => {
        const code = f.response?.status_code;
        if (code === undefined) return "";
        const cls = code >= 500 ? "s5" : code >= 400 ? "s4" : code >= 300 ? "s3" : "s2";
        return <span class={`status ${cls}`}>{code}</span>;
    },
};

const size: Column = {
    name: "size",
    header: "Size",
    width: "72px",
    cell: (f) => formatSize(flowSize(f)),
};

const time: Column = {
    name: "time",
    header: "Time",
    width: "72px",
    cell: (f) => {
        const end = flowEnd(f);
        return end ? formatDuration(end - flowStart(f)) : "...";
    },
};

const timestamp: Column = {
    name: "timestamp",
    header: "Start time",
    width: "190px",
    cell: (f) => formatTimestamp(flowStart(f)),
};

const stop = (e: Event) => e.stopPropagation();

const quickactions: Column = {
    name: "quickactions",
    header: "",
    width: "44px",
    cell: (f) =>
        f.intercepted ? (
            <button class="quick" title="resume" onClick={(e) => (stop(e), actions.resume(f))}>
                <Icon name="play" />
            </button>
        ) : (
            <button class="quick" title="replay" onClick={(e) => (stop(e), actions.replay(f))}>
                <Icon name="replay" />
            </button>
        ),
};

const comment: Column = {
    name: "comment",
    header: "Comment",
    width: "160px",
    cell: (f) => f.comment,
};

export const COLUMNS: Record<string, Column> = {
    tls,
    index,
    icon,
    path,
    method,
    version,
    status,
    size,
    time,
    timestamp,
    quickactions,
    comment,
};

export const DEFAULT_COLUMNS = ["tls", "icon", "path", "method", "status", "size", "time"];
