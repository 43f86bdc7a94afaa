/**
 * Redis connections per platform process: starts the platform (`main.ts`,
 * all parts unless --parts says otherwise) on its own Redis and InfluxDB,
 * waits until it is ready and has settled, and reads Redis `CLIENT LIST`:
 * the platform's connections in all, by client name and by last command.
 *
 *   npm run bench:redis-connections -- [--parts gateway,api,rules] [--settle 3]
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { sleep, startBenchPlatform } from './common.ts';

const { values: args } = parseArgs({
  options: { parts: { type: 'string', default: 'gateway,api,rules' }, settle: { type: 'string', default: '3' } },
});

const platform = await startBenchPlatform({ PARTS: args.parts });
const probe = new Redis(platform.redis.url, { connectionName: 'bench-probe' });
try {
  await sleep(Number(args.settle) * 1000);
  const list = (await probe.client('LIST')) as string;
  const clients = list
    .trim()
    .split('\n')
    .map((line) => Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])))
    .filter((c) => c.name !== 'bench-probe');
  const count = (key: string) => {
    const by = new Map<string, number>();
    for (const c of clients) by.set(c[key] || '(none)', (by.get(c[key] || '(none)') ?? 0) + 1);
    return [...by]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  };
  console.log(`== Redis connections of one platform process (parts ${args.parts}) ==`);
  console.log(`connections: ${clients.length}`);
  console.log(`by name: ${count('name')}`);
  console.log(`by last command: ${count('cmd')}`);
} finally {
  probe.disconnect();
  await platform.stop();
}
