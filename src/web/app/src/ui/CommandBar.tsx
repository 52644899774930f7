// The command bar: runs any command of /commands, completes command names
// (Tab) and shows the signature and help of the one being typed.
import { useEffect, useRef, useState } from "preact/hooks";
import { getJson, runCommand } from "../api";

interface CommandInfo {
    help: string;
    parameters: { name: string; type: string; kind: string }[];
    return_type: string | null;
    signature_help: string;
}

// Splits a command line like the server's lexer: spaces, quotes.
export function splitArgs(s: string): string[] {
    const out: string[] = [];
    const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
    for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? m[3]));
    return out;
}

export function CommandBar() {
    const [cmds, setCmds] = useState<Record<string, CommandInfo>>({});
    const [text, setText] = useState("");
    const [results, setResults] = useState<{ cmd: string; out: string; error: boolean }[]>([]);
    const [history, setHistory] = useState<string[]>([]);
    const [hpos, setHpos] = useState(-1);
    const out = useRef<HTMLDivElement>(null);
    useEffect(() => void getJson<Record<string, CommandInfo>>("/commands").then(setCmds).catch(() => {}), []);
    useEffect(() => {
        if (out.current) out.current.scrollTop = out.current.scrollHeight;
    }, [results]);

    const words = splitArgs(text);
    const name = words[0] ?? "";
    const info = cmds[name];
    const matches = name && !text.includes(" ") ? Object.keys(cmds).filter((c) => c.startsWith(name)).slice(0, 12) : [];

    const run = async () => {
        if (!words.length) return;
        setHistory([...history, text]);
        setHpos(-1);
        setText("");
        try {
            const r = await runCommand(words[0], ...words.slice(1));
            const value = r.error ?? (typeof r.value === "string" ? r.value : JSON.stringify(r.value, null, 2));
            setResults([...results.slice(-50), { cmd: text, out: value ?? "", error: !!r.error }]);
        } catch (e) {
            setResults([...results.slice(-50), { cmd: text, out: String((e as Error).message), error: true }]);
        }
    };

    return (
        <div class="command-bar">
            <div class="command-results" ref={out}>
                {results.map((r, i) => (
                    <div key={i} class={`command-result${r.error ? " error" : ""}`}>
                        <div class="command-echo">$ {r.cmd}</div>
                        {r.out && <pre>{r.out}</pre>}
                    </div>
                ))}
            </div>
            {matches.length > 0 && (
                <div class="command-completions">
                    {matches.map((m) => (
                        <span key={m} class="completion" onMouseDown={(e) => (e.preventDefault(), setText(m + " "))}>
                            {m}
                        </span>
                    ))}
                </div>
            )}
            {info && (
                <div class="command-help">
                    <code>{info.signature_help}</code> {info.help.split("\n")[0]}
                </div>
            )}
            <div class="command-input">
                <span class="prompt">:</span>
                <input
                    type="text"
                    data-input="command"
                    placeholder="Enter command (Tab completes)"
                    value={text}
                    spellcheck={false}
                    onInput={(e) => setText((e.target as HTMLInputElement).value)}
                    onKeyDown={(e) => {
                        e.stopPropagation();
                        if (e.key === "Enter") void run();
                        else if (e.key === "Tab") {
                            e.preventDefault();
                            if (matches.length) setText(matches[0] + " ");
                        } else if (e.key === "ArrowUp" && history.length) {
                            const p = hpos < 0 ? history.length - 1 : Math.max(0, hpos - 1);
                            setHpos(p);
                            setText(history[p]);
                        } else if (e.key === "ArrowDown" && hpos >= 0) {
                            const p = hpos + 1;
                            setHpos(p >= history.length ? -1 : p);
                            setText(p >= history.length ? "" : history[p]);
                        }
                    }}
                />
            </div>
        </div>
    );
}
