/**
 * One simulated enterprise edge gateway on a real MQTT connection: it
 * publishes what `generate` produces in messages of `readingsPerMessage`
 * readings, keeps a store-and-forward backlog while its link is down, and
 * counts what the platform acknowledged.
 *
 * Delivery: QoS 1 on a persistent session (clean: false) with mqtt.js's
 * in-memory outgoing store. When the link drops — the broker restarts, or
 * goOffline cuts it — mqtt.js keeps every unacknowledged message and, after
 * reconnecting, re-sends them one by one; the original publish callback fires
 * on the re-send's PUBACK. So a message counts as acknowledged only on a real
 * PUBACK, and every promise here (publishSpan, drain, goOnline) waits for
 * those. Messages not yet handed to mqtt.js wait in the Outbox (at most
 * `maxInflight` are handed over at a time), and go first when a send fails
 * without reaching the broker.
 *
 * Verified against the platform's broker with kill -9 (tests/integration/
 * simulator.test.ts), mqtt.js 5.16: unacknowledged messages and their
 * callbacks survive any number of failed reconnection attempts; after the
 * reconnect they are re-sent one at a time (each waits for its PUBACK before
 * the next goes), *without* the DUP flag, and only then are new publishes
 * sent. A re-send is recognised here as a PUBLISH whose message id was sent
 * before and not acknowledged since (`stats.resentMessages`).
 *
 * goOffline uses `end(true)` (no DISCONNECT, so the will fires) with stores
 * created with `clean: false`, which `end` does not empty; goOnline calls
 * `reconnect()` with the same stores, so messages in flight at the cut are
 * re-sent and acknowledged too.
 */
import mqtt, { Store, type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import { encodeStatus, topics, type ReadingOut, type SignalOut } from '../core/contract.ts';
import type { Logger } from '../core/logger.ts';
import type { SimGatewayDef } from './fleet.ts';
import { generate } from './generate.ts';
import { DEFAULT_READINGS_PER_MESSAGE, encodeMessage, packMessages, readingsOf, signalsOf } from './messages.ts';
import { Outbox, type OutboxEntry } from './outbox.ts';
import { offlineWindows, type Scenario } from './scenarios.ts';

export interface SimGatewayOptions {
  /** The gateway's MQTT password (from provisioning). */
  secret: string;
  /** Broker host. Default '127.0.0.1'. */
  host?: string;
  port: number;
  /** Seed of the generated values. */
  seed: number;
  /** Readings per message. Default 20. */
  readingsPerMessage?: number;
  /** QoS of readings and signals. Default 1. */
  qos?: 0 | 1;
  /** Readings kept in the backlog while offline; the oldest are dropped and counted beyond it. Default 1,000,000. */
  maxBacklog?: number;
  /** Messages handed to MQTT and not yet acknowledged, at most. Default 100. */
  maxInflight?: number;
  /** Pause between reconnection attempts after an unexpected disconnect, ms. Default 500. */
  reconnectPeriodMs?: number;
  /** Connection events are logged here when given. */
  logger?: Logger;
}

export interface SimGatewayStats {
  /** Readings generated (published or backlogged). */
  generatedReadings: number;
  /** Messages handed to MQTT for the first time. */
  publishedMessages: number;
  ackedReadings: number;
  ackedMessages: number;
  /** Readings waiting to be handed to MQTT (the store-and-forward backlog). */
  backlog: number;
  droppedFromBacklog: number;
  /** Messages mqtt.js sent again after a reconnect because their PUBACK had not arrived. */
  resentMessages: number;
  /** Messages handed to MQTT and not yet acknowledged. */
  inflight: number;
}

/** CONNACK return codes after which retrying is pointless (identifier rejected, bad credentials, not authorised). */
const PERMANENT_REFUSALS = new Set([2, 4, 5]);

export class SimGateway {
  readonly def: SimGatewayDef;
  /** Called with the items of each message once its PUBACK arrived. */
  onAcked?: (readings: ReadingOut[], signals: SignalOut[]) => void;

  private readonly opts: Required<Omit<SimGatewayOptions, 'logger'>> & { logger?: Logger };
  private readonly outbox: Outbox;
  private readonly stores = { incomingStore: new Store({ clean: false }), outgoingStore: new Store({ clean: false }) };
  private client?: MqttClient;
  private inflight = 0;
  /** Message ids sent and not yet acknowledged, to recognise re-sends. */
  private readonly sentIds = new Set<number>();
  private manualOffline = false;
  private linkDown = false;
  private linkCut: Promise<void> = Promise.resolve();
  private closing?: Promise<void>;
  private counters = { generatedReadings: 0, publishedMessages: 0, ackedReadings: 0, ackedMessages: 0, resentMessages: 0 };
  /** The last error the connection reported, if any. */
  lastError?: Error;
  /** Set when the broker refused the gateway for good (bad credentials, not authorised); every wait rejects with it. */
  private refused?: Error;

  constructor(def: SimGatewayDef, opts: SimGatewayOptions) {
    this.def = def;
    this.opts = {
      host: '127.0.0.1',
      readingsPerMessage: DEFAULT_READINGS_PER_MESSAGE,
      qos: 1,
      maxBacklog: 1_000_000,
      maxInflight: 100,
      reconnectPeriodMs: 500,
      ...opts,
    };
    this.outbox = new Outbox(this.opts.maxBacklog);
  }

  get stats(): SimGatewayStats {
    return {
      ...this.counters,
      backlog: this.outbox.backlogReadings,
      droppedFromBacklog: this.outbox.droppedReadings,
      inflight: this.inflight,
    };
  }

  /** Whether the MQTT connection is up (and not cut on purpose). */
  get online(): boolean {
    return !this.linkDown && this.client?.connected === true;
  }

  private get statusTopic(): string {
    return topics.status(this.def.enterpriseId, this.def.gatewayId);
  }

  private get log(): Logger | undefined {
    return this.opts.logger;
  }

  /**
   * Connects (MQTT 3.1.1, clientId = username = gateway id, persistent
   * session, last will 'offline' retained) and publishes 'online' (retained)
   * after each connection. Rejects if the first attempt fails; afterwards
   * mqtt.js reconnects by itself.
   */
  connect(): Promise<void> {
    if (this.client) return Promise.reject(new Error(`gateway ${this.def.gatewayId} is already connected`));
    const g = this.def.gatewayId;
    const options: IClientOptions = {
      host: this.opts.host,
      port: this.opts.port,
      protocolVersion: 4,
      clientId: g,
      username: g,
      password: this.opts.secret,
      clean: false,
      keepalive: 30,
      reconnectPeriod: this.opts.reconnectPeriodMs,
      reconnectOnConnackError: true, // 'server unavailable' while a broker restarts is worth retrying
      connectTimeout: 10_000,
      will: { topic: this.statusTopic, payload: Buffer.from(encodeStatus('offline')), qos: 1, retain: true },
      ...this.stores,
    };
    const client = mqtt.connect(options);
    this.client = client;
    client.on('packetsend', (p: Packet) => this.onPacketSend(p));
    client.on('packetreceive', (p: Packet) => {
      if (p.cmd === 'puback' && p.messageId !== undefined) this.sentIds.delete(p.messageId);
    });
    client.on('connect', () => {
      this.log?.info({ gatewayId: g }, 'simulated gateway connected');
      client.publish(this.statusTopic, encodeStatus('online'), { qos: 1, retain: true }, () => undefined);
      this.pump();
    });
    client.on('offline', () => this.log?.info({ gatewayId: g }, 'simulated gateway lost its connection; reconnecting'));
    return new Promise((resolve, reject) => {
      let first = true;
      client.once('connect', () => {
        first = false;
        resolve();
      });
      client.on('error', (err: Error & { code?: unknown }) => {
        this.lastError = err;
        if (first) {
          first = false;
          client.end(true);
          this.client = undefined;
          reject(err);
          return;
        }
        this.log?.warn({ gatewayId: g, err: err.message }, 'simulated gateway connection error');
        if (typeof err.code === 'number' && PERMANENT_REFUSALS.has(err.code)) {
          this.refused = err;
          client.end(true);
          this.outbox.failAll(err);
        }
      });
    });
  }

  private onPacketSend(p: Packet): void {
    if (p.cmd !== 'publish' || p.qos === 0 || p.messageId === undefined || p.topic === this.statusTopic) return;
    if (this.sentIds.has(p.messageId)) this.counters.resentMessages++;
    else this.sentIds.add(p.messageId);
  }

  /** Waits until every message up to `upTo` is finished; rejects at once if the broker refused the gateway for good. */
  private waitFor(upTo: number): Promise<void> {
    return this.refused ? Promise.reject(this.refused) : this.outbox.waitFor(upTo);
  }

  /** Hands queued messages to mqtt.js while the link is up and the in-flight window has room. */
  private pump(): void {
    const c = this.client;
    if (!c || this.closing || this.linkDown || !c.connected) return;
    while (this.inflight < this.opts.maxInflight) {
      const e = this.outbox.next();
      if (!e) return;
      this.send(c, e);
    }
  }

  private send(c: MqttClient, e: OutboxEntry): void {
    this.inflight++;
    if (e.attempts === 1) this.counters.publishedMessages++;
    const { topic, payload } = encodeMessage(e.msg, this.def.enterpriseId, this.def.gatewayId);
    c.publish(topic, payload, { qos: this.opts.qos }, (err) => {
      this.inflight--;
      if (err) {
        // Never reached the broker (e.g. queued behind a re-send when the link dropped again): send it again.
        if (!this.closing) this.outbox.retry(e);
      } else {
        const readings = readingsOf(e.msg);
        const signals = signalsOf(e.msg);
        this.counters.ackedMessages++;
        this.counters.ackedReadings += readings.length;
        this.outbox.done(e.seq);
        try {
          this.onAcked?.(readings, signals);
        } catch (hookErr) {
          this.log?.error({ gatewayId: this.def.gatewayId, err: hookErr }, 'onAcked hook threw');
        }
      }
      this.pump();
    });
  }

  /** Cuts the link like a pulled cable (no DISCONNECT, so the broker publishes the will). */
  private cutLink(): Promise<void> {
    if (this.linkDown) return this.linkCut;
    this.linkDown = true;
    const c = this.client;
    this.linkCut = c ? new Promise<void>((resolve) => c.end(true, () => resolve())) : Promise.resolve();
    return this.linkCut;
  }

  /** Reconnects, keeping mqtt.js's stores (and so its unacknowledged messages), and releases the backlog. */
  private restoreLink(): number {
    const upTo = this.outbox.release();
    if (this.linkDown && !this.closing) {
      this.linkDown = false;
      this.client?.reconnect(this.stores);
    }
    this.pump();
    return upTo;
  }

  /**
   * Generates [fromMs, toMs) and publishes it; offline scenarios of this
   * gateway cut and restore the link at their boundaries. While the link is
   * down, items go to the backlog. Resolves when every message queued so far
   * has been PUBACKed (or dropped from a full backlog, see
   * `stats.droppedFromBacklog`) — or, if the link is down at the end of the
   * span, as soon as it is cut. With QoS 0, "acknowledged" means written to
   * the socket.
   */
  async publishSpan(fromMs: number, toMs: number, scenarios: readonly Scenario[] = []): Promise<void> {
    if (this.closing) throw new Error(`gateway ${this.def.gatewayId} is closed`);
    const windows = offlineWindows(this.def.gatewayId, scenarios);
    const cuts = [...new Set([fromMs, toMs, ...windows.flat().filter((t) => t > fromMs && t < toMs)])].sort((a, b) => a - b);
    let last = this.outbox.lastSeq;
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [a, b] = [cuts[i]!, cuts[i + 1]!];
      const down = this.manualOffline || windows.some(([s, e]) => a >= s && a < e);
      if (down && !this.linkDown) void this.cutLink();
      else if (!down && this.linkDown) this.restoreLink();
      const g = generate(this.def, this.opts.seed, a, b, scenarios);
      this.counters.generatedReadings += g.readings.length;
      last = this.outbox.enqueue(packMessages(g, this.opts.readingsPerMessage), !this.linkDown);
      this.pump();
    }
    if (this.linkDown) return this.linkCut;
    return this.waitFor(last);
  }

  /** Ends the connection abruptly (the will fires) and buffers everything from now on. */
  goOffline(): Promise<void> {
    this.manualOffline = true;
    return this.cutLink();
  }

  /** Reconnects and flushes the backlog oldest first; resolves when all of it is PUBACKed. */
  goOnline(): Promise<void> {
    this.manualOffline = false;
    return this.waitFor(this.restoreLink());
  }

  /**
   * Resolves when nothing this gateway published is still awaiting a PUBACK.
   * Backlog generated while offline is not published yet and is not waited
   * for; messages that were in flight when the link was cut are, until it is
   * restored.
   */
  drain(): Promise<void> {
    return this.waitFor(this.outbox.releasedUpTo);
  }

  /**
   * Publishes 'offline' (retained) if connected, disconnects and rejects any
   * pending publishSpan/drain/goOnline. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const c = this.client;
      if (c) {
        if (c.connected && !this.linkDown) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 2000);
            c.publish(this.statusTopic, encodeStatus('offline'), { qos: 1, retain: true }, () => {
              clearTimeout(t);
              resolve();
            });
          });
        }
        await new Promise<void>((resolve) => c.end(!c.connected || this.inflight > 0, () => resolve()));
      }
      if (this.outbox.unfinishedCount > 0) {
        this.outbox.failAll(new Error(`gateway ${this.def.gatewayId} closed with ${this.outbox.unfinishedCount} messages unacknowledged`));
      }
    })();
    return this.closing;
  }
}
