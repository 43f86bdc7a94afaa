/**
 * Rules are data, loaded without a restart: the worker re-reads its
 * catalogue file when it changes. A tightened limit applies to the next
 * reading; a file that does not validate is refused, logged and counted, and
 * the current catalogue keeps working.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GAS_RULES } from '../../../alerts/rules/packs/gas.ts';
import type { RuleInput } from '../../../alerts/rules/schema.ts';
import { encodeReadings, topics } from '../../../core/contract.ts';
import type { Platform } from '../../../platform/platform.ts';
import { AdminClient } from '../../../testkit/api.ts';
import { provisionTankFarm } from '../../../testkit/fixtures.ts';
import { connect, publish } from '../../../testkit/mqtt.ts';
import { startTestPlatform, type LogCapture } from '../../../testkit/platform.ts';
import { startTestServices, type TestServices } from '../../../testkit/services.ts';

let svc: TestServices;
let platform: Platform;
let logs: LogCapture;
let client: MqttClient;
let file: string;

/** The combustible-gas rule alone (wall-clock rules such as silence would add alerts while the test runs), level 1 at `level1` %LEL. */
function catalogue(version: number, ruleVersion: number, level1: number): string {
  const rule = structuredClone(GAS_RULES.find((r) => r.id === 'gas.combustible')!) as RuleInput & { params: { levels: { level1: { threshold: number } } } };
  rule.version = ruleVersion;
  rule.params.levels.level1.threshold = level1;
  return JSON.stringify({ version, rules: [rule] });
}

beforeAll(async () => {
  svc = await startTestServices('rules-reload');
  file = join(svc.dir, 'rules.json');
  await writeFile(file, catalogue(1, 1, 25));
  ({ platform, logs } = await startTestPlatform(svc, 'rreload', {
    rules: { tickMs: 50, snapshotIntervalMs: 200, reloadIntervalMs: 100, catalogueFile: file },
  }));
  const api = new AdminClient(`http://127.0.0.1:${platform.httpPort}`, platform.adminToken);
  const gw = await provisionTankFarm(api, 'E1', 'G1');
  client = await connect(platform.mqttPort, { clientId: 'G1', username: 'G1', password: gw.secret });
});

afterAll(async () => {
  client?.end(true);
  await platform?.stop();
  await svc?.stop();
});

const t0 = Date.now() - 10 * 60_000;
async function gas(i: number, value: number): Promise<void> {
  await publish(client, topics.readings('E1', 'G1'), encodeReadings([{ sensor: 'GT-101', value, unit: '%LEL', quality: 'good', ts: t0 + i * 5000 }]));
  await platform.rules.drained();
}
const alerts = async () =>
  (
    await platform.db.query<{ severity: string; state: string; rule_version: number }>(
      "SELECT severity, state, rule_version FROM alerts WHERE fingerprint = 'gas.combustible|E1|GT-101' ORDER BY started_at",
    )
  ).rows;

/** The worker polls the catalogue file's mtime every 100 ms; we look every 20 ms, for up to 10 s. */
const POLL = { timeout: 10_000, interval: 20 };
const refusals = () => logs.lines.filter((l) => l.msg === 'rule catalogue refused; keeping the current one').length;

describe('rule catalogue hot reload', () => {
  it('applies a tightened limit to the next reading, without a restart', async () => {
    expect(platform.rules.catalogue?.version).toBe(1);
    await gas(0, 22); // below 25 %LEL: nothing
    expect(await alerts()).toEqual([]);

    await writeFile(file, catalogue(2, 2, 20));
    await vi.waitFor(() => expect(platform.rules.catalogue?.version, 'catalogue version').toBe(2), POLL);
    await gas(1, 22); // above the new 20 %LEL
    expect(await alerts()).toEqual([{ severity: 'orange', state: 'firing', rule_version: 2 }]);
    expect(logs.find((l) => l.msg === 'rule catalogue reloaded')).toMatchObject({ version: 2 });
  });

  it('refuses a file that does not validate, says why, and keeps evaluating with the current catalogue', async () => {
    const refusedBefore = refusals();
    await writeFile(file, JSON.stringify({ version: 3, rules: [{ id: 'gas.combustible', version: 3, pattern: 'no-such-pattern' }] }));
    await vi.waitFor(() => expect(refusals(), 'the refusal').toBeGreaterThan(refusedBefore), POLL);
    expect(platform.rules.catalogue?.version).toBe(2);
    const metrics = await platform.metrics.registry.metrics();
    expect(metrics).toMatch(/nss_rules_errors_total\{stage="catalogue"\} [1-9]/);

    await gas(2, 5); // clears under version 2 (20 − 2 deadband)
    await gas(3, 21); // and raises again under it
    expect((await alerts()).map((a) => a.state)).toEqual(['resolved', 'firing']);
  });
});
