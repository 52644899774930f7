// The event log with a switch per level, newest at the bottom.
import { useLayoutEffect, useRef } from "preact/hooks";
import { app, events } from "../app";
import { useStore } from "../store";

const LEVELS = ["debug", "info", "warn", "error"];

export function EventLog() {
    const list = useStore(events, () => events.state.events) ?? [];
    const levels = useStore(app, () => app.state.eventLevels)!;
    const ref = useRef<HTMLDivElement>(null);
    const shown = list.filter((e) => levels[e.level === "warning" ? "warn" : e.level] ?? true);
    useLayoutEffect(() => {
        const el = ref.current;
        if (el) el.scrollTop = el.scrollHeight;
    }, [shown.length]);
    return (
        <div class="eventlog">
            <div class="eventlog-head">
                <span>Eventlog</span>
                {LEVELS.map((l) => (
                    <label key={l} class={`level-toggle level-${l}`}>
                        <input
                            type="checkbox"
                            data-level={l}
                            checked={levels[l]}
                            onChange={() => app.set({ eventLevels: { ...levels, [l]: !levels[l] } })}
                        />
                        {l}
                    </label>
                ))}
                <button class="close" onClick={() => app.set({ showEventLog: false })}>
                    ×
                </button>
            </div>
            <div class="eventlog-body" ref={ref}>
                {shown.slice(-1000).map((e) => (
                    <div key={e.id} class={`event level-${e.level}`}>
                        <span class="event-level">{e.level}</span> {e.message}
                    </div>
                ))}
            </div>
        </div>
    );
}
