/** The gateway contract: topic parsing and the device timestamp schema. */
import { describe, expect, it } from 'vitest';
import { parseTopic, timestampSchema, topics, type ParsedTopic } from '../../../core/contract.ts';

describe('parseTopic', () => {
  const cases: { name: string; topic: string; want: ParsedTopic['kind']; expect?: Partial<Record<string, unknown>> }[] = [
    { name: 'readings uplink', topic: 'v1/E1/G1/readings', want: 'uplink', expect: { enterpriseId: 'E1', gatewayId: 'G1', channel: 'readings' } },
    { name: 'signals uplink', topic: 'v1/E1/G1/signals', want: 'uplink', expect: { enterpriseId: 'E1', gatewayId: 'G1', channel: 'signals' } },
    { name: 'status uplink', topic: 'v1/E1/G1/status', want: 'uplink', expect: { enterpriseId: 'E1', gatewayId: 'G1', channel: 'status' } },
    { name: 'ids with _ . -', topic: 'v1/ent_1.a/gw-2/readings', want: 'uplink', expect: { enterpriseId: 'ent_1.a', gatewayId: 'gw-2' } },
    { name: 'cmd downlink without rest', topic: 'v1/E1/G1/cmd', want: 'downlink', expect: { enterpriseId: 'E1', gatewayId: 'G1', rest: [] } },
    { name: 'cmd downlink with rest', topic: 'v1/E1/G1/cmd/reboot/now', want: 'downlink', expect: { rest: ['reboot', 'now'] } },
    { name: 'wrong root', topic: 'v2/E1/G1/readings', want: 'invalid' },
    { name: 'leading slash', topic: '/v1/E1/G1/readings', want: 'invalid' },
    { name: 'empty topic', topic: '', want: 'invalid' },
    { name: 'root only', topic: 'v1', want: 'invalid' },
    { name: 'empty enterprise id', topic: 'v1//G1/readings', want: 'invalid' },
    { name: 'enterprise id starting with -', topic: 'v1/-E1/G1/readings', want: 'invalid' },
    { name: 'wildcard as enterprise id', topic: 'v1/+/G1/readings', want: 'invalid' },
    { name: 'missing gateway id', topic: 'v1/E1', want: 'invalid' },
    { name: 'gateway id with a space', topic: 'v1/E1/G 1/readings', want: 'invalid' },
    { name: 'gateway id of 65 chars', topic: `v1/E1/${'g'.repeat(65)}/readings`, want: 'invalid' },
    { name: 'missing channel', topic: 'v1/E1/G1', want: 'invalid' },
    { name: 'trailing slash', topic: 'v1/E1/G1/readings/', want: 'invalid' },
    { name: 'unknown channel', topic: 'v1/E1/G1/telemetry', want: 'invalid' },
    { name: 'channel in wrong case', topic: 'v1/E1/G1/Readings', want: 'invalid' },
    { name: 'extra level after uplink channel', topic: 'v1/E1/G1/readings/extra', want: 'invalid' },
    { name: 'wildcard channel', topic: 'v1/E1/G1/#', want: 'invalid' },
  ];
  it.each(cases)('$name: $topic → $want', ({ topic, want, expect: fields }) => {
    const parsed = parseTopic(topic);
    expect(parsed.kind).toBe(want);
    if (fields) expect(parsed).toMatchObject(fields);
    if (parsed.kind === 'invalid') expect(parsed.reason).not.toBe('');
  });

  it('round-trips the topic builders', () => {
    expect(parseTopic(topics.readings('E1', 'G1'))).toEqual({ kind: 'uplink', enterpriseId: 'E1', gatewayId: 'G1', channel: 'readings' });
    expect(parseTopic(topics.signals('E1', 'G1'))).toEqual({ kind: 'uplink', enterpriseId: 'E1', gatewayId: 'G1', channel: 'signals' });
    expect(parseTopic(topics.status('E1', 'G1'))).toEqual({ kind: 'uplink', enterpriseId: 'E1', gatewayId: 'G1', channel: 'status' });
  });
});

describe('timestampSchema', () => {
  const accepted: { name: string; input: number | string; ms: number }[] = [
    { name: 'epoch ms', input: 1767225600000, ms: 1767225600000 },
    { name: 'epoch zero', input: 0, ms: 0 },
    { name: 'ISO with Z', input: '2026-01-01T00:00:00Z', ms: Date.UTC(2026, 0, 1) },
    { name: 'ISO with Z and millis', input: '2026-01-01T00:00:00.250Z', ms: Date.UTC(2026, 0, 1, 0, 0, 0, 250) },
    { name: 'ISO with +08:00', input: '2026-01-01T08:00:00+08:00', ms: Date.UTC(2026, 0, 1) },
    { name: 'ISO with -05:00 and millis', input: '2025-12-31T19:00:00.500-05:00', ms: Date.UTC(2026, 0, 1, 0, 0, 0, 500) },
  ];
  it.each(accepted)('accepts $name', ({ input, ms }) => {
    expect(timestampSchema.parse(input)).toBe(ms);
  });

  const rejected: { name: string; input: unknown }[] = [
    { name: 'fractional epoch ms', input: 1767225600000.5 },
    { name: 'negative epoch ms', input: -1 },
    { name: 'NaN', input: Number.NaN },
    { name: 'Infinity', input: Number.POSITIVE_INFINITY },
    { name: 'ISO without a zone', input: '2026-01-01T00:00:00' },
    { name: 'ISO date only', input: '2026-01-01' },
    { name: 'ISO with a space instead of T', input: '2026-01-01 00:00:00Z' },
    { name: 'ISO with a compact zone', input: '2026-01-01T00:00:00+0800' },
    { name: 'month 13', input: '2026-13-01T00:00:00Z' },
    { name: 'hour 25', input: '2026-01-01T25:00:00Z' },
    { name: 'epoch ms as a string', input: '1767225600000' },
    { name: 'garbage string', input: 'yesterday' },
    { name: 'empty string', input: '' },
    { name: 'null', input: null },
    { name: 'boolean', input: true },
    { name: 'object', input: { ms: 1 } },
  ];
  it.each(rejected)('rejects $name', ({ input }) => {
    expect(timestampSchema.safeParse(input).success).toBe(false);
  });

  // Date.parse rolls 2026-02-30 over to 2026-03-02; a reading would be stored two days off.
  it('rejects an impossible calendar date instead of rolling it over', () => {
    expect(timestampSchema.safeParse('2026-02-30T00:00:00Z').success).toBe(false);
  });
});
