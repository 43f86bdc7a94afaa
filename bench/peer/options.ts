/** The peer benchmark's command line (see bench/peer.ts) and its constants. */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export type Variant = 'plain' | 'batched';

export interface PeerOptions {
  fleets: number[];
  /** Sensors per gateway. */
  sensors: number;
  /** Readings per message. */
  per: number;
  /** Messages awaiting PUBACK per gateway (closed loop). */
  inflight: number;
  /** Readings/s in total (open loop); 0: closed loop. */
  rate: number;
  seconds: number;
  warmup: number;
  /** Alert probes per second. */
  probes: number;
  brokerSeconds: number;
  drain: number;
  variants: Variant[];
  join: number;
  /** Probe sensors per leg, each used at most twice (a probe also trips our rate-of-rise rule). */
  probeIds: number;
}

export function parseOptions(): PeerOptions {
  const { values: args } = parseArgs({
    options: {
      fleets: { type: 'string', default: '10,50,200' },
      sensors: { type: 'string', default: '5' },
      'per-message': { type: 'string', default: '20' },
      inflight: { type: 'string', default: '16' },
      rate: { type: 'string', default: '0' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      probes: { type: 'string', default: '5' },
      'broker-seconds': { type: 'string', default: '5' },
      drain: { type: 'string', default: '20' },
      peer: { type: 'string', default: 'plain,batched' },
      join: { type: 'string', default: '100' },
    },
  });
  const seconds = Number(args.seconds);
  const warmup = Number(args.warmup);
  const probes = Number(args.probes);
  return {
    fleets: args.fleets.split(',').map(Number),
    sensors: Number(args.sensors),
    per: Number(args['per-message']),
    inflight: Number(args.inflight),
    rate: Number(args.rate),
    seconds,
    warmup,
    probes,
    brokerSeconds: Number(args['broker-seconds']),
    drain: Number(args.drain),
    variants: args.peer.split(',').filter(Boolean) as Variant[],
    join: Number(args.join),
    probeIds: Math.ceil((probes * (seconds + warmup + 15)) / 2) + 5,
  };
}

export const ENT = 'E-BENCH';
export const ALARM = 60; // %LEL: above our level-2 limit (50) and the peer's switch (≥ 50)
export const PEER_DIR = resolve('var/peer');
export const NODE_RED_DIR = join(PEER_DIR, 'node-red');
export const peerEnt = (v: Variant) => `E-NR-${v.toUpperCase()}`;
export const ALERT_TOPIC = 'peer/alerts';
