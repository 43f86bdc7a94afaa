/**
 * Replacing the catalogue without a restart: validated first, the old one
 * kept on any error, changes reported, content changes need a version bump.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOGUE_VERSION as V, defaultCatalogue, defaultCatalogueInput } from '../../../alerts/rules/packs/index.ts';
import type { CatalogueInput, RuleInput } from '../../../alerts/rules/schema.ts';
import { CatalogueStore, canonical } from '../../../alerts/rules/store.ts';

type Edit = (c: CatalogueInput) => void;
const find = (c: CatalogueInput, id: string): RuleInput => {
  const r = c.rules.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
};
const bumpCatalogue: Edit = (c) => (c.version += 1);
const tighten =
  (version: number): Edit =>
  (c) => {
    const r = find(c, 'gas.combustible');
    if (r.pattern !== 'threshold') throw new Error('not threshold');
    r.params.levels.level1!.threshold = 20;
    r.version = version;
  };
const newRule: Edit = (c) => {
  c.rules.push({ ...structuredClone(find(c, 'gas.oxygen.high')), id: 'gas.oxygen.high_custom', version: 1 });
};
const dropRule: Edit = (c) => {
  c.rules = c.rules.filter((r) => r.id !== 'dust.spark');
};
const edited = (...edits: Edit[]): CatalogueInput => {
  const c = defaultCatalogueInput();
  for (const e of edits) e(c);
  return c;
};

describe('CatalogueStore.replace', () => {
  const accepted: {
    name: string;
    next: CatalogueInput | string;
    changes: { added: string[]; removed: string[]; changed: { id: string; from: number; to: number }[] };
    version: number;
  }[] = [
    { name: 'the same catalogue: no changes', next: edited(), changes: { added: [], removed: [], changed: [] }, version: V },
    { name: 'a rule added', next: edited(newRule, bumpCatalogue), changes: { added: ['gas.oxygen.high_custom'], removed: [], changed: [] }, version: V + 1 },
    { name: 'a rule removed', next: edited(dropRule, bumpCatalogue), changes: { added: [], removed: ['dust.spark'], changed: [] }, version: V + 1 },
    {
      name: 'a rule changed with its version bumped',
      next: edited(tighten(3), bumpCatalogue),
      changes: { added: [], removed: [], changed: [{ id: 'gas.combustible', from: 2, to: 3 }] },
      version: V + 1,
    },
    {
      name: 'given as JSON text',
      next: JSON.stringify(edited(tighten(4), bumpCatalogue)),
      changes: { added: [], removed: [], changed: [{ id: 'gas.combustible', from: 2, to: 4 }] },
      version: V + 1,
    },
    {
      name: 'a version bump alone is a change',
      next: edited((c) => (find(c, 'mine.co').version = 2), bumpCatalogue),
      changes: { added: [], removed: [], changed: [{ id: 'mine.co', from: 1, to: 2 }] },
      version: V + 1,
    },
  ];
  it.each(accepted)('accepts $name', ({ next, changes, version }) => {
    const store = new CatalogueStore(defaultCatalogue());
    const r = store.replace(next);
    expect(r).toEqual({ ok: true, version, changes });
    expect(store.current.version).toBe(version);
  });

  const refused: { name: string; next: unknown; error: string }[] = [
    {
      name: 'a rule changed without a version bump',
      next: edited(tighten(2), bumpCatalogue),
      error: 'rule gas.combustible: changed but still version 2; bump its version',
    },
    { name: 'a fractional rule version', next: edited((c) => (find(c, 'mine.co').version = 1.5), bumpCatalogue), error: '.version:' },
    {
      name: 'a changed catalogue without a higher catalogue version',
      next: edited(newRule),
      error: `catalogue changed but its version ${V} is not above ${V}`,
    },
    { name: 'an invalid rule', next: edited((c) => (find(c, 'gas.combustible').severity = 'purple' as 'red'), bumpCatalogue), error: '.severity:' },
    {
      name: 'duplicate ids',
      next: edited((c) => c.rules.push(structuredClone(find(c, 'dust.spark'))), bumpCatalogue),
      error: "duplicate rule id 'dust.spark'",
    },
    { name: 'text that is not JSON', next: '{"version": 2, "rules": [', error: 'not JSON' },
  ];
  it.each(refused)('refuses $name and keeps the old catalogue', ({ next, error }) => {
    const before = defaultCatalogue();
    const store = new CatalogueStore(before);
    const r = store.replace(next);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.join('\n')).toContain(error);
    expect(store.current).toBe(before);
  });

  it('refuses a rule version going back after an accepted bump', () => {
    const store = new CatalogueStore(defaultCatalogue());
    expect(store.replace(edited(tighten(3), bumpCatalogue)).ok).toBe(true);
    const r = store.replace(edited(tighten(2), bumpCatalogue, bumpCatalogue));
    expect(!r.ok && r.errors).toEqual(['rule gas.combustible: version went back from 3 to 2']);
    expect(store.current.version).toBe(V + 1);
  });

  it('refuses the catalogue version going back even without rule changes', () => {
    const store = new CatalogueStore(defaultCatalogue());
    expect(store.replace(edited(bumpCatalogue)).ok).toBe(true);
    const r = store.replace(edited());
    expect(!r.ok && r.errors).toEqual([`catalogue version went back from ${V + 1} to ${V}`]);
  });

  it('the order of keys is not a change', () => {
    const reordered = edited();
    reordered.rules = reordered.rules.map((r) => Object.fromEntries(Object.entries(r).reverse()) as RuleInput);
    expect(new CatalogueStore(defaultCatalogue()).replace(reordered)).toEqual({ ok: true, version: V, changes: { added: [], removed: [], changed: [] } });
  });

  it.each([
    { a: { x: 1, y: [1, { b: 2, a: 1 }] }, b: { y: [1, { a: 1, b: 2 }], x: 1 }, same: true },
    { a: { x: 1 }, b: { x: 2 }, same: false },
    { a: [1, 2], b: [2, 1], same: false },
  ])('canonical JSON: $a vs $b', ({ a, b, same }) => {
    expect(canonical(a) === canonical(b)).toBe(same);
  });
});
