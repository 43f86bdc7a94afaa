/**
 * What the simulator asks of the admin API when it provisions the fleet: each
 * sensor goes with its alarm marks, instrument range and resolution, and only
 * with values the ledger accepts.
 */
import { describe, expect, it } from 'vitest';
import { checkUscc } from '../../../core/uscc.ts';
import { levelForR } from '../../../ledger/hazard-sources.ts';
import { enterpriseInput, hazardSourceInput, sensorInput } from '../../../ledger/provisioning.ts';
import {
  demoCreditCode,
  planFleet,
  provisionFleet,
  provisionOrder,
  registeredOf,
  type AdminApi,
  type SensorRegistration,
  type SimSensorDef,
} from '../../../simulators/fleet.ts';

/** An admin API that answers every POST as created and records it. */
function recordingApi() {
  const posts: { path: string; body: Record<string, unknown> }[] = [];
  const api: AdminApi = {
    request<T>(_method: string, path: string, body?: unknown) {
      posts.push({ path, body: body as Record<string, unknown> });
      return Promise.resolve({ status: 201, body: { secret: 's' } as T });
    },
  };
  return { api, posts };
}

describe('provisionFleet sensor requests', () => {
  const plan = planFleet({ seed: 7, enterprises: 4 });

  it('sends each sensor with its marks, range and resolution, and signal points without them', async () => {
    const { api, posts } = recordingApi();
    await provisionFleet(plan, api);
    const sent = new Map(posts.filter((p) => p.path === '/api/v1/sensors').map((p) => [`${p.body.enterpriseId as string}/${p.body.id as string}`, p.body]));
    for (const g of plan.gateways) {
      for (const s of g.sensors) {
        const body = sent.get(`${g.enterpriseId}/${s.id}`)!;
        expect(body.marks, s.id).toEqual(s.marks);
        expect(body.range, s.id).toEqual({ min: s.model.min, max: s.model.max });
        expect(body.resolution, s.id).toBe(s.model.resolution);
        expect(sensorInput.safeParse(body).error, s.id).toBeUndefined(); // the ledger accepts what is sent
      }
      for (const p of g.signals) {
        const body = sent.get(`${g.enterpriseId}/${p.id}`)!;
        expect(body, p.id).not.toHaveProperty('marks');
        expect(body, p.id).not.toHaveProperty('range');
        expect(body, p.id).not.toHaveProperty('resolution');
      }
    }
    const lt = sent.get(`${plan.gateways[0]!.enterpriseId}/LT-201`)!;
    expect(lt).toMatchObject({ marks: { lowLow: 1, low: 2, high: 12, highHigh: 13.5 }, range: { min: 0, max: 15 }, resolution: 0.01 });
  });
});

describe('provisionFleet registry requests (issue #17 item 1)', () => {
  const plan = planFleet({ seed: 7, enterprises: 8, sensorScale: 3 });

  it('sends enterprises, hazard sources and points the ledger accepts, each point after the points it links to', async () => {
    const { api, posts } = recordingApi();
    await provisionFleet(plan, api, { concurrency: 1 });
    const enterprises = posts.filter((p) => p.path === '/api/v1/enterprises');
    expect(enterprises.length).toBe(plan.gateways.length);
    for (const e of enterprises) expect(enterpriseInput.safeParse(e.body).error, e.body.id as string).toBeUndefined();
    const sources = posts.filter((p) => p.path.endsWith('/hazard-sources'));
    expect(sources.map((p) => p.path)).toEqual(plan.gateways.filter((g) => g.sector === 'hazardous_chemicals').map((g) => `/api/v1/enterprises/${g.enterpriseId}/hazard-sources`));
    for (const h of sources) expect(hazardSourceInput.safeParse(h.body).error).toBeUndefined();
    const registered = new Set<string>();
    for (const p of posts.filter((x) => x.path === '/api/v1/sensors')) {
      const key = (id: string) => `${p.body.enterpriseId as string}/${id}`;
      expect(sensorInput.safeParse(p.body).error, key(p.body.id as string)).toBeUndefined();
      for (const l of (p.body.links ?? []) as { target: string }[]) expect(registered.has(key(l.target)), `${key(p.body.id as string)} → ${l.target}`).toBe(true);
      registered.add(key(p.body.id as string));
    }
  });

  it('gives each tank its own inlet valve and links it, at any sensor scale', () => {
    const chem = plan.gateways.find((g) => g.sector === 'hazardous_chemicals')!;
    const tanks = chem.sensors.filter((s) => s.kind === 'level');
    expect(tanks.map((t) => [t.id, t.zone, t.registry.links])).toEqual([
      ['LT-201', 'tank-farm', [{ relation: 'inlet_valve', target: 'V-IN-1' }]],
      ['LT-202', 'tank-farm-2', [{ relation: 'inlet_valve', target: 'V-IN-2' }]],
      ['LT-203', 'tank-farm-3', [{ relation: 'inlet_valve', target: 'V-IN-3' }]],
    ]);
    expect(chem.signals.filter((s) => s.kind === 'valve').map((s) => s.id)).toEqual(['V-IN-1', 'V-IN-2', 'V-IN-3']);
    const metal = plan.gateways.find((g) => g.sector === 'metal_smelting')!;
    expect(metal.sensors.find((s) => s.id === 'FT-IN-103')!.registry.links).toEqual([
      { relation: 'cooling_outlet', target: 'FT-OUT-103' },
      { relation: 'cooling_interlock', target: 'I-COOL-1' },
    ]);
  });

  it('keeps the scale-1 fleet as it was: the same point ids, names and zones', () => {
    const one = planFleet({ seed: 7, enterprises: 4 });
    expect(one.gateways.map((g) => [...g.sensors, ...g.signals].map((p) => p.id))).toEqual([
      ['GT-101', 'GT-102', 'GT-103', 'GT-104', 'AT-101', 'LT-201', 'TT-301', 'PT-401', 'P-RUN', 'V-IN-1', 'I-SIS-1', 'D-GT-101', 'D-GT-102', 'D-GT-103', 'D-GT-104', 'D-AT-101'],
      ['CH4-WF-101', 'CH4-WF-102', 'CH4-RA-101', 'CO-201', 'FS-301', 'F-VENT-1', 'PWR-1', 'P-RUN', 'D-CH4-WF-101', 'D-CH4-WF-102', 'D-CH4-RA-101', 'D-CO-201'],
      ['DT-101', 'DT-102', 'TT-201', 'PDT-301', 'SC-401', 'P-RUN', 'F-DR-1'],
      ['TT-IN-101', 'TT-OUT-101', 'FT-IN-101', 'FT-OUT-101', 'P-RUN', 'I-COOL-1'],
    ]);
    expect(one.gateways[0]!.signals.find((s) => s.id === 'V-IN-1')!.name).toBe('储罐进料阀');
  });

  it('orders points after their link targets and refuses a link to a point the gateway lacks', () => {
    const metal = plan.gateways.find((g) => g.sector === 'metal_smelting')!;
    const order = provisionOrder(metal).map((p) => p.id);
    expect(order.indexOf('FT-IN-101')).toBeGreaterThan(order.indexOf('FT-OUT-101'));
    const broken = { ...metal, signals: metal.signals.filter((s) => s.id !== 'I-COOL-1') };
    expect(() => provisionOrder(broken)).toThrow(/links to I-COOL-1/);
  });

  it('makes credit codes with valid check characters, one per enterprise, and grades the tank farm by its R', () => {
    const codes = plan.gateways.map((g) => g.identity.creditCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(checkUscc(c), c).toMatchObject({ ok: true });
    for (const [sector, n] of [
      [0, 1],
      [3, 999_999],
    ] as const)
      expect(checkUscc(demoCreditCode(sector, n))).toMatchObject({ ok: true });
    expect(demoCreditCode(0, 100_001)).not.toBe(demoCreditCode(0, 1));
    const source = plan.gateways[0]!.hazardSources[0]!;
    expect([source.code, levelForR(source.rValue)]).toEqual(['MHS-TANK-FARM', 3]);
  });
});

describe('registeredOf', () => {
  const model: SimSensorDef['model'] = { base: 1, dailyAmplitude: 0, peakHour: 0, noiseSd: 0, resolution: 0.1, min: 0, max: 10 };
  const cases: { name: string; def: Pick<SimSensorDef, 'marks' | 'model'>; want: SensorRegistration }[] = [
    { name: 'a valid model without marks', def: { model }, want: { range: { min: 0, max: 10 }, resolution: 0.1 } },
    { name: 'marks are copied', def: { model, marks: { high: 8 } }, want: { marks: { high: 8 }, range: { min: 0, max: 10 }, resolution: 0.1 } },
    { name: 'min equal to max leaves the range out', def: { model: { ...model, min: 5, max: 5 } }, want: { resolution: 0.1 } },
    { name: 'min above max leaves the range out', def: { model: { ...model, min: 10, max: 0 } }, want: { resolution: 0.1 } },
    { name: 'an infinite bound leaves the range out', def: { model: { ...model, max: Infinity } }, want: { resolution: 0.1 } },
    { name: 'zero resolution is left out', def: { model: { ...model, resolution: 0 } }, want: { range: { min: 0, max: 10 } } },
    { name: 'negative resolution is left out', def: { model: { ...model, resolution: -1 } }, want: { range: { min: 0, max: 10 } } },
  ];
  it.each(cases)('$name', ({ def, want }) => {
    expect(registeredOf(def)).toStrictEqual(want);
  });
});
