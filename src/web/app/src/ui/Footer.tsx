// The footer: how many flows are shown, where the proxy listens, the version.
import { flows, options, serverState } from "../app";
import { useStore } from "../store";

function listenAddresses(): string[] {
    const servers = serverState.state.state.servers as Record<string, { listen_addrs?: [string, number][] }> | undefined;
    const out: string[] = [];
    for (const [spec, s] of Object.entries(servers ?? {})) {
        const addrs = s?.listen_addrs ?? [];
        out.push(addrs.length ? `${spec === "regular" ? "" : spec + " "}${addrs.map(([h, p]) => `${h}:${p}`).join(", ")}` : spec);
    }
    if (!out.length) {
        const o = options.state.options;
        const host = (o.listen_host?.value as string) || "*";
        const port = o.listen_port?.value;
        if (port != null) out.push(`${host}:${port}`);
    }
    return out;
}

// 1234567 as "1,234,567". Not toLocaleString(): its first call loads the
// locale data, about 130 ms of the first render at start-up.
export function formatCount(n: number): string {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

export function Footer() {
    useStore(serverState);
    useStore(options);
    useStore(flows, () => flows.total);
    const version = serverState.state.state.version;
    return (
        <footer class="footer">
            <span class="flow-count" data-total={flows.total}>
                {formatCount(flows.total)} flow{flows.total === 1 ? "" : "s"}
                {flows.filter ? " matching the filter" : ""}
            </span>
            {listenAddresses().map((a) => (
                <span key={a} class="pill">
                    {a}
                </span>
            ))}
            {version && (
                <span class="pill dim version" title="Mitmproxy Version">
                    mitmproxy {version}
                </span>
            )}
        </footer>
    );
}
