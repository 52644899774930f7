// The Options menu: quick switches for common options, the options editor,
// and the app's own view settings.
import { app, options, setOption } from "../app";
import { useStore } from "../store";
import { Icon } from "../icons";

function OptionToggle({ name, label }: { name: string; label: string }) {
    const opt = useStore(options, () => options.state.options[name]);
    if (!opt) return null;
    return (
        <label class="toggle" title={opt.help}>
            <input type="checkbox" checked={!!opt.value} onChange={() => void setOption(name, !opt.value)} />
            {label}
        </label>
    );
}

function AppToggle({ k, label }: { k: "showEventLog" | "showCommandBar" | "sideBySide"; label: string }) {
    const v = useStore(app, () => app.state[k]);
    return (
        <label class="toggle">
            <input type="checkbox" data-toggle={k} checked={!!v} onChange={() => app.set({ [k]: !v })} />
            {label}
        </label>
    );
}

export function OptionsMenu() {
    const theme = useStore(app, () => app.state.theme);
    return (
        <div class="menu-content">
            <div class="menu-group">
                <button class="btn" data-action="edit-options" onClick={() => app.set({ modal: "options" })}>
                    <Icon name="gear" /> Edit Options
                </button>
                <button class="btn" data-action="cert-help" onClick={() => app.set({ modal: "help" })}>
                    <Icon name="lock" /> Install Certificates
                </button>
                <div class="menu-legend">Options</div>
            </div>
            <div class="menu-group menu-toggles">
                <OptionToggle name="anticache" label="Strip cache headers" />
                <OptionToggle name="showhost" label="Use host header for display" />
                <OptionToggle name="upstream_cert" label="Sniff upstream certificates" />
                <OptionToggle name="anticomp" label="Disable compression" />
                <div class="menu-legend">Quick Options</div>
            </div>
            <div class="menu-group menu-toggles">
                <AppToggle k="showEventLog" label="Display Event Log" />
                <AppToggle k="showCommandBar" label="Display Command Bar" />
                <AppToggle k="sideBySide" label="Request and response side by side" />
                <label class="toggle">
                    Theme{" "}
                    <select
                        value={theme}
                        data-select="theme"
                        onChange={(e) => app.set({ theme: (e.target as HTMLSelectElement).value as "system" })}
                    >
                        <option value="system">system</option>
                        <option value="light">light</option>
                        <option value="dark">dark</option>
                    </select>
                </label>
                <div class="menu-legend">View</div>
            </div>
        </div>
    );
}
