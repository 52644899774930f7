// Click-to-edit text and a key/value editor for headers and trailers.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Headers } from "../flow";

interface EditableProps {
    value: string;
    name: string;
    onSave: (v: string) => void;
    validate?: (v: string) => boolean;
}

export function Editable({ value, name, onSave, validate }: EditableProps) {
    const [editing, setEditing] = useState(false);
    const [text, setText] = useState(value);
    const input = useRef<HTMLInputElement>(null);
    useEffect(() => setText(value), [value]);
    useEffect(() => {
        if (editing) input.current?.select();
    }, [editing]);
    if (!editing) {
        return (
            <span class="editable" data-edit={name} title="click to edit" onClick={() => setEditing(true)}>
                {value || " "}
            </span>
        );
    }
    const ok = !validate || validate(text);
    const commit = () => {
        setEditing(false);
        if (ok && text !== value) onSave(text);
        else setText(value);
    };
    return (
        <input
            ref={input}
            class={`editable-input${ok ? "" : " invalid"}`}
            data-edit={name}
            value={text}
            size={Math.max(4, text.length + 1)}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            onBlur={commit}
            onKeyDown={(e) => {
                e.stopPropagation();
                if (e.key === "Enter") commit();
                if (e.key === "Escape") {
                    setText(value);
                    setEditing(false);
                }
            }}
        />
    );
}

interface KVProps {
    headers: Headers;
    name: string;
    onSave?: (h: Headers) => void;
}

// Shows a header list; "Edit" turns it into rows of inputs that are saved
// as a whole, since a PUT replaces the list (order and repeats kept).
export function KeyValueEditor({ headers, name, onSave }: KVProps) {
    const [rows, setRows] = useState<Headers | null>(null);
    if (!rows) {
        return (
            <div class="headers" data-headers={name}>
                <table>
                    <tbody>
                        {headers.map(([k, v], i) => (
                            <tr key={i}>
                                <td class="header-name">{k}:</td>
                                <td class="header-value">{v}</td>
                            </tr>
                        ))}
                    </tbody>
                </table>
                {onSave && (
                    <button class="btn small" data-action={`edit-${name}`} onClick={() => setRows(headers.map(([k, v]) => [k, v]))}>
                        ✎ Edit {name}
                    </button>
                )}
            </div>
        );
    }
    const set = (i: number, j: 0 | 1, v: string) => {
        const next = rows.map((r) => [...r] as [string, string]);
        next[i][j] = v;
        setRows(next);
    };
    return (
        <div class="headers editing" data-headers={name}>
            <table>
                <tbody>
                    {rows.map(([k, v], i) => (
                        <tr key={i}>
                            <td>
                                <input
                                    class="kv-key"
                                    value={k}
                                    onInput={(e) => set(i, 0, (e.target as HTMLInputElement).value)}
                                    onKeyDown={(e) => e.stopPropagation()}
                                />
                            </td>
                            <td>
                                <input
                                    class="kv-value"
                                    value={v}
                                    onInput={(e) => set(i, 1, (e.target as HTMLInputElement).value)}
                                    onKeyDown={(e) => e.stopPropagation()}
                                />
                            </td>
                            <td>
                                <button class="btn small" title="remove" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                                    ✖
                                </button>
                            </td>
                        </tr>
                    ))}
                </tbody>
            </table>
            <button class="btn small" data-action="add-header" onClick={() => setRows([...rows, ["", ""]])}>
                + Add
            </button>
            <button
                class="btn small primary"
                data-action={`save-${name}`}
                onClick={() => {
                    onSave?.(rows.filter(([k]) => k.trim() !== ""));
                    setRows(null);
                }}
            >
                Save
            </button>
            <button class="btn small" onClick={() => setRows(null)}>
                Cancel
            </button>
        </div>
    );
}
