/** The load: gateways publishing readings messages, closed or open loop. */
import type { MqttClient } from 'mqtt';
import { encodeReadings, type ReadingOut } from '../../core/contract.ts';
import { publish } from '../../testkit/mqtt.ts';
import { sleep } from '../common.ts';

/** Gateways publishing readings messages (QoS 1): each reading a distinct point (per-gateway increasing timestamps). */
export class Load {
  acked = 0;
  sent = 0;
  readonly pubacks: number[] = [];
  measuring = false;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly seq: number[];

  constructor(
    private readonly clients: MqttClient[],
    private readonly topic: (g: number) => string,
    private readonly t0: number,
    /** Readings per message. */
    private readonly per: number,
    /** Sensors per gateway. */
    private readonly sensors: number,
  ) {
    this.seq = new Array<number>(clients.length).fill(0);
  }

  private payload(g: number): string {
    const readings: ReadingOut[] = [];
    for (let k = 0; k < this.per; k++) {
      const n = this.seq[g]!++;
      readings.push({ sensor: `S-${g}-${n % this.sensors}`, value: (n % 100) / 10, unit: '%LEL', quality: 'good', ts: this.t0 + Math.floor(n / this.sensors) });
    }
    return encodeReadings(readings);
  }

  private async send(g: number): Promise<void> {
    const start = performance.now();
    this.sent += this.per;
    await publish(this.clients[g]!, this.topic(g), this.payload(g));
    this.acked += this.per;
    if (this.measuring) this.pubacks.push(performance.now() - start);
  }

  /** rate 0: closed loop with `inflight` messages per gateway; else open loop at `rate` readings/s. */
  start(rate: number, inflight: number): void {
    const G = this.clients.length;
    if (rate === 0) {
      for (let g = 0; g < G; g++)
        for (let w = 0; w < inflight; w++)
          this.loops.push(
            (async () => {
              while (!this.stopped) await this.send(g);
            })(),
          );
      return;
    }
    this.loops.push(
      (async () => {
        const started = performance.now();
        let due = 0;
        const pending = new Set<Promise<void>>();
        while (!this.stopped) {
          const until = Math.floor(((performance.now() - started) / 1000) * (rate / this.per));
          for (; due < until; due++) {
            const p = this.send(due % G).finally(() => pending.delete(p));
            pending.add(p);
          }
          await sleep(2);
        }
        await Promise.all(pending);
      })(),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}
