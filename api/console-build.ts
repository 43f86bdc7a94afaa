/**
 * Builds the console (console/) into its build folder, console/dist/: the
 * page, one JS and one CSS file (Preact + uPlot, minified), each with a gzip
 * copy (level 9) beside it, and `manifest.json` naming, per served path, the
 * file, its content type, its ETag and its sizes.
 *
 * Run at install (`npm ci` → `prepare` → `npm run build:console`) and in the
 * image build, so the API only reads files; the API builds here itself only
 * when the folder is missing (api/console.ts). esbuild is imported inside
 * the build, so importing this module for its paths and types loads nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

/** The build, by served path (`/`, `/console/app.js`, `/console/app.css`). */
export type ConsoleManifest = Record<string, ConsoleFile>;

/** A strong ETag from the content, so every build of the same sources (and every process) agrees. */
const etagOf = (body: Uint8Array): string => `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;

/**
 * Builds the console into `outDir`. The files are written to a folder of
 * their own beside it and moved into place at the end, so a reader never
 * sees half a build. `replace: false` keeps a build another process moved
 * into place first (API processes starting together without a build).
 */
export async function buildConsole(outDir: string = CONSOLE_DIST, opts: { replace?: boolean } = {}): Promise<ConsoleManifest> {
  const { build, transform } = await import('esbuild');
  const js = await build({
    entryPoints: [join(CONSOLE_SOURCE, 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome100', 'safari15', 'firefox100'],
    write: false,
    outfile: 'app.js',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'silent',
    absWorkingDir: join(CONSOLE_SOURCE, '..'),
  });
  const uplotCss = await readFile(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const css = await transform(`${uplotCss}\n${await readFile(join(CONSOLE_SOURCE, 'styles.css'), 'utf8')}`, { loader: 'css', minify: true });
  const html = await readFile(join(CONSOLE_SOURCE, 'index.html'));
  const files: [path: string, file: string, body: Uint8Array, type: string][] = [
    ['/', 'index.html', html, 'text/html; charset=utf-8'],
    ['/console/app.js', 'app.js', js.outputFiles[0]!.contents, 'text/javascript; charset=utf-8'],
    ['/console/app.css', 'app.css', Buffer.from(css.code), 'text/css; charset=utf-8'],
  ];

  const tmp = `${outDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  try {
    const manifest: ConsoleManifest = {};
    for (const [path, file, body, type] of files) {
      const gzip = gzipSync(body, { level: 9 });
      await writeFile(join(tmp, file), body);
      await writeFile(join(tmp, `${file}.gz`), gzip);
      manifest[path] = { file, type, etag: etagOf(body), bytes: body.length, gzipBytes: gzip.length };
    }
    await writeFile(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    if (opts.replace !== false) await rm(outDir, { recursive: true, force: true });
    try {
      await rename(tmp, outDir);
    } catch (err) {
      // another process moved its build (of the same sources) into place first: keep that one
      if (opts.replace === false && ['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) return manifest;
      throw err;
    }
    return manifest;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
