// Syntax colour for content views that answer plain text plus a language
// name (current mitmproxy's syntax_highlight): one regex per language
// splits a line into tokens, each with a class the stylesheet colours.
// Lines are coloured one at a time, so a long body costs only what is shown.

export type Token = [cls: string, text: string];

type Rule = [cls: string, re: string];

const STRING = `"(?:[^"\\\\]|\\\\.)*"?|'(?:[^'\\\\]|\\\\.)*'?`;
const NUMBER = `-?\\b\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\b`;

const RULES: Record<string, Rule[]> = {
    json: [
        ["key", `"(?:[^"\\\\]|\\\\.)*"(?=\\s*:)`],
        ["string", STRING],
        ["number", NUMBER],
        ["keyword", `\\b(?:true|false|null)\\b`],
    ],
    javascript: [
        ["comment", `//.*|/\\*.*?(?:\\*/|$)`],
        ["string", STRING + "|`(?:[^`\\\\]|\\\\.)*`?"],
        ["number", NUMBER],
        [
            "keyword",
            `\\b(?:var|let|const|function|return|if|else|for|while|do|break|continue|new|this|typeof|instanceof|in|of|class|extends|import|export|from|async|await|try|catch|finally|throw|switch|case|default|null|undefined|true|false)\\b`,
        ],
    ],
    css: [
        ["comment", `/\\*.*?(?:\\*/|$)`],
        ["string", STRING],
        ["key", `[-\\w]+(?=\\s*:)`],
        ["number", `#[0-9a-fA-F]{3,8}\\b|${NUMBER}(?:px|em|rem|%|s|ms|vh|vw)?`],
        ["keyword", `@[-\\w]+|!important`],
    ],
    xml: [
        ["comment", `<!--.*?(?:-->|$)`],
        ["tag", `</?[\\w:.-]+|/?>`],
        ["key", `\\b[\\w:.-]+(?==)`],
        ["string", STRING],
    ],
    yaml: [
        ["comment", `#.*`],
        ["key", `^\\s*[-\\w. ]+(?=:)`],
        ["string", STRING],
        ["number", NUMBER],
        ["keyword", `\\b(?:true|false|null|yes|no)\\b`],
    ],
};
RULES.html = RULES.xml;
RULES.js = RULES.javascript;

const compiled: Record<string, { re: RegExp; classes: string[] }> = {};

function compile(lang: string) {
    if (!compiled[lang]) {
        const rules = RULES[lang];
        compiled[lang] = {
            re: new RegExp(rules.map(([, r]) => `(${r})`).join("|"), "g"),
            classes: rules.map(([c]) => c),
        };
    }
    return compiled[lang];
}

export function highlightLine(line: string, lang: string | null | undefined): Token[] {
    if (!lang || !RULES[lang] || line.length > 5000) return [["text", line]];
    const { re, classes } = compile(lang);
    const out: Token[] = [];
    let last = 0;
    re.lastIndex = 0;
    for (let m = re.exec(line); m; m = re.exec(line)) {
        if (m[0] === "") {
            re.lastIndex++;
            continue;
        }
        if (m.index > last) out.push(["text", line.slice(last, m.index)]);
        const group = m.slice(1).findIndex((g) => g !== undefined);
        out.push([classes[group] ?? "text", m[0]]);
        last = m.index + m[0].length;
    }
    if (last < line.length) out.push(["text", line.slice(last)]);
    return out;
}
