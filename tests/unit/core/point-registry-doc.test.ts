/**
 * docs/point-registry.md prints the indicator code list: its table must be the code list
 * (core/indicator-codes.ts `indicatorCodeList()`) row for row — code, kind, names and the marks each
 * kind allows — so the document cannot drift from the code. Also: every relation of POINT_RELATIONS has
 * its row in the relations table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MARK_NAMES, indicatorCodeList } from '../../../core/indicator-codes.ts';
import { POINT_RELATION_IDS } from '../../../core/vocabulary.ts';

const doc = readFileSync(join(import.meta.dirname, '../../../docs/point-registry.md'), 'utf8');

/** The rows of the markdown table under the heading that starts with `heading`. */
function tableUnder(heading: string): string[][] {
  const start = doc.split('\n').findIndex((l) => l.startsWith(`## ${heading}`));
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const lines = doc.split('\n').slice(start + 1);
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const l of lines.slice(first + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l.slice(1, -1).split('|').map((c) => c.trim()));
  }
  return rows;
}

const unquote = (cell: string) => /^`([^`]+)`$/.exec(cell)?.[1] ?? cell;

describe('docs/point-registry.md', () => {
  it('prints the indicator code list as it is in the code: code, kind, names, marks allowed', () => {
    const rows = tableUnder('指标编码 / Indicator codes').map(([code, kind, zh, en, marks]) => ({
      code: unquote(code!),
      kind: unquote(kind!),
      zh,
      en,
      marks: [...marks!.matchAll(/`(\w+)`/g)].map((m) => m[1]),
    }));
    expect(rows).toEqual(indicatorCodeList().map((c) => ({ code: c.code, kind: c.kind, zh: c.zh, en: c.en, marks: c.marks })));
    for (const r of rows) for (const m of r.marks) expect(MARK_NAMES).toContain(m);
  });

  it('has a row for every relation', () => {
    expect(tableUnder('关联 / Relations').map(([relation]) => unquote(relation!))).toEqual(POINT_RELATION_IDS);
  });

  it('leaves the import and export section for its own text', () => {
    expect(doc).toContain('## 导入与导出 / Import and export');
  });
});
