// A filter box (search, highlight, intercept) with mitmproxy's filter help
// (/filter-help) below it while it has the focus.
import { useEffect, useRef, useState } from "preact/hooks";
import { getJson } from "../api";

let helpCache: Promise<[string, string][]> | null = null;

function filterHelp(): Promise<[string, string][]> {
    helpCache ??= getJson<{ commands: [string, string][] }>("/filter-help")
        .then((r) => r.commands)
        .catch(() => {
            helpCache = null;
            return [];
        });
    return helpCache;
}

export function FilterHelp({ onPick }: { onPick?: (s: string) => void }) {
    const [cmds, setCmds] = useState<[string, string][]>([]);
    useEffect(() => void filterHelp().then(setCmds), []);
    return (
        <div class="filter-help">
            <table>
                <tbody>
                    {cmds.map(([op, help]) => (
                        <tr key={op} onMouseDown={(e) => (e.preventDefault(), onPick?.(op.split(" ")[0]))}>
                            <td class="op">{op}</td>
                            <td>{help}</td>
                        </tr>
                    ))}
                </tbody>
            </table>
            <div class="filter-help-more">
                <a href="https://docs.mitmproxy.org/stable/concepts-filters/" target="_blank" rel="noreferrer">
                    filter documentation
                </a>
            </div>
        </div>
    );
}

interface Props {
    name: "search" | "highlight" | "intercept";
    placeholder: string;
    icon: preact.ComponentChildren;
    value: string;
    error?: string | null;
    onChange: (v: string) => void;
}

// The value is sent while typing, debounced; Enter sends at once.
export function FilterInput({ name, placeholder, icon, value, error, onChange }: Props) {
    const [text, setText] = useState(value);
    const [focus, setFocus] = useState(false);
    const [help, setHelp] = useState(false); // the help shows while typing, not after Enter
    const timer = useRef<number | undefined>(undefined);
    const input = useRef<HTMLInputElement>(null);
    useEffect(() => {
        if (!focus) setText(value);
    }, [value]);

    const commit = (v: string) => {
        clearTimeout(timer.current);
        setHelp(false);
        onChange(v);
    };
    const edit = (v: string) => {
        setText(v);
        setHelp(true);
        clearTimeout(timer.current);
        timer.current = window.setTimeout(() => onChange(v), 300);
    };

    return (
        <div class={`filter-input filter-${name}${error ? " has-error" : ""}`}>
            <span class="filter-icon" aria-hidden="true">
                {icon}
            </span>
            <input
                ref={input}
                type="text"
                name={name}
                data-filter={name}
                placeholder={placeholder}
                value={text}
                title={error ?? undefined}
                spellcheck={false}
                onInput={(e) => edit((e.target as HTMLInputElement).value)}
                onFocus={() => (setFocus(true), setHelp(true))}
                onBlur={() => (setFocus(false), setHelp(false))}
                onKeyDown={(e) => {
                    e.stopPropagation();
                    // The element's value, not the state: Enter may come
                    // before the render that follows the last keystroke.
                    if (e.key === "Enter") commit((e.target as HTMLInputElement).value);
                    if (e.key === "Escape") input.current?.blur();
                }}
            />
            {focus && help && (
                <div class="filter-popover">
                    {error && <div class="filter-error">{error}</div>}
                    <FilterHelp
                        onPick={(op) => {
                            const v = text ? `${text} ${op} ` : `${op} `;
                            setText(v);
                        }}
                    />
                </div>
            )}
        </div>
    );
}
