/**
 * The names the rules depend on (issue #15 item 14): every role a rule keys
 * on can be provisioned, every valid value is in the README (and in the
 * OpenAPI description, as enums, with its Chinese name: that test is with the
 * generated document, tests/integration/api/openapi.test.ts), and an unknown
 * one is refused with the valid ones listed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultCatalogue } from '../../../alerts/rules/packs/index.ts';
import { SENSOR_KINDS, SIGNAL_KINDS } from '../../../core/contract.ts';
import { ROLES_BY_KIND, SECTORS, SECTOR_NAMES, SENSOR_KIND_NAMES, SIGNAL_KIND_NAMES, roleProblem } from '../../../core/vocabulary.ts';
import { sensorInput } from '../../../ledger/provisioning.ts';
import { SECTOR_TEMPLATES } from '../../../simulators/sectors.ts';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('vocabulary', () => {
  it('every role a rule of the default catalogue keys on is a valid role of the kind it matches', () => {
    const bad: string[] = [];
    for (const r of defaultCatalogue().rules)
      for (const role of [...(r.match.roles ?? []), ...(r.match.excludeRoles ?? [])])
        for (const kind of r.match.kinds ?? []) if (roleProblem(kind, role)) bad.push(`${r.id}: ${kind}/${role}`);
    expect(bad).toEqual([]);
  });

  it('the simulated fleet provisions with valid names only', () => {
    const bad = Object.values(SECTOR_TEMPLATES).flatMap((t) =>
      t.sensors.filter((s) => roleProblem(s.kind, s.role)).map((s) => `${t.sector}/${s.prefix}: ${s.role}`),
    );
    expect(bad).toEqual([]);
  });

  it('the README lists every value with its Chinese name', () => {
    const missing: string[] = [];
    const need = (id: string, zh: string) => {
      // a table row: the value, then its Chinese name (cells padded or not)
      const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (!new RegExp(`\\|\\s*\`${esc(id)}\`\\s*\\|\\s*${esc(zh)}`).test(readme)) missing.push(`${id} ${zh}`);
    };
    for (const s of SECTORS) need(s, SECTOR_NAMES[s].zh);
    for (const k of SENSOR_KINDS) need(k, SENSOR_KIND_NAMES[k].zh);
    for (const k of SIGNAL_KINDS) need(k, SIGNAL_KIND_NAMES[k].zh);
    for (const r of Object.values(ROLES_BY_KIND)) for (const t of r.roles) need(t.id, t.zh);
    expect(missing).toEqual([]);
  });

  const base = { id: 'S-1', enterpriseId: 'E', gatewayId: 'G', periodS: 5 };
  it.each([
    { name: 'a methane location', body: { kind: 'methane', unit: '%CH4', role: 'heading_return' }, ok: true },
    { name: 'a methane sensor without a location (default limits)', body: { kind: 'methane', unit: '%CH4' }, ok: true },
    {
      name: 'a methane location in other words',
      body: { kind: 'methane', unit: '%CH4', role: 'return' },
      ok: false,
      message: /upper_corner（采煤工作面回风隅角）/,
    },
    { name: 'a roadway type', body: { kind: 'wind_speed', unit: 'm/s', role: 'main_airway' }, ok: true },
    { name: 'a methane location on a wind-speed sensor', body: { kind: 'wind_speed', unit: 'm/s', role: 'upper_corner' }, ok: false, message: /roadway type/ },
    { name: 'a gas', body: { kind: 'toxic_gas', unit: 'ppm', role: 'nh3' }, ok: true },
    { name: 'a role on a signal', body: { kind: 'valve', role: 'inlet' }, ok: false, message: /kind 'valve' takes no role/ },
    { name: 'an unknown kind', body: { kind: 'ch4', unit: '%' }, ok: false, message: /must be one of: combustible_gas（可燃气体）/ },
  ])('$name', ({ body, ok, message }) => {
    const r = sensorInput.safeParse({ ...base, ...body });
    expect(r.success).toBe(ok);
    if (!r.success && message) expect(r.error.issues.map((i) => i.message).join('; ')).toMatch(message);
  });
});
