/**
 * The rules engine: every rule instance of every enterprise with its pattern
 * state, routing of observations and clock ticks to the instances that want
 * them, and snapshots of all states. Synchronous and free of I/O (the worker
 * around it reads the feed and persists alerts), so it can be tested with
 * plain data and a fake clock.
 *
 * Routing relies on `Pattern.accepts` depending only on the input's type and
 * point (or gateway), never on its value: the instances an input goes to are
 * computed once per (type, point) and cached until the enterprise's rules change.
 */
import type { SignalKind } from '../../core/contract.ts';
import type { PatternInput } from '../patterns/index.ts';
import { acceptsInput, initState, resolveRules, stepRule, type Catalogue, type Override, type ResolvedRule, type RulePoint } from '../rules/index.ts';
import type { Finding, Observation } from '../types.ts';

interface Instance {
  rule: ResolvedRule;
  state: unknown;
}

interface EnterpriseRules {
  points: Map<string, RulePoint>;
  instances: Map<string, Instance>;
  routes: Map<string, Instance[]>;
  ticked: Instance[];
}

/** A snapshot of every instance's state, keyed by instance key, with the rule version it belongs to. */
export interface EngineSnapshot {
  v: 1;
  instances: Record<string, { r: number; s: unknown }>;
}

export type ObservationResult = { ok: true; findings: Finding[] } | { ok: false; unknownPoint: string };

/** Raw data from the feed, before the engine attaches the ledger's point. */
export type RawObservation =
  | { type: 'reading'; enterpriseId: string; pointId: string; value: number; quality: 'good' | 'uncertain' | 'bad'; ts: number }
  | { type: 'signal'; enterpriseId: string; pointId: string; state: string; ts: number }
  | { type: 'gateway'; enterpriseId: string; gatewayId: string; state: 'online' | 'offline'; reason: string; ts: number };

const SIGNAL_KIND_OF = (p: RulePoint): SignalKind => p.kind as SignalKind;

/** Each enterprise's overrides as JSON, in their order (the order they apply in), to tell which changed. */
function overridesByEnterprise(overrides: readonly Override[]): Map<string, string> {
  const by = new Map<string, Override[]>();
  for (const o of overrides) {
    const list = by.get(o.enterpriseId);
    if (list) list.push(o);
    else by.set(o.enterpriseId, [o]);
  }
  return new Map([...by].map(([id, list]) => [id, JSON.stringify(list)]));
}

/**
 * Gateway-level findings before the points' ones (stable otherwise): when a
 * gateway's points all fall silent, its root-cause alert is persisted before
 * the silence alerts of the same tick, which then open suppressed under it.
 */
export function rootCausesFirst(findings: Finding[]): Finding[] {
  const gateway = findings.filter((f) => f.subject.startsWith('gateway:'));
  return gateway.length === 0 || gateway.length === findings.length ? findings : [...gateway, ...findings.filter((f) => !f.subject.startsWith('gateway:'))];
}

export class RulesEngine {
  private readonly enterprises = new Map<string, EnterpriseRules>();
  private catalogue: Catalogue;
  private overrides: readonly Override[];

  constructor(catalogue: Catalogue, overrides: readonly Override[] = []) {
    this.catalogue = catalogue;
    this.overrides = overrides;
  }

  get catalogueVersion(): number {
    return this.catalogue.version;
  }

  /** Number of rule instances across all enterprises. */
  get instanceCount(): number {
    let n = 0;
    for (const e of this.enterprises.values()) n += e.instances.size;
    return n;
  }

  enterpriseIds(): string[] {
    return [...this.enterprises.keys()];
  }

  /** The catalogue and overrides the rules are resolved with (coverage resolves the same way). */
  get inForce(): { catalogue: Catalogue; overrides: readonly Override[] } {
    return { catalogue: this.catalogue, overrides: this.overrides };
  }

  /** An enterprise's points. */
  pointsOf(enterpriseId: string): RulePoint[] {
    return [...(this.enterprises.get(enterpriseId)?.points.values() ?? [])];
  }

  point(enterpriseId: string, pointId: string): RulePoint | undefined {
    return this.enterprises.get(enterpriseId)?.points.get(pointId);
  }

  /** The rules in force for an enterprise (for inspection and tests). */
  rulesOf(enterpriseId: string): ResolvedRule[] {
    return [...(this.enterprises.get(enterpriseId)?.instances.values() ?? [])].map((i) => i.rule);
  }

  /**
   * Sets an enterprise's points (all of them) and re-resolves its rules. An
   * instance whose key and rule version are unchanged keeps its state; others start fresh.
   */
  setEnterprise(enterpriseId: string, points: readonly RulePoint[]): void {
    const old = this.enterprises.get(enterpriseId);
    const sorted = [...points].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const instances = new Map<string, Instance>();
    for (const p of sorted) {
      for (const rule of resolveRules(this.catalogue, this.overrides, p)) {
        if (instances.has(rule.key)) continue; // zone / gateway scope: one instance, anchored on the first point
        const prev = old?.instances.get(rule.key);
        instances.set(rule.key, {
          rule,
          state: prev && prev.rule.version === rule.version && prev.rule.pattern === rule.pattern ? prev.state : initState(rule),
        });
      }
    }
    const all = [...instances.values()];
    this.enterprises.set(enterpriseId, {
      points: new Map(sorted.map((p) => [p.id, p])),
      instances,
      routes: new Map(),
      ticked: all.filter((i) => acceptsInput(i.rule, { type: 'tick', now: 0 })),
    });
  }

  removeEnterprise(enterpriseId: string): void {
    this.enterprises.delete(enterpriseId);
  }

  /**
   * Swaps the catalogue and / or the overrides and re-resolves the enterprises
   * concerned: all of them for another catalogue, only those whose overrides
   * changed for the same one. A re-resolved instance keeps its state where its
   * key and rule version match (an override changes neither: a tightened limit
   * applies to the window as it stands); instances of other enterprises are untouched.
   */
  setCatalogue(catalogue: Catalogue, overrides: readonly Override[] = this.overrides): void {
    const sameCatalogue = catalogue === this.catalogue;
    const before = overridesByEnterprise(this.overrides);
    const after = overridesByEnterprise(overrides);
    this.catalogue = catalogue;
    this.overrides = overrides;
    for (const [id, e] of this.enterprises) {
      if (sameCatalogue && before.get(id) === after.get(id)) continue;
      this.setEnterprise(id, [...e.points.values()]);
    }
  }

  /** Feeds one observation; an unknown point is reported (the worker reloads the ledger and retries once). */
  observe(raw: RawObservation): ObservationResult {
    const e = this.enterprises.get(raw.enterpriseId);
    let obs: Observation;
    let route: string;
    if (raw.type === 'gateway') {
      if (!e) return { ok: true, findings: [] };
      obs = raw;
      route = `g|${raw.gatewayId}`;
    } else {
      const point = e?.points.get(raw.pointId);
      if (!e || !point) return { ok: false, unknownPoint: raw.pointId };
      if (raw.type === 'reading') {
        obs = { type: 'reading', point, value: raw.value, quality: raw.quality, ts: raw.ts };
        route = `r|${raw.pointId}`;
      } else {
        obs = { type: 'signal', point: { ...point, kind: SIGNAL_KIND_OF(point) }, state: raw.state, ts: raw.ts };
        route = `s|${raw.pointId}`;
      }
    }
    let targets = e.routes.get(route);
    if (!targets) {
      targets = [...e.instances.values()].filter((i) => acceptsInput(i.rule, obs));
      e.routes.set(route, targets);
    }
    return { ok: true, findings: this.step(targets, obs) };
  }

  /** The clock moved: the patterns about missing data and deadlines look at `now`. */
  tick(now: number): Finding[] {
    const findings: Finding[] = [];
    const input: PatternInput = { type: 'tick', now };
    for (const e of this.enterprises.values()) findings.push(...this.step(e.ticked, input));
    return rootCausesFirst(findings);
  }

  private step(targets: readonly Instance[], input: PatternInput): Finding[] {
    const out: Finding[] = [];
    for (const i of targets) {
      const r = stepRule(i.rule, i.state, input);
      i.state = r.state;
      if (r.findings.length > 0) out.push(...r.findings);
    }
    return out;
  }

  snapshot(): EngineSnapshot {
    const instances: EngineSnapshot['instances'] = {};
    for (const e of this.enterprises.values()) for (const [key, i] of e.instances) instances[key] = { r: i.rule.version, s: i.state };
    return { v: 1, instances };
  }

  /** Restores states from a snapshot (after `setEnterprise` for every enterprise); entries of another rule version are dropped. Returns how many were restored. */
  restore(snap: EngineSnapshot): number {
    let n = 0;
    for (const e of this.enterprises.values()) {
      for (const [key, i] of e.instances) {
        const s = snap.instances[key];
        if (s && s.r === i.rule.version) {
          i.state = s.s;
          n++;
        }
      }
    }
    return n;
  }
}
