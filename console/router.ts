/** Hash routes (`#/alerts/ID`): the page never reloads, and links survive a refresh. */
import { signal } from './state.ts';

const current = (): string => decodeURI(location.hash.replace(/^#/, '')) || '/';

export const route = signal<string>(current());
window.addEventListener('hashchange', () => route.set(current()));

export function go(path: string): void {
  if (current() !== path) location.hash = path;
}

/** `match('/alerts/:id', '/alerts/A1')` → `{ id: 'A1' }`, or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    if (seg.startsWith(':')) out[seg.slice(1)] = s[i]!;
    else if (seg !== s[i]) return undefined;
  }
  return out;
}
