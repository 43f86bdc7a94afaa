/**
 * Builds the console into console/dist/ (api/console-build.ts), where the API
 * serves it from. Run by `npm ci` / `npm install` (the `prepare` script) and
 * in the image build; run it again after changing console/.
 *
 *   npm run build:console
 */
import { relative } from 'node:path';
import { buildConsole, CONSOLE_DIST } from '../api/console-build.ts';

const manifest = await buildConsole(CONSOLE_DIST);
console.log(
  `console built into ${relative(process.cwd(), CONSOLE_DIST) || '.'}: ${Object.values(manifest.files)
    .map((f) => `${f.file} ${f.bytes} B (gzip ${f.gzipBytes} B)`)
    .join(', ')}`,
);
