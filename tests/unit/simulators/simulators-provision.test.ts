/**
 * What the simulator asks of the admin API when it provisions the fleet: each
 * sensor goes with its alarm marks, instrument range and resolution, and only
 * with values the ledger accepts.
 */
import { describe, expect, it } from 'vitest';
import { sensorInput } from '../../../ledger/provisioning.ts';
import { planFleet, provisionFleet, registeredOf, type AdminApi, type SensorRegistration, type SimSensorDef } from '../../../simulators/fleet.ts';

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
