/**
 * Serves the console (console/) from its build folder, console/dist/, made
 * at install by `npm run build:console` (api/console-build.ts: Preact +
 * uPlot, one JS and one CSS file, minified, with gzip copies). When the
 * folder is missing as the API starts, or was built from other sources, it
 * is built once, then (esbuild is loaded on that path only, inside
 * `buildConsole`), so a checkout runs without a build step and the console
 * always matches the API it talks to.
 *
 *   GET /                  the page (index.html)
 *   GET /console/app.js    the application
 *   GET /console/app.css   its styles
 *   GET /console/charts.js the charts (uPlot), loaded by the application when it first draws one
 *   GET /console/map.js    the map (一张图), loaded by the application when it is opened
 *   GET /manifest.webmanifest, /sw.js, /console/icon-*.png   the installable web app (api/console-pwa.ts)
 *
 * ETags and `no-cache` (revalidated, 304 when unchanged); gzip when the
 * client takes it; a strict Content-Security-Policy (same origin only).
 * The files are streamed by @fastify/static; the headers are set here.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../core/logger.ts';
import { registerPwaRoutes } from './console-pwa.ts';
import { buildConsole, CONSOLE_DIST, MANIFEST, sourcesHash, type ConsoleManifest } from './console-build.ts';

const loaded = new Map<string, Promise<ConsoleManifest>>();

/**
 * The console built into `dir`: its manifest, or — the folder missing, or
 * built from other sources than those checked out (console/ edited since
 * `npm ci`) — a build made now, once per process (a failed build is tried
 * again by the next caller). The check reads the sources, it builds nothing.
 */
export function loadConsole(logger: Logger, dir: string = CONSOLE_DIST): Promise<ConsoleManifest> {
  let p = loaded.get(dir);
  if (!p) {
    p = (async () => {
      let reason: 'missing' | 'out of date' | 'unreadable' = 'missing';
      try {
        const m = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Partial<ConsoleManifest>;
        if (m.files && m.sources) {
          // undefined: the sources are not all here — a production image holds the build, not what it was built
          // from (esbuild, Preact and uPlot are build-time dependencies): the build is served as it is
          const hash = await sourcesHash(m.sources.paths);
          if (hash === undefined || hash === m.sources.hash) return m as ConsoleManifest;
        }
        reason = 'out of date';
      } catch (err) {
        if (err instanceof SyntaxError) reason = 'unreadable';
        else if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      logger.warn({ dir, reason }, 'building the console now (npm run build:console builds it at install)');
      const manifest = await buildConsole(dir, { replace: reason !== 'missing' });
      logger.info({ dir, reason }, 'console built');
      return manifest;
    })();
    loaded.set(dir, p);
    p.catch(() => loaded.delete(dir));
  }
  return p;
}

/** The console's Content-Security-Policy: same origin only (the API docs page uses it too). */
export const CONSOLE_CSP = [
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

export function consoleRoutes(logger: Logger, dir: string = CONSOLE_DIST) {
  return async (app: FastifyInstance): Promise<void> => {
    let files: ConsoleManifest['files'] | undefined;
    try {
      files = (await loadConsole(logger, dir)).files;
      logger.debug({ bytes: Object.fromEntries(Object.entries(files).map(([p, f]) => [p, { raw: f.bytes, gzip: f.gzipBytes }])) }, 'console ready');
    } catch (err) {
      logger.error({ err }, 'the console could not be built; the API runs without it');
    }
    // reply.sendFile only (no routes of its own); the validators, cache and type headers are ours
    await app.register(fastifyStatic, {
      root: dir,
      serve: false,
      suppressWarning: true,
      etag: false,
      lastModified: false,
      cacheControl: false,
      acceptRanges: false,
      contentType: false,
      index: false,
    });
    // the installable web app (issue #20 §8): its worker's cache is named after this build
    registerPwaRoutes(
      app,
      files
        ? Object.values(files)
            .map((f) => f.etag)
            .join(',')
        : 'unbuilt',
    );
    for (const path of ['/', '/console/app.js', '/console/app.css', '/console/charts.js', '/console/map.js']) {
      app.get(path, async (req, reply) => {
        const a = files?.[path];
        if (!a) return reply.status(503).type('text/plain; charset=utf-8').send('console unavailable: see the server log');
        reply.header('etag', a.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding');
        if (path === '/') reply.header('content-security-policy', CONSOLE_CSP).header('referrer-policy', 'same-origin');
        if (req.headers['if-none-match'] === a.etag) return reply.status(304).send();
        const gz = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
        if (gz) reply.header('content-encoding', 'gzip');
        return reply.type(a.type).sendFile(gz ? `${a.file}.gz` : a.file);
      });
    }
  };
}
