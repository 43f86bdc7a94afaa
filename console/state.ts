/** A value components re-render on (a minimal signal), and the hook that reads it. */
import { useEffect, useState } from 'preact/hooks';

export interface Signal<T> {
  get(): T;
  set(v: T): void;
  subscribe(f: () => void): () => void;
}

export function signal<T>(initial: T): Signal<T> {
  let value = initial;
  const subs = new Set<() => void>();
  return {
    get: () => value,
    set(v: T) {
      if (Object.is(v, value)) return;
      value = v;
      for (const f of [...subs]) f();
    },
    subscribe(f) {
      subs.add(f);
      return () => subs.delete(f);
    },
  };
}

/** The signal's value; the component re-renders when it changes. */
export function useValue<T>(s: Signal<T>): T {
  const [, tick] = useState(0);
  const rendered = s.get();
  useEffect(() => {
    const unsubscribe = s.subscribe(() => tick((n) => n + 1));
    // it may have changed between the render and this effect
    if (!Object.is(s.get(), rendered)) tick((n) => n + 1);
    return unsubscribe;
  }, [s, rendered]);
  return rendered;
}
