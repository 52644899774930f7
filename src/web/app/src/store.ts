// A small observable store: components subscribe with useStore() and
// re-render when the part they read changes. Enough for this app, without
// pulling a state library into the bundle.
import { useEffect, useReducer, useRef } from "preact/hooks";

type Listener = () => void;

export class Observable {
    private listeners = new Set<Listener>();

    subscribe(l: Listener): () => void {
        this.listeners.add(l);
        return () => this.listeners.delete(l);
    }

    emit(): void {
        for (const l of [...this.listeners]) l();
    }
}

export class Store<T extends object> extends Observable {
    constructor(public state: T) {
        super();
    }

    set(patch: Partial<T>): void {
        this.state = { ...this.state, ...patch };
        this.emit();
    }
}

// Re-renders the caller when select(store) changes (compared with ===, or
// every emit when select is omitted).
export function useStore<S>(obs: Observable, select?: () => S): S | undefined {
    const [, force] = useReducer((n: number) => n + 1, 0);
    const last = useRef<S | undefined>(select?.());
    last.current = select?.();
    useEffect(
        () =>
            obs.subscribe(() => {
                if (!select) return force(0);
                const next = select();
                if (next !== last.current) {
                    last.current = next;
                    force(0);
                }
            }),
        [obs],
    );
    return last.current;
}
