/**
 * Which alerts open an off-plan inspection task, about which matter, with
 * which checklist (issue #4 point 3). Alerts are built through the real
 * state machine; time is explicit.
 */
import { describe, expect, it } from 'vitest';
import { transition, type Alert, type Command } from '../../../alerts/state/index.ts';
import type { Severity } from '../../../alerts/types.ts';
import { defaultCatalogue } from '../../../alerts/rules/packs/index.ts';
import { checklistFor } from '../../../inspections/tasks/checklist.ts';
import { MATTERS, matterOf } from '../../../inspections/tasks/matters.ts';
import { DEFAULT_TASK_POLICY, alertWarningsOf, taskDecision, taskKindOf } from '../../../inspections/tasks/policy.ts';

const T = Date.UTC(2026, 2, 1, 2);
const H = 3_600_000;

function alert(ruleId: string, severity: Severity, steps: ('ack' | 'dispose' | 'clear')[] = [], subject = 'GT-101'): Alert {
  const finding = (condition: 'raise' | 'clear', at: number): Command => ({
    type: 'finding',
    finding: {
      ruleId,
      ruleVersion: 1,
      enterpriseId: 'E1',
      subject,
      condition,
      severity,
      at,
      message: { zh: `${ruleId} 报警`, en: `${ruleId} alarm` },
      evidence: [],
    },
  });
  let a = transition(undefined, finding('raise', T), { forMs: 0, newId: () => 'A1' }).alert!;
  for (const s of steps) {
    const cmd: Command =
      s === 'ack'
        ? { type: 'acknowledge', actor: 'user:duty', at: T + 1000 }
        : s === 'dispose'
          ? { type: 'dispose', actor: 'user:duty', at: T + 2000, text: '已核实处置' }
          : finding('clear', T + 3000);
    a = transition(a, cmd, { forMs: 0, newId: () => 'A1' }).alert!;
  }
  return a;
}

const patternOf = new Map(defaultCatalogue().rules.map((r) => [r.id, r.pattern]));
const seriousOf = new Map(defaultCatalogue().rules.map((r) => [r.id, r.seriousViolation]));
const decide = (a: Alert, now = T) => taskDecision(a, patternOf.get(a.ruleId) ?? 'threshold', now);

describe('which alerts open a task', () => {
  it.each([
    { name: 'a red gas alert', a: () => alert('gas.combustible', 'red'), want: { open: true, trigger: 'red', matter: 'gas' } },
    {
      name: 'a red alert already resolved (still a serious violation found)',
      a: () => alert('gas.combustible', 'red', ['clear']),
      want: { open: true, trigger: 'red' },
    },
    {
      name: 'an interlock failure',
      a: () => alert('chem.overfill_interlock', 'red', [], 'LT-201'),
      want: { open: true, trigger: 'red', matter: 'tank_overfill' },
    },
    {
      name: 'a detector switched off in production (orange)',
      a: () => alert('common.detector_off', 'orange', [], 'D-GT-102'),
      want: { open: true, trigger: 'pattern', matter: 'safety_devices' },
    },
    {
      name: 'frozen readings (yellow)',
      a: () => alert('common.frozen', 'yellow', [], 'TT-301'),
      want: { open: true, trigger: 'pattern', matter: 'monitoring_integrity' },
    },
    {
      name: 'a drop to zero (yellow)',
      a: () => alert('common.drop_to_zero', 'yellow'),
      want: { open: true, trigger: 'pattern', matter: 'monitoring_integrity' },
    },
    { name: 'chattering', a: () => alert('common.chattering', 'yellow'), want: { open: true, trigger: 'chattering', matter: 'instrument_reliability' } },
    {
      name: 'a loose registered limit',
      a: () => alert('common.loose_limit', 'orange', [], 'limit:gas.combustible@GT-101'),
      want: { open: true, trigger: 'loose_limit', matter: 'alarm_settings' },
    },
    { name: 'a fresh orange gas alert', a: () => alert('gas.combustible', 'orange'), want: { open: false, why: 'not_yet' } },
    { name: 'a yellow silence alert', a: () => alert('common.data_silence', 'yellow'), want: { open: false, why: 'no_trigger' } },
    {
      name: 'a disposed red alert (the officer judged it)',
      a: () => alert('gas.combustible', 'red', ['ack', 'dispose']),
      want: { open: false, why: 'not_active' },
    },
  ])('$name', ({ a, want }) => {
    expect(decide(a())).toMatchObject(want);
  });

  it('a gateway offline opens a task only after a day, and not once it is back', () => {
    const a = alert('common.gateway_offline', 'orange', [], 'gateway:G1');
    expect(decide(a, T + 23 * H)).toEqual({ open: false, why: 'not_yet' });
    expect(decide(a, T + 24 * H)).toMatchObject({
      open: true,
      trigger: 'gateway_offline_long',
      matter: 'monitoring_integrity',
      reason: { zh: expect.stringContaining('24 小时') as unknown },
    });
    expect(decide(alert('common.gateway_offline', 'orange', ['clear'], 'gateway:G1'), T + 48 * H)).toEqual({ open: false, why: 'not_active' });
  });

  it('an orange alert opens a task when not disposed within its limit, acknowledged or not', () => {
    expect(decide(alert('mine.co', 'orange'), T + 24 * H)).toMatchObject({ open: true, trigger: 'orange_undisposed', matter: 'mine_gas_ventilation' });
    expect(decide(alert('mine.co', 'orange', ['ack']), T + 24 * H)).toMatchObject({ open: true, trigger: 'orange_undisposed' });
    expect(decide(alert('mine.co', 'orange', ['ack', 'dispose']), T + 48 * H)).toEqual({ open: false, why: 'not_active' });
  });

  it('is configurable: a policy without red or with other limits', () => {
    const red = alert('gas.combustible', 'red');
    expect(taskDecision(red, 'threshold', T, { ...DEFAULT_TASK_POLICY, red: false })).toEqual({ open: false, why: 'no_trigger' });
    expect(taskDecision(alert('gas.combustible', 'orange'), 'threshold', T + 2 * H, { ...DEFAULT_TASK_POLICY, orangeUndisposedMs: 2 * H })).toMatchObject({
      open: true,
    });
    expect(taskDecision(alert('common.chattering', 'yellow'), 'chattering', T, { ...DEFAULT_TASK_POLICY, chattering: false })).toEqual({
      open: false,
      why: 'no_trigger',
    });
  });
});

describe('which kind of task: on site only for a serious violation, a remote verification otherwise (2025 §三, §七)', () => {
  const decideWithKind = (a: Alert, now = T) =>
    taskDecision(a, patternOf.get(a.ruleId) ?? 'threshold', now, DEFAULT_TASK_POLICY, seriousOf.get(a.ruleId) ?? false);
  it.each([
    { name: 'a red gas alert', a: () => alert('gas.combustible', 'red'), now: T, kind: 'inspection' },
    { name: 'an interlock failure', a: () => alert('chem.overfill_interlock', 'red', [], 'LT-201'), now: T, kind: 'inspection' },
    {
      name: 'a detector switched off in production (orange, serious rule)',
      a: () => alert('common.detector_off', 'orange', [], 'D-GT-102'),
      now: T,
      kind: 'inspection',
    },
    {
      name: 'a dust collector stopped in production (orange, serious rule)',
      a: () => alert('dust.collector_stopped', 'orange', [], 'DC-1'),
      now: T,
      kind: 'inspection',
    },
    { name: 'frozen readings', a: () => alert('common.frozen', 'yellow', [], 'TT-301'), now: T, kind: 'remote_verification' },
    { name: 'a drop to zero', a: () => alert('common.drop_to_zero', 'yellow'), now: T, kind: 'remote_verification' },
    { name: 'chattering', a: () => alert('common.chattering', 'yellow'), now: T, kind: 'remote_verification' },
    {
      name: 'a loose registered limit',
      a: () => alert('common.loose_limit', 'orange', [], 'limit:gas.combustible@GT-101'),
      now: T,
      kind: 'remote_verification',
    },
    { name: 'a gateway offline for a day', a: () => alert('common.gateway_offline', 'orange', [], 'gateway:G1'), now: T + 24 * H, kind: 'remote_verification' },
    { name: 'an orange alert left undisposed', a: () => alert('mine.co', 'orange'), now: T + 24 * H, kind: 'remote_verification' },
  ])('$name → $kind', ({ a, now, kind }) => {
    expect(decideWithKind(a(), now)).toMatchObject({ open: true, kind });
  });

  it('a rule the catalogue does not mark serious is verified remotely unless red', () => {
    expect(taskKindOf({ severity: 'orange' }, false)).toBe('remote_verification');
    expect(taskKindOf({ severity: 'red' }, false)).toBe('inspection');
    expect(taskKindOf({ severity: 'yellow' }, true)).toBe('inspection');
  });
});

describe('matters and checklists', () => {
  it('every rule of the default catalogue has a matter, and every matter a checklist', () => {
    for (const r of defaultCatalogue().rules) expect(MATTERS).toContain(matterOf(r.id));
    for (const m of MATTERS) expect(checklistFor(m, 'other').length, m).toBeGreaterThan(0);
  });

  it.each([
    { ruleId: 'gas.toxic.h2s.ppm', matter: 'gas' },
    { ruleId: 'mine.methane.power_off_failure.working_face', matter: 'mine_gas_ventilation' },
    { ruleId: 'chem.tank_level.high', matter: 'tank_overfill' },
    { ruleId: 'chem.temperature.high', matter: 'process_parameters' },
    { ruleId: 'metal.cooling_water.flow_difference', matter: 'cooling_water' },
    { ruleId: 'dust.spark', matter: 'dust_removal' },
    { ruleId: 'common.interlock_bypassed', matter: 'safety_devices' },
    { ruleId: 'common.gateway_offline', matter: 'monitoring_integrity' },
  ])('$ruleId is about $matter', ({ ruleId, matter }) => {
    expect(matterOf(ruleId)).toBe(matter);
  });

  it('a checklist is the matter’s items then the sector’s key matters, ids unique, major hazards marked', () => {
    const list = checklistFor('tank_overfill', 'hazardous_chemicals');
    expect(list.map((i) => i.id)).toEqual(['tank.level_instruments', 'tank.interlock', 'tank.sis_bypass', 'chem.major_hazard_duty']);
    expect(list.filter((i) => i.major).map((i) => i.id)).toEqual(['tank.interlock', 'tank.sis_bypass']);
    for (const i of list) {
      expect(i.zh.length).toBeGreaterThan(0);
      expect(i.en.length).toBeGreaterThan(0);
      expect(i.basis.length).toBeGreaterThan(0);
    }
    expect(checklistFor('monitoring_integrity', 'mine').map((i) => i.id)).toContain('mine.monitoring_system');
    expect(checklistFor('gas', 'other').map((i) => i.id)).toEqual(['gas.detectors', 'gas.settings', 'gas.source', 'gas.response']);
  });
});

describe('risk warnings open a task on their leading alarm (issue #17 item 3)', () => {
  const f = (kind: string, level: 'blue' | 'yellow' | 'orange' | 'red', ref?: string) =>
    ({ kind, level, zh: `${kind} ${ref ?? ''}`, en: kind, ...(ref ? { ref } : {}) }) as never;
  const own = (level: 'none' | 'blue' | 'yellow' | 'orange' | 'red', factors: never[]) => ({ hazardSourceCode: '', level, factors });
  const source = (code: string, level: 'none' | 'blue' | 'yellow' | 'orange' | 'red', factors: never[]) => ({ hazardSourceCode: code, level, factors });

  it.each([
    {
      name: 'an alarm leading an orange warning',
      ws: [own('orange', [f('aggregate', 'orange'), f('alarm', 'yellow', 'A1'), f('alarm', 'yellow', 'A2')])],
      want: 'orange',
    },
    { name: 'an alarm that only adds to it (not the lead)', ws: [own('orange', [f('alarm', 'yellow', 'A0'), f('alarm', 'yellow', 'A1')])], want: undefined },
    {
      name: 'an alarm leading its hazard source, which leads the enterprise',
      ws: [own('red', [f('hazard_source', 'red', 'HS-1')]), source('HS-1', 'red', [f('pattern', 'red', 'A1')])],
      want: 'red',
    },
    {
      name: 'a warning whose highest factor is a gateway offline: its first alarm speaks for it',
      ws: [own('yellow', [f('offline', 'yellow', 'gateway:G1'), f('alarm', 'blue', 'A1')])],
      want: 'yellow',
    },
    { name: 'no warning on record', ws: [own('none', [])], want: undefined },
  ])('$name', ({ ws, want }) => {
    expect(alertWarningsOf({ id: 'A1' }, ws)?.level).toBe(want);
  });

  it('an orange warning opens a task for its leading alarm, with the warning’s factors as the reason; a yellow one does not', () => {
    const a = alert('gas.combustible', 'yellow');
    const orange = { level: 'orange' as const, reasons: ['GT-101 黄色报警', '4 个蓝色因素'] };
    expect(taskDecision(a, 'threshold', T, DEFAULT_TASK_POLICY, false, orange)).toMatchObject({
      open: true,
      trigger: 'risk_warning',
      kind: 'remote_verification',
      reason: { zh: '橙色预警（较大风险）：GT-101 黄色报警；4 个蓝色因素' },
    });
    expect(taskDecision(a, 'threshold', T, DEFAULT_TASK_POLICY, false, { level: 'yellow', reasons: [] })).toMatchObject({ open: false });
    expect(taskDecision(a, 'threshold', T, { ...DEFAULT_TASK_POLICY, warning: undefined }, false, orange)).toMatchObject({ open: false });
    // a resolved alarm no longer speaks for a standing warning
    expect(taskDecision(alert('gas.combustible', 'yellow', ['clear']), 'threshold', T, DEFAULT_TASK_POLICY, false, orange)).toMatchObject({ open: false });
  });
});

describe('a shelved alarm (搁置) opens no task by time while shelved', () => {
  it('an orange alarm left 25 h: no task while shelved, the task once the shelve has ended', () => {
    const a = { ...alert('gas.combustible', 'orange'), shelvedUntil: T + 26 * H, shelvedBy: 'user:duty' as const, shelveReason: '仪表检修中' };
    expect(taskDecision(a, 'threshold', T + 25 * H)).toEqual({ open: false, why: 'not_active' });
    expect(taskDecision(a, 'threshold', T + 26 * H)).toMatchObject({ open: true, trigger: 'orange_undisposed' });
    // nor by a warning it adds to while shelved
    expect(taskDecision(a, 'threshold', T + H, DEFAULT_TASK_POLICY, false, { level: 'red', reasons: [] })).toMatchObject({ open: false });
  });
});
