/**
 * No silently unmonitored point (issue #15 item 11): coverage, resolved by the
 * rules' own resolver, gives every point its effective rules and a status;
 * a point no hazard rule watches is `unmonitored` with the reason, one
 * watched only with default limits is `default`; CO outside mines and dust
 * concentration have rules.
 */
import { describe, expect, it } from 'vitest';
import { coverageOf, pointCoverage, type CoverageStatus } from '../../../alerts/rules/coverage.ts';
import { GASES, oelIn } from '../../../alerts/rules/gases.ts';
import type { RulePoint } from '../../../alerts/rules/limits.ts';
import { defaultCatalogue } from '../../../alerts/rules/packs/index.ts';
import { planFleet } from '../../../simulators/fleet.ts';
import { SIM_SECTORS } from '../../../simulators/sectors.ts';
import { pointsOf } from '../../../testkit/rules.ts';

const catalogue = defaultCatalogue();
const pt = (sector: string, kind: string, unit: string, extra: Partial<RulePoint> = {}): RulePoint => ({
  enterpriseId: 'E',
  gatewayId: 'G',
  id: 'P-1',
  kind,
  unit,
  periodS: 5,
  sector,
  ...extra,
});
const CO = GASES.find((g) => g.role === 'co')!;

describe('coverage of a point', () => {
  const cases: { name: string; p: RulePoint; status: CoverageStatus; hazardRules?: string[]; reason?: RegExp }[] = [
    {
      name: 'regression: a tank level without registered marks is unmonitored, and says which marks are missing',
      p: pt('hazardous_chemicals', 'level', 'm'),
      status: 'unmonitored',
      reason: /chem\.tank_level\.high cannot apply: needs marks\.high, marks\.highHigh registered/,
    },
    {
      name: 'a tank level with its marks: high / high-high and the overfill interlock',
      p: pt('hazardous_chemicals', 'level', 'm', { marks: { low: 1, high: 12, highHigh: 13 } }),
      status: 'monitored',
      hazardRules: ['chem.overfill_interlock', 'chem.tank_level.high', 'chem.tank_level.low'],
    },
    {
      name: 'regression: carbon monoxide outside mines is monitored (GB/T 50493-2019 at its OEL)',
      p: pt('hazardous_chemicals', 'carbon_monoxide', 'ppm'),
      status: 'monitored',
      hazardRules: ['gas.carbon_monoxide.ppm'],
    },
    { name: 'carbon monoxide in a mine: the mine rule', p: pt('mine', 'carbon_monoxide', 'ppm'), status: 'monitored', hazardRules: ['mine.co'] },
    {
      name: 'carbon monoxide in a unit no rule knows: unmonitored, with the reason',
      p: pt('metal_smelting', 'carbon_monoxide', '%'),
      status: 'unmonitored',
      reason: /no hazard rule in the catalogue for a carbon_monoxide point in sector metal_smelting/,
    },
    {
      name: 'regression: dust concentration with registered marks is monitored',
      p: pt('explosive_dust', 'dust_concentration', 'mg/m³', { marks: { high: 10, highHigh: 20 } }),
      status: 'monitored',
      hazardRules: ['dust.concentration.high'],
    },
    {
      name: 'dust concentration without marks: unmonitored (no national default adopted), with the reason',
      p: pt('explosive_dust', 'dust_concentration', 'mg/m³'),
      status: 'unmonitored',
      reason: /dust\.concentration\.high cannot apply: needs marks\.high, marks\.highHigh registered/,
    },
    {
      name: 'a methane sensor without a location: default limits',
      p: pt('mine', 'methane', '%CH4', { zone: 'z' }),
      status: 'default',
      reason: /location not registered/,
    },
    {
      name: 'a toxic detector without its gas: default limits',
      p: pt('hazardous_chemicals', 'toxic_gas', 'ppm'),
      status: 'default',
      reason: /gas not registered/,
    },
    { name: 'a production signal: context for other rules', p: pt('hazardous_chemicals', 'production', ''), status: 'context' },
    {
      name: 'a temperature in an ungraded sector: unmonitored, no rule for it',
      p: pt('other', 'temperature', '°C'),
      status: 'unmonitored',
      reason: /no hazard rule in the catalogue for a temperature point in sector other/,
    },
  ];
  it.each(cases)('$name', ({ p, status, hazardRules, reason }) => {
    const c = pointCoverage(catalogue, [], p);
    expect(c.status).toBe(status);
    if (hazardRules)
      expect(
        c.rules
          .filter((r) => r.hazard)
          .map((r) => r.id)
          .sort(),
      ).toEqual(expect.arrayContaining(hazardRules));
    if (reason) expect(c.reasons.map((r) => r.en).join('; ')).toMatch(reason);
    if (status === 'monitored') expect(c.reasons).toEqual([]);
    for (const r of c.reasons) expect(r.zh.length).toBeGreaterThan(0);
  });

  it('CO outside mines alarms at 100 % / 200 % of its OEL, in ppm and mg/m³', () => {
    for (const [unit, id] of [
      ['ppm', 'gas.carbon_monoxide.ppm'],
      ['mg/m³', 'gas.carbon_monoxide.mgm3'],
    ] as const) {
      const r = pointCoverage(catalogue, [], pt('metal_smelting', 'carbon_monoxide', unit)).rules.find((x) => x.id === id);
      expect(r?.limits.map((l) => [l.value, l.severity])).toEqual([
        [oelIn(CO, unit, 100), 'orange'],
        [oelIn(CO, unit, 200), 'red'],
      ]);
    }
  });
});

describe('coverage of the simulated fleet', () => {
  it('lists the one point no hazard rule watches (a furnace’s cooling-water inlet temperature) and nothing silently', () => {
    const plan = planFleet({ seed: 7, enterprises: SIM_SECTORS.length });
    const points = plan.gateways.flatMap(pointsOf);
    const c = coverageOf(catalogue, [], points);
    expect(c.unmonitored.map((u) => `${u.status} ${u.pointId}`)).toEqual(['unmonitored TT-IN-101']);
    expect(c.counts.monitored + c.counts.default + c.counts.context + c.counts.unmonitored).toBe(points.length);
  });
});
