// mitmweb's keyboard shortcuts on the flow list (its ducks/ui/keyboard):
// j k ↑ ↓ move, d delete, D duplicate, a resume, A resume all, r replay,
// v revert, x kill, X kill all, z clear, m mark, ← → Tab switch tabs,
// Esc deselect; ours: e resend an edited copy, n a new request. Inputs keep their keys (they stop propagation).
import { actions, app, select, selectRelative, tabsFor } from "./app";
import { openResend } from "./ui/Resend";

export function onKeyDown(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const s = app.state;
    // Esc closes a dialog wherever the focus is, even in one of its inputs.
    if (e.key === "Escape" && s.modal) {
        app.set({ modal: null });
        e.preventDefault();
        return;
    }
    const t = e.target as HTMLElement;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    const f = s.selected;
    const tabStep = (d: number) => {
        if (!f) return;
        const tabs = tabsFor(f);
        const i = Math.max(0, tabs.indexOf(s.tab));
        app.set({ tab: tabs[(i + d + tabs.length) % tabs.length] });
    };
    switch (e.key) {
        case "k":
        case "ArrowUp":
            void selectRelative(-1);
            break;
        case "j":
        case "ArrowDown":
            void selectRelative(1);
            break;
        case " ":
        case "PageDown":
            void selectRelative(10);
            break;
        case "PageUp":
            void selectRelative(-10);
            break;
        case "Home":
            void selectRelative(-1e12);
            break;
        case "End":
            void selectRelative(1e12);
            break;
        case "Escape":
            if (s.modal) app.set({ modal: null });
            else select(null);
            break;
        case "ArrowLeft":
            tabStep(-1);
            break;
        case "ArrowRight":
        case "Tab":
            tabStep(1);
            break;
        case "A":
            void actions.resumeAll();
            break;
        case "X":
            void actions.killAll();
            break;
        case "z":
            void actions.clear();
            break;
        case "n":
            openResend(null);
            break;
        case ":":
            app.set({ showCommandBar: true });
            setTimeout(() => (document.querySelector("[data-input=command]") as HTMLInputElement | null)?.focus());
            break;
        default:
            if (!f) return;
            switch (e.key) {
                case "d":
                case "Delete":
                    void actions.remove(f);
                    break;
                case "D":
                    void actions.duplicate(f);
                    break;
                case "a":
                    void actions.resume(f);
                    break;
                case "r":
                    void actions.replay(f);
                    break;
                case "v":
                    void actions.revert(f);
                    break;
                case "x":
                    void actions.kill(f);
                    break;
                case "m":
                    void actions.toggleMark(f);
                    break;
                case "e":
                    openResend(f);
                    break;
                default:
                    return;
            }
    }
    e.preventDefault();
}
