/**
 * `npm run services -- start|stop`: the local Redis and InfluxDB that `npm start` uses.
 */
import { ensureLocalServices, stopLocalServices } from '../platform/local-services.ts';

const dataDir = process.env.DATA_DIR ?? 'var';
const cmd = process.argv[2] ?? 'start';
if (cmd === 'stop') {
  const stopped = stopLocalServices(dataDir);
  console.log(stopped.length ? `stopped ${stopped.join(', ')}` : 'nothing to stop');
} else if (cmd === 'start') {
  ensureLocalServices(process.env, dataDir).then(
    (urls) => console.log(`${urls.redisUrl !== undefined ? `REDIS_URL=${urls.redisUrl}\n` : ''}INFLUX_URL=${urls.influxUrl}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
} else {
  console.error('usage: npm run services -- start|stop');
  process.exit(2);
}
