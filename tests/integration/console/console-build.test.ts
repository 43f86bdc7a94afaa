/**
 * Which console build the API serves (api/console.ts loadConsole): the one
 * built at install when it matches the sources; a new one, once, when the
 * console was edited since; and the one there, as it is, when the sources are
 * not all present — a production image holds the build but not the
 * build-time dependencies (esbuild, Preact, uPlot) it was made from.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConsole } from '../../../api/console.ts';
import { MANIFEST, sourcesHash, type ConsoleManifest } from '../../../api/console-build.ts';
import { createLogger } from '../../../core/logger.ts';

const logger = createLogger({ level: 'silent' });
const dirs: string[] = [];
const dirWith = (manifest: ConsoleManifest): string => {
  const dir = mkdtempSync(join(tmpdir(), 'nss-console-'));
  dirs.push(dir);
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest));
  return dir;
};
const file = { path: 'app.js', type: 'application/javascript', etag: '"x"', bytes: 1, gzipBytes: 1 };

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the console build the API serves', () => {
  it('a build of the sources checked out is served as it is', async () => {
    const paths = ['console/index.html', 'console/styles.css'];
    const built = { files: { '/console/app.js': file }, sources: { paths, hash: (await sourcesHash(paths))! } } as unknown as ConsoleManifest;
    expect(await loadConsole(logger, dirWith(built))).toEqual(built);
  });

  it('a build whose sources are not all here (a production image) is served as it is, not rebuilt', async () => {
    const built = {
      files: { '/console/app.js': file },
      sources: { paths: ['console/index.html', 'node_modules/uplot-not-installed/dist/uPlot.min.css'], hash: 'made-elsewhere' },
    } as unknown as ConsoleManifest;
    const dir = dirWith(built);
    expect(await loadConsole(logger, dir)).toEqual(built);
    expect(JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'))).toEqual(built);
  });

  it('a build of other sources (the console edited since) is built again from the sources', async () => {
    const stale = { files: { '/console/app.js': file }, sources: { paths: ['console/index.html'], hash: 'other-sources' } } as unknown as ConsoleManifest;
    const dir = dirWith(stale);
    const rebuilt = await loadConsole(logger, dir);
    expect(rebuilt).not.toEqual(stale);
    expect(rebuilt.sources.hash).toBe(await sourcesHash(rebuilt.sources.paths));
    expect(JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'))).toEqual(rebuilt);
  });
});
