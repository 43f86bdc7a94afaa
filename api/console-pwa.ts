/**
 * The console as an installable web app (issue #20 §8, the inspector's phone):
 *
 *   GET /manifest.webmanifest      name 非现场监管平台, zh-CN, standalone, starting at the inspector's tasks
 *   GET /sw.js                     the service worker: keeps the app shell (page, script, styles, icons) and the
 *                                  last answers of the task screens (tasks, the session, names, photos) so they
 *                                  open offline; always the network first, the cache only when it fails
 *   GET /console/icon-192.png      the icons (drawn here: no image files in the repository)
 *   GET /console/icon-512.png
 *
 * The worker's cache is named after the build (the ETags of the shell), so a new build replaces it. A service
 * worker needs a secure context: HTTPS, or localhost. The console's Content-Security-Policy (`default-src 'self'`)
 * covers the manifest and the worker. Findings entered offline are queued by the page itself (console/outbox.ts),
 * not by the worker.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';

export const WEB_MANIFEST = {
  name: '非现场监管平台',
  short_name: '非现场监管',
  description: '危险化学品企业非现场监管：报警处置与现场检查 / Off-site supervision of hazardous-chemical enterprises',
  lang: 'zh-CN',
  dir: 'ltr',
  start_url: '/#/tasks',
  scope: '/',
  display: 'standalone',
  orientation: 'any',
  background_color: '#ffffff',
  theme_color: '#1f4e8c',
  icons: [
    { src: '/console/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
    { src: '/console/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
    { src: '/console/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
  ],
};

/** The app shell the worker keeps. */
export const SHELL = ['/', '/console/app.js', '/console/app.css', '/manifest.webmanifest', '/console/icon-192.png', '/console/icon-512.png'];
/** The cache of the answers the task screens read (dropped at sign-out by the page). */
export const DATA_CACHE = 'nss-data';

/** The worker's source; `version` names its shell cache. */
export const serviceWorker = (version: string): string => `// 非现场监管平台 service worker (api/console-pwa.ts)
const SHELL_CACHE = 'nss-shell-${version}';
const DATA_CACHE = '${DATA_CACHE}';
const SHELL = ${JSON.stringify(SHELL)};
// what the inspector's task screens read: kept to open them offline
const DATA = /^\\/api\\/v1\\/(session$|names(\\?|$)|tasks(\\/|\\?|$)|attachments\\/)/;
self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(SHELL_CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('nss-shell-') && k !== SHELL_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});
self.addEventListener('fetch', (e) => {
  const req = e.request;
  // only reads are kept; a read that asks for no stored answer (the page's cache: 'no-store') gets none from here either
  if (req.method !== 'GET' || req.cache === 'no-store') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const shell = SHELL.includes(url.pathname);
  const path = url.pathname + url.search;
  if (!shell && !DATA.test(path)) return;
  if (url.pathname.startsWith('/api/v1/alerts')) return;
  const cache = shell ? SHELL_CACHE : DATA_CACHE;
  e.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          e.waitUntil(caches.open(cache).then((c) => c.put(req, copy)));
        }
        return res;
      })
      .catch(() => caches.match(req, { ignoreVary: true }).then((hit) => hit || Response.error())),
  );
});
`;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Buffer): number => {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, data: Buffer): Buffer => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};

/**
 * The app's icon, `size` pixels square (PNG, RGB): the platform's blue with a white shield-like ring and a dot —
 * a monitoring point — inside the maskable safe zone (the inner 80 %).
 */
export function iconPng(size: number): Buffer {
  const rows: Buffer[] = [];
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x + 0.5 - c, y + 0.5 - c) / size;
      const white = (d > 0.22 && d < 0.3) || d < 0.09;
      const [r, g, b] = white ? [255, 255, 255] : [0x1f, 0x4e, 0x8c];
      row[1 + x * 3] = r;
      row[2 + x * 3] = g;
      row[3 + x * 3] = b;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const etagOf = (b: Buffer | string): string => `"${createHash('sha256').update(b).digest('base64url').slice(0, 22)}"`;

/** The routes above; `version` is the build's (the shell's ETags), so the worker changes with the console. */
export function registerPwaRoutes(app: FastifyInstance, version: string): void {
  const manifest = JSON.stringify(WEB_MANIFEST);
  const worker = serviceWorker(createHash('sha256').update(version).digest('base64url').slice(0, 12));
  const icons = new Map([192, 512].map((n) => [`/console/icon-${n}.png`, iconPng(n)]));
  const files: [path: string, type: string, body: Buffer | string][] = [
    ['/manifest.webmanifest', 'application/manifest+json; charset=utf-8', manifest],
    ['/sw.js', 'text/javascript; charset=utf-8', worker],
    ...[...icons].map(([p, b]): [string, string, Buffer] => [p, 'image/png', b]),
  ];
  for (const [path, type, body] of files) {
    const etag = etagOf(body);
    app.get(path, async (req, reply) => {
      reply.header('etag', etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
      if (path === '/sw.js') reply.header('service-worker-allowed', '/');
      if (req.headers['if-none-match'] === etag) return reply.status(304).send();
      return reply.type(type).send(body);
    });
  }
}
