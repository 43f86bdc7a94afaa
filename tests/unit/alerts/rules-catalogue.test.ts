/**
 * The rule catalogue: the shipped default parses and carries the standards'
 * limits and the chosen grades; malformed rules and catalogues are rejected
 * with messages that name the path.
 */
import { describe, expect, it } from 'vitest';
import { PATTERNS } from '../../../alerts/patterns/index.ts';
import { PATTERN_NAMES } from '../../../alerts/patterns/pattern.ts';
import { GASES, oelIn } from '../../../alerts/rules/gases.ts';
import { getPath } from '../../../alerts/rules/overrides.ts';
import { defaultCatalogue, defaultCatalogueInput } from '../../../alerts/rules/packs/index.ts';
import { suppressibleByGatewayOffline } from '../../../alerts/rules/resolve.ts';
import { parseCatalogue, type Rule, type RuleInput } from '../../../alerts/rules/schema.ts';

const catalogue = defaultCatalogue();
const rule = (id: string): Rule => {
  const r = catalogue.rules.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
};

describe('default catalogue', () => {
  it('parses, from data and from its JSON text', () => {
    const input = defaultCatalogueInput();
    expect(parseCatalogue(input).ok).toBe(true);
    const fromText = parseCatalogue(JSON.stringify(input));
    expect(fromText.ok && fromText.value).toEqual(catalogue);
  });

  it('marks as serious violations (2025 §三) the safety devices switched off in production and the interlock failures, nothing else', () => {
    const serious = catalogue.rules.filter((r) => r.seriousViolation);
    expect(serious.map((r) => r.id).sort()).toEqual(
      [
        'chem.overfill_interlock',
        'common.detector_off',
        'common.interlock_bypassed',
        'dust.collector_stopped',
        'metal.cooling_water.interlock_failure',
        ...catalogue.rules.filter((r) => r.id.startsWith('mine.methane.power_off_failure.')).map((r) => r.id),
        'mine.ventilation_stopped',
      ].sort(),
    );
    expect(new Set(serious.map((r) => r.pattern))).toEqual(new Set(['safety_off_in_production', 'interlock_failure']));
    // alerts that are not serious violations are verified remotely first (2025 §七)
    for (const id of ['common.frozen', 'common.gateway_offline', 'common.data_silence', 'common.drop_to_zero', 'gas.combustible'])
      expect(catalogue.rules.find((r) => r.id === id)?.seriousViolation, id).toBe(false);
  });

  it('validates seriousViolation as a boolean', () => {
    const input = defaultCatalogueInput();
    (input.rules[0] as Record<string, unknown>).seriousViolation = 'yes';
    const r = parseCatalogue(input);
    expect(!r.ok && r.errors).toEqual([expect.stringMatching(/^rules\[0\]\.seriousViolation: /) as unknown]);
  });

  it('every rule is documented: a standard, or a note saying why its defaults are what they are', () => {
    const undocumented = catalogue.rules.filter((r) => r.standard === undefined && r.note === undefined).map((r) => r.id);
    expect(undocumented).toEqual([]);
  });

  it('uses every pattern', () => {
    expect([...new Set(catalogue.rules.map((r) => r.pattern))].sort()).toEqual([...PATTERN_NAMES].sort());
  });

  it('the pattern registry is keyed by each pattern’s own name', () => {
    for (const n of PATTERN_NAMES) expect(PATTERNS[n].pattern.name).toBe(n);
  });

  it('has a pack for each high-risk sector the simulators model, plus common', () => {
    expect([...new Set(catalogue.rules.map((r) => r.pack))].sort()).toEqual(['common', 'explosive_dust', 'hazardous_chemicals', 'metal_smelting', 'mine']);
  });

  // The limits issue #3 lists, as the default params and as the standard's limit on registered values.
  const limits: { id: string; param: string; value: number; bound: 'atMost' | 'atLeast' }[] = [
    { id: 'gas.combustible', param: 'levels.level1.threshold', value: 25, bound: 'atMost' },
    { id: 'gas.combustible', param: 'levels.level2.threshold', value: 50, bound: 'atMost' },
    { id: 'gas.toxic.h2s.mgm3', param: 'levels.level1.threshold', value: 10, bound: 'atMost' },
    { id: 'gas.toxic.h2s.mgm3', param: 'levels.level2.threshold', value: 20, bound: 'atMost' },
    { id: 'gas.toxic.h2s.ppm', param: 'levels.level1.threshold', value: 7, bound: 'atMost' },
    { id: 'gas.toxic.default.ppm', param: 'levels.level1.threshold', value: 7, bound: 'atMost' },
    { id: 'gas.oxygen.low', param: 'levels.deficiency.threshold', value: 19.5, bound: 'atLeast' },
    { id: 'gas.oxygen.high', param: 'levels.enrichment.threshold', value: 23.5, bound: 'atMost' },
    { id: 'mine.methane.working_face', param: 'levels.alarm.threshold', value: 1.0, bound: 'atMost' },
    { id: 'mine.methane.working_face', param: 'levels.power_off.threshold', value: 1.5, bound: 'atMost' },
    { id: 'mine.methane.return_airway', param: 'levels.power_off.threshold', value: 1.0, bound: 'atMost' },
    { id: 'mine.methane.power_off_failure.working_face', param: 'trigger.threshold', value: 1.5, bound: 'atMost' },
    { id: 'mine.methane.power_off_failure.working_face', param: 'responseMs', value: 40_000, bound: 'atMost' },
    { id: 'mine.methane.power_off_failure.return_airway', param: 'trigger.threshold', value: 1.0, bound: 'atMost' },
    { id: 'mine.co', param: 'threshold', value: 24, bound: 'atMost' },
    { id: 'chem.overfill_interlock', param: 'responseMs', value: 30_000, bound: 'atMost' },
    { id: 'metal.cooling_water.interlock_failure', param: 'responseMs', value: 30_000, bound: 'atMost' },
  ];
  it.each(limits)('$id $param = $value ($bound)', ({ id, param, value, bound }) => {
    const r = rule(id);
    expect(getPath(r.params, param)).toBe(value);
    const l = r.standardLimits.find((x) => x.param === param);
    expect(l?.[bound]).toBe(value);
    expect(l?.standard).toMatch(/GB|煤矿|规定|标准/);
  });

  it.each([
    { id: 'gas.combustible', levels: { level1: 'orange', level2: 'red' } },
    { id: 'mine.methane.working_face', levels: { alarm: 'orange', power_off: 'red' } },
    { id: 'chem.tank_level.high', levels: { high: 'yellow', highHigh: 'orange' } },
    { id: 'chem.tank_level.low', levels: { low: 'yellow', lowLow: 'orange' } },
  ])('graded levels of $id', ({ id, levels }) => {
    const r = rule(id);
    if (r.pattern !== 'threshold') throw new Error('not a threshold rule');
    expect(Object.fromEntries(Object.entries(r.params.levels).map(([k, l]) => [k, l.severity]))).toEqual(levels);
  });

  it.each([
    { id: 'gas.correlated', severity: 'red' },
    { id: 'chem.overfill_interlock', severity: 'red' },
    { id: 'mine.methane.return_airway', severity: 'red' },
    { id: 'mine.co', severity: 'orange' },
    { id: 'metal.cooling_water.flow_difference', severity: 'orange' },
    { id: 'metal.cooling_water.interlock_failure', severity: 'red' },
    { id: 'dust.collector.temperature', severity: 'yellow' },
    { id: 'dust.spark', severity: 'orange' },
    { id: 'common.data_silence', severity: 'yellow' },
    { id: 'common.gateway_offline', severity: 'orange' },
    { id: 'common.detector_off', severity: 'orange' },
    { id: 'common.interlock_bypassed', severity: 'red' },
  ])('$id is $severity', ({ id, severity }) => {
    expect(rule(id).severity).toBe(severity);
  });

  it('mine CO escalates to red after 30 minutes; the dust collector to orange then red', () => {
    const co = rule('mine.co');
    const dust = rule('dust.collector.temperature');
    expect(co.pattern === 'sustained' && co.params.steps).toEqual([{ afterMs: 1_800_000, severity: 'red' }]);
    expect(dust.pattern === 'sustained' && dust.params.steps.map((s) => s.severity)).toEqual(['orange', 'red']);
  });

  it('only the silence rule is suppressed by an offline gateway', () => {
    expect(catalogue.rules.filter((r) => r.suppressibleByGatewayOffline).map((r) => r.id)).toEqual(['common.data_silence']);
    const suppressible = suppressibleByGatewayOffline(catalogue);
    expect(['common.data_silence', 'common.gateway_offline', 'gas.combustible', 'no.such.rule'].map(suppressible)).toEqual([true, false, false, false]);
  });

  it.each(GASES.map((g) => g.role))('toxic gas %s: level 2 is twice the OEL (rounded down), in ppm and mg/m³', (role) => {
    const g = GASES.find((x) => x.role === role)!;
    for (const [unit, key] of [
      ['ppm', 'ppm'],
      ['mg/m³', 'mgm3'],
    ] as const) {
      const r = rule(`gas.toxic.${role}.${key}`);
      expect(getPath(r.params, 'levels.level1.threshold')).toBe(oelIn(g, unit));
      expect(getPath(r.params, 'levels.level2.threshold')).toBe(oelIn(g, unit, 200));
      expect(oelIn(g, unit, 200)).toBeGreaterThanOrEqual(2 * oelIn(g, unit));
    }
  });
});

describe('parseCatalogue rejects bad rules, naming the path', () => {
  const good = (): RuleInput => structuredClone(defaultCatalogueInput().rules.find((r) => r.id === 'gas.combustible')!);
  type Mutable = Record<string, unknown> & {
    params: Record<string, unknown> & { levels: Record<string, Record<string, unknown>> };
    match: Record<string, unknown>;
    name: Record<string, unknown>;
  };
  const cases: { name: string; mutate: (r: Mutable) => void; error: string }[] = [
    { name: 'unknown key on the rule', mutate: (r) => (r.colour = 'red'), error: 'rules[0]: Unrecognized key: "colour"' },
    { name: 'unknown pattern', mutate: (r) => (r.pattern = 'magic'), error: 'rules[0].pattern: Invalid discriminator' },
    { name: 'version 0', mutate: (r) => (r.version = 0), error: 'rules[0].version:' },
    { name: 'fractional version', mutate: (r) => (r.version = 1.5), error: 'rules[0].version:' },
    { name: 'upper-case id', mutate: (r) => (r.id = 'Gas.Combustible'), error: 'rules[0].id: dotted lower-case words' },
    { name: 'unknown pack', mutate: (r) => (r.pack = 'fireworkz'), error: 'rules[0].pack:' },
    { name: 'unknown severity', mutate: (r) => (r.severity = 'purple'), error: 'rules[0].severity:' },
    { name: 'missing English name', mutate: (r) => delete r.name.en, error: 'rules[0].name.en:' },
    { name: 'unknown match key', mutate: (r) => (r.match.kind = ['level']), error: 'rules[0].match: Unrecognized key: "kind"' },
    { name: 'unknown sector in match', mutate: (r) => (r.match.sectors = ['space']), error: 'rules[0].match.sectors[0]:' },
    { name: 'negative forMs', mutate: (r) => (r.forMs = -1), error: 'rules[0].forMs:' },
    { name: 'param of another pattern', mutate: (r) => (r.params.windowMs = 5), error: 'rules[0].params: Unrecognized key: "windowMs"' },
    {
      name: 'threshold as text',
      mutate: (r) => (r.params.levels.level1!.threshold = '25'),
      error: 'rules[0].params.levels.level1.threshold: a number, or { ref',
    },
    {
      name: 'unknown limit reference',
      mutate: (r) => (r.params.levels.level1!.threshold = { ref: 'marks.veryHigh' }),
      error: 'rules[0].params.levels.level1.threshold:',
    },
    { name: 'no levels', mutate: (r) => (r.params.levels = {}), error: 'rules[0].params.levels: at least one level' },
    { name: 'bad level name', mutate: (r) => (r.params.levels['1st'] = { threshold: 5 }), error: 'rules[0].params.levels.1st:' },
    { name: 'bad direction', mutate: (r) => (r.params.direction = 'up'), error: 'rules[0].params.direction:' },
    {
      name: 'standard limit with both bounds',
      mutate: (r) => (r.standardLimits = [{ param: 'levels.level1.threshold', atMost: 25, atLeast: 1, standard: 'x' }]),
      error: 'rules[0].standardLimits[0]: exactly one of atMost / atLeast',
    },
  ];
  it.each(cases)('$name', ({ mutate, error }) => {
    const r = good() as unknown as Mutable;
    mutate(r);
    const res = parseCatalogue({ version: 1, rules: [r] });
    expect(res.ok).toBe(false);
    expect(!res.ok && res.errors.join('\n')).toContain(error);
  });

  it('duplicate ids', () => {
    const res = parseCatalogue({ version: 1, rules: [good(), defaultCatalogueInput().rules[5], good()] });
    expect(!res.ok && res.errors).toEqual(["rules[2].id: duplicate rule id 'gas.combustible' (first at rules[0])"]);
  });

  it.each([
    { name: 'not JSON', input: '{ "version": 1,', error: '(root): not JSON' },
    { name: 'unknown key on the catalogue', input: { version: 1, rules: [], extra: true }, error: '(root): Unrecognized key: "extra"' },
    { name: 'no version', input: { rules: [] }, error: 'version:' },
    { name: 'rules not a list', input: { version: 1, rules: {} }, error: 'rules:' },
  ])('catalogue: $name', ({ input, error }) => {
    const res = parseCatalogue(input);
    expect(!res.ok && res.errors.join('\n')).toContain(error);
  });

  it('reports every problem, not just the first', () => {
    const a = good() as unknown as Mutable;
    a.version = 0;
    a.severity = 'purple';
    const res = parseCatalogue({ version: 1, rules: [a] });
    expect(!res.ok && res.errors).toHaveLength(2);
  });
});
