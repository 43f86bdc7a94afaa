/** Alert probes: publish → alert and publish → visible in InfluxDB. */
import type { MqttClient } from 'mqtt';
import { encodeReadings } from '../../core/contract.ts';
import type { InfluxClient } from '../../core/influx/client.ts';
import { publish } from '../../testkit/mqtt.ts';
import { sleep } from '../common.ts';
import { ALARM } from './options.ts';

/**
 * Alert probes: a reading of 60 %LEL on a probe sensor, `perSecond` a second; the
 * time until the alert for that sensor arrives (`seen`) and until the reading
 * is visible in InfluxDB (`pollStored`). Each probe sensor is then cleared
 * with a normal reading, as a gateway would report the gas gone.
 */
export class Probes {
  readonly alertLat: number[] = [];
  readonly storedLat: number[] = [];
  sent = 0;
  alerts = 0;
  measuring = false;
  private stopped = false;
  private readonly waiting = new Map<string, number>();
  private readonly unstored = new Map<number, number>();
  private lastTs = Date.now();
  private readonly clears: Promise<void>[] = [];
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: MqttClient,
    private readonly topic: string,
    private readonly ids: string[],
    /** Probes per second. */
    private readonly perSecond: number,
  ) {}

  private nextTs(): number {
    return (this.lastTs = Math.max(this.lastTs + 1, Date.now()));
  }

  start(): void {
    this.loop = (async () => {
      for (let i = 0; !this.stopped; i++) {
        const id = this.ids[i % this.ids.length]!;
        if (!this.waiting.has(id)) {
          const ts = this.nextTs();
          const t = performance.now();
          this.waiting.set(id, t);
          if (this.measuring) this.unstored.set(ts, t);
          this.sent++;
          void publish(this.client, this.topic, encodeReadings([{ sensor: id, value: ALARM, unit: '%LEL', quality: 'good', ts }]));
        }
        await sleep(1000 / this.perSecond);
      }
    })();
  }

  /** The alert for `sensor` has arrived. */
  seen(sensor: string): void {
    const t = this.waiting.get(sensor);
    if (t === undefined) return;
    this.waiting.delete(sensor);
    this.alerts++;
    if (this.measuring) this.alertLat.push(performance.now() - t);
    this.clears.push(publish(this.client, this.topic, encodeReadings([{ sensor, value: 1, unit: '%LEL', quality: 'good', ts: this.nextTs() }])));
  }

  /** Polls InfluxDB every 25 ms for the probes published in the window, until `stop`. */
  async pollStored(influx: InfluxClient, ent: string, since: number): Promise<void> {
    while (!this.stopped) {
      const series = await influx.query(`SELECT "value" FROM "reading" WHERE "ent" = '${ent}' AND "sensor" =~ /^P-/ AND "value" >= 50 AND time >= ${since}ms`);
      const now = performance.now();
      for (const [ts] of series[0]?.values ?? []) {
        const t = this.unstored.get(ts as number);
        if (t === undefined) continue;
        this.unstored.delete(ts as number);
        if (this.measuring) this.storedLat.push(now - t);
      }
      await sleep(25);
    }
  }

  /** Stops probing; waits up to 10 s for the alerts still due. Returns how many never came. */
  async stop(): Promise<number> {
    this.stopped = true;
    await this.loop;
    for (let i = 0; i < 100 && this.waiting.size > 0; i++) await sleep(100);
    await Promise.all(this.clears);
    return this.waiting.size;
  }
}
