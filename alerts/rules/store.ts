/**
 * Holds the current catalogue and swaps it without a restart. `replace`
 * validates first and keeps the old catalogue on any error; it reports what
 * changed, and refuses a rule whose content changed without a version bump
 * (findings carry the rule version, so a version must name one content), a
 * rule version going back, or a changed catalogue without a higher catalogue
 * version. Watching the file / table is the worker's job. Pure apart from the
 * one field it swaps.
 */
import { parseCatalogue, type Catalogue, type Rule } from './schema.ts';

export interface CatalogueChanges {
  added: string[];
  removed: string[];
  changed: { id: string; from: number; to: number }[];
}

export type ReplaceResult = { ok: true; version: number; changes: CatalogueChanges } | { ok: false; errors: string[] };

/** JSON with keys sorted, so two rules compare by content whatever their key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** What changed from `old` to `next`, and what is wrong with the change. */
export function diffCatalogues(old: Catalogue, next: Catalogue): { changes: CatalogueChanges; errors: string[] } {
  const before = new Map<string, Rule>(old.rules.map((r) => [r.id, r]));
  const after = new Map<string, Rule>(next.rules.map((r) => [r.id, r]));
  const changes: CatalogueChanges = {
    added: [...after.keys()].filter((id) => !before.has(id)).sort(),
    removed: [...before.keys()].filter((id) => !after.has(id)).sort(),
    changed: [],
  };
  const errors: string[] = [];
  for (const [id, r] of after) {
    const o = before.get(id);
    if (!o) continue;
    if (r.version < o.version) errors.push(`rule ${id}: version went back from ${o.version} to ${r.version}`);
    else if (canonical(o) !== canonical(r)) {
      if (r.version === o.version) errors.push(`rule ${id}: changed but still version ${r.version}; bump its version`);
      else changes.changed.push({ id, from: o.version, to: r.version });
    }
  }
  changes.changed.sort((a, b) => a.id.localeCompare(b.id));
  const any = changes.added.length + changes.removed.length + changes.changed.length > 0;
  if (any && next.version <= old.version) errors.push(`catalogue changed but its version ${next.version} is not above ${old.version}`);
  if (!any && next.version < old.version) errors.push(`catalogue version went back from ${old.version} to ${next.version}`);
  return { changes, errors };
}

export class CatalogueStore {
  #current: Catalogue;

  constructor(initial: Catalogue) {
    this.#current = initial;
  }

  get current(): Catalogue {
    return this.#current;
  }

  /** Validates `json` (text or parsed) and swaps it in; on any error the current catalogue stays. */
  replace(json: unknown): ReplaceResult {
    const parsed = parseCatalogue(json);
    if (!parsed.ok) return { ok: false, errors: parsed.errors };
    const { changes, errors } = diffCatalogues(this.#current, parsed.value);
    if (errors.length > 0) return { ok: false, errors };
    this.#current = parsed.value;
    return { ok: true, version: parsed.value.version, changes };
  }
}
