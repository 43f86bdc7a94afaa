/**
 * Gateway-id enumeration by timing (issue #15 §10): how long the broker takes
 * to refuse a CONNECT with an unknown gateway id, against a known id with a
 * wrong secret, one CONNECT at a time (no queueing). Prints p50/p90/p99 of the
 * time from CONNECT sent to CONNACK received, and their ratio.
 *
 *   npm run bench:connect-timing -- [--n 200]
 */
import { parseArgs } from 'node:util';
import { AdminApi } from '../simulators/admin-api.ts';
import { rawConnect } from '../testkit/raw-mqtt.ts';
import { pct, startBenchPlatform } from './common.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '200' } } });
const n = Number(values.n);

const platform = await startBenchPlatform({ PARTS: 'gateway,api' });
try {
  const api = new AdminApi(`http://127.0.0.1:${platform.httpPort}`, platform.token);
  await api.ok('POST', '/api/v1/authorities', { id: 'city-1', name: '示例市应急管理局', level: 'city' });
  await api.ok('POST', '/api/v1/enterprises', { id: 'E1', name: '企业 E1', sector: 'other', authorityId: 'city-1' });
  await api.ok('POST', '/api/v1/gateways', { id: 'G1', enterpriseId: 'E1' });

  const time = async (clientId: string): Promise<number> => {
    const t0 = performance.now();
    const { c, connack } = await rawConnect(platform.mqttPort, { clientId, username: clientId, password: 'x'.repeat(43) });
    const ms = performance.now() - t0;
    if (connack.returnCode !== 4) throw new Error(`expected CONNACK 4, got ${connack.returnCode}`);
    c.destroy();
    return ms;
  };
  // warm up both paths (the ledger lookup is cached after the first)
  for (let i = 0; i < 10; i++) await time('G1');
  for (let i = 0; i < 10; i++) await time(`UNKNOWN-${i}`);
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < n; i++) {
    // interleaved, and a fresh unknown id each time (an attacker probing ids would use new ones)
    known.push(await time('G1'));
    unknown.push(await time(`PROBE-${i}`));
  }
  known.sort((a, b) => a - b);
  unknown.sort((a, b) => a - b);
  const line = (name: string, xs: number[]) =>
    `${name.padEnd(26)} p50 ${pct(xs, 50).toFixed(1)} ms  p90 ${pct(xs, 90).toFixed(1)} ms  p99 ${pct(xs, 99).toFixed(1)} ms`;
  console.log(`CONNECT → CONNACK 0x04, ${n} of each, one at a time`);
  console.log(line('known id, wrong secret', known));
  console.log(line('unknown id', unknown));
  console.log(`ratio of p50s (unknown ÷ known): ${(pct(unknown, 50) / pct(known, 50)).toFixed(2)}`);
} finally {
  await platform.stop();
}
