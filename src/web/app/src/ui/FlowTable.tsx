// The flow table: only the rows on screen exist in the DOM, and only the
// pages around them are fetched (flowlist.ts). Past a few million pixels
// browsers stop growing an element, so a long list maps its scroll range
// proportionally onto the rows instead of one pixel row per pixel.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { app, flows, options, select, setSort, SORT_ORDER } from "../app";
import { COLUMNS, DEFAULT_COLUMNS, type Column } from "../columns";
import { useStore } from "../store";

export const ROW = 26;
const MAX_HEIGHT = 8_000_000;

interface Geometry {
    height: number; // of the scrolling content
    first: number; // fractional index of the row at the top edge
}

function geometry(total: number, scrollTop: number, view: number): Geometry {
    const full = total * ROW;
    if (full <= MAX_HEIGHT) return { height: full, first: scrollTop / ROW };
    const range = MAX_HEIGHT - view;
    const rows = total - view / ROW;
    return { height: MAX_HEIGHT, first: range > 0 ? (scrollTop / range) * rows : 0 };
}

function scrollTopFor(total: number, index: number, view: number): number {
    const full = total * ROW;
    if (full <= MAX_HEIGHT) return index * ROW;
    const rows = total - view / ROW;
    return rows > 0 ? (index / rows) * (MAX_HEIGHT - view) : 0;
}

export function useColumns(): Column[] {
    const names = useStore(options, () => options.state.options.web_columns?.value) as string[] | undefined;
    const list = Array.isArray(names) && names.length ? names : DEFAULT_COLUMNS;
    return list.map((n) => COLUMNS[n]).filter((c): c is Column => !!c);
}

function TableHead({ columns }: { columns: Column[] }) {
    const sortColumn = useStore(app, () => app.state.sortColumn);
    const sortDesc = useStore(app, () => app.state.sortDesc);
    return (
        <div class="flow-table-head" role="row">
            {columns.map((c) => {
                const sortable = c.name in SORT_ORDER;
                const sorted = sortColumn === c.name;
                return (
                    <div
                        key={c.name}
                        role="columnheader"
                        class={`cell col-${c.name}${sortable ? " sortable" : ""}${sorted ? (sortDesc ? " sort-desc" : " sort-asc") : ""}`}
                        style={c.width ? { flex: `0 0 ${c.width}` } : undefined}
                        onClick={sortable ? () => setSort(c.name) : undefined}
                        title={sortable ? `sort by ${c.header || c.name}` : undefined}
                    >
                        {c.header}
                    </div>
                );
            })}
        </div>
    );
}

export function FlowTable() {
    const columns = useColumns();
    const ref = useRef<HTMLDivElement>(null);
    const [scrollTop, setScrollTop] = useState(0);
    const [view, setView] = useState(600);
    const stick = useRef(true); // follow new flows while scrolled to the bottom
    const shown = useRef(false); // the first answer was shown: a session opens at its top
    useStore(flows); // every list change
    const selected = useStore(app, () => app.state.selected);
    const selectedIndex = useStore(app, () => app.state.selectedIndex) ?? -1;
    const highlighted = useStore(app, () => app.state.highlighted);
    const total = flows.total;
    const geo = geometry(total, scrollTop, view);
    const first = Math.max(0, Math.floor(geo.first));
    const count = Math.ceil(view / ROW) + 2;
    const last = Math.min(total, first + count);
    const offset = scrollTop - (geo.first - first) * ROW;

    useLayoutEffect(() => {
        const el = ref.current!;
        const ro = new ResizeObserver(() => setView(el.clientHeight));
        ro.observe(el);
        setView(el.clientHeight);
        return () => ro.disconnect();
    }, []);

    useEffect(() => flows.setVisible(first, last), [first, last]);

    // New rows while at the bottom: stay at the bottom (mitmweb's AutoScroll).
    useLayoutEffect(() => {
        const el = ref.current!;
        if (!shown.current) {
            shown.current = flows.loaded;
            return;
        }
        if (stick.current && el.scrollHeight > el.clientHeight && flows.order === "time" && !flows.reverse) {
            el.scrollTop = el.scrollHeight;
        }
    }, [total]);

    // Keep the selected row on screen when the keyboard moves it.
    useLayoutEffect(() => {
        const el = ref.current!;
        if (selectedIndex < 0) return;
        if (selectedIndex < first + 1 || selectedIndex >= first + Math.floor(view / ROW) - 1) {
            const top = scrollTopFor(total, selectedIndex, view);
            el.scrollTop = selectedIndex < first + 1 ? top : top - view + ROW * 2;
        }
    }, [selectedIndex]);

    const onScroll = () => {
        const el = ref.current!;
        stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 2;
        setScrollTop(el.scrollTop);
    };

    const rows = [];
    for (let i = first; i < last; i++) {
        const f = flows.get(i);
        const top = offset + (i - first) * ROW;
        if (!f) {
            rows.push(<div key={`p${i}`} class="flow-row placeholder" style={{ top: `${top}px` }} />);
            continue;
        }
        const cls = ["flow-row"];
        if (selected?.id === f.id) cls.push("selected");
        if (highlighted?.has(f.id)) cls.push("highlighted");
        if (f.intercepted) cls.push("intercepted");
        if (f.error) cls.push("has-error");
        if (f.marked) cls.push("marked");
        if (f.response) cls.push("has-response");
        rows.push(
            <div
                key={f.id}
                class={cls.join(" ")}
                role="row"
                data-id={f.id}
                data-index={i}
                style={{ top: `${top}px` }}
                onClick={() => select(f, i)}
            >
                {columns.map((c) => (
                    <div
                        key={c.name}
                        class={`cell col-${c.name}`}
                        style={c.width ? { flex: `0 0 ${c.width}` } : undefined}
                    >
                        {c.cell(f, i)}
                    </div>
                ))}
            </div>,
        );
    }

    return (
        <div class="flow-table" role="table">
            <TableHead columns={columns} />
            <div class="flow-table-body" ref={ref} onScroll={onScroll} tabIndex={-1}>
                <div class="flow-table-spacer" style={{ height: `${geo.height}px` }} />
                {rows}
                {flows.loaded && total === 0 && (
                    <div class="flow-table-empty">
                        {flows.error ? flows.error : flows.filter ? "No flows match the filter." : "No flows yet."}
                    </div>
                )}
            </div>
        </div>
    );
}
