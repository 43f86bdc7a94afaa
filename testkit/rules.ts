/** Shared helpers for the rule tests (tests/unit/rules-*.test.ts). */
import type { RulePoint } from '../alerts/rules/limits.ts';
import type { SimGatewayDef } from '../simulators/fleet.ts';

/** Relation → linked ids, as the ledger's directory hands them to the rules. */
function linksOf(r: { links?: { relation: string; target: string }[] | undefined }): { links?: Record<string, string[]> } {
  if (!r.links?.length) return {};
  const links: Record<string, string[]> = {};
  for (const l of r.links) (links[l.relation] ??= []).push(l.target);
  return { links };
}

/** The points of a simulated gateway as the ledger would register them: marks, instrument range, resolution and links included. */
export function pointsOf(g: SimGatewayDef): RulePoint[] {
  const base = { enterpriseId: g.enterpriseId, gatewayId: g.gatewayId, sector: g.sector };
  return [
    ...g.sensors.map((s) => ({
      ...base,
      id: s.id,
      kind: s.kind,
      unit: s.unit,
      periodS: s.periodS,
      zone: s.zone,
      role: s.role,
      marks: s.marks,
      range: { min: s.model.min, max: s.model.max },
      resolution: s.model.resolution,
      ...linksOf(s.registry),
    })),
    ...g.signals.map((s) => ({ ...base, id: s.id, kind: s.kind, unit: '', periodS: s.periodS, ...linksOf(s.registry) })),
  ];
}
