/**
 * The simulated fleet: which enterprises, gateways, sensors and signal points
 * exist (planFleet, pure and deterministic), and putting them into the
 * platform's ledger through the admin API (provisionFleet, idempotent).
 *
 * Enterprises are dealt round-robin over the four sectors and numbered per
 * sector: E-CHEM-001, E-MINE-001, E-DUST-001, E-METAL-001, E-CHEM-002, …, each
 * with one gateway GW-<code>-<nnn>-1. Sensor and point ids (GT-101, LT-201,
 * P-RUN, V-IN-1, D-GT-101) are unique per enterprise, as the ledger requires.
 *
 * Each enterprise is registered as the national system registers one (issue #17
 * item 1, docs/point-registry.md): a unified social credit code with its check
 * character, an address and coordinates in the demo bureau's area (DEMO_AREA),
 * a safety manager with a phone; a hazardous-chemicals plant its tank farm as a
 * major hazard source with the three responsible persons. Every point carries
 * its tag number (its id), its indicator code, a gas detector the CAS number of
 * its gas (when the template names the gas), a tank-farm point its hazard
 * source, and the links the compound rules follow: each tank level → its own
 * inlet valve, each methane sensor → the feed it cuts (PWR-1), the furnace's
 * cooling-water inlet flow → its outlet flow and the cooling interlock. Names,
 * codes and phones are made up.
 */
import { z } from 'zod';
import { MAX_ITEMS_PER_MESSAGE, idSchema, type SensorKind, type SignalKind } from '../core/contract.ts';
import { indicatorCodeOf } from '../core/indicator-codes.ts';
import { USCC_CHARSET, usccCheckChar } from '../core/uscc.ts';
import type { PointRelation } from '../core/vocabulary.ts';
import { normalBand, type SensorModel } from './model.ts';
import { keyOf, mulberry32 } from './prng.ts';
import { SECTOR_TEMPLATES, SIM_SECTORS, detectorPointId, type AlarmMarks, type SectorTemplate, type SimSector } from './sectors.ts';

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
  /** What the point registry holds of it besides (docs/point-registry.md). */
  registry: PointRegistry;
}

/** A point's registry fields (ledger/points.ts): tag number, indicator code, CAS number, hazard source, links. */
export interface PointRegistry {
  /** 位号: the point's id. */
  tagNo: string;
  /** 指标编码 of its kind (core/indicator-codes.ts). */
  indicatorCode: string;
  /** CAS number of the gas it measures. */
  casNo?: string;
  /** The major hazard source it belongs to, by code. */
  hazardSourceCode?: string;
  /** The links the compound rules follow. */
  links?: { relation: PointRelation; target: string }[];
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
  registry: PointRegistry;
}

/** A major hazard source as the ledger registers it (ledger/hazard-sources.ts; the level is graded from R). */
export interface SimHazardSource {
  code: string;
  name: string;
  rValue: number;
  persons: Record<'main' | 'technical' | 'operational', { name: string; phone: string }>;
}

/** The enterprise's identity on record (ledger/enterprise-identity.ts). */
export interface SimIdentity {
  creditCode: string;
  address: string;
  longitude: number;
  latitude: number;
  safetyManagerName: string;
  safetyManagerPhone: string;
}

export interface SimGatewayDef {
  enterpriseId: string;
  enterpriseName: string;
  gatewayId: string;
  sector: SimSector;
  identity: SimIdentity;
  hazardSources: SimHazardSource[];
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

/**
 * The demo bureau's area: 福州市 (administrative division 350100, GB/T 2260), the city of GB 32100-2015's
 * worked example. Enterprises are placed in the box around its built-up area (WGS-84 degrees); the numbers
 * are the demo's choice, not a registry's.
 */
export const DEMO_AREA = { division: '350100', city: '福建省福州市', longitude: [119.2, 119.5], latitude: [25.98, 26.15] } as const;

/** GB 11714's check character of an organisation code's first 8 characters (weights 3 7 9 10 5 8 4 2; 10 → X, 11 → 0). */
function organisationCheck(body8: string): string {
  const weights = [3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body8].reduce((acc, ch, i) => acc + parseInt(ch, 36) * weights[i]!, 0);
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

/**
 * A made-up unified social credit code of the n-th enterprise of a sector: 9 (registered by the market
 * regulator) 1 (an enterprise), the demo area's division, a subject identifier `M` + sector digit + n in six
 * digits (the organisation code's check character of GB 11714 after it), and the check character of GB
 * 32100-2015. One per enterprise: the ledger refuses a code another enterprise holds.
 */
export function demoCreditCode(sectorIndex: number, n: number): string {
  if (!(n >= 1 && n <= 999_999)) throw new RangeError(`enterprise number ${n} out of 1–999999`);
  const body8 = `M${sectorIndex + 1}${String(n).padStart(6, '0')}`;
  const first17 = `91${DEMO_AREA.division}${body8}${organisationCheck(body8)}`;
  if ([...first17].some((ch) => !USCC_CHARSET.includes(ch))) throw new Error(`bad demo credit code ${first17}`);
  return first17 + usccCheckChar(first17);
}

const SURNAMES = ['陈', '林', '黄', '张', '李', '王', '吴', '刘', '郑', '杨'];
const GIVEN = ['建华', '志强', '海燕', '国平', '丽萍', '文斌', '晓东', '秀英', '明辉', '桂兰', '振宇', '春梅'];
const PERSON_ROLES = ['safety', 'main', 'technical', 'operational'] as const;

/** A made-up person of the enterprise for a role: a name and a mobile number 1380591 + role + sector + n. */
function demoPerson(enterpriseId: string, sectorIndex: number, n: number, role: (typeof PERSON_ROLES)[number]) {
  const rng = mulberry32(keyOf(0, enterpriseId, 'person', role));
  const name = `${SURNAMES[Math.floor(rng() * SURNAMES.length)]!}${GIVEN[Math.floor(rng() * GIVEN.length)]!}`;
  return { name, phone: `1380591${PERSON_ROLES.indexOf(role)}${sectorIndex}${String(n % 100).padStart(2, '0')}` };
}

function planIdentity(t: SectorTemplate, sectorIndex: number, n: number, enterpriseId: string): SimIdentity {
  // not from the fleet's seed: an enterprise stays where it is whatever the readings' seed
  const rng = mulberry32(keyOf(0, enterpriseId, 'site'));
  const at = (r: readonly [number, number]) => Math.round((r[0] + rng() * (r[1] - r[0])) * 1e6) / 1e6;
  const manager = demoPerson(enterpriseId, sectorIndex, n, 'safety');
  return {
    creditCode: demoCreditCode(sectorIndex, n),
    address: `${DEMO_AREA.city}示例区${t.street}${n}号`,
    longitude: at(DEMO_AREA.longitude),
    latitude: at(DEMO_AREA.latitude),
    safetyManagerName: manager.name,
    safetyManagerPhone: manager.phone,
  };
}

/** The id of instance `i` (from 0) of a per-instance signal: V-IN-1, V-IN-2, … */
function instanceId(id: string, i: number): string {
  const m = /^(.*-)(\d+)$/.exec(id);
  if (!m) throw new Error(`per-instance signal ${id} must end in a number`);
  return `${m[1]!}${Number(m[2]) + i}`;
}

function planGateway(sector: SimSector, n: number, seed: number, scale: number): SimGatewayDef {
  const t = SECTOR_TEMPLATES[sector];
  const sectorIndex = SIM_SECTORS.indexOf(sector);
  const nnn = String(n).padStart(3, '0');
  const enterpriseId = `E-${t.code}-${nnn}`;
  const phase = (mulberry32(keyOf(seed, enterpriseId, 'phase'))() * 2 - 1) * PHASE_SPREAD_H;
  const hazardCode = t.hazardSource?.code;
  const inSource = (flag: boolean | undefined) => (flag && hazardCode !== undefined ? { hazardSourceCode: hazardCode } : {});
  /** A link target: the same instance of a sensor template, the instance's own per-instance signal, or a signal. */
  const targetOf = (to: string, i: number): string => {
    const st = t.sensors.find((x) => x.prefix === to);
    if (st) return `${st.prefix}-${st.first + i}`;
    const sig = t.signals.find((x) => x.id === to);
    if (!sig) throw new Error(`template ${t.code}: no point ${to} to link to`);
    return sig.perInstanceOf === undefined ? sig.id : instanceId(sig.id, i);
  };
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
        registry: {
          tagNo: id,
          indicatorCode: indicatorCodeOf(st.kind)!,
          ...(st.casNo === undefined ? {} : { casNo: st.casNo }),
          ...inSource(st.inHazardSource),
          ...(st.links === undefined ? {} : { links: st.links.map((l) => ({ relation: l.relation, target: targetOf(l.to, i) })) }),
        },
      });
      if (st.detector) {
        const did = detectorPointId(id);
        detectors.push({
          id: did,
          kind: 'detector',
          normal: 'powered',
          periodS: t.detectorPeriodS,
          name: `${st.label} ${id} 电源`,
          sensorId: id,
          registry: { tagNo: did, indicatorCode: indicatorCodeOf('detector')!, ...inSource(st.inHazardSource) },
        });
      }
    }
  }
  const signals: SimSignalDef[] = t.signals.flatMap((s) => {
    const of = s.perInstanceOf === undefined ? undefined : t.sensors.find((x) => x.prefix === s.perInstanceOf);
    if (s.perInstanceOf !== undefined && !of) throw new Error(`template ${t.code}: signal ${s.id} is per instance of unknown ${s.perInstanceOf}`);
    const ids = of === undefined ? [s.id] : Array.from({ length: of.count * scale }, (_, i) => instanceId(s.id, i));
    return ids.map((id) => ({
      id,
      kind: s.kind,
      normal: s.normal,
      periodS: s.periodS,
      name: ids.length === 1 ? s.label : `${s.label} ${id}`,
      registry: { tagNo: id, indicatorCode: indicatorCodeOf(s.kind)!, ...inSource(s.inHazardSource) },
    }));
  });
  const hazardSources: SimHazardSource[] = t.hazardSource
    ? [
        {
          ...t.hazardSource,
          persons: {
            main: demoPerson(enterpriseId, sectorIndex, n, 'main'),
            technical: demoPerson(enterpriseId, sectorIndex, n, 'technical'),
            operational: demoPerson(enterpriseId, sectorIndex, n, 'operational'),
          },
        },
      ]
    : [];
  return {
    enterpriseId,
    enterpriseName: t.enterpriseName(nnn),
    gatewayId: `GW-${t.code}-${nnn}-1`,
    sector,
    identity: planIdentity(t, sectorIndex, n, enterpriseId),
    hazardSources,
    sensors,
    signals: [...signals, ...detectors],
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

/** The registry fields of a point as the ledger takes them (links left out when none). */
const registryBody = (r: PointRegistry) => ({
  tagNo: r.tagNo,
  indicatorCode: r.indicatorCode,
  ...(r.casNo === undefined ? {} : { casNo: r.casNo }),
  ...(r.hazardSourceCode === undefined ? {} : { hazardSourceCode: r.hazardSourceCode }),
  ...(r.links === undefined || r.links.length === 0 ? {} : { links: r.links.map((l) => ({ ...l })) }),
});

/**
 * The points in an order the ledger accepts: a point after the points it links to (a link's target must be
 * registered first). Signals link to nothing, so they come first; a link cycle or a link to a point the
 * gateway lacks is a template error.
 */
export function provisionOrder(g: Pick<SimGatewayDef, 'sensors' | 'signals'>): (SimSensorDef | SimSignalDef)[] {
  const all: (SimSensorDef | SimSignalDef)[] = [...g.signals, ...g.sensors];
  const ids = new Set(all.map((p) => p.id));
  const done = new Set<string>();
  const out: (SimSensorDef | SimSignalDef)[] = [];
  let rest = all;
  while (rest.length > 0) {
    const ready = rest.filter((p) => (p.registry.links ?? []).every((l) => done.has(l.target)));
    if (ready.length === 0) {
      const p = rest[0]!;
      const missing = (p.registry.links ?? []).find((l) => !ids.has(l.target));
      throw new Error(missing ? `point ${p.id} links to ${missing.target}, which the gateway lacks` : `link cycle among ${rest.map((x) => x.id).join(', ')}`);
    }
    for (const p of ready) {
      out.push(p);
      done.add(p.id);
    }
    rest = rest.filter((p) => !done.has(p.id));
  }
  return out;
}

const isSensor = (p: SimSensorDef | SimSignalDef): p is SimSensorDef => 'model' in p;

async function provisionGateway(api: AdminApi, authorityId: string, g: SimGatewayDef): Promise<string> {
  await createOrKeep(api, '/api/v1/enterprises', { id: g.enterpriseId, name: g.enterpriseName, sector: g.sector, authorityId, ...g.identity });
  for (const h of g.hazardSources) await createOrKeep(api, `/api/v1/enterprises/${encodeURIComponent(g.enterpriseId)}/hazard-sources`, h);
  let r = await api.request<{ secret?: string }>('POST', '/api/v1/gateways', {
    id: g.gatewayId,
    enterpriseId: g.enterpriseId,
    name: `${g.enterpriseName} 边缘网关 1`,
  });
  if (r.status === 409) r = await api.request<{ secret?: string }>('POST', `/api/v1/gateways/${encodeURIComponent(g.gatewayId)}/rotate-secret`);
  if (r.status >= 300 || typeof r.body?.secret !== 'string') throw new Error(`gateway ${g.gatewayId}: HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  const secret = r.body.secret;
  const ids = { enterpriseId: g.enterpriseId, gatewayId: g.gatewayId };
  for (const p of provisionOrder(g)) {
    if (isSensor(p))
      await createOrKeep(api, '/api/v1/sensors', {
        id: p.id,
        ...ids,
        kind: p.kind,
        unit: p.unit,
        periodS: p.periodS,
        ...(p.zone === undefined ? {} : { zone: p.zone }),
        ...(p.role === undefined ? {} : { role: p.role }),
        name: p.name,
        ...registeredOf(p),
        ...registryBody(p.registry),
      });
    else await createOrKeep(api, '/api/v1/sensors', { id: p.id, ...ids, kind: p.kind, periodS: p.periodS, name: p.name, ...registryBody(p.registry) });
  }
  return secret;
}

/**
 * Creates authority, enterprises (with their identity), major hazard sources,
 * gateways, sensors and signal points (with their registry fields and links)
 * via the admin API. Idempotent: an existing entity (HTTP 409) is kept as it is
 * (a ledger provisioned by an older simulator keeps its points without links:
 * the rules fall back to the zone, as the coverage's `link_by_zone` says); an
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
