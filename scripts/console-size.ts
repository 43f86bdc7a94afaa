/**
 * The console's initial page weight: what a browser downloads before the
 * first screen (the page, its script and its styles), raw and gzipped as
 * the API serves them — and, apart, what the first chart and the map add
 * (`/console/charts.js`, `/console/map.js`: loaded then, not before). Builds the console from its sources first (into
 * console/dist/, as `npm run build:console`), so the figures are current.
 *
 *   npm run console:size
 */
import { buildConsole } from '../api/console-build.ts';

const manifest = await buildConsole();
let raw = 0;
let gzip = 0;
/** Loaded when a screen asks for it, not with the page. */
const LAZY = new Set(['/console/charts.js', '/console/map.js']);
const line = (path: string, bytes: number, gzipBytes: number) =>
  console.log(`${path.padEnd(26)} ${String(bytes).padStart(8)} B  gzip ${String(gzipBytes).padStart(7)} B`);
for (const [path, a] of Object.entries(manifest.files)) {
  if (LAZY.has(path)) continue;
  line(path, a.bytes, a.gzipBytes);
  raw += a.bytes;
  gzip += a.gzipBytes;
}
line('initial page', raw, gzip);
for (const path of LAZY) {
  const a = manifest.files[path];
  if (a) line(`${path} (lazy)`, a.bytes, a.gzipBytes);
}
