/**
 * Overrides registered while the engine runs (`setCatalogue(catalogue,
 * overrides)`): the enterprise's rules take the registered limit at once,
 * every instance keeps its state (its window continues), and the other
 * enterprises are not even re-resolved.
 */
import { describe, expect, it } from 'vitest';
import type { Override, RulePoint } from '../../../alerts/rules/index.ts';
import { defaultCatalogue } from '../../../alerts/rules/packs/index.ts';
import { RulesEngine } from '../../../alerts/worker/engine.ts';

const catalogue = defaultCatalogue();
const T0 = Date.UTC(2025, 0, 10, 8, 0);
const gasPoint = (enterpriseId: string, id: string): RulePoint => ({
  enterpriseId,
  gatewayId: `G-${enterpriseId}`,
  id,
  kind: 'combustible_gas',
  unit: '%LEL',
  periodS: 5,
  sector: 'hazardous_chemicals',
});
const tighter = (threshold: number, sensorId?: string): Override => ({
  enterpriseId: 'E1',
  ...(sensorId === undefined ? {} : { sensorId }),
  ruleId: 'gas.combustible',
  params: { levels: { level1: { threshold } } },
});

function engineWithTwoEnterprises(): RulesEngine {
  const engine = new RulesEngine(catalogue);
  engine.setEnterprise('E1', [gasPoint('E1', 'GT-101'), gasPoint('E1', 'GT-102')]);
  engine.setEnterprise('E2', [gasPoint('E2', 'GT-101')]);
  return engine;
}

const reading = (enterpriseId: string, pointId: string, value: number, ts: number) =>
  ({ type: 'reading', enterpriseId, pointId, value, quality: 'good', ts }) as const;
const level1Of = (engine: RulesEngine, enterpriseId: string, subject: string): unknown => {
  const r = engine.rulesOf(enterpriseId).find((x) => x.id === 'gas.combustible' && x.subject === subject);
  return r?.pattern === 'threshold' ? r.params.levels.level1?.threshold : undefined;
};
const raised = (findings: { ruleId: string; condition: string; severity: string; at: number }[]) =>
  findings.filter((f) => f.ruleId === 'gas.combustible').map((f) => ({ condition: f.condition, severity: f.severity, at: f.at }));

describe('RulesEngine with overrides', () => {
  it('applies a sensor’s registered limit at once: 22 %LEL alarms after level 1 is registered at 20, not before', () => {
    const engine = engineWithTwoEnterprises();
    engine.observe(reading('E1', 'GT-101', 22, T0));
    const before = engine.observe(reading('E1', 'GT-101', 22, T0 + 5000));
    expect(before.ok && raised(before.findings)).toEqual([]);

    engine.setCatalogue(catalogue, [tighter(20, 'GT-101')]);
    expect(level1Of(engine, 'E1', 'GT-101')).toBe(20);
    expect(level1Of(engine, 'E1', 'GT-102')).toBe(25);
    expect(level1Of(engine, 'E2', 'GT-101')).toBe(25);
    const after = engine.observe(reading('E1', 'GT-101', 22, T0 + 10_000));
    expect(after.ok && raised(after.findings)).toEqual([{ condition: 'raise', severity: 'orange', at: T0 + 10_000 }]);
  });

  it('keeps every instance’s state, and re-resolves only the enterprise whose overrides changed', () => {
    const engine = engineWithTwoEnterprises();
    for (const [e, p] of [
      ['E1', 'GT-101'],
      ['E1', 'GT-102'],
      ['E2', 'GT-101'],
    ] as const)
      engine.observe(reading(e, p, 12, T0));
    const states = engine.snapshot().instances;
    const e2Rules = engine.rulesOf('E2');

    engine.setCatalogue(catalogue, [tighter(20)]);
    const now = engine.snapshot().instances;
    expect(Object.keys(now).sort()).toEqual(Object.keys(states).sort());
    for (const [key, s] of Object.entries(states)) expect(now[key]!.s, key).toBe(s.s);
    expect(engine.rulesOf('E2')).toEqual(e2Rules);
    expect(engine.rulesOf('E2').every((r, i) => r === e2Rules[i])).toBe(true);
    expect(level1Of(engine, 'E1', 'GT-102')).toBe(20);

    // the same overrides again (e.g. re-registered with the same params): nothing is re-resolved
    const e1Rules = engine.rulesOf('E1');
    engine.setCatalogue(catalogue, [tighter(20)]);
    expect(engine.rulesOf('E1').every((r, i) => r === e1Rules[i])).toBe(true);
  });

  it('uses the standard’s limit when the registered one is looser, and says so', () => {
    const engine = engineWithTwoEnterprises();
    engine.setCatalogue(catalogue, [tighter(30, 'GT-101')]);
    const r = engine.rulesOf('E1').find((x) => x.id === 'gas.combustible' && x.subject === 'GT-101')!;
    expect(level1Of(engine, 'E1', 'GT-101')).toBe(25);
    expect(r.clamped).toEqual(['levels.level1.threshold']);
    const res = engine.observe(reading('E1', 'GT-101', 27, T0));
    expect(res.ok && raised(res.findings)).toEqual([{ condition: 'raise', severity: 'orange', at: T0 }]);
  });

  it('drops an override that is withdrawn', () => {
    const engine = engineWithTwoEnterprises();
    engine.setCatalogue(catalogue, [tighter(20, 'GT-101')]);
    engine.setCatalogue(catalogue, []);
    expect(level1Of(engine, 'E1', 'GT-101')).toBe(25);
  });
});
