/**
 * The console's initial page weight: what a browser downloads before the
 * first screen (the page, its script and its styles), raw and gzipped as
 * the API serves them. Builds the console from its sources first (into
 * console/dist/, as `npm run build:console`), so the figures are current.
 *
 *   npm run console:size
 */
import { buildConsole } from '../api/console-build.ts';

const manifest = await buildConsole();
let raw = 0;
let gzip = 0;
for (const [path, a] of Object.entries(manifest.files)) {
  console.log(`${path.padEnd(18)} ${String(a.bytes).padStart(8)} B  gzip ${String(a.gzipBytes).padStart(7)} B`);
  raw += a.bytes;
  gzip += a.gzipBytes;
}
console.log(`${'initial page'.padEnd(18)} ${String(raw).padStart(8)} B  gzip ${String(gzip).padStart(7)} B`);
