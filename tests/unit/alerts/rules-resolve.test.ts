/**
 * Resolving the effective rules for a point: each sector pack covers the
 * simulated instruments; marks, ranges and gases resolve per point;
 * per-enterprise / per-sensor overrides apply; a registered limit looser than
 * the standard is not used and is flagged.
 */
import { describe, expect, it } from 'vitest';
import type { RulePoint } from '../../../alerts/rules/limits.ts';
import { findLooseOverrides, parseOverrides, validateOverrides, type Override } from '../../../alerts/rules/overrides.ts';
import { defaultCatalogue } from '../../../alerts/rules/packs/index.ts';
import { acceptsInput, explainRules, initState, resolveRules, stepRule, type ResolvedRule } from '../../../alerts/rules/resolve.ts';
import type { Finding } from '../../../alerts/types.ts';
import { planFleet } from '../../../simulators/fleet.ts';
import { SIM_SECTORS } from '../../../simulators/sectors.ts';
import { pointsOf } from '../../../testkit/rules.ts';

const catalogue = defaultCatalogue();
const plan = planFleet({ seed: 7, enterprises: SIM_SECTORS.length });

const gatewayOf = (sector: string) => plan.gateways.find((g) => g.sector === sector)!;
const point = (sector: string, id: string): RulePoint => pointsOf(gatewayOf(sector)).find((p) => p.id === id)!;
const ids = (rules: ResolvedRule[]) => rules.map((r) => r.id).sort();
const rulesOf = (p: RulePoint, overrides: Override[] = []) => resolveRules(catalogue, overrides, p);
const ruleOf = (p: RulePoint, id: string, overrides: Override[] = []) => {
  const r = rulesOf(p, overrides).find((x) => x.id === id);
  if (!r) throw new Error(`${id} does not apply to ${p.id}`);
  return r;
};

const SILENCE = ['common.data_silence', 'common.gateway_offline', 'common.gateway_points_silent'];
const ANALOG = [...SILENCE, 'common.frozen', 'common.out_of_range'];
const expected: { sector: string; id: string; rules: string[] }[] = [
  { sector: 'hazardous_chemicals', id: 'GT-101', rules: [...ANALOG, 'gas.combustible', 'gas.combustible.rise', 'gas.correlated'] },
  { sector: 'hazardous_chemicals', id: 'AT-101', rules: [...ANALOG, 'gas.correlated', 'gas.toxic.h2s.ppm'] },
  {
    sector: 'hazardous_chemicals',
    id: 'LT-201',
    rules: [...ANALOG, 'chem.overfill_interlock', 'chem.tank_level.high', 'chem.tank_level.low', 'common.drop_to_zero'],
  },
  { sector: 'hazardous_chemicals', id: 'TT-301', rules: [...ANALOG, 'chem.temperature.high', 'chem.temperature.rise'] },
  { sector: 'hazardous_chemicals', id: 'PT-401', rules: [...ANALOG, 'chem.pressure.high', 'common.drop_to_zero'] },
  { sector: 'hazardous_chemicals', id: 'P-RUN', rules: SILENCE },
  { sector: 'hazardous_chemicals', id: 'V-IN-1', rules: SILENCE },
  { sector: 'hazardous_chemicals', id: 'I-SIS-1', rules: [...SILENCE, 'common.interlock_bypassed'] },
  { sector: 'hazardous_chemicals', id: 'D-GT-101', rules: [...SILENCE, 'common.detector_off'] },
  {
    sector: 'mine',
    id: 'CH4-WF-101',
    rules: [...ANALOG, 'gas.correlated', 'mine.methane.power_off_failure.working_face', 'mine.methane.rise', 'mine.methane.working_face'],
  },
  {
    sector: 'mine',
    id: 'CH4-RA-101',
    rules: [...ANALOG, 'gas.correlated', 'mine.methane.power_off_failure.return_airway', 'mine.methane.return_airway', 'mine.methane.rise'],
  },
  { sector: 'mine', id: 'CO-201', rules: [...ANALOG, 'gas.correlated', 'mine.co'] },
  {
    sector: 'mine',
    id: 'FS-301',
    rules: [...ANALOG, 'common.drop_to_zero', 'mine.wind_speed.face_or_coal_heading.high', 'mine.wind_speed.face_or_coal_heading.low'],
  },
  { sector: 'mine', id: 'F-VENT-1', rules: [...SILENCE, 'mine.ventilation_stopped'] },
  { sector: 'mine', id: 'PWR-1', rules: SILENCE },
  { sector: 'mine', id: 'D-CH4-WF-101', rules: [...SILENCE, 'common.detector_off'] },
  { sector: 'explosive_dust', id: 'DT-101', rules: [...ANALOG, 'dust.concentration.high'] },
  { sector: 'explosive_dust', id: 'TT-201', rules: [...ANALOG, 'dust.collector.temperature', 'dust.collector.temperature.rise'] },
  { sector: 'explosive_dust', id: 'PDT-301', rules: [...ANALOG, 'common.drop_to_zero', 'dust.collector.dp.high', 'dust.collector.dp.low'] },
  { sector: 'explosive_dust', id: 'SC-401', rules: [...SILENCE, 'common.out_of_range', 'dust.spark'] },
  { sector: 'explosive_dust', id: 'F-DR-1', rules: [...SILENCE, 'dust.collector_stopped'] },
  { sector: 'metal_smelting', id: 'TT-IN-101', rules: ANALOG },
  { sector: 'metal_smelting', id: 'TT-OUT-101', rules: [...ANALOG, 'metal.cooling_water.outlet_temperature'] },
  {
    sector: 'metal_smelting',
    id: 'FT-IN-101',
    rules: [...ANALOG, 'common.drop_to_zero', 'metal.cooling_water.flow_difference', 'metal.cooling_water.flow_low', 'metal.cooling_water.interlock_failure'],
  },
  { sector: 'metal_smelting', id: 'FT-OUT-101', rules: [...ANALOG, 'common.drop_to_zero', 'metal.cooling_water.flow_low'] },
  { sector: 'metal_smelting', id: 'I-COOL-1', rules: [...SILENCE, 'common.interlock_bypassed'] },
];

describe('sector packs cover the simulated instruments', () => {
  it.each(expected)('$sector $id', ({ sector, id, rules }) => {
    expect(ids(rulesOf(point(sector, id)))).toEqual([...rules].sort());
  });

  it('every simulated point has a rule beyond silence, except plain process signals read by other rules', () => {
    const readOnly = new Set(['P-RUN', 'V-IN-1', 'PWR-1']);
    for (const g of plan.gateways) {
      for (const p of pointsOf(g)) {
        if (readOnly.has(p.id)) continue;
        expect(
          rulesOf(p).filter((r) => !SILENCE.includes(r.id)),
          `${g.sector} ${p.id}`,
        ).not.toHaveLength(0);
      }
    }
  });

  it('every matching rule applies to the simulated points (none skipped for want of marks or range)', () => {
    for (const g of plan.gateways) for (const p of pointsOf(g)) expect(explainRules(catalogue, [], p).filter((r) => !r.ok)).toEqual([]);
  });

  it('a sector pack does not apply to another sector', () => {
    const ch4 = { ...point('mine', 'CH4-WF-101'), sector: 'hazardous_chemicals' };
    expect(ids(rulesOf(ch4)).filter((id) => id.startsWith('mine.'))).toEqual([]);
    expect(ids(rulesOf({ ...ch4, sector: undefined })).filter((id) => id.startsWith('mine.'))).toEqual([]);
  });
});

describe('per-point resolution', () => {
  it('tank level limits come from the registered marks; the deadband from the span', () => {
    const r = ruleOf(point('hazardous_chemicals', 'LT-201'), 'chem.tank_level.high');
    expect(r.pattern === 'threshold' && r.params).toMatchObject({ deadband: 0.075, levels: { high: { threshold: 12 }, highHigh: { threshold: 13.5 } } });
    const il = ruleOf(point('hazardous_chemicals', 'LT-201'), 'chem.overfill_interlock');
    expect(il.pattern === 'interlock_failure' && il.params.trigger.threshold).toBe(13.5);
  });

  it('without marks, a mark-only rule does not apply, and says why', () => {
    const p = { ...point('hazardous_chemicals', 'PT-401'), marks: undefined };
    expect(ids(rulesOf(p))).not.toContain('chem.pressure.high');
    const why = explainRules(catalogue, [], p).find((r) => !r.ok && r.ruleId === 'chem.pressure.high');
    expect(why && !why.ok && why.reason).toContain('levels');
  });

  it('a level whose mark is missing is dropped, the others stay', () => {
    const p = { ...point('hazardous_chemicals', 'LT-201'), marks: { highHigh: 13.5 } };
    const r = ruleOf(p, 'chem.tank_level.high');
    expect(
      r.pattern === 'threshold' &&
        Object.entries(r.params.levels)
          .filter(([, l]) => l.threshold !== undefined)
          .map(([k]) => k),
    ).toEqual(['highHigh']);
  });

  it('a mark default applies when the mark is not registered', () => {
    const p = { ...point('mine', 'FS-301'), marks: undefined };
    const r = ruleOf(p, 'mine.wind_speed.face_or_coal_heading.low');
    expect(r.pattern === 'threshold' && r.params.levels.low?.threshold).toBe(0.25);
  });

  it('out-of-range falls back to the physical range of the kind', () => {
    const p = { ...point('hazardous_chemicals', 'GT-101'), range: undefined };
    const r = ruleOf(p, 'common.out_of_range');
    expect(r.pattern === 'out_of_range' && [r.params.min, r.params.max]).toEqual([0, 100]);
    expect(ids(rulesOf({ ...point('hazardous_chemicals', 'TT-301'), range: undefined }))).not.toContain('common.out_of_range');
  });

  it.each([
    { role: 'h2s', unit: 'ppm', rule: 'gas.toxic.h2s.ppm', level1: 7 },
    { role: 'nh3', unit: 'ppm', rule: 'gas.toxic.nh3.ppm', level1: 42.3 },
    { role: 'cl2', unit: 'mg/m³', rule: 'gas.toxic.cl2.mgm3', level1: 1 },
    { role: undefined, unit: 'ppm', rule: 'gas.toxic.default.ppm', level1: 7 },
    { role: 'xylene', unit: 'mg/m³', rule: 'gas.toxic.default.mgm3', level1: 10 },
  ])('toxic gas role $role in $unit → $rule', ({ role, unit, rule, level1 }) => {
    const p = { ...point('hazardous_chemicals', 'AT-101'), role, unit };
    const toxic = rulesOf(p).filter((r) => r.id.startsWith('gas.toxic.'));
    expect(toxic.map((r) => r.id)).toEqual([rule]);
    expect(toxic[0]!.pattern === 'threshold' && toxic[0]!.params.levels.level1?.threshold).toBe(level1);
  });

  it('instances: one per point, one per zone, one per gateway', () => {
    const chem = pointsOf(gatewayOf('hazardous_chemicals'));
    const keys = (id: string) =>
      new Set(
        chem.flatMap((p) =>
          rulesOf(p)
            .filter((r) => r.id === id)
            .map((r) => r.key),
        ),
      );
    expect(keys('common.gateway_offline')).toEqual(new Set(['common.gateway_offline|E-CHEM-001|gateway:GW-CHEM-001-1']));
    expect(keys('gas.correlated')).toEqual(new Set(['gas.correlated|E-CHEM-001|zone:tank-farm']));
    expect(keys('gas.combustible').size).toBe(4);
  });

  it('a resolved rule steps like its pattern, and its state survives JSON', () => {
    const p = point('hazardous_chemicals', 'GT-101');
    const r = ruleOf(p, 'gas.combustible');
    const reading = { type: 'reading' as const, point: p, value: 30, quality: 'good' as const, ts: 1000 };
    expect(acceptsInput(r, reading)).toBe(true);
    expect(acceptsInput(r, { type: 'tick', now: 1000 })).toBe(false);
    const first = stepRule(r, JSON.parse(JSON.stringify(initState(r))), reading);
    expect(first.findings.map((f: Finding) => [f.ruleId, f.ruleVersion, f.severity, f.subject])).toEqual([['gas.combustible', 2, 'orange', 'GT-101']]);
    const second = stepRule(r, JSON.parse(JSON.stringify(first.state)), { ...reading, value: 10, ts: 2000 });
    expect(second.findings.map((f) => f.condition)).toEqual(['clear']);
  });
});

describe('overrides', () => {
  const GT = point('hazardous_chemicals', 'GT-101');
  const level1 = (r: ResolvedRule) => (r.pattern === 'threshold' ? r.params.levels.level1?.threshold : undefined);
  const ov = (o: Partial<Override> & { params: Record<string, unknown> }): Override => ({ enterpriseId: GT.enterpriseId, ruleId: 'gas.combustible', ...o });
  const tighter = (v: number, sensorId?: string) => ov({ sensorId, params: { levels: { level1: { threshold: v } } } });

  it.each([
    { name: 'none', overrides: [], want: 25 },
    { name: 'enterprise-wide, stricter', overrides: [tighter(20)], want: 20 },
    { name: 'the sensor’s own beats the enterprise’s', overrides: [tighter(15, 'GT-101'), tighter(20)], want: 15 },
    { name: 'another sensor’s is not applied', overrides: [tighter(15, 'GT-102')], want: 25 },
    { name: 'another enterprise’s is not applied', overrides: [{ ...tighter(15), enterpriseId: 'E-OTHER' }], want: 25 },
    { name: 'looser than the standard: the standard’s limit is used', overrides: [tighter(30)], want: 25 },
    { name: 'invalid: ignored', overrides: [ov({ params: { levels: { level1: { threshold: 'low' } } } })], want: 25 },
    {
      name: 'a reference the point cannot resolve (no registered marks): the standard’s limit is used',
      overrides: [ov({ params: { levels: { level1: { threshold: { ref: 'marks.high' } } } } })],
      want: 25,
    },
  ])('$name', ({ overrides, want }) => {
    expect(level1(ruleOf(GT, 'gas.combustible', overrides))).toBe(want);
  });

  it('records which overrides applied and which limits were clamped', () => {
    const r = ruleOf(GT, 'gas.combustible', [tighter(30)]);
    expect(r.overrides).toHaveLength(1);
    expect(r.clamped).toEqual(['levels.level1.threshold']);
    expect(r.pattern === 'threshold' && r.params.levels.level2?.threshold).toBe(50);
  });

  it('a registered mark can be replaced by a number, and the rule’s valve named', () => {
    const LT = point('hazardous_chemicals', 'LT-201');
    const o: Override = {
      enterpriseId: LT.enterpriseId,
      sensorId: 'LT-201',
      ruleId: 'chem.overfill_interlock',
      params: { trigger: { threshold: 13 }, actuator: { ids: ['V-IN-1'] } },
    };
    const r = ruleOf(LT, 'chem.overfill_interlock', [o]);
    expect(r.pattern === 'interlock_failure' && [r.params.trigger.threshold, r.params.actuator]).toEqual([13, { kinds: ['valve'], link: 'inlet_valve', ids: ['V-IN-1'] }]);
  });

  it('sensor overrides do not apply to zone rules', () => {
    const o: Override = { enterpriseId: GT.enterpriseId, sensorId: 'GT-101', ruleId: 'gas.correlated', params: { minDetectors: 3 } };
    const r = ruleOf(GT, 'gas.correlated', [o]);
    expect(r.pattern === 'correlated_detectors' && r.params.minDetectors).toBe(2);
    expect(ruleOf(GT, 'gas.correlated', [{ ...o, sensorId: undefined }]).overrides).toHaveLength(1);
  });

  it('flags registered limits looser than the standard', () => {
    const overrides: Override[] = [
      tighter(30, 'GT-101'),
      tighter(20, 'GT-102'),
      { enterpriseId: 'E-X', ruleId: 'gas.oxygen.low', params: { levels: { deficiency: { threshold: 19 } } } },
      { enterpriseId: 'E-X', ruleId: 'gas.oxygen.low', params: { levels: { deficiency: { threshold: 19.8 } } } },
      { enterpriseId: 'E-M', sensorId: 'CH4-WF-101', ruleId: 'mine.methane.power_off_failure.working_face', params: { responseMs: 60_000 } },
      { enterpriseId: 'E-M', sensorId: 'CH4-RA-101', ruleId: 'mine.methane.return_airway', params: { levels: { power_off: { threshold: 1.0 } } } },
    ];
    expect(findLooseOverrides(catalogue, overrides)).toEqual([
      {
        enterpriseId: 'E-CHEM-001',
        sensorId: 'GT-101',
        ruleId: 'gas.combustible',
        param: 'levels.level1.threshold',
        registered: 30,
        standardLimit: 25,
        standard: expect.stringContaining('GB/T 50493-2019') as string,
      },
      {
        enterpriseId: 'E-X',
        sensorId: null,
        ruleId: 'gas.oxygen.low',
        param: 'levels.deficiency.threshold',
        registered: 19,
        standardLimit: 19.5,
        standard: expect.stringContaining('GB/T 50493') as string,
      },
      {
        enterpriseId: 'E-M',
        sensorId: 'CH4-WF-101',
        ruleId: 'mine.methane.power_off_failure.working_face',
        param: 'responseMs',
        registered: 60_000,
        standardLimit: 40_000,
        standard: expect.stringContaining('煤矿安全规程') as string,
      },
    ]);
  });

  it('validates registrations: unknown rules and params the rule rejects', () => {
    const errors = validateOverrides(catalogue, [
      tighter(20),
      { enterpriseId: 'E-1', ruleId: 'no.such.rule', params: {} },
      ov({ params: { levels: { level1: { threshold: 'x' } } } }),
    ]);
    expect(errors).toEqual([
      "overrides[1].ruleId: unknown rule 'no.such.rule'",
      expect.stringMatching(/^overrides\[2\] \(gas\.combustible\): params\.levels\.level1\.threshold: a number/) as string,
    ]);
  });

  it('parses override lists strictly', () => {
    expect(parseOverrides([{ enterpriseId: 'E-1', ruleId: 'gas.combustible', params: {} }]).ok).toBe(true);
    const bad = parseOverrides([{ enterpriseId: 'E-1', ruleId: 'gas.combustible', params: {}, severity: 'blue' }]);
    expect(!bad.ok && bad.errors).toEqual(['overrides[0]: Unrecognized key: "severity"']);
  });
});
