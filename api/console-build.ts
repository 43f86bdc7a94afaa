/**
 * Builds the console (console/) into its build folder, console/dist/: the
 * page, one JS and one CSS file (Preact, minified), the charts' script
 * (uPlot, `charts.js`) and the map's (ECharts, `map.js`), each loaded only
 * when a screen first needs it (console/lazy.ts), each with a gzip copy
 * (level 9) beside it, and `manifest.json` naming, per served path, the
 * file, its content type, its ETag and its sizes.
 *
 * Run at install (`npm ci` → `prepare` → `npm run build:console`) and in the
 * image build, so the API only reads files; the API builds here itself only
 * when the folder is missing or was built from other sources (api/console.ts).
 * esbuild is imported inside the build, so importing this module for its
 * paths, types and the sources check loads nothing more.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The console's sources. */
export const CONSOLE_SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', 'console');
/** Where the build goes (git-ignored). */
export const CONSOLE_DIST = join(CONSOLE_SOURCE, 'dist');
export const MANIFEST = 'manifest.json';

/** A served file of the build: `file` in the folder, its gzip copy `${file}.gz`. */
export interface ConsoleFile {
  file: string;
  type: string;
  etag: string;
  bytes: number;
  gzipBytes: number;
}

/** The build: its files by served path (`/`, `/console/app.js`, `/console/app.css`, `/console/charts.js`, `/console/map.js`), and what it was built from. */
export interface ConsoleManifest {
  files: Record<string, ConsoleFile>;
  /** Every input (paths from the project root, node_modules included) and a hash of their contents. */
  sources: { paths: string[]; hash: string };
}

const PROJECT_ROOT = join(CONSOLE_SOURCE, '..');

/**
 * The hash of the contents of `paths` (from the project root); undefined
 * when one is gone. A build whose hash no longer matches was made from
 * other sources: the console was edited (or a dependency updated) since.
 */
export async function sourcesHash(paths: readonly string[]): Promise<string | undefined> {
  const h = createHash('sha256');
  for (const p of paths) {
    try {
      h.update(p)
        .update('\0')
        .update(await readFile(join(PROJECT_ROOT, p)))
        .update('\0');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
  return h.digest('base64url');
}

/** A strong ETag from the content, so every build of the same sources (and every process) agrees. */
const etagOf = (body: Uint8Array): string => `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;

/**
 * Builds the console into `outDir`. The files are written to a folder of
 * their own beside it and moved into place at the end (the old build moved
 * away just before), so a reader never sees half a build. `replace: false`
 * leaves a build already in place alone; when another process puts its
 * build in place first (API processes starting together without one), that
 * one is kept — built from the same sources, it is the same.
 */
export async function buildConsole(outDir: string = CONSOLE_DIST, opts: { replace?: boolean } = {}): Promise<ConsoleManifest> {
  const { build, transform } = await import('esbuild');
  const bundle = (entry: string, outfile: string) =>
    build({
      entryPoints: [join(CONSOLE_SOURCE, entry)],
      bundle: true,
      minify: true,
      format: 'esm',
      target: ['chrome100', 'safari15', 'firefox100'],
      write: false,
      outfile,
      jsx: 'automatic',
      jsxImportSource: 'preact',
      legalComments: 'none',
      logLevel: 'silent',
      absWorkingDir: PROJECT_ROOT,
      metafile: true,
      // the charts' and the map's scripts are loaded by URL (console/lazy.ts), not bundled into the application
      external: ['/console/*'],
    });
  // the map apart (ECharts: loaded by the application with import() when the map is opened)
  const [js, charts, map] = await Promise.all([bundle('main.tsx', 'app.js'), bundle('charts.ts', 'charts.js'), bundle('area-map.ts', 'map.js')]);
  const uplotCssPath = createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css');
  const uplotCss = await readFile(uplotCssPath, 'utf8');
  const css = await transform(`${uplotCss}\n${await readFile(join(CONSOLE_SOURCE, 'styles.css'), 'utf8')}`, { loader: 'css', minify: true });
  const html = await readFile(join(CONSOLE_SOURCE, 'index.html'));
  const files: [path: string, file: string, body: Uint8Array, type: string][] = [
    ['/', 'index.html', html, 'text/html; charset=utf-8'],
    ['/console/app.js', 'app.js', js.outputFiles[0]!.contents, 'text/javascript; charset=utf-8'],
    ['/console/app.css', 'app.css', Buffer.from(css.code), 'text/css; charset=utf-8'],
    ['/console/charts.js', 'charts.js', charts.outputFiles[0]!.contents, 'text/javascript; charset=utf-8'],
    ['/console/map.js', 'map.js', map.outputFiles[0]!.contents, 'text/javascript; charset=utf-8'],
  ];

  const paths = [
    ...new Set([...Object.keys(js.metafile.inputs), ...Object.keys(map.metafile.inputs)]),
    relative(PROJECT_ROOT, uplotCssPath),
    'console/styles.css',
    'console/index.html',
  ].sort();
  const manifest: ConsoleManifest = { files: {}, sources: { paths, hash: (await sourcesHash(paths)) ?? '' } };
  const tmp = `${outDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const old = `${tmp}-old`;
  await mkdir(tmp, { recursive: true });
  try {
    for (const [path, file, body, type] of files) {
      const gzip = gzipSync(body, { level: 9 });
      await writeFile(join(tmp, file), body);
      await writeFile(join(tmp, `${file}.gz`), gzip);
      manifest.files[path] = { file, type, etag: etagOf(body), bytes: body.length, gzipBytes: gzip.length };
    }
    await writeFile(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    if (opts.replace !== false) await rename(outDir, old).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
    try {
      await rename(tmp, outDir);
    } catch (err) {
      // another process moved its build (of the same sources) into place first: keep that one
      if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
    return manifest;
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await rm(old, { recursive: true, force: true });
  }
}
