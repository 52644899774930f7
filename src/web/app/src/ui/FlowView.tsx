// The detail pane of the selected flow: mitmweb's tabs, or request and
// response side by side when that layout is on.
import { app, select, tabsFor, type Tab } from "../app";
import { useStore } from "../store";
import { Comment, Connection, ErrorTab, Timing } from "./Details";
import { DnsView } from "./DnsMessage";
import { RequestView, ResponseView } from "./HttpMessage";
import { Messages } from "./Messages";
import type { Flow } from "../flow";

const TAB_NAMES: Record<Tab, string> = {
    request: "Request",
    response: "Response",
    websocket: "WebSocket",
    messages: "TCP Messages",
    connection: "Connection",
    timing: "Timing",
    error: "Error",
    comment: "Comment",
};

function TabBody({ flow, tab }: { flow: Flow; tab: Tab }) {
    switch (tab) {
        case "request":
            if (flow.type === "dns") return <DnsView flow={flow} part="request" />;
            return flow.request ? <RequestView flow={flow} /> : null;
        case "response":
            if (flow.type === "dns") return <DnsView flow={flow} part="response" />;
            return <ResponseView flow={flow} />;
        case "websocket":
        case "messages":
            return <Messages flow={flow} />;
        case "connection":
            return <Connection flow={flow} />;
        case "timing":
            return <Timing flow={flow} />;
        case "error":
            return <ErrorTab flow={flow} />;
        case "comment":
            return <Comment flow={flow} />;
    }
}

export function FlowView() {
    const flow = useStore(app, () => app.state.selected);
    const tab = useStore(app, () => app.state.tab) ?? "request";
    const sideBySide = useStore(app, () => app.state.sideBySide);
    if (!flow) return null;
    let tabs = tabsFor(flow);
    const split = sideBySide && flow.type === "http" && !!flow.request;
    if (split) tabs = tabs.filter((t) => t !== "response");
    const active = tabs.includes(tab) ? tab : tabs[0];
    const name = (t: Tab) => (t === "messages" && flow.type === "udp" ? "UDP Messages" : split && t === "request" ? "HTTP" : TAB_NAMES[t]);
    return (
        <div class="flow-detail" data-flow={flow.id}>
            <nav class="tabs">
                {tabs.map((t) => (
                    <a
                        key={t}
                        href="#"
                        data-tab={t}
                        class={t === active ? "active" : ""}
                        onClick={(e) => {
                            e.preventDefault();
                            app.set({ tab: t });
                        }}
                    >
                        {name(t)}
                    </a>
                ))}
                <button class="close" title="close [Esc]" onClick={() => select(null)}>
                    ×
                </button>
            </nav>
            <div class="flow-detail-body">
                {split && active === "request" ? (
                    <div class="side-by-side">
                        <RequestView flow={flow} />
                        <ResponseView flow={flow} />
                    </div>
                ) : (
                    <TabBody flow={flow} tab={active} />
                )}
            </div>
        </div>
    );
}
