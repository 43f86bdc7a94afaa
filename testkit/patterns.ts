/**
 * Shared helpers for the pattern tests (tests/unit/patterns-*.test.ts): a
 * fixed clock, a pattern context builder, and `drive`, which runs a pattern
 * on frozen states and through a JSON round trip and checks both agree.
 */
import { expect } from 'vitest';
import type { Pattern, PatternContext, PatternInput } from '../alerts/patterns/pattern.ts';
import type { Finding, PointInfo } from '../alerts/types.ts';

/** The tests' epoch: 2026-01-01T00:00:00Z, in ms. */
export const T0 = Date.UTC(2026, 0, 1);

/** The time `s` seconds after {@link T0}, in ms. */
export const at = (s: number) => T0 + s * 1000;

/** A clock tick at second `s`. */
export const tick = (s: number): PatternInput => ({ type: 'tick', now: at(s) });

/**
 * A pattern context for rule `test.rule` anchored at `anchor`: version 1,
 * severity yellow, no hold, subject the anchor's id; `over` replaces any field.
 */
export const patternContext = (anchor: PointInfo, over: Partial<PatternContext> = {}): PatternContext => ({
  ruleId: 'test.rule',
  ruleVersion: 1,
  name: { zh: '测试', en: 'test' },
  severity: 'yellow',
  forMs: 0,
  subject: anchor.id,
  anchor,
  ...over,
});

/** Freezes `v` and everything reachable from it, in place; returns `v`. */
export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Runs the inputs on frozen states and, separately, through a JSON round trip after each step; both must agree. */
export function drive<P, S>(pattern: Pattern<P, S>, params: P, ctx: PatternContext, inputs: readonly PatternInput[]) {
  let plain = pattern.init();
  let copied = pattern.init();
  const findings: Finding[] = [];
  const copiedFindings: Finding[] = [];
  for (const input of inputs) {
    const r = pattern.step(deepFreeze(plain), input, params, ctx);
    plain = r.state;
    findings.push(...r.findings);
    const r2 = pattern.step(JSON.parse(JSON.stringify(copied)) as S, input, params, ctx);
    copied = r2.state;
    copiedFindings.push(...r2.findings);
  }
  expect(copiedFindings).toEqual(findings);
  return { findings, state: plain };
}

/** Findings as `condition:severity@seconds-after-T0`, for compact comparison. */
export const brief = (fs: Finding[]) => fs.map((f) => `${f.condition}:${f.severity}@${(f.at - T0) / 1000}`);
