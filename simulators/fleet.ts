/**
 * The simulated fleet: which enterprises, gateways, sensors and signal points
 * exist (planFleet, pure and deterministic), and putting them into the
 * platform's ledger through the admin API (provisionFleet, idempotent).
 *
 * Enterprises are dealt round-robin over the four sectors and numbered per
 * sector: E-CHEM-001, E-MINE-001, E-DUST-001, E-METAL-001, E-CHEM-002, …, each
 * with one gateway GW-<code>-<nnn>-1. Sensor and point ids (GT-101, LT-201,
 * P-RUN, V-IN-1, D-GT-101) are unique per enterprise, as the ledger requires.
 */
import { z } from 'zod';
import { MAX_ITEMS_PER_MESSAGE, idSchema, type SensorKind, type SignalKind } from '../core/contract.ts';
import { normalBand, type SensorModel } from './model.ts';
import { keyOf, mulberry32 } from './prng.ts';
import { SECTOR_TEMPLATES, SIM_SECTORS, detectorPointId, type AlarmMarks, type SimSector } from './sectors.ts';

export interface FleetOptions {
  /** Seed of everything random in the plan (baseline spread, phase of the daily pattern). */
  seed: number;
  /** Number of enterprises, dealt round-robin over the four sectors. */
  enterprises: number;
  /** Multiplies every sensor template's instance count (more detectors of the sector's kinds). Default 1. */
  sensorScale?: number;
  /** Readings per MQTT message when publishing. Default 20. */
  readingsPerMessage?: number;
  /** Id of the enforcing authority every enterprise belongs to. Default 'city-demo'. */
  authorityId?: string;
}

export const fleetOptionsSchema = z.strictObject({
  seed: z.number().int(),
  enterprises: z.number().int().min(1).max(999_999),
  sensorScale: z.number().int().min(1).max(1000).default(1),
  readingsPerMessage: z.number().int().min(1).max(MAX_ITEMS_PER_MESSAGE).default(20),
  authorityId: idSchema.default('city-demo'),
});

export interface SimSensorDef {
  id: string;
  kind: SensorKind;
  unit: string;
  periodS: number;
  zone?: string;
  role?: string;
  /** Display name (Chinese label + id). */
  name: string;
  /** Normal-operation value model of this instance. */
  model: SensorModel;
  /** [low, high] that every normal-operation value stays within. */
  normalBand: [number, number];
  /** Alarm marks (tank level, pressure, …), in the sensor's unit. */
  marks?: AlarmMarks;
}

export interface SimSignalDef {
  id: string;
  kind: SignalKind;
  /** State under normal operation. */
  normal: string;
  periodS: number;
  name: string;
  /** For a `detector` point: the sensor whose power/health it reports. */
  sensorId?: string;
}

export interface SimGatewayDef {
  enterpriseId: string;
  enterpriseName: string;
  gatewayId: string;
  sector: SimSector;
  sensors: SimSensorDef[];
  signals: SimSignalDef[];
}

export interface FleetPlan {
  authority: { id: string; name: string; level: 'city' };
  gateways: SimGatewayDef[];
  /** The options the plan was made with, defaults applied. */
  options: z.output<typeof fleetOptionsSchema>;
}

/** Spread of the daily pattern's peak hour between enterprises, hours either side. */
const PHASE_SPREAD_H = 1;

/** Plans the fleet. Pure: the same options give the same plan. */
export function planFleet(opts: FleetOptions): FleetPlan {
  const o = fleetOptionsSchema.parse(opts);
  const perSector = new Map<SimSector, number>();
  const gateways: SimGatewayDef[] = [];
  for (let i = 0; i < o.enterprises; i++) {
    const sector = SIM_SECTORS[i % SIM_SECTORS.length]!;
    const n = (perSector.get(sector) ?? 0) + 1;
    perSector.set(sector, n);
    gateways.push(planGateway(sector, n, o.seed, o.sensorScale));
  }
  return { authority: { id: o.authorityId, name: '示例市应急管理局', level: 'city' }, gateways, options: o };
}

function planGateway(sector: SimSector, n: number, seed: number, scale: number): SimGatewayDef {
  const t = SECTOR_TEMPLATES[sector];
  const nnn = String(n).padStart(3, '0');
  const enterpriseId = `E-${t.code}-${nnn}`;
  const phase = (mulberry32(keyOf(seed, enterpriseId, 'phase'))() * 2 - 1) * PHASE_SPREAD_H;
  const sensors: SimSensorDef[] = [];
  const detectors: SimSignalDef[] = [];
  for (const st of t.sensors) {
    for (let i = 0; i < st.count * scale; i++) {
      const id = `${st.prefix}-${st.first + i}`;
      const spread = 1 + (mulberry32(keyOf(seed, enterpriseId, id, 'base'))() * 2 - 1) * st.jitter;
      const model: SensorModel = { ...st.model, base: st.model.base * spread, peakHour: (st.model.peakHour + phase + 24) % 24 };
      const group = Math.floor(i / st.count);
      sensors.push({
        id,
        kind: st.kind,
        unit: st.unit,
        periodS: st.periodS,
        zone: group === 0 ? st.zone : `${st.zone}-${group + 1}`,
        ...(st.role === undefined ? {} : { role: st.role }),
        name: `${st.label} ${id}`,
        model,
        normalBand: normalBand(model),
        ...(st.marks === undefined ? {} : { marks: { ...st.marks } }),
      });
      if (st.detector) {
        detectors.push({
          id: detectorPointId(id),
          kind: 'detector',
          normal: 'powered',
          periodS: t.detectorPeriodS,
          name: `${st.label} ${id} 电源`,
          sensorId: id,
        });
      }
    }
  }
  return {
    enterpriseId,
    enterpriseName: t.enterpriseName(nnn),
    gatewayId: `GW-${t.code}-${nnn}-1`,
    sector,
    sensors,
    signals: [...t.signals.map((s) => ({ id: s.id, kind: s.kind, normal: s.normal, periodS: s.periodS, name: s.label })), ...detectors],
  };
}

/** What provisionFleet needs of an admin API client (testkit/api.ts AdminClient fits). */
export interface AdminApi {
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export interface ProvisionOptions {
  /** Gateways provisioned at once. Default 4. */
  concurrency?: number;
}

async function createOrKeep(api: AdminApi, path: string, body: unknown): Promise<'created' | 'existed'> {
  const r = await api.request('POST', path, body);
  if (r.status === 201 || r.status === 200) return 'created';
  if (r.status === 409) return 'existed';
  throw new Error(`POST ${path} → HTTP ${r.status}: ${JSON.stringify(r.body)}`);
}

/** What the ledger registers of a sensor besides its identity: alarm marks, instrument range and resolution, in its unit. */
export interface SensorRegistration {
  marks?: AlarmMarks;
  range?: { min: number; max: number };
  resolution?: number;
}

/** The alarm marks, instrument range and resolution the ledger registers for a sensor; a range or resolution the ledger would refuse is left out. */
export function registeredOf(s: Pick<SimSensorDef, 'marks' | 'model'>): SensorRegistration {
  const { min, max, resolution } = s.model;
  return {
    ...(s.marks === undefined ? {} : { marks: { ...s.marks } }),
    ...(Number.isFinite(min) && Number.isFinite(max) && min < max ? { range: { min, max } } : {}),
    ...(Number.isFinite(resolution) && resolution > 0 ? { resolution } : {}),
  };
}

async function provisionGateway(api: AdminApi, authorityId: string, g: SimGatewayDef): Promise<string> {
  await createOrKeep(api, '/api/v1/enterprises', { id: g.enterpriseId, name: g.enterpriseName, sector: g.sector, authorityId });
  let r = await api.request<{ secret?: string }>('POST', '/api/v1/gateways', {
    id: g.gatewayId,
    enterpriseId: g.enterpriseId,
    name: `${g.enterpriseName} 边缘网关 1`,
  });
  if (r.status === 409) r = await api.request<{ secret?: string }>('POST', `/api/v1/gateways/${encodeURIComponent(g.gatewayId)}/rotate-secret`);
  if (r.status >= 300 || typeof r.body?.secret !== 'string') throw new Error(`gateway ${g.gatewayId}: HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  const secret = r.body.secret;
  const ids = { enterpriseId: g.enterpriseId, gatewayId: g.gatewayId };
  for (const s of g.sensors) {
    await createOrKeep(api, '/api/v1/sensors', {
      id: s.id,
      ...ids,
      kind: s.kind,
      unit: s.unit,
      periodS: s.periodS,
      ...(s.zone === undefined ? {} : { zone: s.zone }),
      ...(s.role === undefined ? {} : { role: s.role }),
      name: s.name,
      ...registeredOf(s),
    });
  }
  for (const p of g.signals) await createOrKeep(api, '/api/v1/sensors', { id: p.id, ...ids, kind: p.kind, periodS: p.periodS, name: p.name });
  return secret;
}

/**
 * Creates authority, enterprises, gateways, sensors and signal points via the
 * admin API. Idempotent: an existing entity (HTTP 409) is kept as it is; an
 * existing gateway gets a new secret via rotate-secret. Returns gatewayId → secret.
 */
export async function provisionFleet(
  plan: Pick<FleetPlan, 'authority' | 'gateways'>,
  api: AdminApi,
  opts: ProvisionOptions = {},
): Promise<Map<string, string>> {
  await createOrKeep(api, '/api/v1/authorities', plan.authority);
  const secrets = new Map<string, string>();
  const queue = [...plan.gateways];
  const worker = async () => {
    for (let g = queue.shift(); g; g = queue.shift()) secrets.set(g.gatewayId, await provisionGateway(api, plan.authority.id, g));
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  return new Map(plan.gateways.map((g) => [g.gatewayId, secrets.get(g.gatewayId)!]));
}
