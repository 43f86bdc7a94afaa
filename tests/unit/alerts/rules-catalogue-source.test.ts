/**
 * The one owner of the catalogue in force (alerts/rules/catalogue-source.ts):
 * the shipped default or a file, loaded once, re-read only when the file's
 * mtime changed, an invalid file refused with the current catalogue kept, and
 * a rule's pattern / serious-violation mark answered from the one in force.
 */
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatalogueSource } from '../../../alerts/rules/catalogue-source.ts';
import { defaultCatalogue, defaultCatalogueInput } from '../../../alerts/rules/packs/index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nss-catalogue-source-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The shipped catalogue with version `version` and, when `serious`, gas.combustible marked a serious violation (rule version bumped). */
function catalogueText(version: number, serious = false): string {
  const c = defaultCatalogueInput();
  c.version = version;
  const r = c.rules.find((x) => x.id === 'gas.combustible')!;
  if (serious !== Boolean(r.seriousViolation)) {
    r.seriousViolation = serious;
    r.version += 1;
  }
  return JSON.stringify(c);
}

/** Writes `text` and moves the mtime forward, so the change is seen even within the file system's mtime resolution. */
async function write(file: string, text: string, mtimeS: number): Promise<void> {
  await writeFile(file, text);
  await utimes(file, mtimeS, mtimeS);
}

describe('CatalogueSource', () => {
  it('without a file: the shipped catalogue, nothing to reload', async () => {
    const source = new CatalogueSource();
    expect(source.loaded).toBe(false);
    expect(source.patternOf('gas.combustible')).toBeUndefined();
    expect(() => source.current()).toThrow();
    const c = await source.load();
    expect(c).toEqual(defaultCatalogue());
    expect(source.current()).toBe(c);
    expect(await source.latest()).toBe(c);
    expect(source.patternOf('gas.combustible')).toBe(c.rules.find((r) => r.id === 'gas.combustible')!.pattern);
    expect(source.patternOf('no.such.rule')).toBeUndefined();
    expect(await source.reload()).toEqual({ outcome: 'unchanged' });
  });

  it('with a file: loaded once, re-read when its mtime changes, an invalid one refused', async () => {
    const file = join(dir, 'rules.json');
    const base = defaultCatalogueInput().version;
    await write(file, catalogueText(base + 1), 1_000);
    const source = new CatalogueSource(file);
    expect((await source.load()).version).toBe(base + 1);
    expect(source.seriousOf('gas.combustible')).toBe(false);
    expect(await source.reload()).toEqual({ outcome: 'unchanged' });

    await write(file, catalogueText(base + 2, true), 2_000);
    expect(await source.reload()).toMatchObject({ outcome: 'replaced', file, version: base + 2, changes: { changed: [{ id: 'gas.combustible' }] } });
    expect(source.current().version).toBe(base + 2);
    expect(source.seriousOf('gas.combustible')).toBe(true);
    expect(await source.load()).toBe(source.current());

    await write(file, '{"version": 1}', 3_000);
    expect(await source.reload()).toMatchObject({ outcome: 'refused', file });
    expect(source.current().version).toBe(base + 2);
    // the API reads the file as it stands
    await expect(source.latest()).rejects.toThrow(/invalid/);
  });

  it('refuses to start on a file that does not validate', async () => {
    const file = join(dir, 'rules.json');
    await writeFile(file, '{"version": 1}');
    await expect(new CatalogueSource(file).load()).rejects.toThrow(/rule catalogue .* is invalid/);
  });
});
