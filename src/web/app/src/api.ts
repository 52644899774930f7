// Talking to the server: every request carries the auth cookie (set by the
// server on the first load with ?token=), and every write carries the XSRF
// token the server put in a cookie, as mitmproxy's tornado app expects.

function cookie(name: string): string | undefined {
    for (const part of document.cookie.split(";")) {
        const [k, ...v] = part.trim().split("=");
        if (k === name) return decodeURIComponent(v.join("="));
    }
    return undefined;
}

// mitmproxy renamed the cookie (issue 8194); accept both spellings.
function xsrf(): string | undefined {
    return cookie("_mitmproxy_xsrf") ?? cookie("_xsrf");
}

export class ApiError extends Error {
    constructor(
        public status: number,
        message: string,
    ) {
        super(message);
    }
}

export async function fetchApi(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.method && init.method !== "GET") {
        const token = xsrf();
        if (token) headers.set("X-XSRFToken", token);
    }
    // Relative to the page, so the app also works behind a path prefix.
    const res = await fetch(url.startsWith("/") ? "." + url : url, {
        credentials: "same-origin",
        ...init,
        headers,
    });
    if (!res.ok) {
        const text = await res.text().catch(() => "");
        throw new ApiError(res.status, `${res.status} ${res.statusText}: ${text.slice(0, 300)}`);
    }
    return res;
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
    return (await fetchApi(url, { signal })).json() as Promise<T>;
}

export function post(url: string, json?: unknown): Promise<Response> {
    return fetchApi(url, {
        method: "POST",
        headers: json === undefined ? {} : { "Content-Type": "application/json" },
        body: json === undefined ? undefined : JSON.stringify(json),
    });
}

export function put(url: string, json: unknown): Promise<Response> {
    return fetchApi(url, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(json),
    });
}

export function del(url: string): Promise<Response> {
    return fetchApi(url, { method: "DELETE" });
}

export interface CommandResult {
    value?: unknown;
    error?: string;
}

export async function runCommand(cmd: string, ...args: string[]): Promise<CommandResult> {
    const res = await post(`/commands/${cmd}`, { arguments: args });
    return (await res.json()) as CommandResult;
}

// Downloads go through a plain link: the auth cookie rides along, and the
// browser streams the file to disk instead of holding it in memory.
export function download(url: string): void {
    const a = document.createElement("a");
    a.href = url.startsWith("/") ? "." + url : url;
    a.download = "";
    document.body.appendChild(a);
    a.click();
    a.remove();
}
