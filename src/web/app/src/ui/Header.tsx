// The header: mitmweb's menus (Start, Options, Flow, File) over the list.
import { app, flows, options, serverState, setOption, setSearch, type Menu } from "../app";
import { useStore } from "../store";
import { sendFilter } from "../updates";
import { FileMenu } from "./FileMenu";
import { FilterInput } from "./FilterInput";
import { FlowMenu } from "./FlowMenu";
import { OptionsMenu } from "./OptionsMenu";
import { actions } from "../app";
import { Icon } from "../icons";
import { openResend } from "./Resend";

function StartMenu() {
    const search = useStore(app, () => app.state.search) ?? "";
    const highlight = useStore(app, () => app.state.highlight) ?? "";
    const intercept = (useStore(options, () => options.state.options.intercept?.value) as string) ?? "";
    useStore(flows, () => flows.error);
    return (
        <div class="menu-content">
            <div class="menu-group">
                <FilterInput
                    name="search"
                    icon={<Icon name="search" />}
                    placeholder="Search"
                    value={search}
                    error={flows.error && search ? flows.error : null}
                    onChange={setSearch}
                />
                <FilterInput
                    name="highlight"
                    icon={<Icon name="tag" />}
                    placeholder="Highlight"
                    value={highlight}
                    onChange={(v) => {
                        app.set({ highlight: v, highlighted: v ? app.state.highlighted : null });
                        sendFilter("highlight", v);
                    }}
                />
                <div class="menu-legend">Find</div>
            </div>
            <div class="menu-group">
                <FilterInput
                    name="intercept"
                    icon={<Icon name="pause" />}
                    placeholder="Intercept"
                    value={intercept}
                    onChange={(v) => void setOption("intercept", v)}
                />
                <button class="btn" data-action="resume-all" onClick={() => actions.resumeAll()} title="[A]">
                    <Icon name="forward" class="ok" /> Resume All
                </button>
                <div class="menu-legend">Intercept</div>
            </div>
            <div class="menu-group">
                <button class="btn" data-action="new-request" onClick={() => openResend(null)} title="[n]">
                    <Icon name="resend" class="blue" /> New request
                </button>
                <div class="menu-legend">Resend</div>
            </div>
        </div>
    );
}

const MENUS: [Menu, string][] = [
    ["start", "Start"],
    ["options", "Options"],
    ["flow", "Flow"],
    ["file", "File"],
];

function ConnectionIndicator() {
    const c = useStore(app, () => app.state.connection);
    const err = useStore(app, () => app.state.connectionError);
    const label = c === "open" ? "live" : c === "init" ? "connecting" : "offline";
    return (
        <span class={`connection-indicator conn-${c}`} title={err || undefined}>
            {label}
        </span>
    );
}

export function Header() {
    const menu = useStore(app, () => app.state.menu);
    const selected = useStore(app, () => app.state.selected);
    const version = useStore(serverState, () => serverState.state.state.version);
    const message = useStore(app, () => app.state.message);
    return (
        <header class="header">
            <nav class="menu-tabs">
                <span class="brand" title={version ? `mitmproxy-c ${version}` : undefined}>
                    mitmproxy
                </span>
                {MENUS.map(([m, label]) => (
                    <a
                        key={m}
                        href="#"
                        class={`menu-tab${menu === m ? " active" : ""}${m === "flow" && !selected ? " disabled" : ""}`}
                        data-menu={m}
                        onClick={(e) => {
                            e.preventDefault();
                            app.set({ menu: m });
                        }}
                    >
                        {label}
                    </a>
                ))}
                <span class="status-message" role="status">
                    {message}
                </span>
                <ConnectionIndicator />
            </nav>
            {menu === "start" && <StartMenu />}
            {menu === "options" && <OptionsMenu />}
            {menu === "flow" && <FlowMenu />}
            {menu === "file" && <FileMenu />}
        </header>
    );
}
