/**
 * The dependency rules (`.dependency-cruiser.cjs`, docs/architecture.md) catch
 * an import against the flow: dependency-cruiser runs with the project's rules
 * on small trees laid out like the project's, one import each.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const BIN = join(ROOT, 'node_modules/.bin/depcruise');
const dirs: string[] = [];

/** Runs the rules on a tree of `files` (path → source); the rules' names it breaks ([] when it passes). */
async function violations(files: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nss-deps-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } }));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  const roots = [...new Set(Object.keys(files).map((f) => f.split('/')[0]!))];
  const run = await promisify(execFile)(BIN, ['--config', CONFIG, '--output-type', 'json', ...roots], { cwd: dir }).then(
    (r) => r.stdout,
    (err: { stdout?: string }) => err.stdout ?? '',
  );
  const out = JSON.parse(run) as { summary: { violations: { rule: { name: string } }[] } };
  return out.summary.violations.map((v) => v.rule.name).sort();
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('dependency rules', () => {
  it('an import along the flow passes', async () => {
    expect(
      await violations({
        'core/clock.ts': 'export const now = () => 1;\n',
        'ledger/registry.ts': "import { now } from '../core/clock.ts';\nexport const r = now;\n",
        'alerts/store.ts': "import { r } from '../ledger/registry.ts';\nexport const s = r;\n",
        'inspections/tasks.ts': "import { s } from '../alerts/store.ts';\nexport const t = s;\n",
        'api/server.ts': "import { t } from '../inspections/tasks.ts';\nexport const a = t;\n",
        'console/types.ts': "import type { t } from '../inspections/tasks.ts';\nexport type T = typeof t;\n",
      }),
    ).toEqual([]);
  });

  it.each([
    ['core/a.ts', '../alerts/b.ts', 'alerts/b.ts', 'core-imports-against-the-flow'],
    ['ledger/a.ts', '../gateway/b.ts', 'gateway/b.ts', 'ledger-imports-against-the-flow'],
    ['alerts/a.ts', '../inspections/b.ts', 'inspections/b.ts', 'alerts-imports-against-the-flow'],
    ['ingest/a.ts', '../alerts/b.ts', 'alerts/b.ts', 'ingest-imports-against-the-flow'],
    ['gateway/a.ts', '../api/b.ts', 'api/b.ts', 'gateway-imports-against-the-flow'],
    ['inspections/a.ts', '../api/b.ts', 'api/b.ts', 'inspections-imports-against-the-flow'],
    ['api/a.ts', '../platform/b.ts', 'platform/b.ts', 'api-imports-against-the-flow'],
    ['console/a.ts', '../gateway/b.ts', 'gateway/b.ts', 'console-imports-outside-the-flow'],
    ['testkit/a.ts', '../tests/b.ts', 'tests/b.ts', 'only-tests-import-tests'],
  ])('%s importing %s breaks a rule', async (from, spec, to, rule) => {
    const found = await violations({ [from]: `import { b } from '${spec}';\nexport const a = b;\n`, [to]: 'export const b = 1;\n' });
    expect(found).toContain(rule);
  });

  it('an import cycle breaks a rule', async () => {
    const found = await violations({
      'alerts/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
      'alerts/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
    });
    expect(found).toContain('no-circular');
  });

  it('an import of a missing file breaks a rule', async () => {
    expect(await violations({ 'alerts/a.ts': "import { b } from './gone.ts';\nexport const a = b;\n" })).toContain('not-to-unresolvable');
  });
});
