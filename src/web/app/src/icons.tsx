// Small inline SVG icons: no icon font to load, and they render the same
// on machines without an emoji font.
const PATHS: Record<string, string> = {
    search: "M10 2a8 8 0 0 1 6.3 12.9l5.4 5.4-1.4 1.4-5.4-5.4A8 8 0 1 1 10 2zm0 2a6 6 0 1 0 0 12 6 6 0 0 0 0-12z",
    tag: "M3 3h8l10 10-8 8L3 11V3zm4 2.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z",
    pause: "M6 4h4v16H6zM14 4h4v16h-4z",
    play: "M7 4l13 8-13 8z",
    forward: "M3 5l9 7-9 7zM12 5l9 7-9 7z",
    replay: "M12 4a8 8 0 1 1-7.7 10h2.1A6 6 0 1 0 12 6v3L7 5l5-4v3z",
    duplicate: "M8 8h12v12H8zM4 4h12v2H6v10H4z",
    revert: "M12 4a8 8 0 1 1-8 8h2a6 6 0 1 0 6-6v3L7 5l5-4v3z",
    trash: "M9 3h6l1 2h4v2H4V5h4zM6 9h12l-1 12H7z",
    mark: "M12 3a9 9 0 1 1 0 18 9 9 0 0 1 0-18z",
    download: "M11 3h2v9l3-3 1.4 1.4L12 15.8 6.6 10.4 8 9l3 3zM4 18h16v2H4z",
    export: "M11 15V6l-3 3-1.4-1.4L12 2.2l5.4 5.4L16 9l-3-3v9zM4 18h16v2H4z",
    kill: "M6.4 5L12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z",
    diff: "M7 4h2v5h5v2H9v5H7v-5H2V9h5zM13 18h8v2h-8z",
    gear: "M12 8a4 4 0 1 1 0 8 4 4 0 0 1 0-8zm-1-6h2l.6 3 2 .8 2.6-1.7 1.4 1.4-1.7 2.6.8 2 3 .6v2l-3 .6-.8 2 1.7 2.6-1.4 1.4-2.6-1.7-2 .8-.6 3h-2l-.6-3-2-.8-2.6 1.7-1.4-1.4 1.7-2.6-.8-2-3-.6v-2l3-.6.8-2-1.7-2.6 1.4-1.4 2.6 1.7 2-.8z",
    lock: "M7 10V7a5 5 0 0 1 10 0v3h2v11H5V10zm2 0h6V7a3 3 0 0 0-6 0z",
    open: "M3 5h7l2 2h9v12H3z",
    save: "M4 3h13l3 3v15H4zm3 2v5h9V5zm5 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6z",
    clear: "M4 6h16v2H4zM4 11h16v2H4zM4 16h10v2H4z",
    resend: "M3 20l18-8L3 4v6l12 2-12 2z",
};

export function Icon({ name, class: cls }: { name: keyof typeof PATHS | string; class?: string }) {
    return (
        <svg class={`icon ${cls ?? ""}`} viewBox="0 0 24 24" width="14" height="14" aria-hidden="true">
            <path d={PATHS[name] ?? ""} fill="currentColor" />
        </svg>
    );
}
