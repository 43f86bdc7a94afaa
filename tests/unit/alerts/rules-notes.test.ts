/**
 * Rule notes in both languages (issue #20 §1): every shipped rule explains its
 * grade and defaults in Chinese (`zh`) and English (`en`) built from the same
 * values; a bureau's catalogue file may write a note as one string, in its own
 * language, which is then the note in both; the alert detail's rule facts
 * carry the note as `{ zh, en }`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalogueFile } from '../../../alerts/rules/catalogue-source.ts';
import { ruleFacts } from '../../../alerts/rules/explain.ts';
import { applyOverride } from '../../../alerts/rules/overrides.ts';
import { defaultCatalogue, defaultCatalogueInput } from '../../../alerts/rules/packs/index.ts';
import { parseCatalogue, type CatalogueInput } from '../../../alerts/rules/schema.ts';

const CJK = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/u;
/** The numbers a text states (`2.5`, `0.0024`, `40`), in order; not the level names (`level 1`: 一级报警). */
const numbers = (text: string): string[] => text.replace(/\blevel \d\b/gi, '').match(/\d+(?:\.\d+)?/g) ?? [];

const catalogue = defaultCatalogue();

/** The shipped catalogue as a bureau would write it, with `gas.combustible`'s note replaced by `note`. */
function withNote(note: unknown): CatalogueInput {
  const c = defaultCatalogueInput();
  const r = c.rules.find((x) => x.id === 'gas.combustible')!;
  (r as Record<string, unknown>).note = note;
  return c;
}

describe('rule notes of the shipped catalogue', () => {
  it('every rule has a note, in Chinese in zh and in English in en', () => {
    const bad = catalogue.rules.flatMap((r) => {
      const n = r.note;
      if (n === undefined) return [`${r.id}: no note`];
      return [...(CJK.test(n.zh) ? [] : [`${r.id}: zh has no Chinese: ${n.zh}`]), ...(CJK.test(n.en) ? [`${r.id}: en has Chinese: ${n.en}`] : [])];
    });
    expect(bad).toEqual([]);
    expect(catalogue.rules.length).toBeGreaterThan(36);
  });

  it('the Chinese note states every number the English one does', () => {
    const missing = catalogue.rules.flatMap((r) => {
      const zh = numbers(r.note!.zh);
      const left = [...zh];
      const lost = numbers(r.note!.en).filter((x) => {
        const i = left.indexOf(x);
        if (i < 0) return true;
        left.splice(i, 1);
        return false;
      });
      return lost.length === 0 ? [] : [`${r.id}: ${lost.join(', ')} missing from "${r.note!.zh}"`];
    });
    expect(missing).toEqual([]);
  });

  it('templated notes are built from the rule’s own values in both languages', () => {
    const h2s = catalogue.rules.find((r) => r.id === 'gas.toxic.h2s.mgm3')!;
    expect(h2s.note).toEqual({
      zh: '一级报警 ≤ 100 % 职业接触限值 OEL（MAC 10 mg/m³ = 10 mg/m³）橙色；二级报警 ≤ 200 % OEL（20 mg/m³）红色。',
      en: 'Level 1 ≤ 100 % OEL (MAC 10 mg/m³ = 10 mg/m³) orange; level 2 ≤ 200 % OEL (20 mg/m³) red.',
    });
    const corner = catalogue.rules.find((r) => r.id === 'mine.methane.upper_corner')!;
    expect(corner.note?.zh).toMatch(/^采煤工作面回风隅角：报警浓度 ≥ 1 % 橙色；断电浓度 ≥ 1.5 % 红色/);
    expect(corner.note?.en).toMatch(/: alarm ≥ 1 % orange; power-off ≥ 1.5 % red/);
    const failure = catalogue.rules.find((r) => r.id === 'mine.methane.power_off_failure.upper_corner')!;
    expect(failure.note?.zh).toContain('40 s 为平台默认值');
    expect(failure.note?.en).toContain("The 40 s is the platform's default");
    // every power-off range of the table has its English wording
    expect(
      catalogue.rules.filter((r) => r.id.startsWith('mine.methane.power_off_failure.') && r.note?.en.includes('range of the table')).map((r) => r.id),
    ).toEqual([]);
  });
});

describe('a note in a catalogue file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nss-rule-notes-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a plain string is the note in both languages, from data and from a file', async () => {
    const text = '本局要求：可燃气体一级报警 20 %LEL。';
    const parsed = parseCatalogue(withNote(text));
    expect(parsed.ok && parsed.value.rules.find((r) => r.id === 'gas.combustible')?.note).toEqual({ zh: text, en: text });

    const file = join(dir, 'catalogue.json');
    await writeFile(file, JSON.stringify(withNote('Bureau practice: level 1 at 20 %LEL.')));
    const loaded = await loadCatalogueFile(file);
    const rule = loaded.rules.find((r) => r.id === 'gas.combustible')!;
    expect(rule.note).toEqual({ zh: 'Bureau practice: level 1 at 20 %LEL.', en: 'Bureau practice: level 1 at 20 %LEL.' });
    // what the alert detail serves, and a rule re-checked with an enterprise's override, keep it
    expect(ruleFacts(loaded, [], 'gas.combustible', undefined)?.note).toEqual(rule.note);
    const overridden = applyOverride(rule, { enterpriseId: 'E1', ruleId: 'gas.combustible', params: { levels: { level1: { threshold: 20 } } } });
    expect(overridden.ok && overridden.value.note).toEqual(rule.note);
  });

  it('{ zh, en } is taken as written', () => {
    const note = { zh: '本局做法', en: 'Bureau practice' };
    const parsed = parseCatalogue(withNote(note));
    expect(parsed.ok && parsed.value.rules.find((r) => r.id === 'gas.combustible')?.note).toEqual(note);
  });

  it.each([
    ['an empty string', ''],
    ['an empty language', { zh: '本局做法', en: '' }],
    ['a missing language', { zh: '本局做法' }],
    ['an unknown key', { zh: '本局做法', en: 'Bureau practice', fr: 'Pratique' }],
    ['a number', 25],
  ])('refuses %s, naming the rule’s note', (_what, note) => {
    const c = withNote(note);
    const i = c.rules.findIndex((r) => r.id === 'gas.combustible');
    const r = parseCatalogue(c);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.every((e) => e.startsWith(`rules[${i}].note`))).toBe(true);
  });
});
