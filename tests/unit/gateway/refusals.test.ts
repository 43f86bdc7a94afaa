/**
 * The broker's refusal bookkeeping: every refusal is counted under its action
 * and reason; a plain one is logged every time, a quiet one (flood refusals)
 * at most once a second per action and reason, with the number left out.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger.ts';
import { createMetrics } from '../../../core/metrics.ts';
import { createRefusals } from '../../../gateway/refusals.ts';

function setup() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      cb();
    },
  });
  const metrics = createMetrics();
  let now = 10_000;
  const refusals = createRefusals(createLogger({ destination }), metrics, () => now);
  const count = async (action: string, reason: string) =>
    (await metrics.mqttRefusals.get()).values.find((v) => v.labels.action === action && v.labels.reason === reason)?.value ?? 0;
  return { lines, refusals, count, advance: (ms: number) => (now += ms) };
}

describe('refusals', () => {
  it('a plain refusal is counted and logged every time, with its context', async () => {
    const { lines, refusals, count } = setup();
    refusals.refuse('publish', 'not_own_topic', { clientId: 'G1', topic: 't' });
    refusals.refuse('publish', 'not_own_topic', { clientId: 'G1', topic: 't' });
    expect(await count('publish', 'not_own_topic')).toBe(2);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'publish refused', action: 'publish', reason: 'not_own_topic', clientId: 'G1', topic: 't' });
  });

  it('a quiet refusal is counted every time, logged at most once a second per action and reason, with the number left out', async () => {
    const { lines, refusals, count, advance } = setup();
    for (let i = 0; i < 5; i++) refusals.refuseQuietly('connect', 'connect_timeout', { timeoutMs: 100 });
    refusals.refuseQuietly('connect', 'too_many_connections', {}); // another reason: its own pace
    advance(999);
    refusals.refuseQuietly('connect', 'connect_timeout', {});
    advance(1);
    refusals.refuseQuietly('connect', 'connect_timeout', {});
    expect(await count('connect', 'connect_timeout')).toBe(7);
    expect(lines.map((l) => [l.reason, l.notLoggedSinceLast])).toEqual([
      ['connect_timeout', 0],
      ['too_many_connections', 0],
      ['connect_timeout', 5],
    ]);
    expect(lines[0]).toMatchObject({ msg: 'connect refused', timeoutMs: 100 });
  });
});
