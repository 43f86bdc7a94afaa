/**
 * The console's initial page weight: what a browser downloads before the
 * first screen (the page, its script and its styles), raw and gzipped as
 * the API serves them.
 *
 *   npm run console:size
 */
import { buildConsole } from '../api/console.ts';

const assets = await buildConsole();
let raw = 0;
let gzip = 0;
for (const [path, a] of assets) {
  console.log(`${path.padEnd(18)} ${String(a.body.length).padStart(8)} B  gzip ${String(a.gzip.length).padStart(7)} B`);
  raw += a.body.length;
  gzip += a.gzip.length;
}
console.log(`${'initial page'.padEnd(18)} ${String(raw).padStart(8)} B  gzip ${String(gzip).padStart(7)} B`);
