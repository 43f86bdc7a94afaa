/**
 * The bureau's area for the console's map (一张图, issue #20 §7):
 *
 *   GET /api/v1/map/area   the area's divisions as a GeoJSON FeatureCollection (application/geo+json), gzip when
 *                          taken, an ETag (304 when unchanged)
 *
 * Bureaus run on intranets: no tile server, the boundary is a file the platform serves — the bureau's own
 * (config `map.areaFile`, MAP_AREA_FILE: the authorised boundary it holds, 标准地图 with its 审图号) or the bundled
 * demo area (福州市, deploy/maps/350100.geojson, see deploy/maps/README.md). The file is read and checked when the
 * API starts: a file that is missing or not an area refuses the start, naming the file and what is wrong.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Authenticator } from './auth.ts';

/** The demo area the platform ships with (the simulated fleet's enterprises are in it). */
export const DEMO_AREA_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'maps', '350100.geojson');

const position = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]).rest(z.number());
const ring = z.array(position).min(4);
const polygon = z.array(ring).min(1);
const areaSchema = z.object({
  type: z.literal('FeatureCollection'),
  name: z.string().optional(),
  features: z
    .array(
      z.object({
        type: z.literal('Feature'),
        properties: z.looseObject({ name: z.string().min(1) }),
        geometry: z.discriminatedUnion('type', [
          z.object({ type: z.literal('Polygon'), coordinates: polygon }),
          z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(polygon).min(1) }),
        ]),
      }),
    )
    .min(1),
});

/** The area as served. */
export interface LoadedArea {
  file: string;
  /** The area's name (the collection's `name`), or the file's. */
  name: string;
  divisions: string[];
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/** Reads and checks an area file; throws an Error naming the file and the first problems. */
export async function loadArea(file: string = DEMO_AREA_FILE): Promise<LoadedArea> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`地图区域文件无法读取 / the map's area file cannot be read (${file}): ${(err as Error).message}`, { cause: err });
  }
  const r = areaSchema.safeParse(json);
  if (!r.success) {
    const problems = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(
      `地图区域文件不是 GeoJSON 行政区划 / the map's area file is not a GeoJSON FeatureCollection of divisions (${file}): ${problems.join('; ')}`,
    );
  }
  const body = Buffer.from(JSON.stringify(json));
  return {
    file,
    name: r.data.name ?? file.replace(/^.*[\\/]/, '').replace(/\.(geo)?json$/i, ''),
    divisions: r.data.features.map((f) => f.properties.name),
    body,
    gzip: gzipSync(body, { level: 9 }),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/** The route above; the area is read when the API starts (a bad file fails the start). */
export function areaMapApi(config: { auth: Authenticator; areaFile?: string | undefined }) {
  return async (app: FastifyInstance): Promise<void> => {
    const area = await loadArea(config.areaFile);
    app.log.info({ file: area.file, area: area.name, divisions: area.divisions.length }, 'map area loaded');
    app.get('/api/v1/map/area', async (req, reply) => {
      await config.auth.authorize(req, 'ledger.read');
      // private: the file is the bureau's; revalidated with the ETag
      reply.header('etag', area.etag).header('cache-control', 'private, no-cache').header('vary', 'accept-encoding');
      if (req.headers['if-none-match'] === area.etag) return reply.status(304).send();
      reply.type('application/geo+json; charset=utf-8');
      if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(area.gzip);
      return reply.send(area.body);
    });
  };
}
