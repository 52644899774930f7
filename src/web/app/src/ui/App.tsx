// The page: header, flow table with the detail pane, event log, command bar.
import { useEffect } from "preact/hooks";
import { app } from "../app";
import { useStore } from "../store";
import { CommandBar } from "./CommandBar";
import { EventLog } from "./EventLog";
import { FlowTable } from "./FlowTable";
import { Footer } from "./Footer";
import { FlowView } from "./FlowView";
import { Header } from "./Header";
import { Modals } from "./Modals";

// web_theme "system" follows prefers-color-scheme through CSS; a fixed
// choice sets data-theme, which the stylesheet honours over the system.
function useTheme() {
    const theme = useStore(app, () => app.state.theme);
    useEffect(() => {
        if (theme === "system") delete document.documentElement.dataset.theme;
        else document.documentElement.dataset.theme = theme;
    }, [theme]);
}

export function App() {
    useTheme();
    const selected = useStore(app, () => app.state.selected);
    const showEventLog = useStore(app, () => app.state.showEventLog);
    const showCommandBar = useStore(app, () => app.state.showCommandBar);
    const sideBySide = useStore(app, () => app.state.sideBySide);
    return (
        <div class={`app${sideBySide ? " layout-wide" : ""}`}>
            <Header />
            <div class={`main-view${selected ? " has-detail" : ""}`}>
                <FlowTable />
                {selected && <div class="splitter" />}
                {selected && <FlowView />}
            </div>
            {showCommandBar && <CommandBar />}
            {showEventLog && <EventLog />}
            <Footer />
            <Modals />
        </div>
    );
}
