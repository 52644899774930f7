// Dialogs: the options editor, an export result, certificate help, the
// diff of two flows and (in Resend.tsx) the resend editor.
import { useEffect, useState } from "preact/hooks";
import { app, exportFlow, options, setOption, type Option } from "../app";
import { useStore } from "../store";
import { exportText } from "./FlowMenu";
import { ResendModal } from "./Resend";
import type { Flow } from "../flow";

export function Modal({ title, children, name }: { title: string; name: string; children: preact.ComponentChildren }) {
    return (
        <div class="modal-backdrop" onClick={() => app.set({ modal: null })}>
            <div class="modal" data-modal={name} role="dialog" onClick={(e) => e.stopPropagation()}>
                <div class="modal-head">
                    <h3>{title}</h3>
                    <button class="close" onClick={() => app.set({ modal: null })}>
                        ×
                    </button>
                </div>
                <div class="modal-body">{children}</div>
            </div>
        </div>
    );
}

function OptionEditor({ name, opt }: { name: string; opt: Option }) {
    const [text, setText] = useState("");
    const [bad, setBad] = useState(false);
    const seq = opt.type.startsWith("sequence");
    const shown = seq ? ((opt.value as string[]) ?? []).join("\n") : opt.value == null ? "" : String(opt.value);
    useEffect(() => setText(shown), [shown]);
    const save = async (v: unknown) => setBad(!(await setOption(name, v)));
    if (opt.type === "bool") {
        return <input type="checkbox" data-option={name} checked={!!opt.value} onChange={() => void save(!opt.value)} />;
    }
    if (opt.choices && opt.choices.length) {
        return (
            <select data-option={name} value={shown} onChange={(e) => void save((e.target as HTMLSelectElement).value)}>
                {opt.choices.map((c) => (
                    <option key={c} value={c}>
                        {c}
                    </option>
                ))}
            </select>
        );
    }
    const commit = () => {
        if (text === shown) return;
        let v: unknown = text;
        if (seq) v = text.split("\n").filter((l) => l.trim() !== "");
        else if (opt.type === "int" || opt.type === "optional int") v = text === "" && opt.type.startsWith("optional") ? null : Number(text);
        else if (opt.type.startsWith("optional") && text === "") v = null;
        void save(v);
    };
    const props = {
        "data-option": name,
        class: bad ? "invalid" : "",
        value: text,
        onInput: (e: Event) => setText((e.target as HTMLInputElement).value),
        onBlur: commit,
        onKeyDown: (e: KeyboardEvent) => {
            if (e.key !== "Escape") e.stopPropagation();
            if (e.key === "Enter" && !seq) commit();
        },
    };
    return seq ? <textarea rows={Math.max(2, text.split("\n").length)} {...props} /> : opt.type.includes("int") ? <input type="number" {...props} /> : <input type="text" {...props} />;
}

function OptionsModal() {
    const opts = useStore(options, () => options.state.options) ?? {};
    const [q, setQ] = useState("");
    const names = Object.keys(opts)
        .sort()
        .filter((n) => !q || n.includes(q) || opts[n].help.toLowerCase().includes(q.toLowerCase()));
    return (
        <Modal title="Options" name="options">
            <input class="option-search" placeholder="Search options" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} onKeyDown={(e) => e.key !== "Escape" && e.stopPropagation()} />
            <div class="options-list">
                {names.map((n) => {
                    const o = opts[n];
                    const changed = JSON.stringify(o.value) !== JSON.stringify(o.default);
                    return (
                        <div key={n} class={`option${changed ? " changed" : ""}`}>
                            <div class="option-name">
                                {n}
                                <span class="option-type">{o.type}</span>
                            </div>
                            <div class="option-edit">
                                <OptionEditor name={n} opt={o} />
                            </div>
                            <div class="option-help">{o.help}</div>
                        </div>
                    );
                })}
            </div>
        </Modal>
    );
}

function ExportModal() {
    return (
        <Modal title={`Export as ${exportText.format}`} name="export">
            <pre class="export-text" data-export={exportText.format}>
                {exportText.value}
            </pre>
            <button class="btn" onClick={() => void navigator.clipboard?.writeText(exportText.value)}>
                Copy to clipboard
            </button>
        </Modal>
    );
}

function CertHelp() {
    return (
        <Modal title="Install the mitmproxy CA certificate" name="help">
            <p>
                To intercept HTTPS, a client must trust mitmproxy's certificate authority. With the client configured to use this
                proxy, open <a href="http://mitm.it" target="_blank" rel="noreferrer">http://mitm.it</a> in it: the page offers the
                certificate for each platform with install steps.
            </p>
            <p>
                The files are also in the proxy's configuration directory (<code>~/.mitmproxy</code> by default):
                <code> mitmproxy-ca-cert.pem</code> (most tools, Linux, Firefox), <code>mitmproxy-ca-cert.p12</code> (Windows),
                <code> mitmproxy-ca-cert.cer</code> (Android, iOS).
            </p>
            <pre>curl --cacert ~/.mitmproxy/mitmproxy-ca-cert.pem -x http://127.0.0.1:8080 https://example.org/</pre>
        </Modal>
    );
}

type DiffLine = [op: " " | "+" | "-", text: string];

// Line diff by longest common subsequence; inputs are capped so a huge
// body cannot freeze the page.
export function diffLines(a: string[], b: string[]): DiffLine[] {
    a = a.slice(0, 2000);
    b = b.slice(0, 2000);
    const n = a.length;
    const m = b.length;
    const dp: Uint16Array[] = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
        for (let j = m - 1; j >= 0; j--) {
            dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
        }
    }
    const out: DiffLine[] = [];
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
        if (a[i] === b[j]) {
            out.push([" ", a[i]]);
            i++;
            j++;
        } else if (dp[i + 1][j] >= dp[i][j + 1]) out.push(["-", a[i++]]);
        else out.push(["+", b[j++]]);
    }
    while (i < n) out.push(["-", a[i++]]);
    while (j < m) out.push(["+", b[j++]]);
    return out;
}

function DiffModal() {
    const a = useStore(app, () => app.state.diffWith) as Flow | null;
    const b = useStore(app, () => app.state.selected) as Flow | null;
    const [lines, setLines] = useState<DiffLine[] | null>(null);
    const [error, setError] = useState("");
    useEffect(() => {
        if (!a || !b || a.id === b.id) return;
        Promise.all([exportFlow(a, "raw"), exportFlow(b, "raw")])
            .then(([x, y]) => setLines(diffLines(x.split("\n"), y.split("\n"))))
            .catch((e) => setError(String(e.message ?? e)));
    }, [a?.id, b?.id]);
    if (!a || !b || a.id === b.id) {
        return (
            <Modal title="Diff" name="diff">
                <p>Select another flow in the list: the diff compares it with the one you picked.</p>
            </Modal>
        );
    }
    return (
        <Modal title="Diff of two flows" name="diff">
            {error && <div class="content-error">{error}</div>}
            <pre class="diff">
                {lines?.map(([op, t], i) => (
                    <div key={i} class={op === "+" ? "diff-add" : op === "-" ? "diff-del" : ""}>
                        {op} {t}
                    </div>
                ))}
            </pre>
        </Modal>
    );
}

export function Modals() {
    const modal = useStore(app, () => app.state.modal);
    switch (modal) {
        case "options":
            return <OptionsModal />;
        case "export":
            return <ExportModal />;
        case "help":
            return <CertHelp />;
        case "diff":
            return <DiffModal />;
        case "resend":
            return <ResendModal />;
        default:
            return null;
    }
}
