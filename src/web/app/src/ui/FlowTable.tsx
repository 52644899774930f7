// The flow table: only the rows on screen exist in the DOM, and only the
// pages around them are fetched (flowlist.ts). Past a few million pixels
// browsers stop growing an element, so a long list maps its scroll range
// proportionally onto the rows instead of one pixel row per pixel.
//
// A scroll moves one element: the rows sit in normal flow inside a block
// shifted by a transform, so a row that stays on screen keeps its props and
// is not rendered again (Row's shouldComponentUpdate), and a row that comes
// into view takes over the DOM of one that left (rows are keyed by their
// place modulo the screen's row count). Nothing here reads the layout while
// rendering: the geometry comes from the list's length and the scroll
// event's own scrollTop.
import { Component } from "preact";
import { useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { app, flows, options, select, setSort, SORT_ORDER } from "../app";
import { COLUMNS, DEFAULT_COLUMNS, type Column } from "../columns";
import type { Flow } from "../flow";
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
    // The same array while the option stays: rows compare it by identity.
    return useMemo(() => {
        const list = Array.isArray(names) && names.length ? names : DEFAULT_COLUMNS;
        return list.map((n) => COLUMNS[n]).filter((c): c is Column => !!c);
    }, [names]);
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

interface RowProps {
    f: Flow | undefined; // undefined: its page is still being fetched
    i: number;
    columns: Column[];
    selected: boolean;
    highlighted: boolean;
}

// One row; rendered again only when what it shows changed. A flow that
// changes on the server arrives as a new object, so identity says it all.
class Row extends Component<RowProps> {
    shouldComponentUpdate(n: RowProps): boolean {
        const p = this.props;
        return (
            n.f !== p.f ||
            n.i !== p.i ||
            n.columns !== p.columns ||
            n.selected !== p.selected ||
            n.highlighted !== p.highlighted
        );
    }

    render({ f, i, columns, selected, highlighted }: RowProps) {
        // Stripes by the row's index, not :nth-child, which would restyle
        // every row when the screen moves by one.
        const odd = i % 2 ? " odd" : "";
        if (!f) return <div class={`flow-row placeholder${odd}`} />;
        let cls = `flow-row${odd}`;
        if (selected) cls += " selected";
        if (highlighted) cls += " highlighted";
        if (f.intercepted) cls += " intercepted";
        if (f.error) cls += " has-error";
        if (f.marked) cls += " marked";
        if (f.response) cls += " has-response";
        return (
            <div class={cls} role="row" data-id={f.id} data-index={i}>
                {columns.map((c) => (
                    <div
                        key={c.name}
                        class={`cell col-${c.name}`}
                        style={c.width ? { flex: `0 0 ${c.width}` } : undefined}
                    >
                        {c.cell(f, i)}
                    </div>
                ))}
            </div>
        );
    }
}

// One handler for every row: the row says which flow it shows.
function onRowClick(e: MouseEvent): void {
    const row = (e.target as Element).closest?.(".flow-row[data-index]") as HTMLElement | null;
    if (!row) return;
    const i = Number(row.dataset.index);
    const f = flows.get(i);
    if (f && f.id === row.dataset.id) select(f, i);
}

export function FlowTable() {
    const columns = useColumns();
    const ref = useRef<HTMLDivElement>(null);
    const [scrollTop, setScrollTop] = useState(0);
    const [view, setView] = useState(600);
    const stick = useRef(true); // follow new flows while scrolled to the bottom
    const shown = useRef(false); // the first answer was shown: a session opens at its top
    useStore(flows); // every list change
    const selectedId = useStore(app, () => app.state.selectedId);
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
        return () => ro.disconnect();
    }, []);

    // Before the paint, not after: in a fling every frame counts, and the
    // rows for the next screens are asked for here.
    useLayoutEffect(() => flows.setVisible(first, last), [first, last]);

    // New rows while at the bottom: stay at the bottom (mitmweb's AutoScroll).
    // The height is known from the length: no layout is read here.
    useLayoutEffect(() => {
        if (!shown.current) {
            shown.current = flows.loaded;
            return;
        }
        if (stick.current && geo.height > view && flows.order === "time" && !flows.reverse) {
            ref.current!.scrollTop = geo.height;
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
        const top = ref.current!.scrollTop;
        stick.current = top + view >= geo.height - 2;
        setScrollTop(top);
    };

    const rows = [];
    for (let i = first; i < last; i++) {
        const f = flows.get(i);
        rows.push(
            <Row
                key={i % count}
                f={f}
                i={i}
                columns={columns}
                selected={!!f && selectedId === f.id}
                highlighted={!!f && !!highlighted?.has(f.id)}
            />,
        );
    }

    return (
        <div class="flow-table" role="table">
            <TableHead columns={columns} />
            <div class="flow-table-body" ref={ref} onScroll={onScroll} onClick={onRowClick} tabIndex={-1}>
                <div class="flow-table-spacer" style={{ height: `${geo.height}px` }} />
                <div class="flow-table-rows" style={{ transform: `translateY(${offset}px)` }}>
                    {rows}
                </div>
                {flows.loaded && total === 0 && (
                    <div class="flow-table-empty">
                        {flows.error ? flows.error : flows.filter ? "No flows match the filter." : "No flows yet."}
                    </div>
                )}
            </div>
        </div>
    );
}
