/**
 * The names shown beside ids (issue #20 §2: enterprise, authority and officer names; ids only as secondary text).
 * A screen asks for a name as it renders; the ids asked for in one render are fetched together
 * (`GET /api/v1/names`, at most 500 at a time) and the screens re-render when they arrive. An id the caller may
 * not see named (an enterprise outside the jurisdiction) shows as itself.
 */
import { api } from './api.ts';
import { signal, useValue } from './state.ts';
import type { Names } from './types.ts';

type Kind = keyof Names;
const KINDS: Kind[] = ['enterprises', 'authorities', 'officers'];
/** A name, or null once asked and not given. */
const known: Record<Kind, Map<string, string | null>> = { enterprises: new Map(), authorities: new Map(), officers: new Map() };
const wanted: Record<Kind, Set<string>> = { enterprises: new Set(), authorities: new Set(), officers: new Set() };
/** Counts the answers: a component reading it re-renders when names arrive (`useDirectoryNames`). */
export const namesArrived = signal(0);
let scheduled = false;

async function fetchWanted(): Promise<void> {
  scheduled = false;
  const batch = Object.fromEntries(KINDS.map((k) => [k, [...wanted[k]].slice(0, 500)])) as Record<Kind, string[]>;
  for (const k of KINDS) for (const id of batch[k]) wanted[k].delete(id);
  const query = KINDS.filter((k) => batch[k].length > 0)
    .map((k) => `${k}=${batch[k].map(encodeURIComponent).join(',')}`)
    .join('&');
  try {
    remember(await api<Names>('GET', `/api/v1/names?${query}`));
    for (const k of KINDS) for (const id of batch[k]) if (!known[k].get(id)) known[k].set(id, null);
  } catch {
    for (const k of KINDS) for (const id of batch[k]) known[k].delete(id); // asked again by the next render
  }
  namesArrived.set(namesArrived.get() + 1);
  if (KINDS.some((k) => wanted[k].size > 0)) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setTimeout(() => void fetchWanted(), 0);
}

function nameOf(kind: Kind, id: string | null | undefined): string | undefined {
  if (!id) return undefined;
  const name = known[kind].get(id);
  if (name === undefined) {
    known[kind].set(id, null);
    wanted[kind].add(id);
    schedule();
  }
  return name ?? undefined;
}

/** Names an answer carried already (the alert detail's): not asked for again. */
export function remember(names: Partial<Names> | undefined): void {
  for (const k of KINDS) for (const [id, name] of Object.entries(names?.[k] ?? {})) known[k].set(id, name);
}

/** Re-renders the component when asked-for names arrive. */
export const useDirectoryNames = (): void => void useValue(namesArrived);

/** An enterprise's name (its id until known, or when not the caller's to see). */
export const enterpriseName = (id: string | null | undefined): string => nameOf('enterprises', id) ?? id ?? '—';
/** An authority's name. */
export const authorityName = (id: string | null | undefined): string => nameOf('authorities', id) ?? id ?? '—';
/** An officer's name. */
export const officerName = (id: string | null | undefined): string => nameOf('officers', id) ?? id ?? '—';
