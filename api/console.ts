/**
 * Serves the console (console/): built in memory with esbuild when the API
 * starts (Preact + uPlot, one JS and one CSS file, minified, gzip-ready), so
 * a checkout runs without a build step and the console always matches the
 * API it talks to.
 *
 *   GET /                  the page (index.html)
 *   GET /console/app.js    the application
 *   GET /console/app.css   its styles
 *
 * ETags and `no-cache` (revalidated, 304 when unchanged); gzip when the
 * client takes it; a strict Content-Security-Policy (same origin only).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../core/logger.ts';

interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
}

export type ConsoleAssets = Map<string, Asset>;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'console');

const asset = (body: Buffer, type: string): Asset => ({
  body,
  gzip: gzipSync(body, { level: 9 }),
  type,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
});

let built: Promise<ConsoleAssets> | undefined;

/** Builds the console once per process. */
export function buildConsole(): Promise<ConsoleAssets> {
  built ??= (async () => {
    const { build, transform } = await import('esbuild');
    const js = await build({
      entryPoints: [join(ROOT, 'main.tsx')],
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
      absWorkingDir: join(ROOT, '..'),
    });
    const uplotCss = await readFile(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'), 'utf8');
    const css = await transform(`${uplotCss}\n${await readFile(join(ROOT, 'styles.css'), 'utf8')}`, { loader: 'css', minify: true });
    const html = await readFile(join(ROOT, 'index.html'));
    return new Map([
      ['/', asset(html, 'text/html; charset=utf-8')],
      ['/console/app.js', asset(Buffer.from(js.outputFiles[0]!.contents), 'text/javascript; charset=utf-8')],
      ['/console/app.css', asset(Buffer.from(css.code), 'text/css; charset=utf-8')],
    ]);
  })();
  return built;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // uPlot positions its parts with style attributes
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export function consoleRoutes(logger: Logger) {
  return async (app: FastifyInstance): Promise<void> => {
    let assets: ConsoleAssets | undefined;
    try {
      assets = await buildConsole();
      logger.debug({ bytes: Object.fromEntries([...assets].map(([p, a]) => [p, { raw: a.body.length, gzip: a.gzip.length }])) }, 'console built');
    } catch (err) {
      built = undefined;
      logger.error({ err }, 'the console could not be built; the API runs without it');
    }
    for (const path of ['/', '/console/app.js', '/console/app.css']) {
      app.get(path, async (req, reply) => {
        const a = assets?.get(path);
        if (!a) return reply.status(503).type('text/plain; charset=utf-8').send('console unavailable: see the server log');
        reply.header('etag', a.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding');
        if (path === '/') reply.header('content-security-policy', CSP).header('referrer-policy', 'same-origin');
        if (req.headers['if-none-match'] === a.etag) return reply.status(304).send();
        const gz = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
        if (gz) reply.header('content-encoding', 'gzip');
        return reply.type(a.type).send(gz ? a.gzip : a.body);
      });
    }
  };
}
